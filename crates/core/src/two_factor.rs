//! Two-factor login for console users: which time steps a TOTP code may match, the rule that a code is
//! accepted once, the shape of recovery codes, and who must enrol. Computing a code (HMAC) is the server's.

use crate::auth::Role;

/// Seconds per TOTP time step (RFC 6238 default, what authenticator apps use).
pub const STEP_SECS: i64 = 30;
/// Digits of a TOTP code.
pub const DIGITS: usize = 6;
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Characters of a recovery code: lower-case letters and digits without look-alikes (0/o, 1/l/i).
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters of a recovery code, not counting the dash in the middle.
pub const RECOVERY_LEN: usize = 10;

/// The TOTP time step of an instant.
pub fn step_at(now_ms: i64) -> i64 {
    now_ms.div_euclid(STEP_SECS * 1000)
}

/// The steps a code is checked against at `now_ms`, oldest first: the current one and one either side,
/// for clocks that drift.
pub fn window(now_ms: i64) -> [i64; 3] {
    let s = step_at(now_ms);
    [s - 1, s, s + 1]
}

/// The step a code is accepted for, if any: the first step of the window that `matches` and that is later
/// than the last step accepted for this user. A step once accepted (and every earlier one) is never
/// accepted again, so a code seen by someone else cannot be replayed.
pub fn accept(now_ms: i64, last_accepted_step: i64, matches: impl Fn(i64) -> bool) -> Option<i64> {
    window(now_ms).into_iter().filter(|s| *s > last_accepted_step).find(|s| matches(*s))
}

/// What a user typed as their second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// Six digits from the authenticator app.
    Totp(String),
    /// A recovery code, normalised (lower case, no dash or spaces).
    Recovery(String),
}

/// Read a code as typed: spaces and dashes are ignored, letters in either case. `None` when it is
/// neither six digits nor a recovery code.
pub fn parse_code(input: &str) -> Option<SecondFactor> {
    let s: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_lowercase();
    if s.len() == DIGITS && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(SecondFactor::Totp(s));
    }
    if s.len() == RECOVERY_LEN && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
        return Some(SecondFactor::Recovery(s));
    }
    None
}

/// A recovery code from random bytes, as shown to the user: `xxxxx-xxxxx`.
pub fn recovery_code(random: &[u8; RECOVERY_LEN]) -> String {
    let chars: String =
        random.iter().map(|b| RECOVERY_ALPHABET[*b as usize % RECOVERY_ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..RECOVERY_LEN / 2], &chars[RECOVERY_LEN / 2..])
}

/// Whether a user who has not enrolled must enrol before using the console: owners, when the shop
/// requires two-factor login of its owners.
pub fn must_enrol(role: Role, shop_requires_for_owners: bool, enrolled: bool) -> bool {
    !enrolled && shop_requires_for_owners && role == Role::Owner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_one_step_either_side() {
        let now = 1_700_000_015_000;
        let s = now / 30_000;
        assert_eq!(window(now), [s - 1, s, s + 1]);
        assert_eq!(step_at(29_999), 0);
        assert_eq!(step_at(30_000), 1);
    }

    #[test]
    fn a_step_is_accepted_once_and_never_an_earlier_one() {
        let now = 1_700_000_015_000;
        let s = step_at(now);
        assert_eq!(accept(now, 0, |x| x == s), Some(s));
        // The same code again: its step is no longer later than the last accepted.
        assert_eq!(accept(now, s, |x| x == s), None);
        // The previous step's code after the current one was used.
        assert_eq!(accept(now, s, |x| x == s - 1), None);
        // The next step's code still works (clock drift).
        assert_eq!(accept(now, s, |x| x == s + 1), Some(s + 1));
        // Outside the window.
        assert_eq!(accept(now, 0, |x| x == s - 2 || x == s + 2), None);
    }

    #[test]
    fn codes_are_read_as_typed() {
        assert_eq!(parse_code(" 123 456 "), Some(SecondFactor::Totp("123456".into())));
        assert_eq!(parse_code("ABCDE-fghjk"), Some(SecondFactor::Recovery("abcdefghjk".into())));
        assert_eq!(parse_code("12345"), None);
        assert_eq!(parse_code("1234567"), None);
        assert_eq!(parse_code("abcde-fghj0"), None);
        assert_eq!(parse_code(""), None);
    }

    #[test]
    fn recovery_codes_parse_back() {
        let c = recovery_code(&[0, 1, 2, 3, 4, 250, 251, 252, 253, 254]);
        assert_eq!(c.len(), RECOVERY_LEN + 1);
        assert_eq!(&c[5..6], "-");
        assert!(matches!(parse_code(&c), Some(SecondFactor::Recovery(_))));
    }

    #[test]
    fn only_owners_must_enrol_and_only_when_required() {
        assert!(must_enrol(Role::Owner, true, false));
        assert!(!must_enrol(Role::Owner, true, true));
        assert!(!must_enrol(Role::Owner, false, false));
        for r in [Role::Operator, Role::Finance, Role::Service, Role::Clerk] {
            assert!(!must_enrol(r, true, false));
        }
    }
}
