//! Many postings at once, for a generated shop (`minimall demo --orders N`): the same rows [`Store::post`]
//! writes — postings, entries, running balances, per-day totals and per product and per promotion totals —
//! with multi-row statements, the totals added up per row first. Posting ids are taken after the highest
//! one, so nothing else may post meanwhile (the generator runs on a database no server writes to).

use std::collections::BTreeMap;

use minimall_core::ledger::{Account, Posting};

use crate::journal::SLOTS;
use crate::journal_rollup::{add_key_deltas, KeyDelta};
use crate::script::Kind::{Int, Text};
use crate::script::{Rows, Script};
use crate::{now_ms, Backend, Store, StoreError, StoreResult, Tx};

const POSTING_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("id", Int),
    ("merchant_id", Int),
    ("kind", Text),
    ("reference", Text),
    ("memo", Text),
    ("at", Int),
    ("day", Int),
    ("created_at", Int),
];

const ENTRY_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("posting_id", Int),
    ("account", Text),
    ("unit", Text),
    ("amount", Int),
    ("product_id", Int),
    ("promotion", Text),
    ("at", Int),
    ("day", Int),
];

/// Rows per multi-row insert.
const CHUNK: usize = 2_000;

impl Store {
    /// The next free id of `table` inside `tx` (the highest plus one): ids for rows written with their ids.
    pub(crate) async fn next_id(&self, tx: &mut Tx, table: &str) -> StoreResult<i64> {
        let (max,): (i64,) = sqlx::query_as(&format!("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM {table}"))
            .fetch_one(&mut **tx)
            .await?;
        Ok(max + 1)
    }

    /// PostgreSQL: move `table`'s id sequence past the ids written explicitly.
    pub(crate) async fn sync_id_sequence(&self, tx: &mut Tx, table: &str) -> StoreResult<()> {
        if self.backend() == Backend::Postgres {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .fetch_all(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// Write checked postings of `merchant_id` made by no person, inside `tx`; the number written. Refused as
    /// [`Store::post`] refuses: an account that may not go negative would, or a kind and reference exists.
    pub(crate) async fn post_many(&self, tx: &mut Tx, merchant_id: i64, postings: &[Posting]) -> StoreResult<u64> {
        if postings.is_empty() {
            return Ok(0);
        }
        let now = now_ms();
        let first = self.next_id(tx, "journal_postings").await?;
        let mut script = Script::independent(self.backend());
        let mut balances: BTreeMap<(Account, i64), (i64, i64, i64)> = BTreeMap::new();
        let mut daily: BTreeMap<(&'static str, i64, i64), (i64, i64, i64)> = BTreeMap::new();
        let mut keys: BTreeMap<_, KeyDelta> = BTreeMap::new();
        let mut entry_rows = Vec::new();
        for (chunk_no, chunk) in postings.chunks(CHUNK).enumerate() {
            let mut rows = Rows::new("journal_postings", POSTING_COLUMNS, chunk.len());
            for (k, p) in chunk.iter().enumerate() {
                let id = first + (chunk_no * CHUNK + k) as i64;
                let at = p.at_ms();
                let day = minimall_core::time::day_of(at)
                    .ok_or_else(|| StoreError::Constraint("posting time out of range".into()))?;
                rows.int(id)
                    .int(merchant_id)
                    .text(p.kind().as_str())
                    .text(p.reference())
                    .text(p.memo())
                    .int(at)
                    .int(day)
                    .int(now);
                for e in p.entries() {
                    let v = e.amount.value();
                    let slot = if e.account.may_go_negative() { id.rem_euclid(SLOTS) } else { 0 };
                    let (dr, cr) = if v > 0 { (v, 0) } else { (0, -v) };
                    let b = balances.entry((e.account, slot)).or_default();
                    b.0 += dr;
                    b.1 += cr;
                    b.2 += 1;
                    let d = daily.entry((e.account.code(), day, id.rem_euclid(SLOTS))).or_default();
                    d.0 += dr;
                    d.1 += cr;
                    d.2 += 1;
                    entry_rows.push((id, e.account, v, e.product_id, e.promotion.clone(), at, day));
                }
                add_key_deltas(p, day, &mut keys);
            }
            script.insert(rows);
        }
        script.then();
        for chunk in entry_rows.chunks(CHUNK) {
            let mut rows = Rows::new("journal_entries", ENTRY_COLUMNS, chunk.len());
            for (id, account, v, product, promotion, at, day) in chunk {
                rows.int(merchant_id)
                    .int(*id)
                    .text(account.code())
                    .text(account.unit().as_str())
                    .int(*v)
                    .int(*product)
                    .opt_text(promotion.clone())
                    .int(*at)
                    .int(*day);
            }
            script.insert(rows);
        }
        // Balances first: they open the accounts the entries refer to.
        for ((account, slot), (debits, credits, count)) in &balances {
            let change = (debits - credits) * account.normal_side().sign();
            let d = crate::journal::Delta { debits: *debits, credits: *credits, count: *count };
            if !self.bump_balance(tx, merchant_id, *account, *slot, change, &d, now).await? {
                self.open_account(tx, merchant_id, *account, *slot, now).await?;
                if !self.bump_balance(tx, merchant_id, *account, *slot, change, &d, now).await? {
                    return Err(StoreError::Constraint(format!(
                        "journal account {} would go below zero",
                        account.code()
                    )));
                }
            }
        }
        script.run(tx).await?;
        self.sync_id_sequence(tx, "journal_postings").await?;

        let daily: Vec<_> = daily.into_iter().collect();
        for chunk in daily.chunks(1_000) {
            let mut sql = String::from(
                "INSERT INTO journal_daily (merchant_id, account, day, slot, debits, credits, entry_count) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                sql.push_str(&crate::db::placeholders(i * 7 + 1, 7));
                sql.push(')');
            }
            sql.push_str(
                " ON CONFLICT (merchant_id, account, day, slot) DO UPDATE SET debits = journal_daily.debits + excluded.debits,
                  credits = journal_daily.credits + excluded.credits, entry_count = journal_daily.entry_count + excluded.entry_count",
            );
            let mut q = sqlx::query(&sql);
            for ((account, day, slot), (debits, credits, count)) in chunk {
                q = q.bind(merchant_id).bind(*account).bind(*day).bind(*slot).bind(*debits).bind(*credits).bind(*count);
            }
            q.execute(&mut **tx).await?;
        }
        self.bump_key_totals(tx, merchant_id, &keys).await?;
        Ok(postings.len() as u64)
    }
}
