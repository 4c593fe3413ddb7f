//! `rehab current`: the newest applied migration, on one line for scripts.

use std::io::{self, Write};

use anyhow::Result;
use serde::Serialize;

use crate::ctx::Ctx;
use crate::migrations::history;

#[derive(Debug, Serialize)]
pub struct CurrentReport {
    pub version: Option<i32>,
    pub name: Option<String>,
    pub applied_on: Option<String>,
}

pub fn run(ctx: &Ctx) -> Result<CurrentReport> {
    let mut client = ctx.connect()?;
    let last = history::applied(&mut client)?.pop();
    Ok(CurrentReport {
        version: last.as_ref().map(|a| a.version),
        name: last.as_ref().map(|a| a.name.clone()),
        applied_on: last.map(|a| a.applied_on),
    })
}

impl crate::output::Report for CurrentReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        match (&self.version, &self.name) {
            (Some(v), Some(n)) => writeln!(out, "{v} {n}"),
            _ => writeln!(out, "none (no migration applied)"),
        }
    }
}
