//! The console's 店铺装修 page: the home page's banners and icon grid with a phone preview, added, edited,
//! reordered, turned on and off, and removed through the showcase's use cases.

use minimall_core::catalog::showcase::LINK_KINDS;
use minimall_core::page::Page;

use super::{LinkKind, MoveDirection, NewShowcaseItem, ShowcaseItemDto, ShowcaseItemInput, ShowcaseSlot};
use crate::usecase::Call;
use crate::web::console::prelude::*;
use crate::web::view::Field;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/showcase", get(page).post(create))
        .route("/admin/showcase/{id}", get(edit_page).post(update))
        .route("/admin/showcase/{id}/up", post(move_up))
        .route("/admin/showcase/{id}/down", post(move_down))
        .route("/admin/showcase/{id}/toggle", post(toggle))
        .route("/admin/showcase/{id}/delete", post(delete))
}

#[derive(Template)]
#[template(path = "admin/showcase.html")]
struct ShowcasePage {
    c: Ctx,
    nav: Nav,
    slot: &'static str,
    intro: String,
    error: String,
    saved: bool,
    may_manage: bool,
    items: Vec<ShowcaseItemDto>,
    /// (image, title) of the entries the home page shows, for the preview.
    shown: Vec<(String, String)>,
    forms: Vec<crate::web::view::Form>,
}

#[derive(Deserialize)]
struct SlotQuery {
    slot: Option<String>,
    saved: Option<String>,
}

fn slot_of(s: Option<&str>) -> ShowcaseSlot {
    if s == Some("icons") {
        ShowcaseSlot::Icons
    } else {
        ShowcaseSlot::Carousel
    }
}

fn link_options(c: &Ctx) -> Vec<(String, String)> {
    LINK_KINDS.iter().map(|k| (k.to_string(), c.label("showcase-link", k))).collect()
}

/// The entry form: new (no item) or an item's.
fn form_fields(
    c: &Ctx,
    slot: ShowcaseSlot,
    item: Option<&ShowcaseItemDto>,
    refused: &Option<FormRefusal<'_>>,
) -> Vec<Field> {
    let v = |name: &str, d: String| FormRefusal::value(refused, name, d);
    let time = |t: Option<i64>| t.map(crate::web::view::beijing_datetime_value).unwrap_or_default();
    let kind = item.map(|i| i.link_kind.as_str()).unwrap_or("product");
    let mut fields = vec![
        Field::kind("slot", "", "hidden", slot.as_str()),
        Field::text("title", c.t("showcase.title"), v("title", item.map(|i| i.title.clone()).unwrap_or_default())),
        Field::kind(
            "image",
            c.t("showcase.image"),
            "image",
            v("image", item.map(|i| i.image.clone()).unwrap_or_default()),
        ),
        Field::select("link_kind", c.t("showcase.link_kind"), v("link_kind", kind.into()), link_options(c)),
        Field::text(
            "link_target",
            c.t("showcase.link_target"),
            v("link_target", item.and_then(|i| i.link_target.clone()).unwrap_or_default()),
        ),
        Field::kind(
            "starts_at",
            c.t("showcase.starts_at"),
            "datetime-local",
            v("starts_at", time(item.and_then(|i| i.starts_at))),
        ),
        Field::kind(
            "ends_at",
            c.t("showcase.ends_at"),
            "datetime-local",
            v("ends_at", time(item.and_then(|i| i.ends_at))),
        ),
    ];
    let on = FormRefusal::ticked(refused, "enabled", item.is_none_or(|i| i.enabled));
    fields.push(Field::kind("enabled", c.t("showcase.enabled"), "checkbox", if on { "1" } else { "0" }));
    fields
}

/// The stored kind of an entry's link, for its label.
pub(crate) fn kind_key(i: &ShowcaseItemDto) -> &'static str {
    i.link_kind.as_str()
}

/// An entry's slot as the page's address names it.
pub(crate) fn slot_key(i: &ShowcaseItemDto) -> &'static str {
    i.slot.as_str()
}

async fn render(
    st: &AppState,
    c: Ctx,
    u: &AdminUser,
    slot: ShowcaseSlot,
    saved: bool,
    refused: Option<FormRefusal<'_>>,
) -> WebResult {
    let list = super::list(st, u.merchant_id, slot, Page::parse(Some(1), Some(100))?).await?;
    let nav = nav(&c, u);
    let may_manage = may(u, Permission::ManageCatalog);
    let mut forms = vec![];
    let mut error = String::new();
    let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
    if may_manage {
        let mut fields = form_fields(&c, slot, None, &refused);
        if let Some(r) = refused {
            r.place(&mut fields, &mut error);
        }
        forms.push(crate::web::view::Form {
            id: "new-showcase",
            title: c.t(if slot == ShowcaseSlot::Icons { "showcase.new_icon" } else { "showcase.new_banner" }).into(),
            action: "/admin/showcase".into(),
            method: "post",
            fields,
            submit: c.t("common.save").into(),
        });
    }
    let intro =
        c.t(if slot == ShowcaseSlot::Icons { "showcase.intro_icons" } else { "showcase.intro_carousel" }).into();
    let now = minimall_store::now_ms();
    let shown = list
        .items
        .iter()
        .filter(|i| i.enabled && minimall_core::catalog::showcase::shows_at(i.starts_at, i.ends_at, now))
        .map(|i| (i.image.clone(), i.title.clone()))
        .collect();
    let mut r =
        ShowcasePage { c, nav, slot: slot.as_str(), intro, error, saved, may_manage, items: list.items, shown, forms }
            .render_page();
    if let Some(s) = status {
        *r.status_mut() = s;
    }
    Ok(r)
}

async fn page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<SlotQuery>,
) -> WebResult {
    render(&st, c, &a.user, slot_of(q.slot.as_deref()), q.saved.is_some(), None).await
}

/// A typed date and time, or none when the field is empty.
fn optional_time(f: &Fields, k: &str) -> Result<Option<i64>, ApiError> {
    if f.get(k).trim().is_empty() {
        Ok(None)
    } else {
        beijing_datetime(f, k).map(Some)
    }
}

fn typed_kind(f: &Fields) -> Result<LinkKind, ApiError> {
    LinkKind::parse(f.get("link_kind")).ok_or_else(|| {
        ApiError::invalid_because("link_kind", &minimall_core::error::Reason::OneOf { allowed: LINK_KINDS.join(", ") })
    })
}

fn typed_input(f: &Fields) -> Result<ShowcaseItemInput, ApiError> {
    Ok(ShowcaseItemInput {
        title: f.get("title").into(),
        image: f.get("image").trim().into(),
        link_kind: typed_kind(f)?,
        link_target: f.opt("link_target").map(str::to_string),
        enabled: f.checked("enabled"),
        starts_at: optional_time(f, "starts_at")?,
        ends_at: optional_time(f, "ends_at")?,
    })
}

fn back_to(slot: ShowcaseSlot) -> WebResult {
    back(&format!("/admin/showcase?slot={}&saved=1", slot.as_str()))
}

async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let slot = slot_of(Some(f.get("slot")));
    let result = async {
        let i = typed_input(&f)?;
        let n = NewShowcaseItem {
            slot,
            title: i.title,
            image: i.image,
            link_kind: i.link_kind,
            link_target: i.link_target,
            enabled: i.enabled,
            starts_at: i.starts_at,
            ends_at: i.ends_at,
        };
        super::create(&st, &a, &Call::from_headers(&headers), n).await
    }
    .await
    .map(|_| ());
    match refusal(result)? {
        None => back_to(slot),
        Some(e) => {
            let message = refusal_message(&c, &e);
            render(&st, c, &a.user, slot, false, Some(FormRefusal { typed: &f, field: e.field.clone(), message })).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/showcase_edit.html")]
struct EditPage {
    c: Ctx,
    nav: Nav,
    item: ShowcaseItemDto,
    error: String,
    f: crate::web::view::Form,
}

async fn edit(st: &AppState, c: Ctx, u: &AdminUser, id: i64, refused: Option<FormRefusal<'_>>) -> WebResult {
    let Some(item) = super::get(st, u.merchant_id, id).await? else {
        return Err(ApiError::not_found("showcase_item").into());
    };
    let nav = nav(&c, u);
    let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
    let mut error = String::new();
    let mut fields = form_fields(&c, item.slot, Some(&item), &refused);
    if let Some(r) = refused {
        r.place(&mut fields, &mut error);
    }
    let f = crate::web::view::Form {
        id: "edit-showcase",
        title: c.t("showcase.edit").into(),
        action: format!("/admin/showcase/{id}"),
        method: "post",
        fields,
        submit: c.t("common.save").into(),
    };
    let mut r = EditPage { c, nav, item, error, f }.render_page();
    if let Some(s) = status {
        *r.status_mut() = s;
    }
    Ok(r)
}

async fn edit_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    edit(&st, c, &a.user, id, None).await
}

async fn update(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    let result = async { super::update(&st, &a, &Call::from_headers(&headers), id, typed_input(&f)?).await }.await;
    match result {
        Ok(item) => back_to(item.slot),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let message = refusal_message(&c, &e);
            edit(&st, c, &a.user, id, Some(FormRefusal { typed: &f, field: e.field.clone(), message })).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn move_up(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let item = super::move_item(&st, &a, &Call::from_headers(&headers), id, MoveDirection::Up).await?;
    back_to(item.slot)
}

async fn move_down(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let item = super::move_item(&st, &a, &Call::from_headers(&headers), id, MoveDirection::Down).await?;
    back_to(item.slot)
}

async fn toggle(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let Some(item) = super::get(&st, a.merchant_id, id).await? else {
        return Err(ApiError::not_found("showcase_item").into());
    };
    let item = super::set_enabled(&st, &a, &Call::from_headers(&headers), id, !item.enabled).await?;
    back_to(item.slot)
}

async fn delete(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let Some(item) = super::get(&st, a.merchant_id, id).await? else {
        return Err(ApiError::not_found("showcase_item").into());
    };
    super::delete(&st, &a, &Call::from_headers(&headers), id).await?;
    back_to(item.slot)
}
