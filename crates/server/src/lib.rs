//! Minimall's HTTP server: shop API, admin API, web pages, payment callbacks and job workers.
//! The only crate that knows HTTP and JSON.
//!
//! Each domain is a folder: its use cases, its JSON handlers (`*api.rs`) and its pages. `http` and `web` are the
//! shared infrastructure of the API and of the pages.
#![forbid(unsafe_code)]

pub mod accounts;
pub mod aftersales;
pub mod analytics;
pub mod app;
pub mod catalog;
pub mod community;
pub mod config;
pub mod demo;
pub mod distribution;
pub mod error;
pub mod finance;
pub mod flash;
pub mod group_buy;
pub mod http;
pub mod labels;
pub mod members;
pub mod messages;
pub mod ops;
pub mod orders;
pub mod payments;
pub mod personal;
pub mod promotions;
pub mod referral;
pub mod reviews;
pub mod share;
pub mod showcase;
pub mod state;
pub mod stored_value;
pub mod usecase;
pub mod web;

pub use app::Application;
pub use config::Config;
