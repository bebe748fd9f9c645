//! Catalog rules: products, SKUs, specs, barcodes, banned words, CSV import/export.

pub mod banned;
pub mod barcode;
pub mod csvio;
pub mod image;
pub mod showcase;
pub mod spec;
pub mod tree;

use crate::error::{count, Reason};
use crate::FieldError;

/// Product lifecycle stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lifecycle {
    New,
    Growing,
    Mature,
    Declining,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 4] = [Lifecycle::New, Lifecycle::Growing, Lifecycle::Mature, Lifecycle::Declining];

    pub fn as_str(self) -> &'static str {
        match self {
            Lifecycle::New => "new",
            Lifecycle::Growing => "growing",
            Lifecycle::Mature => "mature",
            Lifecycle::Declining => "declining",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Lifecycle::New => "新品",
            Lifecycle::Growing => "成长",
            Lifecycle::Mature => "成熟",
            Lifecycle::Declining => "衰退",
        }
    }

    /// Accepts the English name or the Chinese label.
    pub fn parse(field: &str, s: &str) -> Result<Lifecycle, FieldError> {
        let t = s.trim();
        Lifecycle::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(t) || l.label_zh() == t)
            .ok_or_else(|| FieldError::new(field, Reason::Lifecycle))
    }
}

/// Limits on catalog text, shared by the API and CSV import.
pub const TITLE_MAX: usize = 60;
pub const SUBTITLE_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 20_000;
pub const CODE_MAX: usize = 64;
pub const TAGS_MAX: usize = 10;
pub const TAG_MAX: usize = 16;
pub const IMAGES_MAX: usize = 9;
pub const IMAGE_URL_MAX: usize = 300;
pub const CATEGORY_NAME_MAX: usize = 20;
pub const CATEGORY_DEPTH_MAX: usize = 3;
pub const SKUS_MAX: usize = 200;
pub const STOCK_MAX: i64 = 100_000_000;
pub const WEIGHT_MAX_G: i64 = 1_000_000;
pub const PURCHASE_LIMIT_MAX: i64 = 10_000;

/// A SKU or product code: 1–64 of letters, digits, `-`, `_`, `.`.
pub fn parse_code(field: &str, s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    if t.is_empty() || t.len() > CODE_MAX {
        return Err(FieldError::new(field, Reason::Length { min: 1, max: count(CODE_MAX) }));
    }
    if !t.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err(FieldError::new(field, Reason::CodeChars));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_parses_both_languages() {
        assert_eq!(Lifecycle::parse("l", "成熟").unwrap(), Lifecycle::Mature);
        assert_eq!(Lifecycle::parse("l", "Growing").unwrap(), Lifecycle::Growing);
        assert!(Lifecycle::parse("l", "old").is_err());
    }

    #[test]
    fn codes() {
        assert_eq!(parse_code("c", " A-1_b.2 ").unwrap(), "A-1_b.2");
        assert!(parse_code("c", "").is_err());
        assert!(parse_code("c", "红色").is_err());
    }
}
