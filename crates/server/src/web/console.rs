//! The admin console (管理后台). Each page names the permission it needs through [`Console<P>`]; the menu
//! shows only what the role may open, and a page the role may not open answers 403. Actions call the admin
//! API handlers in-process, so the rules, validation and audit entries are the API's.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use minimall_core::auth::{Permission, Role};
use serde::Deserialize;

use super::csrf::Fields;
use super::view::{self, urlencode, Cell, Field, Form, Pager};
use super::{Ctx, RenderPage, WebError, WebPath, WebQuery, WebResult};
use crate::auth::{
    Admin, AdminUser, ManageCatalog, ManageOrders, ManageSettings, ManageUsers, MoneyView, Perm, ReadAudit, ReadBuyers,
    ReadCatalog, ReadFinance, ReadOrders, Session, VerifyPickup,
};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Path};
use crate::routes::{
    admin_auth, admin_catalog as ac, admin_ops, admin_orders as ao, admin_promotions as ap, admin_two_factor as atf,
    admin_users as au, aftersales as asr, pickup, PageQuery,
};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/login/code", post(login_code))
        .route("/admin/login/enrol", post(login_enrol))
        .route("/admin/security", get(security))
        .route("/admin/security/enrol", post(security_enrol))
        .route("/admin/security/confirm", post(security_confirm))
        .route("/admin/security/disable", post(security_disable))
        .route("/admin/security/policy", post(security_policy))
        .route("/admin/logout", post(logout))
        .route("/admin/products", get(products))
        .route("/admin/products/shelf", post(shelf))
        .route("/admin/products/new", get(new_product).post(create_product))
        .route("/admin/products/{id}", get(product).post(save_product))
        .route("/admin/products/{id}/skus", post(save_skus))
        .route("/admin/import", get(import_page))
        .route("/admin/stock", get(stock).post(adjust_stock_by_code))
        .route("/admin/stock/{sku_id}", post(adjust_stock))
        .route("/admin/categories", get(categories).post(create_category))
        .route("/admin/activities", get(activities).post(create_activity))
        .route("/admin/activities/{id}", get(activity).post(save_activity))
        .route("/admin/activities/{id}/end", post(end_activity))
        .route("/admin/coupons", get(coupons).post(create_coupon))
        .route("/admin/coupons/{id}", get(coupon).post(save_coupon))
        .route("/admin/coupons/{id}/stop", post(stop_coupon))
        .route("/admin/flash", get(flash).post(create_flash))
        .route("/admin/flash/{id}", get(flash_sale).post(save_flash))
        .route("/admin/flash/{id}/stop", post(stop_flash))
        .route("/admin/orders", get(orders))
        .route("/admin/orders/{id}", get(order))
        .route("/admin/orders/{id}/ship", post(ship))
        .route("/admin/aftersales", get(aftersales))
        .route("/admin/aftersales/{id}/approve", post(approve))
        .route("/admin/aftersales/{id}/reject", post(reject))
        .route("/admin/aftersales/{id}/received", post(receive_return))
        .route("/admin/stores", get(stores).post(create_store))
        .route("/admin/pickup", get(pickup_page).post(verify_pickup))
        .route("/admin/buyers", get(buyers))
        .route("/admin/finance", get(finance))
        .route("/admin/users", get(users).post(create_user))
        .route("/admin/users/{id}", post(update_user))
        .route("/admin/users/role", post(change_role))
        .route("/admin/users/{id}/two-factor-reset", post(reset_two_factor))
        .route("/admin/settings", get(settings))
        .route("/admin/settings/banned-words", post(save_banned_words))
        .route("/admin/audit", get(audit))
}

// ---- who is at the console ----------------------------------------------------------------------

/// A console user whose role grants `P`; otherwise the login page (no session) or a 403 page.
pub struct Console<P: Perm>(pub Admin<P>);

impl<P: Perm + Send + Sync> FromRequestParts<AppState> for Console<P> {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        match Admin::<P>::from_request_parts(parts, st).await {
            Ok(a) => {
                if a.role == Role::Owner && !parts.uri.path().starts_with("/admin/security") {
                    let me = atf::Enroller::from(a.user.clone());
                    let status = atf::status_of(st, &me).await.map_err(|e| super::error_page(e.status, &e.message))?;
                    if status.must_enrol {
                        return Err(Redirect::to("/admin/security").into_response());
                    }
                }
                Ok(Console(a))
            }
            Err(e) if e.status == StatusCode::UNAUTHORIZED => {
                let here = if parts.method == axum::http::Method::GET {
                    parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/admin".into())
                } else {
                    "/admin".into()
                };
                Err(Redirect::to(&format!("/admin/login?next={}", urlencode(&here))).into_response())
            }
            Err(e) => Err(super::error_page(e.status, &e.message)),
        }
    }
}

/// The console frame: who is logged in and the menu their role may see.
pub struct Nav {
    pub username: String,
    pub role: &'static str,
    pub menu: Vec<(&'static str, &'static str, bool)>,
}

/// Menu entries: path, message id, the permission that opens the page.
const MENU: &[(&str, &str, Permission)] = &[
    ("/admin", "menu.dashboard", Permission::Session),
    ("/admin/products", "menu.products", Permission::ReadCatalog),
    ("/admin/import", "menu.import", Permission::ManageCatalog),
    ("/admin/stock", "menu.stock", Permission::ReadCatalog),
    ("/admin/categories", "menu.categories", Permission::ReadCatalog),
    ("/admin/activities", "menu.activities", Permission::ReadCatalog),
    ("/admin/coupons", "menu.coupons", Permission::ReadCatalog),
    ("/admin/flash", "menu.flash", Permission::ReadCatalog),
    ("/admin/orders", "menu.orders", Permission::ReadOrders),
    ("/admin/aftersales", "menu.aftersales", Permission::ReadOrders),
    ("/admin/stores", "menu.stores", Permission::ReadOrders),
    ("/admin/pickup", "menu.pickup", Permission::VerifyPickup),
    ("/admin/buyers", "menu.buyers", Permission::ReadBuyers),
    ("/admin/finance", "menu.finance", Permission::ReadFinance),
    ("/admin/users", "menu.users", Permission::ManageUsers),
    ("/admin/settings", "menu.settings", Permission::ManageSettings),
    ("/admin/audit", "menu.audit", Permission::ReadAudit),
    ("/admin/security", "menu.security", Permission::Session),
];

/// Every console page path with the permission it needs (the crawl test walks these).
pub fn pages() -> Vec<(&'static str, Permission)> {
    MENU.iter().map(|(p, _, perm)| (*p, *perm)).collect()
}

fn nav(c: &Ctx, u: &AdminUser) -> Nav {
    let path = c.here.split('?').next().unwrap_or("");
    let menu = MENU
        .iter()
        .filter(|(_, _, p)| u.role.allows(*p))
        .map(|(href, key, _)| {
            let on = if *href == "/admin" { path == "/admin" } else { path.starts_with(href) };
            (*href, c.t(key), on)
        })
        .collect();
    Nav { username: u.username.clone(), role: role_label(c, u.role), menu }
}

fn role_label(c: &Ctx, r: Role) -> &'static str {
    c.tp("role.", r.as_str())
}

fn may(u: &AdminUser, p: Permission) -> bool {
    u.role.allows(p)
}

fn back(to: &str) -> WebResult {
    Ok(Redirect::to(to).into_response())
}

/// Where a POST came from, to go back to it.
fn referer_or(headers: &HeaderMap, default: &str) -> String {
    let r = headers.get(header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let path = r.split("://").nth(1).and_then(|rest| rest.find('/').map(|i| &rest[i..])).unwrap_or("");
    super::safe_next(Some(path), default)
}

// ---- the generic list page ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/list.html")]
pub struct ListPage {
    c: Ctx,
    nav: Nav,
    title: String,
    intro: String,
    /// A refusal that belongs to no single field of the page's form.
    error: String,
    links: Vec<(String, String)>,
    filters: Option<Form>,
    forms: Vec<Form>,
    bulk: Option<Form>,
    heads: Vec<String>,
    rows: Vec<Vec<Cell>>,
    pager: Option<Pager>,
}

impl ListPage {
    fn new(c: Ctx, u: &AdminUser, title_key: &str) -> ListPage {
        let nav = nav(&c, u);
        let title = c.t(title_key).to_string();
        ListPage {
            c,
            nav,
            title,
            intro: String::new(),
            error: String::new(),
            links: vec![],
            filters: None,
            forms: vec![],
            bulk: None,
            heads: vec![],
            rows: vec![],
            pager: None,
        }
    }
    fn heads(mut self, keys: &[&str]) -> Self {
        self.heads = keys.iter().map(|k| if k.is_empty() { String::new() } else { self.c.t(k).to_string() }).collect();
        self
    }
}

fn ok(p: ListPage) -> WebResult {
    Ok(p.render_page())
}

// ---- login ----------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/login.html")]
struct LoginPage {
    c: Ctx,
    next: String,
    error: String,
    demo: bool,
    /// `password`, `code` (the second step), `enrol` (required enrolment) or `codes` (recovery codes).
    step: &'static str,
    challenge: String,
    enrol: Option<EnrolView>,
    recovery: Vec<String>,
}

impl LoginPage {
    fn new(c: Ctx, st: &AppState, next: String) -> LoginPage {
        LoginPage {
            c,
            next,
            error: String::new(),
            demo: st.cfg.sandbox,
            step: "password",
            challenge: String::new(),
            enrol: None,
            recovery: vec![],
        }
    }
    fn with_status(self, status: StatusCode) -> Response {
        let mut r = self.render_page();
        *r.status_mut() = status;
        r
    }
}

/// An enrolment under way, as shown: the QR code, the key in groups of four, where to confirm.
pub struct EnrolView {
    qr_data_url: String,
    secret_grouped: String,
    action: &'static str,
    /// The enrolment-only token of a login that requires enrolment (empty on the security page).
    token: String,
    next: String,
    error: String,
}

impl EnrolView {
    fn new(e: &atf::EnrolmentStart, action: &'static str) -> EnrolView {
        use base64::Engine;
        let svg = e.qr_svg.split_once("?>").map(|(_, rest)| rest).unwrap_or(&e.qr_svg);
        let b64 = base64::engine::general_purpose::STANDARD.encode(svg.trim().as_bytes());
        let chars: Vec<char> = e.secret.chars().collect();
        let secret_grouped = chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ");
        EnrolView {
            qr_data_url: format!("data:image/svg+xml;base64,{b64}"),
            secret_grouped,
            action,
            token: String::new(),
            next: String::new(),
            error: String::new(),
        }
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(State(st): State<AppState>, c: Ctx, WebQuery(q): WebQuery<NextQuery>) -> WebResult {
    let next = super::safe_next(q.next.as_deref(), "/admin");
    Ok(LoginPage::new(c, &st, next).render_page())
}

/// Carry the session cookie of an API answer over to a page answer.
fn with_cookies(from: &Response, mut to: Response) -> Response {
    for v in from.headers().get_all(header::SET_COOKIE) {
        to.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    to
}

fn login_refusal(c: &Ctx, e: &ApiError) -> String {
    match e.status {
        StatusCode::TOO_MANY_REQUESTS => c.t("admin.too_many_logins").to_string(),
        StatusCode::UNAUTHORIZED => c.t("admin.wrong_login").to_string(),
        _ => e.message.clone(),
    }
}

async fn login(
    State(st): State<AppState>,
    c: Ctx,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = admin_auth::LoginRequest { username: f.get("username").into(), password: f.get("password").into() };
    let next = super::safe_next(f.opt("next"), "/admin");
    match admin_auth::login(State(st.clone()), peer, headers, ApiJson(req)).await {
        Ok(resp) if resp.status() == StatusCode::ACCEPTED => {
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16).await.map_err(ApiError::internal)?;
            let step: atf::LoginStep = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
            let mut p = LoginPage::new(c, &st, next.clone());
            if step.code == "two_factor_enrolment_required" {
                let me = atf::Enroller::from_enrol_token(&st, &step.challenge).await?;
                let Json(e) = atf::start_enrolment(State(st.clone()), me).await?;
                let mut view = EnrolView::new(&e, "/admin/login/enrol");
                view.token = step.challenge;
                view.next = next;
                p.step = "enrol";
                p.enrol = Some(view);
            } else {
                p.step = "code";
                p.challenge = step.challenge;
            }
            Ok(p.render_page())
        }
        Ok(resp) => Ok(with_cookies(&resp, Redirect::to(&next).into_response())),
        Err(e) => {
            let mut p = LoginPage::new(c, &st, next);
            p.error = login_refusal(&p.c, &e);
            Ok(p.with_status(e.status))
        }
    }
}

async fn login_code(
    State(st): State<AppState>,
    c: Ctx,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let next = super::safe_next(f.opt("next"), "/admin");
    let req = atf::LoginCodeRequest { challenge: f.get("challenge").into(), code: f.get("code").into() };
    match atf::login_code(State(st.clone()), peer, headers, ApiJson(req)).await {
        Ok(resp) => Ok(with_cookies(&resp, Redirect::to(&next).into_response())),
        Err(e) => {
            let mut p = LoginPage::new(c, &st, next);
            if e.field.as_deref() == Some("code") {
                p.step = "code";
                p.challenge = f.get("challenge").into();
                p.error = p.c.t("tfa.wrong_code").into();
            } else if e.status == StatusCode::UNAUTHORIZED {
                p.error = p.c.t("tfa.expired").into();
            } else {
                p.error = login_refusal(&p.c, &e);
            }
            Ok(p.with_status(e.status))
        }
    }
}

async fn login_enrol(
    State(st): State<AppState>,
    c: Ctx,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let next = super::safe_next(f.opt("next"), "/admin");
    let token = f.get("token").to_string();
    let mut p = LoginPage::new(c, &st, next.clone());
    let me = match atf::Enroller::from_enrol_token(&st, &token).await {
        Ok(me) => me,
        Err(e) => {
            p.error = p.c.t("tfa.expired").into();
            return Ok(p.with_status(e.status));
        }
    };
    match atf::confirm(&st, &me, &atf::client_ip(&st, peer, &headers), &headers, f.get("code")).await {
        Ok((done, cookie)) => {
            p.step = "codes";
            p.recovery = done.recovery_codes;
            let mut r = p.render_page();
            if let Some(cookie) = cookie {
                r.headers_mut().append(header::SET_COOKIE, cookie);
            }
            Ok(r)
        }
        Err(e) => {
            let Some(pending) = atf::pending_enrolment(&st, &me).await? else {
                p.error = p.c.t("tfa.expired").into();
                return Ok(p.with_status(e.status));
            };
            let mut view = EnrolView::new(&pending, "/admin/login/enrol");
            view.token = token;
            view.next = next;
            view.error = p.c.t("tfa.wrong_code").into();
            p.step = "enrol";
            p.enrol = Some(view);
            Ok(p.with_status(e.status))
        }
    }
}

async fn logout(State(st): State<AppState>, Console(a): Console<Session>, headers: HeaderMap) -> WebResult {
    let resp = admin_auth::logout(State(st), a, headers).await?;
    let mut r = Redirect::to("/admin/login").into_response();
    for v in resp.headers().get_all(header::SET_COOKIE) {
        r.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    Ok(r)
}

// ---- dashboard ------------------------------------------------------------------------------------

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
        let f = crate::routes::admin_stats::dashboard_figures(&st, a.merchant_id, money).await?;
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
    let f = crate::routes::admin_stats::finance_figures(&st, a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "menu.finance").heads(&[
        "fin.day",
        "fin.received",
        "fin.fee",
        "fin.refunded",
        "fin.net",
        "dash.paid_orders",
    ]);
    p.intro = p.c.t("fin.intro").into();
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

#[derive(Deserialize, Default)]
struct ProductsQuery {
    q: Option<String>,
    category_id: Option<String>,
    on_shelf: Option<String>,
    low_stock: Option<String>,
    page: Option<i64>,
}

fn category_options(c: &Ctx, rows: &[minimall_store::catalog::CategoryRow]) -> Vec<(String, String)> {
    let mut o = vec![(String::new(), c.t("common.all").to_string())];
    o.extend(
        rows.iter().map(|r| (r.id.to_string(), format!("{}{}", "· ".repeat((r.depth - 1).max(0) as usize), r.name))),
    );
    o
}

async fn products(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<ProductsQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let on_shelf = match q.on_shelf.as_deref() {
        Some("1") => Some(true),
        Some("0") => Some(false),
        _ => None,
    };
    let category_id = q.category_id.as_deref().and_then(|s| s.parse().ok());
    let Json(list) = ac::list_products(
        State(st.clone()),
        a.clone(),
        ApiQuery(ac::ProductQuery {
            page: Some(page),
            page_size: Some(20),
            q: q.q.clone().filter(|s| !s.trim().is_empty()),
            category_id,
            on_shelf,
            lifecycle: None,
            low_stock: q.low_stock.as_deref().map(|v| v == "1").filter(|v| *v),
        }),
    )
    .await?;
    let cats = st.store.list_categories(a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "menu.products").heads(&[
        "",
        "prod.code",
        "prod.title",
        "prod.price",
        "prod.sales",
        "prod.shelf",
        "",
    ]);
    let t = |k| p.c.t(k).to_string();
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/products".into(),
        method: "get",
        fields: vec![
            Field::text("q", &t("prod.search"), q.q.clone().unwrap_or_default()),
            Field::select(
                "category_id",
                &t("prod.category"),
                q.category_id.clone().unwrap_or_default(),
                category_options(&p.c, &cats),
            ),
            Field::select(
                "on_shelf",
                &t("prod.shelf"),
                q.on_shelf.clone().unwrap_or_default(),
                vec![(String::new(), t("common.all")), ("1".into(), t("prod.on")), ("0".into(), t("prod.off"))],
            ),
            Field::select(
                "low_stock",
                &t("menu.stock"),
                q.low_stock.clone().unwrap_or_default(),
                vec![(String::new(), t("common.all")), ("1".into(), t("prod.low_stock"))],
            ),
        ],
        submit: t("common.filter"),
    });
    if may(&a, Permission::ManageCatalog) {
        p.bulk = Some(Form {
            id: "bulk",
            title: t("prod.bulk"),
            action: "/admin/products/shelf".into(),
            method: "post",
            fields: vec![],
            submit: String::new(),
        });
        p.links.push(("/admin/products/new".into(), t("prod.new")));
        p.links.push(("/admin/import".into(), t("menu.import")));
    }
    p.links.push(("/api/v1/admin/products/export".into(), t("prod.export")));
    for it in &list.items {
        p.rows.push(vec![
            if may(&a, Permission::ManageCatalog) { Cell::check(it.id) } else { Cell::text("") },
            Cell::text(&it.code),
            Cell::link(&it.title, format!("/admin/products/{}", it.id)),
            Cell::num(if it.min_price == it.max_price {
                view::yuan(it.min_price)
            } else {
                format!("{}–{}", view::yuan(it.min_price), view::yuan(it.max_price))
            }),
            Cell::num(it.sales.to_string()),
            if it.on_shelf { Cell::tag(t("prod.on"), "ok") } else { Cell::tag(t("prod.off"), "muted") },
            Cell::link(t("common.edit"), format!("/admin/products/{}", it.id)),
        ]);
    }
    let base = view::with_query(
        "/admin/products",
        &[
            ("q", q.q.unwrap_or_default()),
            ("category_id", q.category_id.unwrap_or_default()),
            ("on_shelf", q.on_shelf.unwrap_or_default()),
            ("low_stock", q.low_stock.unwrap_or_default()),
        ],
    );
    p.pager = Some(Pager::new(&base, page, 20, list.total));
    ok(p)
}

async fn shelf(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let ids: Vec<i64> = f.all("ids").iter().filter_map(|s| s.parse().ok()).collect();
    if ids.is_empty() {
        return Err(ApiError::invalid("ids", "choose at least one product").into());
    }
    let back_to = referer_or(&headers, "/admin/products");
    let _ =
        ac::shelf(State(st), a, headers, ApiJson(ac::ShelfRequest { ids, on_shelf: f.get("on_shelf") == "1" })).await?;
    back(&back_to)
}

async fn new_product(State(st): State<AppState>, c: Ctx, Console(a): Console<ManageCatalog>) -> WebResult {
    let cats = st.store.list_categories(a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "prod.new");
    p.intro = p.c.t("prod.new_intro").into();
    let categories = category_options(&p.c, &cats).into_iter().skip(1).collect();
    p.forms.push(Form {
        id: "new-product",
        title: String::new(),
        action: "/admin/products/new".into(),
        method: "post",
        fields: vec![
            Field::kind("idem", "", "hidden", crate::auth::new_token("web_")),
            Field::text("code", p.c.t("prod.code"), ""),
            Field::select("category_id", p.c.t("prod.category"), "", categories),
            Field::text("title", p.c.t("prod.title"), ""),
            Field::text("sku_code", p.c.t("prod.sku_code"), ""),
            Field::text("original_price", p.c.t("prod.original_price"), ""),
            Field::text("sale_price", p.c.t("prod.sale_price"), ""),
            Field::kind("stock", p.c.t("stock.current"), "number", "0"),
        ],
        submit: p.c.t("common.add").into(),
    });
    ok(p)
}

/// A new product with one SKU, off the shelf; specifications and more SKUs are added on its edit page.
async fn create_product(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    mut headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let key =
        axum::http::HeaderValue::from_str(f.get("idem")).map_err(|_| ApiError::invalid("idem", "bad form key"))?;
    headers.insert("idempotency-key", key);
    let code = f.get("code").trim().to_string();
    let sku_code = f.opt("sku_code").map(|s| s.trim().to_string()).unwrap_or_else(|| format!("{code}-1"));
    let req = ac::CreateProduct {
        product: crate::catalog::ProductInput {
            code,
            category_id: f.int("category_id").unwrap_or(0),
            title: f.get("title").into(),
            subtitle: String::new(),
            description: String::new(),
            images: vec![],
            tags: vec![],
            sort: 0,
            on_shelf: false,
            lifecycle: "new".into(),
            free_shipping: false,
            earns_points: true,
            coupons_usable: true,
            purchase_limit: 0,
        },
        specs: vec![],
        skus: vec![crate::catalog::SkuInput {
            code: sku_code,
            spec: vec![],
            barcode: None,
            stock: Some(f.int("stock").unwrap_or(0)),
            original_price: view::parse_yuan("original_price", f.get("original_price"))?,
            sale_price: view::parse_yuan("sale_price", f.get("sale_price"))?,
            cost_price: None,
            weight_g: 0,
            safety_stock: 0,
            price_above_original: false,
        }],
    };
    let resp = ac::create_product(State(st), a, headers, ApiJson(req)).await?;
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.map_err(ApiError::internal)?;
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(ApiError::internal)?;
    let id = v["product"]["id"].as_i64().ok_or_else(|| ApiError::internal("created product without id"))?;
    back(&format!("/admin/products/{id}?saved=1"))
}

#[derive(Template)]
#[template(path = "admin/product.html")]
struct ProductPage {
    c: Ctx,
    nav: Nav,
    p: crate::catalog::ProductDto,
    categories: Vec<(String, String)>,
    images: String,
    tags: String,
    can_edit: bool,
    /// The role may see cost prices (the cost column is shown).
    cost: bool,
    saved: bool,
    /// Indexes of the empty rows offered for new SKUs.
    blank_rows: Vec<usize>,
    rows: usize,
}

#[derive(Deserialize)]
struct SavedQuery {
    saved: Option<String>,
}

async fn product(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<SavedQuery>,
) -> WebResult {
    let Json(p) = ac::get_product(State(st.clone()), a.clone(), Path(id)).await?;
    let cats = st.store.list_categories(a.merchant_id).await?;
    let categories = category_options(&c, &cats).into_iter().skip(1).collect();
    let nav = nav(&c, &a);
    Ok(ProductPage {
        nav,
        images: p.images.join("\n"),
        tags: p.tags.join(", "),
        categories,
        can_edit: may(&a, Permission::ManageCatalog),
        cost: MoneyView::of(&st, &a).await?.cost,
        saved: q.saved.is_some(),
        blank_rows: (p.skus.len()..p.skus.len() + 2).collect(),
        rows: p.skus.len() + 2,
        p,
        c,
    }
    .render_page())
}

async fn save_product(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let lines = |s: &str| s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect::<Vec<_>>();
    let input = crate::catalog::ProductInput {
        code: f.get("code").trim().into(),
        category_id: f.int("category_id").unwrap_or(0),
        title: f.get("title").into(),
        subtitle: f.get("subtitle").into(),
        description: f.get("description").into(),
        images: lines(f.get("images")),
        tags: f.get("tags").split([',', '，']).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect(),
        sort: f.int("sort").unwrap_or(0),
        on_shelf: f.checked("on_shelf"),
        lifecycle: f.opt("lifecycle").unwrap_or("new").into(),
        free_shipping: f.checked("free_shipping"),
        earns_points: f.checked("earns_points"),
        coupons_usable: f.checked("coupons_usable"),
        purchase_limit: f.int("purchase_limit").unwrap_or(0),
    };
    let _ = ac::update_product(State(st), a, Path(id), headers, ApiJson(input)).await?;
    back(&format!("/admin/products/{id}?saved=1"))
}

/// The SKU matrix editor posts one row per SKU (`code_N`, `spec_N`, prices in yuan, stock, safety stock)
/// and the spec dimensions as `name: v1, v2` lines.
async fn save_skus(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let specs: Vec<crate::catalog::SpecDimDto> = f
        .get("specs")
        .lines()
        .filter_map(|l| {
            let (name, values) = l.split_once([':', '：'])?;
            Some(crate::catalog::SpecDimDto {
                name: name.trim().into(),
                values: values.split([',', '，']).map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect(),
            })
        })
        .collect();
    // Without the cost permission the page has no cost column and existing SKUs keep their cost.
    let cost = MoneyView::of(&st, &a).await?.cost;
    let mut skus = Vec::new();
    for i in 0..f.int("rows").unwrap_or(0).clamp(0, 500) {
        let code = f.get(&format!("code_{i}")).trim().to_string();
        if code.is_empty() {
            continue;
        }
        let spec =
            f.get(&format!("spec_{i}")).split('/').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect();
        let price = |k: &str| view::parse_yuan(&format!("skus[{i}].{k}"), f.get(&format!("{k}_{i}")));
        skus.push(crate::catalog::SkuInput {
            code,
            spec,
            barcode: f.opt(&format!("barcode_{i}")).map(String::from),
            stock: f.int(&format!("stock_{i}")),
            original_price: price("original_price")?,
            sale_price: price("sale_price")?,
            cost_price: if cost {
                Some(f.opt(&format!("cost_price_{i}")).map(|_| price("cost_price")).transpose()?.unwrap_or(0))
            } else {
                None
            },
            weight_g: f.int(&format!("weight_g_{i}")).unwrap_or(0),
            safety_stock: f.int(&format!("safety_stock_{i}")).unwrap_or(0),
            price_above_original: false,
        });
    }
    let _ = ac::replace_skus(State(st), a, Path(id), headers, ApiJson(ac::SkuMatrix { specs, skus })).await?;
    back(&format!("/admin/products/{id}?saved=1"))
}

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    c: Ctx,
    nav: Nav,
}

async fn import_page(c: Ctx, Console(a): Console<ManageCatalog>) -> WebResult {
    let nav = nav(&c, &a);
    Ok(ImportPage { c, nav }.render_page())
}

// ---- stock, categories ----------------------------------------------------------------------------

#[derive(Deserialize)]
struct StockQuery {
    all: Option<String>,
    page: Option<i64>,
}

async fn stock(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<StockQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let open = q.all.is_none();
    let Json(list) = ac::list_alerts(
        State(st),
        a.clone(),
        ApiQuery(ac::AlertQuery { page: Some(page), page_size: Some(50), open: Some(open) }),
    )
    .await?;
    let edit = may(&a, Permission::ManageCatalog);
    let mut p = ListPage::new(c, &a, "menu.stock").heads(&[
        "prod.title",
        "prod.sku",
        "stock.current",
        "stock.threshold",
        "stock.opened",
        "stock.adjust",
    ]);
    p.intro = p.c.t("stock.intro").into();
    if edit {
        p.forms.push(Form {
            id: "adjust",
            title: p.c.t("stock.adjust_title").into(),
            action: "/admin/stock".into(),
            method: "post",
            fields: vec![
                Field::kind("idem", "", "hidden", crate::auth::new_token("web_")),
                Field::text("sku_code", p.c.t("prod.sku_code"), ""),
                Field::kind("delta", p.c.t("stock.delta"), "number", ""),
                Field::text("note", p.c.t("stock.note"), ""),
            ],
            submit: p.c.t("common.save").into(),
        });
    }
    p.links.push((
        if open { "/admin/stock?all=1" } else { "/admin/stock" }.into(),
        p.c.t(if open { "stock.show_all" } else { "stock.show_open" }).into(),
    ));
    for al in &list.items {
        p.rows.push(vec![
            Cell::link(&al.product_title, format!("/admin/products/{}", al.product_id)),
            Cell::text(&al.sku_code),
            Cell::num(al.current_stock.to_string()),
            Cell::num(al.threshold.to_string()),
            Cell::text(view::beijing_time(al.created_at)),
            if edit {
                Cell::button(
                    format!("/admin/stock/{}?delta=50&idem={}", al.sku_id, crate::auth::new_token("web_")),
                    "+50",
                )
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new(if open { "/admin/stock" } else { "/admin/stock?all=1" }, page, 50, list.total));
    ok(p)
}

#[derive(Deserialize)]
struct DeltaQuery {
    delta: Option<i64>,
    idem: Option<String>,
}

/// The idempotency key a page rendered into its form (or its button's URL), as the API wants it.
fn with_idem(mut headers: HeaderMap, key: &str) -> Result<HeaderMap, ApiError> {
    let v = axum::http::HeaderValue::from_str(key).map_err(|_| ApiError::invalid("idem", "bad form key"))?;
    headers.insert("idempotency-key", v);
    Ok(headers)
}

async fn adjust_stock(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(sku_id): WebPath<i64>,
    WebQuery(q): WebQuery<DeltaQuery>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let delta = f.int("delta").or(q.delta).ok_or_else(|| ApiError::invalid("delta", "give the change in units"))?;
    let back_to = referer_or(&headers, "/admin/stock");
    let note = f.get("note").to_string();
    let headers = with_idem(headers, f.opt("idem").or(q.idem.as_deref()).unwrap_or(""))?;
    let _ = ac::adjust_stock(
        State(st),
        a,
        Path(sku_id),
        headers,
        ApiJson(ac::StockAdjustment { delta, reason: "manual".into(), note }),
    )
    .await?;
    back(&back_to)
}

/// Adjust a SKU found by its code (what is printed on the shelf label).
async fn adjust_stock_by_code(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let code = f.get("sku_code").trim();
    let sku = st.store.sku_by_code(a.merchant_id, code).await?;
    let sku = sku.ok_or_else(|| ApiError::invalid("sku_code", "no SKU with this code"))?;
    let delta = f.int("delta").ok_or_else(|| ApiError::invalid("delta", "give the change in units"))?;
    let note = f.get("note").to_string();
    let headers = with_idem(headers, f.get("idem"))?;
    let _ = ac::adjust_stock(
        State(st),
        a,
        Path(sku.id),
        headers,
        ApiJson(ac::StockAdjustment { delta, reason: "manual".into(), note }),
    )
    .await?;
    back("/admin/stock")
}

async fn categories(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadCatalog>) -> WebResult {
    let rows = st.store.list_categories(a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "menu.categories").heads(&["cat.name", "cat.level", "cat.sort", "common.id"]);
    if may(&a, Permission::ManageCatalog) {
        let mut parents = vec![(String::new(), p.c.t("cat.top").to_string())];
        parents.extend(rows.iter().filter(|r| r.depth < 3).map(|r| (r.id.to_string(), r.name.clone())));
        p.forms.push(Form {
            id: "new-category",
            title: p.c.t("cat.new").into(),
            action: "/admin/categories".into(),
            method: "post",
            fields: vec![
                Field::text("name", p.c.t("cat.name"), ""),
                Field::select("parent_id", p.c.t("cat.parent"), "", parents),
                Field::kind("sort", p.c.t("cat.sort"), "number", "0"),
            ],
            submit: p.c.t("common.add").into(),
        });
    }
    // Tree order: each node followed by its children.
    fn walk(nodes: &[ac::CategoryNode], out: &mut Vec<Vec<Cell>>) {
        for n in nodes {
            out.push(vec![
                Cell::text(format!("{}{}", "　".repeat((n.depth - 1).max(0) as usize), n.name)),
                Cell::num(n.depth.to_string()),
                Cell::num(n.sort.to_string()),
                Cell::link(n.id.to_string(), format!("/admin/products?category_id={}", n.id)),
            ]);
            walk(&n.children, out);
        }
    }
    walk(&ac::build_tree(&rows), &mut p.rows);
    ok(p)
}

async fn create_category(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = ac::CreateCategory {
        name: f.get("name").into(),
        parent_id: f.int("parent_id"),
        sort: f.int("sort").unwrap_or(0),
    };
    let _ = ac::create_category(State(st), a, headers, ApiJson(req)).await?;
    back("/admin/categories")
}

// ---- activities, coupons, flash sales ---------------------------------------------------------------

async fn activities(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let st2 = st.clone();
    let Json(list) = ap::list_activities(
        State(st),
        a.clone(),
        ApiQuery(ap::ActivityQuery { state: None, kind: None, page: Some(page), page_size: Some(50) }),
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
            Cell::tag(p.c.tp("act.state.", &x.state), if x.state == "running" { "ok" } else { "muted" }),
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
        crate::pricing::RuleDto {
            tiers: Some(vec![crate::pricing::TierDto {
                threshold: view::parse_yuan("threshold", f.get("threshold"))?,
                off: Some(view::parse_yuan("off", f.get("off"))?),
                percent: None,
            }]),
            ..Default::default()
        }
    } else {
        crate::pricing::RuleDto { percent: f.int("percent").map(|p| p.clamp(0, 100) as u32), ..Default::default() }
    };
    let scope = match f.int("category_id") {
        Some(c) => crate::pricing::ScopeDto { categories: vec![c], ..Default::default() },
        None => crate::pricing::ScopeDto { all: true, ..Default::default() },
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
    let _ = ap::create_activity(State(st), a, headers, ApiJson(req)).await?;
    back("/admin/activities")
}

async fn end_activity(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = ap::end_activity(State(st), a, Path(id), headers).await?;
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
    let Json(x) = ap::get_activity(State(st.clone()), a.clone(), Path(id)).await?;
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
        Cell::tag(p.c.tp("act.state.", &x.state), if x.state == "running" { "ok" } else { "muted" }),
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
    let Json(current) = ap::get_activity(State(st.clone()), reader.clone(), Path(id)).await?;
    let result = match activity_update(&f, &current) {
        Ok(input) => {
            ap::update_activity(State(st.clone()), a.clone(), Path(id), headers, ApiJson(input)).await.map(|_| ())
        }
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
    let Json(list) =
        ap::list_coupons(State(st), a.clone(), ApiQuery(PageQuery { page: Some(page), page_size: Some(50) })).await?;
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
            .map(|k| (k.to_string(), p.c.tp("cp.kind.", k).to_string()))
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
            Cell::text(p.c.tp("cp.kind.", &x.kind)),
            Cell::text(coupon_rule(x)),
            Cell::num(format!("{}/{}", x.issued, x.total_quantity)),
            Cell::num(x.per_buyer_limit.to_string()),
            Cell::text(&x.status),
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
    let req = ap::CouponTemplateInput {
        name: f.get("name").into(),
        kind: f.get("kind").into(),
        threshold: yuan_or_zero("threshold")?,
        amount_off: yuan_or_zero("amount_off")?,
        percent: f.int("percent").unwrap_or(0).clamp(0, 100) as i32,
        cap: yuan_or_zero("cap")?,
        scope: crate::pricing::ScopeDto { all: true, ..Default::default() },
        valid_from: None,
        valid_until: None,
        valid_days: Some(f.int("valid_days").unwrap_or(30).clamp(1, 3650) as i32),
        total_quantity: f.int("total_quantity").unwrap_or(0),
        per_buyer_limit: f.int("per_buyer_limit").unwrap_or(1),
        claimable: true,
    };
    let _ = ap::create_coupon(State(st), a, headers, ApiJson(req)).await?;
    back("/admin/coupons")
}

async fn stop_coupon(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = ap::stop_coupon(State(st), a, Path(id), headers).await?;
    back("/admin/coupons")
}

/// A coupon's rule in one line: `¥10.00 ≥ ¥99.00`, `90% ≤ ¥20.00`.
fn coupon_rule(x: &crate::routes::shop_pricing::CouponTemplateDto) -> String {
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
    let Json(x) = ap::get_coupon(State(st.clone()), a.clone(), Path(id)).await?;
    let mut p =
        ListPage::new(c, a, "menu.coupons").heads(&["cp.kind", "cp.rule", "cp.issued", "cp.per_buyer", "cp.status"]);
    item_head(&mut p, &x.name, "/admin/coupons", "cp.back");
    mark_saved(&mut p, saved);
    p.rows.push(vec![
        Cell::text(p.c.tp("cp.kind.", &x.kind)),
        Cell::text(coupon_rule(&x)),
        Cell::num(format!("{}/{}", x.issued, x.total_quantity)),
        Cell::num(x.per_buyer_limit.to_string()),
        Cell::text(&x.status),
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
    let input = || -> Result<ap::CouponTemplateChange, ApiError> {
        Ok(ap::CouponTemplateChange {
            name: f.get("name").trim().into(),
            total_quantity: whole_number(&f, "total_quantity")?,
            per_buyer_limit: whole_number(&f, "per_buyer_limit")?,
            claimable: f.checked("claimable"),
        })
    };
    let result = match input() {
        Ok(input) => {
            ap::update_coupon(State(st.clone()), a.clone(), Path(id), headers, ApiJson(input)).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    let Some(e) = refusal(result)? else { return back(&format!("/admin/coupons/{id}?saved=1")) };
    let reader = catalog_reader(&a)?;
    let refused = FormRefusal { typed: &f, field: e.field.clone(), message: refusal_message(&c, &e) };
    refused_page(coupon_page(&st, c, &reader, id, false, Some(refused)).await?, e.status)
}

async fn flash(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    ok(flash_page(&st, c, &a, q.page.unwrap_or(1).max(1), None).await?)
}

/// Rows of SKUs the new-sale form offers.
const FLASH_ROWS: [(&str, &str, &str); 3] = [
    ("sku_code_0", "flash_price_0", "quantity_0"),
    ("sku_code_1", "flash_price_1", "quantity_1"),
    ("sku_code_2", "flash_price_2", "quantity_2"),
];

/// A refused new-sale form: what was typed, the form field at fault (or none) and the message.
struct FormRefusal<'a> {
    typed: &'a Fields,
    field: Option<String>,
    message: String,
}

impl FormRefusal<'_> {
    /// What was typed in field `name` when the form came back refused, else `current`.
    fn value(refused: &Option<FormRefusal<'_>>, name: &str, current: String) -> String {
        match refused {
            Some(r) => r.typed.get(name).to_string(),
            None => current,
        }
    }

    /// Whether checkbox `name` was ticked when the form came back refused, else `current`.
    fn ticked(refused: &Option<FormRefusal<'_>>, name: &str, current: bool) -> bool {
        match refused {
            Some(r) => r.typed.checked(name),
            None => current,
        }
    }

    /// The message next to the visible field it names, or as the page's error.
    fn place(self, fields: &mut [Field], page_error: &mut String) {
        match fields.iter_mut().find(|f| Some(f.name) == self.field.as_deref() && f.kind != "hidden") {
            Some(f) => f.error = self.message,
            None => *page_error = self.message,
        }
    }
}

/// After a form went through the API: `None` when it was taken, the refusal to show with the form again (a
/// client error other than 404), or the error page.
fn refusal(result: Result<(), ApiError>) -> Result<Option<ApiError>, WebError> {
    match result {
        Ok(()) => Ok(None),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => Ok(Some(e)),
        Err(e) => Err(e.into()),
    }
}

/// A page shown again with a refused form, under the refusal's status.
fn refused_page(p: ListPage, status: StatusCode) -> WebResult {
    let mut r = p.render_page();
    *r.status_mut() = status;
    Ok(r)
}

/// The head of an item's own page: its name after the section's title and a link back to the list.
fn item_head(p: &mut ListPage, name: &str, list: &str, back_key: &str) {
    p.title = format!("{} · {}", p.title, name);
    p.links.push((list.into(), p.c.t(back_key).into()));
}

/// "Saved" at the top of an item's page after a change went through.
fn mark_saved(p: &mut ListPage, saved: bool) {
    if saved {
        let note = p.c.t("common.saved");
        p.intro = if p.intro.is_empty() { note.into() } else { format!("{note} · {}", p.intro) };
    }
}

/// The form that changes an item, with a refusal next to its field (or at the top of the page).
fn edit_form(
    p: &mut ListPage,
    id: &'static str,
    title_key: &str,
    action: String,
    mut fields: Vec<Field>,
    refused: Option<FormRefusal<'_>>,
) {
    if let Some(r) = refused {
        r.place(&mut fields, &mut p.error);
    }
    let (title, submit) = (p.c.t(title_key).to_string(), p.c.t("common.save").to_string());
    p.forms.push(Form { id, title, action, method: "post", fields, submit });
}

/// The flash-sale list, with the new-sale form for roles that manage the catalog.
async fn flash_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadCatalog>,
    page: i64,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let Json(list) = crate::routes::flash_sales::list_flash_sales(
        State(st.clone()),
        a.clone(),
        ApiQuery(PageQuery { page: Some(page), page_size: Some(20) }),
    )
    .await?;
    let edit = may(a, Permission::ManageCatalog);
    let mut p = ListPage::new(c, a, "menu.flash").heads(&[
        "act.name",
        "prod.title",
        "act.window",
        "flash.items",
        "act.limit",
        "act.state",
        "",
    ]);
    if list.items.is_empty() {
        p.intro = p.c.t("flash.none").into();
    }
    if edit {
        let Json(products) = ac::list_products(
            State(st.clone()),
            a.clone(),
            ApiQuery(ac::ProductQuery {
                page: Some(1),
                page_size: Some(100),
                q: None,
                category_id: None,
                on_shelf: Some(true),
                lifecycle: None,
                low_stock: None,
            }),
        )
        .await?;
        let mut options = vec![(String::new(), p.c.t("flash.choose_product").to_string())];
        options.extend(products.items.iter().map(|x| (x.id.to_string(), format!("{} · {}", x.code, x.title))));
        // Whole minutes from the next one on, as the datetime-local inputs take them.
        let now = minimall_store::now_ms();
        let start = (now / 60_000 + 1) * 60_000;
        let typed = |name: &str, default: String| FormRefusal::value(&refused, name, default);
        let t = |k: &str| p.c.t(k).to_string();
        let mut fields = vec![
            Field::kind("idem", "", "hidden", crate::auth::new_token("web_")),
            Field::text("title", &t("act.name"), typed("title", String::new())),
            Field::select("product_id", &t("prod.title"), typed("product_id", String::new()), options),
        ];
        for (i, (code, price, qty)) in FLASH_ROWS.iter().enumerate() {
            let n = i + 1;
            fields.push(Field::text(code, &format!("{} {n}", t("prod.sku_code")), typed(code, String::new())));
            fields.push(Field::text(price, &format!("{} {n}", t("flash.price")), typed(price, String::new())));
            fields.push(Field::kind(qty, &format!("{} {n}", t("flash.quantity")), "number", typed(qty, String::new())));
        }
        fields.extend([
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
                typed("ends_at", view::beijing_datetime_value(start + 3_600_000)),
            ),
            Field::kind("per_buyer_limit", &t("act.limit"), "number", typed("per_buyer_limit", "1".into())),
            Field::text("shipping", &t("flash.shipping"), typed("shipping", "0".into())),
        ]);
        if let Some(r) = refused {
            r.place(&mut fields, &mut p.error);
        }
        p.forms.push(Form {
            id: "new-flash-sale",
            title: t("flash.new"),
            action: "/admin/flash".into(),
            method: "post",
            fields,
            submit: t("common.add"),
        });
    }
    for x in &list.items {
        let items: Vec<String> = x
            .items
            .iter()
            .map(|i| format!("{} {} · {}/{}", i.spec.join("/"), view::yuan(i.flash_price), i.sold, i.quantity))
            .collect();
        p.rows.push(vec![
            Cell::link(&x.title, format!("/admin/flash/{}", x.id)),
            Cell::link(&x.product_title, format!("/admin/products/{}", x.product_id)),
            Cell::text(format!("{} – {}", view::beijing_time(x.starts_at), view::beijing_time(x.ends_at))),
            Cell::text(items.join("；")),
            Cell::num(x.per_buyer_limit.to_string()),
            Cell::tag(p.c.tp("flash.state.", &x.state), if x.state == "running" { "ok" } else { "" }),
            if edit && matches!(x.state.as_str(), "upcoming" | "running") {
                Cell::button(format!("/admin/flash/{}/stop", x.id), p.c.t("flash.stop"))
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new("/admin/flash", page, 20, list.total));
    Ok(p)
}

/// The new-sale form as the API's input; `rows[k]` is the form row of `items[k]`.
async fn flash_input(
    st: &AppState,
    merchant_id: i64,
    f: &Fields,
) -> Result<(crate::routes::flash_sales::FlashSaleInput, Vec<usize>), ApiError> {
    use crate::routes::flash_sales::{FlashItemInput, FlashSaleInput};
    let product_id = f.int("product_id").ok_or_else(|| ApiError::invalid("product_id", "choose a product"))?;
    let mut items = Vec::new();
    let mut rows = Vec::new();
    for (i, (code, price, qty)) in FLASH_ROWS.iter().enumerate() {
        if f.opt(code).is_none() && f.opt(price).is_none() && f.opt(qty).is_none() {
            continue;
        }
        let at = |k: &str| format!("items[{}].{k}", items.len());
        let sku_id = match f.opt(code) {
            Some(code) => {
                st.store
                    .sku_by_code(merchant_id, code.trim())
                    .await?
                    .ok_or_else(|| ApiError::invalid(at("sku_id"), "no SKU with this code"))?
                    .id
            }
            // A product of one SKU needs no code.
            None => match st.store.skus_of(&[product_id]).await?.as_slice() {
                [only] if only.merchant_id == merchant_id => only.id,
                _ => return Err(ApiError::invalid(at("sku_id"), "give the SKU code")),
            },
        };
        let flash_price = view::parse_yuan(&at("flash_price"), f.get(price))?;
        let quantity = f.int(qty).ok_or_else(|| ApiError::invalid(at("quantity"), "must be a whole number"))?;
        items.push(FlashItemInput { sku_id, flash_price, quantity });
        rows.push(i);
    }
    let when = |k: &str| beijing_datetime(f, k);
    let per_buyer_limit = match f.opt("per_buyer_limit") {
        Some(_) => whole_number(f, "per_buyer_limit")?,
        None => 1,
    };
    let shipping = match f.opt("shipping") {
        Some(v) => view::parse_yuan("shipping", v)?,
        None => 0,
    };
    let input = FlashSaleInput {
        title: f.get("title").trim().into(),
        product_id,
        starts_at: when("starts_at")?,
        ends_at: when("ends_at")?,
        per_buyer_limit,
        shipping,
        unpaid_timeout_secs: None,
        items,
    };
    Ok((input, rows))
}

/// A whole number typed in form field `k`.
fn whole_number(f: &Fields, k: &str) -> Result<i64, ApiError> {
    f.int(k).ok_or_else(|| ApiError::invalid(k.to_string(), "must be a whole number"))
}

/// A Beijing date and time typed in form field `k`, as epoch ms.
fn beijing_datetime(f: &Fields, k: &str) -> Result<i64, ApiError> {
    view::parse_beijing_datetime(f.get(k)).ok_or_else(|| ApiError::invalid(k.to_string(), "give a date and time"))
}

/// The catalog reader's view of a catalog manager, to show a page again with a refusal.
fn catalog_reader(a: &Admin<ManageCatalog>) -> Result<Admin<ReadCatalog>, ApiError> {
    Admin::<ReadCatalog>::for_user(a.user.clone())
        .ok_or_else(|| ApiError::forbidden("this page needs the catalog permission"))
}

/// The form field an API error names: `items[k].quantity` is the quantity of the form row of item `k`.
fn flash_form_field(e: &ApiError, rows: &[usize]) -> Option<String> {
    let field = e.field.as_deref()?;
    let row = |k: usize| rows.get(k).copied().unwrap_or(k);
    if field == "items" {
        // Not enough stock to set aside (which SKU the database does not say) or no SKU at all.
        let (code, _, qty) = FLASH_ROWS[row(0).min(FLASH_ROWS.len() - 1)];
        return Some(if e.status == StatusCode::CONFLICT { qty } else { code }.into());
    }
    if let Some(rest) = field.strip_prefix("items[") {
        let (k, what) = rest.split_once("].")?;
        let (code, price, qty) = *FLASH_ROWS.get(row(k.parse().ok()?))?;
        return Some(
            match what {
                "sku_id" => code,
                "flash_price" => price,
                _ => qty,
            }
            .into(),
        );
    }
    Some(field.into())
}

/// An API refusal in the page's language; the API's own text for one without a message id.
fn refusal_message(c: &Ctx, e: &ApiError) -> String {
    let m = e.message.as_str();
    let number = || m.split(|ch: char| !ch.is_ascii_digit()).rfind(|s| !s.is_empty()).unwrap_or("").to_string();
    let (id, n) = match m {
        _ if m.starts_with("only ") && m.ends_with("in stock to set aside") => {
            ("flash.err.stock", m.split(' ').nth(1).unwrap_or("").to_string())
        }
        _ if m.starts_with("must be between 1 and ") => ("flash.err.range", number()),
        "must be below the SKU's sale price" => ("flash.err.below_price", String::new()),
        "must be at least 1 fen" => ("flash.err.min_price", String::new()),
        "must be after starts_at" => ("flash.err.after_start", String::new()),
        "a flash sale lasts at most 31 days" => ("flash.err.too_long", String::new()),
        "must be in the future" => ("flash.err.future", String::new()),
        "not a SKU of this product" => ("flash.err.not_sku", String::new()),
        "this SKU is listed twice" => ("flash.err.twice", String::new()),
        "no such product" | "choose a product" => ("flash.err.product", String::new()),
        "no SKU with this code" => ("flash.err.sku_code", String::new()),
        "give the SKU code" => ("flash.err.need_sku", String::new()),
        "give a date and time" => ("flash.err.datetime", String::new()),
        "must be a whole number" => ("flash.err.whole", String::new()),
        "must be between 60 and 86400" => ("flash.err.unpaid", String::new()),
        _ if m.starts_with("must be between 0 and ") => ("form.err.range0", number()),
        _ if m.ends_with("already issued: give at least that many, or 0 for no limit") => {
            ("cp.err.below_issued", m.split(' ').next().unwrap_or("").to_string())
        }
        "an activity runs at most 366 days" => ("act.err.too_long", String::new()),
        "must not be empty" => ("act.err.empty", String::new()),
        "must be between 0 and 100000 fen" => ("flash.err.shipping", String::new()),
        _ if m.contains("is already in flash sale") => ("flash.err.overlap", String::new()),
        _ if m.starts_with("give 1 to ") => ("flash.err.need_sku", String::new()),
        _ => return m.to_string(),
    };
    c.t(id).replace("{n}", &n)
}

/// Set up a flash sale from the console form through the API's own path; a refusal shows next to its field.
async fn create_flash(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let mut rows = Vec::new();
    let result = match flash_input(&st, a.merchant_id, &f).await {
        Ok((input, r)) => {
            rows = r;
            let headers = with_idem(headers, f.get("idem"))?;
            crate::routes::flash_sales::create_sale(&st, &a, &headers, &input).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(()) => return back("/admin/flash"),
        Err(e) if e.status.is_client_error() && (e.field.is_some() || e.status == StatusCode::CONFLICT) => e,
        Err(e) => return Err(e.into()),
    };
    let reader = catalog_reader(&a)?;
    let refused = FormRefusal { typed: &f, field: flash_form_field(&e, &rows), message: refusal_message(&c, &e) };
    refused_page(flash_page(&st, c, &reader, 1, Some(refused)).await?, e.status)
}

async fn flash_sale(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<SavedQuery>,
) -> WebResult {
    ok(flash_sale_page(&st, c, &a, id, q.saved.is_some(), None).await?)
}

/// One sale: its SKUs with the database's and the gate's counts, and the form that changes its terms while it
/// has not ended (units are set when the sale is created).
async fn flash_sale_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadCatalog>,
    id: i64,
    saved: bool,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let Json(x) = crate::routes::flash_sales::get_flash_sale(State(st.clone()), a.clone(), Path(id)).await?;
    let mut p = ListPage::new(c, a, "menu.flash").heads(&[
        "prod.sku",
        "flash.price",
        "prod.sale_price",
        "flash.quantity",
        "flash.sold",
        "flash.gate_remaining",
    ]);
    item_head(&mut p, &x.sale.title, "/admin/flash", "flash.back");
    p.intro = format!(
        "{} · {} – {} · {} {} · {} {}",
        p.c.tp("flash.state.", &x.sale.state),
        view::beijing_time(x.sale.starts_at),
        view::beijing_time(x.sale.ends_at),
        p.c.t("flash.live_orders"),
        x.live_orders,
        p.c.t("flash.live_units"),
        x.live_units,
    );
    mark_saved(&mut p, saved);
    for i in &x.sale.items {
        let gate = x.gate_remaining.iter().find(|g| g.sku_id == i.sku_id).map(|g| g.remaining);
        p.rows.push(vec![
            Cell::text(i.spec.join("/")),
            Cell::num(view::yuan(i.flash_price)),
            Cell::num(view::yuan(i.sale_price)),
            Cell::num(i.quantity.to_string()),
            Cell::num(i.sold.to_string()),
            Cell::num(gate.map(|g| g.to_string()).unwrap_or_default()),
        ]);
    }
    if may(a, Permission::ManageCatalog) && matches!(x.sale.state.as_str(), "upcoming" | "running" | "sold_out") {
        let typed = |name: &str, current: String| FormRefusal::value(&refused, name, current);
        let t = |k: &str| p.c.t(k).to_string();
        let fields = vec![
            Field::text("title", &t("act.name"), typed("title", x.sale.title.clone())),
            Field::kind(
                "starts_at",
                &t("flash.starts_at"),
                "datetime-local",
                typed("starts_at", view::beijing_datetime_value(x.sale.starts_at)),
            ),
            Field::kind(
                "ends_at",
                &t("flash.ends_at"),
                "datetime-local",
                typed("ends_at", view::beijing_datetime_value(x.sale.ends_at)),
            ),
            Field::kind(
                "per_buyer_limit",
                &t("act.limit"),
                "number",
                typed("per_buyer_limit", x.sale.per_buyer_limit.to_string()),
            ),
            Field::text("shipping", &t("flash.shipping"), typed("shipping", view::yuan(x.sale.shipping))),
            Field::kind(
                "unpaid_minutes",
                &t("flash.unpaid_minutes"),
                "number",
                typed("unpaid_minutes", (x.sale.unpaid_timeout_secs / 60).to_string()),
            ),
        ];
        edit_form(&mut p, "edit-flash-sale", "flash.edit", format!("/admin/flash/{id}"), fields, refused);
    }
    Ok(p)
}

/// The edit form as the API's input.
fn flash_update(f: &Fields) -> Result<crate::routes::flash_sales::FlashSaleUpdate, ApiError> {
    let when = |k: &str| beijing_datetime(f, k);
    let minutes = whole_number(f, "unpaid_minutes")?;
    Ok(crate::routes::flash_sales::FlashSaleUpdate {
        title: f.get("title").trim().into(),
        starts_at: when("starts_at")?,
        ends_at: when("ends_at")?,
        per_buyer_limit: whole_number(f, "per_buyer_limit")?,
        shipping: view::parse_yuan("shipping", f.get("shipping"))?,
        unpaid_timeout_secs: Some(minutes.saturating_mul(60)),
    })
}

/// Change a sale's terms through the API's own path; a refusal shows next to its field.
async fn save_flash(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let result = match flash_update(&f) {
        Ok(input) => crate::routes::flash_sales::update_flash_sale(
            State(st.clone()),
            a.clone(),
            headers,
            Path(id),
            ApiJson(input),
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    let Some(e) = refusal(result)? else { return back(&format!("/admin/flash/{id}?saved=1")) };
    let reader = catalog_reader(&a)?;
    let field = e.field.as_deref().map(|f| if f == "unpaid_timeout_secs" { "unpaid_minutes" } else { f }.to_string());
    let refused = FormRefusal { typed: &f, field, message: refusal_message(&c, &e) };
    refused_page(flash_sale_page(&st, c, &reader, id, false, Some(refused)).await?, e.status)
}

async fn stop_flash(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = crate::routes::flash_sales::stop_flash_sale(State(st), a, headers, Path(id)).await?;
    back("/admin/flash")
}

// ---- orders and after-sales -------------------------------------------------------------------------

#[derive(Deserialize)]
struct OrdersQuery {
    status: Option<String>,
    order_no: Option<String>,
    /// `YYYY-MM-DD`, Beijing days, both included.
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

const ORDER_STATUSES: &[&str] =
    &["pending_payment", "to_ship", "partially_shipped", "shipped", "received", "completed", "cancelled", "closed"];

async fn orders(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebQuery(q): WebQuery<OrdersQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let status = q.status.clone().unwrap_or_default();
    let order_no = q.order_no.clone().unwrap_or_default().trim().to_string();
    let from_s = q.from.clone().unwrap_or_default();
    let to_s = q.to.clone().unwrap_or_default();
    let from = view::parse_day(&from_s).map(view::day_start_ms);
    let to = view::parse_day(&to_s).map(|d| view::day_start_ms(d + 1));
    let query = |page| ao::OrderQuery {
        status: Some(status.clone()),
        buyer_id: None,
        product_id: None,
        from,
        to,
        order_no: Some(order_no.clone()).filter(|s| !s.is_empty()),
        page,
        page_size: Some(20),
    };
    let revenue = MoneyView::of(&st, &a).await?.revenue;
    let Json(list) = ao::list_orders(&st, &a, query(Some(page))).await?;
    let heads: &[&str] = if revenue {
        &["order.no", "order.buyer", "order.goods", "order.payable", "order.status", "order.created", ""]
    } else {
        &["order.no", "order.buyer", "order.goods", "order.status", "order.created", ""]
    };
    let mut p = ListPage::new(c, &a, "menu.orders").heads(heads);
    let mut opts = vec![(String::new(), p.c.t("common.all").to_string())];
    opts.extend(ORDER_STATUSES.iter().map(|s| (s.to_string(), p.c.status(s).to_string())));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/orders".into(),
        method: "get",
        fields: vec![
            Field::text("order_no", p.c.t("order.no"), order_no.clone()),
            Field::select("status", p.c.t("order.status"), status.clone(), opts),
            Field::kind("from", p.c.t("order.from"), "date", from_s.clone()),
            Field::kind("to", p.c.t("order.to"), "date", to_s.clone()),
        ],
        submit: p.c.t("common.filter").into(),
    });
    p.links.push((
        view::with_query(
            "/api/v1/admin/orders/export",
            &[
                ("status", status.clone()),
                ("order_no", order_no.clone()),
                ("from", from.map(|v| v.to_string()).unwrap_or_default()),
                ("to", to.map(|v| v.to_string()).unwrap_or_default()),
            ],
        ),
        p.c.t("order.export").into(),
    ));
    for o in &list.items {
        let goods: Vec<String> = o.lines.iter().map(|l| format!("{} ×{}", l.title, l.quantity)).collect();
        let mut row = vec![
            Cell::link(&o.order_no, format!("/admin/orders/{}", o.id)),
            Cell::num(o.buyer_id.to_string()),
            Cell::text(goods.join("；")),
        ];
        if revenue {
            row.push(Cell::num(view::yuan(o.payable)));
        }
        row.extend([
            Cell::tag(p.c.status(&o.status), if o.status == "to_ship" { "warn" } else { "" }),
            Cell::text(view::beijing_time(o.created_at)),
            Cell::link(p.c.t("common.view"), format!("/admin/orders/{}", o.id)),
        ]);
        p.rows.push(row);
    }
    let base = view::with_query(
        "/admin/orders",
        &[("status", status), ("order_no", order_no), ("from", from_s), ("to", to_s)],
    );
    p.pager = Some(Pager::new(&base, page, 20, list.total));
    ok(p)
}

#[derive(Template)]
#[template(path = "admin/order.html")]
struct OrderPage {
    c: Ctx,
    nav: Nav,
    d: ao::OrderDetail,
    /// The role may see revenue: the order's amounts are shown.
    revenue: bool,
    can_ship: bool,
    /// The delivery address as one line.
    address: String,
}

async fn order(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let revenue = MoneyView::of(&st, &a).await?.revenue;
    let Json(d) = ao::order_detail(&st, &a, id).await?;
    let can_ship = may(&a, Permission::ManageOrders)
        && matches!(d.order.status.as_str(), "to_ship" | "partially_shipped")
        && d.order.delivery != "pickup";
    let address = d.order.address.as_ref().map(view::address_line).unwrap_or_default();
    let nav = nav(&c, &a);
    Ok(OrderPage { c, nav, d, revenue, can_ship, address }.render_page())
}

async fn ship(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req =
        ao::ShipRequest { carrier: f.get("carrier").into(), tracking_no: f.get("tracking_no").into(), lines: None };
    let _ = ao::ship(State(st), a, Path(id), headers, ApiJson(req)).await?;
    back(&format!("/admin/orders/{id}"))
}

#[derive(Deserialize)]
struct AftersalesQuery {
    status: Option<String>,
    page: Option<i64>,
}

async fn aftersales(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebQuery(q): WebQuery<AftersalesQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let status = q.status.clone().unwrap_or_default();
    let Json(list) = asr::queue(
        State(st),
        a.clone(),
        ApiQuery(asr::AftersaleQuery {
            status: Some(status.clone()).filter(|s| !s.is_empty()),
            page: Some(page),
            page_size: Some(20),
        }),
    )
    .await?;
    let manage = may(&a, Permission::ManageOrders);
    let mut p = ListPage::new(c, &a, "menu.aftersales").heads(&[
        "common.id",
        "order.no",
        "as.kind",
        "as.reason",
        "as.amount",
        "order.status",
        "order.created",
        "",
        "",
    ]);
    let mut opts = vec![(String::new(), p.c.t("common.all").to_string())];
    opts.extend(
        ["pending", "approved", "returning", "refunded", "exchanged", "rejected", "cancelled"]
            .iter()
            .map(|s| (s.to_string(), p.c.tp("aftersale.s.", s).to_string())),
    );
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/aftersales".into(),
        method: "get",
        fields: vec![Field::select("status", p.c.t("order.status"), status.clone(), opts)],
        submit: p.c.t("common.filter").into(),
    });
    for x in &list.items {
        let (b1, b2) = if !manage {
            (Cell::text(""), Cell::text(""))
        } else {
            match x.status.as_str() {
                "pending" => (
                    Cell::button(format!("/admin/aftersales/{}/approve", x.id), p.c.t("as.approve")),
                    Cell::button(format!("/admin/aftersales/{}/reject", x.id), p.c.t("as.reject")),
                ),
                "returning" => {
                    (Cell::button(format!("/admin/aftersales/{}/received", x.id), p.c.t("as.received")), Cell::text(""))
                }
                _ => (Cell::text(""), Cell::text("")),
            }
        };
        p.rows.push(vec![
            Cell::num(x.id.to_string()),
            Cell::link(format!("#{}", x.order_id), format!("/admin/orders/{}", x.order_id)),
            Cell::text(p.c.tp("aftersale.", &x.kind)),
            Cell::text(&x.reason),
            Cell::num(view::yuan(x.amount)),
            Cell::tag(p.c.tp("aftersale.s.", &x.status), if x.status == "pending" { "warn" } else { "" }),
            Cell::text(view::beijing_time(x.created_at)),
            b1,
            b2,
        ]);
    }
    p.pager = Some(Pager::new(&view::with_query("/admin/aftersales", &[("status", status)]), page, 20, list.total));
    ok(p)
}

async fn approve(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = asr::approve(State(st), a, Path(id), headers).await?;
    back("/admin/aftersales")
}

async fn reject(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let reason = f.opt("reason").unwrap_or("不符合售后条件").to_string();
    let _ = asr::reject(State(st), a, Path(id), headers, ApiJson(asr::RejectRequest { reason })).await?;
    back("/admin/aftersales")
}

async fn receive_return(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = asr::receive_return(State(st), a, Path(id), headers).await?;
    back("/admin/aftersales")
}

// ---- stores and pick-up -----------------------------------------------------------------------------

async fn stores(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadOrders>) -> WebResult {
    let Json(list) = pickup::admin_stores(State(st), a.clone()).await?;
    let mut p = ListPage::new(c, &a, "menu.stores").heads(&[
        "store.name",
        "store.address",
        "store.phone",
        "store.hours",
        "store.active",
    ]);
    if may(&a, Permission::ManageSettings) {
        p.forms.push(Form {
            id: "new-store",
            title: p.c.t("store.new").into(),
            action: "/admin/stores".into(),
            method: "post",
            fields: vec![
                Field::text("name", p.c.t("store.name"), ""),
                Field::text("address", p.c.t("store.address"), ""),
                Field::text("phone", p.c.t("store.phone"), ""),
                Field::text("hours", p.c.t("store.hours"), ""),
            ],
            submit: p.c.t("common.add").into(),
        });
    }
    if may(&a, Permission::VerifyPickup) {
        p.links.push(("/admin/pickup".into(), p.c.t("menu.pickup").into()));
    }
    for s in &list.items {
        p.rows.push(vec![
            Cell::text(&s.name),
            Cell::text(&s.address),
            Cell::text(&s.phone),
            Cell::text(&s.hours),
            Cell::text(p.c.t(if s.active { "common.yes" } else { "common.no" })),
        ]);
    }
    ok(p)
}

async fn create_store(
    State(st): State<AppState>,
    Console(a): Console<ManageSettings>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = pickup::StoreInput {
        name: f.get("name").into(),
        address: f.get("address").into(),
        phone: f.get("phone").into(),
        hours: f.get("hours").into(),
    };
    let _ = pickup::create_store(State(st), a, headers, ApiJson(req)).await?;
    back("/admin/stores")
}

async fn pickup_page(c: Ctx, Console(a): Console<VerifyPickup>) -> WebResult {
    let mut p = ListPage::new(c, &a, "menu.pickup");
    p.intro = p.c.t("pickup.intro").into();
    p.forms.push(Form {
        id: "verify",
        title: p.c.t("pickup.verify").into(),
        action: "/admin/pickup".into(),
        method: "post",
        fields: vec![Field::text("code", p.c.t("pickup.code"), "")],
        submit: p.c.t("pickup.verify").into(),
    });
    ok(p)
}

async fn verify_pickup(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<VerifyPickup>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let Json(o) = pickup::verify(
        State(st),
        a.clone(),
        headers,
        ApiJson(pickup::VerifyRequest { code: f.get("code").trim().into() }),
    )
    .await?;
    let mut p = ListPage::new(c, &a, "menu.pickup").heads(&["order.no", "order.goods", "order.status"]);
    p.intro = p.c.t("pickup.done").into();
    let goods: Vec<String> = o.lines.iter().map(|l| format!("{} ×{}", l.title, l.quantity)).collect();
    p.rows.push(vec![Cell::text(&o.order_no), Cell::text(goods.join("；")), Cell::text(p.c.status(&o.status))]);
    p.links.push(("/admin/pickup".into(), p.c.t("pickup.next").into()));
    ok(p)
}

// ---- buyers, users, settings, audit -----------------------------------------------------------------

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
    let Json(list) = admin_ops::list_buyers(
        State(st),
        a.clone(),
        ApiQuery(admin_ops::BuyerQuery {
            page: Some(page),
            page_size: Some(50),
            q: Some(needle.clone()).filter(|s| !s.is_empty()),
        }),
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
            Cell::text(&b.channel),
            Cell::text(view::beijing_time(b.created_at)),
        ]);
    }
    p.pager = Some(Pager::new(&view::with_query("/admin/buyers", &[("q", needle)]), page, 50, list.total));
    ok(p)
}

async fn users(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageUsers>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let Json(list) = au::list_users(
        State(st.clone()),
        a.clone(),
        ApiQuery(au::UserListQuery { page: Some(page), page_size: Some(50), role: None }),
    )
    .await?;
    let mut p =
        ListPage::new(c, &a, "menu.users").heads(&["user.username", "user.display", "user.role", "user.state", "", ""]);
    let roles: Vec<(String, String)> =
        Role::ALL.iter().map(|r| (r.as_str().to_string(), role_label(&p.c, *r).to_string())).collect();
    p.intro = p.c.t("user.intro").into();
    p.forms.push(Form {
        id: "new-user",
        title: p.c.t("user.new").into(),
        action: "/admin/users".into(),
        method: "post",
        fields: vec![
            Field::text("username", p.c.t("user.username"), ""),
            Field::text("display_name", p.c.t("user.display"), ""),
            Field::kind("password", p.c.t("user.password"), "password", ""),
            Field::select("role", p.c.t("user.role"), "operator", roles.clone()),
        ],
        submit: p.c.t("common.add").into(),
    });
    let others: Vec<(String, String)> = list
        .items
        .iter()
        .filter(|u| u.id != a.id)
        .map(|u| (u.id.to_string(), format!("{} ({})", u.username, u.display_name)))
        .collect();
    p.forms.push(Form {
        id: "change-role",
        title: p.c.t("user.change_role").into(),
        action: "/admin/users/role".into(),
        method: "post",
        fields: vec![
            Field::select("id", p.c.t("user.username"), "", others),
            Field::select("role", p.c.t("user.role"), "operator", roles.clone()),
        ],
        submit: p.c.t("common.save").into(),
    });
    let two_factor = st.store.two_factor_admin_ids(a.merchant_id).await?;
    for u in &list.items {
        let me = u.id == a.id;
        p.rows.push(vec![
            Cell::text(&u.username),
            Cell::text(&u.display_name),
            Cell::text(u.role.parse::<Role>().map(|r| role_label(&p.c, r)).unwrap_or("")),
            if u.disabled {
                Cell::tag(p.c.t("user.disabled"), "muted")
            } else {
                Cell::tag(p.c.t("user.enabled"), "ok")
            },
            if me {
                Cell::text("")
            } else if u.disabled {
                Cell::button(format!("/admin/users/{}?disabled=0", u.id), p.c.t("user.enable"))
            } else {
                Cell::button(format!("/admin/users/{}?disabled=1", u.id), p.c.t("user.disable"))
            },
            if !me && two_factor.contains(&u.id) {
                Cell::button(format!("/admin/users/{}/two-factor-reset", u.id), p.c.t("tfa.reset"))
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new("/admin/users", page, 50, list.total));
    ok(p)
}

async fn create_user(
    State(st): State<AppState>,
    Console(a): Console<ManageUsers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = au::CreateUserRequest {
        username: f.get("username").into(),
        display_name: f.opt("display_name").map(String::from),
        password: f.get("password").into(),
        role: f.get("role").into(),
    };
    let _ = au::create_user(State(st), a, headers, ApiJson(req)).await?;
    back("/admin/users")
}

#[derive(Deserialize)]
struct UserChange {
    disabled: Option<String>,
    role: Option<String>,
}

async fn update_user(
    State(st): State<AppState>,
    Console(a): Console<ManageUsers>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<UserChange>,
    headers: HeaderMap,
) -> WebResult {
    let req = au::UpdateUserRequest { role: q.role, disabled: q.disabled.map(|d| d == "1") };
    let _ = au::update_user(State(st), a, Path(id), headers, ApiJson(req)).await?;
    back("/admin/users")
}

async fn change_role(
    State(st): State<AppState>,
    Console(a): Console<ManageUsers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let id = f.int("id").ok_or_else(|| ApiError::invalid("id", "choose a user"))?;
    let req = au::UpdateUserRequest { role: f.opt("role").map(String::from), disabled: None };
    let _ = au::update_user(State(st), a, Path(id), headers, ApiJson(req)).await?;
    back("/admin/users")
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
        .ok_or_else(|| ApiError::forbidden("reading settings needs the catalog permission"))?;
    let Json(fr) = ap::list_freight(State(st.clone()), ra.clone()).await?;
    let Json(bw) = ac::get_banned_words(State(st.clone()), ra).await?;
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
    let _ = ac::put_banned_words(State(st), a, headers, ApiJson(req)).await?;
    back("/admin/settings")
}

// ---- account security (two-step verification) ------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/security.html")]
struct SecurityPage {
    c: Ctx,
    nav: Nav,
    error: String,
    enabled: bool,
    must_enrol: bool,
    codes_left: i64,
    owner: bool,
    owner_required: bool,
    enrol: Option<EnrolView>,
    recovery: Vec<String>,
}

async fn security_page(st: &AppState, c: Ctx, a: &AdminUser) -> Result<SecurityPage, WebError> {
    let me = atf::Enroller::from(a.clone());
    let s = atf::status_of(st, &me).await?;
    let nav = nav(&c, a);
    Ok(SecurityPage {
        c,
        nav,
        error: String::new(),
        enabled: s.enabled,
        must_enrol: s.must_enrol,
        codes_left: s.recovery_codes_left,
        owner: a.role == Role::Owner,
        owner_required: s.owner_required,
        enrol: None,
        recovery: vec![],
    })
}

fn refused(mut p: SecurityPage, status: StatusCode, error: String) -> WebResult {
    p.error = error;
    let mut r = p.render_page();
    *r.status_mut() = status;
    Ok(r)
}

async fn security(State(st): State<AppState>, c: Ctx, Console(a): Console<Session>) -> WebResult {
    Ok(security_page(&st, c, &a).await?.render_page())
}

async fn security_enrol(State(st): State<AppState>, c: Ctx, Console(a): Console<Session>) -> WebResult {
    let mut p = security_page(&st, c, &a).await?;
    match atf::start_enrolment(State(st.clone()), atf::Enroller::from(a.user.clone())).await {
        Ok(Json(e)) => {
            p.enrol = Some(EnrolView::new(&e, "/admin/security/confirm"));
            Ok(p.render_page())
        }
        Err(e) => {
            let msg = p.c.t("tfa.already_on").to_string();
            refused(p, e.status, msg)
        }
    }
}

async fn security_confirm(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<Session>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let me = atf::Enroller::from(a.user.clone());
    match atf::confirm(&st, &me, &atf::client_ip(&st, peer, &headers), &headers, f.get("code")).await {
        Ok((done, _)) => {
            let mut p = security_page(&st, c, &a).await?;
            p.recovery = done.recovery_codes;
            Ok(p.render_page())
        }
        Err(e) => {
            let mut p = security_page(&st, c, &a).await?;
            if let Some(pending) = atf::pending_enrolment(&st, &me).await? {
                let mut view = EnrolView::new(&pending, "/admin/security/confirm");
                view.error = p.c.t("tfa.wrong_code").into();
                p.enrol = Some(view);
                let mut r = p.render_page();
                *r.status_mut() = e.status;
                return Ok(r);
            }
            let msg = p.c.t("tfa.already_on").to_string();
            refused(p, e.status, msg)
        }
    }
}

async fn security_disable(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<Session>,
    peer: ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = atf::CodeRequest { code: f.get("code").into() };
    match atf::disable(State(st.clone()), peer, a.clone(), headers, ApiJson(req)).await {
        Ok(_) => back("/admin/security"),
        Err(e) => {
            let p = security_page(&st, c, &a).await?;
            let msg = match e.status {
                StatusCode::TOO_MANY_REQUESTS => p.c.t("admin.too_many_logins").to_string(),
                _ => p.c.t("tfa.wrong_code").to_string(),
            };
            refused(p, e.status, msg)
        }
    }
}

async fn security_policy(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<Session>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = atf::TwoFactorPolicy { owner_required: f.get("owner_required") == "1" };
    match atf::put_policy(State(st.clone()), a.clone(), headers, ApiJson(req)).await {
        Ok(_) => back("/admin/security"),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let p = security_page(&st, c, &a).await?;
            let msg = p.c.t("tfa.policy_needs_self").to_string();
            refused(p, e.status, msg)
        }
        Err(e) => Err(e.into()),
    }
}

async fn reset_two_factor(
    State(st): State<AppState>,
    Console(a): Console<ManageUsers>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = atf::reset(State(st), a, Path(id), headers).await?;
    back("/admin/users")
}

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
    let Json(list) = admin_ops::list_audit(
        State(st),
        a.clone(),
        ApiQuery(admin_ops::AuditQuery {
            page: Some(page),
            page_size: Some(50),
            action: Some(action.clone()).filter(|s| !s.is_empty()),
            actor_id: None,
        }),
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
        let change = match (&e.before, &e.after) {
            (Some(b), Some(a)) => format!("{b} → {a}"),
            (None, Some(a)) => a.to_string(),
            (Some(b), None) => format!("{b} → ∅"),
            _ => String::new(),
        };
        p.rows.push(vec![
            Cell::text(view::beijing_time(e.at)),
            Cell::text(&e.actor_name),
            Cell::text(&e.action),
            Cell::text(&e.target),
            Cell::tag(change.chars().take(200).collect::<String>(), "small"),
        ]);
    }
    p.pager = Some(Pager::new(&view::with_query("/admin/audit", &[("action", action)]), page, 50, list.total));
    ok(p)
}
