//! Group buying (拼团) use cases: opening and joining a group (an order at the group price through the order
//! flow, with a seat taken under the group's row), what a member's payment means (seated, the group complete,
//! or given back), a member's order lapsing, and the `group_buy.expire` job that refunds every paid member of
//! a group whose time ran out.
//!
//! Every decision is `core::social::group_buy`'s, on the group as recorded, taken under the group's row lock
//! (`Store::lock_group`) in the same transaction as the orders' status changes, the stock and coupons given
//! back and the refunds recorded. A refund is one row per `out_refund_no` (`<order_no>-G`) and is decided once
//! (the member becomes `refund_due`), so duplicated and late notifications and the job run again after a
//! restart give nothing back twice; the refund itself goes to the provider through the `payment.refund` job.

pub mod admin_api;
pub mod console;
pub mod refusals;
pub mod shop_api;
pub mod shop_pages;

use minimall_core::error::Reason;
use minimall_core::orders::{transition, OrderEvent, OrderStatus, TransitionCtx};
use minimall_core::social::group_buy::{
    ExpiryDecision, Group, GroupSku, GroupStatus, Member, MemberState, PaymentDecision, RefundReason, Refusal, Terms,
};
use minimall_core::Money;
use minimall_core::{MerchantId, OrderId};
use minimall_store::group_buy::{GroupActivityRow, GroupMemberRow, GroupRow, GroupSkuRow};
use minimall_store::orders::{OrderRow, PaymentRow};
use minimall_store::stock::StockReason;
use minimall_store::Tx;

use crate::error::ApiReason;
use crate::error::{ApiError, ApiResult};
use crate::group_buy::refusals::GroupBuyRefusal;
use crate::orders as ord;
use crate::state::AppState;
use crate::usecase::{self, Effects};
use minimall_store::orders::OrderScope;

pub const EXPIRE_JOB: &str = "group_buy.expire";

/// The dedup key of a group's expiry job.
pub fn expire_key(group_id: i64) -> String {
    format!("{EXPIRE_JOB}:{group_id}")
}

/// An activity's terms as `core` reads them.
pub fn terms(a: &GroupActivityRow, skus: &[GroupSkuRow]) -> Terms {
    Terms {
        name: a.name.clone(),
        starts_at_ms: a.starts_at,
        ends_at_ms: a.ends_at,
        skus: skus
            .iter()
            .map(|s| GroupSku {
                sku_id: s.sku_id,
                list_price: Money::from_fen(s.list_price),
                group_price: Money::from_fen(s.group_price),
            })
            .collect(),
        group_size: a.group_size as u32,
        time_limit_minutes: a.time_limit_minutes as u32,
        leader_discount: Money::from_fen(a.leader_discount),
        free_shipping: a.free_shipping != 0,
        per_buyer_limit: a.per_buyer_limit as u32,
        mock_fill: a.mock_fill != 0,
    }
}

fn member_state(m: &GroupMemberRow) -> MemberState {
    match m.state.as_str() {
        "awaiting_payment" => MemberState::AwaitingPayment,
        "paid" => MemberState::Paid,
        "lapsed" => MemberState::Lapsed,
        _ => MemberState::RefundDue(
            m.refund_reason.as_deref().and_then(RefundReason::parse).unwrap_or(RefundReason::GroupClosed),
        ),
    }
}

fn state_str(s: MemberState) -> (&'static str, Option<&'static str>) {
    match s {
        MemberState::AwaitingPayment => ("awaiting_payment", None),
        MemberState::Paid => ("paid", None),
        MemberState::Lapsed => ("lapsed", None),
        MemberState::RefundDue(r) => ("refund_due", Some(r.as_str())),
    }
}

/// The recorded group as `core` reads it.
pub fn group_of(g: &GroupRow, members: &[GroupMemberRow]) -> Group {
    Group {
        size: g.size as u32,
        opened_at_ms: g.opened_at,
        deadline_ms: g.deadline,
        status: GroupStatus::parse(&g.status).unwrap_or(GroupStatus::Expired),
        members: members
            .iter()
            .map(|m| Member {
                buyer_id: m.buyer_id,
                order_id: m.order_id,
                leader: m.leader != 0,
                joined_at_ms: m.joined_at,
                state: member_state(m),
            })
            .collect(),
        mock_seats: g.mock_seats as u32,
    }
}

/// Write what a decision changed: each member whose state moved (guarded by its state before) and the
/// group's counts and status (guarded by its status before).
async fn persist(st: &AppState, tx: &mut Tx, group_id: i64, before: &Group, after: &Group) -> ApiResult<()> {
    for (b, a) in before.members.iter().zip(&after.members) {
        if b.state != a.state {
            let (from, _) = state_str(b.state);
            let (to, reason) = state_str(a.state);
            if !st.store.set_group_member_state(tx, a.order_id, from, to, reason).await? {
                return Err(ApiError::conflict_because(&GroupBuyRefusal::ChangedMeanwhile));
            }
        }
    }
    let ok = st
        .store
        .update_group(
            tx,
            group_id,
            before.status.as_str(),
            after.status.as_str(),
            i64::from(after.seats_taken()),
            i64::from(after.paid()),
            i64::from(after.mock_seats),
        )
        .await?;
    if !ok {
        return Err(ApiError::conflict_because(&GroupBuyRefusal::ChangedMeanwhile));
    }
    Ok(())
}

/// A refusal to open or join, as the API answers it: 422 for a SKU not in the activity, 409 otherwise.
pub fn refusal(r: Refusal) -> ApiError {
    let status = match r {
        Refusal::SkuNotInActivity => axum::http::StatusCode::UNPROCESSABLE_ENTITY,
        _ => axum::http::StatusCode::CONFLICT,
    };
    ApiError::refused(status, r.code(), &r).with_field(r.field())
}

/// Lock the group of a group order inside `tx` before its status changes, and record that its seat is
/// released (the order lapsed unpaid or was cancelled). Called by the order's cancellation before it moves
/// the order, so the group's row is always taken before an order's; nothing for other orders.
pub async fn order_lapsing(st: &AppState, tx: &mut Tx, order_id: i64) -> ApiResult<()> {
    let Some(m) = st.store.group_member_of_order(&mut **tx, order_id).await? else { return Ok(()) };
    let Some(g) = st.store.lock_group(tx, m.group_id).await? else { return Ok(()) };
    let members = st.store.group_members(&mut **tx, g.id).await?;
    let before = group_of(&g, &members);
    let mut after = before.clone();
    if after.lapse(order_id) {
        persist(st, tx, g.id, &before, &after).await?;
    }
    Ok(())
}

/// A provider says a group order's payment `p` succeeded (the order flow's `on_paid` hands group orders here).
/// The payment is marked succeeded once; then, under the group's row, the member is seated (and when the group
/// is complete every member's order proceeds to shipping) or its payment is given back.
#[allow(clippy::too_many_arguments)]
pub async fn on_paid(
    st: &AppState,
    provider: &str,
    notice: Option<&str>,
    p: &PaymentRow,
    member: &GroupMemberRow,
    txn_id: &str,
    amount: i64,
    fee: i64,
) -> ApiResult<&'static str> {
    // Who earns commission on the order is decided by the buyer's binding when the order was placed.
    let commission = crate::distribution::plan_for(
        st,
        &st.store.order(st.store.reader(), OrderScope::Merchant(MerchantId::new(p.merchant_id)), p.order_id).await?,
    )
    .await?;
    let mut tx = st.store.begin().await?;
    let mut first = st.store.writes();
    let paid = first.payment_succeeded(&p.out_trade_no, txn_id, fee);
    let counts = first.run(&mut tx).await?;
    let mut rest = st.store.writes();
    if !paid.took(&counts) {
        if let Some(id) = notice {
            rest.notification(provider, id, &p.out_trade_no, "duplicate");
            rest.run(&mut tx).await?;
            minimall_store::commit(tx).await?;
        }
        return Ok("duplicate");
    }
    if let Some(id) = notice {
        rest.notification(provider, id, &p.out_trade_no, "paid");
    }
    rest.run(&mut tx).await?;
    let now = minimall_store::now_ms();
    let g = st.store.lock_group(&mut tx, member.group_id).await?.ok_or_else(|| ApiError::not_found("group"))?;
    let members = st.store.group_members(&mut *tx, g.id).await?;
    let before = group_of(&g, &members);
    let mut after = before.clone();
    let decision = after.on_payment(p.order_id.get(), now);
    persist(st, &mut tx, g.id, &before, &after).await?;
    let o = st.store.order(&mut *tx, OrderScope::Trusted, p.order_id).await?;
    // The money came in whatever the group decides; a payment that is given back is posted at what was paid
    // for the lines, as its refund will be.
    let seated = matches!(decision, PaymentDecision::Seated { .. });
    crate::finance::payment_succeeded(st, &mut tx, &o, p, fee, !seated).await?;
    let mut products = Vec::new();
    match decision {
        PaymentDecision::Seated { completed } => {
            let to = transition(OrderStatus::PendingPayment, OrderEvent::Pay, &TransitionCtx { is_group_order: true })
                .map_err(|e| ApiError::internal(e.to_string()))?;
            if o.status != OrderStatus::PendingPayment
                || !st.store.transition_order(&mut tx, o.id, o.status.as_str(), to.as_str(), Some("paid_at")).await?
            {
                return Err(ApiError::internal(format!("group order {} was {} with its seat held", o.id, o.status)));
            }
            st.store.settle_coupons(&mut tx, &o.order_no, true).await?;
            // Frozen like any order's; a group that fails refunds the payment, which reverses it.
            crate::distribution::order_paid(st, &mut tx, &o, commission).await?;
            st.store
                .order_event(
                    &mut tx,
                    o.merchant_id,
                    o.id.get(),
                    "paid",
                    Some(o.status.as_str()),
                    Some(to.as_str()),
                    &serde_json::json!({"provider": provider, "transaction_id": txn_id, "amount": amount, "fee": fee, "group_id": g.id})
                        .to_string(),
                    provider,
                )
                .await?;
            crate::analytics::record::order_paid(st, &mut tx, &o, amount).await?;
            crate::analytics::record::group_joined(st, &mut tx, &o).await?;
            for id in completed.unwrap_or_default() {
                let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(id)).await?;
                ord::apply_event(
                    st,
                    &mut tx,
                    &o,
                    OrderEvent::GroupFormed,
                    None,
                    serde_json::json!({"group_id": g.id}),
                    "system",
                )
                .await?;
            }
        }
        PaymentDecision::Refund(reason) => {
            if o.status == OrderStatus::PendingPayment {
                products = cancel_in(st, &mut tx, &o, "group_closed").await?;
            }
            refund_in(st, &mut tx, &o, p, reason, provider).await?;
        }
        PaymentDecision::AlreadyPaid | PaymentDecision::AlreadyRefunding | PaymentDecision::UnknownOrder => {}
    }
    usecase::commit(st, tx, Effects::new().wake_jobs().stock_moved(products)).await?;
    Ok("paid")
}

/// Cancel an unpaid group order inside `tx` (its member already lapsed by the caller's decision) and give
/// back its stock, locked coupons and points. Returns its products.
async fn cancel_in(st: &AppState, tx: &mut Tx, o: &OrderRow, reason: &str) -> ApiResult<Vec<i64>> {
    let (from, to) = ord::next_status(o.status.as_str(), OrderEvent::CancelUnpaidTimeout)?;
    if !st.store.transition_order(tx, o.id, from.as_str(), to.as_str(), Some("cancelled_at")).await? {
        return Ok(Vec::new());
    }
    let lines = st.store.order_lines(&mut **tx, o.id).await?;
    for l in &lines {
        st.store
            .move_stock(tx, o.merchant_id, l.sku_id.get(), l.quantity, StockReason::Cancel, &o.order_no, reason)
            .await
            .map_err(|e| ApiError::internal(format!("{e:?}")))?;
    }
    st.store.settle_coupons(tx, &o.order_no, false).await?;
    if o.points_used > 0 {
        st.store.move_points(tx, o.merchant_id, o.buyer_id.get(), o.points_used, "order_cancel", &o.order_no).await?;
        crate::finance::points_restored(st, tx, o.merchant_id, &format!("order:{}", o.order_no), o.points_used).await?;
    }
    st.store
        .order_event(
            tx,
            o.merchant_id,
            o.id.get(),
            "cancelled",
            Some(from.as_str()),
            Some(to.as_str()),
            &serde_json::json!({"reason": reason}).to_string(),
            "system",
        )
        .await?;
    Ok(lines.iter().map(|l| l.product_id.get()).collect())
}

/// Record the refund of a member's whole payment (one per order: `<order_no>-G`) and its job.
async fn refund_in(
    st: &AppState,
    tx: &mut Tx,
    o: &OrderRow,
    p: &PaymentRow,
    reason: RefundReason,
    actor: &str,
) -> ApiResult<()> {
    let out_refund_no = format!("{}-G", o.order_no);
    if !st.store.insert_refund(tx, o.merchant_id, o.id.get(), p.id, &out_refund_no, p.amount, reason.as_str()).await? {
        return Ok(());
    }
    ord::enqueue_job(
        st,
        tx,
        o.merchant_id,
        ord::REFUND_JOB,
        serde_json::json!({"out_refund_no": out_refund_no}),
        minimall_store::now_ms(),
        format!("{}:{out_refund_no}", ord::REFUND_JOB),
    )
    .await?;
    st.store
        .order_event(
            tx,
            o.merchant_id,
            o.id.get(),
            "group_refund",
            None,
            None,
            &serde_json::json!({"amount": p.amount, "reason": reason.as_str(), "out_refund_no": out_refund_no})
                .to_string(),
            actor,
        )
        .await?;
    Ok(())
}

#[derive(serde::Deserialize)]
struct ExpirePayload {
    group_id: i64,
}

/// `group_buy.expire`: at a group's deadline, decide once under its row: refund every paid member (the order
/// closes, its stock and coupons come back) and cancel every unpaid order — or, with mock fill, let the paid
/// orders proceed. A group already decided is left alone, so the job run again (a restart, a lost lease)
/// changes nothing.
pub async fn expire_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let p: ExpirePayload = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    expire(&st, p.group_id).await.map_err(|e| e.to_string())
}

async fn expire(st: &AppState, group_id: i64) -> ApiResult<()> {
    let mut tx = st.store.begin().await?;
    let Some(g) = st.store.lock_group(&mut tx, group_id).await? else { return Ok(()) };
    let a = st
        .store
        .group_activity(&mut *tx, g.merchant_id, g.activity_id)
        .await?
        .ok_or(minimall_store::StoreError::NotFound)?;
    let members = st.store.group_members(&mut *tx, g.id).await?;
    let before = group_of(&g, &members);
    let mut after = before.clone();
    let now = minimall_store::now_ms();
    let decision = after.expire(a.mock_fill != 0, now);
    let mut products = Vec::new();
    match decision {
        ExpiryDecision::Nothing => return Ok(()),
        ExpiryDecision::NotYet { at_ms } => {
            ord::enqueue_job(
                st,
                &mut tx,
                g.merchant_id,
                EXPIRE_JOB,
                serde_json::json!({"group_id": g.id}),
                at_ms,
                format!("{}:{at_ms}", expire_key(g.id)),
            )
            .await?;
        }
        ExpiryDecision::Expired { refund, cancel } => {
            persist(st, &mut tx, g.id, &before, &after).await?;
            for id in cancel {
                let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(id)).await?;
                if o.status == OrderStatus::PendingPayment {
                    products.extend(cancel_in(st, &mut tx, &o, "group_expired").await?);
                }
            }
            for id in refund {
                let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(id)).await?;
                products.extend(fail_paid(st, &mut tx, &o).await?);
            }
        }
        ExpiryDecision::MockFilled { proceed, cancel, .. } => {
            persist(st, &mut tx, g.id, &before, &after).await?;
            for id in cancel {
                let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(id)).await?;
                if o.status == OrderStatus::PendingPayment {
                    products.extend(cancel_in(st, &mut tx, &o, "group_expired").await?);
                }
            }
            for id in proceed {
                let o = st.store.order(&mut *tx, OrderScope::Trusted, OrderId::new(id)).await?;
                ord::apply_event(
                    st,
                    &mut tx,
                    &o,
                    OrderEvent::GroupFormed,
                    None,
                    serde_json::json!({"group_id": g.id, "mock_fill": true}),
                    "system",
                )
                .await?;
            }
        }
    }
    usecase::commit(st, tx, Effects::new().wake_jobs().stock_moved(products)).await
}

/// A paid member of a group that expired: the order closes (拼团失败), its stock, coupons and points come back
/// and its payment is refunded in full.
async fn fail_paid(st: &AppState, tx: &mut Tx, o: &OrderRow) -> ApiResult<Vec<i64>> {
    ord::apply_event(
        st,
        tx,
        o,
        OrderEvent::GroupFailed,
        None,
        serde_json::json!({"reason": "group_expired"}),
        "system",
    )
    .await?;
    let lines = st.store.order_lines(&mut **tx, o.id).await?;
    for l in &lines {
        st.store
            .move_stock(
                tx,
                o.merchant_id,
                l.sku_id.get(),
                l.quantity,
                StockReason::Refund,
                &o.order_no,
                "group_expired",
            )
            .await
            .map_err(|e| ApiError::internal(format!("{e:?}")))?;
    }
    st.store.return_used_coupons(tx, &o.order_no).await?;
    if o.points_used > 0 {
        st.store.move_points(tx, o.merchant_id, o.buyer_id.get(), o.points_used, "order_refund", &o.order_no).await?;
        crate::finance::points_restored(st, tx, o.merchant_id, &format!("order:{}", o.order_no), o.points_used).await?;
    }
    let p = st
        .store
        .payment_for_order(o.id)
        .await?
        .filter(|p| p.status == "succeeded")
        .ok_or_else(|| ApiError::internal(format!("paid group order {} has no payment", o.id)))?;
    refund_in(st, tx, o, &p, RefundReason::GroupExpired, "system").await?;
    Ok(lines.iter().map(|l| l.product_id.get()).collect())
}

/// What a buyer asks to open or join a group with.
#[derive(serde::Deserialize, serde::Serialize, utoipa::ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct GroupOrderInput {
    /// The group to join; omit to open a new group.
    pub group_id: Option<i64>,
    /// One unit of this SKU (a seat is one unit).
    pub sku_id: i64,
    pub address_id: i64,
    #[serde(default)]
    pub coupon_ids: Vec<i64>,
    #[serde(default)]
    pub remark: String,
}

/// The order placed into a group and the group it holds a seat in.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct GroupOrderCreated {
    pub group_id: i64,
    pub order: crate::orders::shop_api::OrderDto,
}

/// Open a group of activity `activity_id` (the buyer leads it) or join `input.group_id`: an order for one unit
/// at the group price (less the leader's discount for the leader) placed through the order flow, with a seat
/// taken under the group's row in the same transaction. Needs an idempotency key: the same key and input
/// answer the same order. Returns the answer's body (JSON of [`GroupOrderCreated`]) and whether it was a
/// replay.
pub async fn place(
    st: &AppState,
    buyer: &crate::accounts::auth::Buyer,
    call: &usecase::Call,
    activity_id: i64,
    input: &GroupOrderInput,
) -> ApiResult<(String, bool)> {
    use crate::http::idempotency;
    use crate::promotions::pricing::{self, CartItem, SpecialOffer};
    let key = call.required_idempotency_key()?;
    if input.remark.chars().count() > 200 {
        return Err(ApiError::invalid_because("remark", &Reason::TooLong { max: 200 }));
    }
    let scope = format!("buyer:{}:group_order", buyer.id);
    let fingerprint = idempotency::request_hash(
        "POST",
        &format!("/api/v1/shop/group-buys/{activity_id}/orders"),
        &serde_json::to_value(input).map_err(ApiError::internal)?,
    );
    if let Some((_, body)) = replayed(st, &scope, &key, &fingerprint).await? {
        return Ok((body, true));
    }
    let a = st
        .store
        .group_activity(st.store.reader(), buyer.merchant_id, activity_id)
        .await?
        .ok_or_else(|| ApiError::not_found("group_buy"))?;
    if a.status == "stopped" {
        return Err(refusal(Refusal::Ended));
    }
    let skus = st.store.group_activity_skus(a.id).await?;
    let t = terms(&a, &skus);
    let leader = input.group_id.is_none();
    let unit_price = t.seat_price(input.sku_id, leader).map_err(refusal)?;
    let addr = st.store.address(buyer.id, input.address_id).await.map_err(|_| {
        ApiError::invalid_because("address_id", &ApiReason::NoSuch { what: crate::error::thing("address") })
    })?;
    let offer = SpecialOffer {
        sku_id: input.sku_id,
        price: minimall_core::pricing::SpecialPrice {
            kind: minimall_core::pricing::SpecialKind::Group,
            activity_id: a.id,
            name: a.name.clone(),
            unit_price,
            allow_coupons: true,
            allow_points: false,
        },
        free_shipping: t.free_shipping,
    };
    let items = [CartItem { sku_id: input.sku_id, quantity: 1 }];
    let priced = pricing::price_cart_at(
        st,
        buyer.merchant_id,
        buyer.id,
        &items,
        &input.coupon_ids,
        0,
        Some(addr.province.clone()),
        Some(&offer),
    )
    .await
    .map_err(|e| match e.field.as_deref() {
        Some("items[0].sku_id") => e.with_field("sku_id"),
        _ => e,
    })?;
    if let Some(refusal) = pricing::blocking_error(&priced) {
        return Err(refusal);
    }
    let quote = pricing::quote_dto(&priced, None, crate::web::i18n::Lang::Zh);
    let derivation = serde_json::json!({"steps": quote.steps, "rejected": quote.rejected}).to_string();
    let now = minimall_store::now_ms();
    let mut tx = st.store.begin().await?;
    match st.store.claim_idempotency_key(&mut tx, buyer.merchant_id, &scope, key.as_str(), &fingerprint).await? {
        minimall_store::idempotency::Claim::New => {}
        minimall_store::idempotency::Claim::Replay { body, .. } => return Ok((body, true)),
        minimall_store::idempotency::Claim::Mismatch => {
            return Err(ApiError::invalid_because("Idempotency-Key", &ApiReason::IdempotencyKeyReused))
        }
    }
    let seats = st.store.buyer_group_seats(&mut tx, buyer.id, a.id).await? as u32;
    let (group, new_group) = match input.group_id {
        Some(gid) => {
            let g = st
                .store
                .lock_group(&mut tx, gid)
                .await?
                .filter(|g| g.activity_id == a.id && g.merchant_id == buyer.merchant_id)
                .ok_or_else(|| ApiError::not_found("group").with_field("group_id"))?;
            let members = st.store.group_members(&mut *tx, g.id).await?;
            group_of(&g, &members).may_join(&t, input.sku_id, buyer.id, now, seats).map_err(refusal)?;
            (g, false)
        }
        None => {
            minimall_core::social::group_buy::may_open(&t, input.sku_id, now, seats).map_err(refusal)?;
            let g = st
                .store
                .insert_group(&mut tx, a.merchant_id, a.id, a.product_id, buyer.id, a.group_size, now, t.deadline(now))
                .await?;
            (g, true)
        }
    };
    // The guarded update: of concurrent joins for the last seat, one takes it.
    if !st.store.take_group_seat(&mut tx, group.id, now).await? {
        return Err(refusal(Refusal::Full));
    }
    let mut body = String::new();
    let (order, _) = ord::create(
        st,
        &mut tx,
        &ord::Checkout {
            buyer_id: buyer.id,
            merchant_id: buyer.merchant_id,
            priced: &priced,
            coupon_ids: &input.coupon_ids,
            address_json: Some(ord::address_snapshot(&addr)),
            remark: input.remark.trim().to_string(),
            pickup: None,
        },
        &derivation,
        |order, lines, w| {
            let mut dto = crate::orders::shop_api::order_dto_from(order.clone(), call.lang);
            dto.lines = lines.iter().cloned().map(Into::into).collect();
            body = serde_json::to_string(&GroupOrderCreated { group_id: group.id, order: dto })
                .map_err(ApiError::internal)?;
            idempotency::finish_with(w, &scope, &key, axum::http::StatusCode::CREATED, &body);
            if new_group {
                ord::add_job(
                    w,
                    group.merchant_id,
                    EXPIRE_JOB,
                    serde_json::json!({"group_id": group.id}),
                    group.deadline,
                    expire_key(group.id),
                );
            }
            Ok(())
        },
    )
    .await?;
    st.store
        .insert_group_member(&mut tx, a.merchant_id, group.id, a.id, buyer.id, order.id.get(), new_group, now)
        .await?;
    crate::analytics::record::order_placed(st, &mut tx, &order).await?;
    usecase::commit(st, tx, Effects::new().stock_moved([a.product_id]).wake_jobs()).await?;
    Ok((body, false))
}

/// The answer recorded for an idempotency key, if the request was answered already.
async fn replayed(
    st: &AppState,
    scope: &str,
    key: &crate::http::idempotency::IdemKey,
    fingerprint: &str,
) -> ApiResult<Option<(u16, String)>> {
    match st.store.idempotency_record(scope, key.as_str()).await? {
        Some((h, _, _)) if h != fingerprint => {
            Err(ApiError::invalid_because("Idempotency-Key", &ApiReason::IdempotencyKeyReused))
        }
        Some((_, status, body)) if status > 0 => Ok(Some((status, body))),
        _ => Ok(None),
    }
}
