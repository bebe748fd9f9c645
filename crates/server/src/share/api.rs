//! Share links, QR codes (PNG, SVG) and posters (PNG, SVG) of the storefront's API.
//!
//! Every image answers with `Cache-Control` (public for a link that names nobody, private for the caller's own)
//! and an `ETag`; a request with a matching `If-None-Match` gets 304 without a body.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::links::{self, Resolved, ShareLinkDto, ShareQuery};
use super::poster::{self, Poster};
use super::{qr, raster};
use crate::error::{request_lang, ApiResult, ErrorBody};
use crate::http::extract::ApiQuery;
use crate::state::AppState;
use crate::web::shop::MaybeBuyer;

/// An image's bytes (PNG or SVG).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageBytes(pub Vec<u8>);

/// The answer of an image: its type, cache headers and ETag, or 304 when the client has it.
fn image(r: &Resolved, headers: &HeaderMap, content_type: &'static str, body: Vec<u8>) -> Response {
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..24]);
    let cache = if r.personal { "private, max-age=3600" } else { "public, max-age=600" };
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if fresh { StatusCode::NOT_MODIFIED.into_response() } else { body.into_response() };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Cookie, Authorization, Accept-Language"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// A share link: what it opens with its channel, campaign and promoter, and the addresses of its QR code and
/// poster. Products and groups anybody may share; the invitation and a promoter's page are the caller's own,
/// and a link naming a promoter (`pr`) only that promoter may make.
#[utoipa::path(get, path = "/api/v1/shop/share/link", tag = "shop-share", params(ShareQuery), security((), ("bearer" = [])),
    responses((status = 200, body = ShareLinkDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn share_link(
    State(st): State<AppState>,
    MaybeBuyer(b): MaybeBuyer,
    ApiQuery(q): ApiQuery<ShareQuery>,
) -> ApiResult<Json<ShareLinkDto>> {
    let r = links::resolve(&st, b.as_ref(), &q, false).await?;
    Ok(Json(links::dto(&st, &r)))
}

/// The link's QR code as PNG (`size` pixels a side, about).
#[utoipa::path(get, path = "/api/v1/shop/share/qr.png", tag = "shop-share", params(ShareQuery), security((), ("bearer" = [])),
    responses((status = 200, content_type = "image/png", body = ImageBytes), (status = 304, description = "Not modified"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn qr_png(
    State(st): State<AppState>,
    MaybeBuyer(b): MaybeBuyer,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ShareQuery>,
) -> ApiResult<Response> {
    let size = q.size()?;
    let r = links::resolve(&st, b.as_ref(), &q, false).await?;
    let png = qr::png(&qr::Modules::of(&r.url(&st))?, size)?;
    Ok(image(&r, &headers, "image/png", png))
}

/// The link's QR code as SVG.
#[utoipa::path(get, path = "/api/v1/shop/share/qr.svg", tag = "shop-share", params(ShareQuery), security((), ("bearer" = [])),
    responses((status = 200, content_type = "image/svg+xml", body = ImageBytes), (status = 304, description = "Not modified"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn qr_svg(
    State(st): State<AppState>,
    MaybeBuyer(b): MaybeBuyer,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ShareQuery>,
) -> ApiResult<Response> {
    q.size()?;
    let r = links::resolve(&st, b.as_ref(), &q, false).await?;
    let svg = qr::svg(&qr::Modules::of(&r.url(&st))?);
    Ok(image(&r, &headers, "image/svg+xml", svg.into_bytes()))
}

/// The link's poster as PNG (600 × 960): the product's image or a placeholder, title, price, QR code and the
/// shop's name, in the request's language; drawn with the server's fonts.
#[utoipa::path(get, path = "/api/v1/shop/share/poster.png", tag = "shop-share", params(ShareQuery), security((), ("bearer" = [])),
    responses((status = 200, content_type = "image/png", body = ImageBytes), (status = 304, description = "Not modified"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn poster_png(
    State(st): State<AppState>,
    MaybeBuyer(b): MaybeBuyer,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ShareQuery>,
) -> ApiResult<Response> {
    q.size()?;
    let r = links::resolve(&st, b.as_ref(), &q, true).await?;
    let fonts = raster::Fonts::system();
    let p = Poster::of(&st, &r, request_lang(&headers), &|c| fonts.em(c)).await?;
    let png = tokio::task::spawn_blocking(move || raster::png(&p, raster::Fonts::system()))
        .await
        .map_err(crate::error::ApiError::internal)??;
    Ok(image(&r, &headers, "image/png", png))
}

/// The link's poster as SVG (600 × 960; the text is laid out by the reader's fonts).
#[utoipa::path(get, path = "/api/v1/shop/share/poster.svg", tag = "shop-share", params(ShareQuery), security((), ("bearer" = [])),
    responses((status = 200, content_type = "image/svg+xml", body = ImageBytes), (status = 304, description = "Not modified"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn poster_svg(
    State(st): State<AppState>,
    MaybeBuyer(b): MaybeBuyer,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ShareQuery>,
) -> ApiResult<Response> {
    q.size()?;
    let r = links::resolve(&st, b.as_ref(), &q, true).await?;
    let p = Poster::of(&st, &r, request_lang(&headers), &poster::em).await?;
    Ok(image(&r, &headers, "image/svg+xml", poster::svg(&p).into_bytes()))
}
