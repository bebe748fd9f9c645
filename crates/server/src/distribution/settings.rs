//! The shop's distribution settings on the wire and as `core` reads them: how applications are decided, how
//! buyers are bound, the commission rates (shop-wide and per product), the settlement period and the limits
//! of a withdrawal, and the limits of the risk check that holds commissions for review. A shop that saved none
//! has the defaults: manual approval, first touch for good, settlement after the after-sales window, no
//! commission, and a hold beyond 50 orders per promoter a day or when 3 other buyers of the promoter share an
//! identifier.

use axum::http::StatusCode;
use minimall_core::social::commission::{ProductOverride, Rate, Rules, RulesError, TierRates, BASIS_POINTS_MAX};
use minimall_core::social::commission_ledger::WithdrawalRules;
use minimall_core::social::promoter::{
    ApprovalRule, BindingRules, RuleError, TouchRule, BINDING_DAYS_MAX, LEVEL_RANK_MAX,
};
use minimall_core::social::risk::{Limits, CROWD_LIMIT_MAX, DAILY_LIMIT_MAX};
use minimall_core::Money;
use minimall_store::distribution::DistributionSettingsRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{refused, Reason};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub const SETTLE_DAYS_MAX: i64 = 60;
pub const RISK_DAILY_LIMIT_DEFAULT: i64 = 50;
pub const RISK_CROWD_LIMIT_DEFAULT: i64 = 3;

fn risk_daily_limit_default() -> i64 {
    RISK_DAILY_LIMIT_DEFAULT
}

fn risk_crowd_limit_default() -> i64 {
    RISK_CROWD_LIMIT_DEFAULT
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// An operator decides every application.
    Manual,
    /// Approved at once when the buyer meets the thresholds; otherwise an operator decides.
    Automatic,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Touch {
    /// The first promoter keeps the buyer until the binding expires.
    First,
    /// Each new promoter's link takes the buyer over.
    Last,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateMode {
    /// `value` is basis points (万分之一) of the line's paid amount: 2000 is 20 %.
    Percent,
    /// `value` is fen per unit.
    PerUnit,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateDto {
    pub mode: RateMode,
    /// Basis points (0–10000) or fen per unit.
    #[schema(minimum = 0, maximum = 100000000)]
    pub value: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TierRatesDto {
    /// The buyer's own promoter; none: earns nothing.
    #[serde(default)]
    pub direct: Option<RateDto>,
    /// The promoter's promoter (team leader); none: earns nothing.
    #[serde(default)]
    pub leader: Option<RateDto>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductRatesDto {
    pub product_id: i64,
    #[serde(default)]
    pub direct: Option<RateDto>,
    #[serde(default)]
    pub leader: Option<RateDto>,
}

/// The rules as stored (JSON).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
struct StoredRules {
    #[serde(default)]
    default: TierRatesDto,
    #[serde(default)]
    overrides: Vec<ProductRatesDto>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributionSettings {
    pub approval: Approval,
    /// Automatic approval: spent at least this (fen), when set.
    #[serde(default)]
    pub min_spend: Option<i64>,
    /// Automatic approval: a member level of at least this rank, when set.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub min_level_rank: Option<i64>,
    pub touch: Touch,
    /// How long a binding lasts (1–3650 days); none: for good.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub binding_days: Option<i64>,
    /// Days after an order is received until its commission settles (0–60).
    #[schema(minimum = 0, maximum = 60)]
    pub settle_days: i64,
    /// Shop-wide rates.
    pub rates: TierRatesDto,
    /// Rates of single products, instead of the shop's (at most 1000).
    #[serde(default)]
    pub product_rates: Vec<ProductRatesDto>,
    /// The least and most one withdrawal may ask for (fen).
    #[schema(minimum = 1)]
    pub withdrawal_min: i64,
    #[schema(minimum = 1)]
    pub withdrawal_max: i64,
    /// Risk control: orders per promoter and shop day that earn commission; the next one's commission is held
    /// for review (1–1000; default 50).
    #[serde(default = "risk_daily_limit_default")]
    #[schema(minimum = 1, maximum = 1000)]
    pub risk_daily_limit: i64,
    /// Risk control: a commission is held when this many other buyers of the promoter share the buyer's phone,
    /// address or device (1–1000; default 3).
    #[serde(default = "risk_crowd_limit_default")]
    #[schema(minimum = 1, maximum = 1000)]
    pub risk_crowd_limit: i64,
}

pub fn default_settle_days(st: &AppState) -> i64 {
    st.cfg.orders.aftersale_days.clamp(0, SETTLE_DAYS_MAX)
}

fn defaults(st: &AppState) -> DistributionSettings {
    DistributionSettings {
        approval: Approval::Manual,
        min_spend: None,
        min_level_rank: None,
        touch: Touch::First,
        binding_days: None,
        settle_days: default_settle_days(st),
        rates: TierRatesDto::default(),
        product_rates: Vec::new(),
        withdrawal_min: WithdrawalRules::DEFAULT.min.fen(),
        withdrawal_max: WithdrawalRules::DEFAULT.max.fen(),
        risk_daily_limit: RISK_DAILY_LIMIT_DEFAULT,
        risk_crowd_limit: RISK_CROWD_LIMIT_DEFAULT,
    }
}

fn from_row(r: &DistributionSettingsRow) -> DistributionSettings {
    let rules: StoredRules = serde_json::from_str(&r.rules).unwrap_or_default();
    DistributionSettings {
        approval: if r.approval == "automatic" { Approval::Automatic } else { Approval::Manual },
        min_spend: r.min_spend,
        min_level_rank: r.min_level_rank,
        touch: if r.touch == "last" { Touch::Last } else { Touch::First },
        binding_days: r.binding_days,
        settle_days: r.settle_days,
        rates: rules.default,
        product_rates: rules.overrides,
        withdrawal_min: r.withdrawal_min,
        withdrawal_max: r.withdrawal_max,
        risk_daily_limit: r.risk_daily_limit,
        risk_crowd_limit: r.risk_crowd_limit,
    }
}

impl DistributionSettings {
    pub fn approval_rule(&self) -> ApiResult<ApprovalRule> {
        // Kept with manual approval too (for when the shop turns automatic approval on): bounded either way.
        let rank_max = i64::from(LEVEL_RANK_MAX);
        if self.min_level_rank.is_some_and(|r| !(0..=rank_max).contains(&r)) {
            return Err(out_of_range("min_level_rank", 0, rank_max));
        }
        if self.min_spend.is_some_and(|m| !(0..=minimall_core::money::MAX_INPUT_FEN).contains(&m)) {
            return Err(out_of_range("min_spend", 0, minimall_core::money::MAX_INPUT_FEN));
        }
        let rule = match self.approval {
            Approval::Manual => ApprovalRule::Manual,
            Approval::Automatic => ApprovalRule::Automatic {
                min_spend: self.min_spend.map(Money::from_fen),
                min_level_rank: match self.min_level_rank {
                    Some(r) => Some(u32::try_from(r).map_err(|_| out_of_range("min_level_rank", 0, 100))?),
                    None => None,
                },
            },
        };
        rule.validate().map_err(rule_error)?;
        Ok(rule)
    }

    pub fn binding_rules(&self) -> ApiResult<BindingRules> {
        let period_days = match self.binding_days {
            Some(d) => {
                Some(u32::try_from(d).map_err(|_| out_of_range("binding_days", 1, i64::from(BINDING_DAYS_MAX)))?)
            }
            None => None,
        };
        let r = BindingRules {
            touch: if self.touch == Touch::Last { TouchRule::Last } else { TouchRule::First },
            period_days,
        };
        r.validate().map_err(rule_error)?;
        Ok(r)
    }

    pub fn rules(&self) -> ApiResult<Rules> {
        let rules = Rules {
            default: tiers("rates", &self.rates)?,
            overrides: self
                .product_rates
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    Ok(ProductOverride {
                        product_id: o.product_id,
                        rates: tiers(
                            &format!("product_rates[{i}]"),
                            &TierRatesDto { direct: o.direct, leader: o.leader },
                        )?,
                    })
                })
                .collect::<ApiResult<Vec<_>>>()?,
        };
        rules.validate().map_err(rules_error)?;
        Ok(rules)
    }

    pub fn withdrawal_rules(&self) -> ApiResult<WithdrawalRules> {
        let max = minimall_core::money::MAX_INPUT_FEN;
        for (field, v) in [("withdrawal_min", self.withdrawal_min), ("withdrawal_max", self.withdrawal_max)] {
            if !(1..=max).contains(&v) {
                return Err(out_of_range(field, 1, max));
            }
        }
        if self.withdrawal_max < self.withdrawal_min {
            return Err(refused(StatusCode::UNPROCESSABLE_ENTITY, Reason::WithdrawalInverted, "withdrawal_max"));
        }
        Ok(WithdrawalRules { min: Money::from_fen(self.withdrawal_min), max: Money::from_fen(self.withdrawal_max) })
    }

    /// The risk check's limits.
    pub fn risk_limits(&self) -> ApiResult<Limits> {
        let limit = |field: &str, v: i64, max: u32| {
            u32::try_from(v)
                .ok()
                .filter(|v| (1..=max).contains(v))
                .ok_or_else(|| out_of_range(field, 1, i64::from(max)))
        };
        Ok(Limits {
            daily_limit: limit("risk_daily_limit", self.risk_daily_limit, DAILY_LIMIT_MAX)?,
            crowd_limit: limit("risk_crowd_limit", self.risk_crowd_limit, CROWD_LIMIT_MAX)?,
        })
    }

    /// Every rule checked, each refusal naming its field.
    pub fn validate(&self) -> ApiResult<()> {
        self.risk_limits()?;
        self.approval_rule()?;
        self.binding_rules()?;
        self.rules()?;
        self.withdrawal_rules()?;
        if !(0..=SETTLE_DAYS_MAX).contains(&self.settle_days) {
            return Err(out_of_range("settle_days", 0, SETTLE_DAYS_MAX));
        }
        Ok(())
    }

    pub fn to_row(&self) -> DistributionSettingsRow {
        DistributionSettingsRow {
            approval: match self.approval {
                Approval::Manual => "manual",
                Approval::Automatic => "automatic",
            }
            .into(),
            min_spend: self.min_spend,
            min_level_rank: self.min_level_rank,
            touch: match self.touch {
                Touch::First => "first",
                Touch::Last => "last",
            }
            .into(),
            binding_days: self.binding_days,
            settle_days: self.settle_days,
            rules: serde_json::to_string(&StoredRules { default: self.rates, overrides: self.product_rates.clone() })
                .unwrap_or_else(|_| "{}".into()),
            withdrawal_min: self.withdrawal_min,
            withdrawal_max: self.withdrawal_max,
            updated_at: 0,
            risk_daily_limit: self.risk_daily_limit,
            risk_crowd_limit: self.risk_crowd_limit,
        }
    }
}

fn out_of_range(field: &str, min: i64, max: i64) -> ApiError {
    refused(StatusCode::UNPROCESSABLE_ENTITY, Reason::OutOfRange { min, max }, field)
}

fn rule_error(e: RuleError) -> ApiError {
    let field = e.field().replace("approval.", "").replace("binding.period_days", "binding_days");
    match e {
        RuleError::OutOfRange { min, max, .. } => out_of_range(&field, min, max),
        e => ApiError::invalid_because(field, &e),
    }
}

fn rules_error(e: RulesError) -> ApiError {
    let field = e.field().replace("default", "rates").replace("overrides", "product_rates");
    match e {
        RulesError::OutOfRange { min, max, .. } => out_of_range(&field, min, max),
        RulesError::TooMany { max, .. } => {
            refused(StatusCode::UNPROCESSABLE_ENTITY, Reason::TooMany { max: max as i64 }, &field)
        }
        e => ApiError::invalid_because(field, &e),
    }
}

fn rate(field: String, r: Option<RateDto>) -> ApiResult<Option<Rate>> {
    let Some(r) = r else { return Ok(None) };
    Ok(Some(match r.mode {
        RateMode::Percent => Rate::Percent {
            basis_points: u32::try_from(r.value)
                .ok()
                .filter(|v| *v <= BASIS_POINTS_MAX)
                .ok_or_else(|| out_of_range(&format!("{field}.value"), 0, i64::from(BASIS_POINTS_MAX)))?,
        },
        RateMode::PerUnit => {
            let max = minimall_core::money::MAX_INPUT_FEN;
            if !(0..=max).contains(&r.value) {
                return Err(out_of_range(&format!("{field}.value"), 0, max));
            }
            Rate::PerUnit { amount: Money::from_fen(r.value) }
        }
    }))
}

fn tiers(prefix: &str, t: &TierRatesDto) -> ApiResult<TierRates> {
    Ok(TierRates {
        direct: rate(format!("{prefix}.direct"), t.direct)?,
        leader: rate(format!("{prefix}.leader"), t.leader)?,
    })
}

/// The shop's settings, or the defaults.
pub async fn load(st: &AppState, merchant_id: i64) -> ApiResult<DistributionSettings> {
    Ok(match st.store.distribution_settings(st.store.reader(), merchant_id).await? {
        Some(r) => from_row(&r),
        None => defaults(st),
    })
}
