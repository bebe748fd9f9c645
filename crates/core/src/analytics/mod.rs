//! Analytics: tracked events, A/B statistics, sales forecasts, markdown ladders, customer analysis (RFM,
//! cohorts, lifetime value, churn risk) and recommendations. All pure: the store hands over rows, these
//! functions compute.

pub mod ab;
pub mod customers;
pub mod events;
pub mod forecast;
pub mod markdown;
pub mod recommend;
