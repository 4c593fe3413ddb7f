//! `rehab current`: the newest applied migration, on one line for scripts.

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
