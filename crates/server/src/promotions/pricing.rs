//! Promotions on the wire and into the engine: validation of activities, coupons and freight templates,
//! and assembling a `core::pricing::QuoteInput` from storage for a buyer's cart.

use minimall_core::error::{count, Coded, Reason};
use minimall_core::pricing::{
    self as p, Activity, ActivityKind, BuyerContext, Coupon, CouponKind, FreightMode, FreightRule, FreightTemplate,
    Line, PointsRule, PriceRule, Quote, QuoteInput, Scope,
};

use minimall_core::{FieldError, Money};
use minimall_store::promotions::{ActivityRow, BuyerCouponRow, CouponTemplateRow, FreightRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::promotions::refusals::PromotionRefusal;
use crate::state::AppState;
use crate::web::i18n::Lang;

pub const MAX_SCOPE_IDS: usize = 1000;
pub const MAX_TIERS: usize = 10;
pub const MAX_CART_LINES: usize = 100;
pub const MAX_QUANTITY: i64 = 9999;

#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeDto {
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub products: Vec<i64>,
    /// Categories include their descendants.
    #[serde(default)]
    pub categories: Vec<i64>,
    #[serde(default)]
    pub skus: Vec<i64>,
    #[serde(default)]
    pub exclude_products: Vec<i64>,
}

impl ScopeDto {
    pub fn validate(&self, field: &str) -> Result<(), FieldError> {
        let n = self.products.len() + self.categories.len() + self.skus.len() + self.exclude_products.len();
        if n > MAX_SCOPE_IDS {
            return Err(FieldError::new(field, Reason::AtMost { max: count(MAX_SCOPE_IDS) }));
        }
        if !self.all && self.products.is_empty() && self.categories.is_empty() && self.skus.is_empty() {
            return Err(FieldError::new(field, Reason::ScopeEmpty));
        }
        if self.products.iter().chain(&self.categories).chain(&self.skus).chain(&self.exclude_products).any(|i| *i <= 0)
        {
            return Err(FieldError::new(field, Reason::IdsPositive));
        }
        Ok(())
    }

    pub fn to_core(&self) -> Scope {
        Scope {
            all: self.all,
            products: self.products.clone(),
            categories: self.categories.clone(),
            skus: self.skus.clone(),
            exclude_products: self.exclude_products.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuPriceDto {
    pub sku_id: i64,
    /// fen
    pub price: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierDto {
    /// Spend at least this (fen).
    pub threshold: i64,
    /// 满减: fen off.
    pub off: Option<i64>,
    /// 满折: percent paid (90 = 10 % off).
    pub percent: Option<u32>,
}

/// The rule of an activity; which fields apply depends on `kind`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDto {
    /// Product-level: percent of the sale price paid (80 = 20 % off).
    pub percent: Option<u32>,
    /// Product-level: fixed prices per SKU instead of a percent.
    pub prices: Option<Vec<SkuPriceDto>>,
    /// 新人专享: registered within this many days.
    pub days: Option<u32>,
    /// 满减 / 满折 tiers.
    pub tiers: Option<Vec<TierDto>>,
    /// 满减: repeat per full threshold (每满 300 减 30).
    #[serde(default)]
    pub repeat: bool,
}

fn price_rule(r: &RuleDto) -> Result<PriceRule, FieldError> {
    match (&r.percent, &r.prices) {
        (Some(pct), None) => {
            if *pct == 0 || *pct >= 100 {
                return Err(FieldError::new("rule.percent", Reason::PercentPaid));
            }
            Ok(PriceRule::Percent(*pct))
        }
        (None, Some(prices)) => {
            if prices.is_empty() || prices.len() > MAX_SCOPE_IDS {
                return Err(FieldError::new("rule.prices", Reason::ListCount { min: 1, max: count(MAX_SCOPE_IDS) }));
            }
            let mut out = Vec::new();
            for (i, sp) in prices.iter().enumerate() {
                let m = Money::parse_fen(&format!("rule.prices[{i}].price"), sp.price)?;
                out.push((sp.sku_id, m));
            }
            Ok(PriceRule::FixedPerSku(out))
        }
        _ => Err(FieldError::new("rule", Reason::PercentOrPrices)),
    }
}

/// Check an activity's kind and rule together.
pub fn activity_kind(kind: &str, r: &RuleDto) -> Result<ActivityKind, FieldError> {
    match kind {
        "limited_discount" => Ok(ActivityKind::LimitedDiscount(price_rule(r)?)),
        "first_order" => Ok(ActivityKind::FirstOrder(price_rule(r)?)),
        "newcomer" => {
            let days = r.days.ok_or_else(|| FieldError::new("rule.days", Reason::Required))?;
            if days == 0 || days > 365 {
                return Err(FieldError::new("rule.days", Reason::OutOfRange { min: 1, max: 365 }));
            }
            Ok(ActivityKind::Newcomer { days, rule: price_rule(r)? })
        }
        "full_reduction" | "full_discount" => {
            let tiers =
                r.tiers.as_ref().filter(|t| !t.is_empty()).ok_or_else(|| {
                    FieldError::new("rule.tiers", Reason::ListCount { min: 1, max: count(MAX_TIERS) })
                })?;
            if tiers.len() > MAX_TIERS {
                return Err(FieldError::new("rule.tiers", Reason::ListCount { min: 1, max: count(MAX_TIERS) }));
            }
            let mut last = -1i64;
            if kind == "full_reduction" {
                let mut out = Vec::new();
                for (i, t) in tiers.iter().enumerate() {
                    let th = Money::parse_fen(&format!("rule.tiers[{i}].threshold"), t.threshold)?;
                    let off = Money::parse_fen(
                        &format!("rule.tiers[{i}].off"),
                        t.off.ok_or_else(|| FieldError::new(format!("rule.tiers[{i}].off"), Reason::Required))?,
                    )?;
                    if off.fen() == 0 || off > th {
                        return Err(FieldError::new(format!("rule.tiers[{i}].off"), Reason::OffWithinThreshold));
                    }
                    if th.fen() <= last {
                        return Err(FieldError::new(format!("rule.tiers[{i}].threshold"), Reason::TiersIncreasing));
                    }
                    last = th.fen();
                    out.push((th, off));
                }
                if r.repeat && out.len() != 1 {
                    return Err(FieldError::new("rule.repeat", Reason::RepeatOneTier));
                }
                Ok(ActivityKind::FullReduction { tiers: out, repeat: r.repeat })
            } else {
                let mut out = Vec::new();
                for (i, t) in tiers.iter().enumerate() {
                    let th = Money::parse_fen(&format!("rule.tiers[{i}].threshold"), t.threshold)?;
                    let pct = t
                        .percent
                        .ok_or_else(|| FieldError::new(format!("rule.tiers[{i}].percent"), Reason::Required))?;
                    if pct == 0 || pct >= 100 {
                        return Err(FieldError::new(format!("rule.tiers[{i}].percent"), Reason::PercentPaid));
                    }
                    if th.fen() <= last {
                        return Err(FieldError::new(format!("rule.tiers[{i}].threshold"), Reason::TiersIncreasing));
                    }
                    last = th.fen();
                    out.push((th, pct));
                }
                Ok(ActivityKind::FullDiscount { tiers: out })
            }
        }
        _ => Err(FieldError::new(
            "kind",
            Reason::OneOf { allowed: "limited_discount, first_order, newcomer, full_reduction, full_discount".into() },
        )),
    }
}

pub fn activity_from_row(r: &ActivityRow) -> Option<Activity> {
    let rule: RuleDto = serde_json::from_str(&r.rule).ok()?;
    let scope: ScopeDto = serde_json::from_str(&r.scope).ok()?;
    Some(Activity {
        id: r.id,
        name: r.name.clone(),
        kind: activity_kind(&r.kind, &rule).ok()?,
        starts_at_ms: r.starts_at,
        ends_at_ms: if r.status == "ended" { r.ends_at.min(r.updated_at) } else { r.ends_at },
        scope: scope.to_core(),
        allow_coupons: r.allow_coupons != 0,
        allow_points: r.allow_points != 0,
        per_buyer_limit: r.per_buyer_limit,
        free_shipping: r.free_shipping != 0,
    })
}

// ---- coupons ------------------------------------------------------------------------------------

pub fn coupon_kind(
    kind: &str,
    threshold: i64,
    amount_off: i64,
    percent: i32,
    cap: i64,
) -> Result<CouponKind, FieldError> {
    let threshold = Money::parse_fen("threshold", threshold)?;
    match kind {
        "amount_off" => {
            let off = Money::parse_fen("amount_off", amount_off)?;
            if off.fen() == 0 {
                return Err(FieldError::new("amount_off", Reason::AtLeastOneFen));
            }
            if threshold.fen() > 0 && off > threshold {
                return Err(FieldError::new("amount_off", Reason::OffWithinThreshold));
            }
            Ok(CouponKind::AmountOff { threshold, off })
        }
        "percent_off" => {
            if percent <= 0 || percent >= 100 {
                return Err(FieldError::new("percent", Reason::PercentPaid));
            }
            Ok(CouponKind::PercentOff { threshold, percent: percent as u32, cap: Money::parse_fen("cap", cap)? })
        }
        "free_shipping" => Ok(CouponKind::FreeShipping { threshold }),
        _ => Err(FieldError::new("kind", Reason::OneOf { allowed: "amount_off, percent_off, free_shipping".into() })),
    }
}

pub fn coupon_from_row(r: &BuyerCouponRow) -> Option<Coupon> {
    let scope: ScopeDto = serde_json::from_str(&r.scope).ok()?;
    Some(Coupon {
        id: r.id,
        name: r.name.clone(),
        kind: coupon_kind(&r.kind, r.threshold, r.amount_off, r.percent, r.cap).ok()?,
        scope: scope.to_core(),
        valid_from_ms: r.valid_from,
        valid_until_ms: r.valid_until,
        usable: r.state == "unused",
    })
}

/// When a coupon issued now is valid: the template's window, or N days from now.
pub fn validity(t: &CouponTemplateRow, now: i64) -> (i64, i64) {
    match (t.valid_days, t.valid_from, t.valid_until) {
        (Some(days), _, _) => (now, now + days as i64 * 86_400_000),
        (None, from, until) => (from.unwrap_or(now), until.unwrap_or(i64::MAX / 2)),
    }
}

// ---- freight ------------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FreightRuleDto {
    /// Pieces, or grams when by weight, covered by the first fee.
    pub first_units: i64,
    pub first_fee: i64,
    pub additional_units: i64,
    pub additional_fee: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionRuleDto {
    /// e.g. ["新疆", "西藏"]
    pub provinces: Vec<String>,
    /// Pieces, or grams when by weight, covered by the first fee.
    pub first_units: i64,
    pub first_fee: i64,
    pub additional_units: i64,
    pub additional_fee: i64,
}

impl RegionRuleDto {
    pub fn new(provinces: Vec<String>, r: FreightRuleDto) -> Self {
        RegionRuleDto {
            provinces,
            first_units: r.first_units,
            first_fee: r.first_fee,
            additional_units: r.additional_units,
            additional_fee: r.additional_fee,
        }
    }

    pub fn rule(&self) -> FreightRuleDto {
        FreightRuleDto {
            first_units: self.first_units,
            first_fee: self.first_fee,
            additional_units: self.additional_units,
            additional_fee: self.additional_fee,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct FreightRules {
    pub default: FreightRuleDto,
    #[serde(default)]
    pub regions: Vec<RegionRuleDto>,
}

fn rule_core(field: &str, r: &FreightRuleDto) -> Result<FreightRule, FieldError> {
    if !(0..=1_000_000).contains(&r.first_units) {
        return Err(FieldError::new(format!("{field}.first_units"), Reason::OutOfRange { min: 0, max: 1_000_000 }));
    }
    if !(1..=1_000_000).contains(&r.additional_units) {
        return Err(FieldError::new(
            format!("{field}.additional_units"),
            Reason::OutOfRange { min: 1, max: 1_000_000 },
        ));
    }
    Ok(FreightRule {
        first_units: r.first_units,
        first_fee: Money::parse_fen(&format!("{field}.first_fee"), r.first_fee)?,
        additional_units: r.additional_units,
        additional_fee: Money::parse_fen(&format!("{field}.additional_fee"), r.additional_fee)?,
    })
}

pub fn freight_core(
    id: i64,
    name: &str,
    mode: &str,
    rules: &FreightRules,
    free_over: Option<i64>,
    no_delivery: &[String],
) -> Result<FreightTemplate, FieldError> {
    let mode = match mode {
        "piece" => FreightMode::ByPiece,
        "weight" => FreightMode::ByWeight,
        _ => return Err(FieldError::new("mode", Reason::OneOf { allowed: "piece, weight".into() })),
    };
    if rules.regions.len() > 40 {
        return Err(FieldError::new("rules.regions", Reason::AtMost { max: 40 }));
    }
    let mut regions = Vec::new();
    for (i, r) in rules.regions.iter().enumerate() {
        if r.provinces.is_empty()
            || r.provinces.len() > 40
            || r.provinces.iter().any(|p| p.trim().is_empty() || p.chars().count() > 20)
        {
            return Err(FieldError::new(
                format!("rules.regions[{i}].provinces"),
                Reason::Provinces { max: 40, name_max: 20 },
            ));
        }
        regions.push((
            r.provinces.iter().map(|p| p.trim().to_string()).collect(),
            rule_core(&format!("rules.regions[{i}]"), &r.rule())?,
        ));
    }
    if no_delivery.len() > 40 {
        return Err(FieldError::new("no_delivery", Reason::AtMost { max: 40 }));
    }
    Ok(FreightTemplate {
        id,
        name: name.to_string(),
        mode,
        default_rule: rule_core("rules.default", &rules.default)?,
        regions,
        free_over: free_over.map(|f| Money::parse_fen("free_over", f)).transpose()?,
        no_delivery: no_delivery.iter().map(|p| p.trim().to_string()).collect(),
    })
}

pub fn freight_from_row(r: &FreightRow) -> Option<FreightTemplate> {
    let rules: FreightRules = serde_json::from_str(&r.rules).ok()?;
    let nd: Vec<String> = serde_json::from_str(&r.no_delivery).ok()?;
    freight_core(r.id, &r.name, &r.mode, &rules, r.free_over, &nd).ok()
}

// ---- quoting ------------------------------------------------------------------------------------

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartItem {
    pub sku_id: i64,
    pub quantity: i64,
}

/// A priced cart: the engine's input plus display data for each line.
pub struct Priced {
    pub input: QuoteInput,
    pub quote: Quote,
    pub titles: Vec<(String, Vec<String>, Option<String>)>,
}

/// Validate cart items: 1–100 lines, quantities 1–9999, no SKU twice.
pub fn validate_items(items: &[CartItem]) -> Result<(), FieldError> {
    if items.is_empty() || items.len() > MAX_CART_LINES {
        return Err(FieldError::new("items", Reason::ListCount { min: 1, max: count(MAX_CART_LINES) }));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, it) in items.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(&it.quantity) {
            return Err(FieldError::new(
                format!("items[{i}].quantity"),
                Reason::OutOfRange { min: 1, max: MAX_QUANTITY },
            ));
        }
        if !seen.insert(it.sku_id) {
            return Err(FieldError::new(format!("items[{i}].sku_id"), Reason::Duplicate));
        }
    }
    Ok(())
}

/// Load everything a quote needs for this buyer and price the cart.
pub async fn price_cart(
    st: &AppState,
    merchant_id: i64,
    buyer_id: i64,
    items: &[CartItem],
    coupon_ids: &[i64],
    points: i64,
    province: Option<String>,
) -> ApiResult<Priced> {
    price_cart_at(st, merchant_id, buyer_id, items, coupon_ids, points, province, None).await
}

/// A price one SKU is offered at by a campaign of its own (a group buy's seat), competing in the engine with
/// every other product-level price; `free_shipping` ships that line free.
pub struct SpecialOffer {
    pub sku_id: i64,
    pub price: p::SpecialPrice,
    pub free_shipping: bool,
}

/// [`price_cart`] with a special offer on one SKU.
#[allow(clippy::too_many_arguments)]
pub async fn price_cart_at(
    st: &AppState,
    merchant_id: i64,
    buyer_id: i64,
    items: &[CartItem],
    coupon_ids: &[i64],
    points: i64,
    province: Option<String>,
    offer: Option<&SpecialOffer>,
) -> ApiResult<Priced> {
    validate_items(items)?;
    if coupon_ids.len() > 5 {
        return Err(ApiError::invalid_because("coupon_ids", &Reason::AtMost { max: 5 }));
    }
    for (i, id) in coupon_ids.iter().enumerate() {
        if coupon_ids[..i].contains(id) {
            return Err(ApiError::invalid_because(format!("coupon_ids[{i}]"), &Reason::Duplicate));
        }
    }
    if !(0..=100_000_000).contains(&points) {
        return Err(ApiError::invalid_because("points", &Reason::OutOfRange { min: 0, max: 100000000 }));
    }
    let ids: Vec<i64> = items.iter().map(|i| i.sku_id).collect();
    let rows = st.store.skus_for_quote(merchant_id, &ids).await?;
    let ctx = st.pricing.get(st, merchant_id).await?;
    let mut lines = Vec::new();
    let mut titles = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let Some(r) = rows.iter().find(|r| r.sku_id == it.sku_id) else {
            return Err(ApiError::invalid_because(
                format!("items[{i}].sku_id"),
                &ApiReason::NoSuch { what: crate::error::thing("product") },
            ));
        };
        if r.on_shelf == 0 {
            return Err(ApiError::invalid_because(format!("items[{i}].sku_id"), &PromotionRefusal::OffShelf));
        }
        let path = ctx.paths.get(&r.category_id).cloned().unwrap_or_else(|| vec![r.category_id]);
        lines.push(Line {
            sku_id: r.sku_id,
            product_id: r.product_id,
            category_path: path,
            title: r.title.clone(),
            quantity: it.quantity,
            sale_price: Money::from_fen(r.sale_price),
            original_price: Money::from_fen(r.original_price),
            weight_g: r.weight_g,
            free_shipping: r.free_shipping != 0,
            coupons_usable: r.coupons_usable != 0,
            earns_points: r.earns_points != 0,
            freight_template_id: r.freight_template_id,
            special_price: None,
        });
        if let Some(o) = offer.filter(|o| o.sku_id == r.sku_id) {
            if let Some(l) = lines.last_mut() {
                l.special_price = Some(o.price.clone());
                l.free_shipping |= o.free_shipping;
            }
        }
        let images: Vec<String> = serde_json::from_str(&r.image).unwrap_or_default();
        titles.push((
            r.title.clone(),
            serde_json::from_str(&r.spec_values).unwrap_or_default(),
            images.into_iter().next(),
        ));
    }
    let now = minimall_store::now_ms();
    let activities: Vec<Activity> = ctx.running(now);
    // Only limits that could apply to this cart need the buyer's history.
    let limited: Vec<i64> = activities
        .iter()
        .filter(|a| a.per_buyer_limit > 0 && lines.iter().any(|l| p::in_scope(&a.scope, l)))
        .map(|a| a.id)
        .collect();
    let bought_under = st.store.units_bought_under(buyer_id, &limited).await?;
    let coupons: Vec<Coupon> = if coupon_ids.is_empty() {
        Vec::new()
    } else {
        let rows = st.store.buyer_coupons_by_ids(merchant_id, buyer_id, coupon_ids).await?;
        // In the order the buyer gave them, so that `coupon_ids[i]` is `coupons[i]`.
        let mut coupons = Vec::with_capacity(coupon_ids.len());
        for (i, id) in coupon_ids.iter().enumerate() {
            match rows.iter().find(|r| r.id == *id).map(coupon_from_row) {
                Some(Some(c)) => coupons.push(c),
                Some(None) => return Err(ApiError::internal(format!("coupon {id} cannot be read"))),
                None => {
                    return Err(ApiError::invalid_because(format!("coupon_ids[{i}]"), &PromotionRefusal::NotInWallet))
                }
            }
        }
        coupons
    };
    let facts = st.store.buyer_pricing_facts(merchant_id, buyer_id).await?;
    // A level without a member price (or a name) gives none; the engine lists a level price only with both.
    let member_discount_pct =
        facts.member_discount_pct.and_then(|p| u32::try_from(p).ok()).filter(|p| (1..=99).contains(p));
    let input = QuoteInput {
        lines,
        buyer: BuyerContext {
            buyer_id,
            has_paid_order: facts.has_paid_order > 0,
            registered_at_ms: facts.registered_at,
            member_discount_pct,
            member_free_shipping: facts.member_free_shipping != 0 && facts.member_level_name.is_some(),
            member_level_name: facts
                .member_level_name
                .filter(|_| member_discount_pct.is_some() || facts.member_free_shipping != 0),
            bought_under,
            points_balance: facts.points_balance,
        },
        activities,
        coupons,
        points_to_use: points,
        points_rule: Some(PointsRule {
            points_per_yuan: ctx.points_per_yuan,
            max_share_pct: ctx.points_max_share_pct as u32,
        }),
        province,
        freight_templates: ctx.freight_templates.clone(),
        default_freight_template_id: ctx.default_freight_template_id,
        now_ms: now,
    };
    let quote = p::quote(&input);
    Ok(Priced { input, quote, titles })
}

// ---- quote on the wire --------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteLineDto {
    pub sku_id: i64,
    pub title: String,
    pub spec: Vec<String>,
    pub image: Option<String>,
    pub quantity: i64,
    pub sale_price: i64,
    pub original_price: i64,
    pub unit_price: i64,
    pub units_at_price: i64,
    /// Which rule set the unit price: sale_price, activity, member_price, flash, group.
    pub price_source: String,
    pub price_rule: Option<String>,
    pub price_rule_id: Option<i64>,
    pub goods_amount: i64,
    pub order_discount: i64,
    pub coupon_discount: i64,
    pub points_discount: i64,
    pub paid_amount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepDto {
    /// product_price, order_reduction, coupon, points, shipping
    pub stage: String,
    pub rule: String,
    /// What `rule_id` is the id of: activity, flash, group, member_price, coupon, points, freight_template.
    /// Ids are unique only within a kind.
    pub rule_kind: String,
    pub rule_id: Option<i64>,
    /// fen; negative takes off, positive adds.
    pub amount: i64,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedDto {
    pub rule: String,
    /// What `rule_id` is the id of: activity, flash, group, member_price, coupon, points, freight_template.
    pub rule_kind: String,
    pub rule_id: Option<i64>,
    /// Machine-readable reason, e.g. below_threshold, no_discount (the error reason `pricing.below_threshold`
    /// without its prefix).
    pub reason: String,
    /// The reason's parameters by name (amounts in fen when the name ends in `_fen`).
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// The reason in the request's language.
    pub message: String,
    /// The request field an order with this quote is refused on (`coupon_ids[i]`, `address_id`); set on
    /// blocking refusals.
    pub field: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteDto {
    pub lines: Vec<QuoteLineDto>,
    pub list_total: i64,
    pub goods_total: i64,
    pub order_discount: i64,
    pub coupon_discount: i64,
    pub applied_coupons: Vec<i64>,
    pub points_used: i64,
    pub points_discount: i64,
    pub shipping: i64,
    pub payable: i64,
    pub points_eligible_amount: i64,
    /// How the payable was reached: list_total + Σ amount = payable.
    pub steps: Vec<StepDto>,
    /// Rules that did not apply, and why.
    pub rejected: Vec<RejectedDto>,
    /// Problems that prevent ordering this quote: no delivery to the address, or a chosen coupon that does not
    /// apply. An order with the same request is placed at exactly this quote when this is empty, and is
    /// refused with the first entry's reason (as `code`) and field otherwise.
    pub blocking: Vec<RejectedDto>,
    /// The buyer's coupon that would give the lowest payable, and that payable.
    pub suggested_coupon_id: Option<i64>,
    pub suggested_payable: Option<i64>,
    pub points_balance: i64,
}

pub fn rule_kind(k: p::RuleKind) -> &'static str {
    match k {
        p::RuleKind::Activity => "activity",
        p::RuleKind::Flash => "flash",
        p::RuleKind::Group => "group",
        p::RuleKind::MemberPrice => "member_price",
        p::RuleKind::Coupon => "coupon",
        p::RuleKind::Points => "points",
        p::RuleKind::FreightTemplate => "freight_template",
    }
}

/// The request field an order is refused on for a blocking refusal.
fn refusal_field(priced: &Priced, r: &p::Rejected) -> String {
    match r.kind {
        p::RuleKind::Coupon => {
            let i = priced.input.coupons.iter().position(|c| Some(c.id) == r.rule_id).unwrap_or(0);
            format!("coupon_ids[{i}]")
        }
        p::RuleKind::Points => "points".into(),
        _ => "address_id".into(),
    }
}

/// The refusal of an order whose quote is blocked: 422 with the quote's reason as the code and its field.
pub fn blocking_error(priced: &Priced) -> Option<ApiError> {
    let r = priced.quote.blocking.first()?;
    Some(
        ApiError::refused(axum::http::StatusCode::UNPROCESSABLE_ENTITY, r.reason.short(), &r.reason)
            .with_field(refusal_field(priced, r))
            .with_details(serde_json::json!({
                "rule": crate::messages::of(Lang::Zh, &r.rule),
                "rule_kind": rule_kind(r.kind),
                "rule_id": r.rule_id,
            })),
    )
}

fn stage(s: p::Stage) -> &'static str {
    match s {
        p::Stage::ProductPrice => "product_price",
        p::Stage::OrderReduction => "order_reduction",
        p::Stage::Coupon => "coupon",
        p::Stage::Points => "points",
        p::Stage::Shipping => "shipping",
    }
}

/// The quote on the wire, its refusals worded in `lang`.
pub fn quote_dto(priced: &Priced, suggestion: Option<(i64, i64)>, lang: Lang) -> QuoteDto {
    let q = &priced.quote;
    let lines = q
        .lines
        .iter()
        .zip(&priced.titles)
        .map(|(l, (title, spec, image))| {
            let (src, rule, rule_id) = match &l.price_source {
                p::PriceSource::SalePrice => ("sale_price", None, None),
                p::PriceSource::Activity { id, name, .. } => ("activity", Some(name.clone()), Some(*id)),
                p::PriceSource::MemberPrice { level, percent } => {
                    ("member_price", Some(format!("{level} {percent}%")), None)
                }
                p::PriceSource::Special { kind, id, name } => {
                    (if *kind == p::SpecialKind::Flash { "flash" } else { "group" }, Some(name.clone()), Some(*id))
                }
            };
            QuoteLineDto {
                sku_id: l.sku_id,
                title: title.clone(),
                spec: spec.clone(),
                image: image.clone(),
                quantity: l.quantity,
                sale_price: l.sale_price.fen(),
                original_price: l.original_price.fen(),
                unit_price: l.unit_price.fen(),
                units_at_price: l.units_at_price,
                price_source: src.into(),
                price_rule: rule,
                price_rule_id: rule_id,
                goods_amount: l.goods_amount.fen(),
                order_discount: l.order_discount.fen(),
                coupon_discount: l.coupon_discount.fen(),
                points_discount: l.points_discount.fen(),
                paid_amount: l.paid_amount.fen(),
            }
        })
        .collect();
    let rej = |r: &p::Rejected, field: Option<String>| RejectedDto {
        rule: crate::messages::of(lang, &r.rule),
        rule_kind: rule_kind(r.kind).into(),
        rule_id: r.rule_id,
        reason: r.reason.short().into(),
        params: crate::error::params_json(&r.reason.params()),
        message: crate::messages::of(lang, &r.reason),
        field,
    };
    QuoteDto {
        lines,
        list_total: q.list_total.fen(),
        goods_total: q.goods_total.fen(),
        order_discount: q.order_discount.fen(),
        coupon_discount: q.coupon_discount.fen(),
        applied_coupons: q.applied_coupons.clone(),
        points_used: q.points_used,
        points_discount: q.points_discount.fen(),
        shipping: q.shipping.fen(),
        payable: q.payable.fen(),
        points_eligible_amount: q.points_eligible_amount.fen(),
        steps: q
            .steps
            .iter()
            .map(|s| StepDto {
                stage: stage(s.stage).into(),
                rule: crate::messages::of(lang, &s.rule),
                rule_kind: rule_kind(s.kind).into(),
                rule_id: s.rule_id,
                amount: s.amount,
                detail: crate::messages::of(lang, &s.detail),
            })
            .collect(),
        rejected: q.rejected.iter().map(|r| rej(r, None)).collect(),
        blocking: q.blocking.iter().map(|b| rej(b, Some(refusal_field(priced, b)))).collect(),
        suggested_coupon_id: suggestion.map(|s| s.0),
        suggested_payable: suggestion.map(|s| s.1),
        points_balance: priced.input.buyer.points_balance,
    }
}
