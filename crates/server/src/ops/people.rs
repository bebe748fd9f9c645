//! Operations use cases: the audit log and the buyers as the console sees them.

use minimall_core::error::Reason;
use minimall_core::page::Page;

use super::api::parse_json_opt;
use crate::accounts::auth::{Admin, ReadAudit, ReadBuyers};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::state::AppState;

use super::api::{AuditDto, AuditQuery, BuyerDto, BuyerQuery};

/// Who did what, newest first.
pub async fn list_audit(st: &AppState, admin: &Admin<ReadAudit>, q: AuditQuery) -> ApiResult<Paginated<AuditDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let rows =
        st.store.list_audit(admin.merchant_id, q.action.as_deref(), q.actor_id, page.size(), page.offset()).await?;
    let items = rows
        .items
        .into_iter()
        .map(|r| AuditDto {
            id: r.id,
            actor_id: r.actor_id,
            actor_name: r.actor_name,
            action: r.action,
            target: r.target,
            before: parse_json_opt(r.before_json),
            after: parse_json_opt(r.after_json),
            request_id: r.request_id,
            at: r.at,
        })
        .collect();
    Ok(Paginated::new(items, rows.total, page))
}

/// Buyers of this shop, newest first.
pub async fn list_buyers(st: &AppState, admin: &Admin<ReadBuyers>, q: BuyerQuery) -> ApiResult<Paginated<BuyerDto>> {
    let page = Page::parse(q.page, q.page_size)?;
    let needle = q.q.unwrap_or_default();
    if needle.chars().count() > 64 {
        return Err(ApiError::invalid_because("q", &Reason::TooLong { max: 64 }));
    }
    let rows = st.store.list_buyers(admin.merchant_id, needle.trim(), page.size(), page.offset()).await?;
    let items = rows
        .items
        .into_iter()
        .map(|b| BuyerDto {
            id: b.id,
            nickname: b.nickname,
            phone: b
                .phone
                .as_deref()
                .and_then(|p| minimall_core::validate::Phone::parse("phone", p).ok())
                .map(|p| p.masked()),
            has_wechat: b.openid.is_some(),
            channel: b.channel,
            created_at: b.created_at,
        })
        .collect();
    Ok(Paginated::new(items, rows.total, page))
}
