//! Promotions: activities, coupons, freight, points and addresses — the buyer-side inputs of a price — and the
//! quote that assembles them.

pub mod activities;
pub mod admin_api;
pub mod cache;
pub mod console;
pub mod coupons;
pub mod coupons_api;
pub mod freight;
pub mod pricing;
pub mod refusals;
pub mod shop_api;
pub mod shop_pages;
pub mod wallet;
