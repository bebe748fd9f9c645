//! The order state machine: one explicit table of `(from, event) → to`, nothing implicit.
//!
//! There is no resting "paid" status: a successful payment moves a pending order straight to `to_ship`, or to
//! `awaiting_group` for a group-buy (拼团) order, in one step.
//!
//! `close` applies only to an unpaid order (the payment was closed at the provider, or an operator closes
//! it). A paid order reaches `closed` only through a refund event (`group_failed`, `cancel_by_merchant`,
//! `refunded_in_full`), so closing can never keep a buyer's money.

use std::fmt;

use OrderEvent as E;
use OrderStatus as S;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    /// 待付款: placed, not paid yet.
    PendingPayment,
    /// 待成团: a paid group-buy order waiting for the group to fill.
    AwaitingGroup,
    /// 待发货: paid (and, for group buys, the group formed); nothing shipped yet.
    ToShip,
    /// 部分发货: some lines or units shipped, some still to ship.
    PartiallyShipped,
    /// 已发货: everything shipped.
    Shipped,
    /// 已收货: the buyer confirmed receipt, or receipt was confirmed automatically; the after-sales window runs.
    Received,
    /// 已完成: the after-sales window has passed. Terminal.
    Completed,
    /// 已取消: cancelled before any payment. Terminal.
    Cancelled,
    /// 已关闭: closed unpaid, or closed after refunding everything. Terminal.
    Closed,
}

/// Something that happens to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderEvent {
    /// The payment succeeded.
    Pay,
    /// The group-buy group filled.
    GroupFormed,
    /// The group-buy group did not fill in time; the order is refunded.
    GroupFailed,
    /// Some of the order shipped.
    ShipPartial,
    /// The rest (or all) of the order shipped.
    ShipAll,
    /// The buyer confirmed receipt.
    ConfirmReceipt,
    /// Receipt confirmed automatically after the delivery window.
    AutoReceive,
    /// The after-sales window after receipt has passed.
    Complete,
    /// The buyer cancelled an unpaid order.
    CancelByBuyer,
    /// The payment window ran out.
    CancelUnpaidTimeout,
    /// The merchant cancelled: unpaid orders are cancelled, paid-but-unshipped orders are refunded in full.
    CancelByMerchant,
    /// After-sales refunded every line of the order.
    RefundedInFull,
    /// An unpaid order was closed (at the payment provider or by an operator).
    Close,
}

/// Facts about the order that decide where an event leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransitionCtx {
    /// A group-buy (拼团) order: payment leads to `awaiting_group` instead of `to_ship`.
    pub is_group_order: bool,
}

/// An event the order's current status does not accept. The order stays where it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub event: OrderEvent,
}

/// Written for logs.
impl fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an order that is {} cannot take '{}'", self.from.as_str(), self.event.as_str())
    }
}

impl IllegalTransition {
    /// The code and parameter kinds of [`IllegalTransition`], for the catalogue test.
    pub const CODES: &'static [crate::error::CodeSpec] = &[(
        "order.illegal_transition",
        &[("from", crate::error::ParamKind::Label), ("event", crate::error::ParamKind::Label)],
    )];
}

impl crate::error::Coded for IllegalTransition {
    fn code(&self) -> &'static str {
        "order.illegal_transition"
    }

    fn params(&self) -> Vec<(&'static str, crate::error::Param)> {
        use crate::error::Param::Label;
        vec![
            ("from", Label { prefix: "order-status", key: self.from.as_str() }),
            ("event", Label { prefix: "order-event", key: self.event.as_str() }),
        ]
    }
}

impl std::error::Error for IllegalTransition {}

impl OrderStatus {
    pub const ALL: [OrderStatus; 9] = [
        OrderStatus::PendingPayment,
        OrderStatus::AwaitingGroup,
        OrderStatus::ToShip,
        OrderStatus::PartiallyShipped,
        OrderStatus::Shipped,
        OrderStatus::Received,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Closed,
    ];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::AwaitingGroup => "awaiting_group",
            OrderStatus::ToShip => "to_ship",
            OrderStatus::PartiallyShipped => "partially_shipped",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Received => "received",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Closed => "closed",
        }
    }

    /// The inverse of [`OrderStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Completed, cancelled and closed orders accept no event.
    pub fn is_terminal(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Cancelled | OrderStatus::Closed)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OrderEvent {
    pub const ALL: [OrderEvent; 13] = [
        OrderEvent::Pay,
        OrderEvent::GroupFormed,
        OrderEvent::GroupFailed,
        OrderEvent::ShipPartial,
        OrderEvent::ShipAll,
        OrderEvent::ConfirmReceipt,
        OrderEvent::AutoReceive,
        OrderEvent::Complete,
        OrderEvent::CancelByBuyer,
        OrderEvent::CancelUnpaidTimeout,
        OrderEvent::CancelByMerchant,
        OrderEvent::RefundedInFull,
        OrderEvent::Close,
    ];

    /// The stored and wire name (order history, audit log).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderEvent::Pay => "pay",
            OrderEvent::GroupFormed => "group_formed",
            OrderEvent::GroupFailed => "group_failed",
            OrderEvent::ShipPartial => "ship_partial",
            OrderEvent::ShipAll => "ship_all",
            OrderEvent::ConfirmReceipt => "confirm_receipt",
            OrderEvent::AutoReceive => "auto_receive",
            OrderEvent::Complete => "complete",
            OrderEvent::CancelByBuyer => "cancel_by_buyer",
            OrderEvent::CancelUnpaidTimeout => "cancel_unpaid_timeout",
            OrderEvent::CancelByMerchant => "cancel_by_merchant",
            OrderEvent::RefundedInFull => "refunded_in_full",
            OrderEvent::Close => "close",
        }
    }

    /// The inverse of [`OrderEvent::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

impl fmt::Display for OrderEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the table. `group` restricts the row to group-buy orders (`Some(true)`) or to the others
/// (`Some(false)`); `None` applies to every order.
struct Rule {
    from: OrderStatus,
    event: OrderEvent,
    group: Option<bool>,
    to: OrderStatus,
}

const fn rule(from: OrderStatus, event: OrderEvent, to: OrderStatus) -> Rule {
    Rule { from, event, group: None, to }
}

const fn when_group(group: bool, from: OrderStatus, event: OrderEvent, to: OrderStatus) -> Rule {
    Rule { from, event, group: Some(group), to }
}

/// The whole lifecycle. Every `(from, event)` pair not listed here is refused.
const RULES: &[Rule] = &[
    // Payment
    when_group(false, S::PendingPayment, E::Pay, S::ToShip),
    when_group(true, S::PendingPayment, E::Pay, S::AwaitingGroup),
    rule(S::PendingPayment, E::CancelByBuyer, S::Cancelled),
    rule(S::PendingPayment, E::CancelUnpaidTimeout, S::Cancelled),
    rule(S::PendingPayment, E::CancelByMerchant, S::Cancelled),
    rule(S::PendingPayment, E::Close, S::Closed),
    // Group buy
    rule(S::AwaitingGroup, E::GroupFormed, S::ToShip),
    rule(S::AwaitingGroup, E::GroupFailed, S::Closed),
    // Shipping
    rule(S::ToShip, E::ShipPartial, S::PartiallyShipped),
    rule(S::ToShip, E::ShipAll, S::Shipped),
    rule(S::PartiallyShipped, E::ShipPartial, S::PartiallyShipped),
    rule(S::PartiallyShipped, E::ShipAll, S::Shipped),
    rule(S::ToShip, E::CancelByMerchant, S::Closed),
    // Receipt and completion
    rule(S::Shipped, E::ConfirmReceipt, S::Received),
    rule(S::Shipped, E::AutoReceive, S::Received),
    rule(S::Received, E::Complete, S::Completed),
    // After-sales refunded everything
    rule(S::ToShip, E::RefundedInFull, S::Closed),
    rule(S::PartiallyShipped, E::RefundedInFull, S::Closed),
    rule(S::Shipped, E::RefundedInFull, S::Closed),
    rule(S::Received, E::RefundedInFull, S::Closed),
];

fn applies(rule: &Rule, from: OrderStatus, event: OrderEvent, ctx: &TransitionCtx) -> bool {
    rule.from == from && rule.event == event && rule.group.is_none_or(|g| g == ctx.is_group_order)
}

/// Where `event` takes an order that is `from`. A refused event is an [`IllegalTransition`]; the order keeps
/// its status.
pub fn transition(from: OrderStatus, event: OrderEvent, ctx: &TransitionCtx) -> Result<OrderStatus, IllegalTransition> {
    RULES.iter().find(|r| applies(r, from, event, ctx)).map(|r| r.to).ok_or(IllegalTransition { from, event })
}

/// The events an order that is `from` accepts, in table order (the console's action buttons).
pub fn allowed_events(from: OrderStatus, ctx: &TransitionCtx) -> Vec<OrderEvent> {
    let mut out = Vec::new();
    for r in RULES.iter().filter(|r| applies(r, from, r.event, ctx)) {
        if !out.contains(&r.event) {
            out.push(r.event);
        }
    }
    out
}

/// The whole table as `(from, event, to)` rows, for documentation and the console. `pay` from
/// `pending_payment` appears twice: to `to_ship` for ordinary orders and to `awaiting_group` for group buys.
pub fn transitions() -> Vec<(OrderStatus, OrderEvent, OrderStatus)> {
    RULES.iter().map(|r| (r.from, r.event, r.to)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PLAIN: TransitionCtx = TransitionCtx { is_group_order: false };
    const GROUP: TransitionCtx = TransitionCtx { is_group_order: true };

    fn go(from: OrderStatus, event: OrderEvent, ctx: TransitionCtx) -> Result<OrderStatus, IllegalTransition> {
        transition(from, event, &ctx)
    }

    /// The lifecycle written out by hand, independently of `RULES`.
    fn expected(from: OrderStatus, event: OrderEvent, group: bool) -> Option<OrderStatus> {
        use OrderEvent::*;
        use OrderStatus::*;
        Some(match (from, event) {
            (PendingPayment, Pay) if group => AwaitingGroup,
            (PendingPayment, Pay) => ToShip,
            (PendingPayment, CancelByBuyer | CancelUnpaidTimeout | CancelByMerchant) => Cancelled,
            (PendingPayment, Close) => Closed,
            (AwaitingGroup, GroupFormed) => ToShip,
            (AwaitingGroup, GroupFailed) => Closed,
            (ToShip | PartiallyShipped, ShipPartial) => PartiallyShipped,
            (ToShip | PartiallyShipped, ShipAll) => Shipped,
            (ToShip, CancelByMerchant) => Closed,
            (Shipped, ConfirmReceipt | AutoReceive) => Received,
            (Received, Complete) => Completed,
            (ToShip | PartiallyShipped | Shipped | Received, RefundedInFull) => Closed,
            _ => return None,
        })
    }

    #[test]
    fn table_matches_the_lifecycle_for_every_pair() {
        for from in OrderStatus::ALL {
            for event in OrderEvent::ALL {
                for ctx in [PLAIN, GROUP] {
                    let got = go(from, event, ctx);
                    match expected(from, event, ctx.is_group_order) {
                        Some(to) => assert_eq!(got, Ok(to), "{from} + {event} (group {})", ctx.is_group_order),
                        None => assert_eq!(got, Err(IllegalTransition { from, event }), "{from} + {event}"),
                    }
                }
            }
        }
    }

    #[test]
    fn payment_routes_group_orders_to_awaiting_group() {
        assert_eq!(go(S::PendingPayment, E::Pay, PLAIN), Ok(S::ToShip));
        assert_eq!(go(S::PendingPayment, E::Pay, GROUP), Ok(S::AwaitingGroup));
        assert_eq!(go(S::AwaitingGroup, E::GroupFormed, GROUP), Ok(S::ToShip));
        assert_eq!(go(S::AwaitingGroup, E::GroupFailed, GROUP), Ok(S::Closed));
        // Paying twice is refused.
        assert!(go(S::ToShip, E::Pay, PLAIN).is_err());
        assert!(go(S::AwaitingGroup, E::Pay, GROUP).is_err());
    }

    #[test]
    fn happy_paths() {
        let run = |ctx: TransitionCtx, events: &[OrderEvent]| {
            events.iter().try_fold(S::PendingPayment, |s, e| transition(s, *e, &ctx))
        };
        assert_eq!(run(PLAIN, &[E::Pay, E::ShipAll, E::ConfirmReceipt, E::Complete]), Ok(S::Completed));
        assert_eq!(
            run(GROUP, &[E::Pay, E::GroupFormed, E::ShipPartial, E::ShipPartial, E::ShipAll, E::AutoReceive]),
            Ok(S::Received)
        );
        assert_eq!(run(PLAIN, &[E::Pay, E::ShipPartial, E::RefundedInFull]), Ok(S::Closed));
        assert_eq!(run(PLAIN, &[E::Pay, E::CancelByMerchant]), Ok(S::Closed));
        assert_eq!(run(PLAIN, &[E::CancelUnpaidTimeout]), Ok(S::Cancelled));
        assert_eq!(
            run(PLAIN, &[E::Pay, E::ShipAll, E::Complete]),
            Err(IllegalTransition { from: S::Shipped, event: E::Complete })
        );
    }

    #[test]
    fn cancellation_and_closing_rules() {
        // Buyers cancel only before paying; after paying they go through after-sales.
        assert_eq!(go(S::PendingPayment, E::CancelByBuyer, PLAIN), Ok(S::Cancelled));
        for s in [S::AwaitingGroup, S::ToShip, S::PartiallyShipped, S::Shipped, S::Received] {
            assert!(go(s, E::CancelByBuyer, PLAIN).is_err(), "{s}");
            assert!(go(s, E::CancelUnpaidTimeout, PLAIN).is_err(), "{s}");
            // A paid order is never closed without a refund.
            assert!(go(s, E::Close, PLAIN).is_err(), "{s}");
        }
        // The merchant cancels unpaid orders, and paid orders only while nothing has shipped.
        assert_eq!(go(S::PendingPayment, E::CancelByMerchant, PLAIN), Ok(S::Cancelled));
        assert_eq!(go(S::ToShip, E::CancelByMerchant, PLAIN), Ok(S::Closed));
        assert!(go(S::PartiallyShipped, E::CancelByMerchant, PLAIN).is_err());
        assert!(go(S::Shipped, E::CancelByMerchant, PLAIN).is_err());
        assert_eq!(go(S::PendingPayment, E::Close, PLAIN), Ok(S::Closed));
        // A group still forming is settled by the group, not refunded piecemeal.
        assert!(go(S::AwaitingGroup, E::RefundedInFull, GROUP).is_err());
    }

    #[test]
    fn every_status_is_reachable_and_every_live_status_can_move() {
        let mut seen = vec![S::PendingPayment];
        let mut frontier = vec![S::PendingPayment];
        while let Some(s) = frontier.pop() {
            for e in OrderEvent::ALL {
                for ctx in [PLAIN, GROUP] {
                    if let Ok(to) = transition(s, e, &ctx) {
                        if !seen.contains(&to) {
                            seen.push(to);
                            frontier.push(to);
                        }
                    }
                }
            }
        }
        for s in OrderStatus::ALL {
            assert!(seen.contains(&s), "{s} unreachable");
            let exits = allowed_events(s, &PLAIN).len() + allowed_events(s, &GROUP).len();
            assert_eq!(exits == 0, s.is_terminal(), "{s}");
        }
    }

    #[test]
    fn transitions_lists_the_table() {
        let rows = transitions();
        assert_eq!(rows.len(), RULES.len());
        assert!(rows.contains(&(S::PendingPayment, E::Pay, S::ToShip)));
        assert!(rows.contains(&(S::PendingPayment, E::Pay, S::AwaitingGroup)));
        // Every row is what `transition` does for one of the two kinds of order.
        for (from, event, to) in &rows {
            assert!(go(*from, *event, PLAIN) == Ok(*to) || go(*from, *event, GROUP) == Ok(*to), "{from} {event} {to}");
        }
        // Rows are unique.
        for (i, a) in rows.iter().enumerate() {
            assert!(!rows[i + 1..].contains(a), "{a:?} twice");
        }
        // Each (from, event, kind of order) has at most one row, so the table is deterministic.
        for ctx in [PLAIN, GROUP] {
            for r in RULES {
                let n = RULES.iter().filter(|o| applies(o, r.from, r.event, &ctx)).count();
                assert!(n <= 1, "{} {} ambiguous", r.from, r.event);
            }
        }
    }

    #[test]
    fn allowed_events_follow_the_table() {
        assert_eq!(
            allowed_events(S::PendingPayment, &PLAIN),
            vec![E::Pay, E::CancelByBuyer, E::CancelUnpaidTimeout, E::CancelByMerchant, E::Close]
        );
        assert_eq!(allowed_events(S::Shipped, &PLAIN), vec![E::ConfirmReceipt, E::AutoReceive, E::RefundedInFull]);
        assert!(allowed_events(S::Completed, &GROUP).is_empty());
        for s in OrderStatus::ALL {
            for ctx in [PLAIN, GROUP] {
                let allowed = allowed_events(s, &ctx);
                for e in OrderEvent::ALL {
                    assert_eq!(allowed.contains(&e), transition(s, e, &ctx).is_ok(), "{s} {e}");
                }
            }
        }
    }

    #[test]
    fn names_round_trip_and_labels() {
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
            assert_eq!(s.to_string(), s.as_str());
        }
        for e in OrderEvent::ALL {
            assert_eq!(OrderEvent::parse(e.as_str()), Some(e));
        }
        assert_eq!(OrderStatus::parse("paid"), None);
        assert_eq!(OrderStatus::parse("Shipped"), None);
        assert_eq!(OrderEvent::parse(""), None);
        let terminal: Vec<OrderStatus> = OrderStatus::ALL.into_iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(terminal, [S::Completed, S::Cancelled, S::Closed]);
    }

    #[test]
    fn illegal_transition_is_a_code_with_the_status_and_event() {
        use crate::error::{Coded, Param};
        let err = go(S::Shipped, E::CancelByBuyer, PLAIN).unwrap_err();
        assert_eq!(err.to_string(), "an order that is shipped cannot take 'cancel_by_buyer'");
        assert_eq!(err.code(), "order.illegal_transition");
        assert_eq!(
            err.params(),
            [
                ("from", Param::Label { prefix: "order-status", key: "shipped" }),
                ("event", Param::Label { prefix: "order-event", key: "cancel_by_buyer" })
            ]
        );
        let as_error: &dyn std::error::Error = &err;
        assert!(as_error.source().is_none());
    }

    fn any_event() -> impl Strategy<Value = OrderEvent> {
        prop::sample::select(OrderEvent::ALL.to_vec())
    }

    fn any_status() -> impl Strategy<Value = OrderStatus> {
        prop::sample::select(OrderStatus::ALL.to_vec())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_histories_stay_inside_the_table(
            group in any::<bool>(),
            events in prop::collection::vec(any_event(), 0..40),
        ) {
            let ctx = TransitionCtx { is_group_order: group };
            let table = transitions();
            let mut state = S::PendingPayment;
            let mut history = vec![state];
            for e in events {
                match transition(state, e, &ctx) {
                    Ok(to) => {
                        prop_assert!(table.contains(&(state, e, to)), "{} {} {} not in the table", state, e, to);
                        prop_assert!(!state.is_terminal());
                        if to == S::Completed {
                            prop_assert_eq!(state, S::Received);
                        }
                        if to == S::AwaitingGroup {
                            prop_assert!(group);
                        }
                        state = to;
                        history.push(state);
                    }
                    Err(err) => {
                        // Refused: reported against the current status, and nothing in the table would apply.
                        prop_assert_eq!(err, IllegalTransition { from: state, event: e });
                        prop_assert!(!allowed_events(state, &ctx).contains(&e));
                    }
                }
            }
            // Completed is reachable only through Received, which needs Shipped first.
            if let Some(i) = history.iter().position(|s| *s == S::Completed) {
                prop_assert_eq!(history[i - 1], S::Received);
                prop_assert!(history[..i].contains(&S::Shipped));
            }
            // Once terminal, the history ends.
            if let Some(i) = history.iter().position(|s| s.is_terminal()) {
                prop_assert_eq!(i, history.len() - 1);
            }
            // Cancelled happens only to orders that never paid.
            if state == S::Cancelled {
                prop_assert_eq!(&history[..], &[S::PendingPayment, S::Cancelled]);
            }
        }

        #[test]
        fn terminal_states_go_nowhere(
            start in prop::sample::select(vec![S::Cancelled, S::Closed, S::Completed]),
            group in any::<bool>(),
            events in prop::collection::vec(any_event(), 1..40),
        ) {
            let ctx = TransitionCtx { is_group_order: group };
            for e in events {
                prop_assert_eq!(transition(start, e, &ctx), Err(IllegalTransition { from: start, event: e }));
            }
            prop_assert!(allowed_events(start, &ctx).is_empty());
        }

        #[test]
        fn refused_events_change_nothing(from in any_status(), event in any_event(), group in any::<bool>()) {
            let ctx = TransitionCtx { is_group_order: group };
            let before = from;
            match transition(from, event, &ctx) {
                Ok(to) => prop_assert_eq!(Some(to), expected(from, event, group)),
                Err(err) => {
                    prop_assert_eq!(expected(from, event, group), None);
                    prop_assert_eq!(err.from, before);
                    prop_assert_eq!(err.event, event);
                }
            }
        }
    }
}
