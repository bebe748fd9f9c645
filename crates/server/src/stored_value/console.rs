//! The console page of a buyer's stored value (储值余额): the balance, its movements with their postings, and
//! finance's adjustment form (存入 / 扣减 at the counter or as goodwill).

use super::StoredValueAdjustment;
use crate::accounts::auth::ManageFinance;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/members/{id}/balance", get(page).post(adjust))
}

#[derive(Deserialize)]
struct PageOnly {
    page: Option<i64>,
}

async fn page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadFinance>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<PageOnly>,
) -> WebResult {
    show(&st, c, &a, id, q.page, None).await
}

async fn show(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadFinance>,
    id: i64,
    page: Option<i64>,
    refused: Option<FormRefusal<'_>>,
) -> WebResult {
    let buyer = st.store.buyer_by_id(a.merchant_id, id).await.map_err(|_| ApiError::not_found("buyer"))?;
    let summary = super::buyer_summary(st, a, id).await?;
    let list = super::buyer_moves(st, a, id, &PageQuery { page, page_size: Some(50) }).await?;
    let mut p = ListPage::new(c, a, "sv.console_title").heads(&[
        "sv.at",
        "sv.reason",
        "sv.delta",
        "sv.balance_after",
        "sv.note",
        "sv.posting",
    ]);
    item_head(&mut p, &buyer.nickname, &format!("/admin/members/{id}"), "sv.back_to_member");
    p.intro = format!("{} {}", p.c.t("sv.balance"), view::yuan(summary.balance));
    for m in &list.items {
        let posting = match m.posting_id {
            Some(pid) => Cell::num(format!("#{pid}")),
            None => Cell::text("-"),
        };
        p.rows.push(vec![
            Cell::text(view::beijing_time(m.at)),
            Cell::text(p.c.tp_or("sv.reason.", m.reason.code(), m.reason.code())),
            Cell::num(signed_yuan(m.delta)),
            Cell::num(view::yuan(m.balance_after)),
            Cell::text(&m.note),
            posting,
        ]);
    }
    p.pager = Some(Pager::new(&format!("/admin/members/{id}/balance"), list.page, 50, list.total));
    if Admin::<ManageFinance>::for_user(a.user.clone()).is_some() {
        let v = |name: &str, d: &str| FormRefusal::value(&refused, name, d.to_string());
        let direction = vec![
            ("in".to_string(), p.c.t("sv.direction.in").to_string()),
            ("out".to_string(), p.c.t("sv.direction.out").to_string()),
        ];
        let kinds = vec![
            ("counter".to_string(), p.c.t("sv.reason.counter").to_string()),
            ("goodwill".to_string(), p.c.t("sv.reason.goodwill").to_string()),
        ];
        let fields = vec![
            Field::select("direction", p.c.t("sv.direction"), v("direction", "in"), direction),
            Field::select("kind", p.c.t("sv.kind"), v("kind", "counter"), kinds),
            Field::text("amount", p.c.t("sv.amount_yuan"), v("amount", "")),
            Field::text("note", p.c.t("sv.note"), v("note", "")),
            Field::kind("idem", "", "hidden", crate::accounts::auth::new_token("web_")),
        ];
        let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
        edit_form(&mut p, "adjust", "sv.adjust", format!("/admin/members/{id}/balance"), fields, refused);
        if let Some(s) = status {
            return refused_page(p, s);
        }
    }
    ok(p)
}

/// `+¥5.00` / `-¥5.00`.
fn signed_yuan(fen: i64) -> String {
    if fen < 0 {
        format!("-{}", view::yuan(-fen))
    } else {
        format!("+{}", view::yuan(fen))
    }
}

async fn adjust(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageFinance>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let result = async {
        let yuan = view::parse_yuan("amount", f.get("amount"))?;
        let amount = if f.get("direction") == "out" { -yuan } else { yuan };
        let req = StoredValueAdjustment { kind: f.get("kind").into(), amount, note: f.get("note").into() };
        let headers = with_idem(headers, f.get("idem"))?;
        super::adjust(&st, &a, &Call::from_headers(&headers), id, req).await.map(|_| ())
    }
    .await;
    match refusal(result)? {
        None => back(&format!("/admin/members/{id}/balance")),
        Some(e) => {
            let message = refusal_message(&c, &e);
            let r = Admin::<ReadFinance>::for_user(a.user.clone())
                .ok_or_else(|| ApiError::forbidden_because(&crate::error::ApiReason::PageNeedsFinance))?;
            show(&st, c, &r, id, None, Some(FormRefusal { typed: &f, field: e.field.clone(), message })).await
        }
    }
}
