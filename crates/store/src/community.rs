//! Community groups (社群): groups, their members, their members-only coupons, their pushes, and each group's
//! figures recounted from orders and commissions.
//!
//! A member's orders count for a group while they are a member: placed at or after joining and before leaving.
//! One buyer holds at most one open membership of a group (a partial unique index), so an order counts at most
//! once per group.

use sqlx::{Any, Executor, FromRow};

use crate::{now_ms, Paged, Store, StoreResult, Tx};

#[derive(Debug, Clone, FromRow)]
pub struct CommunityGroupRow {
    pub id: i64,
    pub merchant_id: i64,
    pub name: String,
    pub note: String,
    pub code: String,
    pub owner_promoter_id: Option<i64>,
    /// The owner's nickname and public promoter code, when the group has an owner.
    pub owner_nickname: Option<String>,
    pub owner_code: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const GROUP_COLS: &str =
    "g.id, g.merchant_id, g.name, g.note, g.code, g.owner_promoter_id, b.nickname AS owner_nickname,
     p.code AS owner_code, g.status, g.created_at, g.updated_at";
const GROUP_FROM: &str = "community_groups g LEFT JOIN promoters p ON p.id = g.owner_promoter_id
     LEFT JOIN buyers b ON b.id = p.buyer_id";

/// A group as written.
#[derive(Debug, Clone)]
pub struct GroupFields<'a> {
    pub name: &'a str,
    pub note: &'a str,
    pub owner_promoter_id: Option<i64>,
}

/// A group's figures: open memberships, and the paid orders its members placed while members.
#[derive(Debug, Clone, Default, FromRow, PartialEq, Eq)]
pub struct GroupFigures {
    pub group_id: i64,
    pub members: i64,
    pub buyers: i64,
    pub orders: i64,
    /// The payable of those orders (fen).
    pub gmv: i64,
    /// Commission on those orders, less what refunds reversed (fen).
    pub commission: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct CommunityMemberRow {
    pub id: i64,
    pub group_id: i64,
    pub buyer_id: i64,
    pub nickname: String,
    pub joined_at: i64,
    pub left_at: Option<i64>,
    /// Paid orders placed while a member, and their payable (fen).
    pub orders: i64,
    pub spent: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct CommunityPushRow {
    pub id: i64,
    pub group_id: i64,
    pub kind: String,
    pub target_id: i64,
    pub note: String,
    pub created_by: i64,
    pub created_at: i64,
}

/// The orders a member placed while a member of the group: the join of memberships and orders every figure uses.
const MEMBER_ORDERS: &str =
    "community_members m JOIN orders o ON o.buyer_id = m.buyer_id AND o.merchant_id = m.merchant_id
     AND o.paid_at IS NOT NULL AND o.created_at >= m.joined_at AND (m.left_at IS NULL OR o.created_at < m.left_at)";

impl Store {
    pub async fn community_groups(
        &self,
        merchant_id: i64,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<CommunityGroupRow>> {
        let filter = "g.merchant_id = $1 AND ($2 = '' OR g.status = $2)";
        let items = sqlx::query_as(&format!(
            "SELECT {GROUP_COLS} FROM {GROUP_FROM} WHERE {filter} ORDER BY g.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(status.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM community_groups g WHERE {filter}"))
            .bind(merchant_id)
            .bind(status.unwrap_or(""))
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    pub async fn community_group<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        merchant_id: i64,
        id: i64,
    ) -> StoreResult<Option<CommunityGroupRow>> {
        Ok(sqlx::query_as(&format!("SELECT {GROUP_COLS} FROM {GROUP_FROM} WHERE g.merchant_id = $1 AND g.id = $2"))
            .bind(merchant_id)
            .bind(id)
            .fetch_optional(ex)
            .await?)
    }

    pub async fn community_group_by_code(
        &self,
        merchant_id: i64,
        code: &str,
    ) -> StoreResult<Option<CommunityGroupRow>> {
        Ok(sqlx::query_as(&format!("SELECT {GROUP_COLS} FROM {GROUP_FROM} WHERE g.merchant_id = $1 AND g.code = $2"))
            .bind(merchant_id)
            .bind(code)
            .fetch_optional(self.reader())
            .await?)
    }

    /// Whether another group of the shop has this name.
    pub async fn community_name_taken(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        name: &str,
        except: Option<i64>,
    ) -> StoreResult<bool> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM community_groups WHERE merchant_id = $1 AND name = $2 AND id <> $3")
                .bind(merchant_id)
                .bind(name)
                .bind(except.unwrap_or(0))
                .fetch_one(&mut **tx)
                .await?;
        Ok(n > 0)
    }

    /// Add a group with its join code; `None` when the code is taken (the caller draws another).
    pub async fn create_community_group(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        code: &str,
        f: &GroupFields<'_>,
    ) -> StoreResult<Option<i64>> {
        let now = now_ms();
        let (taken,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM community_groups WHERE merchant_id = $1 AND code = $2")
                .bind(merchant_id)
                .bind(code)
                .fetch_one(&mut **tx)
                .await?;
        if taken > 0 {
            return Ok(None);
        }
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO community_groups (merchant_id, name, note, code, owner_promoter_id, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) RETURNING id",
        )
        .bind(merchant_id)
        .bind(f.name)
        .bind(f.note)
        .bind(code)
        .bind(f.owner_promoter_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(Some(id))
    }

    pub async fn update_community_group(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        id: i64,
        f: &GroupFields<'_>,
        status: &str,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE community_groups SET name = $3, note = $4, owner_promoter_id = $5, status = $6, updated_at = $7
             WHERE merchant_id = $1 AND id = $2",
        )
        .bind(merchant_id)
        .bind(id)
        .bind(f.name)
        .bind(f.note)
        .bind(f.owner_promoter_id)
        .bind(status)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// The figures of the given groups (a group without members or orders gets zeros).
    pub async fn community_figures(&self, merchant_id: i64, group_ids: &[i64]) -> StoreResult<Vec<GroupFigures>> {
        if group_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = group_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let members: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT group_id, COUNT(*) FROM community_members
             WHERE merchant_id = $1 AND left_at IS NULL AND group_id IN ({ids}) GROUP BY group_id"
        ))
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?;
        let orders: Vec<(i64, i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT m.group_id, COUNT(DISTINCT o.buyer_id), COUNT(*), CAST(COALESCE(SUM(o.payable), 0) AS BIGINT)
             FROM {MEMBER_ORDERS} WHERE m.merchant_id = $1 AND m.group_id IN ({ids}) GROUP BY m.group_id"
        ))
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?;
        let commission: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT m.group_id, CAST(COALESCE(SUM(c.amount - c.reversed), 0) AS BIGINT)
             FROM {MEMBER_ORDERS} JOIN commissions c ON c.order_id = o.id
             WHERE m.merchant_id = $1 AND m.group_id IN ({ids}) GROUP BY m.group_id"
        ))
        .bind(merchant_id)
        .fetch_all(self.reader())
        .await?;
        Ok(group_ids
            .iter()
            .map(|&g| {
                let mut f = GroupFigures { group_id: g, ..GroupFigures::default() };
                if let Some((_, n)) = members.iter().find(|m| m.0 == g) {
                    f.members = *n;
                }
                if let Some((_, buyers, orders, gmv)) = orders.iter().find(|m| m.0 == g) {
                    (f.buyers, f.orders, f.gmv) = (*buyers, *orders, *gmv);
                }
                if let Some((_, c)) = commission.iter().find(|m| m.0 == g) {
                    f.commission = *c;
                }
                f
            })
            .collect())
    }

    /// A group's members (open memberships first, newest first), each with what they bought while a member.
    pub async fn community_members(
        &self,
        merchant_id: i64,
        group_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<CommunityMemberRow>> {
        let items = sqlx::query_as(
            "SELECT m.id, m.group_id, m.buyer_id, b.nickname, m.joined_at, m.left_at,
                    (SELECT COUNT(*) FROM orders o WHERE o.buyer_id = m.buyer_id AND o.merchant_id = m.merchant_id
                       AND o.paid_at IS NOT NULL AND o.created_at >= m.joined_at
                       AND (m.left_at IS NULL OR o.created_at < m.left_at)) AS orders,
                    (SELECT CAST(COALESCE(SUM(o.payable), 0) AS BIGINT) FROM orders o
                     WHERE o.buyer_id = m.buyer_id AND o.merchant_id = m.merchant_id
                       AND o.paid_at IS NOT NULL AND o.created_at >= m.joined_at
                       AND (m.left_at IS NULL OR o.created_at < m.left_at)) AS spent
             FROM community_members m JOIN buyers b ON b.id = m.buyer_id
             WHERE m.merchant_id = $1 AND m.group_id = $2
             ORDER BY CASE WHEN m.left_at IS NULL THEN 0 ELSE 1 END, m.joined_at DESC, m.id DESC LIMIT $3 OFFSET $4",
        )
        .bind(merchant_id)
        .bind(group_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM community_members WHERE merchant_id = $1 AND group_id = $2")
                .bind(merchant_id)
                .bind(group_id)
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }

    /// The buyer's open membership of a group, if any.
    pub async fn community_membership<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        group_id: i64,
        buyer_id: i64,
    ) -> StoreResult<Option<i64>> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT joined_at FROM community_members WHERE group_id = $1 AND buyer_id = $2 AND left_at IS NULL",
        )
        .bind(group_id)
        .bind(buyer_id)
        .fetch_optional(ex)
        .await?;
        Ok(row.map(|r| r.0))
    }

    /// Open a membership at `at`; `false` when the buyer already holds one (the unique index decides a race).
    pub async fn join_community(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        group_id: i64,
        buyer_id: i64,
        at: i64,
    ) -> StoreResult<bool> {
        if self.community_membership(&mut **tx, group_id, buyer_id).await?.is_some() {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO community_members (merchant_id, group_id, buyer_id, joined_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(merchant_id)
        .bind(group_id)
        .bind(buyer_id)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(true)
    }

    /// Close the buyer's open membership; `false` when there was none.
    pub async fn leave_community(&self, tx: &mut Tx, group_id: i64, buyer_id: i64) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE community_members SET left_at = $3 WHERE group_id = $1 AND buyer_id = $2 AND left_at IS NULL",
        )
        .bind(group_id)
        .bind(buyer_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// The active groups a buyer is a member of, newest membership first.
    pub async fn buyer_communities(
        &self,
        merchant_id: i64,
        buyer_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<CommunityGroupRow>> {
        let filter = "g.merchant_id = $1 AND g.status = 'active' AND EXISTS (SELECT 1 FROM community_members m
             WHERE m.group_id = g.id AND m.buyer_id = $2 AND m.left_at IS NULL)";
        let items = sqlx::query_as(&format!(
            "SELECT {GROUP_COLS} FROM {GROUP_FROM} WHERE {filter} ORDER BY g.id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(merchant_id)
        .bind(buyer_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM community_groups g WHERE {filter}"))
            .bind(merchant_id)
            .bind(buyer_id)
            .fetch_one(self.reader())
            .await?;
        Ok(Paged { items, total })
    }

    // ---- members-only coupons -------------------------------------------------------------------

    /// The coupon templates only members of the group may claim.
    pub async fn community_coupon_ids(&self, group_id: i64) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT template_id FROM community_coupons WHERE group_id = $1 ORDER BY template_id DESC")
                .bind(group_id)
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// The groups whose members alone may claim the template (empty: any buyer may, through the coupon centre).
    pub async fn coupon_communities<'e>(
        &self,
        ex: impl Executor<'e, Database = Any>,
        template_id: i64,
    ) -> StoreResult<Vec<i64>> {
        let rows: Vec<(i64,)> =
            sqlx::query_as("SELECT group_id FROM community_coupons WHERE template_id = $1 ORDER BY group_id")
                .bind(template_id)
                .fetch_all(ex)
                .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Link a template to a group; `false` when it was linked already.
    pub async fn link_community_coupon(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        group_id: i64,
        template_id: i64,
    ) -> StoreResult<bool> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM community_coupons WHERE group_id = $1 AND template_id = $2")
                .bind(group_id)
                .bind(template_id)
                .fetch_one(&mut **tx)
                .await?;
        if n > 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO community_coupons (merchant_id, group_id, template_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(merchant_id)
        .bind(group_id)
        .bind(template_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(true)
    }

    pub async fn unlink_community_coupon(&self, tx: &mut Tx, group_id: i64, template_id: i64) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM community_coupons WHERE group_id = $1 AND template_id = $2")
            .bind(group_id)
            .bind(template_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    // ---- pushes ---------------------------------------------------------------------------------

    pub async fn insert_community_push(
        &self,
        tx: &mut Tx,
        merchant_id: i64,
        group_id: i64,
        kind: &str,
        target_id: i64,
        note: &str,
        created_by: i64,
    ) -> StoreResult<CommunityPushRow> {
        Ok(sqlx::query_as(
            "INSERT INTO community_pushes (merchant_id, group_id, kind, target_id, note, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             RETURNING id, group_id, kind, target_id, note, created_by, created_at",
        )
        .bind(merchant_id)
        .bind(group_id)
        .bind(kind)
        .bind(target_id)
        .bind(note)
        .bind(created_by)
        .bind(now_ms())
        .fetch_one(&mut **tx)
        .await?)
    }

    /// A group's pushes, newest first.
    pub async fn community_pushes(
        &self,
        merchant_id: i64,
        group_id: i64,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Paged<CommunityPushRow>> {
        let items = sqlx::query_as(
            "SELECT id, group_id, kind, target_id, note, created_by, created_at FROM community_pushes
             WHERE merchant_id = $1 AND group_id = $2 ORDER BY id DESC LIMIT $3 OFFSET $4",
        )
        .bind(merchant_id)
        .bind(group_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.reader())
        .await?;
        let (total,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM community_pushes WHERE merchant_id = $1 AND group_id = $2")
                .bind(merchant_id)
                .bind(group_id)
                .fetch_one(self.reader())
                .await?;
        Ok(Paged { items, total })
    }
}
