//! Bulk rows of a generated crowd of buyers (`minimall demo --buyers N`): buyers with a default address and
//! their member profile (birthday, gender, region of that address, acquisition channel), manual tags, what
//! their generated completed orders counted towards membership (`member_order_credits`), and at the end each
//! member's totals, level (with its history line), lifecycle stage and points: one lot per member, its
//! balance and history line, and the journal's posting of the grant (built by `core::ledger::build`), so that
//! points balances still equal the journal's points liability. Many rows per statement, one transaction per
//! batch.

use minimall_core::ledger::build;
use minimall_core::Money;

use crate::script::Kind::{Int, Text};
use crate::script::{Rows, Script};
use crate::{Backend, Store, StoreError, StoreResult};

/// One generated buyer as registered, with what their profile says of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrowdBuyer {
    pub openid: String,
    pub phone: Option<String>,
    pub nickname: String,
    pub channel: String,
    pub created_at: i64,
    /// Shop day of the birthday, when given.
    pub birth_day: Option<i64>,
    /// female, male, unknown.
    pub gender: &'static str,
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
}

/// Points granted in one lot: (points, their value in fen, granted at, expires at).
pub type CrowdPoints = (i64, i64, i64, Option<i64>);

/// A generated member's totals as their completed orders and points leave them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrowdMember {
    pub buyer_id: i64,
    pub level_id: Option<i64>,
    /// When the level was reached (its history line).
    pub level_at: i64,
    pub completed_spend_fen: i64,
    pub orders_count: i64,
    pub registered_day: i64,
    pub first_order_day: Option<i64>,
    pub last_order_day: Option<i64>,
    pub birth_day: Option<i64>,
    pub gender: &'static str,
    pub region: String,
    pub channel: String,
    /// new, active, silent, churned.
    pub stage: &'static str,
    /// Points granted in one lot.
    pub points: Option<CrowdPoints>,
}

const BUYER_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("id", Int),
    ("merchant_id", Int),
    ("openid", Text),
    ("phone", Text),
    ("nickname", Text),
    ("channel", Text),
    ("created_at", Int),
];

const ADDRESS_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("buyer_id", Int),
    ("name", Text),
    ("phone", Text),
    ("province", Text),
    ("city", Text),
    ("district", Text),
    ("detail", Text),
    ("is_default", Int),
    ("created_at", Int),
    ("updated_at", Int),
];

const PROFILE_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("buyer_id", Int),
    ("merchant_id", Int),
    ("level_id", Int),
    ("completed_spend_fen", Int),
    ("points_earned", Int),
    ("orders_count", Int),
    ("registered_day", Int),
    ("first_order_day", Int),
    ("last_order_day", Int),
    ("birth_day", Int),
    ("gender", Text),
    ("region", Text),
    ("channel", Text),
    ("stage", Text),
    ("updated_at", Int),
];

const TAG_COLUMNS: &[(&str, crate::script::Kind)] =
    &[("tag_id", Int), ("buyer_id", Int), ("merchant_id", Int), ("tagged_at", Int)];

const CREDIT_COLUMNS: &[(&str, crate::script::Kind)] =
    &[("order_id", Int), ("merchant_id", Int), ("buyer_id", Int), ("spend_fen", Int), ("points", Int), ("at", Int)];

const HISTORY_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("buyer_id", Int),
    ("from_level_id", Int),
    ("to_level_id", Int),
    ("reason", Text),
    ("at", Int),
];

const LOT_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("buyer_id", Int),
    ("source", Text),
    ("reference", Text),
    ("granted_at", Int),
    ("expires_at", Int),
    ("amount", Int),
    ("remaining", Int),
];

const BALANCE_COLUMNS: &[(&str, crate::script::Kind)] = &[("buyer_id", Int), ("merchant_id", Int), ("balance", Int)];

const POINTS_LEDGER_COLUMNS: &[(&str, crate::script::Kind)] = &[
    ("merchant_id", Int),
    ("buyer_id", Int),
    ("delta", Int),
    ("balance_after", Int),
    ("reason", Text),
    ("reference", Text),
    ("at", Int),
];

/// Rows per statement.
const CHUNK: usize = 1_000;

/// The reference of a generated member's points lot and of its posting.
pub fn crowd_points_reference(buyer_id: i64) -> String {
    format!("generated:{buyer_id}")
}

impl Store {
    /// Write generated buyers in one transaction, each with a default address and a member profile of what they
    /// told (totals come with [`Store::write_crowd_members`]); their ids, in order.
    pub async fn insert_crowd_buyers(&self, merchant_id: i64, buyers: &[CrowdBuyer]) -> StoreResult<Vec<i64>> {
        let mut tx = self.begin().await?;
        let first = self.next_id(&mut tx, "buyers").await?;
        let ids: Vec<i64> = (first..first + buyers.len() as i64).collect();
        let mut script = Script::independent(self.backend());
        let pairs: Vec<(i64, &CrowdBuyer)> = ids.iter().copied().zip(buyers).collect();
        for chunk in pairs.chunks(CHUNK) {
            let mut rows = Rows::new("buyers", BUYER_COLUMNS, chunk.len());
            for (id, b) in chunk {
                rows.int(*id)
                    .int(merchant_id)
                    .text(b.openid.as_str())
                    .opt_text(b.phone.clone())
                    .text(b.nickname.as_str())
                    .text(b.channel.as_str())
                    .int(b.created_at);
            }
            script.insert(rows);
        }
        script.then();
        for chunk in pairs.chunks(CHUNK) {
            let mut rows = Rows::new("addresses", ADDRESS_COLUMNS, chunk.len());
            for (id, b) in chunk {
                rows.int(merchant_id)
                    .int(*id)
                    .text(b.nickname.as_str())
                    .text(b.phone.clone().unwrap_or_else(|| format!("1990000{:04}", id % 10_000)))
                    .text(b.province.as_str())
                    .text(b.city.as_str())
                    .text(b.district.as_str())
                    .text(b.detail.as_str())
                    .int(1)
                    .int(b.created_at)
                    .int(b.created_at);
            }
            script.insert(rows);
            let mut rows = Rows::new("member_profiles", PROFILE_COLUMNS, chunk.len());
            for (id, b) in chunk {
                let day = minimall_core::time::day_of(b.created_at).unwrap_or(0);
                rows.int(*id)
                    .int(merchant_id)
                    .int(None)
                    .int(0)
                    .int(0)
                    .int(0)
                    .int(day)
                    .int(None)
                    .int(None)
                    .int(b.birth_day)
                    .text(b.gender)
                    .text(b.province.as_str())
                    .text(b.channel.as_str())
                    .text("new")
                    .int(b.created_at);
            }
            script.insert(rows);
        }
        if script.len() > 0 {
            script.run(&mut tx).await.map_err(|e| match e {
                StoreError::Duplicate(_) => {
                    StoreError::Duplicate("generated buyers of this seed exist already: use another --seed".into())
                }
                o => o,
            })?;
        }
        self.sync_id_sequence(&mut tx, "buyers").await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Tag buyers: (tag id, buyer id, tagged at), in one transaction.
    pub async fn insert_crowd_tags(&self, merchant_id: i64, tags: &[(i64, i64, i64)]) -> StoreResult<()> {
        if tags.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let mut script = Script::independent(self.backend());
        for chunk in tags.chunks(CHUNK) {
            let mut rows = Rows::new("buyer_tags", TAG_COLUMNS, chunk.len());
            for (tag, buyer, at) in chunk {
                rows.int(*tag).int(*buyer).int(merchant_id).int(*at);
            }
            script.insert(rows);
        }
        script.run(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// What completed orders counted towards their buyers' membership: (order id, buyer id, spend in fen,
    /// points, completed at), in one transaction.
    pub async fn insert_crowd_credits(
        &self,
        merchant_id: i64,
        credits: &[(i64, i64, i64, i64, i64)],
    ) -> StoreResult<()> {
        if credits.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let mut script = Script::independent(self.backend());
        for chunk in credits.chunks(CHUNK) {
            let mut rows = Rows::new("member_order_credits", CREDIT_COLUMNS, chunk.len());
            for (order, buyer, spend, points, at) in chunk {
                rows.int(*order).int(merchant_id).int(*buyer).int(*spend).int(*points).int(*at);
            }
            script.insert(rows);
        }
        script.run(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Write generated members' totals in one transaction: their profile rows replaced whole, a level history
    /// line for a level, and for points their lot, balance, history line and the journal's posting of the grant.
    pub async fn write_crowd_members(&self, merchant_id: i64, members: &[CrowdMember]) -> StoreResult<()> {
        if members.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        let now = crate::now_ms();
        let ids: Vec<i64> = members.iter().map(|m| m.buyer_id).collect();
        for chunk in ids.chunks(CHUNK) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql =
                format!("DELETE FROM member_profiles WHERE merchant_id = $1 AND buyer_id IN ({})", marks.join(", "));
            let mut q = sqlx::query(&sql).bind(merchant_id);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await?;
        }
        let bad = |e: minimall_core::ledger::LedgerError| StoreError::Constraint(format!("generated posting: {e}"));
        let mut postings = Vec::new();
        let mut script = Script::independent(self.backend());
        for chunk in members.chunks(CHUNK) {
            let mut rows = Rows::new("member_profiles", PROFILE_COLUMNS, chunk.len());
            for m in chunk {
                rows.int(m.buyer_id)
                    .int(merchant_id)
                    .int(m.level_id)
                    .int(m.completed_spend_fen)
                    .int(m.points.map_or(0, |p| p.0))
                    .int(m.orders_count)
                    .int(m.registered_day)
                    .int(m.first_order_day)
                    .int(m.last_order_day)
                    .int(m.birth_day)
                    .text(m.gender)
                    .text(m.region.as_str())
                    .text(m.channel.as_str())
                    .text(m.stage)
                    .int(now);
            }
            script.insert(rows);
            let levelled: Vec<&CrowdMember> = chunk.iter().filter(|m| m.level_id.is_some()).collect();
            if !levelled.is_empty() {
                let mut rows = Rows::new("member_level_history", HISTORY_COLUMNS, levelled.len());
                for m in levelled {
                    rows.int(merchant_id).int(m.buyer_id).int(None).int(m.level_id).text("progress").int(m.level_at);
                }
                script.insert(rows);
            }
            let pointed: Vec<(&CrowdMember, CrowdPoints)> =
                chunk.iter().filter_map(|m| m.points.filter(|p| p.0 > 0).map(|p| (m, p))).collect();
            if pointed.is_empty() {
                continue;
            }
            let mut lots = Rows::new("points_lots", LOT_COLUMNS, pointed.len());
            let mut balances = Rows::new("points_balances", BALANCE_COLUMNS, pointed.len());
            let mut ledger = Rows::new("points_ledger", POINTS_LEDGER_COLUMNS, pointed.len());
            for (m, (points, value, at, expires)) in pointed {
                let reference = crowd_points_reference(m.buyer_id);
                lots.int(merchant_id)
                    .int(m.buyer_id)
                    .text("order")
                    .text(reference.as_str())
                    .int(at)
                    .int(expires)
                    .int(points)
                    .int(points);
                balances.int(m.buyer_id).int(merchant_id).int(points);
                ledger
                    .int(merchant_id)
                    .int(m.buyer_id)
                    .int(points)
                    .int(points)
                    .text("order")
                    .text(reference.as_str())
                    .int(at);
                postings.extend(build::points_granted(&reference, at, points, Money::from_fen(value)).map_err(bad)?);
            }
            script.insert(lots);
            script.insert(balances);
            script.insert(ledger);
        }
        script.run(&mut tx).await?;
        self.post_many(&mut tx, merchant_id, &postings).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refresh the planner's statistics of the tables a generated shop filled, after its last batch (on
    /// PostgreSQL also reclaiming the rows it replaced): planned on the statistics of empty tables, a segment's
    /// count and first page read every profile, and the finance reports every block of the journal's totals.
    pub async fn analyze_generated(&self) -> StoreResult<()> {
        const TABLES: [&str; 13] = [
            "journal_postings",
            "journal_entries",
            "journal_daily",
            "journal_key_totals",
            "payments",
            "buyers",
            "addresses",
            "member_profiles",
            "buyer_tags",
            "member_order_credits",
            "points_lots",
            "points_balances",
            "orders",
        ];
        match self.backend() {
            Backend::Postgres => {
                for t in TABLES {
                    sqlx::query(&format!("VACUUM ANALYZE {t}")).execute(self.reader()).await?;
                }
            }
            Backend::Sqlite => {
                let mut tx = self.begin().await?;
                for t in TABLES {
                    sqlx::query(&format!("ANALYZE {t}")).execute(&mut *tx).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }
}
