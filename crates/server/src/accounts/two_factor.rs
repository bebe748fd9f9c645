//! TOTP codes (RFC 6238, HMAC-SHA1, 6 digits, 30 s, what authenticator apps use) through `totp-rs`, the
//! `otpauth://` URI and its QR code, and recovery codes. Which steps a code may match, and that each is
//! accepted once, is `minimall_core::two_factor`.

use minimall_core::two_factor::{self as tf, SecondFactor};
use minimall_store::two_factor::TwoFactorRow;
use minimall_store::Store;
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::error::{ApiError, ApiResult};

/// A new random secret (160 bits), base32.
pub fn new_secret() -> String {
    let mut b = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut b);
    Secret::Raw(b.to_vec()).to_encoded().to_string()
}

fn label(s: &str) -> String {
    let s: String = s.chars().filter(|c| *c != ':').collect();
    if s.trim().is_empty() {
        "Minimall".into()
    } else {
        s
    }
}

fn totp(secret_b32: &str, issuer: &str, account: &str) -> ApiResult<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().map_err(|e| ApiError::internal(format!("{e:?}")))?;
    TOTP::new(Algorithm::SHA1, tf::DIGITS, 0, tf::STEP_SECS as u64, bytes, Some(label(issuer)), label(account))
        .map_err(ApiError::internal)
}

/// The URI an authenticator app reads from the QR code.
pub fn otpauth_uri(secret_b32: &str, issuer: &str, account: &str) -> ApiResult<String> {
    Ok(totp(secret_b32, issuer, account)?.get_url())
}

/// The QR code of `text` as an SVG document.
pub fn qr_svg(text: &str) -> ApiResult<String> {
    let qr = qrcode::QrCode::new(text.as_bytes()).map_err(ApiError::internal)?;
    Ok(qr.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build())
}

/// The code of a time step (for tests and the enrolment check).
pub fn code_at_step(secret_b32: &str, step: i64) -> ApiResult<String> {
    Ok(totp(secret_b32, "x", "x")?.generate((step * tf::STEP_SECS) as u64))
}

fn matches(t: &TOTP, code: &str, step: i64) -> bool {
    step >= 0 && t.check(code, (step * tf::STEP_SECS) as u64)
}

/// The step a TOTP code matches now that was not accepted before, if any.
pub fn accepted_step(row: &TwoFactorRow, code: &str, now_ms: i64) -> ApiResult<Option<i64>> {
    let t = totp(&row.secret, "x", "x")?;
    Ok(tf::accept(now_ms, row.last_step, |s| matches(&t, code, s)))
}

/// Ten new recovery codes as shown to the user, and their hashes as stored.
pub fn new_recovery_codes() -> (Vec<String>, Vec<String>) {
    let mut rng = rand::thread_rng();
    let codes: Vec<String> = (0..tf::RECOVERY_CODES)
        .map(|_| {
            let mut b = [0u8; tf::RECOVERY_LEN];
            rng.fill_bytes(&mut b);
            tf::recovery_code(&b)
        })
        .collect();
    let hashes = codes.iter().map(|c| recovery_hash(&c.replace('-', ""))).collect();
    (codes, hashes)
}

/// The stored form of a normalised recovery code.
pub fn recovery_hash(normalised: &str) -> String {
    hex::encode(Sha256::digest(normalised.as_bytes()))
}

/// Check a second factor of an enrolled user and use it up (the TOTP step, or the recovery code).
/// True when it was accepted.
pub async fn verify_and_use(store: &Store, row: &TwoFactorRow, input: &str, now_ms: i64) -> ApiResult<bool> {
    if row.enabled == 0 {
        return Ok(false);
    }
    match tf::parse_code(input) {
        Some(SecondFactor::Totp(code)) => match accepted_step(row, &code, now_ms)? {
            Some(step) => Ok(store.use_totp_step(row.merchant_id, row.admin_id, step).await?),
            None => Ok(false),
        },
        Some(SecondFactor::Recovery(code)) => {
            Ok(store.use_recovery_code(row.merchant_id, row.admin_id, &recovery_hash(&code)).await?)
        }
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B, secret "12345678901234567890", T = 59 s -> 94287082 (8 digits); 6 digits: 287082.
        let secret = Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        assert_eq!(code_at_step(&secret, 1).unwrap(), "287082");
    }

    #[test]
    fn uri_and_qr() {
        let s = new_secret();
        let uri = otpauth_uri(&s, "Minimall 自营店", "admin").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={s}")), "{uri}");
        assert!(qr_svg(&uri).unwrap().contains("<svg"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_hashed() {
        let (codes, hashes) = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let set: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(set.len(), 10);
        assert_eq!(hashes[0], recovery_hash(&codes[0].replace('-', "")));
    }
}
