//! Console pages of promotions: activities and coupons.

use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/activities", get(activities).post(create_activity))
        .route("/admin/activities/{id}", get(activity).post(save_activity))
        .route("/admin/activities/{id}/end", post(end_activity))
        .route("/admin/coupons", get(coupons).post(create_coupon))
        .route("/admin/coupons/{id}", get(coupon).post(save_coupon))
        .route("/admin/coupons/{id}/stop", post(stop_coupon))
}

async fn activities(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let st2 = st.clone();
    let list = crate::promotions::activities::list_activities(
        &st,
        &a,
        ap::ActivityQuery { state: None, kind: None, page: Some(page), page_size: Some(50) },
    )
    .await?;
    let edit = may(&a, Permission::ManageCatalog);
    let cats = if edit { st2.store.list_categories(a.merchant_id).await? } else { vec![] };
    let mut p = ListPage::new(c, &a, "menu.activities").heads(&[
        "act.name",
        "act.kind",
        "act.window",
        "act.coupons",
        "act.limit",
        "act.state",
        "",
    ]);
    if edit {
        let mut scope = vec![(String::new(), p.c.t("act.scope_all").to_string())];
        scope.extend(category_options(&p.c, &cats).into_iter().skip(1));
        let kinds = ["limited_discount", "full_reduction"]
            .iter()
            .map(|k| (k.to_string(), p.c.tp("act.kind.", k).to_string()))
            .collect();
        p.forms.push(Form {
            id: "new-activity",
            title: p.c.t("act.new").into(),
            action: "/admin/activities".into(),
            method: "post",
            fields: vec![
                Field::text("name", p.c.t("act.name"), ""),
                Field::select("kind", p.c.t("act.kind"), "limited_discount", kinds),
                Field::kind("percent", p.c.t("act.percent"), "number", "90"),
                Field::text("threshold", p.c.t("act.threshold"), ""),
                Field::text("off", p.c.t("act.off"), ""),
                Field::select("category_id", p.c.t("act.scope"), "", scope),
                Field::kind("days", p.c.t("act.days"), "number", "7"),
                Field::kind("per_buyer_limit", p.c.t("act.limit"), "number", "0"),
                Field::kind("allow_coupons", p.c.t("act.coupons"), "checkbox", "1"),
            ],
            submit: p.c.t("common.add").into(),
        });
    }
    for x in &list.items {
        let yes_no = |b: bool| p.c.t(if b { "common.yes" } else { "common.no" }).to_string();
        p.rows.push(vec![
            Cell::link(&x.name, format!("/admin/activities/{}", x.id)),
            Cell::text(p.c.tp("act.kind.", &x.kind)),
            Cell::text(format!("{} – {}", view::beijing_time(x.starts_at), view::beijing_time(x.ends_at))),
            Cell::text(yes_no(x.allow_coupons)),
            Cell::num(if x.per_buyer_limit > 0 { x.per_buyer_limit.to_string() } else { "-".into() }),
            Cell::tag(p.c.label("activity-state", &x.state), if x.state == "running" { "ok" } else { "muted" }),
            if edit && x.state != "ended" {
                Cell::button(format!("/admin/activities/{}/end", x.id), p.c.t("act.end"))
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new("/admin/activities", page, 50, list.total));
    ok(p)
}

async fn create_activity(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let kind = f.get("kind").to_string();
    let rule = if kind == "full_reduction" {
        crate::promotions::pricing::RuleDto {
            tiers: Some(vec![crate::promotions::pricing::TierDto {
                threshold: view::parse_yuan("threshold", f.get("threshold"))?,
                off: Some(view::parse_yuan("off", f.get("off"))?),
                percent: None,
            }]),
            ..Default::default()
        }
    } else {
        crate::promotions::pricing::RuleDto {
            percent: f.int("percent").map(|p| p.clamp(0, 100) as u32),
            ..Default::default()
        }
    };
    let scope = match f.int("category_id") {
        Some(c) => crate::promotions::pricing::ScopeDto { categories: vec![c], ..Default::default() },
        None => crate::promotions::pricing::ScopeDto { all: true, ..Default::default() },
    };
    let now = minimall_store::now_ms();
    let req = ap::ActivityInput {
        name: f.get("name").into(),
        kind,
        rule,
        scope,
        starts_at: now,
        ends_at: now + f.int("days").unwrap_or(7).clamp(1, 366) * 86_400_000,
        allow_coupons: f.checked("allow_coupons"),
        allow_points: true,
        per_buyer_limit: f.int("per_buyer_limit").unwrap_or(0),
        free_shipping: false,
        allow_overlap: false,
    };
    let _ = crate::promotions::activities::create_activity(&st, &a, &Call::from_headers(&headers), req).await?;
    back("/admin/activities")
}

async fn end_activity(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = crate::promotions::activities::end_activity(&st, &a, &Call::from_headers(&headers), id).await?;
    back("/admin/activities")
}

async fn activity(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<SavedQuery>,
) -> WebResult {
    ok(activity_page(&st, c, &a, id, q.saved.is_some(), None).await?)
}

/// One activity: its terms, and for catalog managers while it has not ended a form that changes its name,
/// window, per-buyer limit and whether coupons stack (its rule and scope stay as they are).
async fn activity_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadCatalog>,
    id: i64,
    saved: bool,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let x = crate::promotions::activities::get_activity(st, a, id).await?;
    let mut p = ListPage::new(c, a, "menu.activities").heads(&[
        "act.kind",
        "act.window",
        "act.coupons",
        "act.limit",
        "act.state",
    ]);
    item_head(&mut p, &x.name, "/admin/activities", "act.back");
    mark_saved(&mut p, saved);
    let yes_no = |b: bool| p.c.t(if b { "common.yes" } else { "common.no" }).to_string();
    p.rows.push(vec![
        Cell::text(p.c.tp("act.kind.", &x.kind)),
        Cell::text(format!("{} – {}", view::beijing_time(x.starts_at), view::beijing_time(x.ends_at))),
        Cell::text(yes_no(x.allow_coupons)),
        Cell::num(if x.per_buyer_limit > 0 { x.per_buyer_limit.to_string() } else { "-".into() }),
        Cell::tag(p.c.label("activity-state", &x.state), if x.state == "running" { "ok" } else { "muted" }),
    ]);
    if may(a, Permission::ManageCatalog) && x.state != "ended" {
        let typed = |name: &str, current: String| FormRefusal::value(&refused, name, current);
        let t = |k: &str| p.c.t(k).to_string();
        let coupons = FormRefusal::ticked(&refused, "allow_coupons", x.allow_coupons);
        let fields = vec![
            Field::text("name", &t("act.name"), typed("name", x.name.clone())),
            Field::kind(
                "starts_at",
                &t("flash.starts_at"),
                "datetime-local",
                typed("starts_at", view::beijing_datetime_value(x.starts_at)),
            ),
            Field::kind(
                "ends_at",
                &t("flash.ends_at"),
                "datetime-local",
                typed("ends_at", view::beijing_datetime_value(x.ends_at)),
            ),
            Field::kind(
                "per_buyer_limit",
                &t("act.limit"),
                "number",
                typed("per_buyer_limit", x.per_buyer_limit.to_string()),
            ),
            Field::kind("allow_coupons", &t("act.coupons"), "checkbox", if coupons { "1" } else { "" }),
        ];
        edit_form(&mut p, "edit-activity", "act.edit", format!("/admin/activities/{id}"), fields, refused);
    }
    Ok(p)
}

/// The edit form over the activity as it is: the form's terms, its own rule and scope.
fn activity_update(f: &Fields, x: &ap::ActivityDto) -> Result<ap::ActivityInput, ApiError> {
    let stored = |what: &str, v: &serde_json::Value| {
        ApiError::internal(format!("the activity's stored {what} cannot be read: {v}"))
    };
    Ok(ap::ActivityInput {
        name: f.get("name").trim().into(),
        kind: x.kind.clone(),
        rule: serde_json::from_value(x.rule.clone()).map_err(|_| stored("rule", &x.rule))?,
        scope: serde_json::from_value(x.scope.clone()).map_err(|_| stored("scope", &x.scope))?,
        starts_at: beijing_datetime(f, "starts_at")?,
        ends_at: beijing_datetime(f, "ends_at")?,
        allow_coupons: f.checked("allow_coupons"),
        allow_points: x.allow_points,
        per_buyer_limit: whole_number(f, "per_buyer_limit")?,
        free_shipping: x.free_shipping,
        allow_overlap: x.allow_overlap,
    })
}

/// Change an activity's terms through the API's own path; a refusal shows next to its field.
async fn save_activity(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let reader = catalog_reader(&a)?;
    let current = crate::promotions::activities::get_activity(&st, &reader, id).await?;
    let result = match activity_update(&f, &current) {
        Ok(input) => crate::promotions::activities::update_activity(&st, &a, &Call::from_headers(&headers), id, input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    let Some(e) = refusal(result)? else { return back(&format!("/admin/activities/{id}?saved=1")) };
    let refused = FormRefusal { typed: &f, field: e.field.clone(), message: refusal_message(&c, &e) };
    refused_page(activity_page(&st, c, &reader, id, false, Some(refused)).await?, e.status)
}

async fn coupons(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let list =
        crate::promotions::coupons::list_coupons(&st, &a, PageQuery { page: Some(page), page_size: Some(50) }).await?;
    let edit = may(&a, Permission::ManageCatalog);
    let mut p = ListPage::new(c, &a, "menu.coupons").heads(&[
        "cp.name",
        "cp.kind",
        "cp.rule",
        "cp.issued",
        "cp.per_buyer",
        "cp.status",
        "",
    ]);
    if edit {
        let kinds = ["amount_off", "percent_off", "free_shipping"]
            .iter()
            .map(|k| (k.to_string(), p.c.label("coupon-kind", k)))
            .collect();
        p.forms.push(Form {
            id: "new-coupon",
            title: p.c.t("cp.new").into(),
            action: "/admin/coupons".into(),
            method: "post",
            fields: vec![
                Field::text("name", p.c.t("cp.name"), ""),
                Field::select("kind", p.c.t("cp.kind"), "amount_off", kinds),
                Field::text("threshold", p.c.t("cp.threshold"), "0"),
                Field::text("amount_off", p.c.t("cp.amount_off"), ""),
                Field::kind("percent", p.c.t("cp.percent"), "number", "90"),
                Field::text("cap", p.c.t("cp.cap"), "0"),
                Field::kind("valid_days", p.c.t("cp.valid_days"), "number", "30"),
                Field::kind("total_quantity", p.c.t("cp.total"), "number", "1000"),
                Field::kind("per_buyer_limit", p.c.t("cp.per_buyer"), "number", "1"),
            ],
            submit: p.c.t("common.add").into(),
        });
    }
    for x in &list.items {
        p.rows.push(vec![
            Cell::link(&x.name, format!("/admin/coupons/{}", x.id)),
            Cell::text(p.c.label("coupon-kind", &x.kind)),
            Cell::text(coupon_rule(x)),
            Cell::num(format!("{}/{}", x.issued, x.total_quantity)),
            Cell::num(x.per_buyer_limit.to_string()),
            Cell::text(p.c.label("coupon-status", &x.status)),
            if edit && x.status == "active" {
                Cell::button(format!("/admin/coupons/{}/stop", x.id), p.c.t("cp.stop"))
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new("/admin/coupons", page, 50, list.total));
    ok(p)
}

async fn create_coupon(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let yuan_or_zero = |k: &str| match f.opt(k) {
        Some(v) => view::parse_yuan(k, v),
        None => Ok(0),
    };
    let req = apc::CouponTemplateInput {
        name: f.get("name").into(),
        kind: f.get("kind").into(),
        threshold: yuan_or_zero("threshold")?,
        amount_off: yuan_or_zero("amount_off")?,
        percent: f.int("percent").unwrap_or(0).clamp(0, 100) as i32,
        cap: yuan_or_zero("cap")?,
        scope: crate::promotions::pricing::ScopeDto { all: true, ..Default::default() },
        valid_from: None,
        valid_until: None,
        valid_days: Some(f.int("valid_days").unwrap_or(30).clamp(1, 3650) as i32),
        total_quantity: f.int("total_quantity").unwrap_or(0),
        per_buyer_limit: f.int("per_buyer_limit").unwrap_or(1),
        claimable: true,
    };
    let _ = crate::promotions::coupons::create_coupon(&st, &a, &Call::from_headers(&headers), req).await?;
    back("/admin/coupons")
}

async fn stop_coupon(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = crate::promotions::coupons::stop_coupon(&st, &a, &Call::from_headers(&headers), id).await?;
    back("/admin/coupons")
}

/// A coupon's rule in one line: `¥10.00 ≥ ¥99.00`, `90% ≤ ¥20.00`.
fn coupon_rule(x: &crate::promotions::shop_api::CouponTemplateDto) -> String {
    match x.kind.as_str() {
        "amount_off" => format!("{} ≥ {}", view::yuan(x.amount_off), view::yuan(x.threshold)),
        "percent_off" => format!("{}% ≤ {}", x.percent, view::yuan(x.cap)),
        _ => String::new(),
    }
}

async fn coupon(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<SavedQuery>,
) -> WebResult {
    ok(coupon_page(&st, c, &a, id, q.saved.is_some(), None).await?)
}

/// One coupon: its rule and counts, and for catalog managers while it is issued a form that changes its
/// name, quantity, per-buyer limit and whether buyers may claim it (amounts, scope and validity stay).
async fn coupon_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadCatalog>,
    id: i64,
    saved: bool,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let x = crate::promotions::coupons::get_coupon(st, a, id).await?;
    let mut p =
        ListPage::new(c, a, "menu.coupons").heads(&["cp.kind", "cp.rule", "cp.issued", "cp.per_buyer", "cp.status"]);
    item_head(&mut p, &x.name, "/admin/coupons", "cp.back");
    mark_saved(&mut p, saved);
    p.rows.push(vec![
        Cell::text(p.c.label("coupon-kind", &x.kind)),
        Cell::text(coupon_rule(&x)),
        Cell::num(format!("{}/{}", x.issued, x.total_quantity)),
        Cell::num(x.per_buyer_limit.to_string()),
        Cell::text(p.c.label("coupon-status", &x.status)),
    ]);
    if may(a, Permission::ManageCatalog) && x.status == "active" {
        let typed = |name: &str, current: String| FormRefusal::value(&refused, name, current);
        let t = |k: &str| p.c.t(k).to_string();
        let claimable = FormRefusal::ticked(&refused, "claimable", x.claimable);
        let fields = vec![
            Field::text("name", &t("cp.name"), typed("name", x.name.clone())),
            Field::kind(
                "total_quantity",
                &t("cp.total"),
                "number",
                typed("total_quantity", x.total_quantity.to_string()),
            ),
            Field::kind(
                "per_buyer_limit",
                &t("cp.per_buyer"),
                "number",
                typed("per_buyer_limit", x.per_buyer_limit.to_string()),
            ),
            Field::kind("claimable", &t("cp.claimable"), "checkbox", if claimable { "1" } else { "" }),
        ];
        edit_form(&mut p, "edit-coupon", "cp.edit", format!("/admin/coupons/{id}"), fields, refused);
    }
    Ok(p)
}

/// Change a coupon through the API's own path; a refusal shows next to its field.
async fn save_coupon(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let input = || -> Result<apc::CouponTemplateChange, ApiError> {
        Ok(apc::CouponTemplateChange {
            name: f.get("name").trim().into(),
            total_quantity: whole_number(&f, "total_quantity")?,
            per_buyer_limit: whole_number(&f, "per_buyer_limit")?,
            claimable: f.checked("claimable"),
        })
    };
    let result = match input() {
        Ok(input) => crate::promotions::coupons::update_coupon(&st, &a, &Call::from_headers(&headers), id, input)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    let Some(e) = refusal(result)? else { return back(&format!("/admin/coupons/{id}?saved=1")) };
    let reader = catalog_reader(&a)?;
    let refused = FormRefusal { typed: &f, field: e.field.clone(), message: refusal_message(&c, &e) };
    refused_page(coupon_page(&st, c, &reader, id, false, Some(refused)).await?, e.status)
}
