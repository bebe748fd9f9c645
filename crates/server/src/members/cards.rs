//! Paid membership cards (付费会员/年卡). A card is a product of the shop: buying it (the order's payment)
//! grants its level for its term times the units bought, and its welcome points; buying it again while a
//! grant runs renews it (the new term starts where the last one ends). The level held is the higher of what
//! progress reaches and what an active card grants. A refund of the card's units shortens the grant by
//! their terms; a refund of all of them revokes it with its welcome points (what the balance still holds).
//! When a term ends (a durable job), the level goes back to what progress reaches, or under the keep policy
//! to the level held before the card when higher.

use minimall_core::error::Reason;
use minimall_core::ledger::{build, PostingKind};
use minimall_core::members::levels::{self, Occasion, Progress};
use minimall_core::members::points;
use minimall_core::page::Page;
use minimall_core::Money;
use minimall_core::{OrderId, ProductId};
use minimall_store::members::cards::{CardRow, GrantRow, NewGrant};
use minimall_store::members::{LevelReason, LotSource};
use minimall_store::orders::OrderRow;
use minimall_store::{StoreError, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{audit, evaluate_level, grant_points, ledger, rules, rules_in, Rules};
use crate::accounts::auth::{Admin, ManageMembers};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

/// Ends a card's grant at the end of its term.
pub const CARD_END_JOB: &str = "members.card_end";
const MS_PER_DAY: i64 = 86_400_000;
pub const TERM_DAYS_MAX: i64 = 3_660;
pub const WELCOME_POINTS_MAX: i64 = 1_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct PaidCardDto {
    pub id: i64,
    pub name: String,
    /// The product sold as the card.
    pub product_id: i64,
    /// The level the card grants.
    pub level_id: i64,
    pub level_name: String,
    /// Days of one unit's term.
    pub term_days: i32,
    /// Points given with each unit bought.
    pub welcome_points: i64,
}

fn dto(r: CardRow, rules: &Rules) -> PaidCardDto {
    PaidCardDto {
        level_name: rules.level(Some(r.level_id)).map(|l| l.name.clone()).unwrap_or_default(),
        id: r.id,
        name: r.name,
        product_id: r.product_id,
        level_id: r.level_id,
        term_days: r.term_days,
        welcome_points: r.welcome_points,
    }
}

/// A new card: a product of the shop sold as a card granting a level.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPaidCard {
    #[schema(min_length = 1, max_length = 20)]
    pub name: String,
    pub product_id: i64,
    pub level_id: i64,
    #[schema(minimum = 1, maximum = 3660)]
    pub term_days: i64,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub welcome_points: i64,
}

pub async fn cards(st: &AppState, merchant_id: i64, page: Page) -> ApiResult<Paginated<PaidCardDto>> {
    let rules = rules(st, merchant_id).await?;
    let rows = st.store.member_cards(merchant_id, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(|r| dto(r, &rules)).collect(), rows.total, page))
}

pub async fn create_card(
    st: &AppState,
    who: &Admin<ManageMembers>,
    call: &Call,
    n: NewPaidCard,
) -> ApiResult<PaidCardDto> {
    let name = n.name.trim();
    if name.is_empty() || name.chars().count() > 20 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_because("name", &Reason::Length { min: 1, max: 20 }));
    }
    if !(1..=TERM_DAYS_MAX).contains(&n.term_days) {
        return Err(ApiError::invalid_because("term_days", &Reason::OutOfRange { min: 1, max: TERM_DAYS_MAX }));
    }
    if !(0..=WELCOME_POINTS_MAX).contains(&n.welcome_points) {
        return Err(ApiError::invalid_because(
            "welcome_points",
            &Reason::OutOfRange { min: 0, max: WELCOME_POINTS_MAX },
        ));
    }
    let rules = rules(st, who.merchant_id).await?;
    if rules.level(Some(n.level_id)).is_none() {
        return Err(ApiError::invalid_because("level_id", &ApiReason::NoSuch { what: crate::error::thing("level") }));
    }
    st.store.product(st.store.reader(), who.merchant_id, ProductId::new(n.product_id)).await.map_err(|_| {
        ApiError::invalid_because("product_id", &ApiReason::NoSuch { what: crate::error::thing("product") })
    })?;
    let mut tx = st.store.begin().await?;
    let term = i32::try_from(n.term_days).unwrap_or(1);
    let id = st
        .store
        .create_member_card(&mut tx, who.merchant_id, name, n.product_id, n.level_id, term, n.welcome_points)
        .await
        .map_err(|e| match e {
            StoreError::Duplicate(m) if m.contains("product") => {
                ApiError::from(StoreError::Duplicate(m)).with_field("product_id")
            }
            StoreError::Duplicate(m) => ApiError::from(StoreError::Duplicate(m)).with_field("name"),
            o => o.into(),
        })?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "member_card.create",
        format!("member_card:{id}"),
        None,
        Some(serde_json::json!({"name": name, "product_id": n.product_id, "level_id": n.level_id, "term_days": term})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(PaidCardDto {
        id,
        name: name.to_string(),
        product_id: n.product_id,
        level_id: n.level_id,
        level_name: rules.level(Some(n.level_id)).map(|l| l.name.clone()).unwrap_or_default(),
        term_days: term,
        welcome_points: n.welcome_points,
    })
}

/// The card a buyer holds, as their level card shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldPaidCard {
    pub name: String,
    pub level_id: i64,
    /// When the last renewal ends (ms since the epoch).
    pub ends_at: i64,
    /// The product sold as the card: buying it again renews (the new term starts at `ends_at`).
    pub product_id: i64,
    /// Days of one unit's term.
    pub term_days: i32,
}

/// An order was paid (inside the payment's transaction): its card lines become grants.
pub async fn order_paid(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<()> {
    let lines = st.store.card_lines(tx, o.merchant_id, o.id.get()).await?;
    if lines.is_empty() {
        return Ok(());
    }
    let rules = rules_in(tx, o.merchant_id).await?;
    st.store.ensure_member_profile(tx, o.merchant_id, o.buyer_id.get()).await?;
    let now = minimall_store::now_ms();
    for l in lines {
        let active = st.store.active_grants(tx, o.buyer_id.get()).await?;
        let before = match active.first() {
            Some(g) => g.before_level_id,
            None => minimall_store::members::profile(&mut **tx, o.merchant_id, o.buyer_id.get())
                .await?
                .and_then(|p| p.level_id),
        };
        let starts_at = active.iter().filter(|g| g.card_id == l.id).map(|g| g.ends_at).max().unwrap_or(now).max(now);
        let units = l.quantity.max(1);
        let ends_at = starts_at.saturating_add(i64::from(l.term_days) * units * MS_PER_DAY);
        let grant = NewGrant {
            buyer_id: o.buyer_id.get(),
            card_id: l.id,
            order_id: o.id.get(),
            line_id: l.line_id,
            level_id: l.level_id,
            before_level_id: before,
            starts_at,
            ends_at,
            welcome_points: l.welcome_points.saturating_mul(units),
        };
        let id = st.store.insert_card_grant(tx, o.merchant_id, &grant).await?;
        if grant.welcome_points > 0 {
            let reference = format!("card:{id}");
            grant_points(
                st,
                tx,
                &rules,
                o.merchant_id,
                o.buyer_id.get(),
                grant.welcome_points,
                LotSource::Card,
                &reference,
                now,
            )
            .await?;
        }
        schedule_end(st, tx, o.merchant_id, id, ends_at).await?;
    }
    evaluate_level(st, tx, &rules, o.merchant_id, o.buyer_id.get(), Occasion::Progress, now).await?;
    Ok(())
}

async fn schedule_end(st: &AppState, tx: &mut Tx, merchant_id: i64, grant_id: i64, at: i64) -> ApiResult<()> {
    st.store
        .enqueue_job(
            tx,
            &minimall_store::jobs::NewJob {
                merchant_id,
                kind: CARD_END_JOB,
                payload: &serde_json::json!({"grant_id": grant_id}).to_string(),
                run_at: at,
                dedup_key: Some(&format!("{CARD_END_JOB}:{grant_id}:{at}")),
                max_attempts: 10,
            },
        )
        .await?;
    Ok(())
}

/// The level once `g` stopped granting its level.
async fn follow_card_end(
    st: &AppState,
    tx: &mut Tx,
    rules: &Rules,
    merchant_id: i64,
    g: &GrantRow,
    now: i64,
) -> ApiResult<()> {
    let Some(p) = minimall_store::members::profile(&mut **tx, merchant_id, g.buyer_id).await? else { return Ok(()) };
    let other = minimall_store::members::cards::active_card_level(&mut **tx, g.buyer_id, now).await?;
    let (completed_spend_fen, points_earned) = p.level_progress();
    let progress = Progress { completed_spend_fen, points_earned };
    if let Some(ch) =
        levels::after_card(&rules.core_levels(), p.level_id, g.before_level_id, &progress, rules.downgrade(), other)
    {
        st.store.change_member_level(tx, merchant_id, g.buyer_id, ch.from, ch.to, LevelReason::Card, now).await?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct EndPayload {
    grant_id: i64,
}

/// `members.card_end`: a grant's term is over.
pub async fn card_end_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let p: EndPayload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await.map_err(|e| e.to_string())?;
    let Some(g) = st.store.card_grant(&mut tx, p.grant_id).await.map_err(|e| e.to_string())? else { return Ok(()) };
    // Shortened grants have their own job at their new end; one not over yet waits for it.
    if g.status != "active" || g.ends_at > now {
        return Ok(());
    }
    if st.store.end_card_grant(&mut tx, g.id, "ended", now).await.map_err(|e| e.to_string())? {
        let rules = rules_in(&mut tx, job.merchant_id).await.map_err(|e| e.to_string())?;
        follow_card_end(&st, &mut tx, &rules, job.merchant_id, &g, now).await.map_err(|e| e.to_string())?;
    }
    minimall_store::commit(tx).await.map_err(|e| e.to_string())
}

/// Units of an order line were refunded (inside the refund's transaction): a card sold on the line loses
/// their terms; with none left (or the rest of the term already used) the grant is revoked, with its welcome
/// points as far as the balance holds them.
pub async fn line_refunded(st: &AppState, tx: &mut Tx, merchant_id: i64, order_id: i64, line_id: i64) -> ApiResult<()> {
    let Some(g) = st.store.card_grant_of_line(tx, line_id).await? else { return Ok(()) };
    if g.status != "active" {
        return Ok(());
    }
    let lines = st.store.order_lines(&mut **tx, OrderId::new(order_id)).await?;
    let Some(line) = lines.iter().find(|l| l.id == line_id) else { return Ok(()) };
    let left = (line.quantity - line.refunded_qty).max(0);
    let units = line.quantity.max(1);
    let per_unit = (g.ends_at - g.starts_at) / units;
    let now = minimall_store::now_ms();
    let new_end = g.starts_at.saturating_add(per_unit * left);
    let rules = rules_in(tx, merchant_id).await?;
    if left > 0 && new_end > now {
        if st.store.shorten_card_grant(tx, g.id, new_end).await? {
            schedule_end(st, tx, merchant_id, g.id, new_end).await?;
        }
        return Ok(());
    }
    if !st.store.end_card_grant(tx, g.id, "revoked", now).await? {
        return Ok(());
    }
    if g.welcome_points > 0 {
        let balance = minimall_store::members::points_balance_in(&mut **tx, g.buyer_id).await?;
        let take = g.welcome_points.min(balance);
        if take > 0 {
            let reference = format!("card:{}", g.id);
            st.store.move_points(tx, merchant_id, g.buyer_id, -take, "reverse", &reference).await?;
            let value = Money::from_fen(points::value_fen(take, rules.points_per_yuan));
            if let Some(p) =
                build::points_withdrawn(PostingKind::PointsReversed, &format!("revoke:{reference}"), now, take, value)
                    .map_err(ledger)?
            {
                st.store.post(tx, merchant_id, &p, None).await?;
            }
        }
        st.store.add_points_earned(tx, merchant_id, g.buyer_id, -g.welcome_points).await?;
    }
    follow_card_end(st, tx, &rules, merchant_id, &g, now).await
}

/// The card a buyer holds now, if any.
pub async fn held(st: &AppState, buyer_id: i64) -> ApiResult<Option<HeldPaidCard>> {
    let now = minimall_store::now_ms();
    Ok(minimall_store::members::cards::held_card(st.store.reader(), buyer_id, now).await?.map(|h| HeldPaidCard {
        name: h.name,
        level_id: h.level_id,
        ends_at: h.ends_at,
        product_id: h.product_id,
        term_days: h.term_days,
    }))
}
