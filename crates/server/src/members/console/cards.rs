//! Console page of paid membership cards (付费会员卡).

use super::super::cards::{self, NewPaidCard};
use super::{managing, reader};
use crate::accounts::auth::ManageMembers;
use crate::usecase::Call;
use crate::web::console::prelude::*;

pub(super) async fn cards_list(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadBuyers>) -> WebResult {
    cards_page(&st, c, &a, None).await
}

async fn cards_page(st: &AppState, c: Ctx, a: &Admin<ReadBuyers>, refused: Option<FormRefusal<'_>>) -> WebResult {
    let list = cards::cards(st, a.merchant_id, minimall_core::page::Page::parse(Some(1), Some(100))?).await?;
    let levels = st.store.member_levels(a.merchant_id).await?;
    let mut p = ListPage::new(c, a, "mem.card").heads(&[
        "common.id",
        "mem.card.name",
        "mem.card.product",
        "mem.card.level",
        "mem.card.term",
        "mem.card.welcome",
    ]);
    p.intro = p.c.t("mem.card.admin_intro").into();
    p.links.push(("/admin/members".into(), p.c.t("mem.back").into()));
    for m in &list.items {
        p.rows.push(vec![
            Cell::num(m.id.to_string()),
            Cell::text(&m.name),
            Cell::link(m.product_id.to_string(), format!("/admin/products/{}", m.product_id)),
            Cell::text(&m.level_name),
            Cell::num(m.term_days.to_string()),
            Cell::num(m.welcome_points.to_string()),
        ]);
    }
    if managing(a).is_some() {
        let v = |name: &str, d: &str| FormRefusal::value(&refused, name, d.to_string());
        let options = levels.iter().map(|l| (l.id.to_string(), l.name.clone())).collect();
        let fields = vec![
            Field::text("name", p.c.t("mem.card.name"), v("name", "")),
            Field::kind("product_id", p.c.t("mem.card.product"), "number", v("product_id", "")),
            Field::select("level_id", p.c.t("mem.card.level"), v("level_id", ""), options),
            Field::kind("term_days", p.c.t("mem.card.term"), "number", v("term_days", "365")),
            Field::kind("welcome_points", p.c.t("mem.card.welcome"), "number", v("welcome_points", "0")),
        ];
        let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
        edit_form(&mut p, "new-member-card", "mem.card.new", "/admin/member-cards".into(), fields, refused);
        if let Some(s) = status {
            return refused_page(p, s);
        }
    }
    ok(p)
}

pub(super) async fn create_card(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let result = async {
        let card = NewPaidCard {
            name: f.get("name").into(),
            product_id: whole_number(&f, "product_id")?,
            level_id: whole_number(&f, "level_id")?,
            term_days: whole_number(&f, "term_days")?,
            welcome_points: whole_number(&f, "welcome_points")?,
        };
        cards::create_card(&st, &a, &Call::from_headers(&headers), card).await
    }
    .await
    .map(|_| ());
    match refusal(result)? {
        None => back("/admin/member-cards"),
        Some(e) => {
            let message = refusal_message(&c, &e);
            cards_page(&st, c, &reader(&a)?, Some(FormRefusal { typed: &f, field: e.field.clone(), message })).await
        }
    }
}
