//! Storefront pages of flash sales: a sale and buying from it.

use crate::error::ApiReason;
use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new().route("/flash/{id}", get(flash_page).post(flash_buy))
}

#[derive(Template)]
#[template(path = "shop/flash.html")]
struct FlashPage {
    c: Ctx,
    f: FlashSaleDto,
    /// Idempotency key of this page's purchase: a double submit buys once.
    idem: String,
}

async fn flash_page(State(st): State<AppState>, c: Ctx, WebPath(id): WebPath<i64>) -> WebResult {
    let f = crate::flash::sales::shop_flash_sale(&st, id).await?;
    Ok(FlashPage { c, f, idem: crate::accounts::auth::new_token("web_") }.render_page())
}

/// Buy in a flash sale through the flash-sale engine, then pay like any order.
async fn flash_buy(
    State(st): State<AppState>,
    ShopBuyer(b): ShopBuyer,
    mut headers: HeaderMap,
    WebPath(id): WebPath<i64>,
    f: Fields,
) -> WebResult {
    headers.insert(
        "idempotency-key",
        HeaderValue::from_str(f.get("idem")).map_err(|_| ApiError::invalid_because("idem", &ApiReason::BadFormKey))?,
    );
    let addresses = st.store.addresses(b.id).await?;
    let address_id = addresses.iter().find(|a| a.is_default != 0).or(addresses.first()).map(|a| a.id);
    let req = flash_sales::FlashPurchase { sku_id: f.int("sku_id"), quantity: f.int("quantity"), address_id };
    let resp = crate::flash::sales::buy(&st, &b, &Call::from_headers(&headers), id, req).await?;
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&resp.body).unwrap_or_default();
    if !status.is_success() {
        return Err(crate::error::kept_refusal(status, &v).into());
    }
    let order_id = v["order_id"].as_i64().ok_or_else(|| ApiError::internal("flash order without id"))?;
    redirect(&format!("/orders/{order_id}/pay"))
}
