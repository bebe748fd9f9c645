//! Community groups (社群): the shop's groups of buyers, usually a WeChat group run by a promoter. A group has
//! a join code and a QR code whose link carries channel `community_group`, the group's code as the campaign
//! and the owner's promoter code, so that visits and orders through it are attributed to the group (and a
//! member who joins is bound to the owner by the shop's binding rule). Its coupons are for its members only
//! (the coupon centre does not list them); its pushes put coupons, flash sales and products in front of its
//! members, each with the group's link. Its figures — members, buyers, orders, GMV, commission — are counted
//! from the orders its members placed while members (`store::community`).
//!
//! `cases` holds the use cases, `api` their handlers, `console` and `shop_pages` the pages.

pub mod api;
pub mod cases;
pub mod console;
pub mod shop_pages;

use axum::http::StatusCode;
use minimall_core::social::community::Refusal;

use crate::error::ApiError;

/// A refusal with its status, naming `field` when one field is at fault.
pub fn refused(reason: Refusal, field: Option<&str>) -> ApiError {
    let (status, category) = match reason {
        Refusal::UnknownGroup | Refusal::CouponNotLinked => (StatusCode::NOT_FOUND, "not_found"),
        Refusal::NotMember | Refusal::MembersOnly => (StatusCode::FORBIDDEN, "forbidden"),
        Refusal::OwnerNotPromoter | Refusal::UnknownCoupon | Refusal::UnknownTarget | Refusal::UnknownStatus => {
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        }
        Refusal::Closed | Refusal::AlreadyMember | Refusal::NameTaken => (StatusCode::CONFLICT, "conflict"),
    };
    let e = ApiError::refused(status, category, &reason);
    match field {
        Some(f) => e.with_field(f),
        None => e,
    }
}
