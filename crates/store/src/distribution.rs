//! Distribution (分销): the shop's settings, promoters and their applications, buyers' bindings, commissions
//! and withdrawals.
//!
//! A promoter's row carries its commission sub-ledger (frozen, available, withdrawing, owed, paid out). Every
//! change of it is decided by `core::social::commission_ledger` on the row as read under
//! [`Store::lock_promoter`] (a row lock on PostgreSQL held to the commit; SQLite's one writer serialises
//! anyway) and written back by [`Store::save_promoter_balance`] in the transaction of the posting that moves the
//! same amounts in the journal. Rows of two promoters are always taken in id order.

use sqlx::{Any, Executor, FromRow};

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct DistributionSettingsRow {
    pub approval: String,
    pub min_spend: Option<i64>,
    pub min_level_rank: Option<i64>,
    pub touch: String,
    pub binding_days: Option<i64>,
    pub settle_days: i64,
    /// JSON: `{"default": {"direct": …, "leader": …}, "overrides": [{"product_id", "direct", "leader"}]}`.
    pub rules: String,
    pub withdrawal_min: i64,
    pub withdrawal_max: i64,
    pub updated_at: i64,
    /// Risk control: orders per promoter and shop day that earn commission before the next one is held.
    pub risk_daily_limit: i64,
    /// Risk control: held when this many other buyers of the promoter share one of the buyer's identifiers.
    pub risk_crowd_limit: i64,
}

const SETTINGS_COLS: &str =
    "approval, min_spend, min_level_rank, touch, binding_days, settle_days, rules, withdrawal_min, withdrawal_max, updated_at,
     risk_daily_limit, risk_crowd_limit";

#[derive(Debug, Clone, FromRow)]
pub struct PromoterRow {
    pub id: i64,
    pub merchant_id: i64,
    pub buyer_id: i64,
    pub code: String,
    pub status: String,
    pub real_name: String,
    pub note: String,
    pub decision_note: String,
    pub frozen: i64,
    pub available: i64,
    pub withdrawing: i64,
    pub owed: i64,
    pub paid_out: i64,
    pub applied_at: i64,
    pub decided_at: Option<i64>,
    pub nickname: String,
    /// Of `frozen`, what is held for review (a recount of the promoter's held commissions).
    pub held: i64,
}

const PROMOTER_COLS: &str = "p.id, p.merchant_id, p.buyer_id, p.code, p.status, p.real_name, p.note, p.decision_note, p.frozen, p.available, p.withdrawing, p.owed, p.paid_out, p.applied_at, p.decided_at, b.nickname,
    CAST(COALESCE((SELECT SUM(h.amount - h.reversed) FROM commissions h WHERE h.promoter_id = p.id AND h.status = 'held'), 0) AS BIGINT) AS held";

/// A promoter's balance columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BalanceCols {
    pub frozen: i64,
    pub available: i64,
    pub withdrawing: i64,
    pub owed: i64,
    pub paid_out: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct BindingRow {
    pub buyer_id: i64,
    pub promoter_id: i64,
    pub source: String,
    pub bound_at: i64,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct TeamMemberRow {
    pub buyer_id: i64,
    pub nickname: String,
    pub source: String,
    pub bound_at: i64,
    pub expires_at: Option<i64>,
    /// Orders of this buyer that earned the promoter commission.
    pub orders: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct CommissionRow {
    pub id: i64,
    pub promoter_id: i64,
    pub order_id: i64,
    pub line_id: i64,
    pub product_id: i64,
    pub buyer_id: i64,
    pub tier: String,
    pub amount: i64,
    pub base: i64,
    pub refunded: i64,
    pub reversed: i64,
    pub status: String,
    pub created_at: i64,
    pub settled_at: Option<i64>,
    pub order_no: String,
    pub title: String,
    /// The risk check's reason codes, separated by commas.
    pub hold_reasons: String,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<i64>,
    pub merchant_id: i64,
    pub promoter_nickname: String,
    pub buyer_nickname: String,
}

const COMMISSION_COLS: &str = "c.id, c.promoter_id, c.order_id, c.line_id, c.product_id, c.buyer_id, c.tier, c.amount, c.base, c.refunded, c.reversed, c.status, c.created_at, c.settled_at, o.order_no, l.title,
    c.hold_reasons, c.reviewed_by, c.reviewed_at, c.merchant_id, pb.nickname AS promoter_nickname, bb.nickname AS buyer_nickname";
const COMMISSION_FROM: &str = "commissions c JOIN orders o ON o.id = c.order_id JOIN order_lines l ON l.id = c.line_id
    JOIN promoters pr ON pr.id = c.promoter_id JOIN buyers pb ON pb.id = pr.buyer_id JOIN buyers bb ON bb.id = c.buyer_id";

pub struct NewCommission {
    pub promoter_id: i64,
    pub order_id: i64,
    pub line_id: i64,
    pub product_id: i64,
    pub buyer_id: i64,
    pub tier: &'static str,
    pub amount: i64,
    pub base: i64,
    /// `frozen`, or `held` with the risk check's reasons.
    pub status: &'static str,
    pub hold_reasons: String,
}

#[derive(Debug, Clone, FromRow)]
pub struct WithdrawalRow {
    pub id: i64,
    pub merchant_id: i64,
    pub promoter_id: i64,
    pub amount: i64,
    pub status: String,
    pub payout: Option<String>,
    pub note: String,
    pub requested_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<i64>,
    pub nickname: String,
    pub code: String,
}

const WITHDRAWAL_COLS: &str = "w.id, w.merchant_id, w.promoter_id, w.amount, w.status, w.payout, w.note, w.requested_at, w.decided_at, w.decided_by, b.nickname, p.code";
const WITHDRAWAL_FROM: &str =
    "promoter_withdrawals w JOIN promoters p ON p.id = w.promoter_id JOIN buyers b ON b.id = p.buyer_id";

impl Store {
    pub async fn distribution_settings<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
    ) -> StoreResult<Option<DistributionSettingsRow>> {
        Ok(sqlx::query_as::<_, DistributionSettingsRow>(&format!(
            "SELECT {SETTINGS_COLS} FROM distribution_settings WHERE merchant_id = $1"
        ))
        .bind(merchant_id)
        .fetch_optional(ex)
        .await?)
    }

    pub async fn save_distribution_settings(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        s: &DistributionSettingsRow,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO distribution_settings (merchant_id, approval, min_spend, min_level_rank, touch, binding_days,
                settle_days, rules, withdrawal_min, withdrawal_max, updated_at, risk_daily_limit, risk_crowd_limit)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (merchant_id) DO UPDATE SET approval = $2, min_spend = $3, min_level_rank = $4, touch = $5,
                binding_days = $6, settle_days = $7, rules = $8, withdrawal_min = $9, withdrawal_max = $10, updated_at = $11,
                risk_daily_limit = $12, risk_crowd_limit = $13",
        )
        .bind(merchant_id)
        .bind(&s.approval)
        .bind(s.min_spend)
        .bind(s.min_level_rank)
        .bind(&s.touch)
        .bind(s.binding_days)
        .bind(s.settle_days)
        .bind(&s.rules)
        .bind(s.withdrawal_min)
        .bind(s.withdrawal_max)
        .bind(now_ms())
        .bind(s.risk_daily_limit)
        .bind(s.risk_crowd_limit)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// What an applicant has spent (completed orders) and the rank of their member level (0: none).
    pub async fn applicant_standing(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<(i64, i64)> {
        let row: Option<(i64, i64)> = sqlx::query_as(
            "SELECT COALESCE(p.completed_spend_fen, 0), CAST(COALESCE(l.rank, 0) AS BIGINT)
             FROM member_profiles p LEFT JOIN member_levels l ON l.id = p.level_id
             WHERE p.merchant_id = $1 AND p.buyer_id = $2",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.unwrap_or((0, 0)))
    }

    pub async fn promoter_of_buyer(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<Option<PromoterRow>> {
        Ok(sqlx::query_as::<_, PromoterRow>(&format!(
            "SELECT {PROMOTER_COLS} FROM promoters p JOIN buyers b ON b.id = p.buyer_id
             WHERE p.merchant_id = $1 AND p.buyer_id = $2"
        ))
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_optional(self.reader())
        .await?)
    }

    pub async fn promoter(&self, merchant_id: i64, id: i64) -> StoreResult<Option<PromoterRow>> {
        Ok(sqlx::query_as::<_, PromoterRow>(&format!(
            "SELECT {PROMOTER_COLS} FROM promoters p JOIN buyers b ON b.id = p.buyer_id
             WHERE p.merchant_id = $1 AND p.id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?)
    }

    pub async fn promoter_by_code(&self, merchant_id: i64, code: &str) -> StoreResult<Option<PromoterRow>> {
        Ok(sqlx::query_as::<_, PromoterRow>(&format!(
            "SELECT {PROMOTER_COLS} FROM promoters p JOIN buyers b ON b.id = p.buyer_id
             WHERE p.merchant_id = $1 AND p.code = $2"
        ))
        .bind(merchant_id)
        .bind(code)
        .fetch_optional(self.reader())
        .await?)
    }

    /// A new application (`pending`) or a promoter approved at once (`active`).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_promoter(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        code: &str,
        status: &str,
        real_name: &str,
        note: &str,
    ) -> StoreResult<i64> {
        let now = now_ms();
        let decided = (status == "active").then_some(now);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO promoters (merchant_id, buyer_id, code, status, real_name, note, applied_at, decided_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(code)
        .bind(status)
        .bind(real_name)
        .bind(note)
        .bind(now)
        .bind(decided)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Apply again after a refusal: only from `rejected`.
    pub async fn reapply_promoter(
        &self,
        tx: &mut Tx,
        id: i64,
        status: &str,
        real_name: &str,
        note: &str,
    ) -> StoreResult<bool> {
        let now = now_ms();
        let decided = (status == "active").then_some(now);
        Ok(sqlx::query(
            "UPDATE promoters SET status = $2, real_name = $3, note = $4, applied_at = $5, decided_at = $6, decision_note = ''
             WHERE id = $1 AND status = 'rejected'",
        )
        .bind(id)
        .bind(status)
        .bind(real_name)
        .bind(note)
        .bind(now)
        .bind(decided)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Move a promoter from `from` to `to` (approve, refuse, suspend, reinstate): answers whether it moved.
    pub async fn decide_promoter(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        from: &str,
        to: &str,
        note: &str,
    ) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE promoters SET status = $4, decision_note = $5, decided_at = $6
             WHERE merchant_id = $1 AND id = $2 AND status = $3",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(note)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Take a promoter's row for a change of its balance.
    pub async fn lock_promoter(&self, tx: &mut Tx, id: i64) -> StoreResult<Option<PromoterRow>> {
        let n = sqlx::query("UPDATE promoters SET version = version + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(None);
        }
        Ok(sqlx::query_as::<_, PromoterRow>(&format!(
            "SELECT {PROMOTER_COLS} FROM promoters p JOIN buyers b ON b.id = p.buyer_id WHERE p.id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?)
    }

    pub async fn save_promoter_balance(&self, tx: &mut Tx, id: i64, b: BalanceCols) -> StoreResult<()> {
        sqlx::query(
            "UPDATE promoters SET frozen = $2, available = $3, withdrawing = $4, owed = $5, paid_out = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(b.frozen)
        .bind(b.available)
        .bind(b.withdrawing)
        .bind(b.owed)
        .bind(b.paid_out)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Promoters (and applications) of one status, or all; newest first.
    pub async fn list_promoters(
        &self,
        merchant_id: i64,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<PromoterRow>> {
        let filter = "p.merchant_id = $1 AND ($2 = '' OR p.status = $2)";
        let items = sqlx::query_as::<_, PromoterRow>(&format!(
            "SELECT {PROMOTER_COLS} FROM promoters p JOIN buyers b ON b.id = p.buyer_id WHERE {filter}
             ORDER BY p.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM promoters p WHERE {filter}"))
            .bind(merchant_id)
            .bind(status)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn binding(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<Option<BindingRow>> {
        Ok(sqlx::query_as::<_, BindingRow>(
            "SELECT buyer_id, promoter_id, source, bound_at, expires_at FROM promoter_bindings
             WHERE merchant_id = $1 AND buyer_id = $2",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_optional(self.reader())
        .await?)
    }

    pub async fn save_binding(&self, tx: &mut Tx, merchant_id: i64, b: &BindingRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO promoter_bindings (merchant_id, buyer_id, promoter_id, source, bound_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (merchant_id, buyer_id) DO UPDATE SET promoter_id = $3, source = $4, bound_at = $5, expires_at = $6",
        )
        .bind(merchant_id)
        .bind(b.buyer_id)
        .bind(b.promoter_id)
        .bind(&b.source)
        .bind(b.bound_at)
        .bind(b.expires_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The buyers bound to a promoter, most recent first, with the orders that earned the promoter commission.
    pub async fn team(&self, promoter_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<TeamMemberRow>> {
        let items = sqlx::query_as::<_, TeamMemberRow>(
            "SELECT t.buyer_id, b.nickname, t.source, t.bound_at, t.expires_at,
                    (SELECT COUNT(DISTINCT c.order_id) FROM commissions c WHERE c.promoter_id = t.promoter_id AND c.buyer_id = t.buyer_id) AS orders
             FROM promoter_bindings t JOIN buyers b ON b.id = t.buyer_id
             WHERE t.promoter_id = $1 ORDER BY t.bound_at DESC, t.buyer_id DESC LIMIT $2 OFFSET $3",
        )
        .bind(promoter_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM promoter_bindings WHERE promoter_id = $1")
            .bind(promoter_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn insert_commission(&self, tx: &mut Tx, merchant_id: i64, c: &NewCommission) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO commissions (merchant_id, promoter_id, order_id, line_id, product_id, buyer_id, tier, amount, base,
                status, created_at, hold_reasons)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $10, $12) RETURNING id",
        )
        .bind(merchant_id)
        .bind(c.promoter_id)
        .bind(c.order_id)
        .bind(c.line_id)
        .bind(c.product_id)
        .bind(c.buyer_id)
        .bind(c.tier)
        .bind(c.amount)
        .bind(c.base)
        .bind(now_ms())
        .bind(c.status)
        .bind(&c.hold_reasons)
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// An order's commissions, by promoter then id (the order in which their promoters' rows are taken).
    pub async fn order_commissions<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        order_id: i64,
    ) -> StoreResult<Vec<CommissionRow>> {
        Ok(sqlx::query_as::<_, CommissionRow>(&format!(
            "SELECT {COMMISSION_COLS} FROM {COMMISSION_FROM} WHERE c.order_id = $1 ORDER BY c.promoter_id, c.id"
        ))
        .bind(order_id)
        .fetch_all(ex)
        .await?)
    }

    /// Write a commission's refund totals and status (`from_status` guards a settlement against a second one).
    pub async fn update_commission(
        &self,
        tx: &mut Tx,
        id: i64,
        from_status: &str,
        refunded: i64,
        reversed: i64,
        status: &str,
    ) -> StoreResult<bool> {
        let settled = (from_status != status).then_some(now_ms());
        Ok(sqlx::query(
            "UPDATE commissions SET refunded = $3, reversed = $4, status = $5, settled_at = COALESCE($6, settled_at)
             WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(from_status)
        .bind(refunded)
        .bind(reversed)
        .bind(status)
        .bind(settled)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// A promoter's commissions, newest first; of one status when given.
    pub async fn promoter_commissions(
        &self,
        promoter_id: i64,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<CommissionRow>> {
        let filter = "c.promoter_id = $1 AND ($2 = '' OR c.status = $2)";
        let items = sqlx::query_as::<_, CommissionRow>(&format!(
            "SELECT {COMMISSION_COLS} FROM {COMMISSION_FROM} WHERE {filter} ORDER BY c.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(promoter_id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM commissions c WHERE {filter}"))
            .bind(promoter_id)
            .bind(status)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Whether an order earned any commission (inside the transaction of its receipt).
    pub async fn order_has_commissions_tx(&self, tx: &mut Tx, order_id: i64) -> StoreResult<bool> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM commissions WHERE order_id = $1")
            .bind(order_id)
            .fetch_one(&mut **tx)
            .await?;
        Ok(n > 0)
    }

    pub async fn insert_withdrawal(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        promoter_id: i64,
        amount: i64,
    ) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO promoter_withdrawals (merchant_id, promoter_id, amount, status, requested_at)
             VALUES ($1, $2, $3, 'requested', $4) RETURNING id",
        )
        .bind(merchant_id)
        .bind(promoter_id)
        .bind(amount)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn withdrawal(&self, merchant_id: i64, id: i64) -> StoreResult<Option<WithdrawalRow>> {
        Ok(sqlx::query_as::<_, WithdrawalRow>(&format!(
            "SELECT {WITHDRAWAL_COLS} FROM {WITHDRAWAL_FROM} WHERE w.merchant_id = $1 AND w.id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Move a withdrawal from `from` to `to`, recording who decided, how it was paid and the note.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_withdrawal(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        from: &str,
        to: &str,
        payout: Option<&str>,
        note: &str,
        by: i64,
    ) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE promoter_withdrawals SET status = $4, payout = $5, note = $6, decided_by = $7, decided_at = $8
             WHERE merchant_id = $1 AND id = $2 AND status = $3",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(payout)
        .bind(note)
        .bind(by)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Withdrawals of the shop (or of one promoter when `promoter_id` > 0), of one status when given, newest first.
    pub async fn list_withdrawals(
        &self,
        merchant_id: i64,
        promoter_id: i64,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<WithdrawalRow>> {
        let filter = "w.merchant_id = $1 AND ($2 = 0 OR w.promoter_id = $2) AND ($3 = '' OR w.status = $3)";
        let items = sqlx::query_as::<_, WithdrawalRow>(&format!(
            "SELECT {WITHDRAWAL_COLS} FROM {WITHDRAWAL_FROM} WHERE {filter} ORDER BY w.id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(merchant_id)
        .bind(promoter_id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM promoter_withdrawals w WHERE {filter}"))
            .bind(merchant_id)
            .bind(promoter_id)
            .bind(status)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// One commission of the shop.
    pub async fn commission<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: i64,
    ) -> StoreResult<Option<CommissionRow>> {
        Ok(sqlx::query_as::<_, CommissionRow>(&format!(
            "SELECT {COMMISSION_COLS} FROM {COMMISSION_FROM} WHERE c.merchant_id = $1 AND c.id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(ex)
        .await?)
    }

    /// The shop's commissions of one status (`held`: the review queue), or all; newest first.
    pub async fn list_commissions(
        &self,
        merchant_id: i64,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<CommissionRow>> {
        let filter = "c.merchant_id = $1 AND ($2 = '' OR c.status = $2)";
        let items = sqlx::query_as::<_, CommissionRow>(&format!(
            "SELECT {COMMISSION_COLS} FROM {COMMISSION_FROM} WHERE {filter} ORDER BY c.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM commissions c WHERE {filter}"))
            .bind(merchant_id)
            .bind(status)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Decide a held commission: `frozen` (released) or `rejected` with what it has reversed in all; `false`
    /// when it is no longer held.
    pub async fn review_commission(&self, tx: &mut Tx, id: i64, to: &str, reversed: i64, by: i64) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE commissions SET status = $2, reversed = $3, reviewed_by = $4, reviewed_at = $5
             WHERE id = $1 AND status = 'held'",
        )
        .bind(id)
        .bind(to)
        .bind(reversed)
        .bind(by)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Orders that earned a promoter commission between `from_ms` (inclusive) and `to_ms` (exclusive).
    pub async fn promoter_orders_between(
        &self,
        tx: &mut Tx,
        promoter_id: i64,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(DISTINCT order_id) FROM commissions WHERE promoter_id = $1 AND created_at >= $2 AND created_at < $3",
        )
        .bind(promoter_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(&mut **tx)
        .await?;
        Ok(n)
    }

    /// Keep the fingerprints of a promoter's buyer (`kind` is phone, address, device or payment_account).
    pub async fn insert_commission_marks(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        promoter_id: i64,
        buyer_id: i64,
        marks: &[(&str, String)],
    ) -> StoreResult<()> {
        for (kind, mark) in marks {
            sqlx::query(
                "INSERT INTO commission_marks (merchant_id, promoter_id, kind, mark, buyer_id) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT DO NOTHING",
            )
            .bind(merchant_id)
            .bind(promoter_id)
            .bind(kind)
            .bind(mark)
            .bind(buyer_id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The most other buyers of the promoter that share one of `marks` of `kind` with `buyer_id`.
    pub async fn commission_crowd(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        promoter_id: i64,
        buyer_id: i64,
        kind: &str,
        marks: &[String],
    ) -> StoreResult<i64> {
        let mut most = 0;
        for mark in marks {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM commission_marks WHERE merchant_id = $1 AND promoter_id = $2 AND kind = $3
                   AND mark = $4 AND buyer_id <> $5",
            )
            .bind(merchant_id)
            .bind(promoter_id)
            .bind(kind)
            .bind(mark)
            .bind(buyer_id)
            .fetch_one(&mut **tx)
            .await?;
            most = most.max(n);
        }
        Ok(most)
    }
}
