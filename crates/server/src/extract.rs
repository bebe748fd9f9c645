//! Extractors whose rejections are [`ApiError`]s naming the field at fault.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// JSON body. Malformed JSON → 400; a wrong type, an unknown or missing field, a number out of range → 422
/// naming the field; oversize → 413; not JSON → 415.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let ct = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
                ct == "application/json" || ct.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "expected Content-Type: application/json",
            ));
        }
        let bytes = read_body(req, state.cfg.max_body_bytes).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Read the whole body, refusing more than `limit` bytes with 413. A moderately oversized body is read to
/// its end (and dropped) so that the client receives the 413 instead of a reset connection.
pub async fn read_body(req: Request, limit: usize) -> Result<Bytes, ApiError> {
    use futures_util::StreamExt;
    const DRAIN_MAX: usize = 16 * 1024 * 1024;
    let mut stream = req.into_body().into_data_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("could not read the body: {e}")))?;
        total += chunk.len();
        if total > limit {
            if total > limit + DRAIN_MAX {
                break;
            }
            continue;
        }
        buf.extend_from_slice(&chunk);
    }
    if total > limit {
        return Err(too_large(limit));
    }
    Ok(Bytes::from(buf))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("request body is larger than {limit} bytes"),
    )
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let msg = inner.to_string();
                let field = field_from(&path, &msg);
                ApiError::invalid(field, strip_position(&msg))
            }
            _ => ApiError::new(StatusCode::BAD_REQUEST, "bad_json", format!("malformed JSON: {inner}")),
        }
    })
}

/// Query string. A value of the wrong type or out of range → 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        if q.len() > 4096 {
            return Err(ApiError::new(StatusCode::URI_TOO_LONG, "uri_too_long", "query string is too long"));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            ApiError::invalid(field_from(&path, &msg), msg)
        })
    }
}

/// The field a serde error is about: the path, plus the name in "unknown field `x`" / "missing field `x`".
fn field_from(path: &str, msg: &str) -> String {
    let named = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|p| msg.find(p).map(|i| &msg[i + p.len()..]))
        .and_then(|rest| rest.split('`').next());
    let path = if path == "." { "" } else { path };
    match named {
        Some(name) if path.is_empty() => name.to_string(),
        Some(name) if path == name || path.ends_with(&format!(".{name}")) => path.to_string(),
        Some(name) => format!("{path}.{name}"),
        None if path.is_empty() => "body".to_string(),
        None => path.to_string(),
    }
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        sku_id: i64,
        quantity: u32,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        items: Vec<Item>,
    }

    #[test]
    fn names_fields() {
        let e = parse_json::<Body>(br#"{"items":[{"sku_id":1,"quantity":1},{"sku_id":2,"quantity":-1}]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("items[1].quantity"));
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        let e = parse_json::<Body>(br#"{"items":[],"x":1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("x"));
        let e = parse_json::<Body>(br#"{"items":[{"sku_id":1}]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("items[0].quantity"));
        let e = parse_json::<Body>(br#"{"items":[{"sku_id":99999999999999999999,"quantity":1}]}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("items[0].sku_id"));
        let e = parse_json::<Body>(b"{\"items\":").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }
}
