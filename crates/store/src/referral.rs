//! Referral (老带新): the shop's rule (`referral_settings`), buyers' invitation codes (`referral_codes`),
//! invitations (`referrals`, one per invitee, decided once by a conditional update) and the fingerprints of
//! decided invitees (`referral_marks`) that the risk check counts.

use sqlx::{Any, Executor, FromRow};

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReferralSettingsRow {
    pub enabled: i32,
    pub inviter_points: i64,
    pub inviter_coupon_id: Option<i64>,
    pub invitee_points: i64,
    pub invitee_coupon_id: Option<i64>,
    pub min_first_order: i64,
    pub daily_limit: i64,
    pub crowd_limit: i64,
    /// Stored value (fen) credited to the inviter; 0: none.
    pub inviter_stored_value: i64,
    /// Stored value (fen) credited to the invitee; 0: none.
    pub invitee_stored_value: i64,
}

impl Default for ReferralSettingsRow {
    fn default() -> Self {
        ReferralSettingsRow {
            enabled: 0,
            inviter_points: 0,
            inviter_coupon_id: None,
            invitee_points: 0,
            invitee_coupon_id: None,
            min_first_order: 0,
            daily_limit: 20,
            crowd_limit: 3,
            inviter_stored_value: 0,
            invitee_stored_value: 0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ReferralRow {
    pub id: i64,
    pub merchant_id: i64,
    pub inviter_id: i64,
    pub invitee_id: i64,
    pub invited_at: i64,
    pub status: String,
    pub reason: String,
    pub order_id: Option<i64>,
    pub decided_at: Option<i64>,
    pub reviewed_by: Option<i64>,
    pub inviter_points: i64,
    pub invitee_points: i64,
    pub inviter_points_value: i64,
    pub invitee_points_value: i64,
    pub inviter_coupon_id: Option<i64>,
    pub invitee_coupon_id: Option<i64>,
    /// Stored value (fen) the reward credited each side.
    pub inviter_stored_value: i64,
    pub invitee_stored_value: i64,
    /// Stored value (fen) a reversal took back (at most what the buyers still held).
    pub stored_value_taken_back: i64,
    pub inviter_nickname: String,
    pub invitee_nickname: String,
}

const COLS: &str = "r.id, r.merchant_id, r.inviter_id, r.invitee_id, r.invited_at, r.status, r.reason, r.order_id,
    r.decided_at, r.reviewed_by, r.inviter_points, r.invitee_points, r.inviter_points_value, r.invitee_points_value, r.inviter_coupon_id, r.invitee_coupon_id,
    r.inviter_stored_value, r.invitee_stored_value, r.stored_value_taken_back, a.nickname AS inviter_nickname, b.nickname AS invitee_nickname";
const FROM: &str = "FROM referrals r JOIN buyers a ON a.id = r.inviter_id JOIN buyers b ON b.id = r.invitee_id";

/// A buyer's identifiers as stored (the server fingerprints them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawIdentity {
    pub phones: Vec<String>,
    /// (province, city, district, detail)
    pub addresses: Vec<(String, String, String, String)>,
    /// The storefront's visitor ids of the buyer's events (one per browser or device).
    pub devices: Vec<String>,
}

/// What the eligibility rule needs to know of the invitee's orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderHistory {
    /// Paid orders placed before the invitation.
    pub paid_before_invitation: i64,
    /// Paid orders placed before this order.
    pub paid_before_order: i64,
}

impl Store {
    pub async fn referral_settings(&self, merchant_id: i64) -> StoreResult<ReferralSettingsRow> {
        let row: Option<ReferralSettingsRow> = sqlx::query_as(
            "SELECT enabled, inviter_points, inviter_coupon_id, invitee_points, invitee_coupon_id, min_first_order,
                    daily_limit, crowd_limit, inviter_stored_value, invitee_stored_value
             FROM referral_settings WHERE merchant_id = $1",
        )
        .bind(merchant_id)
        .fetch_optional(self.reader())
        .await?;
        Ok(row.unwrap_or_default())
    }

    pub async fn put_referral_settings(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        s: &ReferralSettingsRow,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO referral_settings (merchant_id, enabled, inviter_points, inviter_coupon_id, invitee_points,
                 invitee_coupon_id, min_first_order, daily_limit, crowd_limit, updated_at, inviter_stored_value,
                 invitee_stored_value)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
             ON CONFLICT (merchant_id) DO UPDATE SET enabled = $2, inviter_points = $3, inviter_coupon_id = $4,
                 invitee_points = $5, invitee_coupon_id = $6, min_first_order = $7, daily_limit = $8,
                 crowd_limit = $9, updated_at = $10, inviter_stored_value = $11, invitee_stored_value = $12",
        )
        .bind(merchant_id)
        .bind(s.enabled)
        .bind(s.inviter_points)
        .bind(s.inviter_coupon_id)
        .bind(s.invitee_points)
        .bind(s.invitee_coupon_id)
        .bind(s.min_first_order)
        .bind(s.daily_limit)
        .bind(s.crowd_limit)
        .bind(now_ms())
        .bind(s.inviter_stored_value)
        .bind(s.invitee_stored_value)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    pub async fn referral_code_of(&self, merchant_id: i64, buyer_id: i64) -> StoreResult<Option<String>> {
        let r: Option<(String,)> =
            sqlx::query_as("SELECT code FROM referral_codes WHERE merchant_id = $1 AND buyer_id = $2")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_optional(self.reader())
                .await?;
        Ok(r.map(|r| r.0))
    }

    /// Give a buyer a code; `false` when the code is taken (the caller draws another) or the buyer has one.
    pub async fn insert_referral_code(&self, merchant_id: i64, buyer_id: i64, code: &str) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "INSERT INTO referral_codes (merchant_id, buyer_id, code, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(code)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        crate::commit(tx).await?;
        Ok(n == 1)
    }

    pub async fn buyer_of_referral_code(&self, merchant_id: i64, code: &str) -> StoreResult<Option<i64>> {
        let r: Option<(i64,)> =
            sqlx::query_as("SELECT buyer_id FROM referral_codes WHERE merchant_id = $1 AND code = $2")
                .bind(merchant_id)
                .bind(code)
                .fetch_optional(self.reader())
                .await?;
        Ok(r.map(|r| r.0))
    }

    /// Paid orders of a buyer, placed before `at`.
    pub async fn paid_orders_placed_before(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        buyer_id: i64,
        at: i64,
    ) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM orders
             WHERE merchant_id = $1 AND buyer_id = $2 AND paid_at IS NOT NULL AND created_at < $3",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(at)
        .fetch_one(&mut **tx)
        .await?;
        Ok(n)
    }

    /// Record an invitation; `false` when the invitee was invited before (by anyone).
    pub async fn insert_referral(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        inviter_id: i64,
        invitee_id: i64,
    ) -> StoreResult<Option<i64>> {
        let r: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO referrals (merchant_id, inviter_id, invitee_id, invited_at, status)
             VALUES ($1, $2, $3, $4, 'invited') ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(merchant_id)
        .bind(inviter_id)
        .bind(invitee_id)
        .bind(now_ms())
        .fetch_optional(&mut **tx)
        .await?;
        Ok(r.map(|r| r.0))
    }

    pub async fn referral<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: i64,
    ) -> StoreResult<Option<ReferralRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLS} {FROM} WHERE r.merchant_id = $1 AND r.id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(ex)
            .await?)
    }

    pub async fn referral_of_invitee(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        invitee_id: i64,
    ) -> StoreResult<Option<ReferralRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLS} {FROM} WHERE r.merchant_id = $1 AND r.invitee_id = $2"))
            .bind(merchant_id)
            .bind(invitee_id)
            .fetch_optional(&mut **tx)
            .await?)
    }

    /// The invitation decided on an order, if any.
    pub async fn referral_of_order(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        order_id: i64,
    ) -> StoreResult<Option<ReferralRow>> {
        Ok(sqlx::query_as(&format!("SELECT {COLS} {FROM} WHERE r.merchant_id = $1 AND r.order_id = $2"))
            .bind(merchant_id)
            .bind(order_id)
            .fetch_optional(&mut **tx)
            .await?)
    }

    /// Invitations by status (all when `None`), newest first; or those of one inviter.
    pub async fn referrals(
        &self,
        merchant_id: i64,
        status: Option<&str>,
        inviter_id: Option<i64>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<ReferralRow>> {
        let filter = "r.merchant_id = $1 AND ($2 = '' OR r.status = $2) AND ($3 = 0 OR r.inviter_id = $3)";
        let items =
            sqlx::query_as(&format!("SELECT {COLS} {FROM} WHERE {filter} ORDER BY r.id DESC LIMIT $4 OFFSET $5"))
                .bind(merchant_id)
                .bind(status.unwrap_or(""))
                .bind(inviter_id.unwrap_or(0))
                .bind(limit)
                .bind(offset)
                .fetch_all(self.reader())
                .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) {FROM} WHERE {filter}"))
            .bind(merchant_id)
            .bind(status.unwrap_or(""))
            .bind(inviter_id.unwrap_or(0))
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Decide an invitation still `from`: its status, reason and order; `false` when it was decided already.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_referral(
        &self,
        tx: &mut Tx,
        id: i64,
        from: &str,
        to: &str,
        reason: &str,
        order_id: Option<i64>,
        day: i64,
        reviewed_by: Option<i64>,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE referrals SET status = $3, reason = $4, order_id = COALESCE($5, order_id),
                 decided_at = $6, decided_day = COALESCE(decided_day, $7), reviewed_by = COALESCE($8, reviewed_by)
             WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(reason)
        .bind(order_id)
        .bind(now_ms())
        .bind(day)
        .bind(reviewed_by)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// What a granted invitation gave each side: (inviter, invitee) points, their value (fen), coupons and
    /// stored value (fen).
    pub async fn set_referral_rewards(
        &self,
        tx: &mut Tx,
        id: i64,
        points: (i64, i64),
        values: (i64, i64),
        coupons: (Option<i64>, Option<i64>),
        stored_value: (i64, i64),
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE referrals SET inviter_points = $2, invitee_points = $3, inviter_points_value = $4,
                 invitee_points_value = $5, inviter_coupon_id = $6, invitee_coupon_id = $7,
                 inviter_stored_value = $8, invitee_stored_value = $9 WHERE id = $1",
        )
        .bind(id)
        .bind(points.0)
        .bind(points.1)
        .bind(values.0)
        .bind(values.1)
        .bind(coupons.0)
        .bind(coupons.1)
        .bind(stored_value.0)
        .bind(stored_value.1)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// What a reversal took back of the stored value the reward credited.
    pub async fn set_referral_stored_value_taken_back(&self, tx: &mut Tx, id: i64, fen: i64) -> StoreResult<()> {
        sqlx::query("UPDATE referrals SET stored_value_taken_back = $2 WHERE id = $1")
            .bind(id)
            .bind(fen)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Rewards an inviter received (granted, held or reversed) on shop day `day`.
    pub async fn inviter_rewards_on(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        inviter_id: i64,
        day: i64,
    ) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM referrals WHERE merchant_id = $1 AND inviter_id = $2 AND decided_day = $3
               AND status IN ('rewarded','held','rejected','reversed')",
        )
        .bind(merchant_id)
        .bind(inviter_id)
        .bind(day)
        .fetch_one(&mut **tx)
        .await?;
        Ok(n)
    }

    /// A buyer's phones, addresses and devices.
    pub async fn raw_identity(&self, tx: &mut Tx, merchant_id: i64, buyer_id: i64) -> StoreResult<RawIdentity> {
        let mut phones: Vec<String> =
            sqlx::query_as::<_, (Option<String>,)>("SELECT phone FROM buyers WHERE merchant_id = $1 AND id = $2")
                .bind(merchant_id)
                .bind(buyer_id)
                .fetch_all(&mut **tx)
                .await?
                .into_iter()
                .filter_map(|r| r.0)
                .collect();
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT phone, province, city, district, detail FROM addresses WHERE merchant_id = $1 AND buyer_id = $2
             ORDER BY id LIMIT 50",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_all(&mut **tx)
        .await?;
        let mut addresses = Vec::new();
        for (phone, p, c, d, x) in rows {
            phones.push(phone);
            addresses.push((p, c, d, x));
        }
        let devices: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT visitor FROM events WHERE merchant_id = $1 AND buyer_id = $2 AND visitor IS NOT NULL
             LIMIT 50",
        )
        .bind(merchant_id)
        .bind(buyer_id)
        .fetch_all(&mut **tx)
        .await?;
        Ok(RawIdentity { phones, addresses, devices: devices.into_iter().map(|d| d.0).collect() })
    }

    /// Keep a decided invitee's fingerprints.
    pub async fn insert_referral_marks(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        invitee_id: i64,
        marks: &[(&str, String)],
    ) -> StoreResult<()> {
        for (kind, mark) in marks {
            sqlx::query(
                "INSERT INTO referral_marks (merchant_id, kind, mark, invitee_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .bind(merchant_id)
            .bind(kind)
            .bind(mark)
            .bind(invitee_id)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }

    /// The most other invitees that share one of `marks` of `kind` with `invitee_id`.
    pub async fn referral_crowd(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        invitee_id: i64,
        kind: &str,
        marks: &[String],
    ) -> StoreResult<i64> {
        let mut most = 0;
        for mark in marks {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM referral_marks WHERE merchant_id = $1 AND kind = $2 AND mark = $3
                   AND invitee_id <> $4",
            )
            .bind(merchant_id)
            .bind(kind)
            .bind(mark)
            .bind(invitee_id)
            .fetch_one(&mut **tx)
            .await?;
            most = most.max(n);
        }
        Ok(most)
    }

    /// End a coupon the buyer has not used (expired now); `false` when it was used (or is gone).
    pub async fn void_unused_coupon(&self, tx: &mut Tx, merchant_id: i64, coupon_id: i64) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE buyer_coupons SET state = 'expired', valid_until = $3
             WHERE merchant_id = $1 AND id = $2 AND state = 'unused'",
        )
        .bind(merchant_id)
        .bind(coupon_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
