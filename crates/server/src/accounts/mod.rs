//! Accounts: console users and their sign-in (passwords, sessions, two-factor, login throttling), buyers' sign-in.

pub mod admin_api;
pub mod auth;
pub mod console;
pub mod login_throttle;
pub mod refusals;
pub mod sessions;
pub mod shop_api;
pub mod shop_pages;
pub mod two_factor;
pub mod two_factor_api;
pub mod two_factor_cases;
pub mod users;
pub mod users_api;
