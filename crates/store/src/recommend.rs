//! Recommendations: each actor's profile of products (filled from the events after a cursor), each product's
//! precomputed neighbours, what the serving side needs to filter (on shelf, in stock, already bought) and the
//! log of what each placement showed and what was opened from it.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::catalog::{ProductRow, PRODUCT_COLS};
use crate::db::placeholders;
use crate::{now_ms, Store, StoreResult, Tx};

/// The actor of an event: `b<buyer id>` when a buyer is known, else `v<visitor id>`.
const ACTOR: &str = "CASE WHEN e.buyer_id IS NOT NULL THEN 'b' || CAST(e.buyer_id AS TEXT) ELSE 'v' || e.visitor END";

/// Rows per multi-row statement.
const CHUNK: usize = 400;

/// Neighbours from every action (看了又看) or from purchases only (买了又买).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basis {
    All = 1,
    Purchases = 2,
}

impl Basis {
    fn min_weight(self) -> i64 {
        match self {
            Basis::All => 1,
            Basis::Purchases => 5,
        }
    }
}

/// One thing an actor did with a product, read from the events: weight 1 view, 3 add to cart, 5 purchase (each
/// line of a paid order).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Signal {
    pub actor: String,
    pub product_id: i64,
    pub weight: i64,
    pub at: i64,
}

/// A product's neighbours to store, best first: (neighbour, score in millionths, support).
pub type NeighbourList = Vec<(i64, i64, i64)>;

/// A stored neighbour.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NeighbourRow {
    pub product_id: i64,
    pub neighbour_id: i64,
    pub score_micros: i64,
    pub support: i64,
}

/// What a placement showed or had opened.
#[derive(Debug, Clone)]
pub struct RecoEvent<'a> {
    pub placement: &'a str,
    /// 1 exposure, 2 click.
    pub kind: i64,
    pub actor: &'a str,
    /// Exposure: the product the list was for (if any); click: the product opened.
    pub product_id: Option<i64>,
    /// Exposure: the products shown, in order.
    pub items: &'a [i64],
    pub experiment_id: Option<i64>,
    pub variant: Option<i64>,
}

/// Exposures and clicks of one placement.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlacementCount {
    pub placement: String,
    pub exposures: i64,
    pub clicks: i64,
}

impl Store {
    /// The last event the profiles were filled from.
    pub async fn reco_cursor(&self, merchant_id: i64) -> StoreResult<i64> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT last_event_id FROM reco_cursor WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map_or(0, |r| r.0))
    }

    /// The signals of up to `limit` events after `after` (views, adds to cart and the lines of paid orders), and
    /// the id of the last event they cover (`after` when there is none).
    pub async fn reco_signals(&self, merchant_id: i64, after: i64, limit: i64) -> StoreResult<(Vec<Signal>, i64)> {
        let (upto,): (Option<i64>,) = sqlx::query_as(
            "SELECT MAX(id) FROM (SELECT id FROM events WHERE merchant_id = $1 AND id > $2 ORDER BY id LIMIT $3) t",
        )
        .bind(merchant_id)
        .bind(after)
        .bind(limit)
        .fetch_one(self.reader())
        .await?;
        let Some(upto) = upto else {
            return Ok((Vec::new(), after));
        };
        let rows = sqlx::query_as::<_, Signal>(&format!(
            "SELECT {ACTOR} AS actor, e.product_id AS product_id,
                    CAST(CASE WHEN e.kind = 2 THEN 1 ELSE 3 END AS BIGINT) AS weight, e.server_at AS at
             FROM events e WHERE e.merchant_id = $1 AND e.id > $2 AND e.id <= $3 AND e.kind IN (2, 3)
               AND e.product_id IS NOT NULL
             UNION ALL
             SELECT {ACTOR} AS actor, l.product_id AS product_id, CAST(5 AS BIGINT) AS weight, e.server_at AS at
             FROM events e JOIN order_lines l ON l.order_id = e.order_id AND l.merchant_id = e.merchant_id
             WHERE e.merchant_id = $1 AND e.id > $2 AND e.id <= $3 AND e.kind = 8"
        ))
        .bind(merchant_id)
        .bind(after)
        .bind(upto)
        .fetch_all(self.reader())
        .await?;
        Ok((rows, upto))
    }

    /// Fold signals into the profiles (the strongest weight and the latest time per actor and product), keep each
    /// touched actor's `keep` most recent products, mark the products whose co-occurrences changed (every product
    /// of a touched actor, and those dropped) as due for recomputation (`reco_dirty`), and move the cursor to
    /// `upto`, in one transaction. Returns those products.
    pub async fn apply_reco_signals(
        &self,
        merchant_id: i64,
        signals: &[Signal],
        upto: i64,
        keep: i64,
    ) -> StoreResult<Vec<i64>> {
        let mut folded: BTreeMap<(&str, i64), (i64, i64)> = BTreeMap::new();
        for s in signals {
            let e = folded.entry((s.actor.as_str(), s.product_id)).or_insert((s.weight, s.at));
            e.0 = e.0.max(s.weight);
            e.1 = e.1.max(s.at);
        }
        let rows: Vec<_> = folded.into_iter().collect();
        let mut tx = self.begin().await?;
        for chunk in rows.chunks(CHUNK) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("($1, ${}, ${}, ${}, ${})", 2 + i * 4, 3 + i * 4, 4 + i * 4, 5 + i * 4))
                .collect();
            let sql = format!(
                "INSERT INTO reco_profiles (merchant_id, actor, product_id, weight, at) VALUES {}
                 ON CONFLICT (merchant_id, actor, product_id) DO UPDATE SET
                   weight = CASE WHEN excluded.weight > reco_profiles.weight THEN excluded.weight ELSE reco_profiles.weight END,
                   at = CASE WHEN excluded.at > reco_profiles.at THEN excluded.at ELSE reco_profiles.at END",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(merchant_id);
            for ((actor, product), (weight, at)) in chunk {
                q = q.bind(*actor).bind(*product).bind(*weight).bind(*at);
            }
            q.execute(&mut *tx).await?;
        }
        let actors: Vec<&str> = rows.iter().map(|((a, _), _)| *a).collect::<HashSet<_>>().into_iter().collect();
        let mut affected: HashSet<i64> = HashSet::new();
        for chunk in actors.chunks(CHUNK) {
            let list = placeholders(2, chunk.len());
            let sql = format!(
                "SELECT actor, COUNT(*) FROM reco_profiles WHERE merchant_id = $1 AND actor IN ({list}) GROUP BY actor
                 HAVING COUNT(*) > ${}",
                chunk.len() + 2
            );
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql).bind(merchant_id);
            for a in chunk {
                q = q.bind(*a);
            }
            for (actor, _) in q.bind(keep).fetch_all(&mut *tx).await? {
                let dropped: Vec<(i64,)> = sqlx::query_as(
                    "DELETE FROM reco_profiles WHERE merchant_id = $1 AND actor = $2 AND product_id NOT IN
                       (SELECT product_id FROM reco_profiles WHERE merchant_id = $1 AND actor = $2
                        ORDER BY at DESC, product_id LIMIT $3)
                     RETURNING product_id",
                )
                .bind(merchant_id)
                .bind(&actor)
                .bind(keep)
                .fetch_all(&mut *tx)
                .await?;
                affected.extend(dropped.into_iter().map(|r| r.0));
            }
            let sql =
                format!("SELECT DISTINCT product_id FROM reco_profiles WHERE merchant_id = $1 AND actor IN ({list})");
            let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(merchant_id);
            for a in chunk {
                q = q.bind(*a);
            }
            affected.extend(q.fetch_all(&mut *tx).await?.into_iter().map(|r| r.0));
        }
        let mut marked: Vec<i64> = affected.iter().copied().collect();
        marked.sort_unstable();
        for chunk in marked.chunks(CHUNK) {
            let values: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${})", i + 2)).collect();
            let sql = format!(
                "INSERT INTO reco_dirty (merchant_id, product_id) VALUES {} ON CONFLICT (merchant_id, product_id) DO NOTHING",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(merchant_id);
            for p in chunk {
                q = q.bind(*p);
            }
            q.execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO reco_cursor (merchant_id, last_event_id, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (merchant_id) DO UPDATE SET last_event_id = excluded.last_event_id, updated_at = excluded.updated_at",
        )
        .bind(merchant_id)
        .bind(upto)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(marked)
    }

    /// Up to `limit` products due for recomputation, lowest id first.
    pub async fn reco_dirty(&self, merchant_id: i64, limit: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT product_id FROM reco_dirty WHERE merchant_id = $1 ORDER BY product_id LIMIT $2")
                .bind(merchant_id)
                .bind(limit)
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// These products' neighbours are written: no longer due.
    pub async fn clear_reco_dirty(&self, merchant_id: i64, products: &[i64]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for chunk in products.chunks(CHUNK) {
            let sql = format!(
                "DELETE FROM reco_dirty WHERE merchant_id = $1 AND product_id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(merchant_id);
            for p in chunk {
                q = q.bind(*p);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// For `product_id`: every other product some actor also touched, with Σ wₐ·w_b and the number of such actors
    /// (only actors' weights of at least the basis's minimum count), and Σ w² of the product and of each of those.
    pub async fn reco_co_sums(
        &self,
        merchant_id: i64,
        product_id: i64,
        basis: Basis,
    ) -> StoreResult<(Vec<(i64, i64, i64)>, HashMap<i64, i64>)> {
        let co: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT b.product_id, CAST(SUM(a.weight * b.weight) AS BIGINT), CAST(COUNT(*) AS BIGINT)
             FROM reco_profiles a JOIN reco_profiles b
               ON b.merchant_id = a.merchant_id AND b.actor = a.actor AND b.product_id <> a.product_id
             WHERE a.merchant_id = $1 AND a.product_id = $2 AND a.weight >= $3 AND b.weight >= $3
             GROUP BY b.product_id",
        )
        .bind(merchant_id)
        .bind(product_id)
        .bind(basis.min_weight())
        .fetch_all(self.reader())
        .await?;
        let mut ids: Vec<i64> = co.iter().map(|c| c.0).collect();
        ids.push(product_id);
        let mut norms = HashMap::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT product_id, CAST(SUM(weight * weight) AS BIGINT) FROM reco_profiles
                 WHERE merchant_id = $1 AND weight >= $2 AND product_id IN ({}) GROUP BY product_id",
                placeholders(3, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(merchant_id).bind(basis.min_weight());
            for id in chunk {
                q = q.bind(*id);
            }
            norms.extend(q.fetch_all(self.reader()).await?);
        }
        Ok((co, norms))
    }

    /// Replace the neighbours of some products (each list best first) in one transaction.
    pub async fn put_reco_neighbours(
        &self,
        merchant_id: i64,
        basis: Basis,
        lists: &[(i64, NeighbourList)],
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for (product_id, list) in lists {
            sqlx::query("DELETE FROM reco_neighbours WHERE merchant_id = $1 AND basis = $2 AND product_id = $3")
                .bind(merchant_id)
                .bind(basis as i64)
                .bind(product_id)
                .execute(&mut *tx)
                .await?;
            insert_neighbours(&mut tx, merchant_id, basis, *product_id, list).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The stored neighbours of some products, each list best first.
    pub async fn reco_neighbours(
        &self,
        merchant_id: i64,
        basis: Basis,
        product_ids: &[i64],
    ) -> StoreResult<Vec<NeighbourRow>> {
        if product_ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT product_id, neighbour_id, score_micros, support FROM reco_neighbours
             WHERE merchant_id = $1 AND basis = $2 AND product_id IN ({}) ORDER BY product_id, pos",
            placeholders(3, product_ids.len())
        );
        let mut q = sqlx::query_as::<_, NeighbourRow>(&sql).bind(merchant_id).bind(basis as i64);
        for id in product_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(self.reader()).await?)
    }

    /// An actor's most recent products with the strongest weight of what they did (1, 3, 5), latest first.
    pub async fn reco_recent(&self, merchant_id: i64, actor: &str, limit: i64) -> StoreResult<Vec<(i64, i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT product_id, weight, at FROM reco_profiles WHERE merchant_id = $1 AND actor = $2
             ORDER BY at DESC, product_id LIMIT $3",
        )
        .bind(merchant_id)
        .bind(actor)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    /// Of these products, those a buyer may be shown: on the shelf, not deleted, with a SKU in stock; with their
    /// category.
    pub async fn reco_available(&self, merchant_id: i64, ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT p.id, p.category_id FROM products p WHERE p.merchant_id = $1 AND p.on_shelf = 1
                   AND p.deleted = 0 AND p.id IN ({})
                   AND EXISTS (SELECT 1 FROM skus s WHERE s.product_id = p.id AND s.deleted = 0 AND s.stock > 0)",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(merchant_id);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(self.reader()).await?);
        }
        Ok(out)
    }

    /// The most sold products a buyer may be shown (as [`Store::reco_available`]), best first, with their
    /// category.
    pub async fn reco_popular(&self, merchant_id: i64, limit: i64) -> StoreResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT p.id, p.category_id FROM products p WHERE p.merchant_id = $1 AND p.on_shelf = 1 AND p.deleted = 0
               AND EXISTS (SELECT 1 FROM skus s WHERE s.product_id = p.id AND s.deleted = 0 AND s.stock > 0)
             ORDER BY p.sales DESC, p.id LIMIT $2",
        )
        .bind(merchant_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    /// The categories of some products.
    pub async fn reco_categories(&self, merchant_id: i64, ids: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT id, category_id FROM products WHERE merchant_id = $1 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, i64)>(&sql).bind(merchant_id);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(self.reader()).await?);
        }
        Ok(out)
    }

    /// Products by id (not deleted), in no particular order.
    pub async fn reco_products(&self, merchant_id: i64, ids: &[i64]) -> StoreResult<Vec<ProductRow>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT {PRODUCT_COLS} FROM products WHERE merchant_id = $1 AND deleted = 0 AND id IN ({})",
                placeholders(2, chunk.len())
            );
            let mut q = sqlx::query_as::<_, ProductRow>(&sql).bind(merchant_id);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(self.reader()).await?);
        }
        Ok(out)
    }

    /// The products a buyer has paid for.
    pub async fn reco_bought(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT l.product_id FROM orders o JOIN order_lines l ON l.order_id = o.id
             WHERE o.merchant_id = $1 AND o.buyer_id = $2 AND o.paid_at IS NOT NULL",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The products a buyer saved, latest first, with when.
    pub async fn reco_favourites(&self, merchant_id: i64, buyer_id: i64, limit: i64) -> StoreResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT product_id, created_at FROM favourites WHERE merchant_id = $1 AND buyer_id = $2
             ORDER BY created_at DESC, id DESC LIMIT $3",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    /// The products in a buyer's cart.
    pub async fn reco_cart_products(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT s.product_id FROM cart_items c JOIN skus s ON s.id = c.sku_id
             WHERE c.merchant_id = $1 AND c.buyer_id = $2 GROUP BY s.product_id ORDER BY MAX(c.updated_at) DESC",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Log what a placement showed or had opened, in the caller's transaction.
    pub async fn log_reco_event(&self, tx: &mut Tx, merchant_id: i64, e: &RecoEvent<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO reco_events (merchant_id, placement, kind, actor, product_id, items, experiment_id, variant, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(merchant_id)
        .bind(e.placement)
        .bind(e.kind)
        .bind(e.actor)
        .bind(e.product_id)
        .bind(serde_json::to_string(e.items).unwrap_or_else(|_| "[]".into()))
        .bind(e.experiment_id)
        .bind(e.variant)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Exposures and clicks per placement since `since` (ms).
    pub async fn reco_placement_counts(&self, merchant_id: i64, since: i64) -> StoreResult<Vec<PlacementCount>> {
        Ok(sqlx::query_as(
            "SELECT placement, CAST(SUM(CASE WHEN kind = 1 THEN 1 ELSE 0 END) AS BIGINT) AS exposures,
                    CAST(SUM(CASE WHEN kind = 2 THEN 1 ELSE 0 END) AS BIGINT) AS clicks
             FROM reco_events WHERE merchant_id = $1 AND at >= $2 GROUP BY placement ORDER BY placement",
        )
        .bind(merchant_id)
        .bind(since)
        .fetch_all(self.reader())
        .await?)
    }
}

async fn insert_neighbours(
    tx: &mut Tx,
    merchant_id: i64,
    basis: Basis,
    product_id: i64,
    list: &[(i64, i64, i64)],
) -> StoreResult<()> {
    if list.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..list.len())
        .map(|i| format!("($1, $2, $3, ${}, ${}, ${}, ${})", 4 + i * 4, 5 + i * 4, 6 + i * 4, 7 + i * 4))
        .collect();
    let sql = format!(
        "INSERT INTO reco_neighbours (merchant_id, basis, product_id, pos, neighbour_id, score_micros, support) VALUES {}
         ON CONFLICT (merchant_id, basis, product_id, pos) DO UPDATE SET neighbour_id = excluded.neighbour_id,
           score_micros = excluded.score_micros, support = excluded.support",
        values.join(", ")
    );
    let mut q = sqlx::query(&sql).bind(merchant_id).bind(basis as i64).bind(product_id);
    for (pos, (neighbour, score, support)) in list.iter().enumerate() {
        q = q.bind(pos as i64).bind(*neighbour).bind(*score).bind(*support);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}
