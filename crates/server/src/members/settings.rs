//! The shop's level table and its points and lifecycle rules, as the console and the admin API edit them.

use minimall_core::error::{FieldError, Reason};
use minimall_core::members::levels;
use minimall_core::members::lifecycle::StageDays;
use minimall_core::members::points;
use minimall_core::members::Level;
use minimall_store::members::MemberSettingsRow;
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{audit, rules, sign_in_rule, LevelDto};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::members::refusals::MemberRefusal;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

/// The shop's level table as the console edits it: the whole table at once, checked by core's rules.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelsInput {
    #[schema(max_items = 20)]
    pub levels: Vec<LevelInput>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelInput {
    /// An existing level's id; absent for a new level.
    pub id: Option<i64>,
    #[schema(min_length = 1, max_length = 20)]
    pub name: String,
    pub rank: i32,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub badge: String,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub min_spend_fen: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub min_points: Option<i64>,
    #[serde(default)]
    pub both_required: bool,
    #[schema(minimum = 1, maximum = 99)]
    pub discount_pct: Option<i32>,
    #[serde(default)]
    pub free_shipping: bool,
    #[schema(minimum = 100, maximum = 1000)]
    pub points_multiplier_pct: i32,
    pub birthday_coupon_id: Option<i64>,
}

/// Replace the level table: levels named by id are updated, new ones created, missing ones deleted (refused
/// while a buyer holds one). Every buyer's level follows at the next evaluation; audited.
pub async fn save_levels(
    st: &AppState,
    who: &crate::accounts::auth::Admin<crate::accounts::auth::ManageMembers>,
    call: &Call,
    input: LevelsInput,
) -> ApiResult<Vec<LevelDto>> {
    let merchant_id = who.merchant_id;
    let before = rules(st, merchant_id).await?;
    let mut core = Vec::with_capacity(input.levels.len());
    for (i, l) in input.levels.iter().enumerate() {
        if l.id.is_some_and(|id| !before.levels.iter().any(|b| b.id == id)) {
            return Err(ApiError::invalid_because(format!("levels[{i}].id"), &MemberRefusal::NoSuchLevel));
        }
        let pct = |field: &str, v: i32, lo: i32, hi: i32| {
            if (lo..=hi).contains(&v) {
                Ok(v)
            } else {
                Err(ApiError::invalid_because(
                    format!("levels[{i}].{field}"),
                    &minimall_core::error::Reason::OutOfRange { min: lo.into(), max: hi.into() },
                ))
            }
        };
        let discount = l.discount_pct.map(|p| pct("discount_pct", p, 1, 99)).transpose()?;
        pct("points_multiplier_pct", l.points_multiplier_pct, 100, 1_000)?;
        if l.badge.chars().count() > 200 {
            return Err(ApiError::invalid_because(format!("levels[{i}].badge"), &Reason::TooLong { max: 200 }));
        }
        if let Some(c) = l.birthday_coupon_id {
            st.store.coupon_template(merchant_id, c).await.map_err(|_| {
                ApiError::invalid_because(
                    format!("levels[{i}].birthday_coupon_id"),
                    &ApiReason::NoSuch { what: crate::error::thing("coupon") },
                )
            })?;
        }
        core.push(Level {
            id: l.id.unwrap_or(-(i as i64) - 1),
            name: l.name.trim().to_string(),
            rank: l.rank,
            threshold: levels::Threshold {
                min_spend_fen: l.min_spend_fen,
                min_points: l.min_points,
                both: l.both_required,
            },
            benefits: levels::Benefits {
                discount_pct: discount.map(|p| p as u8),
                free_shipping: l.free_shipping,
                points_multiplier_pct: l.points_multiplier_pct as u32,
                birthday_coupon_id: l.birthday_coupon_id,
            },
        });
    }
    levels::validate(&core)?;
    let mut tx = st.store.begin().await?;
    // Ranks are unique: move the kept levels out of the way first, so that swapping two ranks works.
    for (i, b) in before.levels.iter().enumerate() {
        let mut moved = b.level();
        moved.rank = -1_000_000 - i as i32;
        moved.name = format!("\u{1}{}", b.id);
        st.store
            .update_member_level(
                &mut tx,
                merchant_id,
                &minimall_store::members::LevelInput { level: &moved, badge: &b.badge },
            )
            .await?;
    }
    for b in &before.levels {
        if !input.levels.iter().any(|l| l.id == Some(b.id)) {
            st.store.delete_member_level(&mut tx, merchant_id, b.id).await.map_err(|e| match e {
                StoreError::Constraint(m) => crate::error::conflict_with_data(m).with_field("levels"),
                o => o.into(),
            })?;
        }
    }
    for (l, input) in core.iter().zip(&input.levels) {
        let row = minimall_store::members::LevelInput { level: l, badge: input.badge.trim() };
        if input.id.is_some() {
            st.store.update_member_level(&mut tx, merchant_id, &row).await?;
        } else {
            st.store.insert_member_level(&mut tx, merchant_id, &row).await?;
        }
    }
    let after: Vec<LevelDto> =
        minimall_store::members::levels(&mut *tx, merchant_id).await?.iter().map(LevelDto::from).collect();
    audit(
        st,
        &mut tx,
        who,
        call,
        "members.levels",
        "levels".into(),
        serde_json::to_value(before.levels.iter().map(LevelDto::from).collect::<Vec<_>>()).ok(),
        serde_json::to_value(&after).ok(),
    )
    .await?;
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    Ok(after)
}

/// The shop's points and lifecycle rules on the wire.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MemberSettings {
    /// Points earned per whole yuan paid, before the level's multiplier.
    #[schema(minimum = 0, maximum = 100)]
    pub earn_per_yuan: i32,
    /// When granted points expire.
    #[schema(value_type = String, example = "year_end")]
    pub expiry: ExpiryKind,
    /// Days (rolling) or years after the grant's year (year_end).
    #[schema(minimum = 0, maximum = 3650)]
    pub expiry_value: i32,
    /// Whether a refund can lower a level reached (`follow`) or not (`keep`).
    #[schema(value_type = String, example = "keep")]
    pub downgrade: Downgrade,
    #[schema(minimum = 0, maximum = 10000)]
    pub sign_in_base: i32,
    /// Extra points on given days of a streak.
    #[schema(max_items = 31)]
    pub sign_in_bonuses: Vec<SignInBonus>,
    /// The streak starts again after this many days (0: never).
    #[schema(minimum = 0, maximum = 366)]
    pub sign_in_cycle: i32,
    #[schema(minimum = 1, maximum = 3650)]
    pub new_days: i32,
    #[schema(minimum = 1, maximum = 3650)]
    pub silent_after: i32,
    #[schema(minimum = 2, maximum = 3650)]
    pub churned_after: i32,
    /// Points of the task 首次评价 (once per buyer).
    #[serde(default = "default_review_points")]
    #[schema(minimum = 0, maximum = 10000, default = 20)]
    pub task_review_points: i32,
    /// Points of the task 完善资料: a birthday, a gender and an address (once per buyer).
    #[serde(default = "default_profile_points")]
    #[schema(minimum = 0, maximum = 10000, default = 50)]
    pub task_profile_points: i32,
    /// Points of the task 首次分享 (once per buyer).
    #[serde(default = "default_share_points")]
    #[schema(minimum = 0, maximum = 10000, default = 10)]
    pub task_share_points: i32,
    /// Once a year (1 January, shop time) evaluate every level again on the last 12 months' completed spend
    /// and points; a level no longer reached goes down, with a notice to the buyer. Off by default.
    #[serde(default)]
    pub yearly_review: bool,
}

fn default_review_points() -> i32 {
    MemberSettingsRow::default().task_review_points
}

fn default_profile_points() -> i32 {
    MemberSettingsRow::default().task_profile_points
}

fn default_share_points() -> i32 {
    MemberSettingsRow::default().task_share_points
}

/// Extra points on a day of a sign-in streak.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInBonus {
    /// Day of the streak, from 1.
    #[schema(minimum = 1, maximum = 366)]
    pub day: u32,
    #[schema(minimum = 1, maximum = 10000)]
    pub points: u32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpiryKind {
    Never,
    Rolling,
    YearEnd,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Downgrade {
    Keep,
    Follow,
}

impl From<&MemberSettingsRow> for MemberSettings {
    fn from(s: &MemberSettingsRow) -> Self {
        MemberSettings {
            earn_per_yuan: s.earn_per_yuan,
            expiry: match s.expiry.as_str() {
                "rolling" => ExpiryKind::Rolling,
                "year_end" => ExpiryKind::YearEnd,
                _ => ExpiryKind::Never,
            },
            expiry_value: s.expiry_value,
            downgrade: if s.downgrade == "follow" { Downgrade::Follow } else { Downgrade::Keep },
            sign_in_base: s.sign_in_base,
            sign_in_bonuses: sign_in_rule(s)
                .bonuses
                .iter()
                .map(|b| SignInBonus { day: b.day, points: b.points })
                .collect(),
            sign_in_cycle: s.sign_in_cycle,
            new_days: s.new_days,
            silent_after: s.silent_after,
            churned_after: s.churned_after,
            task_review_points: s.task_review_points,
            task_profile_points: s.task_profile_points,
            task_share_points: s.task_share_points,
            yearly_review: s.yearly_review != 0,
        }
    }
}

pub async fn settings(st: &AppState, merchant_id: i64) -> ApiResult<MemberSettings> {
    Ok(MemberSettings::from(&st.store.member_settings(merchant_id).await?))
}

pub async fn save_settings(
    st: &AppState,
    who: &crate::accounts::auth::Admin<crate::accounts::auth::ManageMembers>,
    call: &Call,
    s: MemberSettings,
) -> ApiResult<MemberSettings> {
    if !(0..=100).contains(&s.earn_per_yuan) {
        return Err(ApiError::invalid_because("earn_per_yuan", &Reason::OutOfRange { min: 0, max: 100 }));
    }
    let (expiry, lo, hi) = match s.expiry {
        ExpiryKind::Never => ("never", 0, 3_650),
        ExpiryKind::Rolling => ("rolling", 1, points::ROLLING_DAYS_MAX as i32),
        ExpiryKind::YearEnd => ("year_end", 0, points::YEAR_END_MAX as i32),
    };
    if !(lo..=hi).contains(&s.expiry_value) {
        return Err(ApiError::invalid_because(
            "expiry_value",
            &minimall_core::error::Reason::OutOfRange { min: lo.into(), max: hi.into() },
        ));
    }
    let row = MemberSettingsRow {
        earn_per_yuan: s.earn_per_yuan,
        expiry: expiry.into(),
        expiry_value: s.expiry_value,
        downgrade: match s.downgrade {
            Downgrade::Keep => "keep".into(),
            Downgrade::Follow => "follow".into(),
        },
        sign_in_base: s.sign_in_base,
        sign_in_bonuses: serde_json::to_string(
            &s.sign_in_bonuses.iter().map(|b| (b.day, b.points)).collect::<Vec<(u32, u32)>>(),
        )
        .unwrap_or_else(|_| "[]".into()),
        sign_in_cycle: s.sign_in_cycle,
        new_days: s.new_days,
        silent_after: s.silent_after,
        churned_after: s.churned_after,
        task_review_points: s.task_review_points,
        task_profile_points: s.task_profile_points,
        task_share_points: s.task_share_points,
        yearly_review: i32::from(s.yearly_review),
    };
    for (field, v) in [
        ("task_review_points", s.task_review_points),
        ("task_profile_points", s.task_profile_points),
        ("task_share_points", s.task_share_points),
    ] {
        if !(0..=10_000).contains(&v) {
            return Err(ApiError::invalid_because(field, &Reason::OutOfRange { min: 0, max: 10_000 }));
        }
    }
    let rule = sign_in_rule(&row);
    let in_range = |v: i32, lo: i32, hi: i32| (lo..=hi).contains(&v);
    if !in_range(s.sign_in_base, 0, 10_000) || !in_range(s.sign_in_cycle, 0, 366) {
        let field = if in_range(s.sign_in_base, 0, 10_000) { "sign_in_cycle" } else { "sign_in_base" };
        return Err(ApiError::invalid_because(field, &ApiReason::OutOfRange));
    }
    rule.validate().map_err(|e| FieldError::new(format!("sign_in_{}", e.field), e.reason))?;
    let days = StageDays {
        new_days: s.new_days.max(0) as u32,
        silent_after: s.silent_after.max(0) as u32,
        churned_after: s.churned_after.max(0) as u32,
    };
    days.validate().map_err(|field| ApiError::invalid_because(field, &MemberRefusal::DaysOrder))?;
    let before = st.store.member_settings(who.merchant_id).await?;
    let mut tx = st.store.begin().await?;
    st.store.set_member_settings(&mut tx, who.merchant_id, &row).await?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "members.settings",
        "member_settings".into(),
        serde_json::to_value(MemberSettings::from(&before)).ok(),
        serde_json::to_value(&s).ok(),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(MemberSettings::from(&row))
}
