//! Console pages of members: the member list by filter, a member's page (points adjustment), levels,
//! segments (人群) and tags.

mod cards;
mod levels;
mod rules;
mod segments;

use self::cards::{cards_list, create_card};
use self::levels::{add_level, delete_level, level, levels, save_level};
use self::rules::{rules, save_rules};
use self::segments::{create_segment, create_tag, delete_segment, delete_tag, segments, tags};
use super::segments::{self as seg, FilterDto};
use crate::accounts::auth::ManageMembers;
use crate::error::ApiReason;
use crate::usecase::Call;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/members", get(members))
        .route("/admin/members/levels", get(levels).post(add_level))
        .route("/admin/members/levels/{id}", get(level).post(save_level))
        .route("/admin/members/levels/{id}/delete", post(delete_level))
        .route("/admin/members/rules", get(rules).post(save_rules))
        .route("/admin/members/{id}", get(member))
        .route("/admin/members/{id}/points", post(adjust_points))
        .route("/admin/segments", get(segments).post(create_segment))
        .route("/admin/segments/{id}/delete", post(delete_segment))
        .route("/admin/member-tags", get(tags).post(create_tag))
        .route("/admin/member-tags/{id}/delete", post(delete_tag))
        .route("/admin/points-mall", get(mall).post(create_mall_item))
        .route("/admin/points-mall/{id}/toggle", post(toggle_mall_item))
        .route("/admin/member-cards", get(cards_list).post(create_card))
}

fn managing(a: &Admin<ReadBuyers>) -> Option<Admin<ManageMembers>> {
    Admin::<ManageMembers>::for_user(a.user.clone())
}

fn reader(a: &Admin<ManageMembers>) -> Result<Admin<ReadBuyers>, ApiError> {
    Admin::<ReadBuyers>::for_user(a.user.clone())
        .ok_or_else(|| ApiError::forbidden_because(&ApiReason::PageNeedsBuyers))
}

fn stage_label(c: &Ctx, s: &str) -> String {
    c.tp_or("stage.", s, s)
}

fn channel_label(c: &Ctx, s: &str) -> String {
    c.label("channel", s)
}

fn level_options(c: &Ctx, levels: &[minimall_store::members::LevelRow]) -> Vec<(String, String)> {
    let mut o = vec![(String::new(), c.t("common.all").to_string()), ("0".into(), c.t("mem.no_level").to_string())];
    o.extend(levels.iter().map(|l| (l.id.to_string(), l.name.clone())));
    o
}

fn stage_options(c: &Ctx) -> Vec<(String, String)> {
    let mut o = vec![(String::new(), c.t("common.all").to_string())];
    o.extend(["new", "active", "silent", "churned"].iter().map(|s| (s.to_string(), stage_label(c, s))));
    o
}

#[derive(Deserialize, Default)]
struct ListQuery {
    page: Option<i64>,
    level: Option<String>,
    stage: Option<String>,
    tag: Option<String>,
    min_spend: Option<String>,
    idle_days: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Result<FilterDto, ApiError> {
        let id = |field: &str, v: &Option<String>| -> Result<Vec<i64>, ApiError> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(s) => Ok(vec![s
                    .parse()
                    .map_err(|_| ApiError::invalid_because(field.to_string(), &ApiReason::WholeNumber))?]),
                None => Ok(vec![]),
            }
        };
        let min_spend = match self.min_spend.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(view::parse_yuan("min_spend", s)?),
            None => None,
        };
        let idle_days = match self.idle_days.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(s.parse().map_err(|_| ApiError::invalid_because("idle_days", &ApiReason::WholeNumber))?),
            None => None,
        };
        Ok(FilterDto {
            level_ids: id("level", &self.level)?,
            tag_ids: id("tag", &self.tag)?,
            stages: self.stage.clone().filter(|s| !s.is_empty()).into_iter().collect(),
            min_spend_fen: min_spend,
            idle_days,
            ..FilterDto::default()
        })
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let v = |o: &Option<String>| o.clone().unwrap_or_default();
        vec![
            ("level", v(&self.level)),
            ("stage", v(&self.stage)),
            ("tag", v(&self.tag)),
            ("min_spend", v(&self.min_spend)),
            ("idle_days", v(&self.idle_days)),
        ]
    }
}

async fn members(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebQuery(q): WebQuery<ListQuery>,
) -> WebResult {
    let rules = super::rules(&st, a.merchant_id).await?;
    let tags = st.store.member_tags(a.merchant_id, 100, 0).await?.items;
    let page = q.page.unwrap_or(1).max(1);
    let mut p = ListPage::new(c, &a, "menu.members").heads(&[
        "common.id",
        "buyer.nickname",
        "mem.level",
        "mem.spend",
        "mem.orders",
        "mem.last_order",
        "mem.stage",
        "mem.region",
        "buyer.channel",
    ]);
    let counts = st.store.stage_counts(a.merchant_id).await?;
    p.intro =
        counts.iter().map(|(s, n)| format!("{} {n}", stage_label(&p.c, s.as_str()))).collect::<Vec<_>>().join(" · ");
    p.links = vec![
        ("/admin/members/levels".into(), p.c.t("mem.levels").into()),
        ("/admin/members/rules".into(), p.c.t("mem.rules").into()),
        ("/admin/segments".into(), p.c.t("menu.segments").into()),
        ("/admin/member-tags".into(), p.c.t("mem.tags").into()),
        ("/admin/points-mall".into(), p.c.t("mem.mall").into()),
        ("/admin/member-cards".into(), p.c.t("mem.card").into()),
    ];
    let mut tag_options = vec![(String::new(), p.c.t("common.all").to_string())];
    tag_options.extend(tags.iter().map(|t| (t.id.to_string(), t.name.clone())));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/members".into(),
        method: "get",
        fields: vec![
            Field::select(
                "level",
                p.c.t("mem.level"),
                q.level.clone().unwrap_or_default(),
                level_options(&p.c, &rules.levels),
            ),
            Field::select("stage", p.c.t("mem.stage"), q.stage.clone().unwrap_or_default(), stage_options(&p.c)),
            Field::select("tag", p.c.t("mem.tag"), q.tag.clone().unwrap_or_default(), tag_options),
            Field::text("min_spend", p.c.t("mem.min_spend"), q.min_spend.clone().unwrap_or_default()),
            Field::kind("idle_days", p.c.t("mem.idle_days"), "number", q.idle_days.clone().unwrap_or_default()),
        ],
        submit: p.c.t("common.filter").into(),
    });
    let list = match q.filter() {
        Ok(f) => seg::members(&st, &a, &f, minimall_core::page::Page::parse(Some(page), Some(50))?).await,
        Err(e) => Err(e),
    };
    let list = match list {
        Ok(l) => l,
        Err(e) if e.status.is_client_error() => {
            p.error = refusal_message(&p.c, &e);
            return refused_page(p, e.status);
        }
        Err(e) => return Err(e.into()),
    };
    for m in &list.items {
        p.rows.push(vec![
            Cell::link(m.buyer_id.to_string(), format!("/admin/members/{}", m.buyer_id)),
            Cell::text(&m.nickname),
            Cell::text(m.level_name.clone().unwrap_or_else(|| p.c.t("mem.no_level").into())),
            Cell::num(view::yuan(m.completed_spend_fen)),
            Cell::num(m.orders_count.to_string()),
            Cell::text(m.last_order_date.clone().unwrap_or_else(|| "-".into())),
            Cell::text(stage_label(&p.c, &m.stage)),
            Cell::text(&m.region),
            Cell::text(channel_label(&p.c, &m.channel)),
        ]);
    }
    p.pager = Some(Pager::new(&view::with_query("/admin/members", &q.pairs()), page, 50, list.total));
    ok(p)
}

async fn member(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    member_page(&st, c, &a, id, None).await
}

async fn member_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadBuyers>,
    id: i64,
    refused: Option<FormRefusal<'_>>,
) -> WebResult {
    let d = seg::member(st, a, id).await?;
    let rules = super::rules(st, a.merchant_id).await?;
    let tags = st.store.member_tags(a.merchant_id, 100, 0).await?.items;
    let mut p = ListPage::new(c, a, "menu.members").heads(&["mem.changed_at", "mem.from", "mem.to", "mem.reason"]);
    item_head(&mut p, &d.member.nickname, "/admin/members", "mem.back");
    if may(&a.user, Permission::ReadFinance) {
        p.links.push((format!("/admin/members/{id}/balance"), p.c.t("sv.open").into()));
    }
    let level_name =
        |id: Option<i64>| rules.level(id).map(|l| l.name.clone()).unwrap_or_else(|| p.c.t("mem.no_level").to_string());
    let tag_names: Vec<String> =
        d.tag_ids.iter().filter_map(|t| tags.iter().find(|x| x.id == *t)).map(|t| t.name.clone()).collect();
    p.intro = format!(
        "{} {} · {} {} · {} {} · {} {} · {} {}{}",
        p.c.t("mem.level"),
        level_name(d.member.level_id),
        p.c.t("mem.spend"),
        view::yuan(d.member.completed_spend_fen),
        p.c.t("shop.my_points"),
        d.points_balance,
        p.c.t("mem.points_earned"),
        d.member.points_earned,
        p.c.t("mem.stage"),
        stage_label(&p.c, &d.member.stage),
        if tag_names.is_empty() {
            String::new()
        } else {
            format!(" · {} {}", p.c.t("mem.tags"), tag_names.join("、"))
        },
    );
    for h in &d.level_history {
        let reason = p.c.tp_or("mem.why.", &h.reason, &h.reason);
        p.rows.push(vec![
            Cell::text(view::beijing_time(h.at)),
            Cell::text(level_name(h.from_level_id)),
            Cell::text(level_name(h.to_level_id)),
            Cell::text(reason),
        ]);
    }
    if managing(a).is_some() {
        let fields = vec![
            Field::kind("delta", p.c.t("mem.delta"), "number", FormRefusal::value(&refused, "delta", String::new())),
            Field::text("reason", p.c.t("mem.adjust_reason"), FormRefusal::value(&refused, "reason", String::new())),
        ];
        let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
        edit_form(&mut p, "points", "mem.adjust", format!("/admin/members/{id}/points"), fields, refused);
        if let Some(s) = status {
            return refused_page(p, s);
        }
    }
    ok(p)
}

async fn adjust_points(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let delta =
        f.get("delta").trim().parse::<i64>().map_err(|_| ApiError::invalid_because("delta", &ApiReason::WholeNumber));
    let result = match delta {
        Ok(d) => super::adjust_points(&st, &a, &Call::from_headers(&headers), id, d, f.get("reason")).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match refusal(result)? {
        None => back(&format!("/admin/members/{id}")),
        Some(e) => {
            let message = refusal_message(&c, &e);
            let r = reader(&a)?;
            member_page(&st, c, &r, id, Some(FormRefusal { typed: &f, field: e.field.clone(), message })).await
        }
    }
}

// ---- points mall ----------------------------------------------------------------------------------

async fn mall(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadBuyers>) -> WebResult {
    mall_page(&st, c, &a, None).await
}

async fn mall_page(st: &AppState, c: Ctx, a: &Admin<ReadBuyers>, refused: Option<FormRefusal<'_>>) -> WebResult {
    let list =
        super::mall::items(st, a.merchant_id, false, minimall_core::page::Page::parse(Some(1), Some(100))?).await?;
    let coupons = st.store.list_coupon_templates(a.merchant_id, false, 100, 0).await?.items;
    let mut p = ListPage::new(c, a, "mem.mall").heads(&[
        "common.id",
        "mem.mall.title",
        "mem.mall.coupon",
        "mem.mall.price",
        "mem.mall.stock",
        "mem.mall.exchanged",
        "mem.mall.on_sale",
        "",
    ]);
    p.intro = p.c.t("mem.mall.admin_intro").into();
    p.links.push(("/admin/members".into(), p.c.t("mem.back").into()));
    let may_edit = managing(a).is_some();
    for m in &list.items {
        let coupon = coupons.iter().find(|t| t.id == m.coupon_template_id).map(|t| t.name.clone()).unwrap_or_default();
        let toggle = if m.on_sale { "mem.mall.toggle_off" } else { "mem.mall.toggle_on" };
        p.rows.push(vec![
            Cell::num(m.id.to_string()),
            Cell::text(&m.title),
            Cell::text(coupon),
            Cell::num(m.points_price.to_string()),
            Cell::num(m.stock.to_string()),
            Cell::num(m.exchanged.to_string()),
            Cell::text(if m.on_sale { p.c.t("common.yes") } else { p.c.t("common.no") }),
            if may_edit {
                Cell::button(format!("/admin/points-mall/{}/toggle", m.id), p.c.t(toggle))
            } else {
                Cell::text("")
            },
        ]);
    }
    if may_edit {
        let v = |name: &str, d: &str| FormRefusal::value(&refused, name, d.to_string());
        let options =
            coupons.iter().filter(|t| t.status == "active").map(|t| (t.id.to_string(), t.name.clone())).collect();
        let fields = vec![
            Field::text("title", p.c.t("mem.mall.title"), v("title", "")),
            Field::select("coupon_template_id", p.c.t("mem.mall.coupon"), v("coupon_template_id", ""), options),
            Field::kind("points_price", p.c.t("mem.mall.price"), "number", v("points_price", "")),
            Field::kind("stock", p.c.t("mem.mall.stock"), "number", v("stock", "")),
            Field::kind("per_buyer_limit", p.c.t("mem.mall.limit"), "number", v("per_buyer_limit", "1")),
        ];
        let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
        edit_form(&mut p, "new-mall-item", "mem.mall.new", "/admin/points-mall".into(), fields, refused);
        if let Some(s) = status {
            return refused_page(p, s);
        }
    }
    ok(p)
}

async fn create_mall_item(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let result = async {
        let item = super::mall::NewMallItem {
            title: f.get("title").into(),
            coupon_template_id: whole_number(&f, "coupon_template_id")?,
            points_price: whole_number(&f, "points_price")?,
            stock: whole_number(&f, "stock")?,
            per_buyer_limit: whole_number(&f, "per_buyer_limit")?,
        };
        super::mall::create_item(&st, &a, &Call::from_headers(&headers), item).await
    }
    .await
    .map(|_| ());
    match refusal(result)? {
        None => back("/admin/points-mall"),
        Some(e) => {
            let message = refusal_message(&c, &e);
            mall_page(&st, c, &reader(&a)?, Some(FormRefusal { typed: &f, field: e.field.clone(), message })).await
        }
    }
}

async fn toggle_mall_item(
    State(st): State<AppState>,
    Console(a): Console<ManageMembers>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let item = st.store.mall_item(a.merchant_id, id).await.map_err(|_| ApiError::not_found("mall_item"))?;
    let change = super::mall::MallItemChange { stock_delta: 0, on_sale: item.on_sale == 0 };
    super::mall::change_item(&st, &a, &Call::from_headers(&headers), id, change).await?;
    back("/admin/points-mall")
}
