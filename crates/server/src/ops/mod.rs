//! Operations: audit log, figures, health, uploads, buyers and messages as the console sees them, and the job runner.

pub mod api;
pub mod audit;
pub mod console;
pub mod health;
pub mod jobs;
pub mod people;
pub mod refusals;
pub mod stats;
pub mod stats_api;
pub mod uploads;
