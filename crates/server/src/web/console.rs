//! The admin console (管理后台): its frame. Each page names the permission it needs through [`Console<P>`]; the
//! menu shows only what the role may open, and a page the role may not open answers 403. The pages themselves
//! live with their domain (`catalog::console`, `orders::console`, …) and call the domain's use cases, so the
//! rules, validation and audit entries are the API's. This module holds what they share: the extractor, the
//! menu, the generic list page, form refusals.

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use minimall_core::auth::{Permission, Role};
use serde::Deserialize;

use super::csrf::Fields;
use super::i18n::Lang;
use super::view::{self, urlencode, Cell, Field, Form, Pager};
use super::{Ctx, RenderPage, WebError, WebResult};
use crate::accounts::auth::{Admin, AdminUser, ManageCatalog, Perm, ReadCatalog};
use crate::accounts::two_factor_api as atf;
use crate::error::ApiError;
use crate::error::ApiReason;
use crate::state::AppState;

/// What the console pages of every domain use.
pub(crate) mod prelude {
    pub(crate) use std::net::SocketAddr;

    pub(crate) use askama::Template;
    pub(crate) use axum::extract::{ConnectInfo, State};
    pub(crate) use axum::http::{header, HeaderMap, StatusCode};
    pub(crate) use axum::response::{IntoResponse, Redirect, Response};
    pub(crate) use axum::routing::{get, post};
    pub(crate) use axum::{Json, Router};
    pub(crate) use minimall_core::auth::{Permission, Role};
    pub(crate) use serde::Deserialize;

    pub(crate) use super::{
        back, beijing_datetime, catalog_reader, category_options, edit_form, item_head, mark_saved, may, nav, ok,
        referer_or, refusal, refusal_message, refused_page, role_label, whole_number, with_idem, Console, FormRefusal,
        ListPage, Nav, SavedQuery,
    };
    pub(crate) use crate::accounts::auth::{
        Admin, AdminUser, ManageCatalog, ManageOrders, ManageSettings, ManageUsers, MoneyView, ReadAudit, ReadBuyers,
        ReadCatalog, ReadFinance, ReadOrders, Session, VerifyPickup,
    };
    pub(crate) use crate::accounts::{admin_api as admin_auth, two_factor_api as atf, users_api as au};
    pub(crate) use crate::aftersales::api as asr;
    pub(crate) use crate::catalog::{admin_api as ac, categories_api as acat};
    pub(crate) use crate::error::ApiError;
    pub(crate) use crate::http::extract::Path;
    pub(crate) use crate::http::PageQuery;
    pub(crate) use crate::ops::api as admin_ops;
    pub(crate) use crate::orders::{admin_api as ao, pickup};
    pub(crate) use crate::promotions::{admin_api as ap, coupons_api as apc};
    pub(crate) use crate::state::AppState;
    pub(crate) use crate::usecase::Call;
    pub(crate) use crate::web::csrf::Fields;
    pub(crate) use crate::web::view::{self, Cell, Field, Form, Pager};
    pub(crate) use crate::web::{Ctx, RenderPage, WebError, WebPath, WebQuery, WebResult};
}

/// The console's pages: each domain's own, merged.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(crate::accounts::console::routes())
        .merge(crate::ops::console::routes())
        .merge(crate::finance::console::routes())
        .merge(crate::finance::books_console::routes())
        .merge(crate::catalog::console::routes())
        .merge(crate::showcase::console::routes())
        .merge(crate::stored_value::console::routes())
        .merge(crate::promotions::console::routes())
        .merge(crate::flash::console::routes())
        .merge(crate::group_buy::console::routes())
        .merge(crate::distribution::console::routes())
        .merge(crate::referral::pages::routes())
        .merge(crate::community::console::routes())
        .merge(crate::orders::console::routes())
        .merge(crate::aftersales::console::routes())
        .merge(crate::members::console::routes())
        .merge(crate::analytics::console::routes())
        .merge(crate::analytics::forecast_console::routes())
        .merge(crate::analytics::experiments_console::routes())
        .merge(crate::reviews::console::routes())
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
                    let status = atf::status_of(st, &me).await.map_err(|e| {
                        super::error_page(super::page_lang(parts), e.status, &e.message(super::page_lang(parts)))
                    })?;
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
            Err(e) => Err(super::error_page(super::page_lang(parts), e.status, &e.message(super::page_lang(parts)))),
        }
    }
}

/// The console frame: who is logged in and the menu their role may see.
pub struct Nav {
    pub username: String,
    pub role: String,
    pub menu: Vec<(&'static str, &'static str, bool)>,
}

/// Menu entries: path, message id, the permission that opens the page.
pub(crate) const MENU: &[(&str, &str, Permission)] = &[
    ("/admin", "menu.dashboard", Permission::Session),
    ("/admin/analytics", "menu.analytics", Permission::ReadOrders),
    ("/admin/forecast", "menu.forecast", Permission::ReadCatalog),
    ("/admin/markdowns", "menu.markdowns", Permission::ManageCatalog),
    ("/admin/experiments", "menu.experiments", Permission::ReadRevenue),
    ("/admin/products", "menu.products", Permission::ReadCatalog),
    ("/admin/import", "menu.import", Permission::ManageCatalog),
    ("/admin/stock", "menu.stock", Permission::ReadCatalog),
    ("/admin/categories", "menu.categories", Permission::ReadCatalog),
    ("/admin/showcase", "menu.showcase", Permission::ReadCatalog),
    ("/admin/activities", "menu.activities", Permission::ReadCatalog),
    ("/admin/coupons", "menu.coupons", Permission::ReadCatalog),
    ("/admin/flash", "menu.flash", Permission::ReadCatalog),
    ("/admin/group-buys", "menu.group_buys", Permission::ReadCatalog),
    ("/admin/promoters", "menu.promoters", Permission::ReadBuyers),
    ("/admin/promoter-applications", "menu.promoter_applications", Permission::ReadBuyers),
    ("/admin/commissions", "menu.commission_reviews", Permission::ReadBuyers),
    ("/admin/distribution", "menu.distribution", Permission::ManageMembers),
    ("/admin/promoter-withdrawals", "menu.promoter_withdrawals", Permission::ReadFinance),
    ("/admin/referrals", "menu.referrals", Permission::ReadBuyers),
    ("/admin/community", "menu.community", Permission::ReadBuyers),
    ("/admin/orders", "menu.orders", Permission::ReadOrders),
    ("/admin/aftersales", "menu.aftersales", Permission::ReadOrders),
    ("/admin/reviews", "menu.reviews", Permission::ReadOrders),
    ("/admin/stores", "menu.stores", Permission::ReadOrders),
    ("/admin/pickup", "menu.pickup", Permission::VerifyPickup),
    ("/admin/buyers", "menu.buyers", Permission::ReadBuyers),
    ("/admin/members", "menu.members", Permission::ReadBuyers),
    ("/admin/segments", "menu.segments", Permission::ReadBuyers),
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

pub(crate) fn nav(c: &Ctx, u: &AdminUser) -> Nav {
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

pub(crate) fn role_label(c: &Ctx, r: Role) -> String {
    c.label("role", r.as_str())
}

pub(crate) fn may(u: &AdminUser, p: Permission) -> bool {
    u.role.allows(p)
}

pub(crate) fn back(to: &str) -> WebResult {
    Ok(Redirect::to(to).into_response())
}

/// Where a POST came from, to go back to it.
pub(crate) fn referer_or(headers: &HeaderMap, default: &str) -> String {
    let r = headers.get(header::REFERER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let path = r.split("://").nth(1).and_then(|rest| rest.find('/').map(|i| &rest[i..])).unwrap_or("");
    super::safe_next(Some(path), default)
}

// ---- the generic list page ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin/list.html")]
pub struct ListPage {
    pub(crate) c: Ctx,
    pub(crate) nav: Nav,
    pub(crate) title: String,
    pub(crate) intro: String,
    /// A refusal that belongs to no single field of the page's form.
    pub(crate) error: String,
    pub(crate) links: Vec<(String, String)>,
    pub(crate) filters: Option<Form>,
    pub(crate) forms: Vec<Form>,
    pub(crate) bulk: Option<Form>,
    pub(crate) heads: Vec<String>,
    pub(crate) rows: Vec<Vec<Cell>>,
    pub(crate) pager: Option<Pager>,
}

impl ListPage {
    pub(crate) fn new(c: Ctx, u: &AdminUser, title_key: &str) -> ListPage {
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
    pub(crate) fn heads(mut self, keys: &[&str]) -> Self {
        self.heads = keys.iter().map(|k| if k.is_empty() { String::new() } else { self.c.t(k).to_string() }).collect();
        self
    }
}

pub(crate) fn ok(p: ListPage) -> WebResult {
    Ok(p.render_page())
}

// ---- login ----------------------------------------------------------------------------------------

pub(crate) fn category_options(c: &Ctx, rows: &[minimall_store::catalog::CategoryRow]) -> Vec<(String, String)> {
    let mut o = vec![(String::new(), c.t("common.all").to_string())];
    o.extend(
        rows.iter().map(|r| (r.id.to_string(), format!("{}{}", "· ".repeat((r.depth - 1).max(0) as usize), r.name))),
    );
    o
}

/// The idempotency key a page rendered into its form (or its button's URL), as the API wants it.
pub(crate) fn with_idem(mut headers: HeaderMap, key: &str) -> Result<HeaderMap, ApiError> {
    let v = axum::http::HeaderValue::from_str(key)
        .map_err(|_| ApiError::invalid_because("idem", &ApiReason::BadFormKey))?;
    headers.insert("idempotency-key", v);
    Ok(headers)
}

/// A refused new-sale form: what was typed, the form field at fault (or none) and the message.
pub(crate) struct FormRefusal<'a> {
    pub(crate) typed: &'a Fields,
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl FormRefusal<'_> {
    /// What was typed in field `name` when the form came back refused, else `current`.
    pub(crate) fn value(refused: &Option<FormRefusal<'_>>, name: &str, current: String) -> String {
        match refused {
            Some(r) => r.typed.get(name).to_string(),
            None => current,
        }
    }

    /// Whether checkbox `name` was ticked when the form came back refused, else `current`.
    pub(crate) fn ticked(refused: &Option<FormRefusal<'_>>, name: &str, current: bool) -> bool {
        match refused {
            Some(r) => r.typed.checked(name),
            None => current,
        }
    }

    /// The message next to the visible field it names, or as the page's error.
    pub(crate) fn place(self, fields: &mut [Field], page_error: &mut String) {
        match fields.iter_mut().find(|f| Some(f.name) == self.field.as_deref() && f.kind != "hidden") {
            Some(f) => f.error = self.message,
            None => *page_error = self.message,
        }
    }
}

/// `?saved=1` after a change went through.
#[derive(Deserialize)]
pub(crate) struct SavedQuery {
    pub(crate) saved: Option<String>,
}

/// After a form went through the API: `None` when it was taken, the refusal to show with the form again (a
/// client error other than 404), or the error page.
pub(crate) fn refusal(result: Result<(), ApiError>) -> Result<Option<ApiError>, WebError> {
    match result {
        Ok(()) => Ok(None),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => Ok(Some(e)),
        Err(e) => Err(e.into()),
    }
}

/// A page shown again with a refused form, under the refusal's status.
pub(crate) fn refused_page(p: ListPage, status: StatusCode) -> WebResult {
    let mut r = p.render_page();
    *r.status_mut() = status;
    Ok(r)
}

/// The head of an item's own page: its name after the section's title and a link back to the list.
pub(crate) fn item_head(p: &mut ListPage, name: &str, list: &str, back_key: &str) {
    p.title = format!("{} · {}", p.title, name);
    p.links.push((list.into(), p.c.t(back_key).into()));
}

/// "Saved" at the top of an item's page after a change went through.
pub(crate) fn mark_saved(p: &mut ListPage, saved: bool) {
    if saved {
        let note = p.c.t("common.saved");
        p.intro = if p.intro.is_empty() { note.into() } else { format!("{note} · {}", p.intro) };
    }
}

/// The form that changes an item, with a refusal next to its field (or at the top of the page).
pub(crate) fn edit_form(
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

/// A whole number typed in form field `k`.
pub(crate) fn whole_number(f: &Fields, k: &str) -> Result<i64, ApiError> {
    f.int(k).ok_or_else(|| ApiError::invalid_because(k.to_string(), &ApiReason::WholeNumber))
}

/// A Beijing date and time typed in form field `k`, as epoch ms.
pub(crate) fn beijing_datetime(f: &Fields, k: &str) -> Result<i64, ApiError> {
    view::parse_beijing_datetime(f.get(k)).ok_or_else(|| ApiError::invalid_because(k.to_string(), &ApiReason::DateTime))
}

/// The catalog reader's view of a catalog manager, to show a page again with a refusal.
pub(crate) fn catalog_reader(a: &Admin<ManageCatalog>) -> Result<Admin<ReadCatalog>, ApiError> {
    Admin::<ReadCatalog>::for_user(a.user.clone())
        .ok_or_else(|| ApiError::forbidden_because(&ApiReason::PageNeedsCatalog))
}

/// A message as a page shows it: in English, as a sentence with a capital.
fn sentence(lang: Lang, m: String) -> String {
    let mut chars = m.chars();
    match chars.next() {
        Some(first) if lang == Lang::En => first.to_uppercase().chain(chars).collect(),
        _ => m,
    }
}

/// An API refusal in the page's language: its reason from the catalogue (the text of one without a reason).
pub(crate) fn refusal_message(c: &Ctx, e: &ApiError) -> String {
    sentence(c.lang, e.message(c.lang))
}
