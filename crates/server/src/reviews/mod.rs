//! Reviews (评价): after receipt, the buyer reviews each line of an order once (stars, text, up to 9 of their
//! uploaded images, optionally anonymous); the product page shows the visible ones with the rating and counts;
//! the merchant replies and hides abusive ones (audited). Texts pass the shop's banned-word check, as products do.

pub mod api;
pub mod console;
pub mod shop_pages;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, Buyer, ManageOrders};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::audit;
use crate::state::AppState;
use crate::usecase::Call;
use minimall_core::page::Page;
use minimall_store::reviews::{NewReview, ReviewFilter, ReviewRow};

/// At most this many images in a review.
pub const MAX_IMAGES: usize = 9;

minimall_core::coded_enum! {
    /// Refusals of reviews.
    pub enum ReviewReason {
        NotReceived = "review.not_received",
        AlreadyReviewed = "review.already_reviewed",
        NoSuchLine = "review.no_such_line",
        NoSuchReview = "review.no_such_review",
        TooManyImages { max: i64 } = "review.too_many_images",
        BannedWord { word: String } = "review.banned_word",
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// The order line reviewed.
    pub line_id: i64,
    /// 1 to 5 stars.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i32,
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub text: String,
    /// Up to 9 images uploaded through `POST /api/v1/shop/uploads`.
    #[serde(default)]
    #[schema(max_items = 9)]
    pub images: Vec<String>,
    /// Shown as 匿名用户 instead of the nickname.
    #[serde(default)]
    pub anonymous: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ReviewDto {
    pub id: i64,
    pub order_id: i64,
    pub line_id: i64,
    pub product_id: i64,
    /// The nickname, masked (`张*`), or 匿名用户 when anonymous.
    pub author: String,
    pub title: String,
    pub spec: Vec<String>,
    pub rating: i32,
    pub text: String,
    pub images: Vec<String>,
    pub anonymous: bool,
    /// Hidden by the merchant: not on the product page (the buyer still sees it among their own).
    pub hidden: bool,
    pub reply: Option<String>,
    pub replied_at: Option<i64>,
    pub created_at: i64,
}

/// The name shown for a reviewer: the first character and a star, or 匿名用户.
pub fn author(nickname: &str, anonymous: bool) -> String {
    if anonymous {
        return "匿名用户".into();
    }
    let mut c = nickname.chars();
    match c.next() {
        Some(first) => format!("{first}{}", if c.next().is_some() { "**" } else { "" }),
        None => "买家".into(),
    }
}

impl From<ReviewRow> for ReviewDto {
    fn from(r: ReviewRow) -> Self {
        ReviewDto {
            id: r.id,
            order_id: r.order_id,
            line_id: r.line_id,
            product_id: r.product_id,
            author: author(&r.nickname, r.anonymous != 0),
            title: r.title,
            spec: serde_json::from_str(&r.spec).unwrap_or_default(),
            rating: r.rating,
            text: r.text,
            images: serde_json::from_str(&r.images).unwrap_or_default(),
            anonymous: r.anonymous != 0,
            hidden: r.hidden != 0,
            reply: r.reply,
            replied_at: r.replied_at,
            created_at: r.created_at,
        }
    }
}

/// A product's rating: visible reviews counted, and the share of good ones.
#[derive(Serialize, ToSchema)]
pub struct RatingDto {
    pub total: i64,
    /// Mean stars ×10 (47 = 4.7); 0 without reviews.
    pub average_x10: i64,
    /// Good (4–5 stars) as a percentage of all, rounded down; 100 without reviews.
    pub good_percent: i64,
    pub with_images: i64,
    pub good: i64,
    pub neutral: i64,
    pub bad: i64,
}

/// Which reviews of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewTab {
    All,
    WithImages,
    Good,
    Neutral,
    Bad,
}

impl ReviewTab {
    pub const ALL: [ReviewTab; 5] =
        [ReviewTab::All, ReviewTab::WithImages, ReviewTab::Good, ReviewTab::Neutral, ReviewTab::Bad];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewTab::All => "all",
            ReviewTab::WithImages => "with_images",
            ReviewTab::Good => "good",
            ReviewTab::Neutral => "neutral",
            ReviewTab::Bad => "bad",
        }
    }

    pub fn parse(s: &str) -> Option<ReviewTab> {
        ReviewTab::ALL.into_iter().find(|t| t.as_str() == s)
    }

    fn filter(self) -> ReviewFilter {
        match self {
            ReviewTab::All => ReviewFilter::All,
            ReviewTab::WithImages => ReviewFilter::WithImages,
            ReviewTab::Good => ReviewFilter::Good,
            ReviewTab::Neutral => ReviewFilter::Neutral,
            ReviewTab::Bad => ReviewFilter::Bad,
        }
    }

    pub fn count(self, r: &RatingDto) -> i64 {
        match self {
            ReviewTab::All => r.total,
            ReviewTab::WithImages => r.with_images,
            ReviewTab::Good => r.good,
            ReviewTab::Neutral => r.neutral,
            ReviewTab::Bad => r.bad,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProductReviewsQuery {
    pub tab: Option<ReviewTab>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductReviews {
    pub rating: RatingDto,
    pub reviews: Paginated<ReviewDto>,
}

pub async fn rating(st: &AppState, product_id: i64) -> ApiResult<RatingDto> {
    let c = st.store.review_counts(product_id).await?;
    Ok(RatingDto {
        total: c.total,
        average_x10: if c.total > 0 { (c.stars * 10 + c.total / 2) / c.total } else { 0 },
        good_percent: if c.total > 0 { c.good * 100 / c.total } else { 100 },
        with_images: c.with_images,
        good: c.good,
        neutral: c.neutral,
        bad: c.bad,
    })
}

/// A product's visible reviews with its rating.
pub async fn of_product(st: &AppState, product_id: i64, q: ProductReviewsQuery) -> ApiResult<ProductReviews> {
    let page = Page::parse(q.page, q.page_size)?;
    let tab = q.tab.unwrap_or(ReviewTab::All);
    let rows = st.store.product_reviews(product_id, tab.filter(), page.size(), page.offset()).await?;
    let reviews = Paginated::new(rows.items.into_iter().map(Into::into).collect(), rows.total, page);
    Ok(ProductReviews { rating: rating(st, product_id).await?, reviews })
}

/// Review a line of one of the buyer's received orders, once.
pub async fn create(st: &AppState, buyer: &Buyer, order_id: i64, input: ReviewInput) -> ApiResult<ReviewDto> {
    if !(1..=5).contains(&input.rating) {
        return Err(minimall_core::FieldError::new(
            "rating",
            minimall_core::error::Reason::OutOfRange { min: 1, max: 5 },
        )
        .into());
    }
    let text = minimall_core::validate::display_text("text", &input.text, 500)?;
    if input.images.len() > MAX_IMAGES {
        return Err(ApiError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            &ReviewReason::TooManyImages { max: MAX_IMAGES as i64 },
        )
        .with_field("images"));
    }
    let images = input
        .images
        .iter()
        .enumerate()
        .map(|(i, u)| minimall_core::catalog::image::parse_image_ref(&format!("images[{i}]"), u, &st.cfg.cdn_hosts))
        .collect::<Result<Vec<_>, _>>()?;
    let banned = crate::catalog::banned_check(st, buyer.merchant_id).await?;
    let hit = banned.words.scan("text", &text).into_iter().next();
    if let Some(hit) = hit.filter(|_| banned.mode == minimall_core::catalog::banned::BannedMode::Block) {
        return Err(ApiError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "banned_words",
            &ReviewReason::BannedWord { word: hit.word },
        )
        .with_field("text"));
    }
    let o = crate::orders::shop_api::own(st, buyer, order_id).await?;
    if !matches!(o.status.as_str(), "received" | "completed") {
        return Err(ApiError::refused(StatusCode::CONFLICT, "conflict", &ReviewReason::NotReceived));
    }
    let lines = st.store.order_lines(st.store.reader(), o.id).await?;
    let line = lines.iter().find(|l| l.id == input.line_id).ok_or_else(|| {
        ApiError::refused(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", &ReviewReason::NoSuchLine)
            .with_field("line_id")
    })?;
    let images_json = serde_json::to_string(&images).map_err(ApiError::internal)?;
    let mut tx = st.store.begin().await?;
    let new = NewReview {
        order_id: o.id.get(),
        line_id: line.id,
        product_id: line.product_id.get(),
        buyer_id: buyer.id,
        rating: input.rating,
        text: &text,
        images_json: &images_json,
        anonymous: input.anonymous,
    };
    let Some(id) = st.store.insert_review(&mut tx, buyer.merchant_id, &new).await? else {
        return Err(ApiError::refused(StatusCode::CONFLICT, "conflict", &ReviewReason::AlreadyReviewed));
    };
    crate::members::tasks::complete(
        st,
        &mut tx,
        buyer.merchant_id,
        buyer.id,
        crate::members::tasks::MemberTask::FirstReview,
    )
    .await?;
    minimall_store::commit(tx).await?;
    Ok(st.store.review(buyer.merchant_id, id).await?.into())
}

/// The buyer's own reviews.
pub async fn mine(st: &AppState, buyer: &Buyer, q: crate::http::PageQuery) -> ApiResult<Paginated<ReviewDto>> {
    let page = q.page()?;
    let rows = st.store.buyer_reviews(buyer.id, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(Into::into).collect(), rows.total, page))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AdminReviewsQuery {
    /// Only those without a reply (待回复).
    pub unreplied: Option<bool>,
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// The merchant's reviews, newest first.
pub async fn list(st: &AppState, merchant_id: i64, q: AdminReviewsQuery) -> ApiResult<Paginated<ReviewDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let rows = st.store.merchant_reviews(merchant_id, q.unreplied.unwrap_or(false), page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(Into::into).collect(), rows.total, page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyInput {
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reply: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideInput {
    pub hidden: bool,
}

async fn existing(st: &AppState, merchant_id: i64, id: i64) -> ApiResult<ReviewRow> {
    st.store
        .review(merchant_id, id)
        .await
        .map_err(|_| ApiError::refused(StatusCode::NOT_FOUND, "not_found", &ReviewReason::NoSuchReview))
}

/// Reply to a review (audited); a new reply replaces the last.
pub async fn reply(
    st: &AppState,
    admin: &Admin<ManageOrders>,
    call: &Call,
    id: i64,
    input: ReplyInput,
) -> ApiResult<ReviewDto> {
    let text = minimall_core::validate::display_text("reply", &input.reply, 500)?;
    let before = existing(st, admin.merchant_id, id).await?;
    let mut tx = st.store.begin().await?;
    st.store.set_review_reply(&mut tx, admin.merchant_id, id, &text).await?;
    audit(
        st,
        &mut tx,
        admin,
        call,
        "review.reply",
        format!("review:{id}"),
        Some(serde_json::json!({"reply": before.reply})),
        Some(serde_json::json!({"reply": text})),
    )
    .await?;
    minimall_store::commit(tx).await?;
    Ok(existing(st, admin.merchant_id, id).await?.into())
}

/// Hide a review from the product page, or show it again (audited).
pub async fn hide(
    st: &AppState,
    admin: &Admin<ManageOrders>,
    call: &Call,
    id: i64,
    input: HideInput,
) -> ApiResult<ReviewDto> {
    let before = existing(st, admin.merchant_id, id).await?;
    let mut tx = st.store.begin().await?;
    st.store.set_review_hidden(&mut tx, admin.merchant_id, id, input.hidden).await?;
    audit(
        st,
        &mut tx,
        admin,
        call,
        if input.hidden { "review.hide" } else { "review.show" },
        format!("review:{id}"),
        Some(serde_json::json!({"hidden": before.hidden != 0})),
        Some(serde_json::json!({"hidden": input.hidden})),
    )
    .await?;
    minimall_store::commit(tx).await?;
    Ok(existing(st, admin.merchant_id, id).await?.into())
}
