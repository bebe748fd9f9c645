//! Extractors whose rejections are [`ApiError`]s naming the field at fault.

use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

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
    let what = |expected: &str| {
        if ["i64", "i32", "u64", "u32", "usize", "isize", "i16", "u16", "i8", "u8"].contains(&expected) {
            "a whole number (an id)".to_string()
        } else {
            format!("a valid {expected}")
        }
    };
    let shown = |v: &str| v.chars().take(40).collect::<String>();
    let (field, message) = match e.kind() {
        ErrorKind::ParseErrorAtKey { key, value, expected_type } => {
            (key.clone(), format!("'{}' is not {}", shown(value), what(expected_type)))
        }
        ErrorKind::ParseError { value, expected_type } => {
            let key = params
                .and_then(|ps| ps.iter().find(|(_, v)| *v == value.as_str()).map(|(k, _)| k.to_string()))
                .unwrap_or_else(|| "path".to_string());
            (key, format!("'{}' is not {}", shown(value), what(expected_type)))
        }
        ErrorKind::ParseErrorAtIndex { index, value, expected_type } => {
            let key = params
                .and_then(|ps| ps.iter().nth(*index).map(|(k, _)| k.to_string()))
                .unwrap_or_else(|| format!("path[{index}]"));
            (key, format!("'{}' is not {}", shown(value), what(expected_type)))
        }
        ErrorKind::InvalidUtf8InPathParam { key } => (key.clone(), "is not valid UTF-8".to_string()),
        _ => ("path".to_string(), e.body_text()),
    };
    ApiError::new(StatusCode::BAD_REQUEST, "bad_path", message).with_field(field)
}

/// The longest query string any route accepts.
pub const MAX_QUERY_BYTES: usize = 4096;

pub fn query_too_long() -> ApiError {
    ApiError::new(
        StatusCode::URI_TOO_LONG,
        "uri_too_long",
        format!("the query string is longer than {MAX_QUERY_BYTES} bytes"),
    )
    .with_field("query")
}

/// Refuse a query string longer than [`MAX_QUERY_BYTES`] before routing, on every route: 414 with the
/// error envelope (an error page in the page's language for a browser asking for a page). Hyper itself answers an
/// address longer than 64 KiB with a bare 414 before any of this runs.
pub async fn limit_query(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    if req.uri().query().is_none_or(|q| q.len() <= MAX_QUERY_BYTES) {
        return next.run(req).await;
    }
    let wants_page = !req.uri().path().starts_with("/api/")
        && req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if !wants_page {
        return query_too_long().into_response();
    }
    let (parts, _) = req.into_parts();
    crate::web::error_page_in(
        crate::web::page_lang(&parts),
        StatusCode::URI_TOO_LONG,
        "err.bad_request",
        "err.uri_too_long",
    )
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
