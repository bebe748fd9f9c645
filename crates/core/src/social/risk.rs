//! Risk control of fission rewards (裂变风控): what referral rewards and commissions share.
//!
//! A reward paid for bringing a buyer attracts farming: one person plays both sides, or many accounts of one
//! person are brought by the same earner. The earner (the inviter of a referral, the promoter of a
//! commission) and the subject (the invitee, the buyer) are compared by their identifiers as fingerprints
//! ([`phone_fingerprint`], [`address_fingerprint`], [`token_fingerprint`]), so that spacing, case, full-width
//! characters or a `+86` do not hide a match. [`assess`] names every reason to **hold** the reward for an
//! operator's review (never to drop it silently), each by a stable code: the subject shares a phone,
//! address, device or payment account with the earner; many other subjects share one of the subject's
//! identifiers; or the earner has reached the day's limit.

/// A buyer's identifiers, as fingerprints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub phones: Vec<String>,
    pub addresses: Vec<String>,
    pub devices: Vec<String>,
    pub payment_accounts: Vec<String>,
}

impl Identity {
    /// Sorted and without duplicates or empty fingerprints.
    pub fn normalised(mut self) -> Identity {
        for v in [&mut self.phones, &mut self.addresses, &mut self.devices, &mut self.payment_accounts] {
            v.retain(|x| !x.is_empty());
            v.sort();
            v.dedup();
        }
        self
    }

    /// Every fingerprint with its kind, as kept for later counts.
    pub fn marks(&self) -> Vec<(Mark, String)> {
        let kinds = [
            (Mark::Phone, &self.phones),
            (Mark::Address, &self.addresses),
            (Mark::Device, &self.devices),
            (Mark::PaymentAccount, &self.payment_accounts),
        ];
        kinds.into_iter().flat_map(|(k, v)| v.iter().map(move |x| (k, x.clone()))).collect()
    }
}

/// A kind of identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mark {
    Phone,
    Address,
    Device,
    PaymentAccount,
}

impl Mark {
    pub const ALL: [Mark; 4] = [Mark::Phone, Mark::Address, Mark::Device, Mark::PaymentAccount];

    pub const fn code(self) -> &'static str {
        match self {
            Mark::Phone => "phone",
            Mark::Address => "address",
            Mark::Device => "device",
            Mark::PaymentAccount => "payment_account",
        }
    }
}

/// For each kind of identifier, the largest number of other subjects (invitees of any inviter, or other
/// buyers of the same promoter) that share one of the subject's identifiers of that kind. The store counts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Crowd {
    pub phone: u32,
    pub address: u32,
    pub device: u32,
    pub payment_account: u32,
}

/// Who earns the reward: the subject is compared with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Earner {
    /// A referral's inviter (the subject is the invitee).
    Inviter,
    /// A commission's promoter (the subject is the buyer).
    Promoter,
}

/// Why a reward is held for review. Stable codes, stored with the hold and its audit entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HoldReason {
    PhoneSharedWithInviter,
    AddressSharedWithInviter,
    DeviceSharedWithInviter,
    PaymentAccountSharedWithInviter,
    PhoneSharedWithPromoter,
    AddressSharedWithPromoter,
    DeviceSharedWithPromoter,
    PaymentAccountSharedWithPromoter,
    PhoneSharedByMany,
    AddressSharedByMany,
    DeviceSharedByMany,
    PaymentAccountSharedByMany,
    DailyLimit,
}

impl HoldReason {
    pub const ALL: [HoldReason; 13] = [
        HoldReason::PhoneSharedWithInviter,
        HoldReason::AddressSharedWithInviter,
        HoldReason::DeviceSharedWithInviter,
        HoldReason::PaymentAccountSharedWithInviter,
        HoldReason::PhoneSharedWithPromoter,
        HoldReason::AddressSharedWithPromoter,
        HoldReason::DeviceSharedWithPromoter,
        HoldReason::PaymentAccountSharedWithPromoter,
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
            HoldReason::PhoneSharedWithPromoter => "risk.phone_shared_with_promoter",
            HoldReason::AddressSharedWithPromoter => "risk.address_shared_with_promoter",
            HoldReason::DeviceSharedWithPromoter => "risk.device_shared_with_promoter",
            HoldReason::PaymentAccountSharedWithPromoter => "risk.payment_account_shared_with_promoter",
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

    /// The reason for an identifier of kind `m` shared with the earner.
    pub const fn shared_with(earner: Earner, m: Mark) -> HoldReason {
        match (earner, m) {
            (Earner::Inviter, Mark::Phone) => HoldReason::PhoneSharedWithInviter,
            (Earner::Inviter, Mark::Address) => HoldReason::AddressSharedWithInviter,
            (Earner::Inviter, Mark::Device) => HoldReason::DeviceSharedWithInviter,
            (Earner::Inviter, Mark::PaymentAccount) => HoldReason::PaymentAccountSharedWithInviter,
            (Earner::Promoter, Mark::Phone) => HoldReason::PhoneSharedWithPromoter,
            (Earner::Promoter, Mark::Address) => HoldReason::AddressSharedWithPromoter,
            (Earner::Promoter, Mark::Device) => HoldReason::DeviceSharedWithPromoter,
            (Earner::Promoter, Mark::PaymentAccount) => HoldReason::PaymentAccountSharedWithPromoter,
        }
    }

    /// The reason for an identifier of kind `m` shared by many other subjects.
    pub const fn shared_by_many(m: Mark) -> HoldReason {
        match m {
            Mark::Phone => HoldReason::PhoneSharedByMany,
            Mark::Address => HoldReason::AddressSharedByMany,
            Mark::Device => HoldReason::DeviceSharedByMany,
            Mark::PaymentAccount => HoldReason::PaymentAccountSharedByMany,
        }
    }
}

/// The limits of the check, as the shop set them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rewards (granted or held) per earner and shop day; the next one is held.
    pub daily_limit: u32,
    /// Held when this many other subjects or more share one of the subject's identifiers.
    pub crowd_limit: u32,
}

pub const DAILY_LIMIT_MAX: u32 = 1_000;
pub const CROWD_LIMIT_MAX: u32 = 1_000;

/// What the risk check looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskFacts {
    /// The inviter or the promoter.
    pub earner: Identity,
    /// The invitee or the buyer.
    pub subject: Identity,
    pub crowd: Crowd,
    /// Rewards the earner received (granted or held) earlier the same shop day.
    pub earner_today: u32,
}

fn shares(a: &[String], b: &[String]) -> bool {
    a.iter().any(|x| !x.is_empty() && b.contains(x))
}

/// Every reason to hold the reward, in a fixed order (shared with the earner, shared by many, the day's
/// limit); empty when it may be granted.
pub fn assess(earner: Earner, limits: Limits, f: &RiskFacts) -> Vec<HoldReason> {
    let (a, b) = (&f.earner, &f.subject);
    let pairs = [
        (Mark::Phone, &a.phones, &b.phones, f.crowd.phone),
        (Mark::Address, &a.addresses, &b.addresses, f.crowd.address),
        (Mark::Device, &a.devices, &b.devices, f.crowd.device),
        (Mark::PaymentAccount, &a.payment_accounts, &b.payment_accounts, f.crowd.payment_account),
    ];
    let mut out: Vec<HoldReason> =
        pairs.iter().filter(|(_, x, y, _)| shares(x, y)).map(|(m, ..)| HoldReason::shared_with(earner, *m)).collect();
    out.extend(pairs.iter().filter(|(.., n)| *n >= limits.crowd_limit).map(|(m, ..)| HoldReason::shared_by_many(*m)));
    if f.earner_today >= limits.daily_limit {
        out.push(HoldReason::DailyLimit);
    }
    out
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

    const LIMITS: Limits = Limits { daily_limit: 5, crowd_limit: 3 };

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
    fn the_earner_names_the_reason_and_shared_counts_and_limits_do_not() {
        let mut f = clean();
        f.subject.devices = f.earner.devices.clone();
        f.crowd.address = 3;
        f.earner_today = 5;
        assert_eq!(
            assess(Earner::Promoter, LIMITS, &f),
            vec![HoldReason::DeviceSharedWithPromoter, HoldReason::AddressSharedByMany, HoldReason::DailyLimit]
        );
        assert_eq!(assess(Earner::Inviter, LIMITS, &f)[0], HoldReason::DeviceSharedWithInviter);
        assert!(assess(Earner::Inviter, LIMITS, &clean()).is_empty());
        for r in HoldReason::ALL {
            assert_eq!(HoldReason::parse(r.code()), Some(r));
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
        let id = Identity { phones: vec!["2".into(), "1".into(), "2".into(), String::new()], ..Default::default() };
        assert_eq!(id.normalised().marks(), vec![(Mark::Phone, "1".into()), (Mark::Phone, "2".into())]);
    }

    proptest! {
        /// A reward is held exactly when a check fires, and every check that fires is named once, for either
        /// earner.
        #[test]
        fn a_reward_is_held_exactly_when_a_check_fires(
            share in prop::collection::vec(any::<bool>(), 4),
            crowd in prop::collection::vec(0u32..6, 4),
            today in 0u32..8,
            promoter in any::<bool>(),
        ) {
            let mut f = clean();
            if share[0] { f.subject.phones = f.earner.phones.clone(); }
            if share[1] { f.subject.addresses = f.earner.addresses.clone(); }
            if share[2] { f.subject.devices = f.earner.devices.clone(); }
            if share[3] { f.subject.payment_accounts = f.earner.payment_accounts.clone(); }
            f.crowd = Crowd { phone: crowd[0], address: crowd[1], device: crowd[2], payment_account: crowd[3] };
            f.earner_today = today;
            let earner = if promoter { Earner::Promoter } else { Earner::Inviter };
            let reasons = assess(earner, LIMITS, &f);
            let expected = share.iter().filter(|s| **s).count()
                + crowd.iter().filter(|c| **c >= LIMITS.crowd_limit).count()
                + usize::from(today >= LIMITS.daily_limit);
            prop_assert_eq!(reasons.len(), expected);
            let mut unique = reasons.clone();
            unique.dedup();
            prop_assert_eq!(unique.len(), reasons.len());
            let inviter_named = reasons.iter().any(|r| r.code().ends_with("_with_inviter"));
            let promoter_named = reasons.iter().any(|r| r.code().ends_with("_with_promoter"));
            prop_assert!(!(inviter_named && promoter_named));
            prop_assert!(!promoter_named || promoter);
            prop_assert!(!inviter_named || !promoter);
        }
    }
}
