//! Console pages of orders: the list, an order, shipping, pick-up stores and pick-up verification.

use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/orders", get(orders))
        .route("/admin/orders/{id}", get(order))
        .route("/admin/orders/{id}/ship", post(ship))
        .route("/admin/orders/{id}/shipments/{shipment_id}/tracks", post(add_track))
        .route("/admin/stores", get(stores).post(create_store))
        .route("/admin/pickup", get(pickup_page).post(verify_pickup))
}

#[derive(Deserialize)]
struct OrdersQuery {
    status: Option<String>,
    order_no: Option<String>,
    /// `YYYY-MM-DD`, Beijing days, both included.
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
}

const ORDER_STATUSES: &[&str] =
    &["pending_payment", "to_ship", "partially_shipped", "shipped", "received", "completed", "cancelled", "closed"];

async fn orders(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebQuery(q): WebQuery<OrdersQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let status = q.status.clone().unwrap_or_default();
    let order_no = q.order_no.clone().unwrap_or_default().trim().to_string();
    let from_s = q.from.clone().unwrap_or_default();
    let to_s = q.to.clone().unwrap_or_default();
    let from = view::parse_day(&from_s).map(view::day_start_ms);
    let to = view::parse_day(&to_s).map(|d| view::day_start_ms(d + 1));
    let query = |page| ao::OrderQuery {
        status: Some(status.clone()),
        buyer_id: None,
        product_id: None,
        from,
        to,
        order_no: Some(order_no.clone()).filter(|s| !s.is_empty()),
        page,
        page_size: Some(20),
    };
    let revenue = MoneyView::of(&st, &a).await?.revenue;
    let Json(list) = ao::list_orders(&st, &a, c.lang, query(Some(page))).await?;
    let heads: &[&str] = if revenue {
        &["order.no", "order.buyer", "order.goods", "order.payable", "order.status", "order.created", ""]
    } else {
        &["order.no", "order.buyer", "order.goods", "order.status", "order.created", ""]
    };
    let mut p = ListPage::new(c, &a, "menu.orders").heads(heads);
    let mut opts = vec![(String::new(), p.c.t("common.all").to_string())];
    opts.extend(ORDER_STATUSES.iter().map(|s| (s.to_string(), p.c.status(s).to_string())));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/orders".into(),
        method: "get",
        fields: vec![
            Field::text("order_no", p.c.t("order.no"), order_no.clone()),
            Field::select("status", p.c.t("order.status"), status.clone(), opts),
            Field::kind("from", p.c.t("order.from"), "date", from_s.clone()),
            Field::kind("to", p.c.t("order.to"), "date", to_s.clone()),
        ],
        submit: p.c.t("common.filter").into(),
    });
    p.links.push((
        view::with_query(
            "/api/v1/admin/orders/export",
            &[
                ("status", status.clone()),
                ("order_no", order_no.clone()),
                ("from", from.map(|v| v.to_string()).unwrap_or_default()),
                ("to", to.map(|v| v.to_string()).unwrap_or_default()),
            ],
        ),
        p.c.t("order.export").into(),
    ));
    for o in &list.items {
        let goods: Vec<String> = o.lines.iter().map(|l| format!("{} ×{}", l.title, l.quantity)).collect();
        let mut row = vec![
            Cell::link(&o.order_no, format!("/admin/orders/{}", o.id)),
            Cell::num(o.buyer_id.to_string()),
            Cell::text(goods.join("；")),
        ];
        if revenue {
            row.push(Cell::num(view::yuan(o.payable)));
        }
        row.extend([
            Cell::tag(p.c.status(&o.status), if o.status == "to_ship" { "warn" } else { "" }),
            Cell::text(view::beijing_time(o.created_at)),
            Cell::link(p.c.t("common.view"), format!("/admin/orders/{}", o.id)),
        ]);
        p.rows.push(row);
    }
    let base = view::with_query(
        "/admin/orders",
        &[("status", status), ("order_no", order_no), ("from", from_s), ("to", to_s)],
    );
    p.pager = Some(Pager::new(&base, page, 20, list.total));
    ok(p)
}

#[derive(Template)]
#[template(path = "admin/order.html")]
struct OrderPage {
    c: Ctx,
    nav: Nav,
    d: ao::OrderDetail,
    /// The role may see revenue: the order's amounts are shown.
    revenue: bool,
    can_ship: bool,
    /// The role may add to a parcel's timeline.
    can_track: bool,
    logistics: crate::orders::logistics::LogisticsDto,
    track_kinds: Vec<(&'static str, &'static str)>,
    /// The delivery address as one line.
    address: String,
}

async fn order(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    let revenue = MoneyView::of(&st, &a).await?.revenue;
    let Json(d) = ao::order_detail(&st, &a, c.lang, id).await?;
    let can_ship = may(&a, Permission::ManageOrders)
        && matches!(d.order.status.as_str(), "to_ship" | "partially_shipped")
        && d.order.delivery != "pickup";
    let address = d.order.address.as_ref().map(view::address_line).unwrap_or_default();
    let nav = nav(&c, &a);
    let can_track = may(&a, Permission::ManageOrders);
    let logistics = crate::orders::logistics::of_order(&st, id).await?;
    let track_kinds =
        crate::orders::logistics::TrackKind::ALL.iter().map(|k| (k.as_str(), c.tp("track.", k.as_str()))).collect();
    Ok(OrderPage { c, nav, d, revenue, can_ship, can_track, logistics, track_kinds, address }.render_page())
}

async fn add_track(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath((id, shipment_id)): WebPath<(i64, i64)>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let kind = crate::orders::logistics::TrackKind::parse(f.get("kind"))
        .ok_or_else(|| ApiError::invalid_because("kind", &crate::orders::refusals::OrderRefusal::ChooseTrackKind))?;
    let at = match f.opt("at") {
        Some(t) => Some(view::parse_beijing_datetime(t).ok_or_else(|| {
            ApiError::refused(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                &crate::orders::logistics::LogisticsReason::TimeOutOfRange,
            )
            .with_field("at")
        })?),
        None => None,
    };
    let input = crate::orders::logistics::TrackInput { kind, text: f.get("text").into(), at };
    let _ = crate::orders::logistics::add_track(&st, &a, &Call::from_headers(&headers), id, shipment_id, input).await?;
    back(&format!("/admin/orders/{id}#parcel-{shipment_id}"))
}

async fn ship(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = ao::ShipRequest {
        carrier: f.get("carrier").into(),
        tracking_no: f.get("tracking_no").into(),
        lines: None,
        cost: None,
    };
    let _ = crate::orders::fulfilment::ship(&st, &a, &Call::from_headers(&headers), id, req).await?;
    back(&format!("/admin/orders/{id}"))
}

async fn stores(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadOrders>) -> WebResult {
    let list = crate::orders::stores::admin_stores(&st, &a).await?;
    let mut p = ListPage::new(c, &a, "menu.stores").heads(&[
        "store.name",
        "store.address",
        "store.phone",
        "store.hours",
        "store.active",
    ]);
    if may(&a, Permission::ManageSettings) {
        p.forms.push(Form {
            id: "new-store",
            title: p.c.t("store.new").into(),
            action: "/admin/stores".into(),
            method: "post",
            fields: vec![
                Field::text("name", p.c.t("store.name"), ""),
                Field::text("address", p.c.t("store.address"), ""),
                Field::text("phone", p.c.t("store.phone"), ""),
                Field::text("hours", p.c.t("store.hours"), ""),
            ],
            submit: p.c.t("common.add").into(),
        });
    }
    if may(&a, Permission::VerifyPickup) {
        p.links.push(("/admin/pickup".into(), p.c.t("menu.pickup").into()));
    }
    for s in &list.items {
        p.rows.push(vec![
            Cell::text(&s.name),
            Cell::text(&s.address),
            Cell::text(&s.phone),
            Cell::text(&s.hours),
            Cell::text(p.c.t(if s.active { "common.yes" } else { "common.no" })),
        ]);
    }
    ok(p)
}

async fn create_store(
    State(st): State<AppState>,
    Console(a): Console<ManageSettings>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = pickup::StoreInput {
        name: f.get("name").into(),
        address: f.get("address").into(),
        phone: f.get("phone").into(),
        hours: f.get("hours").into(),
    };
    let _ = crate::orders::stores::create_store(&st, &a, &Call::from_headers(&headers), req).await?;
    back("/admin/stores")
}

async fn pickup_page(c: Ctx, Console(a): Console<VerifyPickup>) -> WebResult {
    let mut p = ListPage::new(c, &a, "menu.pickup");
    p.intro = p.c.t("pickup.intro").into();
    p.forms.push(Form {
        id: "verify",
        title: p.c.t("pickup.verify").into(),
        action: "/admin/pickup".into(),
        method: "post",
        fields: vec![Field::text("code", p.c.t("pickup.code"), "")],
        submit: p.c.t("pickup.verify").into(),
    });
    ok(p)
}

async fn verify_pickup(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<VerifyPickup>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let o = crate::orders::stores::verify(
        &st,
        &a,
        &Call::from_headers(&headers),
        pickup::VerifyRequest { code: f.get("code").trim().into() },
    )
    .await?;
    let mut p = ListPage::new(c, &a, "menu.pickup").heads(&["order.no", "order.goods", "order.status"]);
    p.intro = p.c.t("pickup.done").into();
    let goods: Vec<String> = o.lines.iter().map(|l| format!("{} ×{}", l.title, l.quantity)).collect();
    p.rows.push(vec![Cell::text(&o.order_no), Cell::text(goods.join("；")), Cell::text(p.c.status(&o.status))]);
    p.links.push(("/admin/pickup".into(), p.c.t("pickup.next").into()));
    ok(p)
}

// ---- buyers, users, settings, audit -----------------------------------------------------------------
