//! Referral (老带新): an existing buyer invites a new one; both are rewarded by the shop's rule when the
//! invitee's first order completes.
//!
//! [`eligibility`] says whether an invitation earns anything at all: not a self-invite, not an invitee who was
//! invited and rewarded before or had ordered before the invitation, and only for the invitee's first order,
//! completed, not refunded in whole or in part, and at least the rule's minimum. [`assess`] is the risk
//! control, shared with commissions ([`super::risk`]): a reward that may be farmed is **held** for an
//! operator's review (never silently dropped), with every reason named by a stable code — the invitee shares a
//! phone, address, device or payment account with the inviter, or shares one with many other invitees, or the
//! inviter has reached the day's limit of rewards. [`decide`] puts the two together.

pub use super::risk::{
    address_fingerprint, phone_fingerprint, token_fingerprint, Crowd, HoldReason, Identity, RiskFacts, CROWD_LIMIT_MAX,
    DAILY_LIMIT_MAX,
};
use super::risk::{Earner, Limits};
use crate::Money;

/// What each side of a referral receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reward {
    Coupon { template_id: i64 },
    Points { points: i64 },
    StoredValue { amount: Money },
}

pub const REWARDS_MAX: usize = 5;
pub const POINTS_MAX: i64 = 1_000_000;
pub const STORED_VALUE_MAX_FEN: i64 = 100_000;

/// The shop's referral rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub inviter: Vec<Reward>,
    pub invitee: Vec<Reward>,
    /// The first order must have been paid at least this much.
    pub min_first_order: Money,
    /// Rewards (granted or held) per inviter per shop day; the next one is held.
    pub daily_limit: u32,
    /// Held when this many other invitees or more share one of the invitee's identifiers.
    pub crowd_limit: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Rules { inviter: vec![], invitee: vec![], min_first_order: Money::ZERO, daily_limit: 20, crowd_limit: 3 }
    }
}

crate::field_coded_enum! {
    pub enum RulesError (field: String) {
        OutOfRange { min: i64, max: i64 } = "referral.rule_out_of_range",
        TooMany { max: usize } = "referral.too_many_rewards",
        NoReward {} = "referral.rule_no_reward",
    }
}

fn range(field: String, v: i64, min: i64, max: i64) -> Result<(), RulesError> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(RulesError::OutOfRange { field, min, max })
    }
}

impl Rules {
    pub fn validate(&self) -> Result<(), RulesError> {
        if self.inviter.is_empty() && self.invitee.is_empty() {
            return Err(RulesError::NoReward { field: "inviter".into() });
        }
        for (side, rewards) in [("inviter", &self.inviter), ("invitee", &self.invitee)] {
            if rewards.len() > REWARDS_MAX {
                return Err(RulesError::TooMany { field: side.into(), max: REWARDS_MAX });
            }
            for (i, r) in rewards.iter().enumerate() {
                match *r {
                    Reward::Coupon { template_id } => {
                        range(format!("{side}[{i}].template_id"), template_id, 1, i64::MAX)?
                    }
                    Reward::Points { points } => range(format!("{side}[{i}].points"), points, 1, POINTS_MAX)?,
                    Reward::StoredValue { amount } => {
                        range(format!("{side}[{i}].amount"), amount.fen(), 1, STORED_VALUE_MAX_FEN)?
                    }
                }
            }
        }
        range("min_first_order".into(), self.min_first_order.fen(), 0, crate::money::MAX_INPUT_FEN)?;
        range("daily_limit".into(), i64::from(self.daily_limit), 1, i64::from(DAILY_LIMIT_MAX))?;
        range("crowd_limit".into(), i64::from(self.crowd_limit), 1, i64::from(CROWD_LIMIT_MAX))?;
        Ok(())
    }
}

/// An invitation as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invitation {
    pub inviter_id: i64,
    pub invitee_id: i64,
    pub invited_at_ms: i64,
}

/// What the shop knows of the invitee and the order that completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteeFacts {
    /// The invitee was rewarded through an earlier invitation (by anyone).
    pub rewarded_before: bool,
    /// The invitee had placed a paid order before the invitation.
    pub ordered_before_invitation: bool,
    /// Paid orders the invitee placed before this one.
    pub earlier_orders: u32,
    pub order_completed: bool,
    pub order_paid: Money,
    pub order_refunded: Money,
}

/// Why an invitation earns nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoReward {
    SelfInvite,
    RepeatedInvitee,
    ExistingBuyer,
    NotFirstOrder,
    NotCompleted,
    Refunded,
    BelowMinimum,
}

impl NoReward {
    pub fn code(self) -> &'static str {
        match self {
            NoReward::SelfInvite => "referral.self_invite",
            NoReward::RepeatedInvitee => "referral.repeated_invitee",
            NoReward::ExistingBuyer => "referral.existing_buyer",
            NoReward::NotFirstOrder => "referral.not_first_order",
            NoReward::NotCompleted => "referral.not_completed",
            NoReward::Refunded => "referral.refunded",
            NoReward::BelowMinimum => "referral.below_minimum",
        }
    }
}

/// Whether the completion of the invitee's order earns the rule's rewards.
pub fn eligibility(rules: &Rules, inv: &Invitation, facts: &InviteeFacts) -> Result<(), NoReward> {
    if inv.inviter_id == inv.invitee_id {
        return Err(NoReward::SelfInvite);
    }
    if facts.rewarded_before {
        return Err(NoReward::RepeatedInvitee);
    }
    if facts.ordered_before_invitation {
        return Err(NoReward::ExistingBuyer);
    }
    if facts.earlier_orders > 0 {
        return Err(NoReward::NotFirstOrder);
    }
    if !facts.order_completed {
        return Err(NoReward::NotCompleted);
    }
    if facts.order_refunded.fen() > 0 {
        return Err(NoReward::Refunded);
    }
    if facts.order_paid < rules.min_first_order {
        return Err(NoReward::BelowMinimum);
    }
    Ok(())
}

/// Every reason to hold the reward (the earner is the inviter, the subject the invitee); empty when it may be
/// granted.
pub fn assess(rules: &Rules, f: &RiskFacts) -> Vec<HoldReason> {
    super::risk::assess(Earner::Inviter, Limits { daily_limit: rules.daily_limit, crowd_limit: rules.crowd_limit }, f)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    NoReward(NoReward),
    Grant,
    /// Recorded and shown in the review queue; an operator releases or refuses it.
    Hold(Vec<HoldReason>),
}

pub fn decide(rules: &Rules, inv: &Invitation, facts: &InviteeFacts, risk: &RiskFacts) -> Decision {
    if let Err(e) = eligibility(rules, inv, facts) {
        return Decision::NoReward(e);
    }
    let reasons = assess(rules, risk);
    if reasons.is_empty() {
        Decision::Grant
    } else {
        Decision::Hold(reasons)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> Rules {
        Rules {
            inviter: vec![Reward::StoredValue { amount: Money::from_fen(500) }],
            invitee: vec![Reward::Coupon { template_id: 3 }],
            min_first_order: Money::from_fen(1_000),
            daily_limit: 5,
            crowd_limit: 3,
        }
    }

    fn facts() -> InviteeFacts {
        InviteeFacts {
            rewarded_before: false,
            ordered_before_invitation: false,
            earlier_orders: 0,
            order_completed: true,
            order_paid: Money::from_fen(5_000),
            order_refunded: Money::ZERO,
        }
    }

    const INV: Invitation = Invitation { inviter_id: 1, invitee_id: 2, invited_at_ms: 0 };

    fn clean() -> RiskFacts {
        RiskFacts {
            earner: Identity {
                phones: vec!["13800000001".into()],
                addresses: vec![address_fingerprint(&["浙江省", "杭州市", "文三路1号"])],
                devices: vec!["dev-a".into()],
                payment_accounts: vec!["o-a".into()],
            },
            subject: Identity {
                phones: vec!["13800000002".into()],
                addresses: vec![address_fingerprint(&["上海市", "黄浦区", "南京东路2号"])],
                devices: vec!["dev-b".into()],
                payment_accounts: vec!["o-b".into()],
            },
            crowd: Crowd::default(),
            earner_today: 0,
        }
    }

    #[test]
    fn the_first_completed_order_of_a_new_buyer_earns_the_reward() {
        assert_eq!(rules().validate(), Ok(()));
        assert_eq!(decide(&rules(), &INV, &facts(), &clean()), Decision::Grant);
    }

    #[test]
    fn self_invites_repeated_invitees_and_refunded_first_orders_earn_nothing() {
        let r = rules();
        let own = Invitation { inviter_id: 2, invitee_id: 2, invited_at_ms: 0 };
        assert_eq!(eligibility(&r, &own, &facts()), Err(NoReward::SelfInvite));
        let check = |f: fn(&mut InviteeFacts)| {
            let mut x = facts();
            f(&mut x);
            eligibility(&r, &INV, &x).unwrap_err().code()
        };
        assert_eq!(check(|f| f.rewarded_before = true), "referral.repeated_invitee");
        assert_eq!(check(|f| f.ordered_before_invitation = true), "referral.existing_buyer");
        assert_eq!(check(|f| f.earlier_orders = 1), "referral.not_first_order");
        assert_eq!(check(|f| f.order_completed = false), "referral.not_completed");
        assert_eq!(check(|f| f.order_refunded = Money::from_fen(1)), "referral.refunded");
        assert_eq!(check(|f| f.order_paid = Money::from_fen(999)), "referral.below_minimum");
    }

    #[test]
    fn shared_identifiers_and_velocity_hold_the_reward_with_every_reason() {
        let r = rules();
        let mut f = clean();
        f.subject.phones.push("13800000001".into());
        f.subject.addresses = vec![address_fingerprint(&["浙江省杭州市 ", "文三路１号"])];
        f.crowd.device = 3;
        f.earner_today = 5;
        assert_eq!(
            decide(&r, &INV, &facts(), &f),
            Decision::Hold(vec![
                HoldReason::PhoneSharedWithInviter,
                HoldReason::AddressSharedWithInviter,
                HoldReason::DeviceSharedByMany,
                HoldReason::DailyLimit
            ])
        );
        let mut g = clean();
        g.subject.payment_accounts = vec!["o-a".into()];
        g.crowd.device = 2;
        g.earner_today = 4;
        assert_eq!(assess(&r, &g), vec![HoldReason::PaymentAccountSharedWithInviter]);
        // An ineligible invitation is not held: it earns nothing.
        let own = Invitation { inviter_id: 2, invitee_id: 2, invited_at_ms: 0 };
        assert_eq!(decide(&r, &own, &facts(), &f), Decision::NoReward(NoReward::SelfInvite));
        for reason in HoldReason::ALL {
            assert_eq!(HoldReason::parse(reason.code()), Some(reason));
        }
    }

    #[test]
    fn rules_are_checked_with_the_field_at_fault() {
        let mut r = rules();
        r.inviter = vec![Reward::Points { points: 0 }];
        assert_eq!(r.validate().unwrap_err().field(), "inviter[0].points");
        let mut r = rules();
        r.daily_limit = 0;
        assert_eq!(r.validate().unwrap_err().field(), "daily_limit");
        let r = Rules::default();
        assert_eq!(r.validate().unwrap_err().code(), "referral.rule_no_reward");
    }

    proptest! {
        /// A reward is granted only when no check fires, and every check that fires is named: the reasons
        /// are exactly the conditions that hold.
        #[test]
        fn a_reward_is_held_exactly_when_a_check_fires(
            share in prop::collection::vec(any::<bool>(), 4),
            crowd in prop::collection::vec(0u32..6, 4),
            today in 0u32..8,
        ) {
            let r = rules();
            let mut f = clean();
            if share[0] { f.subject.phones = f.earner.phones.clone(); }
            if share[1] { f.subject.addresses = f.earner.addresses.clone(); }
            if share[2] { f.subject.devices = f.earner.devices.clone(); }
            if share[3] { f.subject.payment_accounts = f.earner.payment_accounts.clone(); }
            f.crowd = Crowd { phone: crowd[0], address: crowd[1], device: crowd[2], payment_account: crowd[3] };
            f.earner_today = today;
            let reasons = assess(&r, &f);
            let expected = share.iter().filter(|s| **s).count()
                + crowd.iter().filter(|c| **c >= r.crowd_limit).count()
                + usize::from(today >= r.daily_limit);
            prop_assert_eq!(reasons.len(), expected);
            let d = decide(&r, &INV, &facts(), &f);
            prop_assert_eq!(d == Decision::Grant, expected == 0);
        }
    }
}
