//! Orders: the lifecycle of an order, after-sales refund arithmetic, the payment-channel fee and the order
//! number sent to the payment provider.
//!
//! Lifecycle (see [`transitions`] for the full table):
//!
//! ```text
//! pending_payment ──pay──▶ to_ship ──ship_partial──▶ partially_shipped ──ship_all──▶ shipped
//!        │          └─pay (group)─▶ awaiting_group ──group_formed──▶ to_ship
//!        │                                  └──group_failed──▶ closed (refunded)
//!        ├─cancel_by_buyer / cancel_unpaid_timeout / cancel_by_merchant──▶ cancelled
//!        └─close──▶ closed
//! shipped ──confirm_receipt / auto_receive──▶ received ──complete──▶ completed
//! to_ship, partially_shipped, shipped, received ──refunded_in_full──▶ closed
//! to_ship ──cancel_by_merchant──▶ closed (everything refunded)
//! ```
//!
//! `completed`, `cancelled` and `closed` are terminal. An order is `cancelled` only when no money was ever
//! taken; `closed` after payment always means the buyer's money went back in full.
//!
//! Money here is exact to the fen: refunding a line one unit at a time, or in any split, returns exactly
//! what was paid for it — never a fen more, never a fen less once every unit is back.

mod payment;
mod refund;
mod state;

pub use payment::{order_no, payment_fee};
pub use refund::{refund_shipping, refundable_amount, refundable_points, LineMoney};
pub use state::{allowed_events, transition, transitions, IllegalTransition, OrderEvent, OrderStatus, TransitionCtx};
