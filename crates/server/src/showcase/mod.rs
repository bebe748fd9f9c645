//! The storefront's showcase (店铺装修): the home page's image banners (轮播图) and icon grid (金刚区), set up
//! by operators in the console. The rules of an entry are `minimall_core::catalog::showcase`; here the use
//! cases check that a linked product, category or flash sale exists in the shop, keep each slot within its
//! bound and audit every change. The admin API (`api`), the console (`console`) and the home page call them.

pub mod api;
pub mod console;

use minimall_core::catalog::image::parse_image_ref;
use minimall_core::catalog::showcase::{self as rules, Link, PER_SLOT_MAX};
use minimall_core::error::Reason;
use minimall_core::page::Page;
use minimall_core::ProductId;
use minimall_store::showcase::{ShowcaseFields, ShowcaseRow};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::{Admin, ManageCatalog};
use crate::error::{thing, ApiError, ApiReason, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::audit;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

/// Where an entry shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShowcaseSlot {
    /// The image banners at the top of the home page.
    Carousel,
    /// The round icons under them.
    Icons,
}

impl ShowcaseSlot {
    pub fn as_str(self) -> &'static str {
        match self {
            ShowcaseSlot::Carousel => "carousel",
            ShowcaseSlot::Icons => "icons",
        }
    }
}

/// What tapping an entry opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    None,
    Product,
    Category,
    FlashSale,
    Coupons,
    Page,
}

impl LinkKind {
    const ALL: [LinkKind; 6] =
        [LinkKind::None, LinkKind::Product, LinkKind::Category, LinkKind::FlashSale, LinkKind::Coupons, LinkKind::Page];

    /// The kind as stored and as core's `Link` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::None => "none",
            LinkKind::Product => "product",
            LinkKind::Category => "category",
            LinkKind::FlashSale => "flash_sale",
            LinkKind::Coupons => "coupons",
            LinkKind::Page => "page",
        }
    }

    /// A stored or typed kind; `None` for a name that is not one.
    pub fn parse(s: &str) -> Option<LinkKind> {
        LinkKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An entry as the console and the admin API show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShowcaseItemDto {
    pub id: i64,
    pub slot: ShowcaseSlot,
    pub title: String,
    pub image: String,
    pub link_kind: LinkKind,
    /// The product, category or flash sale id, or the storefront path of a `page` link.
    pub link_target: Option<String>,
    /// The storefront address the entry opens.
    pub href: Option<String>,
    /// Order within the slot (smaller first).
    pub position: i64,
    pub enabled: bool,
    /// Shown from (epoch ms); none: at once.
    pub starts_at: Option<i64>,
    /// Shown until (epoch ms, exclusive); none: until turned off.
    pub ends_at: Option<i64>,
    pub updated_at: i64,
}

/// An entry as the storefront shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopShowcaseEntry {
    pub title: String,
    pub image: String,
    pub link_kind: LinkKind,
    pub link_target: Option<String>,
    /// The storefront address the entry opens (mini-programs map it to their own pages by `link_kind`).
    pub href: Option<String>,
}

/// The home page's showcase as it shows now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShopShowcase {
    pub carousel: Vec<ShopShowcaseEntry>,
    pub icons: Vec<ShopShowcaseEntry>,
}

/// A new entry, added at the end of its slot.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShowcaseItem {
    pub slot: ShowcaseSlot,
    #[schema(min_length = 1, max_length = 20)]
    pub title: String,
    /// An uploaded image (`/uploads/…`, see `POST /api/v1/admin/uploads`), a built-in placeholder or an https
    /// URL on the shop's CDN hosts. Banners show best at 750 × 300, icons at 96 × 96.
    #[schema(max_length = 500)]
    pub image: String,
    pub link_kind: LinkKind,
    #[schema(max_length = 200)]
    pub link_target: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[schema(minimum = 0)]
    pub starts_at: Option<i64>,
    #[schema(minimum = 0)]
    pub ends_at: Option<i64>,
}

/// An entry's new fields (its slot and position stay).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowcaseItemInput {
    #[schema(min_length = 1, max_length = 20)]
    pub title: String,
    #[schema(max_length = 500)]
    pub image: String,
    pub link_kind: LinkKind,
    #[schema(max_length = 200)]
    pub link_target: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[schema(minimum = 0)]
    pub starts_at: Option<i64>,
    #[schema(minimum = 0)]
    pub ends_at: Option<i64>,
}

fn yes() -> bool {
    true
}

/// Which way an entry moves within its slot.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MoveDirection {
    Up,
    Down,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    pub direction: MoveDirection,
}

fn href(r: &ShowcaseRow) -> Option<String> {
    Link::parse(&r.link_kind, r.link_target.as_deref()).ok().and_then(|l| l.href())
}

impl From<ShowcaseRow> for ShowcaseItemDto {
    fn from(r: ShowcaseRow) -> Self {
        ShowcaseItemDto {
            href: href(&r),
            id: r.id,
            slot: if r.slot == "icons" { ShowcaseSlot::Icons } else { ShowcaseSlot::Carousel },
            title: r.title,
            image: r.image,
            link_kind: LinkKind::parse(&r.link_kind).unwrap_or(LinkKind::None),
            link_target: r.link_target,
            position: r.position,
            enabled: r.enabled == 1,
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            updated_at: r.updated_at,
        }
    }
}

impl From<ShowcaseRow> for ShopShowcaseEntry {
    fn from(r: ShowcaseRow) -> Self {
        ShopShowcaseEntry {
            href: href(&r),
            title: r.title,
            image: r.image,
            link_kind: LinkKind::parse(&r.link_kind).unwrap_or(LinkKind::None),
            link_target: r.link_target,
        }
    }
}

/// What the audit log keeps of an entry.
fn audit_view(d: &ShowcaseItemDto) -> Option<serde_json::Value> {
    Some(serde_json::json!({
        "title": d.title,
        "image": d.image,
        "href": d.href,
        "enabled": d.enabled,
        "starts_at": d.starts_at,
        "ends_at": d.ends_at,
    }))
}

/// A slot's entries, in their order.
pub async fn list(
    st: &AppState,
    merchant_id: i64,
    slot: ShowcaseSlot,
    page: Page,
) -> ApiResult<Paginated<ShowcaseItemDto>> {
    let rows = st.store.showcase(merchant_id, slot.as_str(), page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(ShowcaseItemDto::from).collect(), rows.total, page))
}

/// One entry, if the shop has it.
pub async fn get(st: &AppState, merchant_id: i64, id: i64) -> ApiResult<Option<ShowcaseItemDto>> {
    Ok(st.store.showcase_entry(st.store.reader(), merchant_id, id).await?.map(ShowcaseItemDto::from))
}

/// What the home page shows now.
pub async fn live(st: &AppState, merchant_id: i64) -> ApiResult<ShopShowcase> {
    let now = minimall_store::now_ms();
    let carousel = st.store.showcase_live(merchant_id, "carousel", now, PER_SLOT_MAX).await?;
    let icons = st.store.showcase_live(merchant_id, "icons", now, PER_SLOT_MAX).await?;
    Ok(ShopShowcase {
        carousel: carousel.into_iter().map(ShopShowcaseEntry::from).collect(),
        icons: icons.into_iter().map(ShopShowcaseEntry::from).collect(),
    })
}

/// The checked fields of an entry.
struct Checked {
    title: String,
    image: String,
    link: Link,
}

async fn check(
    st: &AppState,
    merchant_id: i64,
    title: &str,
    image: &str,
    kind: LinkKind,
    target: Option<&str>,
    window: (Option<i64>, Option<i64>),
) -> ApiResult<Checked> {
    let title = rules::title(title)?.to_string();
    let image = parse_image_ref("image", image, &st.cfg.cdn_hosts)?;
    rules::window(window.0, window.1)?;
    let link = Link::parse(kind.as_str(), target)?;
    let missing =
        |what: &'static str| ApiError::invalid_because("link_target", &ApiReason::NoSuch { what: thing(what) });
    match link {
        Link::Product(id) => {
            st.store
                .product(st.store.reader(), merchant_id, ProductId::new(id))
                .await
                .map_err(|_| missing("product"))?;
        }
        Link::Category(id) => {
            if !st.store.list_categories(merchant_id).await?.iter().any(|c| c.id == id) {
                return Err(missing("category"));
            }
        }
        Link::FlashSale(id) => {
            st.store.flash_sale(st.store.reader(), merchant_id, id).await.map_err(|_| missing("flash_sale"))?;
        }
        Link::None | Link::Coupons | Link::Page(_) => {}
    }
    Ok(Checked { title, image, link })
}

fn fields<'a>(
    c: &'a Checked,
    target: &'a Option<String>,
    enabled: bool,
    window: (Option<i64>, Option<i64>),
) -> ShowcaseFields<'a> {
    ShowcaseFields {
        title: &c.title,
        image: &c.image,
        link_kind: c.link.kind(),
        link_target: target.as_deref(),
        enabled,
        starts_at: window.0,
        ends_at: window.1,
    }
}

/// Add an entry at the end of its slot (at most [`PER_SLOT_MAX`] per slot).
pub async fn create(
    st: &AppState,
    who: &Admin<ManageCatalog>,
    call: &Call,
    n: NewShowcaseItem,
) -> ApiResult<ShowcaseItemDto> {
    let window = (n.starts_at, n.ends_at);
    let c = check(st, who.merchant_id, &n.title, &n.image, n.link_kind, n.link_target.as_deref(), window).await?;
    let target = c.link.target();
    let mut tx = st.store.begin().await?;
    if st.store.showcase_count(&mut tx, who.merchant_id, n.slot.as_str()).await? >= PER_SLOT_MAX {
        return Err(ApiError::invalid_because("slot", &Reason::AtMost { max: PER_SLOT_MAX }));
    }
    let row = st
        .store
        .create_showcase_item(&mut tx, who.merchant_id, n.slot.as_str(), &fields(&c, &target, n.enabled, window))
        .await?;
    let dto = ShowcaseItemDto::from(row);
    audit(st, &mut tx, who, call, "showcase.create", format!("showcase_item:{}", dto.id), None, audit_view(&dto))
        .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(dto)
}

/// Rewrite an entry.
pub async fn update(
    st: &AppState,
    who: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    n: ShowcaseItemInput,
) -> ApiResult<ShowcaseItemDto> {
    let window = (n.starts_at, n.ends_at);
    let c = check(st, who.merchant_id, &n.title, &n.image, n.link_kind, n.link_target.as_deref(), window).await?;
    let target = c.link.target();
    let mut tx = st.store.begin().await?;
    let before = item(st, &mut tx, who.merchant_id, id).await?;
    st.store.update_showcase_item(&mut tx, who.merchant_id, id, &fields(&c, &target, n.enabled, window)).await?;
    let after = item(st, &mut tx, who.merchant_id, id).await?;
    let (before, after) = (ShowcaseItemDto::from(before), ShowcaseItemDto::from(after));
    audit(
        st,
        &mut tx,
        who,
        call,
        "showcase.update",
        format!("showcase_item:{id}"),
        audit_view(&before),
        audit_view(&after),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(after)
}

/// Turn an entry on or off, keeping the rest of it (also when what it links to has gone since).
pub async fn set_enabled(
    st: &AppState,
    who: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    enabled: bool,
) -> ApiResult<ShowcaseItemDto> {
    let mut tx = st.store.begin().await?;
    let before = item(st, &mut tx, who.merchant_id, id).await?;
    st.store.set_showcase_enabled(&mut tx, who.merchant_id, id, enabled).await?;
    let after = item(st, &mut tx, who.merchant_id, id).await?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "showcase.update",
        format!("showcase_item:{id}"),
        Some(serde_json::json!({"enabled": before.enabled == 1})),
        Some(serde_json::json!({"enabled": enabled})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(ShowcaseItemDto::from(after))
}

async fn item(st: &AppState, tx: &mut minimall_store::Tx, merchant_id: i64, id: i64) -> ApiResult<ShowcaseRow> {
    st.store.showcase_entry(&mut **tx, merchant_id, id).await?.ok_or_else(|| ApiError::not_found("showcase_item"))
}

/// Remove an entry.
pub async fn delete(st: &AppState, who: &Admin<ManageCatalog>, call: &Call, id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    let before = item(st, &mut tx, who.merchant_id, id).await?;
    st.store.delete_showcase_item(&mut tx, who.merchant_id, id).await?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "showcase.delete",
        format!("showcase_item:{id}"),
        audit_view(&ShowcaseItemDto::from(before)),
        None,
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(())
}

/// Move an entry one place up or down within its slot (no change at either end).
pub async fn move_item(
    st: &AppState,
    who: &Admin<ManageCatalog>,
    call: &Call,
    id: i64,
    d: MoveDirection,
) -> ApiResult<ShowcaseItemDto> {
    let mut tx = st.store.begin().await?;
    let row = item(st, &mut tx, who.merchant_id, id).await?;
    let moved = st.store.move_showcase_item(&mut tx, who.merchant_id, &row, matches!(d, MoveDirection::Up)).await?;
    let after = item(st, &mut tx, who.merchant_id, id).await?;
    if moved {
        let dir = if matches!(d, MoveDirection::Up) { "up" } else { "down" };
        audit(
            st,
            &mut tx,
            who,
            call,
            "showcase.move",
            format!("showcase_item:{id}"),
            Some(serde_json::json!({"position": row.position})),
            Some(serde_json::json!({"position": after.position, "direction": dir})),
        )
        .await?;
    }
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(ShowcaseItemDto::from(after))
}
