//! Promotions: activities, coupon templates and buyers' coupons, freight templates, pricing settings.
//! Rules and scopes are stored as JSON text; the server turns them into `core::pricing` types.

use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct ActivityRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub kind: String,
    pub rule: String,
    pub scope: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub allow_coupons: i32,
    pub allow_points: i32,
    pub per_buyer_limit: i64,
    pub free_shipping: i32,
    pub allow_overlap: i32,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const ACT_COLS: &str = "id, merchant_id, name, kind, rule, scope, starts_at, ends_at, allow_coupons, allow_points, per_buyer_limit, free_shipping, allow_overlap, status, created_at, updated_at";

#[derive(Debug, Clone)]
pub struct ActivityFields {
    pub name: String,
    pub kind: String,
    pub rule: String,
    pub scope: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub allow_coupons: bool,
    pub allow_points: bool,
    pub per_buyer_limit: i64,
    pub free_shipping: bool,
    pub allow_overlap: bool,
}

#[derive(Debug, Clone, FromRow)]
pub struct CouponTemplateRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub kind: String,
    pub threshold: i64,
    pub amount_off: i64,
    pub percent: i32,
    pub cap: i64,
    pub scope: String,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub valid_days: Option<i32>,
    pub total_quantity: i64,
    pub issued: i64,
    pub per_buyer_limit: i64,
    pub claimable: i32,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const TPL_COLS: &str = "id, merchant_id, name, kind, threshold, amount_off, percent, cap, scope, valid_from, valid_until, valid_days, total_quantity, issued, per_buyer_limit, claimable, status, created_at, updated_at";

/// What may change of a coupon template once coupons are out.
#[derive(Debug, Clone)]
pub struct CouponTemplateTerms {
    pub name: String,
    /// 0 = unlimited.
    pub total_quantity: i64,
    pub per_buyer_limit: i64,
    pub claimable: bool,
}

#[derive(Debug, Clone)]
pub struct CouponTemplateFields {
    pub name: String,
    pub kind: String,
    pub threshold: i64,
    pub amount_off: i64,
    pub percent: i32,
    pub cap: i64,
    pub scope: String,
    pub valid_from: Option<i64>,
    pub valid_until: Option<i64>,
    pub valid_days: Option<i32>,
    pub total_quantity: i64,
    pub per_buyer_limit: i64,
    pub claimable: bool,
}

/// A buyer's coupon joined with its template.
#[derive(Debug, Clone, FromRow)]
pub struct BuyerCouponRow {
    pub id: i64,
    pub template_id: i64,
    pub buyer_id: i64,
    pub state: String,
    pub valid_from: i64,
    pub valid_until: i64,
    pub source: String,
    pub order_ref: Option<String>,
    pub claimed_at: i64,
    pub used_at: Option<i64>,
    pub name: String,
    pub kind: String,
    pub threshold: i64,
    pub amount_off: i64,
    pub percent: i32,
    pub cap: i64,
    pub scope: String,
}

const BC_COLS: &str = "bc.id, bc.template_id, bc.buyer_id, bc.state, bc.valid_from, bc.valid_until, bc.source, bc.order_ref, bc.claimed_at, bc.used_at, t.name, t.kind, t.threshold, t.amount_off, t.percent, t.cap, t.scope";

#[derive(Debug, Clone, FromRow)]
pub struct FreightRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub mode: String,
    pub rules: String,
    pub free_over: Option<i64>,
    pub no_delivery: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const FR_COLS: &str = "id, merchant_id, name, mode, rules, free_over, no_delivery, created_at, updated_at";

/// Why a coupon claim was refused.
#[derive(Debug)]
pub enum ClaimError {
    NotFound,
    NotClaimable,
    SoldOut,
    LimitReached,
    Store(StoreError),
}

impl From<sqlx::Error> for ClaimError {
    fn from(e: sqlx::Error) -> Self {
        ClaimError::Store(e.into())
    }
}

impl From<StoreError> for ClaimError {
    fn from(e: StoreError) -> Self {
        ClaimError::Store(e)
    }
}

impl Store {
    // ---- activities -----------------------------------------------------------------------------

    pub async fn insert_activity(&self, tx: &mut Tx, merchant_id: i64, a: &ActivityFields) -> StoreResult<ActivityRow> {
        let now = now_ms();
        Ok(sqlx::query_as::<_, ActivityRow>(&format!(
            "INSERT INTO activities (merchant_id, name, kind, rule, scope, starts_at, ends_at, allow_coupons, allow_points,
                per_buyer_limit, free_shipping, allow_overlap, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {ACT_COLS}"
        ))
        .bind(merchant_id)
        .bind(&a.name)
        .bind(&a.kind)
        .bind(&a.rule)
        .bind(&a.scope)
        .bind(a.starts_at)
        .bind(a.ends_at)
        .bind(i32::from(a.allow_coupons))
        .bind(i32::from(a.allow_points))
        .bind(a.per_buyer_limit)
        .bind(i32::from(a.free_shipping))
        .bind(i32::from(a.allow_overlap))
        .bind(now)
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn update_activity(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        a: &ActivityFields,
    ) -> StoreResult<ActivityRow> {
        Ok(sqlx::query_as::<_, ActivityRow>(&format!(
            "UPDATE activities SET name = $3, kind = $4, rule = $5, scope = $6, starts_at = $7, ends_at = $8,
                allow_coupons = $9, allow_points = $10, per_buyer_limit = $11, free_shipping = $12, allow_overlap = $13,
                updated_at = $14
             WHERE merchant_id = $1 AND id = $2 RETURNING {ACT_COLS}"
        ))
        .bind(merchant_id)
        .bind(id)
        .bind(&a.name)
        .bind(&a.kind)
        .bind(&a.rule)
        .bind(&a.scope)
        .bind(a.starts_at)
        .bind(a.ends_at)
        .bind(i32::from(a.allow_coupons))
        .bind(i32::from(a.allow_points))
        .bind(a.per_buyer_limit)
        .bind(i32::from(a.free_shipping))
        .bind(i32::from(a.allow_overlap))
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?)
    }

    /// End an activity now.
    pub async fn end_activity(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<ActivityRow> {
        let now = now_ms();
        Ok(sqlx::query_as::<_, ActivityRow>(&format!(
            "UPDATE activities SET status = 'ended', ends_at = CASE WHEN ends_at > $3 THEN $3 ELSE ends_at END, updated_at = $3
             WHERE merchant_id = $1 AND id = $2 RETURNING {ACT_COLS}"
        ))
        .bind(merchant_id)
        .bind(id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn activity(&self, merchant_id: i64, id: i64) -> StoreResult<ActivityRow> {
        Ok(sqlx::query_as::<_, ActivityRow>(&format!(
            "SELECT {ACT_COLS} FROM activities WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_one(self.reader())
        .await?)
    }

    /// Activities not ended whose window overlaps [from, to) — inside a write transaction (overlap checks).
    pub async fn activities_overlapping_tx(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<ActivityRow>> {
        Ok(sqlx::query_as::<_, ActivityRow>(&format!(
            "SELECT {ACT_COLS} FROM activities WHERE merchant_id = $1 AND status = 'active' AND starts_at < $3 AND ends_at > $2"
        ))
        .bind(merchant_id)
        .bind(from)
        .bind(to)
        .fetch_all(&mut **tx)
        .await?)
    }

    /// Active activities that have not ended at `now` (running or upcoming), for the pricing cache.
    pub async fn unfinished_activities(&self, merchant_id: i64, now: i64) -> StoreResult<Vec<ActivityRow>> {
        Ok(sqlx::query_as::<_, ActivityRow>(&format!(
            "SELECT {ACT_COLS} FROM activities WHERE merchant_id = $1 AND status = 'active' AND ends_at > $2 ORDER BY id"
        ))
        .bind(merchant_id)
        .bind(now)
        .fetch_all(self.reader())
        .await?)
    }

    /// `state`: running, upcoming, ended, or '' for all.
    pub async fn list_activities(
        &self,
        merchant_id: i64,
        state: &str,
        kind: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ActivityRow>> {
        let filter = "merchant_id = $1 AND ($2 = '' OR kind = $2) AND (
            $3 = '' OR ($3 = 'running' AND status = 'active' AND starts_at <= $4 AND ends_at > $4)
            OR ($3 = 'upcoming' AND status = 'active' AND starts_at > $4)
            OR ($3 = 'ended' AND (status = 'ended' OR ends_at <= $4)))";
        let now = now_ms();
        let items = sqlx::query_as::<_, ActivityRow>(&format!(
            "SELECT {ACT_COLS} FROM activities WHERE {filter} ORDER BY id DESC LIMIT $5 OFFSET $6"
        ))
        .bind(merchant_id)
        .bind(kind)
        .bind(state)
        .bind(now)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM activities WHERE {filter}"))
            .bind(merchant_id)
            .bind(kind)
            .bind(state)
            .bind(now)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    // ---- coupon templates -----------------------------------------------------------------------

    pub async fn insert_coupon_template(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        c: &CouponTemplateFields,
    ) -> StoreResult<CouponTemplateRow> {
        let now = now_ms();
        Ok(sqlx::query_as::<_, CouponTemplateRow>(&format!(
            "INSERT INTO coupon_templates (merchant_id, name, kind, threshold, amount_off, percent, cap, scope, valid_from,
                valid_until, valid_days, total_quantity, per_buyer_limit, claimable, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING {TPL_COLS}"
        ))
        .bind(merchant_id)
        .bind(&c.name)
        .bind(&c.kind)
        .bind(c.threshold)
        .bind(c.amount_off)
        .bind(c.percent)
        .bind(c.cap)
        .bind(&c.scope)
        .bind(c.valid_from)
        .bind(c.valid_until)
        .bind(c.valid_days)
        .bind(c.total_quantity)
        .bind(c.per_buyer_limit)
        .bind(i32::from(c.claimable))
        .bind(now)
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn coupon_template(&self, merchant_id: i64, id: i64) -> StoreResult<CouponTemplateRow> {
        Ok(sqlx::query_as::<_, CouponTemplateRow>(&format!(
            "SELECT {TPL_COLS} FROM coupon_templates WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_one(self.reader())
        .await?)
    }

    /// Change what may change once coupons are out: the name, how many there are in all (0 = no limit, else
    /// not below those issued), the per-buyer limit and whether buyers may claim it. `None` when the template
    /// is stopped or more coupons are out than `total_quantity` by now (a claim came first).
    pub async fn update_coupon_template(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        t: &CouponTemplateTerms,
    ) -> StoreResult<Option<CouponTemplateRow>> {
        Ok(sqlx::query_as::<_, CouponTemplateRow>(&format!(
            "UPDATE coupon_templates SET name = $3, total_quantity = $4, per_buyer_limit = $5, claimable = $6, updated_at = $7
             WHERE merchant_id = $1 AND id = $2 AND status = 'active' AND ($4 = 0 OR issued <= $4) RETURNING {TPL_COLS}"
        ))
        .bind(merchant_id)
        .bind(id)
        .bind(&t.name)
        .bind(t.total_quantity)
        .bind(t.per_buyer_limit)
        .bind(i32::from(t.claimable))
        .bind(now_ms())
        .fetch_optional(&mut **tx)
        .await?)
    }

    pub async fn set_coupon_template_status(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        status: &str,
    ) -> StoreResult<CouponTemplateRow> {
        Ok(sqlx::query_as::<_, CouponTemplateRow>(&format!(
            "UPDATE coupon_templates SET status = $3, updated_at = $4 WHERE merchant_id = $1 AND id = $2 RETURNING {TPL_COLS}"
        ))
        .bind(merchant_id)
        .bind(id)
        .bind(status)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?)
    }

    /// `claimable_only`: templates buyers can claim now in the coupon centre (active, claimable, not sold out, not
    /// expired, not for a community group's members only).
    pub async fn list_coupon_templates(
        &self,
        merchant_id: i64,
        claimable_only: bool,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<CouponTemplateRow>> {
        let filter = "merchant_id = $1 AND ($2 = 0 OR (status = 'active' AND claimable = 1
            AND (total_quantity = 0 OR issued < total_quantity) AND (valid_until IS NULL OR valid_until > $3)
            AND NOT EXISTS (SELECT 1 FROM community_coupons cc WHERE cc.template_id = coupon_templates.id)))";
        let now = now_ms();
        let items = sqlx::query_as::<_, CouponTemplateRow>(&format!(
            "SELECT {TPL_COLS} FROM coupon_templates WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(merchant_id)
        .bind(i32::from(claimable_only))
        .bind(now)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM coupon_templates WHERE {filter}"))
            .bind(merchant_id)
            .bind(i32::from(claimable_only))
            .bind(now)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Issue one coupon of a template to a buyer, inside `tx`. The template's quantity is taken with a
    /// conditional update (which also serialises concurrent issues of the template), then the buyer's limit
    /// is checked. `validity` is (from, until) already computed by the caller.
    pub async fn issue_coupon(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        template_id: i64,
        buyer_id: i64,
        source: &str,
        validity: (i64, i64),
        require_claimable: bool,
    ) -> Result<i64, ClaimError> {
        let taken = sqlx::query(
            "UPDATE coupon_templates SET issued = issued + 1, updated_at = $3
             WHERE merchant_id = $1 AND id = $2 AND status = 'active' AND ($4 = 0 OR claimable = 1)
               AND (total_quantity = 0 OR issued < total_quantity)",
        )
        .bind(merchant_id)
        .bind(template_id)
        .bind(now_ms())
        .bind(i32::from(require_claimable))
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if taken == 0 {
            let t: Option<(String, i32, i64, i64)> =
                sqlx::query_as("SELECT status, claimable, total_quantity, issued FROM coupon_templates WHERE merchant_id = $1 AND id = $2")
                    .bind(merchant_id)
                    .bind(template_id)
                    .fetch_optional(&mut **tx)
                    .await?;
            return Err(match t {
                None => ClaimError::NotFound,
                Some((status, claimable, total, issued)) => {
                    if total > 0 && issued >= total {
                        ClaimError::SoldOut
                    } else if status != "active" || (require_claimable && claimable == 0) {
                        ClaimError::NotClaimable
                    } else {
                        ClaimError::SoldOut
                    }
                }
            });
        }
        let (limit,): (i64,) = sqlx::query_as("SELECT per_buyer_limit FROM coupon_templates WHERE id = $1")
            .bind(template_id)
            .fetch_one(&mut **tx)
            .await?;
        let (held,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM buyer_coupons WHERE template_id = $1 AND buyer_id = $2")
                .bind(template_id)
                .bind(buyer_id)
                .fetch_one(&mut **tx)
                .await?;
        if limit > 0 && held >= limit {
            return Err(ClaimError::LimitReached);
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO buyer_coupons (merchant_id, template_id, buyer_id, state, valid_from, valid_until, source, claimed_at)
             VALUES ($1, $2, $3, 'unused', $4, $5, $6, $7) RETURNING id",
        )
        .bind(merchant_id)
        .bind(template_id)
        .bind(buyer_id)
        .bind(validity.0)
        .bind(validity.1)
        .bind(source)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// A buyer's coupons. `view`: available (unused and not past validity), used, expired, or '' for all.
    pub async fn buyer_coupons(
        &self,
        merchant_id: i64,
        buyer_id: i64,
        view: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<BuyerCouponRow>> {
        let filter = "bc.merchant_id = $1 AND bc.buyer_id = $2 AND (
            $3 = '' OR ($3 = 'available' AND bc.state = 'unused' AND bc.valid_until > $4)
            OR ($3 = 'used' AND bc.state IN ('used','locked'))
            OR ($3 = 'expired' AND (bc.state = 'expired' OR (bc.state = 'unused' AND bc.valid_until <= $4))))";
        let now = now_ms();
        let items = sqlx::query_as::<_, BuyerCouponRow>(&format!(
            "SELECT {BC_COLS} FROM buyer_coupons bc JOIN coupon_templates t ON t.id = bc.template_id
             WHERE {filter} ORDER BY bc.valid_until, bc.id LIMIT $5 OFFSET $6"
        ))
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(view)
        .bind(now)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM buyer_coupons bc WHERE {filter}"))
            .bind(merchant_id)
            .bind(buyer_id)
            .bind(view)
            .bind(now)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Specific coupons of one buyer (others' ids simply do not come back).
    pub async fn buyer_coupons_by_ids(
        &self,
        merchant_id: i64,
        buyer_id: i64,
        ids: &[i64],
    ) -> StoreResult<Vec<BuyerCouponRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {BC_COLS} FROM buyer_coupons bc JOIN coupon_templates t ON t.id = bc.template_id
             WHERE bc.merchant_id = $1 AND bc.buyer_id = $2 AND bc.id IN ({})",
            crate::db::placeholders(3, ids.len())
        );
        let mut q = sqlx::query_as::<_, BuyerCouponRow>(&sql).bind(merchant_id).bind(buyer_id);
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.reader()).await?)
    }

    // ---- freight templates ----------------------------------------------------------------------

    pub async fn insert_freight(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        name: &str,
        mode: &str,
        rules: &str,
        free_over: Option<i64>,
        no_delivery: &str,
    ) -> StoreResult<FreightRow> {
        let now = now_ms();
        Ok(sqlx::query_as::<_, FreightRow>(&format!(
            "INSERT INTO freight_templates (merchant_id, name, mode, rules, free_over, no_delivery, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {FR_COLS}"
        ))
        .bind(merchant_id)
        .bind(name)
        .bind(mode)
        .bind(rules)
        .bind(free_over)
        .bind(no_delivery)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn update_freight(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        name: &str,
        mode: &str,
        rules: &str,
        free_over: Option<i64>,
        no_delivery: &str,
    ) -> StoreResult<FreightRow> {
        Ok(sqlx::query_as::<_, FreightRow>(&format!(
            "UPDATE freight_templates SET name = $3, mode = $4, rules = $5, free_over = $6, no_delivery = $7, updated_at = $8
             WHERE merchant_id = $1 AND id = $2 RETURNING {FR_COLS}"
        ))
        .bind(merchant_id)
        .bind(id)
        .bind(name)
        .bind(mode)
        .bind(rules)
        .bind(free_over)
        .bind(no_delivery)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?)
    }

    pub async fn freight_templates(&self, merchant_id: i64) -> StoreResult<Vec<FreightRow>> {
        Ok(sqlx::query_as::<_, FreightRow>(&format!(
            "SELECT {FR_COLS} FROM freight_templates WHERE merchant_id = $1 ORDER BY id"
        ))
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?)
    }

    // ---- pricing settings -----------------------------------------------------------------------

    /// (points per yuan, max share %, default freight template).
    pub async fn pricing_settings(&self, merchant_id: i64) -> StoreResult<(i64, i32, Option<i64>)> {
        Ok(sqlx::query_as(
            "SELECT points_per_yuan, points_max_share_pct, default_freight_template_id FROM merchants WHERE id = $1",
        )
        .bind(merchant_id)
        .fetch_one(self.reader())
        .await?)
    }

    pub async fn set_pricing_settings(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        per_yuan: i64,
        share: i32,
        default_freight: Option<i64>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE merchants SET points_per_yuan = $2, points_max_share_pct = $3, default_freight_template_id = $4 WHERE id = $1")
            .bind(merchant_id)
            .bind(per_yuan)
            .bind(share)
            .bind(default_freight)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn set_product_freight(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        product_id: i64,
        template: Option<i64>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE products SET freight_template_id = $3 WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(product_id)
            .bind(template)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// SKU ids covered by a scope, from the current catalog (for overlap checks).
    pub async fn sku_ids_for_products_tx(&self, tx: &mut Tx, merchant_id: i64) -> StoreResult<Vec<(i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.product_id, p.category_id FROM skus s JOIN products p ON p.id = s.product_id
             WHERE s.merchant_id = $1 AND s.deleted = 0 AND p.deleted = 0",
        )
        .bind(merchant_id)
        .fetch_all(&mut **tx)
        .await?)
    }
}
