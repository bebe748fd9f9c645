//! CSRF protection of the pages: a double-submit token. A random token lives in the HttpOnly cookie
//! `mm_csrf`; pages render it into a hidden `_csrf` field of every POST form (or scripts send it as
//! `X-CSRF-Token`). Every unsafe request to a page must come from our own origin and carry the token of
//! its cookie, otherwise it is refused with 403 before any handler runs.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use super::i18n::{self, Lang};

pub const COOKIE: &str = "mm_csrf";
pub const FIELD: &str = "_csrf";
pub const HEADER: &str = "x-csrf-token";
/// Largest form body a page accepts.
const MAX_FORM: usize = 256 * 1024;

/// The request's CSRF token, for templates.
#[derive(Clone)]
pub struct Token(pub String);

fn cookie_token(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Equal in constant time for equal lengths.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn refuse(lang: Lang, message: &str) -> Response {
    super::error_page(lang, StatusCode::FORBIDDEN, message)
}

pub async fn layer(req: Request, next: Next) -> Response {
    let existing = cookie_token(&req);
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(|| hex::encode(rand::random::<[u8; 32]>()));
    let mut req = req;
    if !req.method().is_safe() {
        let (parts, body) = req.into_parts();
        let lang = super::page_lang(&parts);
        if let Err(e) = crate::accounts::auth::check_same_origin(&parts) {
            return refuse(lang, &e.message(lang));
        }
        if fresh {
            return refuse(lang, i18n::t(lang, "err.form_expired"));
        }
        let bytes = match axum::body::to_bytes(body, MAX_FORM).await {
            Ok(b) => b,
            Err(_) => {
                return super::error_page(lang, StatusCode::PAYLOAD_TOO_LARGE, i18n::t(lang, "err.form_too_large"))
            }
        };
        let sent = parts
            .headers
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| form_urlencoded::parse(&bytes).find(|(k, _)| k == FIELD).map(|(_, v)| v.into_owned()));
        match sent {
            Some(s) if same(&s, &token) => {}
            _ => return refuse(lang, i18n::t(lang, "err.form_token")),
        }
        req = Request::from_parts(parts, Body::from(bytes));
    }
    req.extensions_mut().insert(Token(token.clone()));
    let mut resp = next.run(req).await;
    if fresh {
        if let Ok(v) = HeaderValue::from_str(&format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax")) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The fields of a urlencoded form body (the CSRF layer has already checked its token).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &[u8]) -> Fields {
        Fields(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        Some(self.get(name)).filter(|s| !s.trim().is_empty())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }

    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name).trim().parse().ok()
    }

    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), "on" | "1" | "true")
    }
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Fields {
    type Rejection = Response;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_FORM).await.map_err(|_| {
            super::error_page(Lang::Zh, StatusCode::PAYLOAD_TOO_LARGE, i18n::t(Lang::Zh, "err.form_too_large"))
        })?;
        Ok(Fields::parse(&bytes))
    }
}
