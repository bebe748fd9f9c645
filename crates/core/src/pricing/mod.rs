//! The promotion and stacking engine: a pure function from a cart and its context to a quote that says
//! what every fen is and why.
//!
//! Stacking order: product price (the lowest allowed of sale price, 限时折扣, 首单特价, 新人专享, member
//! price, flash and group prices — these never stack with each other) → order-level reductions (满减 / 满折)
//! → coupon → points → shipping. Each activity declares whether coupons and points may follow it; a product
//! flagged "coupons not usable" never takes a coupon. Order-level amounts are apportioned to the eligible
//! lines by largest remainder (`money::apportion`), so lines always sum to the totals.
//!
//! Inputs are plain data prepared by the caller (the server loads them from storage); nothing here reads a
//! clock or a database: `now_ms` is part of the input.

mod engine;
mod freight;

pub use engine::{best_coupon, in_scope, order_quote, quote};
pub use freight::shipping_fee;

use crate::Money;

/// What a product-level price or an order-level rule applies to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Everything, unless listed in `exclude_products`.
    pub all: bool,
    pub products: Vec<i64>,
    /// A category includes its descendants: lines carry their whole category path.
    pub categories: Vec<i64>,
    pub skus: Vec<i64>,
    pub exclude_products: Vec<i64>,
}

/// One cart line as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub sku_id: i64,
    pub product_id: i64,
    /// The product's category and all its ancestors.
    pub category_path: Vec<i64>,
    pub title: String,
    pub quantity: i64,
    /// 小程序售价 per unit: the price before any activity.
    pub sale_price: Money,
    /// 划线价 per unit, for display.
    pub original_price: Money,
    pub weight_g: i64,
    /// Product flags.
    pub free_shipping: bool,
    pub coupons_usable: bool,
    pub earns_points: bool,
    /// Freight template of the product; `None` uses the shop default.
    pub freight_template_id: Option<i64>,
    /// A flash-sale or group price for this line, decided by those engines (input only).
    pub special_price: Option<SpecialPrice>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialPrice {
    pub kind: SpecialKind,
    /// The activity that set it.
    pub activity_id: i64,
    pub name: String,
    pub unit_price: Money,
    pub allow_coupons: bool,
    pub allow_points: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecialKind {
    Flash,
    Group,
}

/// Who is buying.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BuyerContext {
    pub buyer_id: i64,
    /// Has at least one paid order already (首单特价 is for buyers without).
    pub has_paid_order: bool,
    pub registered_at_ms: i64,
    /// Member level discount as a percentage of the sale price (95 = 95 %, i.e. 5 % off); `None` without a level.
    pub member_discount_pct: Option<u32>,
    pub member_level_name: Option<String>,
    /// The buyer's level ships free (named by `member_level_name`).
    pub member_free_shipping: bool,
    /// Units already bought under each activity (for per-buyer limits): (activity id, units).
    pub bought_under: Vec<(i64, i64)>,
    pub points_balance: i64,
}

/// How a product-level activity sets the unit price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceRule {
    /// Percentage of the sale price (80 = 20 % off), rounded to the fen (half up).
    Percent(u32),
    /// A fixed unit price per SKU: (sku id, price). SKUs not listed keep their price.
    FixedPerSku(Vec<(i64, Money)>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityKind {
    /// 限时折扣
    LimitedDiscount(PriceRule),
    /// 首单特价: only for buyers without a paid order.
    FirstOrder(PriceRule),
    /// 新人专享: only for buyers registered within `days`.
    Newcomer { days: u32, rule: PriceRule },
    /// 满减: spend at least `threshold` get `off`; the highest tier reached applies; with `repeat`, the single
    /// tier applies once per full `threshold` (每满 300 减 30).
    FullReduction { tiers: Vec<(Money, Money)>, repeat: bool },
    /// 满折: spend at least `threshold` pay `percent` % of the eligible amount; highest tier reached.
    FullDiscount { tiers: Vec<(Money, u32)> },
}

impl ActivityKind {
    pub fn is_product_level(&self) -> bool {
        matches!(self, ActivityKind::LimitedDiscount(_) | ActivityKind::FirstOrder(_) | ActivityKind::Newcomer { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    pub id: i64,
    pub name: String,
    pub kind: ActivityKind,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub scope: Scope,
    /// May a coupon follow this activity on the lines it priced or reduced?
    pub allow_coupons: bool,
    pub allow_points: bool,
    /// Units per buyer at the activity price (product-level); 0 = no limit. Units above it pay the next price.
    pub per_buyer_limit: i64,
    /// Lines under this activity ship free.
    pub free_shipping: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponKind {
    /// Amount off when the eligible amount reaches `threshold` (0 = no threshold).
    AmountOff { threshold: Money, off: Money },
    /// `percent` % of the eligible amount is paid (90 = 10 % off), at most `cap` off (0 = no cap).
    PercentOff { threshold: Money, percent: u32, cap: Money },
    /// Shipping is free when the eligible amount reaches `threshold`.
    FreeShipping { threshold: Money },
}

/// A coupon the buyer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    /// The buyer's coupon (instance) id.
    pub id: i64,
    pub name: String,
    pub kind: CouponKind,
    pub scope: Scope,
    pub valid_from_ms: i64,
    pub valid_until_ms: i64,
    /// Only unused coupons can be applied; the caller passes the state as stored.
    pub usable: bool,
}

/// 积分抵现.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsRule {
    /// Points worth ¥1 (e.g. 100).
    pub points_per_yuan: i64,
    /// At most this share of the amount due before points (percent).
    pub max_share_pct: u32,
}

/// How a freight template charges one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreightRule {
    /// Units (pieces, or grams when by weight) covered by the first fee.
    pub first_units: i64,
    pub first_fee: Money,
    /// Each further block of `additional_units` (rounded up) costs `additional_fee`.
    pub additional_units: i64,
    pub additional_fee: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreightMode {
    ByPiece,
    ByWeight,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreightTemplate {
    pub id: i64,
    pub name: String,
    pub mode: FreightMode,
    pub default_rule: FreightRule,
    /// Province-specific rules (first match wins); provinces as written in addresses, e.g. 新疆维吾尔自治区 or 新疆.
    pub regions: Vec<(Vec<String>, FreightRule)>,
    /// Free when the goods of this template reach this amount (after discounts); `None` = never.
    pub free_over: Option<Money>,
    /// Provinces this template does not deliver to.
    pub no_delivery: Vec<String>,
}

/// Everything a quote depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteInput {
    pub lines: Vec<Line>,
    pub buyer: BuyerContext,
    /// Activities that may apply (the engine checks windows, scopes and eligibility itself).
    pub activities: Vec<Activity>,
    /// Coupons the buyer chose (at most one discount coupon and one free-shipping coupon apply).
    pub coupons: Vec<Coupon>,
    pub points_to_use: i64,
    pub points_rule: Option<PointsRule>,
    /// Province of the delivery address; `None` quotes without shipping (pick-up, or no address yet).
    pub province: Option<String>,
    pub freight_templates: Vec<FreightTemplate>,
    /// Template for lines without their own.
    pub default_freight_template_id: Option<i64>,
    pub now_ms: i64,
}

/// Which rule set a line's unit price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceSource {
    SalePrice,
    /// `kind` is the activity kind's wire name (`limited_discount`, `first_order`, `newcomer`).
    Activity {
        id: i64,
        name: String,
        kind: &'static str,
    },
    MemberPrice {
        level: String,
        percent: u32,
    },
    Special {
        kind: SpecialKind,
        id: i64,
        name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteLine {
    pub sku_id: i64,
    pub quantity: i64,
    pub sale_price: Money,
    pub original_price: Money,
    /// Unit price after product-level rules (units over a per-buyer limit pay `sale_price`; see `units_at_price`).
    pub unit_price: Money,
    pub units_at_price: i64,
    pub price_source: PriceSource,
    /// Line amount after product-level rules.
    pub goods_amount: Money,
    /// Apportioned shares of the order-level amounts (each ≥ 0, lines sum to the order totals).
    pub order_discount: Money,
    pub coupon_discount: Money,
    pub points_discount: Money,
    /// goods_amount − order_discount − coupon_discount − points_discount.
    pub paid_amount: Money,
}

/// What kind of rule a step or a refusal is about. Ids are unique only within a kind: coupon 3 and activity 3
/// are different rules, so a rule is always named by kind and id together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleKind {
    /// A promotion activity (限时折扣, 首单特价, 新人专享, 满减, 满折): `Activity::id`.
    Activity,
    /// A flash-sale price: `SpecialPrice::activity_id`.
    Flash,
    /// A group-buying price: `SpecialPrice::activity_id`.
    Group,
    /// The buyer's member level (no id).
    MemberPrice,
    /// A coupon in the buyer's wallet: `Coupon::id`.
    Coupon,
    /// 积分抵现 (no id).
    Points,
    /// A freight template: `FreightTemplate::id`.
    FreightTemplate,
}

crate::coded_enum! {
    /// The name of a rule as a quote shows it: what kind of rule (worded by the catalogue, e.g. 满减) and the
    /// shop's own name for it.
    pub enum RuleName {
        SalePrice = "rule.sale_price",
        LimitedDiscount { name: String } = "rule.limited_discount",
        FirstOrder { name: String } = "rule.first_order",
        Newcomer { name: String } = "rule.newcomer",
        FullReduction { name: String } = "rule.full_reduction",
        FullDiscount { name: String } = "rule.full_discount",
        Flash { name: String } = "rule.flash",
        Group { name: String } = "rule.group",
        /// A member level's price; `level` is the level's name.
        MemberPrice { level: String } = "rule.member_price",
        /// The member price of a buyer whose level has no name.
        Member = "rule.member",
        /// A member level's free shipping; `level` is the level's name.
        MemberFreeShipping { level: String } = "rule.member_free_shipping",
        Coupon { name: String } = "rule.coupon",
        FreeShippingCoupon { name: String } = "rule.free_shipping_coupon",
        Points = "rule.points",
        FreightTemplate { name: String } = "rule.freight_template",
        /// A freight template's own free shipping over an amount.
        FreeShippingOver { over_fen: Money } = "rule.free_shipping_over",
    }
}

crate::coded_enum! {
    /// The terms of an order reduction or a coupon, as the derivation states them.
    pub enum Terms {
        EveryReduction { threshold_fen: Money, off_fen: Money, times: i64 } = "terms.every_reduction",
        Reduction { threshold_fen: Money, off_fen: Money } = "terms.reduction",
        ReductionAny { off_fen: Money } = "terms.reduction_any",
        PayPercent { threshold_fen: Money, percent: i64 } = "terms.pay_percent",
        PayPercentAny { percent: i64 } = "terms.pay_percent_any",
        PayPercentCapped { threshold_fen: Money, percent: i64, cap_fen: Money } = "terms.pay_percent_capped",
        PayPercentAnyCapped { percent: i64, cap_fen: Money } = "terms.pay_percent_any_capped",
    }
}

crate::coded_enum! {
    /// What a step of the derivation did, with its figures.
    pub enum Detail {
        /// A line's unit price from `sale_fen` to `unit_fen` for `units` units.
        ProductPrice { title: String, sale_fen: Money, unit_fen: Money, units: i64 } = "quote.product_price",
        /// As `ProductPrice`, and `over` units beyond the per-buyer limit pay the sale price.
        ProductPriceOverLimit { title: String, sale_fen: Money, unit_fen: Money, units: i64, over: i64 } =
            "quote.product_price_over_limit",
        /// An order-level amount on `amount_fen` of eligible goods, shared by `lines` lines.
        Shared { terms: Terms, amount_fen: Money, lines: i64 } = "quote.shared",
        /// Points spent: `per_yuan` points are worth ¥1, at most `max_pct` % of the amount due (`max_fen`).
        /// `short_of_balance` (1/0): the balance was below the `asked` points; `only_needed` (1/0): fewer than
        /// asked were spent.
        Points {
            used: i64,
            discount_fen: Money,
            per_yuan: i64,
            max_pct: i64,
            max_fen: Money,
            balance: i64,
            asked: i64,
            short_of_balance: i64,
            only_needed: i64,
        } = "quote.points",
        FreeShippingCoupon { fee_fen: Money } = "quote.free_shipping_coupon",
        /// The level's free shipping takes off the fee left after the templates' own rules.
        MemberFreeShipping { fee_fen: Money } = "quote.member_free_shipping",
        /// A template's fee to `province` for `units` pieces or grams (`by_weight` 1/0), by the region rule
        /// `region` (`has_region` 1) or the default rule.
        Freight { province: String, units: i64, by_weight: i64, has_region: i64, region: String } = "quote.freight",
        FreeOver { goods_fen: Money, over_fen: Money } = "quote.free_over",
    }
}

/// One step of the derivation: a rule and the fen it changed (negative = discount, positive = charge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub stage: Stage,
    pub kind: RuleKind,
    pub rule: RuleName,
    /// Within `kind`.
    pub rule_id: Option<i64>,
    pub amount: i64,
    pub detail: Detail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    ProductPrice,
    OrderReduction,
    Coupon,
    Points,
    Shipping,
}

crate::coded_enum! {
    /// Why a rule did not apply. The code's last part (`below_threshold`) is the API's short reason.
    pub enum Reason {
        NotStarted = "pricing.not_started",
        Ended = "pricing.ended",
        NotInScope = "pricing.not_in_scope",
        BelowThreshold { needed_fen: Money, has_fen: Money } = "pricing.below_threshold",
        DoesNotStackWith { rule: RuleName } = "pricing.does_not_stack",
        LostToLowerPrice { winner: RuleName } = "pricing.lost_to_lower_price",
        PerBuyerLimitReached = "pricing.per_buyer_limit",
        ProductForbidsCoupons = "pricing.product_forbids_coupons",
        ActivityForbidsCoupons { activity: RuleName } = "pricing.activity_forbids_coupons",
        ActivityForbidsPoints { activity: RuleName } = "pricing.activity_forbids_points",
        NotFirstOrder = "pricing.not_first_order",
        NotNewcomer = "pricing.not_newcomer",
        CouponNotUsable = "pricing.coupon_not_usable",
        OneCouponOfAKind = "pricing.one_coupon_of_a_kind",
        NotEnoughPoints { have: i64 } = "pricing.not_enough_points",
        /// Points were offered but the shop has no 积分抵现 rule (or a rule without a valid points-per-yuan rate).
        NoPointsRule = "pricing.no_points_rule",
        PointsCapped { max: i64 } = "pricing.points_capped",
        /// The rule would take nothing off this cart (e.g. half of a 1-fen item rounds to 0), so it is not used.
        NoDiscount = "pricing.no_discount",
        NoDelivery { province: String } = "pricing.no_delivery",
    }
}

impl Reason {
    /// The short reason of the quote's wire form and of an order's refusal code (`below_threshold`).
    pub fn short(&self) -> &'static str {
        let code = crate::error::Coded::code(self);
        code.strip_prefix("pricing.").unwrap_or(code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub kind: RuleKind,
    pub rule: RuleName,
    /// Within `kind`.
    pub rule_id: Option<i64>,
    pub reason: Reason,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub lines: Vec<QuoteLine>,
    /// Σ sale_price × quantity: the starting point of the derivation.
    pub list_total: Money,
    /// Σ goods_amount (after product-level prices).
    pub goods_total: Money,
    pub order_discount: Money,
    pub coupon_discount: Money,
    /// Coupons actually applied (ids), each taking something off; an order locks exactly these.
    pub applied_coupons: Vec<i64>,
    /// Points spent: the fewest points worth `points_discount`, never more than the buyer asked for or holds.
    pub points_used: i64,
    pub points_discount: Money,
    /// Shipping charged (after free-shipping rules).
    pub shipping: Money,
    /// What the buyer pays: list_total + Σ steps.amount.
    pub payable: Money,
    /// Points this order earns is decided by member rules later; the engine reports the eligible amount.
    pub points_eligible_amount: Money,
    pub steps: Vec<Step>,
    pub rejected: Vec<Rejected>,
    /// Problems that block ordering: no delivery to the province, or a coupon the buyer chose that does not
    /// apply (with the reason it does not). An order is placed at exactly this quote or not at all.
    pub blocking: Vec<Rejected>,
}
