//! The H5 storefront: mobile-first pages for buyers, this module their frame (who is shopping, redirects). The
//! pages live with their domain (`catalog::shop_pages`, `orders::shop_pages`, …) and go through the domain's use
//! cases, the same code as the shop API, so rules live in one place.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;

use super::view::urlencode;
use super::WebResult;
use crate::accounts::auth::Buyer;
use crate::state::AppState;

/// What the storefront pages of every domain use.
pub(crate) mod prelude {
    pub(crate) use askama::Template;
    pub(crate) use axum::extract::State;
    pub(crate) use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
    pub(crate) use axum::response::IntoResponse;
    pub(crate) use axum::routing::{get, post};
    pub(crate) use axum::Router;
    pub(crate) use minimall_core::page::Page;
    pub(crate) use serde::Deserialize;

    pub(crate) use super::{redirect, redirect_toast, redirect_with_cookies, MaybeBuyer, ShopBuyer};

    pub(crate) use crate::accounts::shop_api as shop_auth;
    pub(crate) use crate::aftersales::api::{self as as_routes, AftersaleDto, AftersaleRequest};
    pub(crate) use crate::catalog::shop_api as shop_catalog;
    pub(crate) use crate::catalog::{ProductCard, ProductDto};
    pub(crate) use crate::error::ApiError;
    pub(crate) use crate::flash::api::{self as flash_sales, FlashSaleDto};

    pub(crate) use crate::http::PageQuery;
    pub(crate) use crate::orders::shop_api::{self as so, CartDto, OrderDto};
    pub(crate) use crate::promotions::pricing::{CartItem, QuoteDto};
    pub(crate) use crate::promotions::shop_api::{self as sp, CouponDto, CouponTemplateDto, PointsDto};
    pub(crate) use crate::state::AppState;
    pub(crate) use crate::usecase::Call;
    pub(crate) use crate::web::csrf::Fields;

    pub(crate) use crate::web::{Ctx, RenderPage, WebError, WebPath, WebQuery, WebResult};
}

/// The storefront's pages: each domain's own, merged.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(crate::catalog::shop_pages::routes())
        .merge(crate::accounts::shop_pages::routes())
        .merge(crate::orders::shop_pages::routes())
        .merge(crate::promotions::shop_pages::routes())
        .merge(crate::aftersales::shop_pages::routes())
        .merge(crate::flash::shop_pages::routes())
        .merge(crate::group_buy::shop_pages::routes())
        .merge(crate::distribution::shop_pages::routes())
        .merge(crate::referral::pages::shop_routes())
        .merge(crate::community::shop_pages::routes())
        .merge(crate::members::shop_pages::routes())
        .merge(crate::reviews::shop_pages::routes())
        .merge(crate::personal::shop_pages::routes())
        .merge(crate::stored_value::shop_pages::routes())
        .route("/resume", axum::routing::get(resume))
        .layer(axum::middleware::from_fn(answer_in_page))
}

// ---- answers in the page ----------------------------------------------------------------------------

/// The cookie that carries an action's answer to the page shown next, once (`shop.js` clears it).
const TOAST_COOKIE: &str = "mm_toast";

/// What an action answered, shown at the top of the next page: a refusal or a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub error: bool,
    pub text: String,
}

impl Toast {
    pub(crate) fn from_parts(parts: &Parts) -> Option<Toast> {
        let raw = crate::accounts::auth::cookie(parts, TOAST_COOKIE)?;
        let (kind, enc) = raw.split_once('|')?;
        let text: String = form_urlencoded::parse(format!("t={enc}").as_bytes())
            .find(|(k, _)| k == "t")
            .map(|(_, v)| v.chars().take(200).collect())?;
        (!text.trim().is_empty()).then_some(Toast { error: kind == "e", text })
    }

    fn cookie(&self) -> String {
        let kind = if self.error { "e" } else { "s" };
        format!("{TOAST_COOKIE}={kind}|{}; Path=/; Max-Age=60; SameSite=Lax", urlencode(&self.text))
    }
}

/// A redirect to `to` that shows `text` there once.
pub(crate) fn redirect_toast(to: &str, text: &str, error: bool) -> WebResult {
    Ok(toast_response(to, &Toast { error, text: text.to_string() }))
}

fn toast_response(to: &str, t: &Toast) -> Response {
    let mut r = Redirect::to(to).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&t.cookie()) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// The local path of the page a form was sent from.
fn referring_path(req: &axum::extract::Request) -> Option<String> {
    let referer = req.headers().get(header::REFERER)?.to_str().ok()?;
    let host = req.headers().get(header::HOST)?.to_str().ok()?;
    let rest = referer.split_once("://")?.1;
    let (ref_host, path) = rest.find('/').map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
    (ref_host == host).then(|| super::safe_next(Some(path), "/"))
}

/// A storefront action that is refused (4xx) answers in the page it was sent from, with the refusal's
/// message on top, instead of an error page of its own. Actions sent from nowhere keep the error page.
async fn answer_in_page(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let back = (req.method() == axum::http::Method::POST).then(|| referring_path(&req)).flatten();
    let en = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(';').any(|kv| kv.trim() == "lang=en"));
    let lang = if en { super::Lang::En } else { super::Lang::Zh };
    let resp = next.run(req).await;
    let Some(back) = back else { return resp };
    match resp.extensions().get::<crate::error::ApiError>() {
        Some(e) if e.status.is_client_error() => toast_response(&back, &Toast { error: true, text: e.message(lang) }),
        _ => resp,
    }
}

// ---- an action resumed after logging in -------------------------------------------------------------

/// Actions a logged-out buyer may start and finish after logging in.
const RESUMABLE: &[&str] = &["/cart/add", "/coupons/", "/favourites/"];

/// The login page, then back to `action` with `fields` resubmitted (see [`resume`]).
pub(crate) fn login_then(action: &str, fields: &[(&str, String)]) -> WebResult {
    let mut resume = format!("/resume?to={}", urlencode(action));
    for (k, v) in fields {
        resume.push_str(&format!("&{k}={}", urlencode(v)));
    }
    redirect(&format!("/login?next={}", urlencode(&resume)))
}

#[derive(askama::Template)]
#[template(path = "shop/resume.html")]
struct ResumePage {
    c: super::Ctx,
    to: String,
    fields: Vec<(String, String)>,
}

/// After logging in: the action the buyer started, sent again as a form (`shop.js` sends it at once; without
/// script, a button does). Only storefront actions are resumed, with at most 10 fields.
async fn resume(
    c: super::Ctx,
    ShopBuyer(_): ShopBuyer,
    super::WebQuery(q): super::WebQuery<Vec<(String, String)>>,
) -> WebResult {
    use super::RenderPage;
    let to = q.iter().find(|(k, _)| k == "to").map(|(_, v)| v.clone()).unwrap_or_default();
    let ok = RESUMABLE.iter().any(|p| to.starts_with(p))
        && to.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'-' || b == b'_');
    if !ok {
        return redirect("/");
    }
    let fields: Vec<(String, String)> = q
        .into_iter()
        .filter(|(k, _)| k != "to" && k != "_csrf" && k.len() <= 32)
        .take(10)
        .map(|(k, v)| (k, v.chars().take(200).collect()))
        .collect();
    Ok(ResumePage { c, to, fields }.render_page())
}

// ---- who is shopping ------------------------------------------------------------------------------

/// The buyer, if logged in.
pub struct MaybeBuyer(pub Option<Buyer>);

impl FromRequestParts<AppState> for MaybeBuyer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeBuyer(Buyer::from_request_parts(parts, st).await.ok()))
    }
}

/// A logged-in buyer; anyone else is sent to the login page and back.
pub struct ShopBuyer(pub Buyer);

impl FromRequestParts<AppState> for ShopBuyer {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        match Buyer::from_request_parts(parts, st).await {
            Ok(b) => Ok(ShopBuyer(b)),
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                // After logging in, back to this page (or, for a form, to the page that had the form).
                let here = if parts.method == axum::http::Method::GET {
                    parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into())
                } else {
                    let referer = parts.headers.get(header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or("");
                    let path = referer.split("://").nth(1).and_then(|r| r.find('/').map(|i| r[i..].to_string()));
                    super::safe_next(path.as_deref(), "/")
                };
                Err(Redirect::to(&format!("/login?next={}", urlencode(&here))).into_response())
            }
            Err(e) => Err(super::error_page(super::page_lang(parts), e.status, &e.message(super::page_lang(parts)))),
        }
    }
}

pub(crate) fn redirect(to: &str) -> WebResult {
    Ok(Redirect::to(to).into_response())
}

/// Copy the session cookie an API login/logout answered with onto a redirect.
pub(crate) fn redirect_with_cookies(to: &str, from: &Response) -> Response {
    let mut r = Redirect::to(to).into_response();
    for c in from.headers().get_all(header::SET_COOKIE) {
        r.headers_mut().append(header::SET_COOKIE, c.clone());
    }
    r
}

// ---- catalog --------------------------------------------------------------------------------------
