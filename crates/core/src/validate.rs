//! Newtypes that parse input at the edge. Holding one means the value is valid.

use crate::error::{count, Reason};
use crate::FieldError;

macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// Console login name: 3–32 of `a-z 0-9 _ . -`, lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);
string_newtype!(Username);

impl Username {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let s = s.trim().to_ascii_lowercase();
        if s.len() < 3 || s.len() > 32 {
            return Err(FieldError::new(field, Reason::Length { min: 3, max: 32 }));
        }
        if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b)) {
            return Err(FieldError::new(field, Reason::UsernameChars));
        }
        Ok(Username(s))
    }
}

/// A console password: 8–128 characters, not all digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let n = s.chars().count();
        if !(8..=128).contains(&n) {
            return Err(FieldError::new(field, Reason::Length { min: 8, max: 128 }));
        }
        if s.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(field, Reason::PasswordOnlyDigits));
        }
        Ok(Password(s.to_string()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A mainland China mobile number: 11 digits starting with 1[3-9]. A leading +86 is accepted and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);
string_newtype!(Phone);

impl Phone {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let t: String = s.trim().chars().filter(|c| *c != ' ' && *c != '-').collect();
        let t = t.strip_prefix("+86").unwrap_or(&t);
        let b = t.as_bytes();
        if b.len() != 11 || b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) || !b.iter().all(u8::is_ascii_digit) {
            return Err(FieldError::new(field, Reason::Phone));
        }
        Ok(Phone(t.to_string()))
    }

    /// `138****8000`, for logs and lists.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// A display name (nickname, store name): 1–`max` characters after trimming, no control characters.
pub fn display_text(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(FieldError::new(field, Reason::Empty));
    }
    if n > max {
        return Err(FieldError::new(field, Reason::TooLong { max: count(max) }));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new(field, Reason::ControlChars));
    }
    Ok(t.to_string())
}

/// The name after `sandbox:` in a sandbox login code: 1–32 of letters, digits, `_` and `-`.
pub fn sandbox_buyer_name(field: &str, s: &str) -> Result<String, FieldError> {
    if s.is_empty() || s.len() > 32 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(FieldError::new(field, Reason::SandboxName));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse("u", " Admin ").unwrap().as_str(), "admin");
        assert!(Username::parse("u", "ab").is_err());
        assert!(Username::parse("u", "a b c").is_err());
        assert!(Username::parse("u", "管理员").is_err());
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("p", "short").is_err());
        assert!(Password::parse("p", "12345678").is_err());
        assert!(Password::parse("p", "correct horse").is_ok());
        assert_eq!(format!("{:?}", Password::parse("p", "secret-pass").unwrap()), "Password(***)");
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("phone", "+86 138-0013-8000").unwrap().as_str(), "13800138000");
        assert_eq!(Phone::parse("phone", "13800138000").unwrap().masked(), "138****8000");
        for bad in ["1380013800", "12800138000", "2380013800a", ""] {
            assert!(Phone::parse("phone", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts() {
        assert_eq!(display_text("n", "  小明 ", 10).unwrap(), "小明");
        assert!(display_text("n", "  ", 10).is_err());
        assert!(display_text("n", "a\u{0}b", 10).is_err());
        assert!(display_text("n", "一二三四五六七八九十一", 10).is_err());
    }
}
