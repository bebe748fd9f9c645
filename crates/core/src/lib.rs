//! The Minimall domain. Everything here is pure: no I/O, no clock, no database, no HTTP.
//! Callers pass the current time in as epoch milliseconds.
#![forbid(unsafe_code)]

pub mod analytics;
pub mod auth;
pub mod catalog;
pub mod error;
pub mod flash;
pub mod ids;
pub mod jobs;
pub mod ledger;
pub mod members;
pub mod money;
pub mod orders;
pub mod page;
pub mod pricing;
pub mod social;
pub mod time;
pub mod two_factor;
pub mod validate;

pub use error::FieldError;
pub use ids::{BuyerId, MerchantId, OrderId, ProductId, SkuId};
pub use money::Money;
