//! Console pages of operations: dashboard, finance, buyers, settings, audit log.

use crate::ops::refusals::OpsRefusal;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/buyers", get(buyers))
        .route("/admin/finance", get(finance))
        .route("/admin/settings", get(settings))
        .route("/admin/settings/banned-words", post(save_banned_words))
        .route("/admin/audit", get(audit))
}

pub struct Bar {
    pub label: String,
    pub value: String,
    pub x: i64,
    pub y: i64,
    pub h: i64,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    c: Ctx,
    nav: Nav,
    sales: bool,
    /// The role may see revenue (GMV chart, 成交额, 客单价).
    revenue: bool,
    cards: Vec<(&'static str, String, String)>,
    bars: Vec<Bar>,
    low_stock: Option<i64>,
    open_aftersales: Option<i64>,
}

async fn dashboard(State(st): State<AppState>, c: Ctx, Console(a): Console<Session>) -> WebResult {
    let sales = may(&a, Permission::ReadOrders);
    let mut cards = Vec::new();
    let mut bars = Vec::new();
    let mut revenue = false;
    if sales {
        let money = MoneyView::of(&st, &a).await?;
        revenue = money.revenue;
        let f = crate::ops::stats::dashboard_figures(&st, a.merchant_id, money).await?;
        let yuan = |v: Option<i64>| view::yuan(v.unwrap_or(0));
        if revenue {
            cards.push(("dash.gmv", yuan(f.today.gmv), yuan(f.week.gmv)));
        }
        cards.push(("dash.paid_orders", f.today.paid_orders.to_string(), f.week.paid_orders.to_string()));
        cards.push(("dash.buyers", f.today.paying_buyers.to_string(), f.week.paying_buyers.to_string()));
        if revenue {
            cards.push(("dash.aov", yuan(f.today.average_order_value), yuan(f.week.average_order_value)));
            let max = f.days.iter().filter_map(|d| d.gmv).max().unwrap_or(0).max(1);
            bars = f
                .days
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let g = d.gmv.unwrap_or(0);
                    let h = g * 120 / max;
                    let label = d.date.as_deref().unwrap_or("").get(5..).unwrap_or("").to_string();
                    Bar { label, value: view::yuan(g), x: 40 + i as i64 * 60, y: 140 - h, h }
                })
                .collect();
        }
    }
    // Only the figures of pages the role may open.
    let low_stock =
        if may(&a, Permission::ReadCatalog) { Some(st.store.count_open_alerts(a.merchant_id).await?) } else { None };
    let open_aftersales =
        if may(&a, Permission::ReadOrders) { Some(st.store.count_open_aftersales(a.merchant_id).await?) } else { None };
    let nav = nav(&c, &a);
    Ok(DashboardPage { c, nav, sales, revenue, cards, bars, low_stock, open_aftersales }.render_page())
}

async fn finance(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadFinance>) -> WebResult {
    let f = crate::ops::stats::finance_figures(&st, a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "menu.finance").heads(&[
        "fin.day",
        "fin.received",
        "fin.fee",
        "fin.refunded",
        "fin.net",
        "dash.paid_orders",
    ]);
    p.intro = p.c.t("fin.intro").into();
    p.links = crate::finance::console::section_links(&p.c);
    for d in &f.days {
        p.rows.push(vec![
            Cell::text(d.date.as_deref().unwrap_or("").get(5..).unwrap_or("").to_string()),
            Cell::num(view::yuan(d.received)),
            Cell::num(view::yuan(d.fee)),
            Cell::num(view::yuan(d.refunded)),
            Cell::num(view::yuan(d.net)),
            Cell::num(d.paid_orders.to_string()),
        ]);
    }
    ok(p)
}

// ---- products -------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    page: Option<i64>,
}

async fn buyers(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebQuery(q): WebQuery<SearchQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let needle = q.q.clone().unwrap_or_default();
    let list = crate::ops::people::list_buyers(
        &st,
        &a,
        admin_ops::BuyerQuery {
            page: Some(page),
            page_size: Some(50),
            q: Some(needle.clone()).filter(|s| !s.is_empty()),
        },
    )
    .await?;
    let mut p = ListPage::new(c, &a, "menu.buyers").heads(&[
        "common.id",
        "buyer.nickname",
        "buyer.phone",
        "buyer.channel",
        "buyer.joined",
    ]);
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/buyers".into(),
        method: "get",
        fields: vec![Field::text("q", p.c.t("buyer.search"), needle.clone())],
        submit: p.c.t("common.filter").into(),
    });
    for b in &list.items {
        p.rows.push(vec![
            Cell::num(b.id.to_string()),
            Cell::text(&b.nickname),
            Cell::text(b.phone.clone().unwrap_or_default()),
            Cell::text(p.c.label("channel", &b.channel)),
            Cell::text(view::beijing_time(b.created_at)),
        ]);
    }
    p.pager = Some(Pager::new(&view::with_query("/admin/buyers", &[("q", needle)]), page, 50, list.total));
    ok(p)
}

/// An audit entry's target (`product:12`) as the page words it: `商品 #12`.
fn target_label(c: &Ctx, target: &str) -> String {
    match target.split_once(':') {
        Some((kind, id)) => format!("{} #{id}", c.label("thing", kind)),
        None => c.label("thing", target),
    }
}

/// An audit entry's change as rows of (field, before, after): the top-level fields whose values differ.
fn change_rows(
    c: &Ctx,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Vec<(String, String, String)> {
    use serde_json::{Map, Value};
    let fields = |v: Option<&Value>| match v {
        Some(Value::Object(m)) => m.clone(),
        Some(other) => Map::from_iter([("value".to_string(), other.clone())]),
        None => Map::new(),
    };
    let (b, a) = (fields(before), fields(after));
    let keys: std::collections::BTreeSet<&String> = b.keys().chain(a.keys()).collect();
    let show = |v: Option<&Value>| match v {
        None | Some(Value::Null) => "—".to_string(),
        Some(Value::String(s)) => s.chars().take(80).collect(),
        Some(Value::Bool(true)) => c.t("common.yes").to_string(),
        Some(Value::Bool(false)) => c.t("common.no").to_string(),
        Some(Value::Array(items)) if items.iter().all(|i| !i.is_object() && !i.is_array()) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join("、"),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                format!("{}：{}", c.label("audit-field", k), v.as_str().map_or_else(|| v.to_string(), str::to_string))
            })
            .collect::<Vec<_>>()
            .join("；")
            .chars()
            .take(120)
            .collect(),
        Some(other) => other.to_string().chars().take(80).collect(),
    };
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .take(30)
        .map(|k| (c.label("audit-field", k), show(b.get(k)), show(a.get(k))))
        .collect()
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    c: Ctx,
    nav: Nav,
    sandbox: bool,
    wechat_pay: bool,
    freight: Vec<ap::FreightDto>,
    banned_mode: String,
    banned_words: String,
}

async fn settings(State(st): State<AppState>, c: Ctx, Console(a): Console<ManageSettings>) -> WebResult {
    let ra = Admin::<ReadCatalog>::for_user(a.user.clone())
        .ok_or_else(|| ApiError::forbidden_because(&OpsRefusal::SettingsNeedCatalog))?;
    let fr = crate::promotions::freight::list_freight(&st, &ra).await?;
    let bw = crate::catalog::products::get_banned_words(&st, &ra).await?;
    let nav = nav(&c, &a);
    Ok(SettingsPage {
        c,
        nav,
        sandbox: st.cfg.sandbox,
        wechat_pay: st.wechat_pay.is_some(),
        freight: fr.items,
        banned_mode: bw.mode,
        banned_words: bw.words.join("\n"),
    }
    .render_page())
}

async fn save_banned_words(
    State(st): State<AppState>,
    Console(a): Console<ManageSettings>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = ac::BannedWordSettings {
        mode: f.get("mode").into(),
        words: f.get("words").lines().map(str::trim).filter(|w| !w.is_empty()).map(String::from).collect(),
    };
    let _ = crate::catalog::products::put_banned_words(&st, &a, &Call::from_headers(&headers), req).await?;
    back("/admin/settings")
}

// ---- account security (two-step verification) ------------------------------------------------------

#[derive(Deserialize)]
struct AuditQuery {
    action: Option<String>,
    page: Option<i64>,
}

async fn audit(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadAudit>,
    WebQuery(q): WebQuery<AuditQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let action = q.action.clone().unwrap_or_default();
    let list = crate::ops::people::list_audit(
        &st,
        &a,
        admin_ops::AuditQuery {
            page: Some(page),
            page_size: Some(50),
            action: Some(action.clone()).filter(|s| !s.is_empty()),
            actor_id: None,
        },
    )
    .await?;
    let mut p = ListPage::new(c, &a, "menu.audit").heads(&[
        "audit.at",
        "audit.actor",
        "audit.action",
        "audit.target",
        "audit.change",
    ]);
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/audit".into(),
        method: "get",
        fields: vec![Field::text("action", p.c.t("audit.action"), action.clone())],
        submit: p.c.t("common.filter").into(),
    });
    for e in &list.items {
        let changes = change_rows(&p.c, e.before.as_ref(), e.after.as_ref());
        p.rows.push(vec![
            Cell::text(view::beijing_time(e.at)),
            Cell::text(&e.actor_name),
            Cell::text(p.c.label("audit-action", &e.action)),
            Cell::text(target_label(&p.c, &e.target)),
            Cell::changes(changes),
        ]);
    }
    p.pager = Some(Pager::new(&view::with_query("/admin/audit", &[("action", action)]), page, 50, list.total));
    ok(p)
}
