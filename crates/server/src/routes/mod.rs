//! HTTP routes. Each module owns its DTOs (wire types) and handlers; handlers carry `#[utoipa::path]`, and
//! the router and the OpenAPI document are built from the same `routes!` lists, so they cannot drift.

pub mod admin_auth;
pub mod admin_catalog;
pub mod admin_import;
pub mod admin_ops;
pub mod admin_orders;
pub mod admin_promotions;
pub mod admin_stats;
pub mod admin_two_factor;
pub mod admin_users;
pub mod aftersales;
pub mod contract;
pub mod flash_sales;
pub mod health;
pub mod pickup;
pub mod shop_auth;
pub mod shop_catalog;
pub mod shop_orders;
pub mod shop_pricing;
pub mod uploads;

use minimall_core::page::Page;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::state::AppState;

/// Every list answers in this envelope.
#[derive(Serialize, ToSchema)]
pub struct Paginated<T: ToSchema> {
    pub items: Vec<T>,
    /// Rows matching the filters, over all pages.
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

impl<T: ToSchema> Paginated<T> {
    pub fn new(items: Vec<T>, total: i64, page: Page) -> Self {
        Paginated { items, total, page: page.page(), page_size: page.size() }
    }
}

/// `?page=&page_size=` alone.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100, default 20.
    pub page_size: Option<i64>,
}

impl PageQuery {
    pub fn page(&self) -> ApiResult<Page> {
        Ok(Page::parse(self.page, self.page_size)?)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Minimall API",
        description = "Shop API (`/api/v1/shop`) for mini-programs and apps, admin API (`/api/v1/admin`) for the console and integrations. Money is integer fen; times are epoch milliseconds. Errors: `{\"error\":{\"code\",\"message\",\"field\"}}`.",
        license(name = "Apache-2.0")
    ),
    modifiers(&SecurityAddon),
    components(schemas(crate::error::ErrorBody))
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "console_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::ADMIN_COOKIE))),
        );
    }
}

/// All API routes and their OpenAPI document.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(admin_auth::login))
        .routes(routes!(admin_auth::logout))
        .routes(routes!(admin_auth::me))
        .routes(routes!(admin_two_factor::login_code))
        .routes(routes!(admin_two_factor::status))
        .routes(routes!(admin_two_factor::start_enrolment))
        .routes(routes!(admin_two_factor::confirm_enrolment))
        .routes(routes!(admin_two_factor::disable))
        .routes(routes!(admin_two_factor::reset))
        .routes(routes!(admin_two_factor::get_policy, admin_two_factor::put_policy))
        .routes(routes!(admin_users::list_users, admin_users::create_user))
        .routes(routes!(admin_users::update_user))
        .routes(routes!(admin_ops::list_audit))
        .routes(routes!(admin_ops::list_buyers))
        .routes(routes!(admin_ops::list_messages))
        .routes(routes!(admin_ops::list_jobs))
        .routes(routes!(admin_ops::retry_job))
        .routes(routes!(shop_auth::wechat_login))
        .routes(routes!(shop_auth::sms_code))
        .routes(routes!(shop_auth::sms_login))
        .routes(routes!(shop_auth::logout))
        .routes(routes!(shop_auth::me))
        .routes(routes!(admin_catalog::list_categories, admin_catalog::create_category))
        .routes(routes!(admin_catalog::update_category, admin_catalog::delete_category))
        .routes(routes!(admin_catalog::list_products, admin_catalog::create_product))
        .routes(routes!(admin_catalog::get_product, admin_catalog::update_product, admin_catalog::delete_product))
        .routes(routes!(admin_catalog::replace_skus))
        .routes(routes!(admin_catalog::shelf))
        .routes(routes!(admin_catalog::adjust_stock))
        .routes(routes!(admin_catalog::list_movements))
        .routes(routes!(admin_catalog::list_alerts))
        .routes(routes!(admin_catalog::get_banned_words, admin_catalog::put_banned_words))
        .routes(routes!(uploads::upload))
        .routes(routes!(admin_import::import_products))
        .routes(routes!(admin_import::import_status))
        .routes(routes!(admin_import::export_products))
        .routes(routes!(shop_catalog::categories))
        .routes(routes!(shop_catalog::products))
        .routes(routes!(shop_catalog::product))
        .routes(routes!(admin_promotions::list_activities, admin_promotions::create_activity))
        .routes(routes!(admin_promotions::get_activity, admin_promotions::update_activity))
        .routes(routes!(admin_promotions::end_activity))
        .routes(routes!(admin_promotions::list_coupons, admin_promotions::create_coupon))
        .routes(routes!(admin_promotions::get_coupon, admin_promotions::update_coupon))
        .routes(routes!(admin_promotions::stop_coupon))
        .routes(routes!(admin_promotions::push_coupon))
        .routes(routes!(admin_promotions::list_freight, admin_promotions::create_freight))
        .routes(routes!(admin_promotions::update_freight))
        .routes(routes!(admin_promotions::get_pricing, admin_promotions::put_pricing))
        .routes(routes!(admin_promotions::set_product_freight))
        .routes(routes!(admin_promotions::grant_points))
        .routes(routes!(shop_pricing::quote))
        .routes(routes!(shop_pricing::wallet))
        .routes(routes!(shop_pricing::claimable))
        .routes(routes!(shop_pricing::claim))
        .routes(routes!(shop_pricing::list_addresses, shop_pricing::create_address))
        .routes(routes!(shop_pricing::update_address, shop_pricing::delete_address))
        .routes(routes!(shop_pricing::points))
        .routes(routes!(shop_orders::cart))
        .routes(routes!(shop_orders::cart_add))
        .routes(routes!(shop_orders::cart_change, shop_orders::cart_remove))
        .routes(routes!(shop_orders::create_order, shop_orders::my_orders))
        .routes(routes!(shop_orders::my_order))
        .routes(routes!(shop_orders::cancel))
        .routes(routes!(shop_orders::receive))
        .routes(routes!(shop_orders::pay))
        .routes(routes!(shop_orders::sandbox_complete))
        .routes(routes!(shop_orders::sandbox_notify))
        .routes(routes!(shop_orders::wechat_notify))
        .routes(routes!(admin_orders::list))
        .routes(routes!(admin_stats::dashboard))
        .routes(routes!(admin_stats::finance))
        .routes(routes!(admin_stats::get_role_settings, admin_stats::put_role_settings))
        .routes(routes!(admin_orders::export))
        .routes(routes!(admin_orders::detail))
        .routes(routes!(admin_orders::ship))
        .routes(routes!(aftersales::request))
        .routes(routes!(aftersales::mine))
        .routes(routes!(aftersales::send_back))
        .routes(routes!(aftersales::withdraw))
        .routes(routes!(aftersales::queue))
        .routes(routes!(aftersales::approve))
        .routes(routes!(aftersales::reject))
        .routes(routes!(aftersales::receive_return))
        .routes(routes!(pickup::shop_stores))
        .routes(routes!(pickup::admin_stores, pickup::create_store))
        .routes(routes!(pickup::pickup_qr))
        .routes(routes!(pickup::verify))
        .routes(routes!(flash_sales::list_flash_sales, flash_sales::create_flash_sale))
        .routes(routes!(flash_sales::get_flash_sale, flash_sales::update_flash_sale))
        .routes(routes!(flash_sales::stop_flash_sale))
        .routes(routes!(flash_sales::shop_flash_sales))
        .routes(routes!(flash_sales::shop_flash_sale))
        .routes(routes!(flash_sales::buy))
}

/// Who an audit entry names: a console user, or one still completing their two-factor enrolment.
pub trait Acting {
    /// (merchant, user id, user name)
    fn actor(&self) -> (i64, i64, &str);
}

impl Acting for crate::auth::AdminUser {
    fn actor(&self) -> (i64, i64, &str) {
        (self.merchant_id, self.id, &self.username)
    }
}

impl<P: crate::auth::Perm> Acting for crate::auth::Admin<P> {
    fn actor(&self) -> (i64, i64, &str) {
        self.user.actor()
    }
}

/// Write an audit entry for a console action inside its transaction.
pub async fn audit(
    st: &AppState,
    tx: &mut minimall_store::Tx,
    who: &impl Acting,
    headers: &axum::http::HeaderMap,
    action: &str,
    target: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> ApiResult<()> {
    let (merchant_id, actor_id, actor_name) = who.actor();
    st.store
        .audit(
            tx,
            &minimall_store::audit::AuditEntry {
                merchant_id,
                actor_id,
                actor_name,
                action,
                target: &target,
                before: before.as_ref(),
                after: after.as_ref(),
                request_id: admin_auth::request_id(headers).as_deref(),
            },
        )
        .await?;
    Ok(())
}

/// Serialize a DTO for the audit log.
pub fn to_json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}
