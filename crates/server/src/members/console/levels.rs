//! Console pages of the level table.

use super::super::{LevelDto, LevelInput, LevelsInput};
use super::{managing, reader};
use crate::accounts::auth::ManageMembers;
use crate::error::ApiReason;
use crate::usecase::Call;
use crate::web::console::prelude::*;

fn level_fields(c: &Ctx, l: Option<&LevelDto>, refused: &Option<FormRefusal<'_>>) -> Vec<Field> {
    let v = |name: &str, current: String| FormRefusal::value(refused, name, current);
    let opt = |o: Option<i64>| o.map(|x| x.to_string()).unwrap_or_default();
    vec![
        Field::text("name", c.t("mem.level_name"), v("name", l.map(|l| l.name.clone()).unwrap_or_default())),
        Field::kind("rank", c.t("mem.rank"), "number", v("rank", l.map(|l| l.rank.to_string()).unwrap_or_default())),
        Field::text(
            "min_spend",
            c.t("mem.min_spend"),
            v("min_spend", l.and_then(|l| l.min_spend_fen).map(|f| c.yv(f)).unwrap_or_default()),
        ),
        Field::kind("min_points", c.t("mem.min_points"), "number", v("min_points", opt(l.and_then(|l| l.min_points)))),
        Field::kind(
            "discount_pct",
            c.t("mem.discount_pct"),
            "number",
            v("discount_pct", opt(l.and_then(|l| l.discount_pct).map(i64::from))),
        ),
        Field::kind(
            "points_multiplier_pct",
            c.t("mem.multiplier"),
            "number",
            v("points_multiplier_pct", l.map(|l| l.points_multiplier_pct.to_string()).unwrap_or_else(|| "100".into())),
        ),
        Field::kind(
            "free_shipping",
            c.t("mem.free_shipping"),
            "checkbox",
            if FormRefusal::ticked(refused, "free_shipping", l.is_some_and(|l| l.free_shipping)) { "1" } else { "" },
        ),
    ]
}

/// A level as typed in the form (`id` for an existing level).
fn level_from_form(f: &Fields, id: Option<i64>, badge: String, coupon: Option<i64>) -> Result<LevelInput, ApiError> {
    let opt_int = |k: &str| -> Result<Option<i64>, ApiError> {
        match f.get(k).trim() {
            "" => Ok(None),
            s => s.parse().map(Some).map_err(|_| ApiError::invalid_because(k.to_string(), &ApiReason::WholeNumber)),
        }
    };
    let min_spend = match f.get("min_spend").trim() {
        "" => None,
        s => Some(view::parse_yuan("min_spend", s)?),
    };
    Ok(LevelInput {
        id,
        name: f.get("name").trim().to_string(),
        rank: whole_number(f, "rank")? as i32,
        badge,
        min_spend_fen: min_spend,
        min_points: opt_int("min_points")?,
        both_required: false,
        discount_pct: opt_int("discount_pct")?.map(|v| v.clamp(-1, 1_000) as i32),
        free_shipping: f.checked("free_shipping"),
        points_multiplier_pct: whole_number(f, "points_multiplier_pct")?.clamp(-1, 100_000) as i32,
        birthday_coupon_id: coupon,
    })
}

fn as_input(l: &LevelDto) -> LevelInput {
    LevelInput {
        id: Some(l.id),
        name: l.name.clone(),
        rank: l.rank,
        badge: l.badge.clone(),
        min_spend_fen: l.min_spend_fen,
        min_points: l.min_points,
        both_required: l.both_required,
        discount_pct: l.discount_pct,
        free_shipping: l.free_shipping,
        points_multiplier_pct: l.points_multiplier_pct,
        birthday_coupon_id: l.birthday_coupon_id,
    }
}

pub(super) async fn levels(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadBuyers>) -> WebResult {
    levels_page(&st, c, &a, None).await
}

pub(super) async fn levels_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadBuyers>,
    refused: Option<FormRefusal<'_>>,
) -> WebResult {
    let rules = crate::members::rules(st, a.merchant_id).await?;
    let mut p = ListPage::new(c, a, "mem.levels").heads(&[
        "mem.rank",
        "mem.level_name",
        "mem.threshold",
        "mem.discount_pct",
        "mem.free_shipping",
        "mem.multiplier",
        "",
    ]);
    p.intro = p.c.t("mem.levels_intro").into();
    p.links.push(("/admin/members".into(), p.c.t("mem.back").into()));
    let may_edit = managing(a).is_some();
    for l in rules.levels.iter().map(LevelDto::from) {
        let mut threshold = Vec::new();
        if let Some(s) = l.min_spend_fen {
            threshold.push(format!("{} ≥ {}", p.c.t("mem.spend"), view::yuan(s)));
        }
        if let Some(q) = l.min_points {
            threshold.push(format!("{} ≥ {q}", p.c.t("mem.points_earned")));
        }
        let joiner = if l.both_required { p.c.t("mem.and") } else { p.c.t("mem.or") };
        p.rows.push(vec![
            Cell::num(l.rank.to_string()),
            Cell::text(&l.name),
            Cell::text(threshold.join(&format!(" {joiner} "))),
            Cell::text(l.discount_pct.map(|d| format!("{d}%")).unwrap_or_else(|| "-".into())),
            Cell::text(if l.free_shipping { p.c.t("common.yes") } else { p.c.t("common.no") }),
            Cell::text(format!("×{}.{:02}", l.points_multiplier_pct / 100, l.points_multiplier_pct % 100)),
            if may_edit {
                Cell::link(p.c.t("common.edit"), format!("/admin/members/levels/{}", l.id))
            } else {
                Cell::text("")
            },
        ]);
    }
    if may_edit {
        let fields = level_fields(&p.c, None, &refused);
        let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
        edit_form(&mut p, "new-level", "mem.add_level", "/admin/members/levels".into(), fields, refused);
        if let Some(s) = status {
            return refused_page(p, s);
        }
    }
    ok(p)
}

pub(super) async fn add_level(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let rules = crate::members::rules(&st, a.merchant_id).await?;
    let mut all: Vec<LevelInput> = rules.levels.iter().map(LevelDto::from).map(|l| as_input(&l)).collect();
    let result = match level_from_form(&f, None, String::new(), None) {
        Ok(l) => {
            all.push(l);
            crate::members::save_levels(&st, &a, &Call::from_headers(&headers), LevelsInput { levels: all })
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match refusal(result)? {
        None => back("/admin/members/levels"),
        Some(e) => {
            let message = refusal_message(&c, &e);
            let field = e.field.as_deref().map(|f| form_field(f).to_string());
            levels_page(&st, c, &reader(&a)?, Some(FormRefusal { typed: &f, field, message })).await
        }
    }
}

/// `levels[3].min_spend_fen` → `min_spend`: the form field a refusal of the level table names.
fn form_field(api_field: &str) -> &str {
    match api_field.rsplit('.').next().unwrap_or(api_field) {
        "min_spend_fen" => "min_spend",
        other => other,
    }
}

pub(super) async fn level(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    level_page(&st, c, &a, id, None).await
}

pub(super) async fn level_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ManageMembers>,
    id: i64,
    refused: Option<FormRefusal<'_>>,
) -> WebResult {
    let rules = crate::members::rules(st, a.merchant_id).await?;
    let l = rules.levels.iter().find(|l| l.id == id).map(LevelDto::from).ok_or_else(|| ApiError::not_found("level"))?;
    let mut p = ListPage::new(c, a, "mem.levels");
    item_head(&mut p, &l.name, "/admin/members/levels", "mem.back_levels");
    let fields = level_fields(&p.c, Some(&l), &refused);
    let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
    edit_form(&mut p, "level", "mem.edit_level", format!("/admin/members/levels/{id}"), fields, refused);
    p.heads = vec![String::new()];
    p.rows.push(vec![Cell::button(format!("/admin/members/levels/{id}/delete"), p.c.t("common.delete"))]);
    match status {
        Some(s) => refused_page(p, s),
        None => ok(p),
    }
}

pub(super) async fn save_level(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let rules = crate::members::rules(&st, a.merchant_id).await?;
    let Some(current) = rules.levels.iter().find(|l| l.id == id).map(LevelDto::from) else {
        return Err(ApiError::not_found("level").into());
    };
    let result = match level_from_form(&f, Some(id), current.badge.clone(), current.birthday_coupon_id) {
        Ok(mut l) => {
            l.both_required = current.both_required;
            let all = rules
                .levels
                .iter()
                .map(LevelDto::from)
                .map(|x| if x.id == id { l.clone() } else { as_input(&x) })
                .collect();
            crate::members::save_levels(&st, &a, &Call::from_headers(&headers), LevelsInput { levels: all })
                .await
                .map(|_| ())
        }
        Err(e) => Err(e),
    };
    match refusal(result)? {
        None => back("/admin/members/levels"),
        Some(e) => {
            let message = refusal_message(&c, &e);
            let field = e.field.as_deref().map(|f| form_field(f).to_string());
            level_page(&st, c, &a, id, Some(FormRefusal { typed: &f, field, message })).await
        }
    }
}

pub(super) async fn delete_level(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let rules = crate::members::rules(&st, a.merchant_id).await?;
    let all = rules.levels.iter().filter(|l| l.id != id).map(LevelDto::from).map(|l| as_input(&l)).collect();
    let result = crate::members::save_levels(&st, &a, &Call::from_headers(&headers), LevelsInput { levels: all })
        .await
        .map(|_| ());
    match refusal(result)? {
        None => back("/admin/members/levels"),
        Some(e) => {
            let mut p = ListPage::new(c, &a, "mem.levels");
            item_head(&mut p, &id.to_string(), "/admin/members/levels", "mem.back_levels");
            p.error = refusal_message(&p.c, &e);
            refused_page(p, e.status)
        }
    }
}
