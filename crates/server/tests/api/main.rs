//! The HTTP API, end to end, on SQLite and (when configured) PostgreSQL.

mod helpers;

mod adjustments;
mod aftersales;
mod analytics;
mod attribution;
mod auth;
mod buyer;
mod buyer_login;
mod catalog;
mod crawl;
mod distribution;
mod faults;
mod finance;
mod flash;
mod forecast;
mod group_buy;
mod hardening;
mod idempotency;
mod import;
mod input;
mod installation;
mod jobs;
mod journal_props;
mod ledger;
mod members;
mod ops;
mod orders;
mod personal;
mod pickup;
mod pricing;
mod referral;
mod stats;
mod two_factor;
mod web;
mod wechat;
