//! Community groups (社群): a group of the shop's buyers, usually a WeChat group run by a promoter, with its own
//! join code and QR code, coupons only its members may claim, and pushes of coupons, flash sales and products.
//!
//! The rules here: what a group's name, note and code may be, what a push may carry, who may join, leave or
//! claim, and the link a group's QR code and pushes carry (channel `community_group`, the group's code as the
//! campaign, the owner's promoter code), so that visits and orders through it are attributed to the group.

use crate::error::{FieldError, Reason};
use crate::social::channel::{Channel, ShareParams};
use crate::validate::display_text;

/// A group's name: 1 to 40 characters.
pub const NAME_MAX: usize = 40;
/// A group's note, and a push's words: at most 200 characters.
pub const NOTE_MAX: usize = 200;
/// A join code: eight of [`CODE_ALPHABET`], the fourth and seventh of [`CODE_DIGITS`], so that a code never
/// reads as a word.
pub const CODE_LEN: usize = 8;
/// Letters and digits without look-alikes (no I, O, 0, 1).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const CODE_DIGITS: &[u8] = b"23456789";
const DIGIT_AT: [usize; 2] = [3, 6];

/// A group is `active` (members join, coupons are claimed) or `closed` (nothing new; its figures stay).
pub const STATUSES: [&str; 2] = ["active", "closed"];

crate::coded_enum! {
    /// Why a community action is refused.
    #[derive(Copy)]
    pub enum Refusal {
        UnknownGroup = "community.unknown_group",
        /// The group takes no new members and hands out no coupons.
        Closed = "community.closed",
        AlreadyMember = "community.already_member",
        NotMember = "community.not_member",
        /// The coupon is for a community group's members; it is claimed on the group's page.
        MembersOnly = "community.members_only",
        NameTaken = "community.name_taken",
        /// A group's owner is an active promoter of the shop.
        OwnerNotPromoter = "community.owner_not_promoter",
        UnknownCoupon = "community.unknown_coupon",
        CouponNotLinked = "community.coupon_not_linked",
        /// The pushed coupon, flash sale or product does not exist in the shop (or is over).
        UnknownTarget = "community.unknown_target",
        UnknownStatus = "community.unknown_status",
    }
}

/// What a push carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushKind {
    Coupon,
    FlashSale,
    Product,
}

impl PushKind {
    pub const ALL: [PushKind; 3] = [PushKind::Coupon, PushKind::FlashSale, PushKind::Product];
    pub const CODES: [&'static str; 3] = ["coupon", "flash_sale", "product"];

    pub const fn code(self) -> &'static str {
        match self {
            PushKind::Coupon => "coupon",
            PushKind::FlashSale => "flash_sale",
            PushKind::Product => "product",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<PushKind, FieldError> {
        PushKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| FieldError::new(field, Reason::OneOf { allowed: PushKind::CODES.join(", ") }))
    }
}

/// A group's name and note as written: trimmed, bounded, no control characters.
pub fn group_texts(name: &str, note: &str) -> Result<(String, String), FieldError> {
    let name = display_text("name", name, NAME_MAX)?;
    let note = note_text("note", note)?;
    Ok((name, note))
}

/// An optional text of at most [`NOTE_MAX`] characters (empty allowed).
pub fn note_text(field: &str, s: &str) -> Result<String, FieldError> {
    if s.trim().is_empty() {
        return Ok(String::new());
    }
    display_text(field, s, NOTE_MAX)
}

/// Whether `s` has the shape of a join code (upper case taken as given; the caller normalises).
pub fn is_code(s: &str) -> bool {
    s.len() == CODE_LEN
        && s.bytes().enumerate().all(|(i, b)| {
            let set = if DIGIT_AT.contains(&i) { CODE_DIGITS } else { CODE_ALPHABET };
            set.contains(&b)
        })
}

/// A join code from `CODE_LEN` random draws (the caller draws them; any `u8` is folded into its position's set).
pub fn code_from(draws: [u8; CODE_LEN]) -> String {
    draws
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let set = if DIGIT_AT.contains(&i) { CODE_DIGITS } else { CODE_ALPHABET };
            set[usize::from(*d) % set.len()] as char
        })
        .collect()
}

/// The parameters a group's QR code and pushes carry: channel `community_group`, the group's code as the
/// campaign, and the owner's promoter code when the group has an active owner.
pub fn share_params(code: &str, owner_code: Option<&str>) -> ShareParams {
    ShareParams {
        channel: Channel::CommunityGroup,
        campaign: Some(code.to_string()),
        promoter: owner_code.map(str::to_string),
    }
}

/// Whether a buyer may join: the group is active and they are not a member already.
pub fn may_join(status: &str, member: bool) -> Result<(), Refusal> {
    if status != "active" {
        return Err(Refusal::Closed);
    }
    if member {
        return Err(Refusal::AlreadyMember);
    }
    Ok(())
}

/// Whether a buyer may claim one of the group's coupons: a member of an active group.
pub fn may_claim(status: &str, member: bool) -> Result<(), Refusal> {
    if status != "active" {
        return Err(Refusal::Closed);
    }
    if !member {
        return Err(Refusal::NotMember);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(group_texts(" 小区团购1群 ", "").unwrap(), ("小区团购1群".to_string(), String::new()));
        assert_eq!(group_texts("", "").unwrap_err().field, "name");
        assert_eq!(group_texts(&"群".repeat(41), "").unwrap_err().field, "name");
        assert!(group_texts(&"群".repeat(40), &"说".repeat(200)).is_ok());
        assert_eq!(group_texts("群", &"说".repeat(201)).unwrap_err().field, "note");
        assert_eq!(group_texts("群\u{7}", "").unwrap_err().field, "name");
    }

    #[test]
    fn joining_and_claiming() {
        assert_eq!(may_join("active", false), Ok(()));
        assert_eq!(may_join("active", true), Err(Refusal::AlreadyMember));
        assert_eq!(may_join("closed", false), Err(Refusal::Closed));
        assert_eq!(may_claim("active", true), Ok(()));
        assert_eq!(may_claim("active", false), Err(Refusal::NotMember));
        assert_eq!(may_claim("closed", true), Err(Refusal::Closed));
    }

    #[test]
    fn push_kinds_parse_and_name_the_field() {
        assert_eq!(PushKind::parse("kind", "flash_sale").unwrap(), PushKind::FlashSale);
        assert_eq!(PushKind::parse("kind", "banner").unwrap_err().field, "kind");
    }

    #[test]
    fn share_params_name_the_group_and_its_owner() {
        let p = share_params("ABC2EF3H", Some("P7K2"));
        assert_eq!(p.channel, Channel::CommunityGroup);
        assert_eq!(p.to_query(), "ch=community_group&cp=ABC2EF3H&pr=P7K2");
        assert_eq!(share_params("ABC2EF3H", None).to_query(), "ch=community_group&cp=ABC2EF3H");
        assert!(is_code("ABC2EF3H"));
        assert!(!is_code("ABCDEFGH"), "a code is never a word");
        assert!(!is_code("ABC2EF3"));
    }

    proptest! {
        #[test]
        fn every_drawn_code_is_a_code_and_a_campaign(draws in proptest::array::uniform8(any::<u8>())) {
            let code = code_from(draws);
            prop_assert!(is_code(&code));
            prop_assert!(code.bytes().any(|b| b.is_ascii_digit()));
            // A code is a valid campaign of a share link: the strict parser takes it back unchanged.
            let q = share_params(&code, None).to_query();
            let pairs: Vec<(&str, &str)> = q.split('&').filter_map(|kv| kv.split_once('=')).collect();
            let parsed = ShareParams::parse(pairs.iter().copied()).unwrap();
            prop_assert_eq!(parsed.campaign.as_deref(), Some(code.as_str()));
        }
    }
}
