//! The buyer's own collections: favourites (收藏), browsing history (足迹) and the address book. Each use case
//! acts for the logged-in buyer only; the shop API (`shop_api`) and the storefront pages (`shop_pages`) call
//! the same functions.

pub mod shop_api;
pub mod shop_pages;

use minimall_core::ProductId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::auth::Buyer;
use crate::error::{ApiError, ApiResult};
use crate::http::{PageQuery, Paginated};
use crate::promotions::shop_api::{address_fields, AddressDto, AddressInput};
use crate::state::AppState;
use minimall_store::favourites::SavedProductRow;

/// A product the buyer saved or viewed, as it is now.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedProductDto {
    pub product_id: i64,
    pub title: String,
    /// The product's first image.
    pub image: Option<String>,
    /// The lowest SKU price now (fen).
    pub price: i64,
    pub sales: i64,
    /// Still on sale; a product taken off the shelf or deleted stays listed as 已失效.
    pub on_sale: bool,
    /// When it was saved, or last viewed (epoch ms).
    pub at: i64,
}

impl From<SavedProductRow> for SavedProductDto {
    fn from(r: SavedProductRow) -> Self {
        let image = serde_json::from_str::<Vec<String>>(&r.images).ok().and_then(|v| v.into_iter().next());
        SavedProductDto {
            product_id: r.product_id,
            title: r.title,
            image,
            price: r.min_price,
            sales: r.sales,
            on_sale: r.on_sale == 1,
            at: r.at,
        }
    }
}

/// Whether the buyer saved a product.
#[derive(Debug, Serialize, ToSchema)]
pub struct FavouriteState {
    pub product_id: i64,
    pub saved: bool,
}

/// A product the buyer viewed in an app (the storefront records its own views).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViewInput {
    pub product_id: i64,
}

/// The product, if it is this shop's and on sale.
async fn on_sale(st: &AppState, buyer: &Buyer, product_id: i64) -> ApiResult<()> {
    match st.store.product(st.store.reader(), buyer.merchant_id, ProductId::new(product_id)).await {
        Ok(p) if p.on_shelf == 1 => Ok(()),
        _ => Err(ApiError::not_found("product")),
    }
}

fn page_of(
    rows: minimall_store::Paged<SavedProductRow>,
    page: minimall_core::page::Page,
) -> Paginated<SavedProductDto> {
    Paginated::new(rows.items.into_iter().map(Into::into).collect(), rows.total, page)
}

/// The buyer's saved products, last saved first.
pub async fn favourites(st: &AppState, buyer: &Buyer, q: PageQuery) -> ApiResult<Paginated<SavedProductDto>> {
    let page = q.page()?;
    Ok(page_of(st.store.favourites(buyer.id, page.size(), page.offset()).await?, page))
}

/// Whether the buyer saved `product_id`.
pub async fn favourite_state(st: &AppState, buyer: &Buyer, product_id: i64) -> ApiResult<FavouriteState> {
    Ok(FavouriteState { product_id, saved: st.store.is_favourite(buyer.id, product_id).await? })
}

/// Save a product on sale; true when it was not saved before.
pub async fn save(st: &AppState, buyer: &Buyer, product_id: i64) -> ApiResult<bool> {
    on_sale(st, buyer, product_id).await?;
    let mut tx = st.store.begin().await?;
    let new = st.store.add_favourite(&mut tx, buyer.merchant_id, buyer.id, product_id).await?;
    minimall_store::commit(tx).await?;
    Ok(new)
}

/// Forget a saved product (also one no longer on sale); saying it twice is no error.
pub async fn unsave(st: &AppState, buyer: &Buyer, product_id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    st.store.remove_favourite(&mut tx, buyer.id, product_id).await?;
    minimall_store::commit(tx).await?;
    Ok(())
}

/// The buyer's viewed products, last viewed first.
pub async fn history(st: &AppState, buyer: &Buyer, q: PageQuery) -> ApiResult<Paginated<SavedProductDto>> {
    let page = q.page()?;
    Ok(page_of(st.store.history(buyer.id, page.size(), page.offset()).await?, page))
}

/// Remember that the buyer viewed a product on sale.
pub async fn viewed(st: &AppState, buyer: &Buyer, product_id: i64) -> ApiResult<()> {
    on_sale(st, buyer, product_id).await?;
    record_view(st, buyer, product_id).await
}

/// Note a view of a product the caller has already found on sale (the storefront's product page).
pub async fn record_view(st: &AppState, buyer: &Buyer, product_id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    st.store.record_view(&mut tx, buyer.merchant_id, buyer.id, product_id, minimall_store::now_ms()).await?;
    minimall_store::commit(tx).await?;
    Ok(())
}

/// Forget one viewed product, or (`None`) the whole history.
pub async fn forget(st: &AppState, buyer: &Buyer, product_id: Option<i64>) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    st.store.forget_views(&mut tx, buyer.id, product_id).await?;
    minimall_store::commit(tx).await?;
    Ok(())
}

/// How many products the buyer saved and viewed.
pub async fn counts(st: &AppState, buyer: &Buyer) -> ApiResult<(i64, i64)> {
    Ok(st.store.saved_counts(buyer.id).await?)
}

/// One of the buyer's addresses.
pub async fn address(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<AddressDto> {
    st.store.address(buyer.id, id).await.map(Into::into).map_err(|_| ApiError::not_found("address"))
}

/// Change one of the buyer's addresses (made the default when asked).
pub async fn update_address(st: &AppState, buyer: &Buyer, id: i64, input: AddressInput) -> ApiResult<AddressDto> {
    let f = address_fields(&input)?;
    let mut tx = st.store.begin().await?;
    let row = st.store.update_address(&mut tx, buyer.id, id, &f).await.map_err(|_| ApiError::not_found("address"))?;
    minimall_store::commit(tx).await?;
    Ok(row.into())
}

/// Make one of the buyer's addresses the default.
pub async fn make_default(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<AddressDto> {
    let a = address(st, buyer, id).await?;
    let input = AddressInput {
        name: a.name,
        phone: a.phone,
        province: a.province,
        city: a.city,
        district: a.district,
        detail: a.detail,
        is_default: true,
    };
    update_address(st, buyer, id, input).await
}

/// Remove one of the buyer's addresses.
pub async fn delete_address(st: &AppState, buyer: &Buyer, id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    st.store.delete_address(&mut tx, buyer.id, id).await.map_err(|_| ApiError::not_found("address"))?;
    minimall_store::commit(tx).await?;
    Ok(())
}
