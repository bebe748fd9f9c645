//! Console pages of after-sales: the queue, approval, refusal, returns received.

use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/aftersales", get(aftersales))
        .route("/admin/aftersales/{id}/approve", post(approve))
        .route("/admin/aftersales/{id}/reject", post(reject))
        .route("/admin/aftersales/{id}/received", post(receive_return))
}

#[derive(Deserialize)]
struct AftersalesQuery {
    status: Option<String>,
    page: Option<i64>,
}

async fn aftersales(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadOrders>,
    WebQuery(q): WebQuery<AftersalesQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let status = q.status.clone().unwrap_or_default();
    let list = crate::aftersales::cases::queue(
        &st,
        &a,
        asr::AftersaleQuery {
            status: Some(status.clone()).filter(|s| !s.is_empty()),
            page: Some(page),
            page_size: Some(20),
        },
    )
    .await?;
    let manage = may(&a, Permission::ManageOrders);
    let mut p = ListPage::new(c, &a, "menu.aftersales").heads(&[
        "common.id",
        "order.no",
        "as.kind",
        "as.reason",
        "as.amount",
        "order.status",
        "order.created",
        "",
        "",
    ]);
    let mut opts = vec![(String::new(), p.c.t("common.all").to_string())];
    opts.extend(crate::error::AFTERSALE_STATUSES.iter().map(|s| (s.to_string(), p.c.label("aftersale-status", s))));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/aftersales".into(),
        method: "get",
        fields: vec![Field::select("status", p.c.t("order.status"), status.clone(), opts)],
        submit: p.c.t("common.filter").into(),
    });
    for x in &list.items {
        let (b1, b2) = if !manage {
            (Cell::text(""), Cell::text(""))
        } else {
            match x.status.as_str() {
                "pending" => (
                    Cell::button(format!("/admin/aftersales/{}/approve", x.id), p.c.t("as.approve")),
                    Cell::button(format!("/admin/aftersales/{}/reject", x.id), p.c.t("as.reject")),
                ),
                "returning" => {
                    (Cell::button(format!("/admin/aftersales/{}/received", x.id), p.c.t("as.received")), Cell::text(""))
                }
                _ => (Cell::text(""), Cell::text("")),
            }
        };
        p.rows.push(vec![
            Cell::num(x.id.to_string()),
            Cell::link(format!("#{}", x.order_id), format!("/admin/orders/{}", x.order_id)),
            Cell::text(p.c.label("aftersale-kind", &x.kind)),
            Cell::text(&x.reason),
            Cell::num(view::yuan(x.amount)),
            Cell::tag(p.c.label("aftersale-status", &x.status), if x.status == "pending" { "warn" } else { "" }),
            Cell::text(view::beijing_time(x.created_at)),
            b1,
            b2,
        ]);
    }
    p.pager = Some(Pager::new(&view::with_query("/admin/aftersales", &[("status", status)]), page, 20, list.total));
    ok(p)
}

async fn approve(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = crate::aftersales::cases::approve(&st, &a, &Call::from_headers(&headers), id).await?;
    back("/admin/aftersales")
}

async fn reject(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let reason = f.opt("reason").unwrap_or("不符合售后条件").to_string();
    let _ = crate::aftersales::cases::reject(&st, &a, &Call::from_headers(&headers), id, asr::RejectRequest { reason })
        .await?;
    back("/admin/aftersales")
}

async fn receive_return(
    State(st): State<AppState>,
    Console(a): Console<ManageOrders>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = crate::aftersales::cases::receive_return(&st, &a, &Call::from_headers(&headers), id).await?;
    back("/admin/aftersales")
}

// ---- stores and pick-up -----------------------------------------------------------------------------
