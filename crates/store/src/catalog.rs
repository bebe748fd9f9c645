//! Catalog persistence: categories, products (SPU), SKUs and the catalog version that read caches follow.

use minimall_core::{ProductId, SkuId};
use sqlx::{Any, Executor, FromRow};

use crate::script::Script;
use crate::{now_ms, Paged, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct CategoryRow {
    pub id: i64,
    pub merchant_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub sort: i64,
    pub depth: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

const CAT_COLS: &str = "id, merchant_id, parent_id, name, sort, depth, created_at, updated_at";

#[derive(Debug, Clone, FromRow)]
pub struct ProductRow {
    pub id: ProductId,
    pub merchant_id: i64,
    pub code: String,
    pub category_id: i64,
    pub title: String,
    pub subtitle: String,
    pub description: String,
    /// JSON array of image URLs.
    pub images: String,
    /// JSON array of tags.
    pub tags: String,
    /// JSON array of `{name, values}` spec dimensions.
    pub specs: String,
    pub sort: i64,
    pub on_shelf: i32,
    pub lifecycle: String,
    pub free_shipping: i32,
    pub earns_points: i32,
    pub coupons_usable: i32,
    pub purchase_limit: i64,
    pub min_price: i64,
    pub max_price: i64,
    pub sales: i64,
    pub freight_template_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) const PRODUCT_COLS: &str = "id, merchant_id, code, category_id, title, subtitle, description, images, tags, specs, sort, on_shelf, lifecycle, free_shipping, earns_points, coupons_usable, purchase_limit, min_price, max_price, sales, freight_template_id, created_at, updated_at";

/// Product fields written on create and update.
#[derive(Debug, Clone)]
pub struct ProductFields {
    pub code: String,
    pub category_id: i64,
    pub title: String,
    pub subtitle: String,
    pub description: String,
    pub images: String,
    pub tags: String,
    pub specs: String,
    pub sort: i64,
    pub on_shelf: bool,
    pub lifecycle: String,
    pub free_shipping: bool,
    pub earns_points: bool,
    pub coupons_usable: bool,
    pub purchase_limit: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct SkuRow {
    pub id: SkuId,
    pub merchant_id: i64,
    pub product_id: ProductId,
    pub code: String,
    pub barcode: Option<String>,
    /// JSON array of values, one per spec dimension.
    pub spec_values: String,
    pub stock: i64,
    pub original_price: i64,
    pub sale_price: i64,
    pub cost_price: i64,
    pub weight_g: i64,
    pub safety_stock: i64,
    pub price_above_original: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

const SKU_COLS: &str = "id, merchant_id, product_id, code, barcode, spec_values, stock, original_price, sale_price, cost_price, weight_g, safety_stock, price_above_original, created_at, updated_at";

/// SKU fields written on create and update (stock moves only through [`Store::move_stock`]).
#[derive(Debug, Clone)]
pub struct SkuFields {
    pub code: String,
    pub barcode: Option<String>,
    pub spec_values: String,
    pub original_price: i64,
    pub sale_price: i64,
    pub cost_price: i64,
    pub weight_g: i64,
    pub safety_stock: i64,
    pub price_above_original: bool,
}

/// Filters of the console's product list.
#[derive(Debug, Clone, Default)]
pub struct AdminProductFilter {
    pub q: String,
    pub category_ids: Vec<i64>,
    pub on_shelf: Option<bool>,
    pub lifecycle: Option<String>,
    pub low_stock: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopSort {
    Newest,
    Sales,
    PriceAsc,
    PriceDesc,
    Default,
}

impl ShopSort {
    fn order_by(self) -> &'static str {
        match self {
            ShopSort::Newest => "id DESC",
            ShopSort::Sales => "sales DESC, id DESC",
            ShopSort::PriceAsc => "min_price ASC, id DESC",
            ShopSort::PriceDesc => "min_price DESC, id DESC",
            ShopSort::Default => "sort DESC, id DESC",
        }
    }
}

/// `%text%` for LIKE with `\` escaping.
pub fn like_pattern(q: &str) -> String {
    format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// `$from, $from+1, …` for `n` values.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

fn dup(e: sqlx::Error, what: impl FnOnce() -> String) -> StoreError {
    match StoreError::from(e) {
        StoreError::Duplicate(_) => StoreError::Duplicate(what()),
        other => other,
    }
}

impl Store {
    // ---- version --------------------------------------------------------------------------------

    /// Bump the merchant's catalog version inside a catalog write; caches compare against it.
    pub async fn bump_catalog_version(&self, tx: &mut Tx, merchant_id: i64) -> StoreResult<i64> {
        let (v,): (i64,) = sqlx::query_as(
            "UPDATE merchants SET catalog_version = catalog_version + 1 WHERE id = $1 RETURNING catalog_version",
        )
        .bind(merchant_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(v)
    }

    pub async fn catalog_version(&self, merchant_id: i64) -> StoreResult<i64> {
        let (v,): (i64,) = sqlx::query_as("SELECT catalog_version FROM merchants WHERE id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(v)
    }

    // ---- categories -----------------------------------------------------------------------------

    pub async fn list_categories(&self, merchant_id: i64) -> StoreResult<Vec<CategoryRow>> {
        Ok(sqlx::query_as::<_, CategoryRow>(&format!(
            "SELECT {CAT_COLS} FROM categories WHERE merchant_id = $1 ORDER BY depth, sort DESC, id"
        ))
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn category_tx(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<CategoryRow> {
        Ok(sqlx::query_as::<_, CategoryRow>(&format!(
            "SELECT {CAT_COLS} FROM categories WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn categories_tx(&self, tx: &mut Tx, merchant_id: i64) -> StoreResult<Vec<CategoryRow>> {
        Ok(sqlx::query_as::<_, CategoryRow>(&format!("SELECT {CAT_COLS} FROM categories WHERE merchant_id = $1"))
            .bind(merchant_id)
            .fetch_all(&mut **tx)
            .await?)
    }

    pub async fn insert_category(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        parent_id: Option<i64>,
        name: &str,
        sort: i64,
        depth: i32,
    ) -> StoreResult<CategoryRow> {
        let now = now_ms();
        Ok(sqlx::query_as::<_, CategoryRow>(&format!(
            "INSERT INTO categories (merchant_id, parent_id, name, sort, depth, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {CAT_COLS}"
        ))
        .bind(merchant_id)
        .bind(parent_id)
        .bind(name)
        .bind(sort)
        .bind(depth)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn update_category(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        parent_id: Option<i64>,
        name: &str,
        sort: i64,
        depth: i32,
    ) -> StoreResult<CategoryRow> {
        Ok(sqlx::query_as::<_, CategoryRow>(&format!(
            "UPDATE categories SET parent_id = $3, name = $4, sort = $5, depth = $6, updated_at = $7
             WHERE merchant_id = $1 AND id = $2 RETURNING {CAT_COLS}"
        ))
        .bind(merchant_id)
        .bind(id)
        .bind(parent_id)
        .bind(name)
        .bind(sort)
        .bind(depth)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?)
    }

    /// Set the depth of one category (used when a subtree moves).
    pub async fn set_category_depth(&self, tx: &mut Tx, id: i64, depth: i32) -> StoreResult<()> {
        sqlx::query("UPDATE categories SET depth = $2 WHERE id = $1").bind(id).bind(depth).execute(&mut **tx).await?;
        Ok(())
    }

    /// (child categories, products not deleted) of a category.
    pub async fn category_usage(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<(i64, i64)> {
        let (children,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM categories WHERE merchant_id = $1 AND parent_id = $2")
                .bind(merchant_id)
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        let (products,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM products WHERE merchant_id = $1 AND category_id = $2 AND deleted = 0")
                .bind(merchant_id)
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        Ok((children, products))
    }

    pub async fn delete_category(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<()> {
        // Deleted products keep their category id; point them at nothing visible by refusing when any exist.
        let (any,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM products WHERE merchant_id = $1 AND category_id = $2")
                .bind(merchant_id)
                .bind(id)
                .fetch_one(&mut **tx)
                .await?;
        if any > 0 {
            return Err(StoreError::Constraint("the category still holds products (also deleted ones)".into()));
        }
        let n = sqlx::query("DELETE FROM categories WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    // ---- products -------------------------------------------------------------------------------

    pub async fn insert_product(&self, tx: &mut Tx, merchant_id: i64, p: &ProductFields) -> StoreResult<ProductId> {
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO products (merchant_id, code, category_id, title, subtitle, description, images, tags, specs, sort,
                on_shelf, lifecycle, free_shipping, earns_points, coupons_usable, purchase_limit, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id",
        )
        .bind(merchant_id)
        .bind(&p.code)
        .bind(p.category_id)
        .bind(&p.title)
        .bind(&p.subtitle)
        .bind(&p.description)
        .bind(&p.images)
        .bind(&p.tags)
        .bind(&p.specs)
        .bind(p.sort)
        .bind(i32::from(p.on_shelf))
        .bind(&p.lifecycle)
        .bind(i32::from(p.free_shipping))
        .bind(i32::from(p.earns_points))
        .bind(i32::from(p.coupons_usable))
        .bind(p.purchase_limit)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| dup(e, || format!("product code {}", p.code)))?;
        Ok(ProductId::new(id))
    }

    pub async fn update_product(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: ProductId,
        p: &ProductFields,
    ) -> StoreResult<()> {
        let n = sqlx::query(
            "UPDATE products SET code = $3, category_id = $4, title = $5, subtitle = $6, description = $7, images = $8,
                tags = $9, specs = $10, sort = $11, on_shelf = $12, lifecycle = $13, free_shipping = $14,
                earns_points = $15, coupons_usable = $16, purchase_limit = $17, updated_at = $18
             WHERE merchant_id = $1 AND id = $2 AND deleted = 0",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(&p.code)
        .bind(p.category_id)
        .bind(&p.title)
        .bind(&p.subtitle)
        .bind(&p.description)
        .bind(&p.images)
        .bind(&p.tags)
        .bind(&p.specs)
        .bind(p.sort)
        .bind(i32::from(p.on_shelf))
        .bind(&p.lifecycle)
        .bind(i32::from(p.free_shipping))
        .bind(i32::from(p.earns_points))
        .bind(i32::from(p.coupons_usable))
        .bind(p.purchase_limit)
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map_err(|e| dup(e, || format!("product code {}", p.code)))?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Mark deleted (kept for orders and reports); it disappears from every list.
    pub async fn delete_product(&self, tx: &mut Tx, merchant_id: i64, id: ProductId) -> StoreResult<()> {
        let n = sqlx::query(
            "UPDATE products SET deleted = 1, on_shelf = 0, code = code || '#deleted-' || CAST(id AS TEXT), updated_at = $3
             WHERE merchant_id = $1 AND id = $2 AND deleted = 0",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE skus SET deleted = 1, code = code || '#deleted-' || CAST(id AS TEXT) WHERE product_id = $1 AND deleted = 0",
        )
        .bind(id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Recompute the product's price range from its SKUs.
    pub async fn refresh_price_range(&self, tx: &mut Tx, product_id: ProductId) -> StoreResult<()> {
        sqlx::query(
            "UPDATE products SET
                min_price = COALESCE((SELECT MIN(sale_price) FROM skus WHERE product_id = $1 AND deleted = 0), 0),
                max_price = COALESCE((SELECT MAX(sale_price) FROM skus WHERE product_id = $1 AND deleted = 0), 0)
             WHERE id = $1",
        )
        .bind(product_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn set_shelf(&self, tx: &mut Tx, merchant_id: i64, ids: &[i64], on: bool) -> StoreResult<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE products SET on_shelf = $2, updated_at = $3 WHERE merchant_id = $1 AND deleted = 0 AND id IN ({})",
            placeholders(4, ids.len())
        );
        let mut q = sqlx::query(&sql).bind(merchant_id).bind(i32::from(on)).bind(now_ms());
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.execute(&mut **tx).await?.rows_affected())
    }

    pub async fn product<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: ProductId,
    ) -> StoreResult<ProductRow> {
        Ok(sqlx::query_as::<_, ProductRow>(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE merchant_id = $1 AND id = $2 AND deleted = 0"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_one(ex)
        .await?)
    }

    pub async fn product_by_code_tx(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        code: &str,
    ) -> StoreResult<Option<ProductRow>> {
        Ok(sqlx::query_as::<_, ProductRow>(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE merchant_id = $1 AND code = $2 AND deleted = 0"
        ))
        .bind(merchant_id)
        .bind(code)
        .fetch_optional(&mut **tx)
        .await?)
    }

    /// The console's product list.
    pub async fn list_products_admin(
        &self,
        merchant_id: i64,
        f: &AdminProductFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ProductRow>> {
        let mut filter = String::from(
            "merchant_id = $1 AND deleted = 0 AND ($2 = '%%' OR title LIKE $2 ESCAPE '\\' OR code LIKE $2 ESCAPE '\\')
             AND ($3 < 0 OR on_shelf = $3) AND ($4 = '' OR lifecycle = $4)",
        );
        if f.low_stock {
            filter.push_str(" AND EXISTS (SELECT 1 FROM skus s WHERE s.product_id = products.id AND s.deleted = 0 AND s.stock <= s.safety_stock)");
        }
        if !f.category_ids.is_empty() {
            filter.push_str(&format!(" AND category_id IN ({})", placeholders(5, f.category_ids.len())));
        }
        let n = 5 + f.category_ids.len();
        let list_sql = format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE {filter} ORDER BY sort DESC, id DESC LIMIT ${n} OFFSET ${}",
            n + 1
        );
        let count_sql = format!("SELECT COUNT(*) FROM products WHERE {filter}");
        let pattern = like_pattern(&f.q);
        let shelf = f.on_shelf.map(i32::from).unwrap_or(-1);
        let lifecycle = f.lifecycle.clone().unwrap_or_default();
        let mut q =
            sqlx::query_as::<_, ProductRow>(&list_sql).bind(merchant_id).bind(&pattern).bind(shelf).bind(&lifecycle);
        let mut c =
            sqlx::query_as::<_, (i64,)>(&count_sql).bind(merchant_id).bind(&pattern).bind(shelf).bind(&lifecycle);
        for id in &f.category_ids {
            q = q.bind(*id);
            c = c.bind(*id);
        }
        let items = q.bind(limit).bind(offset).fetch_all(self.reader()).await?;
        let (total,) = c.fetch_one(self.reader()).await?;
        Ok(Paged { items, total })
    }

    /// On-shelf products for buyers: keyword (substring, works for Chinese), categories, sort.
    pub async fn list_products_shop(
        &self,
        merchant_id: i64,
        q: &str,
        category_ids: &[i64],
        sort: ShopSort,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ProductRow>> {
        let mut filter = String::from(
            "merchant_id = $1 AND on_shelf = 1 AND deleted = 0 AND ($2 = '%%' OR title LIKE $2 ESCAPE '\\' OR subtitle LIKE $2 ESCAPE '\\' OR tags LIKE $2 ESCAPE '\\')",
        );
        if !category_ids.is_empty() {
            filter.push_str(&format!(" AND category_id IN ({})", placeholders(3, category_ids.len())));
        }
        let n = 3 + category_ids.len();
        let list_sql = format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE {filter} ORDER BY {} LIMIT ${n} OFFSET ${}",
            sort.order_by(),
            n + 1
        );
        let count_sql = format!("SELECT COUNT(*) FROM products WHERE {filter}");
        let pattern = like_pattern(q);
        let mut lq = sqlx::query_as::<_, ProductRow>(&list_sql).bind(merchant_id).bind(&pattern);
        let mut cq = sqlx::query_as::<_, (i64,)>(&count_sql).bind(merchant_id).bind(&pattern);
        for id in category_ids {
            lq = lq.bind(*id);
            cq = cq.bind(*id);
        }
        let items = lq.bind(limit).bind(offset).fetch_all(self.reader()).await?;
        let (total,) = cq.fetch_one(self.reader()).await?;
        Ok(Paged { items, total })
    }

    pub async fn count_products(&self, merchant_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM products WHERE merchant_id = $1 AND deleted = 0")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(n)
    }

    // ---- SKUs -----------------------------------------------------------------------------------

    /// The live SKUs of some products, by product then id.
    pub async fn skus_of<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        product_ids: &[ProductId],
    ) -> StoreResult<Vec<SkuRow>> {
        if product_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {SKU_COLS} FROM skus WHERE deleted = 0 AND product_id IN ({}) ORDER BY product_id, id",
            placeholders(1, product_ids.len())
        );
        let mut q = sqlx::query_as::<_, SkuRow>(&sql);
        for id in product_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(ex).await?)
    }

    pub async fn sku<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: SkuId,
    ) -> StoreResult<SkuRow> {
        Ok(sqlx::query_as::<_, SkuRow>(&format!(
            "SELECT {SKU_COLS} FROM skus WHERE merchant_id = $1 AND id = $2 AND deleted = 0"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_one(ex)
        .await?)
    }

    /// A live SKU by its code.
    pub async fn sku_by_code<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        code: &str,
    ) -> StoreResult<Option<SkuRow>> {
        Ok(sqlx::query_as::<_, SkuRow>(&format!(
            "SELECT {SKU_COLS} FROM skus WHERE merchant_id = $1 AND code = $2 AND deleted = 0"
        ))
        .bind(merchant_id)
        .bind(code)
        .fetch_optional(ex)
        .await?)
    }

    /// Insert a SKU with zero stock; the caller records the opening stock with [`Store::move_stock`].
    pub async fn insert_sku(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        product_id: ProductId,
        s: &SkuFields,
    ) -> StoreResult<SkuId> {
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO skus (merchant_id, product_id, code, barcode, spec_values, stock, original_price, sale_price,
                cost_price, weight_g, safety_stock, price_above_original, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
        )
        .bind(merchant_id)
        .bind(product_id)
        .bind(&s.code)
        .bind(&s.barcode)
        .bind(&s.spec_values)
        .bind(s.original_price)
        .bind(s.sale_price)
        .bind(s.cost_price)
        .bind(s.weight_g)
        .bind(s.safety_stock)
        .bind(i32::from(s.price_above_original))
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| dup(e, || format!("SKU code {}", s.code)))?;
        Ok(SkuId::new(id))
    }

    pub async fn update_sku(&self, tx: &mut Tx, merchant_id: i64, id: SkuId, s: &SkuFields) -> StoreResult<()> {
        let n = sqlx::query(
            "UPDATE skus SET code = $3, barcode = $4, spec_values = $5, original_price = $6, sale_price = $7,
                cost_price = $8, weight_g = $9, safety_stock = $10, price_above_original = $11, updated_at = $12
             WHERE merchant_id = $1 AND id = $2 AND deleted = 0",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(&s.code)
        .bind(&s.barcode)
        .bind(&s.spec_values)
        .bind(s.original_price)
        .bind(s.sale_price)
        .bind(s.cost_price)
        .bind(s.weight_g)
        .bind(s.safety_stock)
        .bind(i32::from(s.price_above_original))
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map_err(|e| dup(e, || format!("SKU code {}", s.code)))?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_sku(&self, tx: &mut Tx, merchant_id: i64, id: SkuId) -> StoreResult<()> {
        let n = sqlx::query(
            "UPDATE skus SET deleted = 1, code = code || '#deleted-' || CAST(id AS TEXT), updated_at = $3
             WHERE merchant_id = $1 AND id = $2 AND deleted = 0",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

impl Store {
    /// Count units sold on a product (orders call this; the demo seeds history with it).
    pub async fn add_product_sales(&self, tx: &mut Tx, product_id: ProductId, n: i64) -> StoreResult<()> {
        let mut w = self.writes();
        w.product_sales(product_id.get(), n);
        w.run(tx).await?;
        Ok(())
    }
}

/// Count `n` more units sold on a product, as the next statement of `script`.
pub(crate) fn product_sales(script: &mut Script<'_>, product_id: i64, n: i64) {
    script.statement("UPDATE products SET sales = sales + ? WHERE id = ?".into()).add(n).add(product_id);
}

impl Store {
    /// Every live product code of a merchant with its id (for imports).
    pub async fn product_codes_tx(&self, tx: &mut Tx, merchant_id: i64) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT code, id FROM products WHERE merchant_id = $1 AND deleted = 0")
            .bind(merchant_id)
            .fetch_all(&mut **tx)
            .await?)
    }

    /// Every live SKU of a merchant: (code, id, product id, stock, spec values JSON).
    pub async fn sku_index_tx(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
    ) -> StoreResult<Vec<(String, i64, i64, i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT code, id, product_id, stock, spec_values FROM skus WHERE merchant_id = $1 AND deleted = 0",
        )
        .bind(merchant_id)
        .fetch_all(&mut **tx)
        .await?)
    }

    /// All live products with their SKUs, for export (ordered by product id, then SKU id).
    pub async fn export_catalog(&self, merchant_id: i64) -> StoreResult<(Vec<ProductRow>, Vec<SkuRow>)> {
        let products = sqlx::query_as::<_, ProductRow>(&format!(
            "SELECT {PRODUCT_COLS} FROM products WHERE merchant_id = $1 AND deleted = 0 ORDER BY id"
        ))
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?;
        let skus = sqlx::query_as::<_, SkuRow>(&format!(
            "SELECT {SKU_COLS} FROM skus WHERE merchant_id = $1 AND deleted = 0 ORDER BY product_id, id"
        ))
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?;
        Ok((products, skus))
    }
}

/// What a quote needs to know about one SKU.
#[derive(Debug, Clone, FromRow)]
pub struct SkuForQuote {
    pub sku_id: i64,
    pub product_id: i64,
    pub category_id: i64,
    pub title: String,
    pub spec_values: String,
    pub image: String,
    pub sale_price: i64,
    pub original_price: i64,
    pub weight_g: i64,
    pub stock: i64,
    pub free_shipping: i32,
    pub earns_points: i32,
    pub coupons_usable: i32,
    pub purchase_limit: i64,
    pub freight_template_id: Option<i64>,
    pub on_shelf: i32,
}

impl Store {
    /// The SKUs of a cart with their products (live, this merchant only; others do not come back).
    pub async fn skus_for_quote(&self, merchant_id: i64, sku_ids: &[i64]) -> StoreResult<Vec<SkuForQuote>> {
        if sku_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT s.id AS sku_id, p.id AS product_id, p.category_id, p.title, s.spec_values, p.images AS image, s.sale_price,
                    s.original_price, s.weight_g, s.stock, p.free_shipping, p.earns_points, p.coupons_usable, p.purchase_limit,
                    p.freight_template_id, p.on_shelf
             FROM skus s JOIN products p ON p.id = s.product_id
             WHERE s.merchant_id = $1 AND s.deleted = 0 AND p.deleted = 0 AND s.id IN ({})",
            placeholders(2, sku_ids.len())
        );
        let mut q = sqlx::query_as::<_, SkuForQuote>(&sql).bind(merchant_id);
        for id in sku_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.reader()).await?)
    }
}
