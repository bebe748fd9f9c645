//! Finance beyond the journal's own tables: operating expenses (`operating_expenses`), the staff count per month
//! (`staff_counts`), reconciliation results (`reconciliations`), and the journal read for reports by period,
//! product and promotion.

use sqlx::FromRow;

use crate::{now_ms, Paged, Store, StoreError, StoreResult, Tx};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ExpenseRow {
    pub id: i64,
    /// `YYYYMM`.
    pub month: i64,
    pub category: String,
    pub amount: i64,
    /// 1 paid from the bank, 0 owed.
    pub paid: i64,
    pub memo: String,
    pub posting_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub voided_at: Option<i64>,
    pub void_reason: Option<String>,
    pub void_posting_id: Option<i64>,
}

const EXPENSE_COLUMNS: &str =
    "id, month, category, amount, CAST(paid AS BIGINT) AS paid, memo, posting_id, created_by, \
                               created_at, voided_at, void_reason, void_posting_id";

/// An expense to write.
#[derive(Debug, Clone)]
pub struct NewExpenseRow<'a> {
    pub month: i64,
    pub category: &'a str,
    pub amount: i64,
    pub paid: bool,
    pub memo: &'a str,
    pub created_by: i64,
}

/// One reconciliation's result.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReconciliationRow {
    pub id: i64,
    pub provider: String,
    pub day: i64,
    /// `import` (a person) or `job` (the daily job).
    pub source: String,
    pub statement_lines: i64,
    pub recorded_lines: i64,
    pub matched: i64,
    pub missing: i64,
    pub extra: i64,
    pub mismatched: i64,
    /// The findings as JSON.
    pub findings: String,
    pub actor_id: Option<i64>,
    pub created_at: i64,
}

const RECONCILIATION_COLUMNS: &str = "id, provider, day, source, statement_lines, recorded_lines, matched, missing, \
                                      extra, mismatched, findings, actor_id, created_at";

/// Debits and credits of an account on one day.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct DayFlow {
    pub day: i64,
    pub account: String,
    pub debits: i64,
    pub credits: i64,
}

/// Debits and credits of an account for one product or promotion.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct KeyFlow {
    /// The product id (as text) or the promotion.
    pub key: String,
    pub account: String,
    pub debits: i64,
    pub credits: i64,
}

impl Store {
    /// Write an expense (its posting is linked afterwards with [`Store::link_expense_posting`]).
    pub async fn insert_expense(&self, tx: &mut Tx, merchant_id: i64, e: &NewExpenseRow<'_>) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO operating_expenses (merchant_id, month, category, amount, paid, memo, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(merchant_id)
        .bind(e.month)
        .bind(e.category)
        .bind(e.amount)
        .bind(i32::from(e.paid))
        .bind(e.memo)
        .bind(e.created_by)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    pub async fn link_expense_posting(&self, tx: &mut Tx, id: i64, posting_id: i64) -> StoreResult<()> {
        sqlx::query("UPDATE operating_expenses SET posting_id = $2 WHERE id = $1")
            .bind(id)
            .bind(posting_id)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    pub async fn expense(&self, merchant_id: i64, id: i64) -> StoreResult<ExpenseRow> {
        sqlx::query_as(&format!("SELECT {EXPENSE_COLUMNS} FROM operating_expenses WHERE merchant_id = $1 AND id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(self.reader())
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Expenses of months `[from_month, to_month]` (`YYYYMM`), newest month first.
    pub async fn expenses(
        &self,
        merchant_id: i64,
        from_month: i64,
        to_month: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ExpenseRow>> {
        let items = sqlx::query_as(&format!(
            "SELECT {EXPENSE_COLUMNS} FROM operating_expenses WHERE merchant_id = $1 AND month >= $2 AND month <= $3
             ORDER BY month DESC, id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(merchant_id)
        .bind(from_month)
        .bind(to_month)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM operating_expenses WHERE merchant_id = $1 AND month >= $2 AND month <= $3",
        )
        .bind(merchant_id)
        .bind(from_month)
        .bind(to_month)
        .fetch_one(self.reader())
        .await?;
        Ok(Paged { items, total })
    }

    /// Mark an expense voided, once: false when it was voided already.
    pub async fn void_expense(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        reason: &str,
        posting_id: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE operating_expenses SET voided_at = $3, void_reason = $4, void_posting_id = $5
             WHERE merchant_id = $1 AND id = $2 AND voided_at IS NULL",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(now_ms())
        .bind(reason)
        .bind(posting_id)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Set the staff count of a month.
    pub async fn set_staff_count(&self, tx: &mut Tx, merchant_id: i64, month: i64, staff: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO staff_counts (merchant_id, month, staff, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (merchant_id, month) DO UPDATE SET staff = excluded.staff, updated_at = excluded.updated_at",
        )
        .bind(merchant_id)
        .bind(month)
        .bind(staff)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// (month, staff) of months `[from_month, to_month]` that have a count, oldest first.
    pub async fn staff_counts(&self, merchant_id: i64, from_month: i64, to_month: i64) -> StoreResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT month, staff FROM staff_counts WHERE merchant_id = $1 AND month >= $2 AND month <= $3 ORDER BY month",
        )
        .bind(merchant_id)
        .bind(from_month)
        .bind(to_month)
        .fetch_all(self.reader())
        .await?)
    }

    /// Record a reconciliation's result.
    pub async fn insert_reconciliation(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        r: &ReconciliationRow,
    ) -> StoreResult<i64> {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO reconciliations (merchant_id, provider, day, source, statement_lines, recorded_lines, matched,
                 missing, extra, mismatched, findings, actor_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(merchant_id)
        .bind(&r.provider)
        .bind(r.day)
        .bind(&r.source)
        .bind(r.statement_lines)
        .bind(r.recorded_lines)
        .bind(r.matched)
        .bind(r.missing)
        .bind(r.extra)
        .bind(r.mismatched)
        .bind(&r.findings)
        .bind(r.actor_id)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?;
        Ok(id)
    }

    /// Reconciliations, newest first.
    pub async fn reconciliations(
        &self,
        merchant_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ReconciliationRow>> {
        let items = sqlx::query_as(&format!(
            "SELECT {RECONCILIATION_COLUMNS} FROM reconciliations WHERE merchant_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM reconciliations WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn reconciliation(&self, merchant_id: i64, id: i64) -> StoreResult<ReconciliationRow> {
        sqlx::query_as(&format!(
            "SELECT {RECONCILIATION_COLUMNS} FROM reconciliations WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Whether a reconciliation of this provider and day was run by the job already.
    pub async fn reconciled_by_job(&self, merchant_id: i64, provider: &str, day: i64) -> StoreResult<bool> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM reconciliations WHERE merchant_id = $1 AND provider = $2 AND day = $3 AND source = 'job'",
        )
        .bind(merchant_id)
        .bind(provider)
        .bind(day)
        .fetch_one(self.reader())
        .await?;
        Ok(n > 0)
    }

    /// Debits and credits per day and account over days `[from_day, to_day]`, from the per-day totals.
    pub async fn journal_daily_flows(&self, merchant_id: i64, from_day: i64, to_day: i64) -> StoreResult<Vec<DayFlow>> {
        Ok(sqlx::query_as(
            "SELECT day, account, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits
             FROM journal_daily WHERE merchant_id = $1 AND day >= $2 AND day <= $3 GROUP BY day, account ORDER BY day, account",
        )
        .bind(merchant_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await?)
    }

    /// Debits and credits per product and account over days `[from_day, to_day]`, from the per product totals
    /// (`journal_rollup`).
    pub async fn journal_product_flows(
        &self,
        merchant_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<KeyFlow>> {
        self.journal_key_flows(merchant_id, crate::journal_rollup::PRODUCT, from_day, to_day).await
    }

    /// Per promotion over days `[from_day, to_day]`, from the per promotion totals (`journal_rollup`): the
    /// entries that name it (its cost), and the other entries of the postings that name it (what it sold).
    pub async fn journal_promotion_flows(
        &self,
        merchant_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<KeyFlow>> {
        self.journal_key_flows(merchant_id, crate::journal_rollup::PROMOTION, from_day, to_day).await
    }

    /// [`Store::journal_product_flows`] counted again from the entries that name a product.
    pub async fn journal_product_recount(
        &self,
        merchant_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<KeyFlow>> {
        Ok(sqlx::query_as(
            "SELECT CAST(product_id AS TEXT) AS key, account,
                    CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT) AS debits,
                    CAST(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS BIGINT) AS credits
             FROM journal_entries WHERE merchant_id = $1 AND day >= $2 AND day <= $3 AND product_id IS NOT NULL
             GROUP BY product_id, account ORDER BY product_id, account",
        )
        .bind(merchant_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await?)
    }

    /// [`Store::journal_promotion_flows`] counted again from the entries.
    pub async fn journal_promotion_recount(
        &self,
        merchant_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<KeyFlow>> {
        Ok(sqlx::query_as(
            "SELECT t.promotion AS key, e.account,
                    CAST(SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END) AS BIGINT) AS debits,
                    CAST(SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END) AS BIGINT) AS credits
             FROM (SELECT DISTINCT posting_id, promotion FROM journal_entries
                   WHERE merchant_id = $1 AND day >= $2 AND day <= $3 AND promotion IS NOT NULL) t
             JOIN journal_entries e ON e.posting_id = t.posting_id
             WHERE e.promotion IS NULL OR e.promotion = t.promotion
             GROUP BY t.promotion, e.account ORDER BY t.promotion, e.account",
        )
        .bind(merchant_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await?)
    }
}

/// The sub-ledgers kept outside the journal.
impl Store {
    /// A sub-ledger's total and how many holders have a balance other than zero.
    pub async fn sub_ledger_total(
        &self,
        merchant_id: i64,
        which: minimall_core::ledger::subledger::SubLedger,
    ) -> StoreResult<(i64, i64)> {
        use minimall_core::ledger::subledger::SubLedger;
        let (table, amount) = match which {
            SubLedger::BuyerPoints => ("points_balances", "balance"),
            SubLedger::PromoterFrozen => ("promoters", "frozen"),
            SubLedger::PromoterPayable => ("promoters", "available + withdrawing"),
            SubLedger::PromoterOwed => ("promoters", "owed"),
            SubLedger::BuyerStoredValue => ("stored_value_balances", "balance"),
        };
        let sql = format!(
            "SELECT CAST(COALESCE(SUM({amount}), 0) AS BIGINT), COUNT(*) FROM {table}
             WHERE merchant_id = $1 AND {amount} <> 0"
        );
        Ok(sqlx::query_as(&sql).bind(merchant_id).fetch_one(self.reader()).await?)
    }
}
