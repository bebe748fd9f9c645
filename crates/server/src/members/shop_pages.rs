//! Storefront pages of members: 会员中心 (level card, progress, points, daily sign-in and its calendar).

use super::{MemberCard, SignInDay};
use crate::web::shop::prelude::*;
use crate::web::{Ctx, RenderPage, WebResult};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/member", get(member))
        .route("/member/sign-in", post(sign_in))
        .route("/member/mall/{id}", post(exchange))
}

#[derive(Template)]
#[template(path = "shop/member.html")]
struct MemberPage {
    c: Ctx,
    card: MemberCard,
    /// Percent of the way to the next level (by the measure closest to done).
    progress_pct: i64,
    month: String,
    /// (day of month, points) of this month's sign-ins.
    days: Vec<(String, i64)>,
    just_signed: Option<i64>,
    already: bool,
    mall: Vec<super::mall::MallItemDto>,
    /// The outcome of an exchange: a message id.
    notice: Option<&'static str>,
    /// The shop's paid cards, offered when the buyer holds none.
    cards_on_sale: Vec<super::cards::PaidCardDto>,
    /// The end of the paid card held, as a date.
    card_ends: String,
}

#[derive(Deserialize)]
struct MemberQuery {
    signed: Option<i64>,
    already: Option<String>,
    mall: Option<String>,
}

async fn member(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    crate::web::WebQuery(q): crate::web::WebQuery<MemberQuery>,
) -> WebResult {
    let card = super::card(&st, b.merchant_id, b.id).await?;
    let rules = super::rules(&st, b.merchant_id).await?;
    let progress_pct = card
        .next
        .as_ref()
        .and_then(|n| rules.levels.iter().find(|l| l.id == n.id))
        .map(|l| {
            let part = |need: Option<i64>, has: i64| need.filter(|n| *n > 0).map(|n| (has * 100 / n).clamp(0, 100));
            let s = part(l.min_spend_fen, card.completed_spend_fen);
            let p = part(l.min_points, card.points_earned);
            s.into_iter().chain(p).max().unwrap_or(0)
        })
        .unwrap_or(100);
    let (month, days) = super::sign_in_calendar(&st, b.id, None).await?;
    let days = days
        .into_iter()
        .map(|d: SignInDay| (d.date.get(8..).unwrap_or("").trim_start_matches('0').to_string(), d.points))
        .collect();
    let mall = super::mall::items(&st, b.merchant_id, true, Page::parse(Some(1), Some(20))?).await?.items;
    let notice = match q.mall.as_deref() {
        Some("ok") => Some("mem.mall.ok"),
        Some("sold_out") => Some("mem.mall.sold_out"),
        Some("points") => Some("mem.mall.points"),
        Some(_) => Some("mem.mall.refused"),
        None => None,
    };
    let cards_on_sale = if card.paid_card.is_some() {
        vec![]
    } else {
        super::cards::cards(&st, b.merchant_id, Page::parse(Some(1), Some(10))?).await?.items
    };
    let card_ends = card
        .paid_card
        .as_ref()
        .and_then(|p| minimall_core::time::day_of(p.ends_at))
        .and_then(minimall_core::time::date_of_day)
        .map(|d| d.to_string())
        .unwrap_or_default();
    Ok(MemberPage {
        cards_on_sale,
        card_ends,
        c,
        card,
        progress_pct,
        month,
        days,
        just_signed: q.signed,
        already: q.already.is_some(),
        mall,
        notice,
    }
    .render_page())
}

async fn sign_in(State(st): State<AppState>, ShopBuyer(b): ShopBuyer) -> WebResult {
    match super::sign_in(&st, b.merchant_id, b.id).await {
        Ok(s) => redirect(&format!("/member?signed={}", s.points)),
        Err(e) if e.status == StatusCode::CONFLICT => redirect("/member?already=1"),
        Err(e) => Err(e.into()),
    }
}

async fn exchange(
    State(st): State<AppState>,
    ShopBuyer(b): ShopBuyer,
    crate::web::WebPath(id): crate::web::WebPath<i64>,
) -> WebResult {
    match super::mall::exchange(&st, b.merchant_id, b.id, id).await {
        Ok(_) => redirect("/member?mall=ok#mall"),
        Err(e) if e.status == StatusCode::CONFLICT && e.field.as_deref() == Some("points") => {
            redirect("/member?mall=points#mall")
        }
        Err(e) if e.status == StatusCode::CONFLICT && e.message(crate::web::i18n::Lang::En) == "sold out" => {
            redirect("/member?mall=sold_out#mall")
        }
        Err(e) if e.status.is_client_error() => redirect("/member?mall=refused#mall"),
        Err(e) => Err(e.into()),
    }
}
