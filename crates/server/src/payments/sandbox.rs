//! The sandbox payment provider: behaves like a real one for demos and tests. Completing a payment does
//! not mark the order paid; it schedules signed notifications to the shop's own callback, which (by
//! configuration) arrive late, more than once and out of order, exactly as real providers deliver them.
//! Notifications are signed with HMAC-SHA256 over `timestamp\nnonce\nbody\n` with the sandbox secret.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

pub const PROVIDER: &str = "sandbox";
/// Notifications older or newer than this are refused.
pub const MAX_SKEW_MS: i64 = 300_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SandboxNotice {
    /// Unique per notification delivery attempt group.
    pub id: String,
    /// TRANSACTION.SUCCESS or REFUND.SUCCESS
    pub event_type: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    /// fen
    pub amount: i64,
    pub out_refund_no: Option<String>,
}

/// The MAC over `timestamp\nnonce\nbody\n`, before finalising.
fn mac(secret: &str, timestamp: &str, nonce: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(nonce.as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac.update(b"\n");
    mac
}

pub fn sign(secret: &str, timestamp: &str, nonce: &str, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, nonce, body).finalize().into_bytes())
}

/// Why a notification was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    MissingHeaders,
    Stale,
    BadSignature,
    Malformed(String),
}

/// Verify and parse a notification as received.
pub fn verify(
    secret: &str,
    timestamp: &str,
    nonce: &str,
    signature: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<SandboxNotice, Refused> {
    if timestamp.is_empty() || nonce.is_empty() || signature.is_empty() || nonce.len() > 64 {
        return Err(Refused::MissingHeaders);
    }
    let ts: i64 = timestamp.parse().map_err(|_| Refused::MissingHeaders)?;
    if now_ms.saturating_sub(ts.saturating_mul(1000)).saturating_abs() > MAX_SKEW_MS {
        return Err(Refused::Stale);
    }
    let sig = hex::decode(signature).map_err(|_| Refused::BadSignature)?;
    mac(secret, timestamp, nonce, body).verify_slice(&sig).map_err(|_| Refused::BadSignature)?;
    serde_json::from_slice(body).map_err(|e| Refused::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_tampering_fails() {
        let n = SandboxNotice {
            id: "n1".into(),
            event_type: "TRANSACTION.SUCCESS".into(),
            out_trade_no: "T1".into(),
            transaction_id: "X1".into(),
            amount: 100,
            out_refund_no: None,
        };
        let body = serde_json::to_vec(&n).unwrap();
        let now = 1_800_000_000_000;
        let ts = (now / 1000).to_string();
        let sig = sign("s3cret", &ts, "abc", &body);
        assert_eq!(verify("s3cret", &ts, "abc", &sig, &body, now).unwrap(), n);
        let mut bad = body.clone();
        bad[10] ^= 1;
        assert_eq!(verify("s3cret", &ts, "abc", &sig, &bad, now), Err(Refused::BadSignature));
        assert_eq!(verify("other", &ts, "abc", &sig, &body, now), Err(Refused::BadSignature));
        assert_eq!(verify("s3cret", &ts, "abc", &sig, &body, now + 10 * 60_000), Err(Refused::Stale));
        // Timestamps at the ends of the range are stale, not an overflow.
        for ts in [i64::MAX, i64::MIN] {
            assert_eq!(verify("s3cret", &ts.to_string(), "abc", &sig, &body, now), Err(Refused::Stale));
        }
    }
}
