//! Per product and per promotion totals of the journal (`journal_key_totals`), kept in step with every
//! posting in the posting's own transaction, for the finance reports by product and by promotion.
//!
//! A movement is added at three spans — its day, its block of 8 days and its block of 64 days (days counted
//! from 1970-01-01 in Beijing time, a block starting at a multiple of its span) — so that a period of any
//! length is read as at most seven days and seven 8-day blocks at each edge and 64-day blocks in between
//! ([`blocks`]), not as every entry of the period. A product's rows take the entries that name the product;
//! a promotion's rows take, for every posting that names it, those of the posting's entries that name no
//! promotion or this one (what it cost and what it sold), as the recount ([`Store::journal_promotion_recount`])
//! does from the entries.

use std::collections::BTreeMap;

use minimall_core::ledger::Posting;

use crate::db::placeholders;
use crate::finance::KeyFlow;
use crate::{Store, StoreResult, Tx};

/// The spans of the rollup, largest first.
pub const SPANS: [i64; 3] = [64, 8, 1];

/// Product or promotion.
pub const PRODUCT: &str = "product";
pub const PROMOTION: &str = "promotion";

/// (dimension, span, start day, key, account).
pub(crate) type KeyTotalKey = (&'static str, i64, i64, String, &'static str);

/// Debits, credits and entries added to one row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyDelta {
    pub debits: i64,
    pub credits: i64,
    pub count: i64,
}

impl KeyDelta {
    fn add(&mut self, amount: i64) {
        if amount > 0 {
            self.debits = self.debits.saturating_add(amount);
        } else {
            self.credits = self.credits.saturating_add(-amount);
        }
        self.count += 1;
    }
}

/// Add what `posting` (on shop day `day`) brings to each row of the rollup into `out`.
pub(crate) fn add_key_deltas(posting: &Posting, day: i64, out: &mut BTreeMap<KeyTotalKey, KeyDelta>) {
    let entries = posting.entries();
    let mut add = |dimension: &'static str, key: &str, account: &'static str, amount: i64| {
        for span in SPANS {
            let start = day - day.rem_euclid(span);
            out.entry((dimension, span, start, key.to_string(), account)).or_default().add(amount);
        }
    };
    for e in entries {
        if let Some(p) = e.product_id {
            add(PRODUCT, &p.to_string(), e.account.code(), e.amount.value());
        }
    }
    let mut promotions: Vec<&str> = entries.iter().filter_map(|e| e.promotion.as_deref()).collect();
    promotions.sort_unstable();
    promotions.dedup();
    for p in promotions {
        for e in entries.iter().filter(|e| e.promotion.as_deref().is_none_or(|q| q == p)) {
            add(PROMOTION, p, e.account.code(), e.amount.value());
        }
    }
}

/// The blocks `(span, start day)` that make up the days `[from, to]` exactly: from `from` on, each time the
/// largest span that starts there and ends by `to`.
pub fn blocks(from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        let span = SPANS.iter().copied().find(|s| d.rem_euclid(*s) == 0 && d + s - 1 <= to).unwrap_or(1);
        out.push((span, d));
        d += span;
    }
    out
}

/// Rows per upsert statement (9 parameters each).
const CHUNK: usize = 500;

impl Store {
    /// Add `rows` to the rollup inside `tx`.
    pub(crate) async fn bump_key_totals(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        rows: &BTreeMap<KeyTotalKey, KeyDelta>,
    ) -> StoreResult<()> {
        let rows: Vec<(&KeyTotalKey, &KeyDelta)> = rows.iter().collect();
        for chunk in rows.chunks(CHUNK) {
            let mut sql = String::from(
                "INSERT INTO journal_key_totals (merchant_id, dimension, span, start_day, key, account, debits, credits, entry_count) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                sql.push_str(&placeholders(i * 9 + 1, 9));
                sql.push(')');
            }
            sql.push_str(
                " ON CONFLICT (merchant_id, dimension, span, start_day, key, account) DO UPDATE SET
                  debits = journal_key_totals.debits + excluded.debits, credits = journal_key_totals.credits + excluded.credits,
                  entry_count = journal_key_totals.entry_count + excluded.entry_count",
            );
            let mut q = sqlx::query(&sql);
            for ((dimension, span, start, key, account), d) in chunk {
                q = q
                    .bind(merchant_id)
                    .bind(*dimension)
                    .bind(i32::try_from(*span).unwrap_or(1))
                    .bind(*start)
                    .bind(key.clone())
                    .bind(*account)
                    .bind(d.debits)
                    .bind(d.credits)
                    .bind(d.count);
            }
            q.execute(&mut **tx).await?;
        }
        Ok(())
    }

    /// Debits and credits per key (product id as text, or promotion) and account over days `[from_day,
    /// to_day]`, from the rollup, ordered by key and account.
    pub async fn journal_key_flows(
        &self,
        merchant_id: i64,
        dimension: &'static str,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<KeyFlow>> {
        let mut by_span: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for (span, start) in blocks(from_day, to_day) {
            by_span.entry(span).or_default().push(start.to_string());
        }
        if by_span.is_empty() {
            return Ok(Vec::new());
        }
        // The days are integers computed here: written into the text, not bound. One branch per span, so that
        // each reads its blocks through the primary key (merchant, dimension, span, start day); an OR of the
        // spans would read every row of the dimension.
        let parts = by_span
            .iter()
            .map(|(span, starts)| {
                format!(
                    "SELECT key, account, debits, credits FROM journal_key_totals
                     WHERE merchant_id = $1 AND dimension = $2 AND span = {span} AND start_day IN ({})",
                    starts.join(",")
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let sql = format!(
            "SELECT key, account, CAST(SUM(debits) AS BIGINT) AS debits, CAST(SUM(credits) AS BIGINT) AS credits
             FROM ({parts}) t GROUP BY key, account ORDER BY key, account"
        );
        Ok(sqlx::query_as(&sql).bind(merchant_id).bind(dimension).fetch_all(self.reader()).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_the_period_exactly() {
        for (from, to) in [(0, 0), (5, 5), (3, 200), (20_000, 20_180), (20_001, 20_030), (64, 127), (63, 128)] {
            let b = blocks(from, to);
            let mut d = from;
            for (span, start) in &b {
                assert_eq!(*start, d);
                assert_eq!(start % span, 0);
                d += span;
            }
            assert_eq!(d, to + 1);
            assert!(b.len() <= 7 * 4 + (to - from) as usize / 64 + 2, "{from}..{to}: {}", b.len());
        }
        assert_eq!(blocks(64, 127), vec![(64, 64)]);
        assert_eq!(blocks(62, 73), vec![(1, 62), (1, 63), (8, 64), (1, 72), (1, 73)]);
        assert!(blocks(5, 4).is_empty());
    }
}
