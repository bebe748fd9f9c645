//! Referral (老带新): an existing buyer invites a new one; both are rewarded by the shop's rule when the
//! invitee's first order completes.
//!
//! [`eligibility`] says whether an invitation earns anything at all: not a self-invite, not an invitee who was
//! invited and rewarded before or had ordered before the invitation, and only for the invitee's first order,
//! completed, not refunded in whole or in part, and at least the rule's minimum. [`assess`] is the risk
//! control: a reward that may be farmed is **held** for an operator's review (never silently dropped), with
//! every reason named by a stable code — the invitee shares a phone, address, device or payment account with
//! the inviter, or shares one with many other invitees, or the inviter has reached the day's limit of
//! rewards. [`decide`] puts the two together.
//!
//! Identifiers are compared as fingerprints ([`phone_fingerprint`], [`address_fingerprint`],
//! [`token_fingerprint`]), so that spacing, case, full-width characters or a `+86` do not hide a match.

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
pub const DAILY_LIMIT_MAX: u32 = 1_000;
pub const CROWD_LIMIT_MAX: u32 = 1_000;

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

/// A buyer's identifiers, as fingerprints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub phones: Vec<String>,
    pub addresses: Vec<String>,
    pub devices: Vec<String>,
    pub payment_accounts: Vec<String>,
}

/// For each kind of identifier, the largest number of other invitees (of any inviter) that share one of the
/// invitee's identifiers of that kind. The store counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Crowd {
    pub phone: u32,
    pub address: u32,
    pub device: u32,
    pub payment_account: u32,
}

/// Why a reward is held for review. Stable codes, stored with the hold and its audit entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HoldReason {
    PhoneSharedWithInviter,
    AddressSharedWithInviter,
    DeviceSharedWithInviter,
    PaymentAccountSharedWithInviter,
    PhoneSharedByMany,
    AddressSharedByMany,
    DeviceSharedByMany,
    PaymentAccountSharedByMany,
    DailyLimit,
}

impl HoldReason {
    pub const ALL: [HoldReason; 9] = [
        HoldReason::PhoneSharedWithInviter,
        HoldReason::AddressSharedWithInviter,
        HoldReason::DeviceSharedWithInviter,
        HoldReason::PaymentAccountSharedWithInviter,
        HoldReason::PhoneSharedByMany,
        HoldReason::AddressSharedByMany,
        HoldReason::DeviceSharedByMany,
        HoldReason::PaymentAccountSharedByMany,
        HoldReason::DailyLimit,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            HoldReason::PhoneSharedWithInviter => "risk.phone_shared_with_inviter",
            HoldReason::AddressSharedWithInviter => "risk.address_shared_with_inviter",
            HoldReason::DeviceSharedWithInviter => "risk.device_shared_with_inviter",
            HoldReason::PaymentAccountSharedWithInviter => "risk.payment_account_shared_with_inviter",
            HoldReason::PhoneSharedByMany => "risk.phone_shared_by_many",
            HoldReason::AddressSharedByMany => "risk.address_shared_by_many",
            HoldReason::DeviceSharedByMany => "risk.device_shared_by_many",
            HoldReason::PaymentAccountSharedByMany => "risk.payment_account_shared_by_many",
            HoldReason::DailyLimit => "risk.daily_limit",
        }
    }

    pub fn parse(code: &str) -> Option<HoldReason> {
        HoldReason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// What the risk check looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskFacts {
    pub inviter: Identity,
    pub invitee: Identity,
    pub crowd: Crowd,
    /// Rewards the inviter received (granted or held) earlier the same shop day.
    pub inviter_rewards_today: u32,
}

fn shares(a: &[String], b: &[String]) -> bool {
    a.iter().any(|x| !x.is_empty() && b.contains(x))
}

/// Every reason to hold the reward, in a fixed order; empty when it may be granted.
pub fn assess(rules: &Rules, f: &RiskFacts) -> Vec<HoldReason> {
    let (a, b) = (&f.inviter, &f.invitee);
    let limit = rules.crowd_limit;
    let checks = [
        (HoldReason::PhoneSharedWithInviter, shares(&a.phones, &b.phones)),
        (HoldReason::AddressSharedWithInviter, shares(&a.addresses, &b.addresses)),
        (HoldReason::DeviceSharedWithInviter, shares(&a.devices, &b.devices)),
        (HoldReason::PaymentAccountSharedWithInviter, shares(&a.payment_accounts, &b.payment_accounts)),
        (HoldReason::PhoneSharedByMany, f.crowd.phone >= limit),
        (HoldReason::AddressSharedByMany, f.crowd.address >= limit),
        (HoldReason::DeviceSharedByMany, f.crowd.device >= limit),
        (HoldReason::PaymentAccountSharedByMany, f.crowd.payment_account >= limit),
        (HoldReason::DailyLimit, f.inviter_rewards_today >= rules.daily_limit),
    ];
    checks.into_iter().filter(|(_, hit)| *hit).map(|(r, _)| r).collect()
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

/// A mainland mobile number's fingerprint: its 11 digits, without spaces, dashes or a `+86` / `0086`
/// prefix. `None` when it is not one.
pub fn phone_fingerprint(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
    (digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.to_string())
}

/// Full-width ASCII (ｂ，１) as half-width, letters in lower case.
fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// An address's fingerprint: its parts joined, full-width folded, lower case, with whitespace and
/// punctuation removed, so that "浙江省杭州市 西湖区 文三路１号" and "浙江省杭州市西湖区文三路1号" match.
pub fn address_fingerprint(parts: &[&str]) -> String {
    parts.iter().flat_map(|p| p.chars()).map(fold).filter(|c| c.is_alphanumeric()).collect()
}

/// A device or payment-account identifier's fingerprint (trimmed, folded). `None` when empty.
pub fn token_fingerprint(raw: &str) -> Option<String> {
    let t: String = raw.trim().chars().map(fold).collect();
    (!t.is_empty()).then_some(t)
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
            inviter: Identity {
                phones: vec!["13800000001".into()],
                addresses: vec![address_fingerprint(&["浙江省", "杭州市", "文三路1号"])],
                devices: vec!["dev-a".into()],
                payment_accounts: vec!["o-a".into()],
            },
            invitee: Identity {
                phones: vec!["13800000002".into()],
                addresses: vec![address_fingerprint(&["上海市", "黄浦区", "南京东路2号"])],
                devices: vec!["dev-b".into()],
                payment_accounts: vec!["o-b".into()],
            },
            crowd: Crowd::default(),
            inviter_rewards_today: 0,
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
        f.invitee.phones.push("13800000001".into());
        f.invitee.addresses = vec![address_fingerprint(&["浙江省杭州市 ", "文三路１号"])];
        f.crowd.device = 3;
        f.inviter_rewards_today = 5;
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
        g.invitee.payment_accounts = vec!["o-a".into()];
        g.crowd.device = 2;
        g.inviter_rewards_today = 4;
        assert_eq!(assess(&r, &g), vec![HoldReason::PaymentAccountSharedWithInviter]);
        // An ineligible invitation is not held: it earns nothing.
        let own = Invitation { inviter_id: 2, invitee_id: 2, invited_at_ms: 0 };
        assert_eq!(decide(&r, &own, &facts(), &f), Decision::NoReward(NoReward::SelfInvite));
        for reason in HoldReason::ALL {
            assert_eq!(HoldReason::parse(reason.code()), Some(reason));
        }
    }

    #[test]
    fn fingerprints_see_through_formatting() {
        assert_eq!(phone_fingerprint("+86 138-0000-0001").as_deref(), Some("13800000001"));
        assert_eq!(phone_fingerprint("008613800000001").as_deref(), Some("13800000001"));
        assert_eq!(phone_fingerprint("12345"), None);
        assert_eq!(address_fingerprint(&["Room　１２Ａ，", "Tower B"]), "room12atowerb");
        assert_eq!(token_fingerprint("  ＤＥＶ-1 ").as_deref(), Some("dev-1"));
        assert_eq!(token_fingerprint("   "), None);
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
            if share[0] { f.invitee.phones = f.inviter.phones.clone(); }
            if share[1] { f.invitee.addresses = f.inviter.addresses.clone(); }
            if share[2] { f.invitee.devices = f.inviter.devices.clone(); }
            if share[3] { f.invitee.payment_accounts = f.inviter.payment_accounts.clone(); }
            f.crowd = Crowd { phone: crowd[0], address: crowd[1], device: crowd[2], payment_account: crowd[3] };
            f.inviter_rewards_today = today;
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
