//! Members: levels and their benefits, points (earning, lots, expiry, reversal), daily sign-in, lifecycle
//! stages and profile bands. Pure rules; the store keeps the rows and the journal keeps the values.

pub mod levels;
pub mod lifecycle;
pub mod points;
pub mod segment;
pub mod signin;

pub use levels::{Benefits, Level, LevelChange, Progress, Threshold};
pub use points::{EarnLine, ExpiryPolicy, Lot, PointsError, Take};
