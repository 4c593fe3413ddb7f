//! rehab: creates, migrates and inspects the PostgreSQL database of the rehabilitation-tracking backend.
//! The binary is a thin shell over this library (see `main.rs`).

pub mod app;
pub mod cli;
pub mod commands;
pub mod config;
pub mod ctx;
pub mod db;
pub mod doctor;
pub mod error;
pub mod migrations;
pub mod output;
pub mod seed;
pub mod settings;
