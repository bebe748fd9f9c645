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

    pub(crate) use super::{redirect, redirect_with_cookies, MaybeBuyer, ShopBuyer};

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
        .merge(crate::members::shop_pages::routes())
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
            Err(e) => Err(super::error_page(e.status, &e.message(super::page_lang(parts)))),
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
