//! Making a share link: what it opens, the parameters it carries, and who may make it.
//!
//! Products and groups anybody may share, through any channel and campaign. A link naming a promoter (`pr`) is
//! that promoter's own: only the buyer who is the active promoter of that code may make it (a buyer cannot make
//! a link that credits another promoter). The invitation link is the buyer's own (their invitation code), and a
//! promoter's page link is the promoter's own (their code, channel `promoter` unless another is asked for).

use axum::http::StatusCode;
use minimall_core::error::Reason;
use minimall_core::social::channel::{Channel, ShareParamError, ShareParams};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ShareRefusal;
use crate::accounts::auth::Buyer;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// What a share link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareTarget {
    /// A product's page (`id`: the product).
    Product,
    /// A group's page (`id`: the group).
    Group,
    /// The buyer's invitation (老带新).
    Invite,
    /// The promoter's own page, where friends bind to them.
    Promoter,
}

/// The channels a share link may carry (the core's list).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShareChannel {
    Direct,
    Share,
    QrPoster,
    Search,
    Nearby,
    Poster,
    Moments,
    CommunityGroup,
    OfficialAccount,
    GroundPromotion,
    Promoter,
}

/// Side of a QR code in PNG pixels.
pub const QR_SIZE_MIN: i64 = 120;
pub const QR_SIZE_MAX: i64 = 1200;
pub const QR_SIZE_DEFAULT: i64 = 360;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShareQuery {
    /// What the link opens.
    #[param(value_type = ShareTarget)]
    pub target: ShareTarget,
    /// The product's or the group's id (product and group only).
    #[param(minimum = 1)]
    pub id: Option<i64>,
    /// The channel; by default `share` (`qr_poster` on a poster, `promoter` on a link naming a promoter).
    #[param(value_type = Option<ShareChannel>)]
    pub ch: Option<String>,
    /// The campaign: 1 to 32 of A–Z a–z 0–9 _ -.
    #[param(min_length = 1, max_length = 32, pattern = "^[A-Za-z0-9_-]{1,32}$")]
    pub cp: Option<String>,
    /// The promoter's public code: only the caller's own (an active promoter).
    #[param(min_length = 4, max_length = 16, pattern = "^[A-Za-z0-9]{4,16}$")]
    pub pr: Option<String>,
    /// The QR code's side in pixels (PNG only), 120 to 1200; default 360.
    #[param(minimum = 120, maximum = 1200)]
    pub size: Option<i64>,
}

impl ShareQuery {
    pub fn size(&self) -> ApiResult<u32> {
        let s = self.size.unwrap_or(QR_SIZE_DEFAULT);
        if !(QR_SIZE_MIN..=QR_SIZE_MAX).contains(&s) {
            return Err(ApiError::invalid_because("size", &Reason::OutOfRange { min: QR_SIZE_MIN, max: QR_SIZE_MAX }));
        }
        Ok(u32::try_from(s).unwrap_or(360))
    }
}

/// A share link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShareLinkDto {
    pub target: ShareTarget,
    /// Path and query (the storefront's address goes before it).
    pub path: String,
    /// The full link, as the QR code carries it.
    pub url: String,
    #[schema(value_type = ShareChannel)]
    pub channel: String,
    pub campaign: Option<String>,
    /// The promoter's public code.
    pub promoter: Option<String>,
    /// The link's QR code as PNG and as SVG, and its poster as PNG and SVG (paths of this API).
    pub qr_png: String,
    pub qr_svg: String,
    pub poster_png: String,
    pub poster_svg: String,
}

/// What a poster shows besides the QR code.
#[derive(Debug, Clone)]
pub struct Subject {
    pub title: String,
    /// The price a buyer pays through the link (fen) and the struck-through one, for products and groups.
    pub price: Option<i64>,
    pub list_price: Option<i64>,
    /// The product's first image (an address).
    pub image: Option<String>,
    /// The group's size, for a group's poster.
    pub group_size: Option<i64>,
}

/// A link made.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub target: ShareTarget,
    pub path: String,
    pub params: ShareParams,
    pub subject: Subject,
    /// Whether the link is the caller's own (it names them): caches must not share it.
    pub personal: bool,
}

impl Resolved {
    /// Path and query.
    pub fn link(&self) -> String {
        format!("{}?{}", self.path, self.params.to_query())
    }

    pub fn url(&self, st: &AppState) -> String {
        format!("{}{}", st.self_url.get().map(String::as_str).unwrap_or_default(), self.link())
    }
}

fn param_error(e: ShareParamError) -> ApiError {
    ApiError::invalid_because(e.field(), &e)
}

fn forbidden(reason: ShareRefusal, field: &str) -> ApiError {
    ApiError::refused(StatusCode::FORBIDDEN, "forbidden", &reason).with_field(field)
}

/// The caller's code as an active promoter, if they are one.
async fn own_code(st: &AppState, buyer: &Buyer) -> ApiResult<Option<String>> {
    Ok(st.store.promoter_of_buyer(buyer.merchant_id, buyer.id).await?.filter(|p| p.status == "active").map(|p| p.code))
}

fn login_first() -> ApiError {
    ApiError::unauthorized_because(&crate::accounts::refusals::AccountRefusal::LoginFirst)
}

/// The link `q` asks for, made for `buyer` (if logged in); `poster` changes the default channel.
pub async fn resolve(st: &AppState, buyer: Option<&Buyer>, q: &ShareQuery, poster: bool) -> ApiResult<Resolved> {
    // The strict parser of the core (every refusal names its parameter).
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    if let Some(v) = &q.ch {
        pairs.push(("ch", v));
    }
    if let Some(v) = &q.cp {
        pairs.push(("cp", v));
    }
    if let Some(v) = &q.pr {
        pairs.push(("pr", v));
    }
    let mut params = ShareParams::parse(pairs).map_err(param_error)?;
    if q.ch.is_none() {
        params.channel = match (q.target, &params.promoter) {
            (ShareTarget::Promoter, _) | (_, Some(_)) => Channel::Promoter,
            _ if poster => Channel::QrPoster,
            _ => Channel::Share,
        };
    }
    let needs_id = matches!(q.target, ShareTarget::Product | ShareTarget::Group);
    let id = match (needs_id, q.id) {
        (true, Some(id)) if id > 0 => id,
        (true, Some(_)) => return Err(ApiError::invalid_because("id", &Reason::OutOfRange { min: 1, max: i64::MAX })),
        (true, None) => return Err(ApiError::invalid_because("id", &Reason::Required)),
        (false, Some(_)) => {
            return Err(ApiError::refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                &ShareRefusal::IdNotTaken,
            )
            .with_field("id"))
        }
        (false, None) => 0,
    };
    // A link naming a promoter is that promoter's own.
    let mut personal = false;
    if let Some(code) = &params.promoter {
        let b = buyer.ok_or_else(login_first)?;
        match own_code(st, b).await? {
            Some(own) if &own == code => personal = true,
            _ => return Err(forbidden(ShareRefusal::NotYourCode, "pr")),
        }
    }
    let merchant_id = st.merchant_id;
    let (path, subject) = match q.target {
        ShareTarget::Product => {
            let p = crate::catalog::shop_api::shop_product(st, id).await?;
            let subject = Subject {
                title: p.title.clone(),
                price: Some(p.min_price),
                list_price: (p.original_price > p.min_price).then_some(p.original_price),
                image: p.images.first().cloned(),
                group_size: None,
            };
            (format!("/p/{id}"), subject)
        }
        ShareTarget::Group => {
            let g = st.store.group(merchant_id, id).await?.ok_or_else(|| ApiError::not_found("group"))?;
            let skus = st.store.group_activity_skus(g.activity_id).await?;
            let first = skus.first();
            let subject = Subject {
                title: first.map(|s| s.title.clone()).unwrap_or_default(),
                price: skus.iter().map(|s| s.group_price).min(),
                list_price: skus.iter().map(|s| s.list_price).min(),
                image: first
                    .and_then(|s| serde_json::from_str::<Vec<String>>(&s.images).ok())
                    .and_then(|v| v.into_iter().next()),
                group_size: Some(g.size),
            };
            (format!("/g/{id}"), subject)
        }
        ShareTarget::Invite => {
            let b = buyer.ok_or_else(login_first)?;
            personal = true;
            let code = crate::referral::cases::code_of(st, b).await?;
            (format!("/invite/{code}"), Subject::plain())
        }
        ShareTarget::Promoter => {
            let b = buyer.ok_or_else(login_first)?;
            let code = own_code(st, b).await?.ok_or_else(|| forbidden(ShareRefusal::NotPromoter, "target"))?;
            personal = true;
            if params.promoter.is_none() {
                params.promoter = Some(code.clone());
            }
            (format!("/join/{code}"), Subject::plain())
        }
    };
    Ok(Resolved { target: q.target, path, params, subject, personal })
}

impl Subject {
    fn plain() -> Subject {
        Subject { title: String::new(), price: None, list_price: None, image: None, group_size: None }
    }
}

/// The link as the API answers it, with the addresses of its images.
pub fn dto(st: &AppState, r: &Resolved) -> ShareLinkDto {
    let target = match r.target {
        ShareTarget::Product => "product",
        ShareTarget::Group => "group",
        ShareTarget::Invite => "invite",
        ShareTarget::Promoter => "promoter",
    };
    let mut query = format!("target={target}");
    if matches!(r.target, ShareTarget::Product | ShareTarget::Group) {
        if let Some(id) = r.path.rsplit('/').next() {
            query.push_str(&format!("&id={id}"));
        }
    }
    query.push('&');
    query.push_str(&r.params.to_query());
    ShareLinkDto {
        target: r.target,
        path: r.link(),
        url: r.url(st),
        channel: r.params.channel.code().to_string(),
        campaign: r.params.campaign.clone(),
        promoter: r.params.promoter.clone(),
        qr_png: format!("/api/v1/shop/share/qr.png?{query}"),
        qr_svg: format!("/api/v1/shop/share/qr.svg?{query}"),
        poster_png: format!("/api/v1/shop/share/poster.png?{query}"),
        poster_svg: format!("/api/v1/shop/share/poster.svg?{query}"),
    }
}

/// The share link a storefront page offers under 分享/海报: the caller's promoter code on it when the caller is an
/// active promoter (so that what friends buy through it is credited to them), else the plain share channel. A
/// page never fails for its share link: a failure leaves the action out.
pub async fn for_page(
    st: &AppState,
    buyer: Option<&Buyer>,
    target: ShareTarget,
    id: Option<i64>,
) -> Option<ShareLinkDto> {
    let pr = match buyer {
        Some(b) if matches!(target, ShareTarget::Product | ShareTarget::Group) => own_code(st, b).await.ok().flatten(),
        _ => None,
    };
    let q = ShareQuery { target, id, ch: None, cp: None, pr, size: None };
    match resolve(st, buyer, &q, false).await {
        Ok(r) => Some(dto(st, &r)),
        Err(e) => {
            tracing::warn!(error = %e.code, "share link not made for the page");
            None
        }
    }
}

/// The id of the active promoter whose code a landing link carries (`pr`), for the visit's events.
pub async fn landing_promoter(st: &AppState, pr: Option<&String>) -> Option<i64> {
    let code = minimall_core::social::channel::promoter_code(pr?).ok()?;
    st.store.promoter_by_code(st.merchant_id, &code).await.ok().flatten().filter(|p| p.status == "active").map(|p| p.id)
}
