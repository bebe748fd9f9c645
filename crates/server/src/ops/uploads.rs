//! Image uploads (stored on disk under `uploads_dir`, named by content hash) and their serving with
//! long-lived caching headers; generated placeholder images for demo products.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::accounts::auth::{Admin, ManageCatalog};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::Path;
use crate::ops::refusals::OpsRefusal;
use crate::state::AppState;

pub const MAX_UPLOAD_BYTES: usize = 5 * 1024 * 1024;

#[derive(Serialize, ToSchema)]
pub struct Uploaded {
    /// Path to use in product images.
    pub url: String,
    pub content_type: String,
    pub size: usize,
}

/// The image type by its first bytes; the declared type must agree.
fn sniff(b: &[u8]) -> Option<(&'static str, &'static str)> {
    if b.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some(("image/png", "png"))
    } else if b.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(("image/jpeg", "jpg"))
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else if b.len() > 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(("image/webp", "webp"))
    } else {
        None
    }
}

/// Upload an image (PNG, JPEG, GIF or WebP, at most 5 MB) as the raw request body with its Content-Type.
#[utoipa::path(post, path = "/api/v1/admin/uploads", tag = "admin-catalog", security(("bearer" = [])),
    request_body(description = "The image's bytes (PNG, JPEG, GIF or WebP).", content(
        (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"), (Vec<u8> = "image/webp"))),
    responses((status = 201, body = Uploaded), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn upload(
    State(st): State<AppState>,
    admin: Admin<ManageCatalog>,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<Uploaded>)> {
    save_image(&st, admin.merchant_id, &headers, req).await.map(|u| (StatusCode::CREATED, Json(u)))
}

/// Upload an image for a review (PNG, JPEG, GIF or WebP, at most 5 MB), as the console does.
#[utoipa::path(post, path = "/api/v1/shop/uploads", tag = "shop-reviews", security(("bearer" = [])),
    request_body(description = "The image's bytes (PNG, JPEG, GIF or WebP).", content(
        (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"), (Vec<u8> = "image/webp"))),
    responses((status = 201, body = Uploaded), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn shop_upload(
    State(st): State<AppState>,
    buyer: crate::accounts::auth::Buyer,
    headers: HeaderMap,
    req: axum::extract::Request,
) -> ApiResult<(StatusCode, Json<Uploaded>)> {
    save_image(&st, buyer.merchant_id, &headers, req).await.map(|u| (StatusCode::CREATED, Json(u)))
}

/// Keep an uploaded image under its content hash and record it for the merchant.
async fn save_image(
    st: &AppState,
    merchant_id: i64,
    headers: &HeaderMap,
    req: axum::extract::Request,
) -> ApiResult<Uploaded> {
    let body: Bytes = crate::http::extract::read_body(req, MAX_UPLOAD_BYTES).await?;
    if body.is_empty() {
        return Err(ApiError::invalid_because("body", &OpsRefusal::ImageEmpty));
    }
    if body.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::refused(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", &OpsRefusal::ImageTooLarge));
    }
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some((ct, ext)) = sniff(&body) else {
        return Err(ApiError::refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            &OpsRefusal::ImageType,
        ));
    };
    if declared != ct {
        return Err(ApiError::refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            &OpsRefusal::TypeMismatch { found: ct.to_string(), declared: declared.to_string() },
        ));
    }
    let name = format!("{}.{ext}", &hex::encode(Sha256::digest(&body))[..32]);
    let dir = std::path::PathBuf::from(&st.cfg.uploads_dir);
    tokio::fs::create_dir_all(&dir).await.map_err(ApiError::internal)?;
    let path = dir.join(&name);
    if tokio::fs::metadata(&path).await.is_err() {
        let tmp = dir.join(format!("{name}.{}.tmp", crate::accounts::auth::new_token("")[..8].to_owned()));
        tokio::fs::write(&tmp, &body).await.map_err(ApiError::internal)?;
        tokio::fs::rename(&tmp, &path).await.map_err(ApiError::internal)?;
    }
    st.store.record_upload(merchant_id, &name, ct, body.len() as i64).await?;
    Ok(Uploaded { url: format!("/uploads/{name}"), content_type: ct.into(), size: body.len() })
}

/// Serve an uploaded file; names are content hashes, so they are cached forever.
pub async fn serve_upload(State(st): State<AppState>, Path(name): Path<String>) -> Response {
    let valid = name.len() <= 40
        && name.split_once('.').is_some_and(|(h, e)| {
            h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()) && ["png", "jpg", "gif", "webp"].contains(&e)
        });
    if !valid {
        return ApiError::not_found("file").into_response();
    }
    let ct = match name.rsplit('.').next() {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("gif") => "image/gif",
        _ => "image/webp",
    };
    match tokio::fs::read(std::path::Path::new(&st.cfg.uploads_dir).join(&name)).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(ct)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                (
                    header::ETAG,
                    HeaderValue::from_str(&format!("\"{name}\"")).unwrap_or(HeaderValue::from_static("\"\"")),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => ApiError::not_found("file").into_response(),
    }
}

/// A generated placeholder picture for demo data: `/img/placeholder/{n}.svg` (a product, square),
/// `w{n}.svg` (a banner, 750 × 300) or `i{n}.svg` (an icon, round).
pub async fn placeholder(Path(file): Path<String>) -> Response {
    let Some(name) = file.strip_suffix(".svg") else {
        return ApiError::not_found("image").into_response();
    };
    let (shape, digits) = match name.split_at_checked(1) {
        Some(("w", d)) => ('w', d),
        Some(("i", d)) => ('i', d),
        _ => ('p', name),
    };
    let Ok(n) = digits.parse::<u32>() else {
        return ApiError::not_found("image").into_response();
    };
    let hue = (n * 47) % 360;
    let hue2 = (hue + 40) % 360;
    let gradient = format!(
        "<defs><linearGradient id=\"g\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\"><stop offset=\"0\" stop-color=\"hsl({hue},70%,70%)\"/>\
<stop offset=\"1\" stop-color=\"hsl({hue2},70%,50%)\"/></linearGradient></defs>"
    );
    let svg = match shape {
        'w' => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"750\" height=\"300\" viewBox=\"0 0 750 300\">{gradient}\
<rect width=\"750\" height=\"300\" fill=\"url(#g)\"/><circle cx=\"620\" cy=\"120\" r=\"110\" fill=\"rgba(255,255,255,.22)\"/>\
<circle cx=\"540\" cy=\"250\" r=\"60\" fill=\"rgba(255,255,255,.15)\"/><rect x=\"40\" y=\"70\" width=\"260\" height=\"26\" rx=\"13\" fill=\"rgba(255,255,255,.5)\"/>\
<rect x=\"40\" y=\"112\" width=\"180\" height=\"18\" rx=\"9\" fill=\"rgba(255,255,255,.35)\"/></svg>"
        ),
        'i' => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"96\" height=\"96\" viewBox=\"0 0 96 96\">{gradient}\
<circle cx=\"48\" cy=\"48\" r=\"48\" fill=\"url(#g)\"/><rect x=\"30\" y=\"30\" width=\"36\" height=\"36\" rx=\"9\" fill=\"rgba(255,255,255,.85)\"/></svg>"
        ),
        _ => format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"400\" viewBox=\"0 0 400 400\">{gradient}\
<rect width=\"400\" height=\"400\" fill=\"url(#g)\"/><circle cx=\"200\" cy=\"170\" r=\"70\" fill=\"rgba(255,255,255,.35)\"/>\
<text x=\"200\" y=\"320\" font-size=\"40\" text-anchor=\"middle\" fill=\"#fff\" font-family=\"sans-serif\">Minimall #{n}</text></svg>"
        ),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
            ),
        ],
        svg,
    )
        .into_response()
}
