//! Minimall persistence. The only crate that knows SQL.
//!
//! One code path for SQLite and PostgreSQL through sqlx's `Any` driver: `$n` placeholders, integer money
//! (fen), integer epoch-ms times, flags as INTEGER 0/1, JSON as TEXT. The two migration folders differ only
//! where DDL must (identity columns); `tests/schema.rs` keeps them in lockstep.
//!
//! A read that both pages and write transactions need takes its executor: `store.reader()` outside a
//! transaction, `&mut *tx` inside one (where it sees the transaction's own writes).
#![forbid(unsafe_code)]

pub mod addresses;
pub mod admins;
pub mod aftersales;
pub mod attribution;
pub mod audit;
pub mod buyer_orders;
pub mod buyers;
pub mod catalog;
pub mod community;
mod db;
pub mod distribution;
mod error;
pub mod event_stats;
pub mod events;
pub mod experiments;
pub mod favourites;
pub mod finance;
pub mod flash;
pub mod generate;
pub mod generate_crowd;
pub mod group_buy;
pub mod idempotency;
pub mod imports;
pub mod installation;
pub mod jobs;
pub mod journal;
mod journal_bulk;
pub mod journal_rollup;
pub mod logistics;
pub mod members;
pub mod merchants;
pub mod orders;
pub mod outbox;
pub mod points;
pub mod promotions;
pub mod recommend;
pub mod referral;
pub mod reviews;
pub mod sales;
pub mod schema;
mod script;
pub mod sessions;
pub mod settings;
pub mod showcase;
pub mod stats;
pub mod stock;
pub mod stored_value;
pub mod two_factor;
pub mod uploads;
pub mod writes;

pub use db::{commit, now_ms, redact, Backend, Store, Tx, CHECKPOINT_EVERY};
pub use error::{StoreError, StoreResult};
pub use writes::{Counted, Writes};

/// A page of rows plus the total count of the filtered list.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}
