//! Catalog use cases shared by the admin API, CSV import and the demo: input validation into store
//! fields, banned-word checks, and the DTOs both APIs answer with.

pub mod admin_api;
pub mod cache;
pub mod categories;
pub mod categories_api;
pub mod console;
pub mod import;
pub mod import_api;
pub mod products;
pub mod refusals;
pub mod shop_api;
pub mod shop_pages;

use minimall_core::catalog::banned::{BannedHit, BannedMode, BannedWords, DEFAULT_BANNED_WORDS};
use minimall_core::catalog::spec::SpecDim;
use minimall_core::catalog::{self as cat, Lifecycle};
use minimall_core::error::{count, Reason};
use minimall_core::validate::display_text;
use minimall_core::{FieldError, Money};
use minimall_store::catalog::{ProductFields, ProductRow, SkuFields, SkuRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecDimDto {
    /// e.g. 颜色
    pub name: String,
    /// e.g. ["红", "蓝"]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuInput {
    pub code: String,
    /// One value per spec dimension, in order; empty when the product has no specs.
    #[serde(default)]
    pub spec: Vec<String>,
    /// GTIN-8/12/13/14 (EAN-13), check digit verified.
    pub barcode: Option<String>,
    /// Units in stock; required for new SKUs. For an existing SKU a different value records a manual movement.
    pub stock: Option<i64>,
    /// 划线价, fen.
    pub original_price: i64,
    /// 小程序售价, fen.
    pub sale_price: i64,
    /// Cost for finance, fen. Left out, an existing SKU keeps its cost (a new one gets 0); only roles that
    /// may see cost prices may set it.
    #[serde(default)]
    pub cost_price: Option<i64>,
    #[serde(default)]
    pub weight_g: i64,
    /// At or below this stock a low-stock alert opens.
    #[serde(default)]
    pub safety_stock: i64,
    /// Allow a sale price above the original price.
    #[serde(default)]
    pub price_above_original: bool,
}

/// Product fields as the API takes them.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    pub code: String,
    pub category_id: i64,
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    /// Rich text (HTML); scripts, event handlers and unsafe URLs are removed.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub images: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub sort: i64,
    #[serde(default)]
    pub on_shelf: bool,
    /// new, growing, mature, declining.
    #[serde(default = "default_lifecycle")]
    pub lifecycle: String,
    /// 是否包邮
    #[serde(default)]
    pub free_shipping: bool,
    /// 是否送积分
    #[serde(default = "yes")]
    pub earns_points: bool,
    /// 能否使用优惠券
    #[serde(default = "yes")]
    pub coupons_usable: bool,
    /// Per-buyer limit; 0 = none.
    #[serde(default)]
    pub purchase_limit: i64,
}

fn default_lifecycle() -> String {
    "new".into()
}
fn yes() -> bool {
    true
}

fn text_opt(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Ok(String::new());
    }
    display_text(field, t, max)
}

/// Sanitised rich text: no script, no event handlers, no javascript: URLs.
pub fn sanitize_html(html: &str) -> String {
    ammonia::clean(html)
}

pub fn validate_product(p: &ProductInput, cdn_hosts: &[String]) -> Result<ProductFields, FieldError> {
    let code = cat::parse_code("code", &p.code)?;
    let title = display_text("title", &p.title, cat::TITLE_MAX)?;
    let subtitle = text_opt("subtitle", &p.subtitle, cat::SUBTITLE_MAX)?;
    if p.description.chars().count() > cat::DESCRIPTION_MAX {
        return Err(FieldError::new("description", Reason::TooLong { max: count(cat::DESCRIPTION_MAX) }));
    }
    let description = sanitize_html(&p.description);
    if p.images.len() > cat::IMAGES_MAX {
        return Err(FieldError::new("images", Reason::AtMost { max: count(cat::IMAGES_MAX) }));
    }
    let images = p
        .images
        .iter()
        .enumerate()
        .map(|(i, u)| cat::image::parse_image_ref(&format!("images[{i}]"), u, cdn_hosts))
        .collect::<Result<Vec<_>, _>>()?;
    if p.tags.len() > cat::TAGS_MAX {
        return Err(FieldError::new("tags", Reason::AtMost { max: count(cat::TAGS_MAX) }));
    }
    let mut tags = Vec::new();
    for (i, t) in p.tags.iter().enumerate() {
        let t = display_text(&format!("tags[{i}]"), t, cat::TAG_MAX)?;
        if t.contains('|') {
            return Err(FieldError::new(format!("tags[{i}]"), Reason::NoPipe));
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let lifecycle = Lifecycle::parse("lifecycle", &p.lifecycle)?;
    if !(0..=cat::PURCHASE_LIMIT_MAX).contains(&p.purchase_limit) {
        return Err(FieldError::new("purchase_limit", Reason::OutOfRange { min: 0, max: cat::PURCHASE_LIMIT_MAX }));
    }
    if !(-1_000_000_000..=1_000_000_000).contains(&p.sort) {
        return Err(FieldError::new("sort", Reason::OutOfRange { min: -1_000_000_000, max: 1_000_000_000 }));
    }
    if p.category_id <= 0 {
        return Err(FieldError::new("category_id", Reason::IdsPositive));
    }
    Ok(ProductFields {
        code,
        category_id: p.category_id,
        title,
        subtitle,
        description,
        images: serde_json::to_string(&images).unwrap_or_else(|_| "[]".into()),
        tags: serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into()),
        specs: "[]".into(),
        sort: p.sort,
        on_shelf: p.on_shelf,
        lifecycle: lifecycle.as_str().into(),
        free_shipping: p.free_shipping,
        earns_points: p.earns_points,
        coupons_usable: p.coupons_usable,
        purchase_limit: p.purchase_limit,
    })
}

pub fn to_dims(specs: &[SpecDimDto]) -> Vec<SpecDim> {
    specs
        .iter()
        .map(|d| SpecDim {
            name: d.name.trim().to_string(),
            values: d.values.iter().map(|v| v.trim().to_string()).collect(),
        })
        .collect()
}

pub fn specs_json(dims: &[SpecDim]) -> String {
    let v: Vec<SpecDimDto> =
        dims.iter().map(|d| SpecDimDto { name: d.name.clone(), values: d.values.clone() }).collect();
    serde_json::to_string(&v).unwrap_or_else(|_| "[]".into())
}

/// Validate one SKU (field paths under `skus[i]`).
pub fn validate_sku(i: usize, s: &SkuInput, new: bool) -> Result<(SkuFields, Option<i64>), FieldError> {
    let f = |name: &str| format!("skus[{i}].{name}");
    let code = cat::parse_code(&f("code"), &s.code)?;
    let barcode = match s.barcode.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(b) => Some(cat::barcode::parse_gtin(&f("barcode"), b)?),
    };
    let original = Money::parse_fen(&f("original_price"), s.original_price)?;
    let sale = Money::parse_fen(&f("sale_price"), s.sale_price)?;
    let cost = Money::parse_fen(&f("cost_price"), s.cost_price.unwrap_or(0))?;
    if sale > original && !s.price_above_original {
        return Err(FieldError::new(f("sale_price"), Reason::SaleAboveOriginal));
    }
    if !(0..=cat::WEIGHT_MAX_G).contains(&s.weight_g) {
        return Err(FieldError::new(f("weight_g"), Reason::OutOfRange { min: 0, max: cat::WEIGHT_MAX_G }));
    }
    if !(0..=cat::STOCK_MAX).contains(&s.safety_stock) {
        return Err(FieldError::new(f("safety_stock"), Reason::OutOfRange { min: 0, max: cat::STOCK_MAX }));
    }
    let stock = match s.stock {
        Some(n) if !(0..=cat::STOCK_MAX).contains(&n) => {
            return Err(FieldError::new(f("stock"), Reason::OutOfRange { min: 0, max: cat::STOCK_MAX }))
        }
        None if new => return Err(FieldError::new(f("stock"), Reason::Required)),
        other => other,
    };
    let spec_values =
        serde_json::to_string(&s.spec.iter().map(|v| v.trim()).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into());
    Ok((
        SkuFields {
            code,
            barcode,
            spec_values,
            original_price: original.fen(),
            sale_price: sale.fen(),
            cost_price: cost.fen(),
            weight_g: s.weight_g,
            safety_stock: s.safety_stock,
            price_above_original: s.price_above_original,
        },
        stock,
    ))
}

/// Validate a spec matrix and its SKUs together.
pub fn validate_matrix(specs: &[SpecDimDto], skus: &[SkuInput]) -> Result<Vec<SpecDim>, FieldError> {
    if skus.len() > cat::SKUS_MAX {
        return Err(FieldError::new("skus", Reason::SkuTooMany { max: count(cat::SKUS_MAX) }));
    }
    let dims = to_dims(specs);
    cat::spec::validate_dims(&dims).map_err(|e| if e.field.starts_with("specs") { e } else { e.within("specs") })?;
    let combos: Vec<Vec<String>> = skus.iter().map(|s| s.spec.iter().map(|v| v.trim().to_string()).collect()).collect();
    cat::spec::validate_sku_specs(&dims, &combos)?;
    let mut seen = std::collections::HashSet::new();
    for (i, s) in skus.iter().enumerate() {
        if !seen.insert(s.code.trim().to_string()) {
            return Err(FieldError::new(format!("skus[{i}].code"), Reason::Duplicate));
        }
    }
    Ok(dims)
}

// ---- banned words ------------------------------------------------------------------------------

pub struct BannedCheck {
    pub mode: BannedMode,
    pub words: BannedWords,
}

pub async fn banned_check(st: &AppState, merchant_id: i64) -> Result<BannedCheck, ApiError> {
    let (mode, words) = st.store.banned_word_settings(merchant_id).await?;
    let list: Vec<String> = match words {
        Some(j) => serde_json::from_str(&j).unwrap_or_default(),
        None => DEFAULT_BANNED_WORDS.iter().map(|w| w.to_string()).collect(),
    };
    let mode = BannedMode::parse(&mode).unwrap_or(BannedMode::Block);
    let words = BannedWords::new(list).map_err(ApiError::from)?;
    Ok(BannedCheck { mode, words })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BannedHitDto {
    pub word: String,
    pub field: String,
    /// Character position in the field.
    pub position: usize,
}

impl From<BannedHit> for BannedHitDto {
    fn from(h: BannedHit) -> Self {
        BannedHitDto { word: h.word, field: h.field, position: h.position }
    }
}

/// Strip tags so positions in descriptions refer to the visible text.
pub fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

impl BannedCheck {
    /// Scan the product's texts. In block mode any hit is a 422 listing them all; in warn mode the hits
    /// are returned for the response.
    pub fn apply(&self, fields: &[(&str, &str)]) -> Result<Vec<BannedHitDto>, ApiError> {
        let hits: Vec<BannedHitDto> = fields.iter().flat_map(|(f, t)| self.words.scan(f, t)).map(Into::into).collect();
        if hits.is_empty() || self.mode == BannedMode::Warn {
            return Ok(hits);
        }
        let mut words: Vec<&str> = Vec::new();
        for h in &hits {
            if !words.contains(&h.word.as_str()) {
                words.push(&h.word);
            }
        }
        Err(ApiError::refused(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "banned_words",
            &Reason::BannedFound { words: words.join(", ") },
        )
        .with_field(hits[0].field.clone())
        .with_details(serde_json::json!({ "hits": hits })))
    }

    pub fn product_fields<'a>(p: &'a ProductFields, visible_description: &'a str) -> [(&'static str, &'a str); 3] {
        [("title", p.title.as_str()), ("subtitle", p.subtitle.as_str()), ("description", visible_description)]
    }
}

// ---- DTOs ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkuDto {
    pub id: i64,
    pub code: String,
    pub barcode: Option<String>,
    pub spec: Vec<String>,
    pub stock: i64,
    /// in_stock, low, sold_out
    pub stock_status: String,
    pub original_price: i64,
    pub sale_price: i64,
    /// Cost, fen: console only, and only for roles that may see cost prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_price: Option<i64>,
    pub weight_g: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub safety_stock: Option<i64>,
    pub price_above_original: bool,
}

pub fn stock_status(stock: i64, safety: i64) -> &'static str {
    if stock <= 0 {
        "sold_out"
    } else if stock <= safety.max(5) {
        "low"
    } else {
        "in_stock"
    }
}

impl SkuDto {
    /// `internal` adds cost and safety stock (console only).
    pub fn from_row(s: &SkuRow, internal: bool) -> Self {
        SkuDto {
            id: s.id.get(),
            code: s.code.clone(),
            barcode: s.barcode.clone(),
            spec: serde_json::from_str(&s.spec_values).unwrap_or_default(),
            stock: s.stock,
            stock_status: stock_status(s.stock, s.safety_stock).into(),
            original_price: s.original_price,
            sale_price: s.sale_price,
            cost_price: internal.then_some(s.cost_price),
            weight_g: s.weight_g,
            safety_stock: internal.then_some(s.safety_stock),
            price_above_original: s.price_above_original != 0,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductDto {
    pub id: i64,
    pub code: String,
    pub category_id: i64,
    /// Names from the root category down.
    pub category_path: Vec<String>,
    pub title: String,
    pub subtitle: String,
    pub description: String,
    pub images: Vec<String>,
    pub tags: Vec<String>,
    pub specs: Vec<SpecDimDto>,
    pub sort: i64,
    pub on_shelf: bool,
    pub lifecycle: String,
    pub free_shipping: bool,
    pub earns_points: bool,
    pub coupons_usable: bool,
    pub purchase_limit: i64,
    /// Lowest and highest SKU sale price, fen.
    pub min_price: i64,
    pub max_price: i64,
    /// Lowest original price (划线价) among the SKUs, fen.
    pub original_price: i64,
    pub sales: i64,
    pub total_stock: i64,
    pub skus: Vec<SkuDto>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ProductDto {
    /// The product as a console user may see it: without cost prices unless `cost`.
    pub fn shown(mut self, cost: bool) -> Self {
        if !cost {
            for s in &mut self.skus {
                s.cost_price = None;
            }
        }
        self
    }

    pub fn from_rows(p: &ProductRow, skus: &[SkuRow], category_path: Vec<String>, internal: bool) -> Self {
        ProductDto {
            id: p.id.get(),
            code: p.code.clone(),
            category_id: p.category_id,
            category_path,
            title: p.title.clone(),
            subtitle: p.subtitle.clone(),
            description: p.description.clone(),
            images: serde_json::from_str(&p.images).unwrap_or_default(),
            tags: serde_json::from_str(&p.tags).unwrap_or_default(),
            specs: serde_json::from_str(&p.specs).unwrap_or_default(),
            sort: p.sort,
            on_shelf: p.on_shelf != 0,
            lifecycle: p.lifecycle.clone(),
            free_shipping: p.free_shipping != 0,
            earns_points: p.earns_points != 0,
            coupons_usable: p.coupons_usable != 0,
            purchase_limit: p.purchase_limit,
            min_price: p.min_price,
            max_price: p.max_price,
            original_price: skus.iter().map(|s| s.original_price).min().unwrap_or(0),
            sales: p.sales,
            total_stock: skus.iter().map(|s| s.stock).sum(),
            skus: skus.iter().map(|s| SkuDto::from_row(s, internal)).collect(),
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

/// A product in a list (no description, no SKUs).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProductCard {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub subtitle: String,
    pub image: Option<String>,
    pub tags: Vec<String>,
    pub category_id: i64,
    pub min_price: i64,
    pub max_price: i64,
    pub sales: i64,
    pub on_shelf: bool,
    pub lifecycle: String,
    pub free_shipping: bool,
}

impl From<&ProductRow> for ProductCard {
    fn from(p: &ProductRow) -> Self {
        let images: Vec<String> = serde_json::from_str(&p.images).unwrap_or_default();
        ProductCard {
            id: p.id.get(),
            code: p.code.clone(),
            title: p.title.clone(),
            subtitle: p.subtitle.clone(),
            image: images.into_iter().next(),
            tags: serde_json::from_str(&p.tags).unwrap_or_default(),
            category_id: p.category_id,
            min_price: p.min_price,
            max_price: p.max_price,
            sales: p.sales,
            on_shelf: p.on_shelf != 0,
            lifecycle: p.lifecycle.clone(),
            free_shipping: p.free_shipping != 0,
        }
    }
}
