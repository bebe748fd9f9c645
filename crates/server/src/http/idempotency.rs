//! `Idempotency-Key` handling for POSTs that create something. The key is claimed inside the handler's
//! write transaction (see `minimall_store::idempotency`); this module parses the header and hashes the request.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use minimall_store::idempotency::Claim;
use minimall_store::{Store, Tx, Writes};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::error::ApiReason;
use crate::usecase::Stored;

pub const HEADER: &str = "idempotency-key";
/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 128;

/// A validated key: 1–128 visible ASCII characters.
#[derive(Debug, Clone)]
pub struct IdemKey(String);

impl IdemKey {
    /// The key from the headers, if any. A malformed key is an error, not ignored.
    pub fn from_headers(h: &HeaderMap) -> Result<Option<IdemKey>, ApiError> {
        Self::parse(h.get(HEADER))
    }

    /// The key of a header value, if any. A malformed key is an error, not ignored.
    pub fn parse(v: Option<&axum::http::HeaderValue>) -> Result<Option<IdemKey>, ApiError> {
        let Some(v) = v else { return Ok(None) };
        let s = v.to_str().map_err(|_| ApiError::invalid_because("Idempotency-Key", &ApiReason::VisibleAscii))?;
        if s.is_empty() || s.len() > MAX_KEY_LEN || !s.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(ApiError::invalid_because("Idempotency-Key", &ApiReason::IdempotencyKeyFormat));
        }
        Ok(Some(IdemKey(s.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Keys that must be present (money or stock).
    pub fn required(h: &HeaderMap) -> Result<IdemKey, ApiError> {
        Self::from_headers(h)?
            .ok_or_else(|| ApiError::invalid_because("Idempotency-Key", &ApiReason::IdempotencyKeyRequired))
    }
}

/// Fingerprint of what the key stands for: method, route and body.
pub fn request_hash(method: &str, path: &str, body: &serde_json::Value) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// The outcome of claiming a key inside `tx`: `Ok(None)` means go ahead and do the work.
pub async fn begin(
    store: &Store,
    tx: &mut Tx,
    merchant_id: i64,
    scope: &str,
    key: &IdemKey,
    hash: &str,
) -> Result<Option<Stored>, ApiError> {
    match store.claim_idempotency_key(tx, merchant_id, scope, &key.0, hash).await? {
        Claim::New => Ok(None),
        Claim::Replay { status, body } => Ok(Some(Stored { status, body, replayed: true })),
        Claim::Mismatch => Err(mismatch()),
    }
}

/// A cheap look before any work, outside the write path: the stored answer when this key already finished the
/// same request, 422 when it was used for another one, `None` otherwise (new, or still in progress: the claim
/// inside the write transaction decides).
pub async fn replay(store: &Store, scope: &str, key: &IdemKey, hash: &str) -> Result<Option<Stored>, ApiError> {
    match store.idempotency_record(scope, &key.0).await? {
        Some((h, _, _)) if h != hash => Err(mismatch()),
        Some((_, status, body)) if status > 0 => Ok(Some(Stored { status, body, replayed: true })),
        _ => Ok(None),
    }
}

impl IntoResponse for Stored {
    fn into_response(self) -> Response {
        if self.replayed {
            return replayed(self.status, self.body);
        }
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        (status, [(axum::http::header::CONTENT_TYPE, "application/json")], self.body).into_response()
    }
}

fn replayed(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut resp = (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response();
    resp.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    resp
}

fn mismatch() -> ApiError {
    ApiError::refused(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", &ApiReason::IdempotencyKeyReused)
        .with_field("Idempotency-Key")
}

/// Store the response for the key in the same transaction as the work.
pub async fn finish(
    store: &Store,
    tx: &mut Tx,
    scope: &str,
    key: &IdemKey,
    status: StatusCode,
    body: &str,
) -> Result<(), ApiError> {
    store.save_idempotent_response(tx, scope, &key.0, status.as_u16(), body).await?;
    Ok(())
}

/// [`finish`] as one of the writes the transaction sends together.
pub fn finish_with(writes: &mut Writes, scope: &str, key: &IdemKey, status: StatusCode, body: &str) {
    writes.idempotent_response(scope, &key.0, status.as_u16(), body);
}
