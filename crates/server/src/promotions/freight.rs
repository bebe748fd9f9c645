//! Promotion use cases: freight templates.

use std::collections::HashSet;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use minimall_core::catalog::tree::{Node, Tree};
use minimall_core::page::Page;
use minimall_core::validate::display_text;
use minimall_core::FieldError;
use minimall_store::promotions::{ActivityFields, ActivityRow, FreightRow};
use minimall_store::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::auth::{Admin, ManageCatalog, ManageSettings, ReadCatalog};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::{ApiJson, ApiQuery, Path};
use crate::http::Paginated;
use crate::ops::audit::{audit, to_json};
use crate::promotions::pricing::{self, FreightRules, RuleDto, ScopeDto};
use crate::state::AppState;

#[allow(unused_imports)]
use super::admin_api::{ActivityInput, ActivityDto, ActivityQuery, FreightInput, FreightDto, FreightList, PricingSettings, ProductFreight, PointsGrant, PointsBalance};
#[allow(unused_imports)]
use crate::usecase::{self, Call, Effects, Stored};

/// Freight templates.
pub async fn list_freight(st: &AppState, admin: &Admin<ReadCatalog>) -> ApiResult<FreightList> {
    let rows = st.store.freight_templates(admin.merchant_id).await?;
    Ok(FreightList { total: rows.len() as i64, items: rows.iter().map(FreightDto::from).collect() })
}
