//! Server-rendered pages: the H5 storefront at `/` and the admin console at `/admin`.
//!
//! Pages call the same domain code as the JSON API (often the API handler itself, in-process), render
//! askama templates (auto-escaped) and carry no inline script: JS and CSS are embedded files under
//! `/assets/`. Every page gets a Content-Security-Policy; every POST passes the CSRF check of
//! [`csrf::layer`] and the same-origin check of the session extractors.

pub mod console;
pub mod csrf;
pub mod i18n;
mod i18n_buyer;
mod i18n_reco;
mod i18n_shop;
mod i18n_social;
pub mod shop;
pub mod view;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;
use crate::state::AppState;
pub use i18n::Lang;

/// The policy of every page: nothing from elsewhere, no inline script or style.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; \
                       object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// [`CSP`] with images also allowed from the shop's CDN hosts, over https.
pub fn csp(cdn_hosts: &[String]) -> String {
    let cdn: String = cdn_hosts.iter().map(|h| format!(" https://{h}")).collect();
    CSP.replacen("img-src 'self' data:", &format!("img-src 'self' data:{cdn}"), 1)
}

/// Pages and assets. `cdn_hosts` are the checked hosts of the configuration.
pub fn router(cdn_hosts: &[String]) -> Router<AppState> {
    let csp = HeaderValue::from_str(&csp(cdn_hosts)).unwrap_or_else(|_| HeaderValue::from_static(CSP));
    Router::new()
        .merge(shop::routes())
        .merge(console::routes())
        .route("/assets/{file}", get(asset))
        .route("/lang", get(set_lang))
        .layer(axum::middleware::from_fn(csrf::layer))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, csp))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
}

/// What every template needs: the language, the CSRF token for forms, the current path.
#[derive(Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub csrf: String,
    /// Path and query of this request (for `next=` links).
    pub here: String,
    /// What the last action answered, shown once at the top of this page (see [`shop::toast`]).
    pub toast: Option<shop::Toast>,
}

impl Ctx {
    /// A message in the page's language.
    pub fn t(&self, key: &str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// Fen as yuan with the currency sign: `¥12.30`.
    pub fn y(&self, fen: impl Int) -> String {
        view::yuan(fen.int())
    }

    /// Fen as a plain yuan number for form inputs: `12.30`.
    pub fn yv(&self, fen: impl Int) -> String {
        minimall_core::money::Money::from_fen(fen.int()).to_yuan_string()
    }

    /// Epoch ms as Beijing time, `2026-11-25 18:00`.
    pub fn time(&self, ms: impl Int) -> String {
        view::beijing_time(ms.int())
    }

    /// A message whose id is a prefix and a value: `tp("lifecycle.", "new")`.
    pub fn tp(&self, prefix: &str, key: &str) -> &'static str {
        i18n::t(self.lang, &format!("{prefix}{key}"))
    }

    /// `tp(prefix, key)` when the catalog has it in Chinese; otherwise the server's own text.
    pub fn tp_or(&self, prefix: &str, key: &str, fallback: &str) -> String {
        let id = format!("{prefix}{key}");
        if self.lang == Lang::Zh && i18n::has(&id) {
            i18n::t(self.lang, &id).to_string()
        } else {
            fallback.to_string()
        }
    }

    /// Label of an order status.
    /// An order status as the catalogue words it.
    pub fn status(&self, s: &str) -> String {
        crate::labels::label(self.lang, "order-status", s)
    }

    /// A value of a labelled family (`channel`, `payment-status`, …) as the catalogue words it.
    pub fn label(&self, family: &str, key: &str) -> String {
        crate::labels::label(self.lang, family, key)
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The language switch link: to the other language, back to this page.
    pub fn other_lang_href(&self) -> String {
        let to = if self.is_en() { "zh" } else { "en" };
        format!("/lang?to={to}&next={}", view::urlencode(&self.here))
    }
}

/// An integer however many references deep templates hand it over.
pub trait Int {
    fn int(&self) -> i64;
}

impl Int for i64 {
    fn int(&self) -> i64 {
        *self
    }
}

impl<T: Int + ?Sized> Int for &T {
    fn int(&self) -> i64 {
        (**self).int()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = page_lang(parts);
        let csrf = parts.extensions.get::<csrf::Token>().map(|t| t.0.clone()).unwrap_or_default();
        let here = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let toast = shop::Toast::from_parts(parts);
        Ok(Ctx { lang, csrf, here, toast })
    }
}

/// A page handler's error: rendered as a page with the right status.
#[derive(Debug)]
pub enum WebError {
    Api(ApiError),
    Redirect(String),
}

impl From<ApiError> for WebError {
    fn from(e: ApiError) -> Self {
        WebError::Api(e)
    }
}

impl From<minimall_core::FieldError> for WebError {
    fn from(e: minimall_core::FieldError) -> Self {
        WebError::Api(e.into())
    }
}

impl From<minimall_store::StoreError> for WebError {
    fn from(e: minimall_store::StoreError) -> Self {
        WebError::Api(e.into())
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Redirect(to) => Redirect::to(&to).into_response(),
            WebError::Api(e) => {
                let mut resp = error_page(Lang::Zh, e.status, &e.message(Lang::Zh));
                // The storefront answers a refused action in the page it came from (`shop::answer_in_page`).
                resp.extensions_mut().insert(e);
                resp
            }
        }
    }
}

pub type WebResult = Result<Response, WebError>;

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    html_lang: &'static str,
    status: u16,
    title: &'a str,
    message: &'a str,
    home: &'static str,
    console: &'static str,
}

/// A bare error page (no session needed) in `lang`: 403, 404, 5xx, a refused request.
pub fn error_page(lang: Lang, status: StatusCode, message: &str) -> Response {
    let title = match status.as_u16() {
        403 => "err.forbidden",
        404 => "err.not_found",
        401 => "err.login",
        s if s >= 500 => "err.server",
        _ => "err.refused",
    };
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), message, "page failed");
    }
    let body = ErrorPage {
        html_lang: if lang == Lang::En { "en" } else { "zh-CN" },
        status: status.as_u16(),
        title: i18n::t(lang, title),
        message,
        home: i18n::t(lang, "err.home"),
        console: i18n::t(lang, "err.console"),
    }
    .render_page();
    (status, body).into_response()
}

/// An error page wholly in one language: a title and a message from the catalog.
pub fn error_page_in(lang: Lang, status: StatusCode, title_key: &str, message_key: &str) -> Response {
    let body = ErrorPage {
        html_lang: if lang == Lang::En { "en" } else { "zh-CN" },
        status: status.as_u16(),
        title: i18n::t(lang, title_key),
        message: i18n::t(lang, message_key),
        home: i18n::t(lang, "err.home"),
        console: i18n::t(lang, "err.console"),
    }
    .render_page();
    (status, body).into_response()
}

/// The language of the page a request is for (the `lang` cookie; Chinese by default).
pub fn page_lang(parts: &Parts) -> Lang {
    match crate::accounts::auth::cookie(parts, "lang").as_deref() {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// A page's refusal of its own address: 400 as an error page in the page's language.
fn bad_address(parts: &Parts, e: ApiError) -> Response {
    if e.status.is_server_error() {
        return error_page(page_lang(parts), e.status, &e.message(page_lang(parts)));
    }
    error_page_in(page_lang(parts), StatusCode::BAD_REQUEST, "err.bad_request", "err.bad_address")
}

/// Path parameters of a page. One that does not parse (`/orders/abc`) answers 400 with an error page in the
/// page's language.
pub struct WebPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> FromRequestParts<S> for WebPath<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(WebPath(v)),
            Err(e) => {
                let params = axum::extract::RawPathParams::from_request_parts(parts, state).await.ok();
                Err(bad_address(parts, crate::http::extract::path_error(e, params.as_ref())))
            }
        }
    }
}

/// The query string of a page. One that does not parse answers 400 with an error page in the page's
/// language.
pub struct WebQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for WebQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(WebQuery(v)),
            Err(e) => Err(bad_address(
                parts,
                ApiError::bad_request_because(&crate::http::extract::data_reason(&e.body_text())),
            )),
        }
    }
}

/// Render a template to a response.
pub trait RenderPage {
    fn render_page(&self) -> Response;
}

impl<T: askama::Template> RenderPage for T {
    fn render_page(&self) -> Response {
        match self.render() {
            Ok(s) => Html(s).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "template failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
            }
        }
    }
}

/// Only local paths are followed after a switch or a login.
pub fn safe_next(next: Option<&str>, default: &str) -> String {
    match next {
        // Browsers drop tabs and newlines from URLs and read a backslash as `/`: "/<tab>/evil" would be "//evil".
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => default.to_string(),
    }
}

#[derive(serde::Deserialize)]
struct LangQuery {
    to: Option<String>,
    next: Option<String>,
}

async fn set_lang(axum::extract::Query(q): axum::extract::Query<LangQuery>) -> Response {
    let lang = if q.to.as_deref() == Some("en") { "en" } else { "zh" };
    let mut resp = Redirect::to(&safe_next(q.next.as_deref(), "/")).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax")) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("assets/app.css")),
    ("shop.js", "text/javascript; charset=utf-8", include_bytes!("assets/shop.js")),
    ("admin.js", "text/javascript; charset=utf-8", include_bytes!("assets/admin.js")),
    ("logo.svg", "image/svg+xml", include_bytes!("assets/logo.svg")),
];

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == file) {
        Some((_, ty, body)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(ty)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            ],
            *body,
        )
            .into_response(),
        None => error_page(Lang::Zh, StatusCode::NOT_FOUND, i18n::t(Lang::Zh, "err.no_asset")),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/orders?status=paid"), "/"), "/orders?status=paid");
        for bad in
            ["//evil.example", "https://evil.example", "/\\evil.example", "/\t/evil.example", "/\n/x", "evil", ""]
        {
            assert_eq!(safe_next(Some(bad), "/home"), "/home", "{bad:?}");
        }
        assert_eq!(safe_next(None, "/admin"), "/admin");
    }
}
