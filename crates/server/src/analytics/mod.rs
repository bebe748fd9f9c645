//! Analytics: tracked events (the storefront's batches and the events the server records where the business
//! happens), their daily rollups kept by durable jobs and recounted on demand, and the dashboards and customer
//! tables of the console, every figure one aggregate over the rows it comes from.
//!
//! Recommendations (`recommend`) are precomputed neighbours kept up to date by a durable job, and A/B
//! experiments (`experiments`) measure a placement's strategies against each other.
//!
//! The rules are `minimall_core::analytics`; the tables are `minimall_store::events` and
//! `minimall_store::event_stats`. Use cases are plain functions; `api.rs` and `console.rs` adapt them.

pub mod api;
pub mod console;
pub mod customers;
pub mod dashboard;
pub mod experiments;
pub mod experiments_console;
pub mod forecast;
pub mod forecast_api;
pub mod forecast_console;
pub mod ingest;
pub mod recommend;
pub mod recommend_api;
pub mod recommend_pages;
pub mod record;
pub mod refusals;
pub mod rollup;
