//! Console page of manual adjustments (手工调账): the postings people made (adjustments and corrections, with
//! their reasons and authors) and, for finance, the form that posts one through the same use case as the API.

use minimall_core::ledger::{Account, Unit};
use minimall_core::page::Page;
use minimall_store::journal::JournalFilter;

use super::adjust::{AdjustmentEntryInput, AdjustmentInput};
use crate::accounts::auth::ManageFinance;
use crate::error::ApiReason;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/finance/adjustments", get(adjustments).post(post_adjustment))
}

/// Lines of the form.
const ROWS: usize = 4;
const ACCOUNT: [&str; ROWS] = ["account_0", "account_1", "account_2", "account_3"];
const DEBIT: [&str; ROWS] = ["debit_0", "debit_1", "debit_2", "debit_3"];
const CREDIT: [&str; ROWS] = ["credit_0", "credit_1", "credit_2", "credit_3"];

#[derive(Deserialize)]
struct PageOnly {
    page: Option<i64>,
}

fn account_label(c: &Ctx, code: &str) -> String {
    c.tp_or("acct.", code, code)
}

async fn adjustments(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadFinance>,
    WebQuery(q): WebQuery<PageOnly>,
) -> WebResult {
    page(&st, c, &a, q.page, None).await
}

async fn page(
    st: &AppState,
    c: Ctx,
    a: &AdminUser,
    page_no: Option<i64>,
    refused: Option<FormRefusal<'_>>,
) -> WebResult {
    let pg = Page::parse(page_no, Some(50))?;
    let filter = JournalFilter { by_person: true, ..JournalFilter::default() };
    let rows = st.store.journal_postings(a.merchant_id, &filter, pg.size(), pg.offset()).await?;
    let mut p = ListPage::new(c, a, "fin.adjustments").heads(&[
        "common.id",
        "fin.time",
        "fin.kind",
        "fin.corrects",
        "fin.reason",
        "fin.entries",
    ]);
    p.links = super::console::section_links(&p.c);
    p.intro = p.c.t("fin.adjustments_intro").into();
    let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
    if may(a, Permission::ManageFinance) {
        let mut accounts = vec![(String::new(), p.c.t("fin.choose_account").to_string())];
        accounts.extend(
            Account::ALL
                .iter()
                .filter(|x| !x.has_sub_ledger())
                .map(|x| (x.code().to_string(), account_label(&p.c, x.code()))),
        );
        let mut fields = vec![
            Field::text("reason", p.c.t("fin.reason"), FormRefusal::value(&refused, "reason", String::new())),
            Field::kind(
                "corrects",
                p.c.t("fin.corrects_id"),
                "number",
                FormRefusal::value(&refused, "corrects", String::new()),
            ),
        ];
        for i in 0..ROWS {
            fields.push(Field::select(
                ACCOUNT[i],
                &format!("{} {}", p.c.t("fin.account"), i + 1),
                FormRefusal::value(&refused, ACCOUNT[i], String::new()),
                accounts.clone(),
            ));
            fields.push(Field::text(
                DEBIT[i],
                p.c.t("fin.debit_amount"),
                FormRefusal::value(&refused, DEBIT[i], String::new()),
            ));
            fields.push(Field::text(
                CREDIT[i],
                p.c.t("fin.credit_amount"),
                FormRefusal::value(&refused, CREDIT[i], String::new()),
            ));
        }
        fields.push(Field::kind("idem", "", "hidden", crate::accounts::auth::new_token("web_")));
        if let Some(r) = refused {
            r.place(&mut fields, &mut p.error);
        }
        p.forms.push(Form {
            id: "adjustment",
            title: p.c.t("fin.new_adjustment").into(),
            action: "/admin/finance/adjustments".into(),
            method: "post",
            fields,
            submit: p.c.t("fin.post_adjustment").into(),
        });
    }
    for x in &rows.items {
        let entries = x
            .entries
            .iter()
            .map(|e| {
                let amount = if e.unit == "points" { e.amount.to_string() } else { view::yuan(e.amount) };
                format!("{} {}", account_label(&p.c, &e.account), amount)
            })
            .collect::<Vec<_>>()
            .join("；");
        p.rows.push(vec![
            Cell::text(x.posting.id.to_string()),
            Cell::text(view::beijing_time(x.posting.at)),
            Cell::text(p.c.tp_or("pk.", &x.posting.kind, &x.posting.kind)),
            match x.posting.corrects {
                Some(id) => Cell::text(format!("#{id}")),
                None => Cell::text(""),
            },
            Cell::text(x.posting.memo.clone()),
            Cell::text(entries),
        ]);
    }
    p.pager = Some(Pager::new("/admin/finance/adjustments", pg.page(), pg.size(), rows.total));
    match status {
        Some(s) => refused_page(p, s),
        None => ok(p),
    }
}

/// The form's lines as entries: debit minus credit, in yuan for money accounts and in whole points for points
/// accounts; empty lines are left out.
fn entries_of(f: &Fields) -> Result<Vec<AdjustmentEntryInput>, ApiError> {
    let mut out = Vec::new();
    for i in 0..ROWS {
        let account = f.get(ACCOUNT[i]).trim().to_string();
        let (d, c) = (f.get(DEBIT[i]).trim(), f.get(CREDIT[i]).trim());
        if account.is_empty() && d.is_empty() && c.is_empty() {
            continue;
        }
        let points = Account::from_code(&account).is_some_and(|a| a.unit() == Unit::Points);
        let value = |name: &'static str, s: &str| -> Result<i64, ApiError> {
            if s.is_empty() {
                Ok(0)
            } else if points {
                s.parse::<i64>().map_err(|_| ApiError::invalid_because(name, &ApiReason::WholeNumber))
            } else {
                view::parse_yuan(name, s)
            }
        };
        let amount = value(DEBIT[i], d)? - value(CREDIT[i], c)?;
        out.push(AdjustmentEntryInput { account, amount, product_id: None });
    }
    Ok(out)
}

/// The form field an API field names: `entries[i].…` is line i of the form.
fn form_field(api_field: Option<&str>, lines: &[usize]) -> Option<String> {
    let f = api_field?;
    let Some(rest) = f.strip_prefix("entries[") else { return Some(f.to_string()) };
    let (i, what) = rest.split_once("].")?;
    let line = *lines.get(i.parse::<usize>().ok()?)?;
    Some(if what == "account" { ACCOUNT[line] } else { DEBIT[line] }.to_string())
}

async fn post_adjustment(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageFinance>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    // Which form line each entry came from.
    let lines: Vec<usize> = (0..ROWS)
        .filter(|i| {
            !(f.get(ACCOUNT[*i]).trim().is_empty()
                && f.get(DEBIT[*i]).trim().is_empty()
                && f.get(CREDIT[*i]).trim().is_empty())
        })
        .collect();
    let result = async {
        let corrects = match f.get("corrects").trim() {
            "" => None,
            s => Some(s.parse::<i64>().map_err(|_| ApiError::invalid_because("corrects", &ApiReason::WholeNumber))?),
        };
        let req = AdjustmentInput { reason: f.get("reason").into(), corrects, entries: entries_of(&f)? };
        let headers = with_idem(headers, f.get("idem"))?;
        super::adjust::post_adjustment(&st, &a, &Call::from_headers(&headers), req).await.map(|_| ())
    }
    .await;
    match refusal(result)? {
        None => back("/admin/finance/adjustments"),
        Some(e) => {
            let message = refusal_message(&c, &e);
            let field = form_field(e.field.as_deref(), &lines);
            page(&st, c, &a, None, Some(FormRefusal { typed: &f, field, message })).await
        }
    }
}
