//! Buyer lists by filter, saved segments (人群), tags — the use cases the member API and pages share.

use minimall_core::error::Reason;
use minimall_core::members::lifecycle::{AgeBand, Stage};
use minimall_core::members::segment::{Filter, Gender};
use minimall_core::page::Page;
use minimall_store::members::{ProfileRow, SegmentRow, TagRow};
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit;
use crate::accounts::auth::{Admin, ManageMembers, ReadBuyers};
use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::members::refusals::MemberRefusal;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};

/// Who a segment selects. Every condition is optional; set conditions all apply, values of one list are
/// alternatives.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct FilterDto {
    /// Member level ids (0: buyers without a level).
    #[schema(max_items = 50)]
    pub level_ids: Vec<i64>,
    #[schema(max_items = 50)]
    pub tag_ids: Vec<i64>,
    /// new, active, silent, churned.
    #[schema(max_items = 4)]
    pub stages: Vec<String>,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub min_spend_fen: Option<i64>,
    #[schema(minimum = 0, maximum = 10_000_000_000_i64)]
    pub max_spend_fen: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub min_orders: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000)]
    pub max_orders: Option<i64>,
    /// Ordered within the last N days.
    #[schema(minimum = 0, maximum = 3650)]
    pub ordered_within_days: Option<i64>,
    /// No order for at least N days (never ordered included).
    #[schema(minimum = 0, maximum = 3650)]
    pub idle_days: Option<i64>,
    /// Provinces of the default address.
    #[schema(max_items = 50)]
    pub regions: Vec<String>,
    /// under_18, 18_24, 25_29, 30_34, 35_39, 40_49, 50_plus.
    #[schema(max_items = 7)]
    pub age_bands: Vec<String>,
    /// Acquisition channels.
    #[schema(max_items = 50)]
    pub channels: Vec<String>,
    /// female, male, unknown.
    #[schema(max_items = 3)]
    pub genders: Vec<String>,
}

impl FilterDto {
    /// The filter core checks; a value that is not one of a list's words is refused naming the list.
    pub fn to_filter(&self) -> ApiResult<Filter> {
        fn words<T>(field: &str, v: &[String], parse: impl Fn(&str) -> Option<T>) -> ApiResult<Vec<T>> {
            v.iter()
                .enumerate()
                .map(|(i, s)| {
                    parse(s)
                        .ok_or_else(|| ApiError::invalid_because(format!("{field}[{i}]"), &ApiReason::NotAllowedValue))
                })
                .collect()
        }
        let f = Filter {
            level_ids: self.level_ids.clone(),
            tag_ids: self.tag_ids.clone(),
            stages: words("stages", &self.stages, Stage::parse)?,
            min_spend_fen: self.min_spend_fen,
            max_spend_fen: self.max_spend_fen,
            min_orders: self.min_orders,
            max_orders: self.max_orders,
            ordered_within_days: self.ordered_within_days,
            idle_days: self.idle_days,
            regions: self.regions.iter().map(|s| s.trim().to_string()).collect(),
            age_bands: words("age_bands", &self.age_bands, |s| AgeBand::ALL.into_iter().find(|b| b.as_str() == s))?,
            channels: self.channels.iter().map(|s| s.trim().to_string()).collect(),
            genders: words("genders", &self.genders, Gender::parse)?,
        };
        f.validate()?;
        Ok(f)
    }
}

/// The same filter as query parameters: lists are comma-separated (`level_ids=1,2&stages=new,active`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MemberQuery {
    pub page: Option<i64>,
    pub page_size: Option<i64>,
    /// Comma-separated level ids (0: no level).
    pub level_ids: Option<String>,
    pub tag_ids: Option<String>,
    /// Comma-separated: new, active, silent, churned.
    pub stages: Option<String>,
    pub min_spend_fen: Option<i64>,
    pub max_spend_fen: Option<i64>,
    pub min_orders: Option<i64>,
    pub max_orders: Option<i64>,
    pub ordered_within_days: Option<i64>,
    pub idle_days: Option<i64>,
    pub regions: Option<String>,
    pub age_bands: Option<String>,
    pub channels: Option<String>,
    pub genders: Option<String>,
}

impl MemberQuery {
    pub fn filter(&self) -> ApiResult<FilterDto> {
        fn list(v: &Option<String>) -> Vec<String> {
            v.as_deref()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .take(51)
                .map(str::to_string)
                .collect()
        }
        fn ids(field: &str, v: &Option<String>) -> ApiResult<Vec<i64>> {
            list(v)
                .iter()
                .map(|s| {
                    s.parse::<i64>()
                        .map_err(|_| ApiError::invalid_because(field.to_string(), &MemberRefusal::WholeNumbers))
                })
                .collect()
        }
        Ok(FilterDto {
            level_ids: ids("level_ids", &self.level_ids)?,
            tag_ids: ids("tag_ids", &self.tag_ids)?,
            stages: list(&self.stages),
            min_spend_fen: self.min_spend_fen,
            max_spend_fen: self.max_spend_fen,
            min_orders: self.min_orders,
            max_orders: self.max_orders,
            ordered_within_days: self.ordered_within_days,
            idle_days: self.idle_days,
            regions: list(&self.regions),
            age_bands: list(&self.age_bands),
            channels: list(&self.channels),
            genders: list(&self.genders),
        })
    }
}

/// A buyer as the member list shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub buyer_id: i64,
    pub nickname: String,
    pub level_id: Option<i64>,
    pub level_name: Option<String>,
    pub completed_spend_fen: i64,
    pub points_earned: i64,
    pub orders_count: i64,
    /// `YYYY-MM-DD` of the last order, in the shop's zone.
    pub last_order_date: Option<String>,
    /// new, active, silent, churned.
    pub stage: String,
    pub region: String,
    pub channel: String,
    /// female, male, unknown.
    pub gender: String,
}

fn date(day: Option<i64>) -> Option<String> {
    day.and_then(minimall_core::time::date_of_day).map(|d| d.to_string())
}

pub(crate) fn member_dto(p: ProfileRow, levels: &[minimall_store::members::LevelRow]) -> MemberDto {
    MemberDto {
        buyer_id: p.buyer_id,
        nickname: p.nickname,
        level_name: p.level_id.and_then(|id| levels.iter().find(|l| l.id == id)).map(|l| l.name.clone()),
        level_id: p.level_id,
        completed_spend_fen: p.completed_spend_fen,
        points_earned: p.points_earned,
        orders_count: p.orders_count,
        last_order_date: date(p.last_order_day),
        stage: p.stage,
        region: p.region,
        channel: p.channel,
        gender: p.gender,
    }
}

fn today() -> i64 {
    minimall_core::time::day_of(minimall_store::now_ms()).unwrap_or(0)
}

/// Buyers matching a filter, newest first, with the total count.
pub async fn members(
    st: &AppState,
    who: &Admin<ReadBuyers>,
    filter: &FilterDto,
    page: Page,
) -> ApiResult<Paginated<MemberDto>> {
    let f = filter.to_filter()?;
    let rules = super::rules(st, who.merchant_id).await?;
    let rows = st.store.segment_members(who.merchant_id, &f, today(), page.size(), page.offset()).await?;
    let items = rows.items.into_iter().map(|p| member_dto(p, &rules.levels)).collect();
    Ok(Paginated::new(items, rows.total, page))
}

/// One buyer's membership as the console shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberDetail {
    pub member: MemberDto,
    pub points_balance: i64,
    /// `YYYY-MM-DD`, when the buyer gave it.
    pub birthday: Option<String>,
    pub tag_ids: Vec<i64>,
    pub level_history: Vec<LevelChangeDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LevelChangeDto {
    pub from_level_id: Option<i64>,
    pub to_level_id: Option<i64>,
    /// progress, yearly, admin, card.
    pub reason: String,
    pub at: i64,
}

pub async fn member(st: &AppState, who: &Admin<ReadBuyers>, buyer_id: i64) -> ApiResult<MemberDetail> {
    let merchant_id = who.merchant_id;
    st.store.buyer_by_id(merchant_id, buyer_id).await.map_err(|_| ApiError::not_found("buyer"))?;
    let rules = super::rules(st, merchant_id).await?;
    let profile = match st.store.member_profile(merchant_id, buyer_id).await? {
        Some(p) => p,
        None => {
            let mut tx = st.store.begin().await?;
            st.store.ensure_member_profile(&mut tx, merchant_id, buyer_id).await?;
            usecase::commit(st, tx, Effects::new()).await?;
            st.store.member_profile(merchant_id, buyer_id).await?.ok_or_else(|| ApiError::not_found("buyer"))?
        }
    };
    let birthday = date(profile.birth_day);
    let history = st.store.member_level_history(merchant_id, buyer_id, 50, 0).await?;
    Ok(MemberDetail {
        member: member_dto(profile, &rules.levels),
        points_balance: st.store.points_balance(buyer_id).await?,
        birthday,
        tag_ids: st.store.tags_of_buyer(merchant_id, buyer_id).await?,
        level_history: history
            .items
            .into_iter()
            .map(|h| LevelChangeDto {
                from_level_id: h.from_level_id,
                to_level_id: h.to_level_id,
                reason: h.reason,
                at: h.at,
            })
            .collect(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SegmentDto {
    pub id: i64,
    pub name: String,
    pub filter: FilterDto,
    /// Buyers the segment selects now.
    pub count: i64,
    pub updated_at: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentInput {
    #[schema(min_length = 1, max_length = 30)]
    pub name: String,
    pub filter: FilterDto,
}

fn segment_name(name: &str) -> ApiResult<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 30 || n.chars().any(char::is_control) {
        return Err(ApiError::invalid_because("name", &Reason::Length { min: 1, max: 30 }));
    }
    Ok(n.to_string())
}

async fn segment_dto(st: &AppState, merchant_id: i64, r: SegmentRow) -> ApiResult<SegmentDto> {
    let filter: FilterDto = serde_json::from_str(&r.filter).map_err(ApiError::internal)?;
    let count = st.store.segment_count(merchant_id, &filter.to_filter()?, today()).await?;
    Ok(SegmentDto { id: r.id, name: r.name, filter, count, updated_at: r.updated_at })
}

pub async fn segments(st: &AppState, who: &Admin<ReadBuyers>, page: Page) -> ApiResult<Paginated<SegmentDto>> {
    let rows = st.store.segments(who.merchant_id, page.size(), page.offset()).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for r in rows.items {
        items.push(segment_dto(st, who.merchant_id, r).await?);
    }
    Ok(Paginated::new(items, rows.total, page))
}

/// A segment's saved filter, without counting its buyers.
pub async fn segment_filter(st: &AppState, who: &Admin<ReadBuyers>, id: i64) -> ApiResult<FilterDto> {
    let r = st.store.segment(who.merchant_id, id).await.map_err(|_| ApiError::not_found("segment"))?;
    serde_json::from_str(&r.filter).map_err(ApiError::internal)
}

pub async fn segment(st: &AppState, who: &Admin<ReadBuyers>, id: i64) -> ApiResult<SegmentDto> {
    let r = st.store.segment(who.merchant_id, id).await.map_err(|_| ApiError::not_found("segment"))?;
    segment_dto(st, who.merchant_id, r).await
}

fn duplicate(e: StoreError) -> ApiError {
    match e {
        StoreError::Duplicate(_) => ApiError::conflict_because(&MemberRefusal::SegmentNameTaken).with_field("name"),
        o => o.into(),
    }
}

pub async fn create_segment(
    st: &AppState,
    who: &Admin<ManageMembers>,
    call: &Call,
    input: SegmentInput,
) -> ApiResult<SegmentDto> {
    let name = segment_name(&input.name)?;
    input.filter.to_filter()?;
    let json = serde_json::to_string(&input.filter).map_err(ApiError::internal)?;
    let mut tx = st.store.begin().await?;
    let id = st.store.create_segment(&mut tx, who.merchant_id, &name, &json).await.map_err(duplicate)?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "segment.create",
        format!("segment:{id}"),
        None,
        serde_json::to_value(&input.filter).ok(),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    let r = st.store.segment(who.merchant_id, id).await?;
    segment_dto(st, who.merchant_id, r).await
}

pub async fn update_segment(
    st: &AppState,
    who: &Admin<ManageMembers>,
    call: &Call,
    id: i64,
    input: SegmentInput,
) -> ApiResult<SegmentDto> {
    let name = segment_name(&input.name)?;
    input.filter.to_filter()?;
    let before = st.store.segment(who.merchant_id, id).await.map_err(|_| ApiError::not_found("segment"))?;
    let json = serde_json::to_string(&input.filter).map_err(ApiError::internal)?;
    let mut tx = st.store.begin().await?;
    st.store.update_segment(&mut tx, who.merchant_id, id, &name, &json).await.map_err(duplicate)?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "segment.update",
        format!("segment:{id}"),
        serde_json::from_str(&before.filter).ok(),
        serde_json::to_value(&input.filter).ok(),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    let r = st.store.segment(who.merchant_id, id).await?;
    segment_dto(st, who.merchant_id, r).await
}

pub async fn delete_segment(st: &AppState, who: &Admin<ManageMembers>, call: &Call, id: i64) -> ApiResult<()> {
    let before = st.store.segment(who.merchant_id, id).await.map_err(|_| ApiError::not_found("segment"))?;
    let mut tx = st.store.begin().await?;
    st.store.delete_segment(&mut tx, who.merchant_id, id).await?;
    audit(
        st,
        &mut tx,
        who,
        call,
        "segment.delete",
        format!("segment:{id}"),
        serde_json::from_str(&before.filter).ok(),
        None,
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await
}

/// A segment's buyers as CSV (UTF-8 with BOM, as spreadsheet programs in China open it).
pub async fn export_segment(st: &AppState, who: &Admin<ReadBuyers>, id: i64) -> ApiResult<(String, Vec<u8>)> {
    let f = segment_filter(st, who, id).await?.to_filter()?;
    let rules = super::rules(st, who.merchant_id).await?;
    use minimall_core::catalog::csvio::text_field;
    let mut out = String::from("\u{feff}买家ID,昵称,会员等级,累计消费(元),订单数,最近下单,生命周期,地区,来源渠道\r\n");
    let mut offset = 0;
    loop {
        let rows = st.store.segment_members(who.merchant_id, &f, today(), 1_000, offset).await?;
        if rows.items.is_empty() {
            break;
        }
        offset += rows.items.len() as i64;
        for p in rows.items {
            let m = member_dto(p, &rules.levels);
            let cells = [
                m.buyer_id.to_string(),
                text_field(&m.nickname),
                text_field(m.level_name.as_deref().unwrap_or("")),
                minimall_core::Money::from_fen(m.completed_spend_fen).to_yuan_string(),
                m.orders_count.to_string(),
                m.last_order_date.unwrap_or_default(),
                m.stage,
                text_field(&m.region),
                text_field(&m.channel),
            ];
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        if offset >= 1_000_000 {
            break;
        }
    }
    let bytes = out.into_bytes();
    Ok((format!("segment-{id}.csv"), bytes))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagDto {
    pub id: i64,
    pub name: String,
    /// manual, rule.
    pub kind: String,
    /// Buyers carrying the tag.
    pub buyers: i64,
}

impl From<TagRow> for TagDto {
    fn from(t: TagRow) -> Self {
        TagDto { id: t.id, name: t.name, kind: t.kind, buyers: t.buyers }
    }
}

pub async fn tags(st: &AppState, who: &Admin<ReadBuyers>, page: Page) -> ApiResult<Paginated<TagDto>> {
    let rows = st.store.member_tags(who.merchant_id, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(TagDto::from).collect(), rows.total, page))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    #[schema(min_length = 1, max_length = 20)]
    pub name: String,
}

pub async fn create_tag(st: &AppState, who: &Admin<ManageMembers>, call: &Call, input: TagInput) -> ApiResult<TagDto> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 20 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_because("name", &Reason::Length { min: 1, max: 20 }));
    }
    let mut tx = st.store.begin().await?;
    let id = st.store.create_member_tag(&mut tx, who.merchant_id, name, None).await.map_err(|e| match e {
        StoreError::Duplicate(_) => ApiError::conflict_because(&MemberRefusal::TagNameTaken).with_field("name"),
        o => o.into(),
    })?;
    audit(st, &mut tx, who, call, "tag.create", format!("tag:{id}"), None, Some(serde_json::json!({"name": name})))
        .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(TagDto { id, name: name.to_string(), kind: "manual".into(), buyers: 0 })
}

pub async fn delete_tag(st: &AppState, who: &Admin<ManageMembers>, call: &Call, id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    st.store.delete_member_tag(&mut tx, who.merchant_id, id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("tag"),
        o => o.into(),
    })?;
    audit(st, &mut tx, who, call, "tag.delete", format!("tag:{id}"), None, None).await?;
    usecase::commit(st, tx, Effects::new()).await
}

/// Tag buyers: by id (at most 1,000) or everyone a filter selects.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBuyers {
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub buyer_ids: Vec<i64>,
    pub filter: Option<FilterDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tagged {
    /// Buyers newly tagged (buyers carrying the tag already are not counted).
    pub tagged: u64,
}

pub async fn tag_buyers(
    st: &AppState,
    who: &Admin<ManageMembers>,
    call: &Call,
    tag_id: i64,
    input: TagBuyers,
) -> ApiResult<Tagged> {
    if input.buyer_ids.len() > 1_000 {
        return Err(ApiError::invalid_because("buyer_ids", &Reason::AtMost { max: 1000 }));
    }
    if input.buyer_ids.is_empty() == input.filter.is_none() {
        return Err(ApiError::invalid_because("buyer_ids", &MemberRefusal::IdsOrFilter));
    }
    let filter = input.filter.as_ref().map(FilterDto::to_filter).transpose()?;
    let exists = st.store.member_tags(who.merchant_id, 10_000, 0).await?.items.iter().any(|t| t.id == tag_id);
    if !exists {
        return Err(ApiError::not_found("tag"));
    }
    let mut tx = st.store.begin().await?;
    for &b in &input.buyer_ids {
        st.store
            .ensure_member_profile(&mut tx, who.merchant_id, b)
            .await
            .map_err(|_| ApiError::invalid_because("buyer_ids", &MemberRefusal::NoSuchBuyer { id: b }))?;
    }
    let tagged = match &filter {
        Some(f) => st.store.tag_segment(&mut tx, who.merchant_id, tag_id, f, today()).await?,
        None => st.store.tag_buyers(&mut tx, who.merchant_id, tag_id, &input.buyer_ids).await?,
    };
    audit(
        st,
        &mut tx,
        who,
        call,
        "tag.apply",
        format!("tag:{tag_id}"),
        None,
        Some(serde_json::json!({"buyers": input.buyer_ids.len(), "by_filter": filter.is_some(), "tagged": tagged})),
    )
    .await?;
    usecase::commit(st, tx, Effects::new()).await?;
    Ok(Tagged { tagged })
}
