//! The journal: postings written inside the transaction of the business write that causes them, with running
//! balances kept in step.
//!
//! [`Store::post`] takes a [`Posting`] that the domain has checked (non-empty, balanced per unit) and writes
//! it, its entries, each account's running balance, its per-day totals and its per product and per promotion
//! totals (`journal_rollup`), in the caller's transaction.
//! The balance of an account is spread over [`SLOTS`] rows (the posting's id picks one) so that concurrent
//! postings seldom wait on each other; an account that may not go negative keeps a single row, and its
//! update is guarded (`… WHERE balance + Δ >= 0`), so a posting that would overdraw it is refused and the
//! caller's whole transaction rolls back. On PostgreSQL a second transaction racing for the same row waits
//! for the first and then sees its balance.

use std::collections::BTreeMap;

use minimall_core::ledger::{Account, Posting, PostingKind, Unit};
use sqlx::{Any, Executor, FromRow};

use crate::db::placeholders;
use crate::{now_ms, Paged, Store, StoreError, StoreResult, Tx};

/// Running balances of an account that may go negative are spread over this many rows.
pub const SLOTS: i64 = 8;

/// One account's totals, from the running balances.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AccountTotals {
    pub account: String,
    pub unit: String,
    pub normal_side: String,
    /// Σ debits, Σ credits (both positive), and the balance on the account's normal side.
    pub debits: i64,
    pub credits: i64,
    pub balance: i64,
    pub entry_count: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct PostingRow {
    pub id: i64,
    pub kind: String,
    pub reference: String,
    pub corrects: Option<i64>,
    pub memo: String,
    pub actor_id: Option<i64>,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub posting_id: i64,
    pub account: String,
    pub unit: String,
    /// Debit positive, credit negative.
    pub amount: i64,
    pub product_id: Option<i64>,
    pub promotion: Option<String>,
    pub at: i64,
}

/// A posting with its entries.
#[derive(Debug, Clone)]
pub struct PostingWithEntries {
    pub posting: PostingRow,
    pub entries: Vec<EntryRow>,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    /// Only postings with an entry on this account.
    pub account: Option<Account>,
    pub kind: Option<PostingKind>,
    /// `[from_ms, to_ms)` of the posting's time.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Only postings with an entry for this product (on `account`, when that is given too).
    pub product_id: Option<i64>,
    /// Only postings with an entry naming this promotion (`coupon:<id>`, `activity:<id>`).
    pub promotion: Option<String>,
    /// Only postings a person made (manual adjustments, corrections, expenses).
    pub by_person: bool,
}

/// Per-account totals of a period, from the per-day totals.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PeriodTotals {
    pub account: String,
    pub debits: i64,
    pub credits: i64,
}

#[derive(Default)]
pub(crate) struct Delta {
    pub(crate) debits: i64,
    pub(crate) credits: i64,
    pub(crate) count: i64,
}

fn overflow() -> StoreError {
    StoreError::Constraint("journal amounts overflow".into())
}

impl Store {
    /// Write `posting` for `merchant_id` inside `tx`; `actor_id` is the console user who made it, if a person
    /// did. Refused with `Constraint` when it would take an account that may not go negative below zero, and
    /// with `Duplicate` when a posting of its kind and reference exists; either way the caller must roll back.
    pub async fn post(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        posting: &Posting,
        actor_id: Option<i64>,
    ) -> StoreResult<i64> {
        let at = posting.at_ms();
        let day = minimall_core::time::day_of(at)
            .ok_or_else(|| StoreError::Constraint("posting time out of range".into()))?;
        let now = now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO journal_postings (merchant_id, kind, reference, corrects, memo, actor_id, at, day, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(merchant_id)
        .bind(posting.kind().as_str())
        .bind(posting.reference())
        .bind(posting.corrects())
        .bind(posting.memo())
        .bind(actor_id)
        .bind(at)
        .bind(day)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;

        // Per account, in code order (every posting locks rows in the same order: no deadlock).
        let mut deltas: BTreeMap<&'static str, (Account, Delta)> = BTreeMap::new();
        for e in posting.entries() {
            let (_, d) = deltas.entry(e.account.code()).or_insert((e.account, Delta::default()));
            let v = e.amount.value();
            if v > 0 {
                d.debits = d.debits.checked_add(v).ok_or_else(overflow)?;
            } else {
                d.credits = d.credits.checked_add(-v).ok_or_else(overflow)?;
            }
            d.count += 1;
        }
        for (account, d) in deltas.values() {
            let slot = if account.may_go_negative() { id.rem_euclid(SLOTS) } else { 0 };
            let change = (d.debits - d.credits) * account.normal_side().sign();
            if !self.bump_balance(tx, merchant_id, *account, slot, change, d, now).await? {
                self.open_account(tx, merchant_id, *account, slot, now).await?;
                if !self.bump_balance(tx, merchant_id, *account, slot, change, d, now).await? {
                    return Err(StoreError::Constraint(format!(
                        "journal account {} would go below zero",
                        account.code()
                    )));
                }
            }
        }

        let entries = posting.entries();
        let mut sql = String::from(
            "INSERT INTO journal_entries (merchant_id, posting_id, account, unit, amount, product_id, promotion, at, day) VALUES ",
        );
        for i in 0..entries.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&placeholders(i * 9 + 1, 9));
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for e in entries {
            q = q
                .bind(merchant_id)
                .bind(id)
                .bind(e.account.code())
                .bind(e.account.unit().as_str())
                .bind(e.amount.value())
                .bind(e.product_id)
                .bind(e.promotion.clone())
                .bind(at)
                .bind(day);
        }
        q.execute(&mut **tx).await?;

        let mut sql = String::from(
            "INSERT INTO journal_daily (merchant_id, account, day, slot, debits, credits, entry_count) VALUES ",
        );
        for i in 0..deltas.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            sql.push_str(&placeholders(i * 7 + 1, 7));
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (merchant_id, account, day, slot) DO UPDATE SET debits = journal_daily.debits + excluded.debits,
              credits = journal_daily.credits + excluded.credits, entry_count = journal_daily.entry_count + excluded.entry_count",
        );
        let mut q = sqlx::query(&sql);
        for (account, d) in deltas.values() {
            q = q
                .bind(merchant_id)
                .bind(account.code())
                .bind(day)
                .bind(id.rem_euclid(SLOTS))
                .bind(d.debits)
                .bind(d.credits)
                .bind(d.count);
        }
        q.execute(&mut **tx).await?;

        let mut keys = BTreeMap::new();
        crate::journal_rollup::add_key_deltas(posting, day, &mut keys);
        if !keys.is_empty() {
            self.bump_key_totals(tx, merchant_id, &keys).await?;
        }
        Ok(id)
    }

    /// The guarded update of one balance row; false when the row is missing or the guard refused.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn bump_balance(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        account: Account,
        slot: i64,
        change: i64,
        d: &Delta,
        now: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE journal_balances SET balance = balance + $4, debits = debits + $5, credits = credits + $6,
                    entry_count = entry_count + $7, updated_at = $8
             WHERE merchant_id = $1 AND account = $2 AND slot = $3 AND (may_go_negative = 1 OR balance + $4 >= 0)",
        )
        .bind(merchant_id)
        .bind(account.code())
        .bind(slot)
        .bind(change)
        .bind(d.debits)
        .bind(d.credits)
        .bind(d.count)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The account's row in the chart and its balance row `slot`, if missing.
    pub(crate) async fn open_account(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        account: Account,
        slot: i64,
        now: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO journal_accounts (merchant_id, code, unit, kind, normal_side, may_go_negative, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (merchant_id, code) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(account.code())
        .bind(account.unit().as_str())
        .bind(account.kind().as_str())
        .bind(account.normal_side().as_str())
        .bind(i32::from(account.may_go_negative()))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO journal_balances (merchant_id, account, slot, normal_side, may_go_negative, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (merchant_id, account, slot) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(account.code())
        .bind(slot)
        .bind(account.normal_side().as_str())
        .bind(i32::from(account.may_go_negative()))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Every account of the chart with its running totals (zero for accounts never posted to), in chart order.
    pub async fn journal_balances(&self, merchant_id: i64) -> StoreResult<Vec<AccountTotals>> {
        let rows: Vec<AccountTotals> = sqlx::query_as(
            "SELECT account, MIN(normal_side) AS normal_side, '' AS unit,
                    CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits,
                    CAST(SUM(balance) AS BIGINT) AS balance, CAST(SUM(entry_count) AS BIGINT) AS entry_count
             FROM journal_balances WHERE merchant_id = $1 GROUP BY account",
        )
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?;
        Ok(in_chart_order(rows, |a| AccountTotals {
            account: a.code().to_string(),
            unit: String::new(),
            normal_side: a.normal_side().as_str().to_string(),
            debits: 0,
            credits: 0,
            balance: 0,
            entry_count: 0,
        }))
    }

    /// The balance of one account on its normal side.
    pub async fn journal_balance(&self, merchant_id: i64, account: Account) -> StoreResult<i64> {
        let (b,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) FROM journal_balances WHERE merchant_id = $1 AND account = $2",
        )
        .bind(merchant_id)
        .bind(account.code())
        .fetch_one(self.reader())
        .await?;
        Ok(b)
    }

    /// The trial balance counted again from the entries themselves (every account, in chart order), to check
    /// the running totals against.
    pub async fn journal_recount(&self, merchant_id: i64) -> StoreResult<Vec<AccountTotals>> {
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT account, CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS BIGINT), COUNT(*)
             FROM journal_entries WHERE merchant_id = $1 GROUP BY account",
        )
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?;
        let rows = rows
            .into_iter()
            .filter_map(|(code, debits, credits, n)| {
                let a = Account::from_code(&code)?;
                Some(AccountTotals {
                    account: code,
                    unit: String::new(),
                    normal_side: a.normal_side().as_str().to_string(),
                    debits,
                    credits,
                    balance: (debits - credits) * a.normal_side().sign(),
                    entry_count: n,
                })
            })
            .collect();
        Ok(in_chart_order(rows, |a| AccountTotals {
            account: a.code().to_string(),
            unit: String::new(),
            normal_side: a.normal_side().as_str().to_string(),
            debits: 0,
            credits: 0,
            balance: 0,
            entry_count: 0,
        }))
    }

    /// Postings, newest first, each with its entries.
    pub async fn journal_postings(
        &self,
        merchant_id: i64,
        filter: &JournalFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<PostingWithEntries>> {
        let mut cond = String::from("p.merchant_id = $1");
        let mut n = 1;
        let mut next = |c: &mut String, sql: &str| {
            n += 1;
            c.push_str(&sql.replace("$?", &format!("${n}")));
        };
        if filter.account.is_some() {
            next(
                &mut cond,
                " AND EXISTS (SELECT 1 FROM journal_entries e WHERE e.posting_id = p.id AND e.merchant_id = p.merchant_id AND e.account = $?)",
            );
        }
        if filter.kind.is_some() {
            next(&mut cond, " AND p.kind = $?");
        }
        if filter.product_id.is_some() {
            next(
                &mut cond,
                " AND EXISTS (SELECT 1 FROM journal_entries e WHERE e.posting_id = p.id AND e.merchant_id = p.merchant_id AND e.product_id = $?)",
            );
        }
        if filter.promotion.is_some() {
            next(
                &mut cond,
                " AND EXISTS (SELECT 1 FROM journal_entries e WHERE e.posting_id = p.id AND e.merchant_id = p.merchant_id AND e.promotion = $?)",
            );
        }
        if filter.by_person {
            cond.push_str(" AND p.actor_id IS NOT NULL");
        }
        if filter.from_ms.is_some() {
            next(&mut cond, " AND p.at >= $?");
        }
        if filter.to_ms.is_some() {
            next(&mut cond, " AND p.at < $?");
        }
        let list = format!(
            "SELECT p.id, p.kind, p.reference, p.corrects, p.memo, p.actor_id, p.at FROM journal_postings p WHERE {cond}
             ORDER BY p.at DESC, p.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let count = format!("SELECT COUNT(*) FROM journal_postings p WHERE {cond}");
        macro_rules! bind_filter {
            ($q:expr) => {{
                let mut q = $q.bind(merchant_id);
                if let Some(a) = filter.account {
                    q = q.bind(a.code());
                }
                if let Some(k) = filter.kind {
                    q = q.bind(k.as_str());
                }
                if let Some(p) = filter.product_id {
                    q = q.bind(p);
                }
                if let Some(p) = &filter.promotion {
                    q = q.bind(p.clone());
                }
                if let Some(f) = filter.from_ms {
                    q = q.bind(f);
                }
                if let Some(t) = filter.to_ms {
                    q = q.bind(t);
                }
                q
            }};
        }
        let postings: Vec<PostingRow> = bind_filter!(sqlx::query_as::<_, PostingRow>(&list))
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?;
        let (total,): (i64,) = bind_filter!(sqlx::query_as::<_, (i64,)>(&count)).fetch_one(self.reader()).await?;
        let mut entries =
            self.journal_entries_of(merchant_id, &postings.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
        let items = postings
            .into_iter()
            .map(|p| {
                let mine: Vec<EntryRow> = entries.iter().filter(|e| e.posting_id == p.id).cloned().collect();
                entries.retain(|e| e.posting_id != p.id);
                PostingWithEntries { posting: p, entries: mine }
            })
            .collect();
        Ok(Paged { items, total })
    }

    /// The entries of some postings, in posting and entry order.
    pub async fn journal_entries_of(&self, merchant_id: i64, posting_ids: &[i64]) -> StoreResult<Vec<EntryRow>> {
        if posting_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, posting_id, account, unit, amount, product_id, promotion, at FROM journal_entries
             WHERE merchant_id = $1 AND posting_id IN ({}) ORDER BY posting_id, id",
            placeholders(2, posting_ids.len())
        );
        let mut q = sqlx::query_as::<_, EntryRow>(&sql).bind(merchant_id);
        for id in posting_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.reader()).await?)
    }

    /// One posting by id, with its entries.
    pub async fn journal_posting(&self, merchant_id: i64, id: i64) -> StoreResult<PostingWithEntries> {
        let posting: PostingRow = sqlx::query_as(
            "SELECT id, kind, reference, corrects, memo, actor_id, at FROM journal_postings WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)?;
        let entries = self.journal_entries_of(merchant_id, &[id]).await?;
        Ok(PostingWithEntries { posting, entries })
    }

    /// The posting of a kind made for a reference, if there is one.
    pub async fn journal_posting_by_reference(
        &self,
        merchant_id: i64,
        kind: PostingKind,
        reference: &str,
    ) -> StoreResult<Option<PostingWithEntries>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT id FROM journal_postings WHERE merchant_id = $1 AND kind = $2 AND reference = $3")
                .bind(merchant_id)
                .bind(kind.as_str())
                .bind(reference)
                .fetch_optional(self.reader())
                .await?;
        match row {
            Some((id,)) => Ok(Some(self.journal_posting(merchant_id, id).await?)),
            None => Ok(None),
        }
    }

    /// One account's entries, newest first.
    pub async fn journal_account_entries(
        &self,
        merchant_id: i64,
        account: Account,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<EntryRow>> {
        let items = sqlx::query_as::<_, EntryRow>(
            "SELECT id, posting_id, account, unit, amount, product_id, promotion, at FROM journal_entries
             WHERE merchant_id = $1 AND account = $2 ORDER BY id DESC LIMIT $3 OFFSET $4",
        )
        .bind(merchant_id)
        .bind(account.code())
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM journal_entries WHERE merchant_id = $1 AND account = $2")
                .bind(merchant_id)
                .bind(account.code())
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }

    /// Debits and credits per account over the shop's days `[from_day, to_day]`, from the per-day totals.
    pub async fn journal_period_totals(
        &self,
        merchant_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<PeriodTotals>> {
        Ok(sqlx::query_as(
            "SELECT account, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits
             FROM journal_daily WHERE merchant_id = $1 AND day >= $2 AND day <= $3 GROUP BY account ORDER BY account",
        )
        .bind(merchant_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await?)
    }

    /// The same totals counted from the entries.
    pub async fn journal_period_recount(
        &self,
        merchant_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<PeriodTotals>> {
        Ok(sqlx::query_as(
            "SELECT account, CAST(SUM(CASE WHEN amount > 0 THEN amount ELSE 0 END) AS BIGINT) AS debits,
                    CAST(SUM(CASE WHEN amount < 0 THEN -amount ELSE 0 END) AS BIGINT) AS credits
             FROM journal_entries WHERE merchant_id = $1 AND day >= $2 AND day <= $3 GROUP BY account ORDER BY account",
        )
        .bind(merchant_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_all(self.reader())
        .await?)
    }
}

/// Rows for every account of the chart, in chart order, with `empty` for those missing; the unit filled in.
fn in_chart_order(rows: Vec<AccountTotals>, empty: impl Fn(Account) -> AccountTotals) -> Vec<AccountTotals> {
    let mut by_code: BTreeMap<String, AccountTotals> = rows.into_iter().map(|r| (r.account.clone(), r)).collect();
    Account::ALL
        .iter()
        .map(|a| {
            let mut r = by_code.remove(a.code()).unwrap_or_else(|| empty(*a));
            r.unit = a.unit().as_str().to_string();
            r
        })
        .collect()
}

/// Σ of debit-positive balances per unit over `totals`: zero for a journal whose postings all balance.
pub fn trial_sum(totals: &[AccountTotals], unit: Unit) -> i64 {
    totals.iter().filter(|t| t.unit == unit.as_str()).map(|t| t.debits - t.credits).sum()
}

/// A shop's fee terms with one payment provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeSetting {
    pub provider: String,
    pub fee_basis_points: i64,
    /// `returned` or `kept`.
    pub refund_fee: String,
}

impl Store {
    /// The shop's fee terms with `provider`, if it set them.
    pub async fn payment_fee_setting<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        provider: &str,
    ) -> StoreResult<Option<FeeSetting>> {
        let row: Option<(String, i64, String)> = sqlx::query_as(
            "SELECT provider, CAST(fee_basis_points AS BIGINT), refund_fee FROM payment_fee_settings WHERE merchant_id = $1 AND provider = $2",
        )
        .bind(merchant_id)
        .bind(provider)
        .fetch_optional(ex)
        .await?;
        Ok(row.map(|(provider, fee_basis_points, refund_fee)| FeeSetting { provider, fee_basis_points, refund_fee }))
    }

    /// Every provider the shop set terms for.
    pub async fn payment_fee_settings(&self, merchant_id: i64) -> StoreResult<Vec<FeeSetting>> {
        let rows: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT provider, CAST(fee_basis_points AS BIGINT), refund_fee FROM payment_fee_settings WHERE merchant_id = $1 ORDER BY provider",
        )
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(provider, fee_basis_points, refund_fee)| FeeSetting { provider, fee_basis_points, refund_fee })
            .collect())
    }

    pub async fn set_payment_fee_setting(&self, tx: &mut Tx, merchant_id: i64, s: &FeeSetting) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO payment_fee_settings (merchant_id, provider, fee_basis_points, refund_fee, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (merchant_id, provider) DO UPDATE SET fee_basis_points = excluded.fee_basis_points,
                 refund_fee = excluded.refund_fee, updated_at = excluded.updated_at",
        )
        .bind(merchant_id)
        .bind(&s.provider)
        .bind(
            i32::try_from(s.fee_basis_points)
                .map_err(|_| StoreError::Constraint("fee_basis_points out of range".into()))?,
        )
        .bind(&s.refund_fee)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// What the postings of an order read from the order's own rows.
impl Store {
    /// Per line of an order, in line order: product, the SKU's cost price now, and the units the buyer kept
    /// (bought less refunded).
    pub async fn order_line_costs_tx(&self, tx: &mut Tx, order_id: i64) -> StoreResult<Vec<(i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT l.product_id, s.cost_price, l.quantity - l.refunded_qty FROM order_lines l JOIN skus s ON s.id = l.sku_id
             WHERE l.order_id = $1 ORDER BY l.id",
        )
        .bind(order_id)
        .fetch_all(&mut **tx)
        .await?)
    }

    /// Per line of an order, in line order: the line's id and the activity that priced it, if one did.
    pub async fn order_line_activities_tx(&self, tx: &mut Tx, order_id: i64) -> StoreResult<Vec<(i64, Option<i64>)>> {
        Ok(sqlx::query_as("SELECT id, price_activity_id FROM order_lines WHERE order_id = $1 ORDER BY id")
            .bind(order_id)
            .fetch_all(&mut **tx)
            .await?)
    }

    /// Money of a payment refunded by its succeeded refunds other than `except_refund_no`.
    pub async fn payment_refunded_except_tx(
        &self,
        tx: &mut Tx,
        payment_id: i64,
        except_refund_no: &str,
    ) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds
             WHERE payment_id = $1 AND status = 'succeeded' AND out_refund_no <> $2",
        )
        .bind(payment_id)
        .bind(except_refund_no)
        .fetch_one(&mut **tx)
        .await?;
        Ok(n)
    }

    /// Record what a shipment cost (fen).
    pub async fn set_shipment_cost(&self, tx: &mut Tx, shipment_id: i64, cost: i64) -> StoreResult<()> {
        sqlx::query("UPDATE shipments SET cost = $2 WHERE id = $1")
            .bind(shipment_id)
            .bind(cost)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// A payment or refund that succeeded with a provider, as a statement lists it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ProviderTrade {
    /// `payment` or `refund`.
    pub kind: String,
    /// The payment's `out_trade_no` or the refund's `out_refund_no`.
    pub reference: String,
    pub out_trade_no: String,
    pub transaction_id: Option<String>,
    pub amount: i64,
    /// The payment's fee (0 on refunds).
    pub fee: i64,
    /// The refund's id (0 on payments).
    pub refund_id: i64,
    pub at: i64,
}

/// The most trades one day's statement is compared with.
pub const MAX_TRADES: i64 = 200_000;

impl Store {
    /// Payments and refunds of a provider that succeeded in `[from_ms, to_ms)`, oldest first.
    pub async fn provider_trades(
        &self,
        merchant_id: i64,
        provider: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<ProviderTrade>> {
        Ok(sqlx::query_as(
            "SELECT kind, reference, out_trade_no, transaction_id, amount, fee, refund_id, at FROM (
               SELECT 'payment' AS kind, p.out_trade_no AS reference, p.out_trade_no, p.provider_txn_id AS transaction_id,
                      p.amount, p.fee, CAST(0 AS BIGINT) AS refund_id, p.succeeded_at AS at
               FROM payments p WHERE p.merchant_id = $1 AND p.provider = $2 AND p.status = 'succeeded'
                 AND p.succeeded_at >= $3 AND p.succeeded_at < $4
               UNION ALL
               SELECT 'refund' AS kind, r.out_refund_no AS reference, p.out_trade_no, p.provider_txn_id AS transaction_id,
                      r.amount, CAST(0 AS BIGINT) AS fee, r.id AS refund_id, r.succeeded_at AS at
               FROM refunds r JOIN payments p ON p.id = r.payment_id
               WHERE r.merchant_id = $1 AND p.provider = $2 AND r.status = 'succeeded'
                 AND r.succeeded_at >= $3 AND r.succeeded_at < $4
             ) t ORDER BY at, reference LIMIT $5",
        )
        .bind(merchant_id)
        .bind(provider)
        .bind(from_ms)
        .bind(to_ms)
        .bind(MAX_TRADES)
        .fetch_all(self.reader())
        .await?)
    }
}
