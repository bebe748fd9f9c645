//! Payment providers.

pub mod sandbox;
pub mod wechat;
pub mod wechat_standin;
