//! Product barcodes: GS1 GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN-13) and GTIN-14, with the mod-10 check digit.

use crate::error::{count, Reason};
use crate::FieldError;

/// The GS1 check digit for `body` (the GTIN without its last digit): weights 3, 1, 3, 1… from the right.
/// `None` when `body` is empty or has a non-digit.
pub fn gtin_check_digit(body: &str) -> Option<u8> {
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 =
        body.bytes().rev().enumerate().map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    Some(((10 - sum % 10) % 10) as u8)
}

/// Parse a barcode as typed or scanned: surrounding spaces are trimmed, then it must be 8, 12, 13 or 14
/// ASCII digits whose last digit is the GS1 check digit. Returns the digits.
pub fn parse_gtin(field: &str, s: &str) -> Result<String, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, Reason::Empty));
    }
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        let reason =
            if t.contains(['E', 'e']) && t.contains('.') { Reason::BarcodeScientific } else { Reason::BarcodeDigits };
        return Err(FieldError::new(field, reason));
    }
    if !matches!(t.len(), 8 | 12 | 13 | 14) {
        return Err(FieldError::new(field, Reason::BarcodeLength { len: count(t.len()) }));
    }
    let (body, last) = t.split_at(t.len() - 1);
    let expected = gtin_check_digit(body).unwrap_or(0);
    if last.as_bytes()[0] - b'0' != expected {
        return Err(FieldError::new(
            field,
            Reason::BarcodeCheckDigit { expected: i64::from(expected), found: i64::from(last.as_bytes()[0] - b'0') },
        ));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_codes() {
        for code in [
            "6901234567892",  // EAN-13, China prefix
            "4006381333931",  // EAN-13
            "5901234123457",  // EAN-13
            "036000291452",   // UPC-A
            "96385074",       // GTIN-8
            "00012345600012", // GTIN-14
            "10614141000415", // GTIN-14
        ] {
            assert_eq!(parse_gtin("barcode", code).unwrap(), code, "{code}");
        }
    }

    #[test]
    fn trims() {
        assert_eq!(parse_gtin("b", "  6901234567892\t").unwrap(), "6901234567892");
    }

    #[test]
    fn wrong_check_digit_names_the_right_one() {
        let e = parse_gtin("barcode", "6901234567893").unwrap_err();
        assert_eq!(e.field, "barcode");
        assert_eq!(e.reason, Reason::BarcodeCheckDigit { expected: 2, found: 3 });
        assert_eq!(
            parse_gtin("b", "036000291450").unwrap_err().reason,
            Reason::BarcodeCheckDigit { expected: 2, found: 0 }
        );
        assert_eq!(
            parse_gtin("b", "96385075").unwrap_err().reason,
            Reason::BarcodeCheckDigit { expected: 4, found: 5 }
        );
    }

    #[test]
    fn wrong_length_or_characters() {
        assert_eq!(parse_gtin("b", "").unwrap_err().reason, Reason::Empty);
        assert_eq!(parse_gtin("b", "   ").unwrap_err().reason, Reason::Empty);
        let e = parse_gtin("b", "36000291452").unwrap_err();
        assert_eq!(e.reason, Reason::BarcodeLength { len: 11 });
        assert_eq!(parse_gtin("b", "123456789012345").unwrap_err().reason, Reason::BarcodeLength { len: 15 });
        assert_eq!(parse_gtin("b", "690123456789X").unwrap_err().reason, Reason::BarcodeDigits);
        assert_eq!(parse_gtin("b", "6901234 567892").unwrap_err().reason, Reason::BarcodeDigits);
        assert!(parse_gtin("b", "-6901234567892").is_err());
        // full-width digits are not barcode digits
        assert!(parse_gtin("b", "６９０１２３４５６７８９２").is_err());
        let e = parse_gtin("b", "6.90123E+12").unwrap_err();
        assert_eq!(e.reason, Reason::BarcodeScientific);
    }

    #[test]
    fn check_digit_function() {
        assert_eq!(gtin_check_digit("690123456789"), Some(2));
        assert_eq!(gtin_check_digit("03600029145"), Some(2));
        assert_eq!(gtin_check_digit("9638507"), Some(4));
        assert_eq!(gtin_check_digit("0"), Some(0));
        assert_eq!(gtin_check_digit(""), None);
        assert_eq!(gtin_check_digit("12a"), None);
    }

    proptest! {
        #[test]
        fn appended_check_digit_always_valid(body in prop::sample::select(vec![7usize, 11, 12, 13])
            .prop_flat_map(|n| prop::collection::vec(0u8..10, n)))
        {
            let body: String = body.iter().map(|d| char::from(b'0' + d)).collect();
            let code = format!("{body}{}", gtin_check_digit(&body).unwrap());
            prop_assert_eq!(parse_gtin("b", &code).unwrap(), code.clone());
            // any single changed digit is caught
            for i in 0..code.len() {
                let mut bytes = code.clone().into_bytes();
                bytes[i] = b'0' + (bytes[i] - b'0' + 1) % 10;
                let changed = String::from_utf8(bytes).unwrap();
                prop_assert!(parse_gtin("b", &changed).is_err(), "{}", changed);
            }
        }
    }
}
