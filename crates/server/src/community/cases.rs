//! Community use cases: the console's groups (create, change, close), their members, members-only coupons and
//! pushes, each group's figures; the buyer's joining, leaving, claiming a group's coupon and reading its feed.

use minimall_core::page::Page;
use minimall_core::social::community::{self as cm, PushKind, Refusal};
use minimall_store::community::{CommunityGroupRow, CommunityPushRow, GroupFields, GroupFigures};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::refused;
use crate::accounts::auth::{Admin, Buyer, ManageMembers, ReadBuyers};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::audit;
use crate::promotions::shop_api::{CouponDto, CouponTemplateDto};
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

// ---- wire types ---------------------------------------------------------------------------------

/// A group is active (members join, its coupons are claimed) or closed (nothing new; its figures stay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommunityGroupStatus {
    Active,
    Closed,
}

impl CommunityGroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CommunityGroupStatus::Active => "active",
            CommunityGroupStatus::Closed => "closed",
        }
    }
}

/// What a push carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommunityPushKind {
    Coupon,
    FlashSale,
    Product,
}

impl CommunityPushKind {
    pub fn code(self) -> &'static str {
        PushKind::from(self).code()
    }
}

impl From<CommunityPushKind> for PushKind {
    fn from(k: CommunityPushKind) -> Self {
        match k {
            CommunityPushKind::Coupon => PushKind::Coupon,
            CommunityPushKind::FlashSale => PushKind::FlashSale,
            CommunityPushKind::Product => PushKind::Product,
        }
    }
}

/// A group's owner: a promoter of the shop.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityOwnerDto {
    pub promoter_id: i64,
    pub nickname: String,
    /// The promoter's public code.
    pub code: String,
}

/// A group's figures: open memberships, and the paid orders its members placed while members.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct CommunityFiguresDto {
    pub members: i64,
    /// Members with at least one such order.
    pub buyers: i64,
    pub orders: i64,
    /// The payable of those orders (fen); only for roles that read revenue.
    pub gmv: Option<i64>,
    /// Commission on those orders less what refunds reversed (fen); only for roles that read revenue.
    pub commission: Option<i64>,
}

/// A community group as the console sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityGroupDto {
    pub id: i64,
    pub name: String,
    pub note: String,
    /// The join code (8 letters and digits).
    pub code: String,
    pub status: CommunityGroupStatus,
    pub owner: Option<CommunityOwnerDto>,
    /// The join page with the group's channel, campaign and owner (path and query).
    pub join_path: String,
    /// The join link's QR code (paths of this API).
    pub qr_png: String,
    pub qr_svg: String,
    pub figures: CommunityFiguresDto,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A group as written. The owner is named by their promoter code (an active promoter) or left out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityGroupInput {
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    #[schema(max_length = 200)]
    pub note: Option<String>,
    /// The owner's promoter code.
    #[schema(min_length = 4, max_length = 16)]
    pub owner_code: Option<String>,
    /// On change only; a new group is active.
    pub status: Option<CommunityGroupStatus>,
}

#[derive(Debug, Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommunityGroupQuery {
    #[param(value_type = Option<CommunityGroupStatus>)]
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 10000)]
    pub page: Option<i64>,
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<i64>,
}

/// A member of a group.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityMemberDto {
    pub buyer_id: i64,
    pub nickname: String,
    pub joined_at: i64,
    /// When the membership ended (the buyer left).
    pub left_at: Option<i64>,
    /// Paid orders placed while a member.
    pub orders: i64,
    /// Their payable (fen); only for roles that read revenue.
    pub spent: Option<i64>,
}

/// A push of a coupon, flash sale or product to a group's members.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommunityPushDto {
    pub id: i64,
    pub kind: CommunityPushKind,
    pub target_id: i64,
    /// The coupon's, flash sale's or product's name now.
    pub title: String,
    pub note: String,
    /// The page it opens, with the group's channel, campaign and owner (path and query).
    pub path: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityPushInput {
    pub kind: CommunityPushKind,
    /// The coupon template's, flash sale's or product's id.
    #[schema(minimum = 1)]
    pub target_id: i64,
    #[schema(max_length = 200)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityCouponInput {
    /// A coupon template of the shop; once linked, only members of a group it is linked to may claim it.
    #[schema(minimum = 1)]
    pub template_id: i64,
}

/// A group as a buyer sees it: what it is, whether they are a member, its coupons and its pushes.
#[derive(Serialize, ToSchema)]
pub struct ShopCommunityDto {
    pub code: String,
    pub name: String,
    pub note: String,
    pub status: CommunityGroupStatus,
    /// The owner's nickname, masked.
    pub owner: Option<String>,
    pub members: i64,
    /// When the buyer joined, if they are a member.
    pub joined_at: Option<i64>,
    /// Coupons for the group's members (claimed on this group's page).
    pub coupons: Vec<CouponTemplateDto>,
    pub pushes: Paginated<CommunityPushDto>,
}

impl ShopCommunityDto {
    pub fn closed(&self) -> bool {
        self.status == CommunityGroupStatus::Closed
    }
}

/// A group the buyer is a member of.
#[derive(Serialize, ToSchema)]
pub struct MyCommunityDto {
    pub code: String,
    pub name: String,
    pub members: i64,
    pub joined_at: Option<i64>,
}

// ---- shared ----------------------------------------------------------------------------------------

fn status_of(s: &str) -> CommunityGroupStatus {
    if s == "closed" {
        CommunityGroupStatus::Closed
    } else {
        CommunityGroupStatus::Active
    }
}

fn push_kind_of(s: &str) -> CommunityPushKind {
    match s {
        "coupon" => CommunityPushKind::Coupon,
        "flash_sale" => CommunityPushKind::FlashSale,
        _ => CommunityPushKind::Product,
    }
}

fn owner_code(g: &CommunityGroupRow) -> Option<&str> {
    g.owner_code.as_deref()
}

/// The query every link of the group carries.
pub fn link_query(g: &CommunityGroupRow) -> String {
    cm::share_params(&g.code, owner_code(g)).to_query()
}

pub fn join_path(g: &CommunityGroupRow) -> String {
    format!("/community/{}?{}", g.code, link_query(g))
}

fn figures_dto(f: &GroupFigures, revenue: bool) -> CommunityFiguresDto {
    CommunityFiguresDto {
        members: f.members,
        buyers: f.buyers,
        orders: f.orders,
        gmv: revenue.then_some(f.gmv),
        commission: revenue.then_some(f.commission),
    }
}

fn group_dto(g: &CommunityGroupRow, f: &GroupFigures, revenue: bool) -> CommunityGroupDto {
    CommunityGroupDto {
        id: g.id,
        name: g.name.clone(),
        note: g.note.clone(),
        code: g.code.clone(),
        status: status_of(&g.status),
        owner: match (g.owner_promoter_id, &g.owner_nickname, &g.owner_code) {
            (Some(id), Some(n), Some(c)) => {
                Some(CommunityOwnerDto { promoter_id: id, nickname: n.clone(), code: c.clone() })
            }
            _ => None,
        },
        join_path: join_path(g),
        qr_png: format!("/api/v1/admin/community-groups/{}/qr.png", g.id),
        qr_svg: format!("/api/v1/admin/community-groups/{}/qr.svg", g.id),
        figures: figures_dto(f, revenue),
        created_at: g.created_at,
        updated_at: g.updated_at,
    }
}

fn reads_revenue(a: &crate::accounts::auth::AdminUser) -> bool {
    a.role.allows(minimall_core::auth::Permission::ReadRevenue)
}

async fn group_of(st: &AppState, merchant_id: i64, id: i64) -> ApiResult<CommunityGroupRow> {
    st.store
        .community_group(st.store.reader(), merchant_id, id)
        .await?
        .ok_or_else(|| refused(Refusal::UnknownGroup, None))
}

fn clean_code(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

async fn group_by_code(st: &AppState, merchant_id: i64, code: &str) -> ApiResult<CommunityGroupRow> {
    let code = clean_code(code);
    if !cm::is_code(&code) {
        return Err(refused(Refusal::UnknownGroup, Some("code")));
    }
    st.store
        .community_group_by_code(merchant_id, &code)
        .await?
        .ok_or_else(|| refused(Refusal::UnknownGroup, Some("code")))
}

fn audit_view(g: &CommunityGroupDto) -> Option<serde_json::Value> {
    Some(serde_json::json!({
        "name": g.name,
        "note": g.note,
        "status": g.status.as_str(),
        "owner": g.owner.as_ref().map(|o| o.code.clone()),
    }))
}

// ---- the console -----------------------------------------------------------------------------------

/// Groups, newest first, each with its figures.
pub async fn list(
    st: &AppState,
    a: &Admin<ReadBuyers>,
    q: &CommunityGroupQuery,
) -> ApiResult<Paginated<CommunityGroupDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) if cm::STATUSES.contains(&s) => Some(s),
        Some(_) => return Err(refused(Refusal::UnknownStatus, Some("status"))),
    };
    let rows = st.store.community_groups(a.merchant_id, status, page.size(), page.offset()).await?;
    let ids: Vec<i64> = rows.items.iter().map(|g| g.id).collect();
    let figures = st.store.community_figures(a.merchant_id, &ids).await?;
    let revenue = reads_revenue(a);
    let items = rows.items.iter().zip(figures.iter()).map(|(g, f)| group_dto(g, f, revenue)).collect();
    Ok(Paginated::new(items, rows.total, page))
}

pub async fn get(st: &AppState, a: &Admin<ReadBuyers>, id: i64) -> ApiResult<CommunityGroupDto> {
    let g = group_of(st, a.merchant_id, id).await?;
    let f = st.store.community_figures(a.merchant_id, &[id]).await?.pop().unwrap_or_default();
    Ok(group_dto(&g, &f, reads_revenue(a)))
}

/// The owner named by a promoter code: an active promoter of the shop.
async fn owner_of(st: &AppState, merchant_id: i64, code: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let code = code.to_ascii_uppercase();
    let shape_ok = (4..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
    let p = if shape_ok { st.store.promoter_by_code(merchant_id, &code).await? } else { None };
    match p {
        Some(p) if p.status == "active" => Ok(Some(p.id)),
        _ => Err(refused(Refusal::OwnerNotPromoter, Some("owner_code"))),
    }
}

fn new_code() -> String {
    use rand::Rng;
    let mut draws = [0u8; cm::CODE_LEN];
    rand::thread_rng().fill(&mut draws);
    cm::code_from(draws)
}

/// Add a group (active, with a fresh join code); audited.
pub async fn create(
    st: &AppState,
    a: &Admin<ManageMembers>,
    call: &Call,
    input: &CommunityGroupInput,
) -> ApiResult<CommunityGroupDto> {
    let (name, note) = cm::group_texts(&input.name, input.note.as_deref().unwrap_or(""))?;
    let owner = owner_of(st, a.merchant_id, input.owner_code.as_deref()).await?;
    let mut tx = st.store.begin().await?;
    if st.store.community_name_taken(&mut tx, a.merchant_id, &name, None).await? {
        return Err(refused(Refusal::NameTaken, Some("name")));
    }
    let fields = GroupFields { name: &name, note: &note, owner_promoter_id: owner };
    let mut id = None;
    for _ in 0..8 {
        id = st.store.create_community_group(&mut tx, a.merchant_id, &new_code(), &fields).await?;
        if id.is_some() {
            break;
        }
    }
    let id = id.ok_or_else(|| ApiError::internal("no free community code"))?;
    let g = st
        .store
        .community_group(&mut *tx, a.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::internal("group vanished"))?;
    let dto = group_dto(&g, &GroupFigures { group_id: id, ..GroupFigures::default() }, reads_revenue(a));
    audit(st, &mut tx, a, call, "community.create", format!("community_group:{id}"), None, audit_view(&dto)).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(dto)
}

/// Change a group's name, note, owner or status; audited with before and after.
pub async fn update(
    st: &AppState,
    a: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    input: &CommunityGroupInput,
) -> ApiResult<CommunityGroupDto> {
    let (name, note) = cm::group_texts(&input.name, input.note.as_deref().unwrap_or(""))?;
    let owner = owner_of(st, a.merchant_id, input.owner_code.as_deref()).await?;
    let before = group_of(st, a.merchant_id, id).await?;
    let status = input.status.map(CommunityGroupStatus::as_str).unwrap_or(before.status.as_str()).to_string();
    let mut tx = st.store.begin().await?;
    if st.store.community_name_taken(&mut tx, a.merchant_id, &name, Some(id)).await? {
        return Err(refused(Refusal::NameTaken, Some("name")));
    }
    let fields = GroupFields { name: &name, note: &note, owner_promoter_id: owner };
    if !st.store.update_community_group(&mut tx, a.merchant_id, id, &fields, &status).await? {
        return Err(refused(Refusal::UnknownGroup, None));
    }
    let after = st
        .store
        .community_group(&mut *tx, a.merchant_id, id)
        .await?
        .ok_or_else(|| ApiError::internal("group vanished"))?;
    let f = st.store.community_figures(a.merchant_id, &[id]).await?.pop().unwrap_or_default();
    let revenue = reads_revenue(a);
    let (b, dto) = (group_dto(&before, &f, revenue), group_dto(&after, &f, revenue));
    audit(st, &mut tx, a, call, "community.update", format!("community_group:{id}"), audit_view(&b), audit_view(&dto))
        .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(dto)
}

/// A group's members, open memberships first.
pub async fn members(
    st: &AppState,
    a: &Admin<ReadBuyers>,
    id: i64,
    q: &crate::http::PageQuery,
) -> ApiResult<Paginated<CommunityMemberDto>> {
    let page = q.page()?;
    group_of(st, a.merchant_id, id).await?;
    let rows = st.store.community_members(a.merchant_id, id, page.size(), page.offset()).await?;
    let revenue = reads_revenue(a);
    let items = rows
        .items
        .into_iter()
        .map(|m| CommunityMemberDto {
            buyer_id: m.buyer_id,
            nickname: m.nickname,
            joined_at: m.joined_at,
            left_at: m.left_at,
            orders: m.orders,
            spent: revenue.then_some(m.spent),
        })
        .collect();
    Ok(Paginated::new(items, rows.total, page))
}

/// The coupon templates linked to a group (members only).
pub async fn coupons(st: &AppState, a: &Admin<ReadBuyers>, id: i64) -> ApiResult<Vec<CouponTemplateDto>> {
    group_of(st, a.merchant_id, id).await?;
    coupon_templates(st, a.merchant_id, id).await
}

async fn coupon_templates(st: &AppState, merchant_id: i64, group_id: i64) -> ApiResult<Vec<CouponTemplateDto>> {
    let mut out = Vec::new();
    for tid in st.store.community_coupon_ids(group_id).await? {
        if let Ok(t) = st.store.coupon_template(merchant_id, tid).await {
            out.push(CouponTemplateDto::from(&t));
        }
    }
    Ok(out)
}

/// Link a coupon template to a group: from now on only members of the groups it is linked to may claim it,
/// on their group's page; the coupon centre stops listing it. Audited.
pub async fn link_coupon(
    st: &AppState,
    a: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    input: &CommunityCouponInput,
) -> ApiResult<Vec<CouponTemplateDto>> {
    group_of(st, a.merchant_id, id).await?;
    if st.store.coupon_template(a.merchant_id, input.template_id).await.is_err() {
        return Err(refused(Refusal::UnknownCoupon, Some("template_id")));
    }
    let mut tx = st.store.begin().await?;
    if st.store.link_community_coupon(&mut tx, a.merchant_id, id, input.template_id).await? {
        let target = format!("community_group:{id}");
        let after = Some(serde_json::json!({ "coupon": input.template_id }));
        audit(st, &mut tx, a, call, "community.coupon_link", target, None, after).await?;
    }
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    coupon_templates(st, a.merchant_id, id).await
}

/// Unlink a coupon template from a group (the centre lists it again when no group holds it). Audited.
pub async fn unlink_coupon(
    st: &AppState,
    a: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    template_id: i64,
) -> ApiResult<Vec<CouponTemplateDto>> {
    group_of(st, a.merchant_id, id).await?;
    let mut tx = st.store.begin().await?;
    if !st.store.unlink_community_coupon(&mut tx, id, template_id).await? {
        return Err(refused(Refusal::CouponNotLinked, Some("template_id")));
    }
    let before = Some(serde_json::json!({ "coupon": template_id }));
    audit(st, &mut tx, a, call, "community.coupon_unlink", format!("community_group:{id}"), before, None).await?;
    usecase::commit(st, tx, Effects::new().promotions_write()).await?;
    coupon_templates(st, a.merchant_id, id).await
}

/// What a push names, now: its title and the page it opens (without the group's query). `None` when the
/// target is gone.
async fn target_of(
    st: &AppState,
    merchant_id: i64,
    g: &CommunityGroupRow,
    kind: PushKind,
    id: i64,
) -> ApiResult<Option<(String, String)>> {
    Ok(match kind {
        PushKind::Coupon => st.store.coupon_template(merchant_id, id).await.ok().map(|t| {
            let linked = format!("/community/{}#coupon-{id}", g.code);
            (t.name, if t.claimable == 1 { format!("/coupons#tpl-{id}") } else { linked })
        }),
        PushKind::FlashSale => st
            .store
            .flash_sale(st.store.reader(), merchant_id, id)
            .await
            .ok()
            .map(|s| (s.title, format!("/flash/{id}"))),
        PushKind::Product => st
            .store
            .product(st.store.reader(), merchant_id, id.into())
            .await
            .ok()
            .map(|p| (p.title, format!("/p/{id}"))),
    })
}

fn with_query(path: &str, query: &str) -> String {
    match path.split_once('#') {
        Some((p, frag)) => format!("{p}?{query}#{frag}"),
        None => format!("{path}?{query}"),
    }
}

async fn push_dto(
    st: &AppState,
    merchant_id: i64,
    g: &CommunityGroupRow,
    p: CommunityPushRow,
) -> ApiResult<CommunityPushDto> {
    let kind = push_kind_of(&p.kind);
    let (title, path) = target_of(st, merchant_id, g, kind.into(), p.target_id).await?.unwrap_or_default();
    let path = if path.is_empty() { join_path(g) } else { with_query(&path, &link_query(g)) };
    Ok(CommunityPushDto { id: p.id, kind, target_id: p.target_id, title, note: p.note, path, created_at: p.created_at })
}

/// Whether a push's target may be pushed now: a coupon that is active and claimable by the group's members
/// (linked to this group, or open to all), a flash sale that has not ended and is not stopped, a product on
/// shelf.
async fn check_target(st: &AppState, merchant_id: i64, group_id: i64, kind: PushKind, id: i64) -> ApiResult<()> {
    let now = minimall_store::now_ms();
    let ok = match kind {
        PushKind::Coupon => match st.store.coupon_template(merchant_id, id).await {
            Ok(t) => {
                let linked = st.store.coupon_communities(st.store.reader(), id).await?;
                let for_group = if linked.is_empty() { t.claimable == 1 } else { linked.contains(&group_id) };
                t.status == "active" && t.valid_until.is_none_or(|u| u > now) && for_group
            }
            Err(_) => false,
        },
        PushKind::FlashSale => match st.store.flash_sale(st.store.reader(), merchant_id, id).await {
            Ok(s) => s.status == "scheduled" && s.ends_at > now,
            Err(_) => false,
        },
        PushKind::Product => match st.store.product(st.store.reader(), merchant_id, id.into()).await {
            Ok(p) => p.on_shelf == 1,
            Err(_) => false,
        },
    };
    if ok {
        Ok(())
    } else {
        Err(refused(Refusal::UnknownTarget, Some("target_id")))
    }
}

/// Push a coupon, flash sale or product to a group's members: it heads the group's feed, with the group's link.
/// Audited.
pub async fn push(
    st: &AppState,
    a: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    input: &CommunityPushInput,
) -> ApiResult<CommunityPushDto> {
    let g = group_of(st, a.merchant_id, id).await?;
    if g.status != "active" {
        return Err(refused(Refusal::Closed, None));
    }
    let note = cm::note_text("note", input.note.as_deref().unwrap_or(""))?;
    let kind = PushKind::from(input.kind);
    check_target(st, a.merchant_id, id, kind, input.target_id).await?;
    let mut tx = st.store.begin().await?;
    let row = st
        .store
        .insert_community_push(&mut tx, a.merchant_id, id, kind.code(), input.target_id, &note, a.user.id)
        .await?;
    let after = Some(serde_json::json!({ "kind": kind.code(), "id": input.target_id, "note": note }));
    audit(st, &mut tx, a, call, "community.push", format!("community_group:{id}"), None, after).await?;
    usecase::commit(st, tx, Effects::new()).await?;
    push_dto(st, a.merchant_id, &g, row).await
}

/// A group's pushes, newest first.
pub async fn pushes(
    st: &AppState,
    merchant_id: i64,
    g: &CommunityGroupRow,
    page: Page,
) -> ApiResult<Paginated<CommunityPushDto>> {
    let rows = st.store.community_pushes(merchant_id, g.id, page.size(), page.offset()).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for p in rows.items {
        items.push(push_dto(st, merchant_id, g, p).await?);
    }
    Ok(Paginated::new(items, rows.total, page))
}

pub async fn admin_pushes(
    st: &AppState,
    a: &Admin<ReadBuyers>,
    id: i64,
    q: &crate::http::PageQuery,
) -> ApiResult<Paginated<CommunityPushDto>> {
    let page = q.page()?;
    let g = group_of(st, a.merchant_id, id).await?;
    pushes(st, a.merchant_id, &g, page).await
}

/// The join link's QR code, as (PNG bytes, SVG text) of the join path on the storefront's address.
pub async fn qr(st: &AppState, a: &Admin<ReadBuyers>, id: i64) -> ApiResult<(String, crate::share::qr::Modules)> {
    let g = group_of(st, a.merchant_id, id).await?;
    let url = format!("{}{}", st.self_url.get().map(String::as_str).unwrap_or_default(), join_path(&g));
    let m = crate::share::qr::Modules::of(&url)?;
    Ok((url, m))
}

// ---- the buyer's side -------------------------------------------------------------------------------

/// A group by its code, as the buyer sees it.
pub async fn show(st: &AppState, buyer: &Buyer, code: &str, page: Page) -> ApiResult<ShopCommunityDto> {
    let g = group_by_code(st, buyer.merchant_id, code).await?;
    shop_dto(st, buyer, &g, page).await
}

async fn shop_dto(st: &AppState, buyer: &Buyer, g: &CommunityGroupRow, page: Page) -> ApiResult<ShopCommunityDto> {
    let joined_at = st.store.community_membership(st.store.reader(), g.id, buyer.id).await?;
    let f = st.store.community_figures(buyer.merchant_id, &[g.id]).await?.pop().unwrap_or_default();
    let coupons =
        coupon_templates(st, buyer.merchant_id, g.id).await?.into_iter().filter(|t| t.status == "active").collect();
    Ok(ShopCommunityDto {
        code: g.code.clone(),
        name: g.name.clone(),
        note: g.note.clone(),
        status: status_of(&g.status),
        owner: g.owner_nickname.as_deref().map(crate::group_buy::shop_api::masked),
        members: f.members,
        joined_at,
        coupons,
        pushes: pushes(st, buyer.merchant_id, g, page).await?,
    })
}

/// Join a group (an active one, once at a time). When the group's owner is an active promoter, the buyer is
/// bound to them as the shop's binding rule says (first or last touch; never to oneself).
pub async fn join(st: &AppState, buyer: &Buyer, code: &str) -> ApiResult<ShopCommunityDto> {
    let g = group_by_code(st, buyer.merchant_id, code).await?;
    let member = st.store.community_membership(st.store.reader(), g.id, buyer.id).await?.is_some();
    cm::may_join(&g.status, member).map_err(|r| refused(r, None))?;
    let mut tx = st.store.begin().await?;
    if !st.store.join_community(&mut tx, buyer.merchant_id, g.id, buyer.id, minimall_store::now_ms()).await? {
        return Err(refused(Refusal::AlreadyMember, None));
    }
    usecase::commit(st, tx, Effects::new()).await?;
    if let Some(owner) = g.owner_code.as_deref() {
        let bind = crate::distribution::cases::BindInput {
            code: owner.to_string(),
            source: crate::distribution::cases::BindSource::Link,
        };
        // Binding follows the shop's rule; a refusal (the owner themself, an inactive promoter) binds nobody
        // and does not undo the membership.
        match crate::distribution::cases::bind(st, buyer, &bind).await {
            Ok(_) => {}
            Err(e) if e.status.is_client_error() => {}
            Err(e) => return Err(e),
        }
    }
    shop_dto(st, buyer, &g, Page::parse(None, None)?).await
}

/// Leave a group.
pub async fn leave(st: &AppState, buyer: &Buyer, code: &str) -> ApiResult<ShopCommunityDto> {
    let g = group_by_code(st, buyer.merchant_id, code).await?;
    let mut tx = st.store.begin().await?;
    if !st.store.leave_community(&mut tx, g.id, buyer.id).await? {
        return Err(refused(Refusal::NotMember, None));
    }
    usecase::commit(st, tx, Effects::new()).await?;
    shop_dto(st, buyer, &g, Page::parse(None, None)?).await
}

/// Claim one of a group's coupons: a member of the active group, a template linked to it; the template's
/// quantity and per-buyer limits hold as in the coupon centre.
pub async fn claim(st: &AppState, buyer: &Buyer, code: &str, template_id: i64) -> ApiResult<CouponDto> {
    let g = group_by_code(st, buyer.merchant_id, code).await?;
    let member = st.store.community_membership(st.store.reader(), g.id, buyer.id).await?.is_some();
    cm::may_claim(&g.status, member).map_err(|r| refused(r, None))?;
    if !st.store.coupon_communities(st.store.reader(), template_id).await?.contains(&g.id) {
        return Err(refused(Refusal::CouponNotLinked, Some("template_id")));
    }
    crate::promotions::wallet::issue_claimed(st, buyer, template_id, "claim", false).await
}

/// The groups the buyer is a member of.
pub async fn mine(st: &AppState, buyer: &Buyer, q: &crate::http::PageQuery) -> ApiResult<Paginated<MyCommunityDto>> {
    let page = q.page()?;
    let rows = st.store.buyer_communities(buyer.merchant_id, buyer.id, page.size(), page.offset()).await?;
    let ids: Vec<i64> = rows.items.iter().map(|g| g.id).collect();
    let figures = st.store.community_figures(buyer.merchant_id, &ids).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for (g, f) in rows.items.iter().zip(figures.iter()) {
        items.push(MyCommunityDto {
            code: g.code.clone(),
            name: g.name.clone(),
            members: f.members,
            joined_at: st.store.community_membership(st.store.reader(), g.id, buyer.id).await?,
        });
    }
    Ok(Paginated::new(items, rows.total, page))
}
