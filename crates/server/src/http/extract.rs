//! Extractors whose rejections are [`ApiError`]s naming the field at fault.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use minimall_core::error::Label;

use crate::error::ApiError;
use crate::error::ApiReason;
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
            return Err(ApiError::refused(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                &ApiReason::JsonExpected,
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
        let chunk = chunk.map_err(|e| {
            tracing::debug!(error = %e, "request body unreadable");
            ApiError::bad_request_because(&ApiReason::BodyUnreadable)
        })?;
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
    ApiError::refused(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        &ApiReason::BodyTooLarge { max_bytes: i64::try_from(limit).unwrap_or(i64::MAX) },
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
                ApiError::invalid_because(field_from(&path, &msg), &data_reason(&msg))
            }
            _ => {
                let at = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
                ApiError::refused(
                    StatusCode::BAD_REQUEST,
                    "bad_json",
                    &ApiReason::MalformedJson { line: at(inner.line()), column: at(inner.column()) },
                )
            }
        }
    })
}

/// Path parameters. One that does not parse (`/orders/abc`, a number out of range) → 400 naming the
/// parameter, like every other refusal.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => {
                let params = axum::extract::RawPathParams::from_request_parts(parts, state).await.ok();
                Err(path_error(e, params.as_ref()))
            }
        }
    }
}

/// The parameter a path rejection is about and what is wrong with it. `params` name the route's parameters
/// for a rejection of a single value, which does not carry its name.
pub fn path_error(e: PathRejection, params: Option<&axum::extract::RawPathParams>) -> ApiError {
    use axum::extract::path::ErrorKind;
    let PathRejection::FailedToDeserializePathParams(e) = e else {
        // A handler asking for a parameter its route does not have: a fault of the code, not of the request.
        return ApiError::internal(e.body_text());
    };
    let why = |value: &str, expected: &str| {
        let value = value.chars().take(40).collect::<String>();
        if ["i64", "i32", "u64", "u32", "usize", "isize", "i16", "u16", "i8", "u8"].contains(&expected) {
            ApiReason::PathNotWhole { value }
        } else {
            ApiReason::PathInvalid { value }
        }
    };
    let (field, reason) = match e.kind() {
        ErrorKind::ParseErrorAtKey { key, value, expected_type } => (key.clone(), why(value, expected_type)),
        ErrorKind::ParseError { value, expected_type } => {
            let key = params
                .and_then(|ps| ps.iter().find(|(_, v)| *v == value.as_str()).map(|(k, _)| k.to_string()))
                .unwrap_or_else(|| "path".to_string());
            (key, why(value, expected_type))
        }
        ErrorKind::ParseErrorAtIndex { index, value, expected_type } => {
            let key = params
                .and_then(|ps| ps.iter().nth(*index).map(|(k, _)| k.to_string()))
                .unwrap_or_else(|| format!("path[{index}]"));
            (key, why(value, expected_type))
        }
        ErrorKind::InvalidUtf8InPathParam { key } => (key.clone(), ApiReason::PathNotUtf8),
        _ => ("path".to_string(), ApiReason::PathInvalid { value: String::new() }),
    };
    ApiError::refused(StatusCode::BAD_REQUEST, "bad_path", &reason).with_field(field)
}

/// The longest query string any route accepts.
pub const MAX_QUERY_BYTES: usize = 4096;

pub fn query_too_long() -> ApiError {
    ApiError::refused(
        StatusCode::URI_TOO_LONG,
        "uri_too_long",
        &ApiReason::QueryTooLong { max_bytes: i64::try_from(MAX_QUERY_BYTES).unwrap_or(i64::MAX) },
    )
    .with_field("query")
}

/// Query string. A value of the wrong type or out of range → 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        if q.len() > MAX_QUERY_BYTES {
            return Err(query_too_long());
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de).map(ApiQuery).map_err(|e| {
            let path = e.path().to_string();
            let msg = e.into_inner().to_string();
            ApiError::invalid_because(field_from(&path, &msg), &data_reason(&msg))
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

/// The refusal a deserializer's error stands for. serde words its errors in English; only their kind and
/// the names they quote are kept.
pub fn data_reason(msg: &str) -> ApiReason {
    let after = |p: &str| msg.find(p).map(|i| &msg[i + p.len()..]);
    if msg.contains("unknown field `") {
        return ApiReason::UnknownField;
    }
    if msg.contains("missing field `") {
        return ApiReason::MissingField;
    }
    if msg.contains("duplicate field `") {
        return ApiReason::DuplicateField;
    }
    if msg.contains("unknown variant `") {
        let allowed = after("expected one of ").or_else(|| after(", expected ")).unwrap_or("");
        let allowed = allowed.split(" at line ").next().unwrap_or("").replace('`', "");
        return ApiReason::UnknownVariant { allowed };
    }
    if let Some(expected) =
        after(", expected ").filter(|_| msg.contains("invalid type: ") || msg.contains("invalid value: "))
    {
        return ApiReason::WrongType { expected: kind(expected.split(" at line ").next().unwrap_or("")) };
    }
    if msg.contains("invalid length ") {
        return ApiReason::BadLength;
    }
    if ["number out of range", "number too large", "number too small"].iter().any(|p| msg.contains(p)) {
        return ApiReason::OutOfRange;
    }
    let expected = if msg.contains("invalid digit") || msg.contains("cannot parse integer") {
        "whole_number"
    } else if msg.contains("invalid float literal") {
        "number"
    } else if msg.contains("`true` or `false`") {
        "yes_no"
    } else {
        return ApiReason::Malformed;
    };
    ApiReason::WrongType { expected: Label { prefix: "input-kind", key: expected } }
}

/// What a deserializer expected (`i64`, `a string`, `struct Item`), as a label the catalogue words.
fn kind(expected: &str) -> Label {
    let key = match expected.trim() {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "whole_number",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "count",
        "f32" | "f64" => "number",
        "a string" | "a borrowed string" | "a character" | "char" => "text",
        "a boolean" => "yes_no",
        e if e.starts_with("a sequence") || e.starts_with("an array") || e.starts_with("a tuple") => "list",
        e if e.starts_with("struct ") || e.starts_with("a map") => "object",
        _ => "value",
    };
    Label { prefix: "input-kind", key }
}

/// Every kind of value a deserializer's refusal may name.
pub const INPUT_KINDS: &[&str] = &["whole_number", "count", "number", "text", "yes_no", "list", "object", "value"];

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
        assert_eq!(e.reason_code(), Some("json.malformed"));
    }

    #[test]
    fn deserializer_errors_become_codes() {
        let code = |body: &[u8]| parse_json::<Body>(body).unwrap_err().reason().cloned().unwrap();
        let r = code(br#"{"items":[{"sku_id":"abc","quantity":1}]}"#);
        assert_eq!(r.code, "input.wrong_type");
        assert_eq!(
            r.params,
            vec![("expected", minimall_core::error::Param::Label { prefix: "input-kind", key: "whole_number" })]
        );
        let r = code(br#"{"items":[{"sku_id":1,"quantity":-1}]}"#);
        assert_eq!(
            r.params,
            vec![("expected", minimall_core::error::Param::Label { prefix: "input-kind", key: "count" })]
        );
        assert_eq!(
            code(br#"{"items":{}}"#).params[0].1,
            minimall_core::error::Param::Label { prefix: "input-kind", key: "list" }
        );
        assert_eq!(code(br#"{"items":[],"x":1}"#).code, "input.unknown_field");
        assert_eq!(code(br#"{"items":[{"sku_id":1}]}"#).code, "input.missing_field");
        assert_eq!(code(br#"{"items":[{"sku_id":99999999999999999999,"quantity":1}]}"#).code, "input.wrong_type");
        for (msg, code) in [
            ("invalid digit found in string", "input.wrong_type"),
            ("number too large to fit in target type", "number.out_of_bounds"),
            ("unknown variant `x`, expected one of `a`, `b`", "input.unknown_variant"),
            ("something else entirely", "input.malformed"),
        ] {
            assert_eq!(minimall_core::error::Coded::code(&data_reason(msg)), code, "{msg}");
        }
        assert_eq!(
            data_reason("unknown variant `x`, expected one of `a`, `b`"),
            ApiReason::UnknownVariant { allowed: "a, b".into() }
        );
    }
}
