//! Tags, saved segments and lifecycle stages.

use minimall_core::members::lifecycle::{Stage, StageDays};
use minimall_core::members::segment::{birth_days, Filter};
use sqlx::Any;

use super::{ProfileRow, SegmentRow, TagRow, PROFILE_COLS};
use crate::{Paged, Store, StoreError, StoreResult, Tx};

/// One SQL condition built from a filter, with its values in placeholder order.
struct Condition {
    sql: String,
    args: Vec<Arg>,
}

enum Arg {
    Int(i64),
    Text(String),
}

impl Condition {
    fn new(merchant_id: i64) -> Self {
        Condition { sql: "p.merchant_id = $1".into(), args: vec![Arg::Int(merchant_id)] }
    }

    fn next(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn and(&mut self, part: &str) {
        self.sql.push_str(" AND ");
        self.sql.push_str(part);
    }

    fn list(&mut self, column: &str, values: Vec<Arg>) {
        if values.is_empty() {
            return;
        }
        let marks: Vec<String> = values.into_iter().map(|a| self.next(a)).collect();
        self.and(&format!("{column} IN ({})", marks.join(", ")));
    }

    fn bind<'q, O>(
        &'q self,
        mut q: sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, Any, O, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

/// The condition selecting a segment's buyers on shop day `today`.
fn segment_condition(merchant_id: i64, f: &Filter, today: i64) -> Condition {
    let mut c = Condition::new(merchant_id);
    if !f.level_ids.is_empty() {
        // `level_id IN (…)` and `level_id IS NULL` rather than `COALESCE(level_id, 0) IN (…)`: the index on
        // (merchant_id, level_id) serves both.
        let ids: Vec<i64> = f.level_ids.iter().copied().filter(|&v| v != 0).collect();
        let mut parts = Vec::new();
        if !ids.is_empty() {
            let marks: Vec<String> = ids.into_iter().map(|v| c.next(Arg::Int(v))).collect();
            parts.push(format!("p.level_id IN ({})", marks.join(", ")));
        }
        if f.level_ids.contains(&0) {
            parts.push("p.level_id IS NULL".to_string());
        }
        c.and(&format!("({})", parts.join(" OR ")));
    }
    if !f.tag_ids.is_empty() {
        let marks: Vec<String> = f.tag_ids.iter().map(|&t| c.next(Arg::Int(t))).collect();
        c.and(&format!(
            "EXISTS (SELECT 1 FROM buyer_tags t WHERE t.buyer_id = p.buyer_id AND t.tag_id IN ({}))",
            marks.join(", ")
        ));
    }
    c.list("p.stage", f.stages.iter().map(|s| Arg::Text(s.as_str().into())).collect());
    c.list("p.region", f.regions.iter().map(|s| Arg::Text(s.clone())).collect());
    c.list("p.channel", f.channels.iter().map(|s| Arg::Text(s.clone())).collect());
    c.list("p.gender", f.genders.iter().map(|g| Arg::Text(g.as_str().into())).collect());
    for (column, op, v) in [
        ("p.completed_spend_fen", ">=", f.min_spend_fen),
        ("p.completed_spend_fen", "<=", f.max_spend_fen),
        ("p.orders_count", ">=", f.min_orders),
        ("p.orders_count", "<=", f.max_orders),
    ] {
        if let Some(v) = v {
            let m = c.next(Arg::Int(v));
            c.and(&format!("{column} {op} {m}"));
        }
    }
    if let Some(d) = f.ordered_within_days {
        let m = c.next(Arg::Int(today - d));
        c.and(&format!("p.last_order_day >= {m}"));
    }
    if let Some(d) = f.idle_days {
        let m = c.next(Arg::Int(today - d));
        c.and(&format!("(p.last_order_day IS NULL OR p.last_order_day <= {m})"));
    }
    if !f.age_bands.is_empty() {
        let mut parts = Vec::new();
        for band in &f.age_bands {
            if let Some((lo, hi)) = birth_days(*band, today) {
                let (a, b) = (c.next(Arg::Int(lo)), c.next(Arg::Int(hi)));
                parts.push(format!("p.birth_day BETWEEN {a} AND {b}"));
            }
        }
        if parts.is_empty() {
            c.and("1 = 0");
        } else {
            c.and(&format!("({})", parts.join(" OR ")));
        }
    }
    c
}

impl Store {
    pub async fn create_member_tag(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        name: &str,
        rule: Option<&str>,
    ) -> StoreResult<i64> {
        let kind = if rule.is_some() { "rule" } else { "manual" };
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO member_tags (merchant_id, name, kind, rule, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(merchant_id)
        .bind(name.trim())
        .bind(kind)
        .bind(rule)
        .bind(crate::now_ms())
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("tag {name}")),
            other => other,
        })?;
        Ok(id)
    }

    /// Tags with the number of buyers carrying each, paginated.
    pub async fn member_tags(&self, merchant_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<TagRow>> {
        let items = sqlx::query_as(
            "SELECT t.id, t.name, t.kind, t.rule, (SELECT COUNT(*) FROM buyer_tags bt WHERE bt.tag_id = t.id) AS buyers
             FROM member_tags t WHERE t.merchant_id = $1 ORDER BY t.id LIMIT $2 OFFSET $3",
        )
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM member_tags WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Put a tag on buyers of this shop; buyers who carry it already are skipped. Returns how many were tagged.
    pub async fn tag_buyers(&self, tx: &mut Tx, merchant_id: i64, tag_id: i64, buyer_ids: &[i64]) -> StoreResult<u64> {
        let mut n = 0;
        for b in buyer_ids {
            let r = sqlx::query(
                "INSERT INTO buyer_tags (tag_id, buyer_id, merchant_id, tagged_at)
                 SELECT t.id, b.id, $3, $4 FROM member_tags t, buyers b
                 WHERE t.id = $1 AND t.merchant_id = $3 AND b.id = $2 AND b.merchant_id = $3
                 ON CONFLICT (tag_id, buyer_id) DO NOTHING",
            )
            .bind(tag_id)
            .bind(*b)
            .bind(merchant_id)
            .bind(crate::now_ms())
            .execute(&mut **tx)
            .await?;
            n += r.rows_affected();
        }
        Ok(n)
    }

    /// Put a tag on every buyer of a segment filter (bulk tagging by a filter). Returns how many were tagged.
    pub async fn tag_segment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        tag_id: i64,
        filter: &Filter,
        today: i64,
    ) -> StoreResult<u64> {
        let mut c = segment_condition(merchant_id, filter, today);
        let (t, at) = (c.next(Arg::Int(tag_id)), c.next(Arg::Int(crate::now_ms())));
        let sql = format!(
            "INSERT INTO buyer_tags (tag_id, buyer_id, merchant_id, tagged_at)
             SELECT {t}, p.buyer_id, p.merchant_id, {at} FROM member_profiles p
             WHERE {} AND EXISTS (SELECT 1 FROM member_tags mt WHERE mt.id = {t} AND mt.merchant_id = $1)
             ON CONFLICT (tag_id, buyer_id) DO NOTHING",
            c.sql
        );
        let mut q = sqlx::query(&sql);
        for a in &c.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        Ok(q.execute(&mut **tx).await?.rows_affected())
    }

    pub async fn untag_buyer(&self, tx: &mut Tx, merchant_id: i64, tag_id: i64, buyer_id: i64) -> StoreResult<bool> {
        let r = sqlx::query("DELETE FROM buyer_tags WHERE merchant_id = $1 AND tag_id = $2 AND buyer_id = $3")
            .bind(merchant_id)
            .bind(tag_id)
            .bind(buyer_id)
            .execute(&mut **tx)
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn delete_member_tag(&self, tx: &mut Tx, merchant_id: i64, tag_id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM buyer_tags WHERE merchant_id = $1 AND tag_id = $2")
            .bind(merchant_id)
            .bind(tag_id)
            .execute(&mut **tx)
            .await?;
        let r = sqlx::query("DELETE FROM member_tags WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(tag_id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The tag ids a buyer carries.
    pub async fn tags_of_buyer(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT tag_id FROM buyer_tags WHERE merchant_id = $1 AND buyer_id = $2 ORDER BY tag_id")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Buyers matching a filter on shop day `today`: one page and the total count.
    pub async fn segment_members(
        &self,
        merchant_id: i64,
        filter: &Filter,
        today: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ProfileRow>> {
        let c = segment_condition(merchant_id, filter, today);
        let n = c.args.len();
        let list = format!(
            "SELECT {PROFILE_COLS} FROM member_profiles p JOIN buyers b ON b.id = p.buyer_id WHERE {} ORDER BY p.buyer_id DESC LIMIT ${} OFFSET ${}",
            c.sql,
            n + 1,
            n + 2
        );
        let items =
            c.bind(sqlx::query_as::<_, ProfileRow>(&list)).bind(limit).bind(offset).fetch_all(self.reader()).await?;
        let total = self.segment_count(merchant_id, filter, today).await?;
        Ok(Paged { items, total })
    }

    pub async fn segment_count(&self, merchant_id: i64, filter: &Filter, today: i64) -> StoreResult<i64> {
        let c = segment_condition(merchant_id, filter, today);
        let sql = format!("SELECT COUNT(*) FROM member_profiles p WHERE {}", c.sql);
        let (total,): (i64,) = c.bind(sqlx::query_as(&sql)).fetch_one(self.reader()).await?;
        Ok(total)
    }

    pub async fn create_segment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        name: &str,
        filter_json: &str,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO segments (merchant_id, name, filter, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(merchant_id)
        .bind(name.trim())
        .bind(filter_json)
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("segment {name}")),
            other => other,
        })?;
        Ok(id)
    }

    pub async fn update_segment(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        name: &str,
        filter_json: &str,
    ) -> StoreResult<()> {
        let r = sqlx::query(
            "UPDATE segments SET name = $3, filter = $4, updated_at = $5 WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(name.trim())
        .bind(filter_json)
        .bind(crate::now_ms())
        .execute(&mut **tx)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Duplicate(_) => StoreError::Duplicate(format!("segment {name}")),
            other => other,
        })?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_segment(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<()> {
        let r = sqlx::query("DELETE FROM segments WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn segment(&self, merchant_id: i64, id: i64) -> StoreResult<SegmentRow> {
        sqlx::query_as(
            "SELECT id, name, filter, created_at, updated_at FROM segments WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?
        .ok_or(StoreError::NotFound)
    }

    pub async fn segments(&self, merchant_id: i64, limit: i64, offset: i64) -> StoreResult<Paged<SegmentRow>> {
        let items = sqlx::query_as(
            "SELECT id, name, filter, created_at, updated_at FROM segments WHERE merchant_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
        )
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM segments WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Recompute the lifecycle stage of the profiles with `buyer_id > after`, at most `batch` of them, in one
    /// short transaction (the daily job walks the shop batch by batch so that checkout's writes interleave).
    /// Returns how many changed and the last buyer id looked at (`None` when the walk is done).
    pub async fn recompute_stages(
        &self,
        merchant_id: i64,
        days: StageDays,
        today: i64,
        after: i64,
        batch: i64,
    ) -> StoreResult<(u64, Option<i64>)> {
        let mut tx = self.begin().await?;
        let (last,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(buyer_id) FROM (SELECT buyer_id FROM member_profiles WHERE merchant_id = $1 AND buyer_id > $2 ORDER BY buyer_id LIMIT $3) s",
        )
        .bind(merchant_id)
        .bind(after)
        .bind(batch)
        .fetch_one(&mut *tx)
        .await?;
        let Some(last) = last else {
            return Ok((0, None));
        };
        // the same rule as core's `lifecycle::stage`, which the tests compare it with
        let r = sqlx::query(
            "UPDATE member_profiles SET stage = CASE
                 WHEN $3 - COALESCE(first_order_day, registered_day) < $4 THEN 'new'
                 WHEN $3 - COALESCE(last_order_day, registered_day) <= $5 THEN 'active'
                 WHEN $3 - COALESCE(last_order_day, registered_day) <= $6 THEN 'silent'
                 ELSE 'churned' END
             WHERE merchant_id = $1 AND buyer_id > $2 AND buyer_id <= $7 AND stage <> CASE
                 WHEN $3 - COALESCE(first_order_day, registered_day) < $4 THEN 'new'
                 WHEN $3 - COALESCE(last_order_day, registered_day) <= $5 THEN 'active'
                 WHEN $3 - COALESCE(last_order_day, registered_day) <= $6 THEN 'silent'
                 ELSE 'churned' END",
        )
        .bind(merchant_id)
        .bind(after)
        .bind(today)
        .bind(i64::from(days.new_days))
        .bind(i64::from(days.silent_after))
        .bind(i64::from(days.churned_after))
        .bind(last)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((r.rows_affected(), Some(last)))
    }

    /// Count of buyers per lifecycle stage (every stage listed, zero included).
    pub async fn stage_counts(&self, merchant_id: i64) -> StoreResult<Vec<(Stage, i64)>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT stage, COUNT(*) FROM member_profiles WHERE merchant_id = $1 GROUP BY stage")
                .bind(merchant_id)
                .fetch_all(self.reader())
                .await?;
        Ok(Stage::ALL
            .iter()
            .map(|s| (*s, rows.iter().find(|(n, _)| n == s.as_str()).map(|r| r.1).unwrap_or(0)))
            .collect())
    }
}
