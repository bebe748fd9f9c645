//! HTTP infrastructure shared by the domains: extractors, client address, idempotency, metrics, the list
//! envelope and the OpenAPI assembly. Each domain's `*api.rs` owns its DTOs (wire types) and handlers; handlers
//! carry `#[utoipa::path]`, and the router and the OpenAPI document are built from the same `routes!` lists
//! below, so they cannot drift.

pub mod client_addr;
pub mod contract;
pub mod edge;
pub mod extract;
pub mod idempotency;
pub mod metrics;
#[cfg(test)]
mod schema_names;

use minimall_core::page::Page;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::{
    accounts, aftersales, analytics, catalog, community, distribution, finance, flash, group_buy, members, ops, orders,
    personal, promotions, referral, reviews, share, showcase, stored_value,
};

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
    components(schemas(crate::error::ErrorBody, crate::orders::tabs::OrderTab, crate::reviews::ReviewTab))
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
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::accounts::auth::ADMIN_COOKIE))),
        );
    }
}

/// All API routes and their OpenAPI document.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(ops::health::healthz))
        .routes(routes!(ops::health::readyz))
        .routes(routes!(accounts::admin_api::login))
        .routes(routes!(accounts::admin_api::logout))
        .routes(routes!(accounts::admin_api::me))
        .routes(routes!(accounts::two_factor_api::login_code))
        .routes(routes!(accounts::two_factor_api::status))
        .routes(routes!(accounts::two_factor_api::start_enrolment))
        .routes(routes!(accounts::two_factor_api::confirm_enrolment))
        .routes(routes!(accounts::two_factor_api::disable))
        .routes(routes!(accounts::two_factor_api::reset))
        .routes(routes!(accounts::two_factor_api::get_policy, accounts::two_factor_api::put_policy))
        .routes(routes!(accounts::users_api::list_users, accounts::users_api::create_user))
        .routes(routes!(accounts::users_api::update_user))
        .routes(routes!(ops::api::list_audit))
        .routes(routes!(ops::api::list_buyers))
        .routes(routes!(ops::api::list_messages))
        .routes(routes!(ops::api::list_jobs))
        .routes(routes!(ops::api::retry_job))
        .routes(routes!(accounts::shop_api::wechat_login))
        .routes(routes!(accounts::shop_api::sms_code))
        .routes(routes!(accounts::shop_api::sms_login))
        .routes(routes!(accounts::shop_api::logout))
        .routes(routes!(accounts::shop_api::me))
        .routes(routes!(catalog::categories_api::list_categories, catalog::categories_api::create_category))
        .routes(routes!(catalog::categories_api::update_category, catalog::categories_api::delete_category))
        .routes(routes!(catalog::admin_api::list_products, catalog::admin_api::create_product))
        .routes(routes!(
            catalog::admin_api::get_product,
            catalog::admin_api::update_product,
            catalog::admin_api::delete_product
        ))
        .routes(routes!(catalog::admin_api::replace_skus))
        .routes(routes!(catalog::admin_api::shelf))
        .routes(routes!(catalog::admin_api::adjust_stock))
        .routes(routes!(catalog::admin_api::list_movements))
        .routes(routes!(catalog::admin_api::list_alerts))
        .routes(routes!(catalog::admin_api::get_banned_words, catalog::admin_api::put_banned_words))
        .routes(routes!(ops::uploads::upload))
        .routes(routes!(catalog::import_api::import_products))
        .routes(routes!(catalog::import_api::import_status))
        .routes(routes!(catalog::import_api::export_products))
        .routes(routes!(catalog::shop_api::categories))
        .routes(routes!(catalog::shop_api::products))
        .routes(routes!(catalog::shop_api::product))
        .routes(routes!(promotions::admin_api::list_activities, promotions::admin_api::create_activity))
        .routes(routes!(promotions::admin_api::get_activity, promotions::admin_api::update_activity))
        .routes(routes!(promotions::admin_api::end_activity))
        .routes(routes!(promotions::coupons_api::list_coupons, promotions::coupons_api::create_coupon))
        .routes(routes!(promotions::coupons_api::get_coupon, promotions::coupons_api::update_coupon))
        .routes(routes!(promotions::coupons_api::stop_coupon))
        .routes(routes!(promotions::coupons_api::push_coupon))
        .routes(routes!(promotions::admin_api::list_freight, promotions::admin_api::create_freight))
        .routes(routes!(promotions::admin_api::update_freight))
        .routes(routes!(promotions::admin_api::get_pricing, promotions::admin_api::put_pricing))
        .routes(routes!(promotions::admin_api::set_product_freight))
        .routes(routes!(promotions::admin_api::grant_points))
        .routes(routes!(promotions::shop_api::quote))
        .routes(routes!(promotions::shop_api::wallet))
        .routes(routes!(promotions::shop_api::claimable))
        .routes(routes!(promotions::shop_api::claim))
        .routes(routes!(promotions::shop_api::list_addresses, promotions::shop_api::create_address))
        .routes(routes!(promotions::shop_api::update_address, promotions::shop_api::delete_address))
        .routes(routes!(promotions::shop_api::points))
        .routes(routes!(orders::shop_api::cart))
        .routes(routes!(orders::shop_api::cart_add))
        .routes(routes!(orders::shop_api::cart_change, orders::shop_api::cart_remove))
        .routes(routes!(orders::shop_api::create_order, orders::shop_api::my_orders))
        .routes(routes!(orders::shop_api::my_order))
        .routes(routes!(orders::shop_api::cancel))
        .routes(routes!(orders::shop_api::receive))
        .routes(routes!(orders::shop_api::order_counts))
        .routes(routes!(orders::shop_api::buy_again))
        .routes(routes!(orders::logistics::shop_logistics))
        .routes(routes!(orders::logistics::admin_logistics))
        .routes(routes!(orders::logistics::add_track_api))
        .routes(routes!(reviews::api::create))
        .routes(routes!(reviews::api::mine))
        .routes(routes!(reviews::api::of_product))
        .routes(routes!(reviews::api::list))
        .routes(routes!(reviews::api::reply))
        .routes(routes!(reviews::api::hide))
        .routes(routes!(personal::shop_api::favourites))
        .routes(routes!(personal::shop_api::favourite, personal::shop_api::save, personal::shop_api::unsave))
        .routes(routes!(personal::shop_api::history, personal::shop_api::viewed, personal::shop_api::clear))
        .routes(routes!(personal::shop_api::forget))
        .routes(routes!(showcase::api::shop_showcase))
        .routes(routes!(showcase::api::list_showcase, showcase::api::create_showcase_item))
        .routes(routes!(showcase::api::update_showcase_item, showcase::api::delete_showcase_item))
        .routes(routes!(showcase::api::move_showcase_item))
        .routes(routes!(stored_value::api::own_balance))
        .routes(routes!(stored_value::api::own_moves))
        .routes(routes!(stored_value::api::buyer_balance))
        .routes(routes!(stored_value::api::buyer_moves))
        .routes(routes!(stored_value::api::adjust))
        .routes(routes!(ops::uploads::shop_upload))
        .routes(routes!(orders::shop_api::pay))
        .routes(routes!(orders::shop_api::sandbox_complete))
        .routes(routes!(orders::shop_api::sandbox_notify))
        .routes(routes!(orders::shop_api::wechat_notify))
        .routes(routes!(orders::admin_api::list))
        .routes(routes!(ops::stats_api::dashboard))
        .routes(routes!(ops::stats_api::finance))
        .routes(routes!(finance::api::postings))
        .routes(routes!(finance::api::trial_balance))
        .routes(routes!(finance::adjust::adjustment))
        .routes(routes!(finance::adjust::sub_ledgers_check))
        .routes(routes!(finance::api::profit_and_loss_report))
        .routes(routes!(finance::api::get_fee_terms, finance::api::put_fee_terms))
        .routes(routes!(finance::api::sandbox_bill))
        .routes(routes!(finance::api::reconcile, finance::api::reconciliations))
        .routes(routes!(finance::books_api::list_expenses, finance::books_api::record_expense))
        .routes(routes!(finance::books_api::void_expense))
        .routes(routes!(finance::books_api::staff_list, finance::books_api::set_staff))
        .routes(routes!(finance::books_api::report))
        .routes(routes!(finance::books_api::product_report))
        .routes(routes!(finance::books_api::promotion_report))
        .routes(routes!(ops::stats_api::get_role_settings, ops::stats_api::put_role_settings))
        .routes(routes!(orders::admin_api::export))
        .routes(routes!(orders::admin_api::detail))
        .routes(routes!(orders::admin_api::ship))
        .routes(routes!(aftersales::api::request))
        .routes(routes!(aftersales::api::mine))
        .routes(routes!(aftersales::api::send_back))
        .routes(routes!(aftersales::api::withdraw))
        .routes(routes!(aftersales::api::queue))
        .routes(routes!(aftersales::api::approve))
        .routes(routes!(aftersales::api::reject))
        .routes(routes!(aftersales::api::receive_return))
        .routes(routes!(orders::pickup::shop_stores))
        .routes(routes!(orders::pickup::admin_stores, orders::pickup::create_store))
        .routes(routes!(orders::pickup::pickup_qr))
        .routes(routes!(orders::pickup::verify))
        .routes(routes!(flash::api::list_flash_sales, flash::api::create_flash_sale))
        .routes(routes!(flash::api::get_flash_sale, flash::api::update_flash_sale))
        .routes(routes!(flash::api::stop_flash_sale))
        .routes(routes!(flash::api::shop_flash_sales))
        .routes(routes!(flash::api::shop_flash_sale))
        .routes(routes!(flash::api::buy))
        .routes(routes!(members::admin_api::list_levels, members::admin_api::put_levels))
        .routes(routes!(members::admin_api::get_settings, members::admin_api::put_settings))
        .routes(routes!(members::admin_api::list_members))
        .routes(routes!(members::admin_api::get_member))
        .routes(routes!(members::admin_api::adjust_points))
        .routes(routes!(members::admin_api::list_segments, members::admin_api::create_segment))
        .routes(routes!(members::admin_api::preview_segment))
        .routes(routes!(
            members::admin_api::get_segment,
            members::admin_api::update_segment,
            members::admin_api::delete_segment
        ))
        .routes(routes!(members::admin_api::segment_members))
        .routes(routes!(members::admin_api::export_segment))
        .routes(routes!(members::admin_api::list_tags, members::admin_api::create_tag))
        .routes(routes!(members::admin_api::delete_tag))
        .routes(routes!(members::admin_api::tag_buyers))
        .routes(routes!(members::shop_api::card))
        .routes(routes!(members::shop_api::sign_in))
        .routes(routes!(members::shop_api::sign_ins))
        .routes(routes!(group_buy::admin_api::list_group_buys, group_buy::admin_api::create_group_buy))
        .routes(routes!(group_buy::admin_api::list_groups))
        .routes(routes!(group_buy::admin_api::get_group_buy))
        .routes(routes!(group_buy::admin_api::stop_group_buy))
        .routes(routes!(group_buy::shop_api::product_group_buys))
        .routes(routes!(group_buy::shop_api::place_group_order))
        .routes(routes!(group_buy::shop_api::shop_group))
        .routes(routes!(analytics::api::events))
        .routes(routes!(analytics::api::analytics_dashboard))
        .routes(routes!(analytics::api::analytics_export))
        .routes(routes!(analytics::api::rfm))
        .routes(routes!(analytics::api::rfm_buyers))
        .routes(routes!(analytics::api::cohorts))
        .routes(routes!(analytics::api::rebuild))
        .routes(routes!(analytics::api::recount))
        .routes(routes!(analytics::forecast_api::forecast))
        .routes(routes!(analytics::forecast_api::sku_forecast))
        .routes(routes!(analytics::forecast_api::markdown_settings, analytics::forecast_api::put_markdown_settings))
        .routes(routes!(analytics::forecast_api::markdowns))
        .routes(routes!(analytics::forecast_api::apply_markdowns))
        .routes(routes!(analytics::recommend_api::product_recommendations))
        .routes(routes!(analytics::recommend_api::feed))
        .routes(routes!(analytics::recommend_api::cart_recommendations))
        .routes(routes!(analytics::recommend_api::click))
        .routes(routes!(analytics::recommend_api::refresh))
        .routes(routes!(analytics::recommend_api::list_experiments, analytics::recommend_api::create_experiment))
        .routes(routes!(analytics::recommend_api::experiment_results))
        .routes(routes!(analytics::recommend_api::start_experiment))
        .routes(routes!(analytics::recommend_api::stop_experiment))
        .routes(routes!(members::shop_api::put_profile))
        .routes(routes!(members::shop_api::mall))
        .routes(routes!(members::shop_api::exchange))
        .routes(routes!(members::admin_api::list_mall, members::admin_api::create_mall_item))
        .routes(routes!(members::admin_api::change_mall_item))
        .routes(routes!(members::admin_api::list_cards, members::admin_api::create_card))
        .routes(routes!(distribution::admin_api::list_promoters))
        .routes(routes!(distribution::admin_api::get_promoter))
        .routes(routes!(distribution::admin_api::promoter_commissions))
        .routes(routes!(distribution::admin_api::list_commissions))
        .routes(routes!(distribution::admin_api::release_commission))
        .routes(routes!(distribution::admin_api::reject_commission))
        .routes(routes!(distribution::admin_api::approve_promoter))
        .routes(routes!(distribution::admin_api::reject_promoter))
        .routes(routes!(distribution::admin_api::suspend_promoter))
        .routes(routes!(distribution::admin_api::reinstate_promoter))
        .routes(routes!(
            distribution::admin_api::get_distribution_settings,
            distribution::admin_api::put_distribution_settings
        ))
        .routes(routes!(distribution::admin_api::list_withdrawals))
        .routes(routes!(distribution::admin_api::approve_withdrawal))
        .routes(routes!(distribution::admin_api::pay_withdrawal))
        .routes(routes!(distribution::admin_api::reject_withdrawal))
        .routes(routes!(community::api::list_groups, community::api::create_group))
        .routes(routes!(community::api::get_group, community::api::update_group))
        .routes(routes!(community::api::group_members))
        .routes(routes!(community::api::group_coupons, community::api::link_group_coupon))
        .routes(routes!(community::api::unlink_group_coupon))
        .routes(routes!(community::api::group_pushes, community::api::push_to_group))
        .routes(routes!(community::api::group_qr_png))
        .routes(routes!(community::api::group_qr_svg))
        .routes(routes!(community::api::my_groups))
        .routes(routes!(community::api::shop_group))
        .routes(routes!(community::api::join_group, community::api::leave_group))
        .routes(routes!(community::api::claim_group_coupon))
        .routes(routes!(referral::api::my_referral))
        .routes(routes!(referral::api::accept_referral))
        .routes(routes!(referral::api::get_referral_settings, referral::api::put_referral_settings))
        .routes(routes!(referral::api::list_referrals))
        .routes(routes!(referral::api::release_referral))
        .routes(routes!(referral::api::reject_referral))
        .routes(routes!(distribution::shop_api::promoter_centre))
        .routes(routes!(distribution::shop_api::apply_promoter))
        .routes(routes!(distribution::shop_api::bind_promoter))
        .routes(routes!(distribution::shop_api::promoter_team))
        .routes(routes!(distribution::shop_api::promoter_commissions))
        .routes(routes!(distribution::shop_api::promoter_withdrawals, distribution::shop_api::request_withdrawal))
        .routes(routes!(share::api::share_link))
        .routes(routes!(share::api::qr_png))
        .routes(routes!(share::api::qr_svg))
        .routes(routes!(share::api::poster_png))
        .routes(routes!(share::api::poster_svg))
}
