//! Console pages of group buying: the activity list with the new-activity form, stopping an activity, and the
//! groups of an activity with their members.

use crate::error::ApiReason;
use crate::group_buy::admin_api::{self as gba, GroupBuyInput, GroupSkuInput, GroupsQuery};
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/group-buys", get(list).post(create))
        .route("/admin/group-buys/{id}/stop", post(stop))
        .route("/admin/group-buys/{id}/groups", get(groups))
}

async fn list(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    ok(list_page(&st, c, &a, q.page.unwrap_or(1).max(1), None).await?)
}

/// A refusal in the page's language, by its code.
fn message(c: &Ctx, e: &ApiError) -> String {
    c.tp_or("gb.err.", e.code, c.t("gb.err.generic"))
}

async fn list_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadCatalog>,
    page: i64,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let list = gba::activities(st, a, PageQuery { page: Some(page), page_size: Some(20) }).await?;
    let edit = may(a, Permission::ManageCatalog);
    let mut p = ListPage::new(c, a, "menu.group_buys").heads(&[
        "act.name",
        "prod.title",
        "act.window",
        "gb.size",
        "gb.price",
        "act.state",
        "",
    ]);
    if list.items.is_empty() {
        p.intro = p.c.t("gb.none").into();
    }
    if edit {
        let products = crate::catalog::products::list_products(
            st,
            a,
            ac::ProductQuery {
                page: Some(1),
                page_size: Some(100),
                q: None,
                category_id: None,
                on_shelf: Some(true),
                lifecycle: None,
                low_stock: None,
            },
        )
        .await?;
        let mut options = vec![(String::new(), p.c.t("flash.choose_product").to_string())];
        options.extend(products.items.iter().map(|x| (x.id.to_string(), format!("{} · {}", x.code, x.title))));
        let now = minimall_store::now_ms();
        let start = (now / 60_000 + 1) * 60_000;
        let typed = |name: &str, default: String| FormRefusal::value(&refused, name, default);
        let t = |k: &str| p.c.t(k).to_string();
        let yes_no = |yes_first: bool| {
            let (y, n) = (("1".to_string(), t("common.yes")), ("0".to_string(), t("common.no")));
            if yes_first {
                vec![y, n]
            } else {
                vec![n, y]
            }
        };
        let mut fields = vec![
            Field::text("name", &t("act.name"), typed("name", String::new())),
            Field::select("product_id", &t("prod.title"), typed("product_id", String::new()), options),
            Field::text("sku_code", &t("gb.sku_code"), typed("sku_code", String::new())),
            Field::text("group_price", &t("gb.group_price"), typed("group_price", String::new())),
            Field::kind("group_size", &t("gb.size"), "number", typed("group_size", "3".into())),
            Field::kind(
                "time_limit_minutes",
                &t("gb.time_limit"),
                "number",
                typed("time_limit_minutes", "1440".into()),
            ),
            Field::text("leader_discount", &t("gb.leader_discount"), typed("leader_discount", "0".into())),
            Field::kind(
                "starts_at",
                &t("flash.starts_at"),
                "datetime-local",
                typed("starts_at", view::beijing_datetime_value(start)),
            ),
            Field::kind(
                "ends_at",
                &t("flash.ends_at"),
                "datetime-local",
                typed("ends_at", view::beijing_datetime_value(start + 7 * 86_400_000)),
            ),
            Field::kind("per_buyer_limit", &t("act.limit"), "number", typed("per_buyer_limit", "1".into())),
            Field::select("free_shipping", &t("gb.free_shipping"), typed("free_shipping", "1".into()), yes_no(true)),
            Field::select("mock_fill", &t("gb.mock_fill"), typed("mock_fill", "0".into()), yes_no(false)),
        ];
        if let Some(r) = refused {
            r.place(&mut fields, &mut p.error);
        }
        p.forms.push(Form {
            id: "new-group-buy",
            title: t("gb.new"),
            action: "/admin/group-buys".into(),
            method: "post",
            fields,
            submit: t("common.add"),
        });
    }
    let mut titles = std::collections::HashMap::new();
    for x in &list.items {
        if let std::collections::hash_map::Entry::Vacant(e) = titles.entry(x.product_id) {
            e.insert(st.store.product_title(a.merchant_id, x.product_id).await?.unwrap_or_default());
        }
    }
    for x in &list.items {
        let prices: Vec<String> = x
            .skus
            .iter()
            .map(|s| {
                let spec = if s.spec.is_empty() { p.c.t("shop.default_spec").to_string() } else { s.spec.join("/") };
                format!("{spec} {}", view::yuan(s.group_price))
            })
            .collect();
        p.rows.push(vec![
            Cell::link(&x.name, format!("/admin/group-buys/{}/groups", x.id)),
            Cell::link(
                titles.get(&x.product_id).cloned().unwrap_or_default(),
                format!("/admin/products/{}", x.product_id),
            ),
            Cell::text(format!("{} – {}", view::beijing_time(x.starts_at), view::beijing_time(x.ends_at))),
            Cell::num(x.group_size.to_string()),
            Cell::text(prices.join("；")),
            Cell::tag(p.c.label("group-buy-state", &x.state), if x.state == "running" { "ok" } else { "" }),
            if edit && matches!(x.state.as_str(), "upcoming" | "running") {
                Cell::button(format!("/admin/group-buys/{}/stop", x.id), p.c.t("gb.stop"))
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new("/admin/group-buys", page, 20, list.total));
    Ok(p)
}

/// The form as the API's input: one SKU by its code, or every SKU of the product at the same group price.
async fn input(st: &AppState, merchant_id: i64, f: &Fields) -> Result<GroupBuyInput, ApiError> {
    let product_id =
        f.int("product_id").ok_or_else(|| ApiError::invalid_because("product_id", &ApiReason::ChooseProduct))?;
    let group_price = view::parse_yuan("group_price", f.get("group_price"))?;
    let skus = match f.opt("sku_code") {
        Some(code) => {
            let sku = st
                .store
                .sku_by_code(st.store.reader(), merchant_id, code.trim())
                .await?
                .ok_or_else(|| ApiError::invalid_because("sku_code", &ApiReason::NoSkuWithCode))?;
            vec![GroupSkuInput { sku_id: sku.id.get(), group_price }]
        }
        None => st
            .store
            .product_sku_prices(merchant_id, product_id)
            .await?
            .into_iter()
            .map(|(sku_id, _)| GroupSkuInput { sku_id, group_price })
            .collect(),
    };
    let leader_discount = match f.opt("leader_discount") {
        Some(v) => view::parse_yuan("leader_discount", v)?,
        None => 0,
    };
    Ok(GroupBuyInput {
        name: f.get("name").trim().into(),
        product_id,
        starts_at: beijing_datetime(f, "starts_at")?,
        ends_at: beijing_datetime(f, "ends_at")?,
        group_size: whole_number(f, "group_size")?,
        time_limit_minutes: whole_number(f, "time_limit_minutes")?,
        leader_discount,
        free_shipping: f.get("free_shipping") == "1",
        per_buyer_limit: whole_number(f, "per_buyer_limit")?,
        mock_fill: f.get("mock_fill") == "1",
        skus,
    })
}

/// The form field an API error names (the SKU rows are one field on the form).
fn form_field(e: &ApiError) -> Option<String> {
    let field = e.field.as_deref()?;
    Some(if field.ends_with(".group_price") {
        "group_price".into()
    } else if field == "skus" || field.starts_with("skus[") {
        "sku_code".into()
    } else {
        field.into()
    })
}

async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let result = match input(&st, a.merchant_id, &f).await {
        Ok(req) => gba::create(&st, &a, &headers, &req).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(()) => return back("/admin/group-buys"),
        Err(e) if e.status.is_client_error() && e.field.is_some() => e,
        Err(e) => return Err(e.into()),
    };
    let reader = catalog_reader(&a)?;
    let refused = FormRefusal { typed: &f, field: form_field(&e), message: message(&c, &e) };
    refused_page(list_page(&st, c, &reader, 1, Some(refused)).await?, e.status)
}

async fn stop(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    gba::stop(&st, &a, &headers, id).await?;
    back("/admin/group-buys")
}

/// An activity's groups with their members and orders.
async fn groups(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let act = st
        .store
        .group_activity(st.store.reader(), a.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("group_buy"))?;
    let list = gba::groups(
        &st,
        &a,
        GroupsQuery { activity_id: Some(id), status: None, page: Some(page), page_size: Some(20) },
    )
    .await?;
    let mut p = ListPage::new(c, &a, "menu.group_buys").heads(&[
        "gb.group",
        "gb.seats",
        "gb.deadline",
        "act.state",
        "gb.members",
    ]);
    p.intro = act.name.clone();
    if list.items.is_empty() {
        p.intro = format!("{} · {}", act.name, p.c.t("gb.no_groups"));
    }
    for g in &list.items {
        let members: Vec<String> = g
            .members
            .iter()
            .map(|m| {
                let lead = if m.leader { p.c.t("gb.leader") } else { "" };
                format!("{}{lead} #{} {}", m.nickname, m.order_id, p.c.tp("gb.member.", &m.state))
            })
            .collect();
        p.rows.push(vec![
            Cell::text(format!("#{}", g.id)),
            Cell::num(format!("{}/{}", g.paid + g.mock_seats, g.size)),
            Cell::text(view::beijing_time(g.deadline)),
            Cell::tag(p.c.label("group-status", &g.status), if g.status == "complete" { "ok" } else { "" }),
            Cell::text(members.join("；")),
        ]);
    }
    p.pager = Some(Pager::new(&format!("/admin/group-buys/{id}/groups"), page, 20, list.total));
    ok(p)
}
