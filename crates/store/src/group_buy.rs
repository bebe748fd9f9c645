//! Group buying (拼团): activities with their SKUs and group prices, groups and their members.
//!
//! Every decision about a group is taken under the group's row: [`Store::lock_group`] bumps its version
//! inside the caller's transaction (a row lock on PostgreSQL held to the commit; SQLite's one writer
//! serialises anyway), then the caller reads the members, decides with `core::social::group_buy` and writes
//! the outcome back with guarded updates: a seat is taken only while `seats + mock_seats < size`, so
//! however many joins race for the last seat, one wins.

use sqlx::{Any, Executor, FromRow};

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct GroupActivityRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub product_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub group_size: i64,
    pub time_limit_minutes: i64,
    pub leader_discount: i64,
    pub free_shipping: i32,
    pub per_buyer_limit: i64,
    pub mock_fill: i32,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const ACT_COLS: &str = "id, merchant_id, name, product_id, starts_at, ends_at, group_size, time_limit_minutes, leader_discount, free_shipping, per_buyer_limit, mock_fill, status, created_at, updated_at";

#[derive(Debug, Clone, FromRow)]
pub struct GroupSkuRow {
    pub activity_id: i64,
    pub sku_id: i64,
    pub list_price: i64,
    pub group_price: i64,
    pub spec_values: String,
    pub stock: i64,
    pub title: String,
    pub images: String,
}

pub struct NewGroupActivity<'a> {
    pub name: &'a str,
    pub product_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub group_size: i64,
    pub time_limit_minutes: i64,
    pub leader_discount: i64,
    pub free_shipping: bool,
    pub per_buyer_limit: i64,
    pub mock_fill: bool,
    /// (sku id, list price, group price)
    pub skus: &'a [(i64, i64, i64)],
}

#[derive(Debug, Clone, FromRow)]
pub struct GroupRow {
    pub id: i64,
    pub merchant_id: i64,
    pub activity_id: i64,
    pub product_id: i64,
    pub leader_buyer_id: i64,
    pub size: i64,
    pub seats: i64,
    pub paid: i64,
    pub mock_seats: i64,
    pub status: String,
    pub opened_at: i64,
    pub deadline: i64,
    pub closed_at: Option<i64>,
}

const GROUP_COLS: &str =
    "id, merchant_id, activity_id, product_id, leader_buyer_id, size, seats, paid, mock_seats, status, opened_at, deadline, closed_at";

#[derive(Debug, Clone, FromRow)]
pub struct GroupMemberRow {
    pub id: i64,
    pub group_id: i64,
    pub buyer_id: i64,
    pub order_id: i64,
    pub leader: i32,
    pub state: String,
    pub refund_reason: Option<String>,
    pub joined_at: i64,
    pub nickname: String,
}

const MEMBER_COLS: &str =
    "m.id, m.group_id, m.buyer_id, m.order_id, m.leader, m.state, m.refund_reason, m.joined_at, b.nickname";

impl Store {
    pub async fn insert_group_activity(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        a: &NewGroupActivity<'_>,
    ) -> StoreResult<GroupActivityRow> {
        let now = now_ms();
        let row = sqlx::query_as::<_, GroupActivityRow>(&format!(
            "INSERT INTO group_buy_activities (merchant_id, name, product_id, starts_at, ends_at, group_size, time_limit_minutes,
                leader_discount, free_shipping, per_buyer_limit, mock_fill, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'active', $12, $12) RETURNING {ACT_COLS}"
        ))
        .bind(merchant_id)
        .bind(a.name)
        .bind(a.product_id)
        .bind(a.starts_at)
        .bind(a.ends_at)
        .bind(a.group_size)
        .bind(a.time_limit_minutes)
        .bind(a.leader_discount)
        .bind(i32::from(a.free_shipping))
        .bind(a.per_buyer_limit)
        .bind(i32::from(a.mock_fill))
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        for (sku, list, group) in a.skus {
            sqlx::query(
                "INSERT INTO group_buy_skus (merchant_id, activity_id, sku_id, list_price, group_price) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(merchant_id)
            .bind(row.id)
            .bind(sku)
            .bind(list)
            .bind(group)
            .execute(&mut **tx)
            .await?;
        }
        Ok(row)
    }

    pub async fn group_activity<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: i64,
    ) -> StoreResult<Option<GroupActivityRow>> {
        Ok(sqlx::query_as::<_, GroupActivityRow>(&format!(
            "SELECT {ACT_COLS} FROM group_buy_activities WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(ex)
        .await?)
    }

    /// The activity's SKUs with their spec and stock, in SKU order.
    pub async fn group_activity_skus(&self, activity_id: i64) -> StoreResult<Vec<GroupSkuRow>> {
        Ok(sqlx::query_as::<_, GroupSkuRow>(
            "SELECT g.activity_id, g.sku_id, g.list_price, g.group_price, s.spec_values, s.stock, p.title, p.images
             FROM group_buy_skus g JOIN skus s ON s.id = g.sku_id JOIN products p ON p.id = s.product_id
             WHERE g.activity_id = $1 ORDER BY g.sku_id",
        )
        .bind(activity_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn list_group_activities(
        &self,
        merchant_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<GroupActivityRow>> {
        let items = sqlx::query_as::<_, GroupActivityRow>(&format!(
            "SELECT {ACT_COLS} FROM group_buy_activities WHERE merchant_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(merchant_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM group_buy_activities WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Activities of a product that are active and not over at `now` (running or upcoming), soonest first.
    pub async fn group_activities_of_product(
        &self,
        merchant_id: i64,
        product_id: i64,
        now: i64,
    ) -> StoreResult<Vec<GroupActivityRow>> {
        Ok(sqlx::query_as::<_, GroupActivityRow>(&format!(
            "SELECT {ACT_COLS} FROM group_buy_activities
             WHERE merchant_id = $1 AND product_id = $2 AND status = 'active' AND ends_at > $3 ORDER BY starts_at, id LIMIT 10"
        ))
        .bind(merchant_id)
        .bind(product_id)
        .bind(now)
        .fetch_all(self.reader())
        .await?)
    }

    /// active → stopped, once. Groups already open run to their end.
    pub async fn stop_group_activity(&self, tx: &mut Tx, merchant_id: i64, id: i64) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE group_buy_activities SET status = 'stopped', updated_at = $3 WHERE merchant_id = $1 AND id = $2 AND status = 'active'",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// (sku id, sale price) of a product's SKUs that are not deleted, when the product is the merchant's.
    pub async fn product_sku_prices(&self, merchant_id: i64, product_id: i64) -> StoreResult<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.sale_price FROM skus s JOIN products p ON p.id = s.product_id
             WHERE p.merchant_id = $1 AND p.id = $2 AND p.deleted = 0 AND s.deleted = 0 ORDER BY s.id",
        )
        .bind(merchant_id)
        .bind(product_id)
        .fetch_all(self.reader())
        .await?)
    }

    pub async fn product_title(&self, merchant_id: i64, product_id: i64) -> StoreResult<Option<String>> {
        Ok(sqlx::query_as::<_, (String,)>("SELECT title FROM products WHERE merchant_id = $1 AND id = $2")
            .bind(merchant_id)
            .bind(product_id)
            .fetch_optional(self.reader())
            .await?
            .map(|r| r.0))
    }

    // ---- groups ---------------------------------------------------------------------------------

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_group(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        activity_id: i64,
        product_id: i64,
        leader_buyer_id: i64,
        size: i64,
        opened_at: i64,
        deadline: i64,
    ) -> StoreResult<GroupRow> {
        Ok(sqlx::query_as::<_, GroupRow>(&format!(
            "INSERT INTO group_buy_groups (merchant_id, activity_id, product_id, leader_buyer_id, size, seats, paid, mock_seats,
                status, version, opened_at, deadline)
             VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 'open', 0, $6, $7) RETURNING {GROUP_COLS}"
        ))
        .bind(merchant_id)
        .bind(activity_id)
        .bind(product_id)
        .bind(leader_buyer_id)
        .bind(size)
        .bind(opened_at)
        .bind(deadline)
        .fetch_one(&mut **tx)
        .await?)
    }

    /// Take the group's row for a decision inside `tx` (held to the end of the transaction) and read it.
    pub async fn lock_group(&self, tx: &mut Tx, group_id: i64) -> StoreResult<Option<GroupRow>> {
        Ok(sqlx::query_as::<_, GroupRow>(&format!(
            "UPDATE group_buy_groups SET version = version + 1 WHERE id = $1 RETURNING {GROUP_COLS}"
        ))
        .bind(group_id)
        .fetch_optional(&mut **tx)
        .await?)
    }

    pub async fn group(&self, merchant_id: i64, id: i64) -> StoreResult<Option<GroupRow>> {
        Ok(sqlx::query_as::<_, GroupRow>(&format!(
            "SELECT {GROUP_COLS} FROM group_buy_groups WHERE merchant_id = $1 AND id = $2"
        ))
        .bind(merchant_id)
        .bind(id)
        .fetch_optional(self.reader())
        .await?)
    }

    /// Take a seat: only while the group is open, before its deadline and with a seat free. Answers whether
    /// the seat was taken (of concurrent joins for the last seat, one).
    pub async fn take_group_seat(&self, tx: &mut Tx, group_id: i64, now: i64) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE group_buy_groups SET seats = seats + 1
             WHERE id = $1 AND status = 'open' AND deadline > $2 AND seats + mock_seats < size",
        )
        .bind(group_id)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// Write a group's counts and status as decided (from `status_from`, guarded).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_group(
        &self,
        tx: &mut Tx,
        group_id: i64,
        status_from: &str,
        status: &str,
        seats: i64,
        paid: i64,
        mock_seats: i64,
    ) -> StoreResult<bool> {
        let closed = if status == "open" { None } else { Some(now_ms()) };
        Ok(sqlx::query(
            "UPDATE group_buy_groups SET status = $3, seats = $4, paid = $5, mock_seats = $6, closed_at = COALESCE(closed_at, $7)
             WHERE id = $1 AND status = $2",
        )
        .bind(group_id)
        .bind(status_from)
        .bind(status)
        .bind(seats)
        .bind(paid)
        .bind(mock_seats)
        .bind(closed)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_group_member(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        group_id: i64,
        activity_id: i64,
        buyer_id: i64,
        order_id: i64,
        leader: bool,
        joined_at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO group_buy_members (merchant_id, group_id, activity_id, buyer_id, order_id, leader, state, joined_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'awaiting_payment', $7)",
        )
        .bind(merchant_id)
        .bind(group_id)
        .bind(activity_id)
        .bind(buyer_id)
        .bind(order_id)
        .bind(i32::from(leader))
        .bind(joined_at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Move a member from `from` to `to` (guarded). `reason` is the refund's when `to` is `refund_due`.
    pub async fn set_group_member_state(
        &self,
        tx: &mut Tx,
        order_id: i64,
        from: &str,
        to: &str,
        reason: Option<&str>,
    ) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE group_buy_members SET state = $3, refund_reason = $4 WHERE order_id = $1 AND state = $2",
        )
        .bind(order_id)
        .bind(from)
        .bind(to)
        .bind(reason)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// The group member an order is, if it is a group order.
    pub async fn group_member_of_order<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        order_id: i64,
    ) -> StoreResult<Option<GroupMemberRow>> {
        Ok(sqlx::query_as::<_, GroupMemberRow>(&format!(
            "SELECT {MEMBER_COLS} FROM group_buy_members m JOIN buyers b ON b.id = m.buyer_id WHERE m.order_id = $1"
        ))
        .bind(order_id)
        .fetch_optional(ex)
        .await?)
    }

    /// A group's members in order of joining.
    pub async fn group_members<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        group_id: i64,
    ) -> StoreResult<Vec<GroupMemberRow>> {
        Ok(sqlx::query_as::<_, GroupMemberRow>(&format!(
            "SELECT {MEMBER_COLS} FROM group_buy_members m JOIN buyers b ON b.id = m.buyer_id WHERE m.group_id = $1 ORDER BY m.id"
        ))
        .bind(group_id)
        .fetch_all(ex)
        .await?)
    }

    /// Seats a buyer holds in an activity (orders awaiting payment or paid, in groups still open or complete).
    pub async fn buyer_group_seats(&self, tx: &mut Tx, buyer_id: i64, activity_id: i64) -> StoreResult<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM group_buy_members WHERE buyer_id = $1 AND activity_id = $2 AND state IN ('awaiting_payment','paid')",
        )
        .bind(buyer_id)
        .bind(activity_id)
        .fetch_one(&mut **tx)
        .await?;
        Ok(n)
    }

    /// Groups of an activity a buyer may still join at `now`: open, before the deadline, a seat free, the
    /// leader paid; the fullest first.
    pub async fn joinable_groups(&self, activity_id: i64, now: i64, limit: i64) -> StoreResult<Vec<GroupRow>> {
        Ok(sqlx::query_as::<_, GroupRow>(&format!(
            "SELECT {GROUP_COLS} FROM group_buy_groups
             WHERE activity_id = $1 AND status = 'open' AND deadline > $2 AND seats + mock_seats < size AND paid > 0
             ORDER BY size - seats, deadline, id LIMIT $3"
        ))
        .bind(activity_id)
        .bind(now)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    /// The console's list of groups, newest first; of one activity unless `activity_id` is 0, of one status
    /// unless `status` is empty.
    pub async fn list_groups(
        &self,
        merchant_id: i64,
        activity_id: i64,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<GroupRow>> {
        let filter = "merchant_id = $1 AND ($2 = 0 OR activity_id = $2) AND ($3 = '' OR status = $3)";
        let items = sqlx::query_as::<_, GroupRow>(&format!(
            "SELECT {GROUP_COLS} FROM group_buy_groups WHERE {filter} ORDER BY id DESC LIMIT $4 OFFSET $5"
        ))
        .bind(merchant_id)
        .bind(activity_id)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM group_buy_groups WHERE {filter}"))
            .bind(merchant_id)
            .bind(activity_id)
            .bind(status)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    /// Move a group's deadline and its expiry job (`job_key`) to `deadline` (demo data and tests: a group
    /// whose time runs out now instead of in minutes).
    pub async fn move_group_deadline(&self, group_id: i64, deadline: i64, job_key: &str) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE group_buy_groups SET deadline = $2 WHERE id = $1")
            .bind(group_id)
            .bind(deadline)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE jobs SET run_at = $2 WHERE dedup_key = $1 AND status = 'pending'")
            .bind(job_key)
            .bind(deadline)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
