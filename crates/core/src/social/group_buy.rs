//! Group buying (拼团): an activity's terms, and the decisions about one group.
//!
//! A buyer **opens** a group by placing an order at the group price (less the leader's discount) and shares
//! it; once the leader has paid, others **join** by placing orders at the group price. Placing an order holds
//! a seat until the order is paid or lapses (the unpaid-order timeout), so concurrent joins for the last seat
//! give one member and a `group_buy.full` refusal to the others. When the N-th member has paid, the group is
//! **complete** and every member's order proceeds to shipping. When the deadline passes first, the group
//! **expires**: every paid member is refunded and every unpaid order cancelled — unless the activity fills
//! groups with mock members (off by default, and shown to buyers when on), which completes a group whose
//! leader has paid.
//!
//! Every decision reads and changes the recorded [`Group`], and a refund is decided at most once per order:
//! the member's state becomes [`MemberState::RefundDue`] and every later decision about that order (a
//! duplicated or late notification, the expiry job run again after a restart) answers that nothing more is
//! to be done. The store keeps the group and runs each decision under the group's row lock.

use crate::error::{count, Label, Reason};
use crate::Money;

pub const GROUP_SIZE_MIN: u32 = 2;
pub const GROUP_SIZE_MAX: u32 = 100;
/// A group's time limit: 5 minutes to 7 days.
pub const TIME_LIMIT_MINUTES_MIN: u32 = 5;
pub const TIME_LIMIT_MINUTES_MAX: u32 = 7 * 24 * 60;
pub const SKUS_MAX: usize = 100;
pub const PER_BUYER_LIMIT_MAX: u32 = 99;
pub const NAME_MAX_CHARS: usize = 40;

/// One SKU of the activity and its group price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSku {
    pub sku_id: i64,
    /// The SKU's usual price, shown struck through.
    pub list_price: Money,
    pub group_price: Money,
}

/// A group-buying activity's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub name: String,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub skus: Vec<GroupSku>,
    /// Members a group needs, the leader included.
    pub group_size: u32,
    /// How long a group stays open after it is opened (cut short by the activity's end).
    pub time_limit_minutes: u32,
    /// Taken off the group price for the leader; the leader still pays at least 1 fen.
    pub leader_discount: Money,
    pub free_shipping: bool,
    /// Seats (orders not lapsed nor refunded) one buyer may hold in the activity at a time.
    pub per_buyer_limit: u32,
    /// Fill a group whose leader has paid with mock members when its time runs out. Off unless set, and
    /// shown to buyers when on.
    pub mock_fill: bool,
}

/// Why terms were refused; `field` names the input at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermsError {
    Name { field: String, max: usize },
    Inverted { field: String },
    NoSkus { field: String },
    TooMany { field: String, max: usize },
    DuplicateSku { field: String },
    OutOfRange { field: String, min: i64, max: i64 },
    GroupPrice { field: String },
    LeaderDiscount { field: String },
}

impl TermsError {
    /// Why, as a coded reason with its values.
    pub fn reason(&self) -> Reason {
        match self {
            TermsError::Name { max, .. } => Reason::Length { min: 1, max: count(*max) },
            TermsError::Inverted { .. } => Reason::NotAfter { other: Label::field("starts_at") },
            TermsError::NoSkus { .. } => Reason::SkuNone,
            TermsError::TooMany { max, .. } => Reason::AtMost { max: count(*max) },
            TermsError::DuplicateSku { .. } => Reason::Duplicate,
            TermsError::OutOfRange { min, max, .. } => Reason::OutOfRange { min: *min, max: *max },
            TermsError::GroupPrice { .. } => Reason::GroupPrice,
            TermsError::LeaderDiscount { .. } => Reason::LeaderDiscount,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            TermsError::Name { .. } => "group_buy.name",
            TermsError::Inverted { .. } => "range.inverted",
            TermsError::NoSkus { .. } => "group_buy.no_skus",
            TermsError::TooMany { .. } => "list.too_many",
            TermsError::DuplicateSku { .. } => "group_buy.duplicate_sku",
            TermsError::OutOfRange { .. } => "number.out_of_range",
            TermsError::GroupPrice { .. } => "group_buy.group_price",
            TermsError::LeaderDiscount { .. } => "group_buy.leader_discount",
        }
    }

    pub fn field(&self) -> &str {
        match self {
            TermsError::Name { field, .. }
            | TermsError::Inverted { field }
            | TermsError::NoSkus { field }
            | TermsError::TooMany { field, .. }
            | TermsError::DuplicateSku { field }
            | TermsError::OutOfRange { field, .. }
            | TermsError::GroupPrice { field }
            | TermsError::LeaderDiscount { field } => field,
        }
    }
}

fn range(field: &str, v: i64, min: i64, max: i64) -> Result<(), TermsError> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(TermsError::OutOfRange { field: field.to_string(), min, max })
    }
}

impl Terms {
    pub fn validate(&self) -> Result<(), TermsError> {
        let n = self.name.trim().chars().count();
        if n == 0 || self.name.chars().count() > NAME_MAX_CHARS || self.name.chars().any(char::is_control) {
            return Err(TermsError::Name { field: "name".into(), max: NAME_MAX_CHARS });
        }
        if self.ends_at_ms <= self.starts_at_ms {
            return Err(TermsError::Inverted { field: "ends_at".into() });
        }
        if self.skus.is_empty() {
            return Err(TermsError::NoSkus { field: "skus".into() });
        }
        if self.skus.len() > SKUS_MAX {
            return Err(TermsError::TooMany { field: "skus".into(), max: SKUS_MAX });
        }
        for (i, s) in self.skus.iter().enumerate() {
            if s.sku_id <= 0 {
                return Err(TermsError::OutOfRange { field: format!("skus[{i}].sku_id"), min: 1, max: i64::MAX });
            }
            if self.skus[..i].iter().any(|o| o.sku_id == s.sku_id) {
                return Err(TermsError::DuplicateSku { field: format!("skus[{i}].sku_id") });
            }
            range(&format!("skus[{i}].list_price"), s.list_price.fen(), 1, crate::money::MAX_INPUT_FEN)?;
            if s.group_price.fen() < 1 || s.group_price > s.list_price {
                return Err(TermsError::GroupPrice { field: format!("skus[{i}].group_price") });
            }
        }
        range("group_size", i64::from(self.group_size), i64::from(GROUP_SIZE_MIN), i64::from(GROUP_SIZE_MAX))?;
        range(
            "time_limit_minutes",
            i64::from(self.time_limit_minutes),
            i64::from(TIME_LIMIT_MINUTES_MIN),
            i64::from(TIME_LIMIT_MINUTES_MAX),
        )?;
        range("per_buyer_limit", i64::from(self.per_buyer_limit), 1, i64::from(PER_BUYER_LIMIT_MAX))?;
        let cheapest = self.skus.iter().map(|s| s.group_price).min().unwrap_or(Money::ZERO);
        if self.leader_discount.is_negative() || self.leader_discount >= cheapest {
            return Err(TermsError::LeaderDiscount { field: "leader_discount".into() });
        }
        Ok(())
    }

    pub fn sku(&self, sku_id: i64) -> Option<&GroupSku> {
        self.skus.iter().find(|s| s.sku_id == sku_id)
    }

    /// What one unit of `sku_id` costs the leader (group price less the leader's discount, at least 1 fen)
    /// or a member (the group price). Shipping is free when [`Terms::free_shipping`].
    pub fn seat_price(&self, sku_id: i64, leader: bool) -> Result<Money, Refusal> {
        let sku = self.sku(sku_id).ok_or(Refusal::SkuNotInActivity)?;
        if !leader {
            return Ok(sku.group_price);
        }
        Ok(Money::from_fen((sku.group_price.fen() - self.leader_discount.fen().max(0)).max(1)))
    }

    /// The deadline of a group opened at `now_ms`: the time limit, cut short by the activity's end.
    pub fn deadline(&self, opened_at_ms: i64) -> i64 {
        opened_at_ms.saturating_add(i64::from(self.time_limit_minutes) * 60_000).min(self.ends_at_ms)
    }
}

crate::coded_enum! {
    /// Why a buyer may not open or join a group.
    #[derive(Copy)]
    pub enum Refusal {
        NotStarted = "group_buy.not_started",
        Ended = "group_buy.ended",
        SkuNotInActivity = "group_buy.sku_not_in_activity",
        /// The group is complete or expired.
        GroupClosed = "group_buy.group_closed",
        /// The group's time ran out (its expiry has not been recorded yet).
        DeadlinePassed = "group_buy.deadline_passed",
        /// Others join once the leader has paid.
        LeaderUnpaid = "group_buy.leader_unpaid",
        /// Every seat is taken (paid or held by an order awaiting payment).
        Full = "group_buy.full",
        AlreadyMember = "group_buy.already_member",
        LimitReached = "group_buy.limit_reached",
    }
}

impl Refusal {
    /// The stable code.
    pub fn code(self) -> &'static str {
        crate::error::Coded::code(&self)
    }

    /// The request field the refusal is about.
    pub fn field(self) -> &'static str {
        match self {
            Refusal::NotStarted | Refusal::Ended | Refusal::LimitReached => "activity_id",
            Refusal::SkuNotInActivity => "sku_id",
            _ => "group_id",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStatus {
    /// Waiting for members (待成团).
    Open,
    /// Every seat paid (or filled by mock members): the orders proceed.
    Complete,
    /// Time ran out: paid members are refunded.
    Expired,
}

impl GroupStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Open => "open",
            GroupStatus::Complete => "complete",
            GroupStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<GroupStatus> {
        [GroupStatus::Open, GroupStatus::Complete, GroupStatus::Expired].into_iter().find(|g| g.as_str() == s)
    }
}

/// Why a member's payment is given back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundReason {
    /// The member paid and the group's time ran out.
    GroupExpired,
    /// The order lapsed unpaid and its seat was released; its payment came later.
    SeatReleased,
    /// The payment came after the group had completed or expired, or after its deadline.
    GroupClosed,
}

impl RefundReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            RefundReason::GroupExpired => "group_expired",
            RefundReason::SeatReleased => "seat_released",
            RefundReason::GroupClosed => "group_closed",
        }
    }

    pub fn parse(s: &str) -> Option<RefundReason> {
        [RefundReason::GroupExpired, RefundReason::SeatReleased, RefundReason::GroupClosed]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// The order is placed and holds a seat until it is paid or lapses.
    AwaitingPayment,
    Paid,
    /// The order lapsed unpaid (or was cancelled at expiry); its seat is free.
    Lapsed,
    /// The payment is to be given back (decided once).
    RefundDue(RefundReason),
}

impl MemberState {
    /// Whether the member holds a seat.
    pub fn holds_seat(self) -> bool {
        matches!(self, MemberState::AwaitingPayment | MemberState::Paid)
    }
}

/// One order placed into a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub buyer_id: i64,
    pub order_id: i64,
    pub leader: bool,
    pub joined_at_ms: i64,
    pub state: MemberState,
}

/// A group as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub size: u32,
    pub opened_at_ms: i64,
    pub deadline_ms: i64,
    pub status: GroupStatus,
    /// Every order placed into the group, in order of placing; the first is the leader's.
    pub members: Vec<Member>,
    /// Seats filled by mock members at the deadline.
    pub mock_seats: u32,
}

/// What a payment for a member's order means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentDecision {
    /// The member is seated; when the payment completes the group, `completed` lists every member's order,
    /// which now proceed to shipping.
    Seated { completed: Option<Vec<i64>> },
    /// Give the payment back (decided now, once).
    Refund(RefundReason),
    /// A repeated notification of a payment already seated: nothing to do.
    AlreadyPaid,
    /// A repeated notification of a payment already being given back: nothing to do.
    AlreadyRefunding,
    /// The order is not this group's.
    UnknownOrder,
}

/// What the group's time running out means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpiryDecision {
    /// The deadline is ahead: run again at `at_ms`.
    NotYet { at_ms: i64 },
    /// Already complete or expired: nothing to do (a repeated run).
    Nothing,
    /// Time ran out: give back these orders' payments and cancel these unpaid orders.
    Expired { refund: Vec<i64>, cancel: Vec<i64> },
    /// Mock members filled the group: these paid orders proceed, these unpaid orders are cancelled.
    MockFilled { proceed: Vec<i64>, cancel: Vec<i64>, mock_seats: u32 },
}

/// Whether a buyer may open a group of the activity at `now_ms`, holding `buyer_seats` seats in it already.
pub fn may_open(terms: &Terms, sku_id: i64, now_ms: i64, buyer_seats: u32) -> Result<(), Refusal> {
    window(terms, now_ms)?;
    terms.sku(sku_id).ok_or(Refusal::SkuNotInActivity)?;
    if buyer_seats >= terms.per_buyer_limit {
        return Err(Refusal::LimitReached);
    }
    Ok(())
}

fn window(terms: &Terms, now_ms: i64) -> Result<(), Refusal> {
    if now_ms < terms.starts_at_ms {
        Err(Refusal::NotStarted)
    } else if now_ms >= terms.ends_at_ms {
        Err(Refusal::Ended)
    } else {
        Ok(())
    }
}

impl Group {
    /// A group opened by `buyer_id`'s order `order_id` (awaiting payment).
    pub fn open(
        terms: &Terms,
        sku_id: i64,
        buyer_id: i64,
        order_id: i64,
        now_ms: i64,
        buyer_seats: u32,
    ) -> Result<Group, Refusal> {
        may_open(terms, sku_id, now_ms, buyer_seats)?;
        Ok(Group {
            size: terms.group_size,
            opened_at_ms: now_ms,
            deadline_ms: terms.deadline(now_ms),
            status: GroupStatus::Open,
            members: vec![Member {
                buyer_id,
                order_id,
                leader: true,
                joined_at_ms: now_ms,
                state: MemberState::AwaitingPayment,
            }],
            mock_seats: 0,
        })
    }

    /// Seats held (paid, or held by an order awaiting payment).
    pub fn seats_taken(&self) -> u32 {
        self.members.iter().filter(|m| m.state.holds_seat()).count() as u32
    }

    pub fn paid(&self) -> u32 {
        self.members.iter().filter(|m| m.state == MemberState::Paid).count() as u32
    }

    pub fn seats_left(&self) -> u32 {
        self.size.saturating_sub(self.seats_taken() + self.mock_seats)
    }

    fn leader_paid(&self) -> bool {
        self.members.iter().any(|m| m.leader && m.state == MemberState::Paid)
    }

    /// Whether `buyer_id` may join at `now_ms` with `sku_id`, holding `buyer_seats` seats in the activity.
    pub fn may_join(
        &self,
        terms: &Terms,
        sku_id: i64,
        buyer_id: i64,
        now_ms: i64,
        buyer_seats: u32,
    ) -> Result<(), Refusal> {
        window(terms, now_ms)?;
        terms.sku(sku_id).ok_or(Refusal::SkuNotInActivity)?;
        if self.status != GroupStatus::Open {
            return Err(Refusal::GroupClosed);
        }
        if now_ms >= self.deadline_ms {
            return Err(Refusal::DeadlinePassed);
        }
        if !self.leader_paid() {
            return Err(Refusal::LeaderUnpaid);
        }
        if self.members.iter().any(|m| m.buyer_id == buyer_id && m.state.holds_seat()) {
            return Err(Refusal::AlreadyMember);
        }
        if self.seats_left() == 0 {
            return Err(Refusal::Full);
        }
        if buyer_seats >= terms.per_buyer_limit {
            return Err(Refusal::LimitReached);
        }
        Ok(())
    }

    /// Seat `buyer_id`'s order `order_id` (awaiting payment) if [`Group::may_join`] allows it.
    pub fn join(
        &mut self,
        terms: &Terms,
        sku_id: i64,
        buyer_id: i64,
        order_id: i64,
        now_ms: i64,
        buyer_seats: u32,
    ) -> Result<(), Refusal> {
        self.may_join(terms, sku_id, buyer_id, now_ms, buyer_seats)?;
        self.members.push(Member {
            buyer_id,
            order_id,
            leader: false,
            joined_at_ms: now_ms,
            state: MemberState::AwaitingPayment,
        });
        Ok(())
    }

    /// A payment for `order_id` arrived at `now_ms`.
    pub fn on_payment(&mut self, order_id: i64, now_ms: i64) -> PaymentDecision {
        let (open, deadline) = (self.status == GroupStatus::Open, self.deadline_ms);
        let Some(m) = self.members.iter_mut().find(|m| m.order_id == order_id) else {
            return PaymentDecision::UnknownOrder;
        };
        match m.state {
            MemberState::Paid => return PaymentDecision::AlreadyPaid,
            MemberState::RefundDue(_) => return PaymentDecision::AlreadyRefunding,
            MemberState::Lapsed => {
                let reason = if open { RefundReason::SeatReleased } else { RefundReason::GroupClosed };
                m.state = MemberState::RefundDue(reason);
                return PaymentDecision::Refund(reason);
            }
            MemberState::AwaitingPayment => {}
        }
        if !open || now_ms >= deadline {
            m.state = MemberState::RefundDue(RefundReason::GroupClosed);
            return PaymentDecision::Refund(RefundReason::GroupClosed);
        }
        m.state = MemberState::Paid;
        if self.paid() + self.mock_seats >= self.size {
            self.status = GroupStatus::Complete;
            let orders = self.members.iter().filter(|m| m.state == MemberState::Paid).map(|m| m.order_id).collect();
            return PaymentDecision::Seated { completed: Some(orders) };
        }
        PaymentDecision::Seated { completed: None }
    }

    /// `order_id` lapsed unpaid (or was cancelled by its buyer): its seat is released. When the leader's
    /// order lapses before it was paid, the group closes (nobody else can have joined). Answers whether
    /// anything changed.
    pub fn lapse(&mut self, order_id: i64) -> bool {
        let Some(m) = self.members.iter_mut().find(|m| m.order_id == order_id) else {
            return false;
        };
        if m.state != MemberState::AwaitingPayment {
            return false;
        }
        m.state = MemberState::Lapsed;
        if m.leader && self.status == GroupStatus::Open {
            self.status = GroupStatus::Expired;
        }
        true
    }

    /// The expiry job at `now_ms`.
    pub fn expire(&mut self, mock_fill: bool, now_ms: i64) -> ExpiryDecision {
        if self.status != GroupStatus::Open {
            return ExpiryDecision::Nothing;
        }
        if now_ms < self.deadline_ms {
            return ExpiryDecision::NotYet { at_ms: self.deadline_ms };
        }
        let mut cancel = Vec::new();
        for m in self.members.iter_mut().filter(|m| m.state == MemberState::AwaitingPayment) {
            m.state = MemberState::Lapsed;
            cancel.push(m.order_id);
        }
        if mock_fill && self.leader_paid() {
            self.mock_seats = self.size.saturating_sub(self.paid());
            self.status = GroupStatus::Complete;
            let proceed = self.members.iter().filter(|m| m.state == MemberState::Paid).map(|m| m.order_id).collect();
            return ExpiryDecision::MockFilled { proceed, cancel, mock_seats: self.mock_seats };
        }
        self.status = GroupStatus::Expired;
        let mut refund = Vec::new();
        for m in self.members.iter_mut().filter(|m| m.state == MemberState::Paid) {
            m.state = MemberState::RefundDue(RefundReason::GroupExpired);
            refund.push(m.order_id);
        }
        ExpiryDecision::Expired { refund, cancel }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    const MIN: i64 = 60_000;

    fn terms() -> Terms {
        Terms {
            name: "三人团".into(),
            starts_at_ms: 0,
            ends_at_ms: 10 * 24 * 60 * MIN,
            skus: vec![GroupSku { sku_id: 7, list_price: Money::from_fen(5_900), group_price: Money::from_fen(3_900) }],
            group_size: 3,
            time_limit_minutes: 24 * 60,
            leader_discount: Money::from_fen(500),
            free_shipping: true,
            per_buyer_limit: 2,
            mock_fill: false,
        }
    }

    #[test]
    fn terms_are_checked_field_by_field() {
        assert_eq!(terms().validate(), Ok(()));
        let bad = |f: fn(&mut Terms)| {
            let mut t = terms();
            f(&mut t);
            let e = t.validate().unwrap_err();
            (e.code(), e.field().to_string())
        };
        assert_eq!(bad(|t| t.group_size = 1), ("number.out_of_range", "group_size".into()));
        assert_eq!(bad(|t| t.group_size = 101), ("number.out_of_range", "group_size".into()));
        assert_eq!(bad(|t| t.time_limit_minutes = 4), ("number.out_of_range", "time_limit_minutes".into()));
        assert_eq!(bad(|t| t.per_buyer_limit = 0), ("number.out_of_range", "per_buyer_limit".into()));
        assert_eq!(bad(|t| t.name = " ".into()), ("group_buy.name", "name".into()));
        assert_eq!(bad(|t| t.ends_at_ms = 0), ("range.inverted", "ends_at".into()));
        assert_eq!(bad(|t| t.skus.clear()), ("group_buy.no_skus", "skus".into()));
        assert_eq!(
            bad(|t| t.skus[0].group_price = Money::from_fen(6_000)),
            ("group_buy.group_price", "skus[0].group_price".into())
        );
        assert_eq!(
            bad(|t| t.skus[0].group_price = Money::ZERO),
            ("group_buy.group_price", "skus[0].group_price".into())
        );
        assert_eq!(
            bad(|t| {
                let s = t.skus[0];
                t.skus.push(s)
            }),
            ("group_buy.duplicate_sku", "skus[1].sku_id".into())
        );
        assert_eq!(
            bad(|t| t.leader_discount = Money::from_fen(3_900)),
            ("group_buy.leader_discount", "leader_discount".into())
        );
        assert_eq!(bad(|t| t.leader_discount = Money::from_fen(-1)).0, "group_buy.leader_discount");
        assert!(!terms().mock_fill);
    }

    #[test]
    fn the_leader_pays_the_group_price_less_the_discount() {
        let t = terms();
        assert_eq!(t.seat_price(7, true), Ok(Money::from_fen(3_400)));
        assert_eq!(t.seat_price(7, false), Ok(Money::from_fen(3_900)));
        assert_eq!(t.seat_price(8, false), Err(Refusal::SkuNotInActivity));
        // The deadline is the time limit, cut short by the activity's end.
        assert_eq!(t.deadline(0), 24 * 60 * MIN);
        assert_eq!(t.deadline(t.ends_at_ms - MIN), t.ends_at_ms);
    }

    #[test]
    fn a_group_of_three_completes_when_the_third_pays() {
        let t = terms();
        let mut g = Group::open(&t, 7, 1, 100, 0, 0).unwrap();
        assert_eq!(g.may_join(&t, 7, 2, MIN, 0), Err(Refusal::LeaderUnpaid));
        assert_eq!(g.on_payment(100, MIN), PaymentDecision::Seated { completed: None });
        assert_eq!(g.on_payment(100, MIN), PaymentDecision::AlreadyPaid);
        assert_eq!(g.join(&t, 7, 1, 101, MIN, 1), Err(Refusal::AlreadyMember));
        g.join(&t, 7, 2, 101, MIN, 0).unwrap();
        g.join(&t, 7, 3, 102, MIN, 0).unwrap();
        // The last seat is held by buyer 3's unpaid order: a fourth buyer is refused.
        assert_eq!(g.join(&t, 7, 4, 103, MIN, 0), Err(Refusal::Full));
        assert_eq!(g.join(&t, 7, 4, 103, MIN, 2), Err(Refusal::Full));
        assert_eq!(g.on_payment(101, 2 * MIN), PaymentDecision::Seated { completed: None });
        assert_eq!(g.on_payment(102, 3 * MIN), PaymentDecision::Seated { completed: Some(vec![100, 101, 102]) });
        assert_eq!(g.status, GroupStatus::Complete);
        assert_eq!(g.expire(false, g.deadline_ms), ExpiryDecision::Nothing);
        assert_eq!(g.join(&t, 7, 5, 104, 4 * MIN, 0), Err(Refusal::GroupClosed));
    }

    #[test]
    fn per_buyer_limit_and_activity_window_refuse_with_their_codes() {
        let t = terms();
        assert_eq!(may_open(&t, 7, 0, 2), Err(Refusal::LimitReached));
        assert_eq!(Refusal::LimitReached.code(), "group_buy.limit_reached");
        assert_eq!(may_open(&t, 7, -1, 0), Err(Refusal::NotStarted));
        assert_eq!(may_open(&t, 7, t.ends_at_ms, 0), Err(Refusal::Ended));
        assert_eq!(may_open(&t, 9, 0, 0).unwrap_err().field(), "sku_id");
        let mut g = Group::open(&t, 7, 1, 100, 0, 0).unwrap();
        g.on_payment(100, 0);
        assert_eq!(g.may_join(&t, 7, 2, 0, 2), Err(Refusal::LimitReached));
        assert_eq!(g.may_join(&t, 7, 2, g.deadline_ms, 0), Err(Refusal::DeadlinePassed));
    }

    #[test]
    fn a_group_that_expires_with_two_of_three_paid_refunds_both_once() {
        let t = terms();
        let mut g = Group::open(&t, 7, 1, 100, 0, 0).unwrap();
        g.on_payment(100, 0);
        g.join(&t, 7, 2, 101, MIN, 0).unwrap();
        g.on_payment(101, MIN);
        g.join(&t, 7, 3, 102, MIN, 0).unwrap();
        assert_eq!(g.expire(false, g.deadline_ms - 1), ExpiryDecision::NotYet { at_ms: g.deadline_ms });
        assert_eq!(
            g.expire(false, g.deadline_ms),
            ExpiryDecision::Expired { refund: vec![100, 101], cancel: vec![102] }
        );
        // The job again (a restart), duplicated and late notifications: nothing more, and the unpaid
        // order's payment that arrives after the expiry is given back.
        assert_eq!(g.expire(false, g.deadline_ms + 1), ExpiryDecision::Nothing);
        assert_eq!(g.on_payment(101, g.deadline_ms + 2), PaymentDecision::AlreadyRefunding);
        assert_eq!(g.on_payment(102, g.deadline_ms + 2), PaymentDecision::Refund(RefundReason::GroupClosed));
        assert_eq!(g.on_payment(102, g.deadline_ms + 3), PaymentDecision::AlreadyRefunding);
        assert_eq!(g.on_payment(999, 0), PaymentDecision::UnknownOrder);
    }

    #[test]
    fn a_payment_for_a_released_seat_is_refunded_and_the_seat_stays_with_its_new_holder() {
        let t = terms();
        let mut g = Group::open(&t, 7, 1, 100, 0, 0).unwrap();
        g.on_payment(100, 0);
        g.join(&t, 7, 2, 101, MIN, 0).unwrap();
        g.join(&t, 7, 3, 102, MIN, 0).unwrap();
        assert!(g.lapse(101));
        assert!(!g.lapse(101));
        g.join(&t, 7, 4, 103, 2 * MIN, 0).unwrap();
        assert_eq!(g.on_payment(101, 3 * MIN), PaymentDecision::Refund(RefundReason::SeatReleased));
        g.on_payment(102, 3 * MIN);
        assert_eq!(g.on_payment(103, 3 * MIN), PaymentDecision::Seated { completed: Some(vec![100, 102, 103]) });
        // A buyer whose order lapsed may join another group again; a leader's lapse closes an unpaid group.
        let mut h = Group::open(&t, 7, 5, 200, 0, 0).unwrap();
        assert!(h.lapse(200));
        assert_eq!(h.status, GroupStatus::Expired);
        assert_eq!(h.expire(false, h.deadline_ms), ExpiryDecision::Nothing);
    }

    #[test]
    fn mock_fill_completes_a_group_whose_leader_paid() {
        let t = terms();
        let mut g = Group::open(&t, 7, 1, 100, 0, 0).unwrap();
        g.on_payment(100, 0);
        g.join(&t, 7, 2, 101, MIN, 0).unwrap();
        assert_eq!(
            g.expire(true, g.deadline_ms),
            ExpiryDecision::MockFilled { proceed: vec![100], cancel: vec![101], mock_seats: 2 }
        );
        assert_eq!(g.status, GroupStatus::Complete);
        assert_eq!(g.seats_left(), 0);
        let mut unpaid = Group::open(&t, 7, 1, 300, 0, 0).unwrap();
        assert_eq!(
            unpaid.expire(true, unpaid.deadline_ms),
            ExpiryDecision::Expired { refund: vec![], cancel: vec![300] }
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        Join(i64),
        Pay(usize),
        Lapse(usize),
        Tick(i64),
        Expire,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..12).prop_map(Op::Join),
            any::<usize>().prop_map(Op::Pay),
            any::<usize>().prop_map(Op::Lapse),
            (0i64..30).prop_map(Op::Tick),
            Just(Op::Expire),
        ]
    }

    proptest! {
        /// Whatever the interleaving of joins, payments (repeated and late), lapses and expiry runs: seats
        /// never exceed the size, no buyer holds two seats, a refund is decided at most once per order, and
        /// once the group is decided every paid order is either in the complete group or refunded, once.
        #[test]
        fn every_payment_ends_seated_or_refunded_exactly_once(
            size in 2u32..6,
            mock in any::<bool>(),
            ops in prop::collection::vec(op(), 1..80),
        ) {
            let mut t = terms();
            t.group_size = size;
            t.time_limit_minutes = 20;
            t.mock_fill = mock;
            t.per_buyer_limit = 1;
            let mut g = Group::open(&t, 7, 1, 1000, 0, 0).unwrap();
            let mut now = 0i64;
            let mut next_order = 1001i64;
            let mut refunds: HashMap<i64, u32> = HashMap::new();
            let mut paid_seen: HashSet<i64> = HashSet::new();
            for op in ops {
                match op {
                    Op::Join(buyer) => {
                        let seats = u32::from(g.members.iter().any(|m| m.buyer_id == buyer && m.state.holds_seat()));
                        if g.join(&t, 7, buyer, next_order, now, seats).is_ok() {
                            next_order += 1;
                        }
                    }
                    Op::Pay(i) => {
                        let order = g.members[i % g.members.len()].order_id;
                        paid_seen.insert(order);
                        match g.on_payment(order, now) {
                            PaymentDecision::Refund(_) => *refunds.entry(order).or_default() += 1,
                            PaymentDecision::Seated { .. } => prop_assert!(now < g.deadline_ms, "seated after the deadline"),
                            _ => {}
                        }
                    }
                    Op::Lapse(i) => {
                        let order = g.members[i % g.members.len()].order_id;
                        g.lapse(order);
                    }
                    Op::Tick(dt) => now += dt * MIN,
                    Op::Expire => {
                        if let ExpiryDecision::Expired { refund, .. } = g.expire(t.mock_fill, now) {
                            for o in refund { *refunds.entry(o).or_default() += 1; }
                        }
                    }
                }
                prop_assert!(g.seats_taken() + g.mock_seats <= g.size);
                let mut holders = HashSet::new();
                for m in g.members.iter().filter(|m| m.state.holds_seat()) {
                    prop_assert!(holders.insert(m.buyer_id), "buyer {} holds two seats", m.buyer_id);
                }
                prop_assert!(refunds.values().all(|&n| n == 1));
                if g.status == GroupStatus::Complete {
                    prop_assert_eq!(g.paid() + g.mock_seats, g.size);
                }
            }
            // Run the job once more after the deadline, then every payment is accounted for.
            if let ExpiryDecision::Expired { refund, .. } = g.expire(t.mock_fill, g.deadline_ms.max(now)) {
                for o in refund { *refunds.entry(o).or_default() += 1; }
            }
            prop_assert_eq!(g.expire(t.mock_fill, i64::MAX), ExpiryDecision::Nothing);
            prop_assert!(refunds.values().all(|&n| n == 1));
            for order in paid_seen {
                let m = g.members.iter().find(|m| m.order_id == order).unwrap();
                let seated = m.state == MemberState::Paid && g.status == GroupStatus::Complete;
                let refunded = refunds.get(&order) == Some(&1);
                prop_assert!(seated != refunded, "order {} seated {} refunded {}", order, seated, refunded);
            }
            prop_assert!(g.members.iter().all(|m| m.state != MemberState::AwaitingPayment));
        }
    }
}
