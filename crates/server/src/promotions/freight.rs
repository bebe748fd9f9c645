//! Promotion use cases: freight templates.

use crate::accounts::auth::{Admin, ReadCatalog};
use crate::error::ApiResult;
use crate::state::AppState;

use super::admin_api::{FreightDto, FreightList};

/// Freight templates.
pub async fn list_freight(st: &AppState, admin: &Admin<ReadCatalog>) -> ApiResult<FreightList> {
    let rows = st.store.freight_templates(admin.merchant_id).await?;
    Ok(FreightList { total: rows.len() as i64, items: rows.iter().map(FreightDto::from).collect() })
}
