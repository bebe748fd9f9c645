//! Minimall's HTTP server: shop API, admin API, web pages, payment callbacks and job workers.
//! The only crate that knows HTTP and JSON.
#![forbid(unsafe_code)]

pub mod aftersales;
pub mod app;
pub mod auth;
pub mod catalog;
pub mod catalog_cache;
pub mod client_addr;
pub mod config;
pub mod demo;
pub mod demo_catalog;
pub mod demo_orders;
pub mod demo_promotions;
pub mod error;
pub mod extract;
pub mod flash;
pub mod flash_redis;
pub mod idempotency;
pub mod import;
pub mod jobs;
pub mod login_throttle;
pub mod metrics;
pub mod orders;
pub mod payments;
pub mod pricing;
pub mod pricing_cache;
pub mod routes;
pub mod state;
pub mod two_factor;
pub mod web;

pub use app::Application;
pub use config::Config;
