//! Tracked events (`events`) and their daily rollups (`event_daily`, `event_daily_reach`).
//!
//! Events are appended in batches with one multi-row statement per chunk (one statement text on PostgreSQL
//! whatever the number of rows, see [`Rows`]). A rollup is rebuilt for a range of days by deleting its rows and
//! inserting them again from the events in one transaction, so a rebuild can be repeated and gives the same rows.
//! [`Store::recount_event_day`] counts a day's events again, in Rust from the raw rows, and reports every cell
//! where the rollup differs.

use std::collections::{BTreeMap, HashSet};

use futures_util::TryStreamExt;
use minimall_core::analytics::events::EventKind;
use minimall_core::time;

use crate::script::Kind::{Int, Text};
use crate::script::{Rows, Script};
use crate::{Store, StoreError, StoreResult, Tx};

/// One event to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub buyer_id: Option<i64>,
    pub visitor: Option<String>,
    pub session: Option<String>,
    pub channel: String,
    /// Empty: no campaign.
    pub campaign: String,
    pub promoter_id: Option<i64>,
    pub product_id: Option<i64>,
    pub sku_id: Option<i64>,
    pub order_id: Option<i64>,
    pub amount_fen: Option<i64>,
    pub query: Option<String>,
    pub client_at_ms: i64,
    pub server_at_ms: i64,
}

const COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("kind", Int),
    ("day", Int),
    ("buyer_id", Int),
    ("visitor", Text),
    ("session", Text),
    ("channel", Text),
    ("campaign", Text),
    ("promoter_id", Int),
    ("product_id", Int),
    ("sku_id", Int),
    ("order_id", Int),
    ("amount_fen", Int),
    ("query", Text),
    ("client_at", Int),
    ("server_at", Int),
];

/// Rows per insert statement (16 columns: well under SQLite's 32,766 parameters).
const CHUNK: usize = 1_000;

/// A rollup cell's key: day, channel, campaign, product (0: none), kind.
pub type CellKey = (i64, String, String, i64, i64);
/// A reach row's key: day, channel, campaign, kind.
pub type ReachKey = (i64, String, String, i64);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    pub events: i64,
    pub actors: i64,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    pub actors: i64,
    pub sessions: i64,
}

/// A cell where the rollup and a recount of the events disagree (`None`: no row on that side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    Cell { key: CellKey, rollup: Option<Cell>, events: Option<Cell> },
    Reach { key: ReachKey, rollup: Option<Reach>, events: Option<Reach> },
}

/// What a rebuild wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    pub cells: u64,
    pub reach: u64,
}

/// The actor of an event in SQL: its buyer when known, otherwise its visitor.
const ACTOR: &str = "CASE WHEN buyer_id IS NOT NULL THEN 'b' || CAST(buyer_id AS TEXT) ELSE 'v' || visitor END";

impl Store {
    /// Append events in the caller's transaction; the number written.
    pub async fn append_events(&self, tx: &mut Tx, merchant_id: i64, events: &[NewEvent]) -> StoreResult<u64> {
        let mut script = Script::independent(self.backend());
        for chunk in events.chunks(CHUNK) {
            let mut rows = Rows::new("events", COLUMNS, chunk.len());
            for e in chunk {
                let day = time::day_of(e.server_at_ms)
                    .ok_or_else(|| StoreError::Unavailable(format!("server time {} out of range", e.server_at_ms)))?;
                rows.int(merchant_id)
                    .int(e.kind.code())
                    .int(day)
                    .int(e.buyer_id)
                    .opt_text(e.visitor.clone())
                    .opt_text(e.session.clone())
                    .text(e.channel.as_str())
                    .text(e.campaign.as_str())
                    .int(e.promoter_id)
                    .int(e.product_id)
                    .int(e.sku_id)
                    .int(e.order_id)
                    .int(e.amount_fen)
                    .opt_text(e.query.clone())
                    .int(e.client_at_ms)
                    .int(e.server_at_ms);
            }
            script.insert(rows);
        }
        if script.len() == 0 {
            return Ok(0);
        }
        Ok(script.run(tx).await?.iter().sum())
    }

    /// Append events in a transaction of their own.
    pub async fn record_events(&self, merchant_id: i64, events: &[NewEvent]) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = self.append_events(&mut tx, merchant_id, events).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Rebuild both rollups for the days `from_day..=to_day` in one transaction.
    pub async fn rebuild_event_rollups(&self, merchant_id: i64, from_day: i64, to_day: i64) -> StoreResult<Rebuilt> {
        let mut tx = self.begin().await?;
        for table in ["event_daily", "event_daily_reach"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE merchant_id = $1 AND day BETWEEN $2 AND $3"))
                .bind(merchant_id)
                .bind(from_day)
                .bind(to_day)
                .execute(&mut *tx)
                .await?;
        }
        let cells = sqlx::query(&format!(
            "INSERT INTO event_daily (merchant_id, day, channel, campaign, product_id, kind, events, actors, amount_fen)
             SELECT merchant_id, day, channel, campaign, COALESCE(product_id, 0), kind, COUNT(*),
                    COUNT(DISTINCT {ACTOR}), CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT)
             FROM events WHERE merchant_id = $1 AND day BETWEEN $2 AND $3
             GROUP BY merchant_id, day, channel, campaign, COALESCE(product_id, 0), kind"
        ))
        .bind(merchant_id)
        .bind(from_day)
        .bind(to_day)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let reach = sqlx::query(&format!(
            "INSERT INTO event_daily_reach (merchant_id, day, channel, campaign, kind, actors, sessions)
             SELECT merchant_id, day, channel, campaign, kind, COUNT(DISTINCT {ACTOR}), COUNT(DISTINCT session)
             FROM events WHERE merchant_id = $1 AND day BETWEEN $2 AND $3
             GROUP BY merchant_id, day, channel, campaign, kind"
        ))
        .bind(merchant_id)
        .bind(from_day)
        .bind(to_day)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(Rebuilt { cells, reach })
    }

    /// A day's rollup cells, by key.
    pub async fn event_day_cells(&self, merchant_id: i64, day: i64) -> StoreResult<BTreeMap<CellKey, Cell>> {
        let rows: Vec<(String, String, i64, i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT channel, campaign, product_id, CAST(kind AS BIGINT), events, actors, amount_fen
             FROM event_daily WHERE merchant_id = $1 AND day = $2",
        )
        .bind(merchant_id)
        .bind(day)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(ch, ca, p, k, events, actors, amount_fen)| {
                ((day, ch, ca, p, k), Cell { events, actors, amount_fen })
            })
            .collect())
    }

    /// A day's reach rows, by key.
    pub async fn event_day_reach(&self, merchant_id: i64, day: i64) -> StoreResult<BTreeMap<ReachKey, Reach>> {
        let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
            "SELECT channel, campaign, CAST(kind AS BIGINT), actors, sessions
             FROM event_daily_reach WHERE merchant_id = $1 AND day = $2",
        )
        .bind(merchant_id)
        .bind(day)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(ch, ca, k, actors, sessions)| ((day, ch, ca, k), Reach { actors, sessions }))
            .collect())
    }

    /// Count a day's events again from the raw rows (in Rust, not with the rollup's SQL) and list every cell and
    /// reach row where the rollup differs; empty when they agree.
    pub async fn recount_event_day(&self, merchant_id: i64, day: i64) -> StoreResult<Vec<Difference>> {
        type Raw = (i64, Option<i64>, Option<String>, Option<String>, String, String, Option<i64>, Option<i64>);
        let mut cells: BTreeMap<CellKey, (i64, HashSet<String>, i64)> = BTreeMap::new();
        let mut reach: BTreeMap<ReachKey, (HashSet<String>, HashSet<String>)> = BTreeMap::new();
        {
            let mut rows = sqlx::query_as::<_, Raw>(
                "SELECT CAST(kind AS BIGINT), buyer_id, visitor, session, channel, campaign, product_id, amount_fen
                 FROM events WHERE merchant_id = $1 AND day = $2",
            )
            .bind(merchant_id)
            .bind(day)
            .fetch(self.reader());
            while let Some((kind, buyer, visitor, session, channel, campaign, product, amount)) =
                rows.try_next().await?
            {
                let actor = match buyer {
                    Some(b) => format!("b{b}"),
                    None => format!("v{}", visitor.unwrap_or_default()),
                };
                let c = cells
                    .entry((day, channel.clone(), campaign.clone(), product.unwrap_or(0), kind))
                    .or_insert_with(|| (0, HashSet::new(), 0));
                c.0 += 1;
                c.1.insert(actor.clone());
                c.2 += amount.unwrap_or(0);
                let r = reach.entry((day, channel, campaign, kind)).or_default();
                r.0.insert(actor);
                if let Some(s) = session {
                    r.1.insert(s);
                }
            }
        }
        let counted: BTreeMap<CellKey, Cell> = cells
            .into_iter()
            .map(|(k, (events, actors, amount_fen))| (k, Cell { events, actors: actors.len() as i64, amount_fen }))
            .collect();
        let counted_reach: BTreeMap<ReachKey, Reach> = reach
            .into_iter()
            .map(|(k, (a, s))| (k, Reach { actors: a.len() as i64, sessions: s.len() as i64 }))
            .collect();
        let stored = self.event_day_cells(merchant_id, day).await?;
        let stored_reach = self.event_day_reach(merchant_id, day).await?;
        let mut out = Vec::new();
        for key in stored.keys().chain(counted.keys()).collect::<std::collections::BTreeSet<_>>() {
            let (a, b) = (stored.get(key).copied(), counted.get(key).copied());
            if a != b {
                out.push(Difference::Cell { key: key.clone(), rollup: a, events: b });
            }
        }
        for key in stored_reach.keys().chain(counted_reach.keys()).collect::<std::collections::BTreeSet<_>>() {
            let (a, b) = (stored_reach.get(key).copied(), counted_reach.get(key).copied());
            if a != b {
                out.push(Difference::Reach { key: key.clone(), rollup: a, events: b });
            }
        }
        Ok(out)
    }

    /// Delete the events of days before `before_day` (retention), in chunks of at most `limit` rows; the number
    /// deleted.
    pub async fn purge_events_before(&self, merchant_id: i64, before_day: i64, limit: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "DELETE FROM events WHERE id IN
               (SELECT id FROM events WHERE merchant_id = $1 AND day < $2 ORDER BY id LIMIT $3)",
        )
        .bind(merchant_id)
        .bind(before_day)
        .bind(limit)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}
