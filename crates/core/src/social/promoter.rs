//! Promoters (推广员): who may become one, and which promoter a buyer is bound to.
//!
//! An application is decided by the shop's [`ApprovalRule`]: every application goes to an operator
//! (`Manual`), or it is approved at once when the buyer meets the thresholds and otherwise goes to an operator
//! (`Automatic`). A buyer is bound to the promoter whose link, poster or code they came through
//! ([`bind`]): with first touch a binding holds until it expires, with last touch each new promoter's link
//! takes over; a binding lasts the binding period (or for good), and a buyer is never bound to themselves.

use crate::Money;

/// How applications are decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalRule {
    /// An operator approves or refuses every application.
    Manual,
    /// Approved at once when the buyer has spent at least `min_spend` and holds at least level rank
    /// `min_level_rank` (each when set; at least one is set); otherwise an operator decides.
    Automatic { min_spend: Option<Money>, min_level_rank: Option<u32> },
}

pub const LEVEL_RANK_MAX: u32 = 100;

crate::field_coded_enum! {
    pub enum RuleError (field: &'static str) {
        NoThreshold {} = "promoter.no_threshold",
        OutOfRange { min: i64, max: i64 } = "promoter.rule_out_of_range",
    }
}

impl ApprovalRule {
    pub fn validate(&self) -> Result<(), RuleError> {
        match *self {
            ApprovalRule::Manual => Ok(()),
            ApprovalRule::Automatic { min_spend: None, min_level_rank: None } => {
                Err(RuleError::NoThreshold { field: "approval.min_spend" })
            }
            ApprovalRule::Automatic { min_spend, min_level_rank } => {
                if let Some(m) = min_spend {
                    if !(0..=crate::money::MAX_INPUT_FEN).contains(&m.fen()) {
                        return Err(RuleError::OutOfRange {
                            field: "approval.min_spend",
                            min: 0,
                            max: crate::money::MAX_INPUT_FEN,
                        });
                    }
                }
                if min_level_rank.is_some_and(|r| r > LEVEL_RANK_MAX) {
                    return Err(RuleError::OutOfRange {
                        field: "approval.min_level_rank",
                        min: 0,
                        max: i64::from(LEVEL_RANK_MAX),
                    });
                }
                Ok(())
            }
        }
    }
}

/// What the shop knows of an applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applicant {
    /// Paid and not refunded, over all orders.
    pub spend: Money,
    /// The rank of the buyer's member level (0: none).
    pub level_rank: u32,
    pub already_promoter: bool,
    /// An application waiting for an operator.
    pub pending: bool,
    /// Barred by an operator (e.g. after farming).
    pub barred: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Application {
    Approve,
    /// To the operators' queue.
    Review,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationRefusal {
    AlreadyPromoter,
    Pending,
    Barred,
}

impl ApplicationRefusal {
    pub fn code(self) -> &'static str {
        match self {
            ApplicationRefusal::AlreadyPromoter => "promoter.already",
            ApplicationRefusal::Pending => "promoter.application_pending",
            ApplicationRefusal::Barred => "promoter.barred",
        }
    }
}

/// Decide a buyer's application.
pub fn apply(rule: ApprovalRule, a: &Applicant) -> Result<Application, ApplicationRefusal> {
    if a.barred {
        return Err(ApplicationRefusal::Barred);
    }
    if a.already_promoter {
        return Err(ApplicationRefusal::AlreadyPromoter);
    }
    if a.pending {
        return Err(ApplicationRefusal::Pending);
    }
    match rule {
        ApprovalRule::Manual => Ok(Application::Review),
        ApprovalRule::Automatic { min_spend, min_level_rank } => {
            let spend_ok = min_spend.is_none_or(|m| a.spend >= m);
            let level_ok = min_level_rank.is_none_or(|r| a.level_rank >= r);
            Ok(if spend_ok && level_ok { Application::Approve } else { Application::Review })
        }
    }
}

/// Which touch binds a buyer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchRule {
    /// The first promoter keeps the buyer until the binding expires.
    First,
    /// Every promoter's link takes the buyer over (and renews the period).
    Last,
}

pub const BINDING_DAYS_MAX: u32 = 3_650;
const DAY_MS: i64 = 86_400_000;

/// The shop's binding rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindingRules {
    pub touch: TouchRule,
    /// How long a binding lasts; `None` for good.
    pub period_days: Option<u32>,
}

impl BindingRules {
    pub fn validate(&self) -> Result<(), RuleError> {
        match self.period_days {
            Some(d) if !(1..=BINDING_DAYS_MAX).contains(&d) => {
                Err(RuleError::OutOfRange { field: "binding.period_days", min: 1, max: i64::from(BINDING_DAYS_MAX) })
            }
            _ => Ok(()),
        }
    }
}

/// A buyer's binding to a promoter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub promoter_id: i64,
    pub bound_at_ms: i64,
    pub expires_at_ms: Option<i64>,
}

impl Binding {
    pub fn active_at(&self, now_ms: i64) -> bool {
        self.expires_at_ms.is_none_or(|e| now_ms < e)
    }
}

/// The promoter whose link a buyer came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromoterRef {
    pub promoter_id: i64,
    /// The buyer account that is the promoter.
    pub buyer_id: i64,
    /// Approved and not suspended.
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindDecision {
    /// Record this binding (new, taken over, or renewed).
    Bind(Binding),
    /// The current binding stays.
    Keep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindRefusal {
    SelfBinding,
    PromoterInactive,
}

impl BindRefusal {
    pub fn code(self) -> &'static str {
        match self {
            BindRefusal::SelfBinding => "promoter.self_binding",
            BindRefusal::PromoterInactive => "promoter.inactive",
        }
    }
}

/// `buyer_id` came through `promoter`'s link at `now_ms`, with `current` their binding as recorded.
pub fn bind(
    rules: BindingRules,
    current: Option<&Binding>,
    buyer_id: i64,
    promoter: PromoterRef,
    now_ms: i64,
) -> Result<BindDecision, BindRefusal> {
    if promoter.buyer_id == buyer_id {
        return Err(BindRefusal::SelfBinding);
    }
    if !promoter.active {
        return Err(BindRefusal::PromoterInactive);
    }
    let holds = current.filter(|b| b.active_at(now_ms));
    if rules.touch == TouchRule::First && holds.is_some() {
        return Ok(BindDecision::Keep);
    }
    let expires_at_ms = rules.period_days.map(|d| now_ms.saturating_add(i64::from(d) * DAY_MS));
    Ok(BindDecision::Bind(Binding { promoter_id: promoter.promoter_id, bound_at_ms: now_ms, expires_at_ms }))
}

/// The promoter an order placed at `now_ms` by a buyer with `binding` earns commission for, if any.
pub fn promoter_at(binding: Option<&Binding>, now_ms: i64) -> Option<i64> {
    binding.filter(|b| b.active_at(now_ms)).map(|b| b.promoter_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn applicant(spend: i64, level: u32) -> Applicant {
        Applicant {
            spend: Money::from_fen(spend),
            level_rank: level,
            already_promoter: false,
            pending: false,
            barred: false,
        }
    }

    #[test]
    fn automatic_approval_needs_every_threshold_set_and_otherwise_goes_to_review() {
        let rule = ApprovalRule::Automatic { min_spend: Some(Money::from_fen(10_000)), min_level_rank: Some(2) };
        assert_eq!(rule.validate(), Ok(()));
        assert_eq!(apply(rule, &applicant(10_000, 2)), Ok(Application::Approve));
        assert_eq!(apply(rule, &applicant(9_999, 5)), Ok(Application::Review));
        assert_eq!(apply(rule, &applicant(50_000, 1)), Ok(Application::Review));
        assert_eq!(apply(ApprovalRule::Manual, &applicant(1_000_000, 9)), Ok(Application::Review));
        let spend_only = ApprovalRule::Automatic { min_spend: Some(Money::from_fen(100)), min_level_rank: None };
        assert_eq!(apply(spend_only, &applicant(100, 0)), Ok(Application::Approve));
        let mut a = applicant(100, 0);
        a.already_promoter = true;
        assert_eq!(apply(spend_only, &a).unwrap_err().code(), "promoter.already");
        a.barred = true;
        assert_eq!(apply(spend_only, &a), Err(ApplicationRefusal::Barred));
        let none = ApprovalRule::Automatic { min_spend: None, min_level_rank: None };
        assert_eq!(none.validate().unwrap_err().code(), "promoter.no_threshold");
        let bad = ApprovalRule::Automatic { min_spend: None, min_level_rank: Some(101) };
        assert_eq!(bad.validate().unwrap_err().field(), "approval.min_level_rank");
    }

    const P1: PromoterRef = PromoterRef { promoter_id: 1, buyer_id: 11, active: true };
    const P2: PromoterRef = PromoterRef { promoter_id: 2, buyer_id: 12, active: true };

    #[test]
    fn first_touch_keeps_the_first_promoter_until_the_binding_expires() {
        let rules = BindingRules { touch: TouchRule::First, period_days: Some(30) };
        let BindDecision::Bind(b) = bind(rules, None, 5, P1, 0).unwrap() else { panic!() };
        assert_eq!(b.expires_at_ms, Some(30 * DAY_MS));
        assert_eq!(bind(rules, Some(&b), 5, P2, DAY_MS), Ok(BindDecision::Keep));
        assert_eq!(promoter_at(Some(&b), 30 * DAY_MS - 1), Some(1));
        assert_eq!(promoter_at(Some(&b), 30 * DAY_MS), None);
        let BindDecision::Bind(after) = bind(rules, Some(&b), 5, P2, 31 * DAY_MS).unwrap() else { panic!() };
        assert_eq!(after.promoter_id, 2);
    }

    #[test]
    fn last_touch_takes_over_and_nobody_binds_to_themselves() {
        let rules = BindingRules { touch: TouchRule::Last, period_days: None };
        let BindDecision::Bind(b) = bind(rules, None, 5, P1, 0).unwrap() else { panic!() };
        assert_eq!(b.expires_at_ms, None);
        let BindDecision::Bind(b2) = bind(rules, Some(&b), 5, P2, 10).unwrap() else { panic!() };
        assert_eq!(promoter_at(Some(&b2), i64::MAX), Some(2));
        assert_eq!(bind(rules, None, 11, P1, 0), Err(BindRefusal::SelfBinding));
        assert_eq!(BindRefusal::SelfBinding.code(), "promoter.self_binding");
        let inactive = PromoterRef { active: false, ..P1 };
        assert_eq!(bind(rules, None, 5, inactive, 0), Err(BindRefusal::PromoterInactive));
        assert!(BindingRules { touch: TouchRule::Last, period_days: Some(0) }.validate().is_err());
    }

    proptest! {
        /// Over any sequence of visits, a buyer is never bound to themselves, and with first touch the
        /// promoter changes only once the binding has expired.
        #[test]
        fn bindings_follow_the_touch_rule(
            first in any::<bool>(),
            period in prop::option::of(1u32..5),
            visits in prop::collection::vec((1i64..5, 0i64..3 * DAY_MS), 1..30),
        ) {
            let rules = BindingRules { touch: if first { TouchRule::First } else { TouchRule::Last }, period_days: period };
            let buyer = 13;
            let mut now = 0;
            let mut current: Option<Binding> = None;
            for (p, dt) in visits {
                now += dt;
                let promoter = PromoterRef { promoter_id: p, buyer_id: 10 + p, active: true };
                match bind(rules, current.as_ref(), buyer, promoter, now) {
                    Err(e) => prop_assert_eq!((e, 10 + p), (BindRefusal::SelfBinding, buyer)),
                    Ok(BindDecision::Keep) => {
                        prop_assert!(first);
                        prop_assert!(current.unwrap().active_at(now));
                    }
                    Ok(BindDecision::Bind(b)) => {
                        if first {
                            prop_assert!(current.is_none_or(|c| !c.active_at(now)));
                        }
                        prop_assert_eq!(b.promoter_id, p);
                        current = Some(b);
                    }
                }
            }
        }
    }
}
