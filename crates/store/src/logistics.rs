//! Logistics: the timeline of each shipment as the merchant records it (`shipment_tracks`).

use sqlx::FromRow;

use crate::orders::ShipmentRow;
use crate::{now_ms, Store, StoreResult, Tx};

/// At most this many entries in one shipment's timeline.
pub const MAX_TRACKS: i64 = 50;

#[derive(Debug, Clone, FromRow)]
pub struct TrackRow {
    pub id: i64,
    pub shipment_id: i64,
    pub at: i64,
    pub kind: String,
    pub text: String,
    pub created_by: String,
}

pub struct NewTrack<'a> {
    pub at: i64,
    pub kind: &'a str,
    pub text: &'a str,
    pub created_by: &'a str,
}

impl Store {
    /// A shipment of one of the merchant's orders.
    pub async fn shipment_of_order(
        &self,
        merchant_id: i64,
        order_id: i64,
        shipment_id: i64,
    ) -> StoreResult<Option<ShipmentRow>> {
        Ok(sqlx::query_as::<_, ShipmentRow>(
            "SELECT id, carrier, tracking_no, lines, created_at FROM shipments
             WHERE merchant_id = $1 AND order_id = $2 AND id = $3",
        )
        .bind(merchant_id)
        .bind(order_id)
        .bind(shipment_id)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Add an entry to a shipment's timeline; false when it already holds [`MAX_TRACKS`].
    pub async fn insert_track(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        shipment_id: i64,
        t: &NewTrack<'_>,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO shipment_tracks (merchant_id, shipment_id, at, kind, text, created_by, created_at)
             SELECT $1, $2, $3, $4, $5, $6, $7
             WHERE (SELECT COUNT(*) FROM shipment_tracks WHERE shipment_id = $2) < $8",
        )
        .bind(merchant_id)
        .bind(shipment_id)
        .bind(t.at)
        .bind(t.kind)
        .bind(t.text)
        .bind(t.created_by)
        .bind(now_ms())
        .bind(MAX_TRACKS)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// The timelines of an order's shipments, newest entry first within each.
    pub async fn tracks_of_order(&self, order_id: i64) -> StoreResult<Vec<TrackRow>> {
        Ok(sqlx::query_as::<_, TrackRow>(
            "SELECT t.id, t.shipment_id, t.at, t.kind, t.text, t.created_by FROM shipment_tracks t
             JOIN shipments s ON s.id = t.shipment_id
             WHERE s.order_id = $1 ORDER BY t.shipment_id, t.at DESC, t.id DESC",
        )
        .bind(order_id)
        .fetch_all(self.reader())
        .await?)
    }
}
