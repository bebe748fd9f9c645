//! Console pages of finance (财务): profit and loss by day, week or month with a chart and CSV export; the
//! postings list each figure drills down to; the trial balance with its recount check; operating expenses
//! and staff counts; statement reconciliation (import and results). They call the same use cases as the API.

use minimall_core::ledger::expense::Category;
use minimall_core::ledger::report::Granularity;
use minimall_core::ledger::{Account, PostingKind};
use minimall_core::page::Page;
use minimall_store::journal::JournalFilter;

use super::reports::{self, PeriodFigures};
use crate::accounts::auth::ManageFinance;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/finance/report", get(report))
        .route("/admin/finance/report.csv", get(report_csv))
        .route("/admin/finance/postings", get(postings))
        .route("/admin/finance/trial-balance", get(trial_balance))
        .route("/admin/finance/expenses", get(expenses).post(record_expense))
        .route("/admin/finance/expenses/{id}/void", post(void_expense))
        .route("/admin/finance/staff", post(set_staff))
        .route("/admin/finance/reconciliations", get(reconciliations).post(import_bill))
}

pub(crate) fn section_links(c: &Ctx) -> Vec<(String, String)> {
    [
        ("/admin/finance", "menu.finance"),
        ("/admin/finance/report", "fin.pl"),
        ("/admin/finance/postings", "fin.postings"),
        ("/admin/finance/trial-balance", "fin.trial"),
        ("/admin/finance/expenses", "fin.expenses"),
        ("/admin/finance/adjustments", "fin.adjustments"),
        ("/admin/finance/reconciliations", "fin.recon"),
    ]
    .iter()
    .map(|(h, k)| (h.to_string(), c.t(k).to_string()))
    .collect()
}

fn account_label(c: &Ctx, code: &str) -> String {
    c.tp_or("acct.", code, code)
}

#[derive(Deserialize)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    g: Option<String>,
}

pub struct ChartBar {
    pub label: String,
    pub value: String,
    pub x: i64,
    pub y: i64,
    pub h: i64,
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "admin/finance_report.html")]
struct ReportPage {
    c: Ctx,
    nav: Nav,
    links: Vec<(String, String)>,
    filters: Form,
    csv: String,
    bars: Vec<ChartBar>,
    heads: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// (from, to, granularity) of a report page: the last 30 days by day unless asked.
fn report_period(q: &ReportQuery) -> Result<(i64, i64, Granularity), ApiError> {
    let today = view::beijing_day(minimall_store::now_ms());
    let from = q.from.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| view::date_label(today - 29));
    let to = q.to.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| view::date_label(today));
    let (from, to) = reports::period(&from, &to)?;
    let g = q.g.as_deref().and_then(Granularity::parse).unwrap_or(Granularity::Day);
    Ok((from, to, g))
}

const FIGURES: [(&str, &str); 12] = [
    ("revenue", "fin.revenue"),
    ("refunds", "fin.refunded"),
    ("shipping_income", "fin.shipping_income"),
    ("fees", "fin.fee"),
    ("coupon_cost", "fin.coupon_cost"),
    ("points_cost", "fin.points_cost"),
    ("shipping_cost", "fin.shipping_cost"),
    ("cost_of_goods", "fin.cogs"),
    ("gross_profit", "fin.gross_profit"),
    ("operating_expenses", "fin.opex"),
    ("net_profit", "fin.net_profit"),
    ("revenue_per_staff", "fin.per_staff"),
];

fn figure(p: &PeriodFigures, k: &str) -> Option<i64> {
    let f = &p.figures;
    Some(match k {
        "revenue" => f.revenue,
        "refunds" => f.refunds,
        "shipping_income" => f.shipping_income,
        "fees" => f.fees,
        "coupon_cost" => f.coupon_cost,
        "points_cost" => f.points_cost,
        "shipping_cost" => f.shipping_cost,
        "cost_of_goods" => f.cost_of_goods,
        "gross_profit" => f.gross_profit,
        "operating_expenses" => f.operating_expenses,
        "net_profit" => f.net_profit,
        "revenue_per_staff" => return p.revenue_per_staff,
        _ => return None,
    })
}

fn report_row(p: &PeriodFigures) -> Vec<Cell> {
    let mut row = vec![Cell::text(p.label.clone())];
    for (k, _) in FIGURES {
        let v = figure(p, k).map(view::yuan).unwrap_or_else(|| "-".into());
        row.push(match p.drill.get(k) {
            Some(q) => Cell::link(v, format!("/admin/finance/postings?{q}")),
            None => Cell::num(v),
        });
    }
    row.push(Cell::num(
        p.figures.gross_margin_bp.map(|bp| format!("{}.{:02}%", bp / 100, bp % 100)).unwrap_or("-".into()),
    ));
    row.push(Cell::num(p.staff.map(|s| s.to_string()).unwrap_or("-".into())));
    row
}

async fn report(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadFinance>,
    WebQuery(q): WebQuery<ReportQuery>,
) -> WebResult {
    let (from, to, g) = report_period(&q)?;
    let r = reports::finance_report(&st, a.merchant_id, from, to, g).await?;
    let max =
        r.periods.iter().map(|p| p.figures.net_revenue.abs().max(p.figures.net_profit.abs())).max().unwrap_or(0).max(1);
    let n = r.periods.len().max(1) as i64;
    let step = (1320 / n).max(4);
    let mut bars = Vec::new();
    for (i, p) in r.periods.iter().enumerate() {
        let x = 40 + i as i64 * step;
        let h = (p.figures.net_revenue.max(0) * 150 / max).max(0);
        bars.push(ChartBar {
            label: p.label.clone(),
            value: view::yuan(p.figures.net_revenue),
            x,
            y: 170 - h,
            h,
            class: "bar",
        });
        let h = (p.figures.net_profit.max(0) * 150 / max).max(0);
        bars.push(ChartBar {
            label: p.label.clone(),
            value: view::yuan(p.figures.net_profit),
            x: x + step / 2,
            y: 170 - h,
            h,
            class: "bar profit",
        });
    }
    let g_opts = [("day", "fin.by_day"), ("week", "fin.by_week"), ("month", "fin.by_month")]
        .iter()
        .map(|(v, k)| (v.to_string(), c.t(k).to_string()))
        .collect();
    let filters = Form {
        id: "filters",
        title: String::new(),
        action: "/admin/finance/report".into(),
        method: "get",
        fields: vec![
            Field::kind("from", c.t("fin.from"), "date", view::date_label(from)),
            Field::kind("to", c.t("fin.to"), "date", view::date_label(to)),
            Field::select("g", c.t("fin.granularity"), g.as_str(), g_opts),
        ],
        submit: c.t("common.filter").into(),
    };
    let csv = view::with_query(
        "/admin/finance/report.csv",
        &[("from", view::date_label(from)), ("to", view::date_label(to)), ("g", g.as_str().into())],
    );
    let mut heads = vec![c.t("fin.period").to_string()];
    heads.extend(FIGURES.iter().map(|(_, k)| c.t(k).to_string()));
    heads.push(c.t("fin.margin").into());
    heads.push(c.t("fin.staff").into());
    let mut rows: Vec<Vec<Cell>> = r.periods.iter().rev().map(report_row).collect();
    let mut total = report_row(&r.total);
    total[0] = Cell::text(c.t("fin.total"));
    rows.insert(0, total);
    let nav = nav(&c, &a);
    let links = section_links(&c);
    Ok(ReportPage { c, nav, links, filters, csv, bars, heads, rows }.render_page())
}

async fn report_csv(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadFinance>,
    WebQuery(q): WebQuery<ReportQuery>,
) -> WebResult {
    let (from, to, g) = report_period(&q)?;
    let r = reports::finance_report(&st, a.merchant_id, from, to, g).await?;
    let mut out = String::from("\u{feff}");
    let mut head = vec![c.t("fin.period").to_string()];
    head.extend(FIGURES.iter().map(|(_, k)| c.t(k).to_string()));
    head.push(c.t("fin.margin").into());
    head.push(c.t("fin.staff").into());
    out.push_str(&head.join(","));
    out.push_str("\r\n");
    for p in r.periods.iter().chain(std::iter::once(&r.total)) {
        let mut cells = vec![p.label.clone()];
        for (k, _) in FIGURES {
            cells.push(figure(p, k).map(|v| minimall_core::Money::from_fen(v).to_yuan_string()).unwrap_or_default());
        }
        cells.push(p.figures.gross_margin_bp.map(|bp| format!("{}.{:02}%", bp / 100, bp % 100)).unwrap_or_default());
        cells.push(p.staff.map(|s| s.to_string()).unwrap_or_default());
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    let name = format!("attachment; filename=\"finance-{}-{}.csv\"", view::date_label(from), view::date_label(to));
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], out)
        .into_response())
}

#[derive(Deserialize)]
struct PostingsQuery {
    account: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    product_id: Option<i64>,
    promotion: Option<String>,
    page: Option<i64>,
}

async fn postings(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadFinance>,
    WebQuery(q): WebQuery<PostingsQuery>,
) -> WebResult {
    let page = Page::parse(q.page, Some(50))?;
    let day = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).and_then(view::parse_day);
    let filter = JournalFilter {
        account: q.account.as_deref().and_then(Account::from_code),
        kind: q.kind.as_deref().and_then(PostingKind::parse),
        from_ms: day(&q.from).map(view::day_start_ms),
        to_ms: day(&q.to).map(|d| view::day_start_ms(d + 1)),
        product_id: q.product_id,
        promotion: q.promotion.clone().filter(|s| !s.is_empty()),
        by_person: false,
    };
    let rows = st.store.journal_postings(a.merchant_id, &filter, page.size(), page.offset()).await?;
    let mut p = ListPage::new(c, &a, "fin.postings").heads(&[
        "common.id",
        "fin.time",
        "fin.kind",
        "fin.reference",
        "fin.entries",
    ]);
    p.links = section_links(&p.c);
    p.intro = p.c.t("fin.postings_intro").into();
    let mut accounts = vec![(String::new(), p.c.t("fin.all").to_string())];
    accounts.extend(Account::ALL.iter().map(|x| (x.code().to_string(), account_label(&p.c, x.code()))));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/finance/postings".into(),
        method: "get",
        fields: vec![
            Field::select("account", p.c.t("fin.account"), q.account.clone().unwrap_or_default(), accounts),
            Field::kind("from", p.c.t("fin.from"), "date", q.from.clone().unwrap_or_default()),
            Field::kind("to", p.c.t("fin.to"), "date", q.to.clone().unwrap_or_default()),
            Field::text("promotion", p.c.t("fin.promotion"), q.promotion.clone().unwrap_or_default()),
            Field::kind("product_id", "", "hidden", q.product_id.map(|x| x.to_string()).unwrap_or_default()),
        ],
        submit: p.c.t("common.filter").into(),
    });
    for x in &rows.items {
        let entries = x
            .entries
            .iter()
            .map(|e| {
                let amount = if e.unit == "points" { format!("{}", e.amount) } else { view::yuan(e.amount) };
                format!("{} {}", account_label(&p.c, &e.account), amount)
            })
            .collect::<Vec<_>>()
            .join("；");
        p.rows.push(vec![
            Cell::text(x.posting.id.to_string()),
            Cell::text(view::beijing_time(x.posting.at)),
            Cell::text(p.c.tp_or("pk.", &x.posting.kind, &x.posting.kind)),
            Cell::text(x.posting.reference.clone()),
            Cell::text(entries),
        ]);
    }
    let base = view::with_query(
        "/admin/finance/postings",
        &[
            ("account", q.account.clone().unwrap_or_default()),
            ("from", q.from.clone().unwrap_or_default()),
            ("to", q.to.clone().unwrap_or_default()),
            ("product_id", q.product_id.map(|x| x.to_string()).unwrap_or_default()),
            ("promotion", q.promotion.clone().unwrap_or_default()),
        ],
    );
    p.pager = Some(Pager::new(&base, page.page(), page.size(), rows.total));
    ok(p)
}

async fn trial_balance(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadFinance>) -> WebResult {
    let running = st.store.journal_balances(a.merchant_id).await?;
    let recount = st.store.journal_recount(a.merchant_id).await?;
    let subs = super::adjust::sub_ledger_checks(&st, a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "fin.trial").heads(&[
        "fin.account",
        "fin.debits",
        "fin.credits",
        "fin.balance",
        "fin.entry_count",
        "fin.recount",
        "fin.sub_ledger",
    ]);
    p.links = section_links(&p.c);
    let fen = minimall_store::journal::trial_sum(&running, minimall_core::ledger::Unit::Fen);
    let points = minimall_store::journal::trial_sum(&running, minimall_core::ledger::Unit::Points);
    let subs_agree = if subs.iter().all(|s| s.agrees()) { "fin.sub_ledgers_agree" } else { "fin.sub_ledgers_differ" };
    p.intro = format!(
        "{} {} · {} {} · {}",
        p.c.t("fin.diff_fen"),
        view::yuan(fen),
        p.c.t("fin.diff_points"),
        points,
        p.c.t(subs_agree)
    );
    for (r, x) in running.iter().zip(&recount) {
        let money = |v: i64| if r.unit == "points" { v.to_string() } else { view::yuan(v) };
        let same = r.debits == x.debits && r.credits == x.credits;
        let sub = subs.iter().find(|s| s.sub_ledger.control().code() == r.account);
        let sub_cell = match sub {
            None => Cell::text(""),
            Some(s) if s.agrees() => {
                Cell::tag(format!("{} · {} {}", p.c.t("fin.agrees"), s.holders, p.c.t("fin.holders")), "ok")
            }
            Some(s) => Cell::tag(
                format!("{} {} · {}", p.c.t("fin.sub_ledger_differs"), money(s.sub_ledger_total), p.c.t("fin.differs")),
                "warn",
            ),
        };
        p.rows.push(vec![
            Cell::link(account_label(&p.c, &r.account), format!("/admin/finance/postings?account={}", r.account)),
            Cell::num(money(r.debits)),
            Cell::num(money(r.credits)),
            Cell::num(money(r.balance)),
            Cell::num(r.entry_count.to_string()),
            if same { Cell::tag(p.c.t("fin.agrees"), "ok") } else { Cell::tag(p.c.t("fin.differs"), "warn") },
            sub_cell,
        ]);
    }
    ok(p)
}

#[derive(Deserialize)]
struct PageOnly {
    page: Option<i64>,
}

async fn expenses(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadFinance>,
    WebQuery(q): WebQuery<PageOnly>,
) -> WebResult {
    let q2 = super::expenses::ExpenseQuery { page: q.page, page_size: Some(50), from: None, to: None };
    let list = super::expenses::list_expenses(&st, a.merchant_id, &q2).await?;
    let writer = may(&a, Permission::ManageFinance);
    let mut p = ListPage::new(c, &a, "fin.expenses").heads(&[
        "fin.month",
        "fin.category",
        "fin.amount",
        "fin.paid",
        "fin.memo",
        "fin.state",
        "",
    ]);
    p.links = section_links(&p.c);
    p.intro = p.c.t("fin.expenses_intro").into();
    let this_month = minimall_core::ledger::expense::Month::of_day(view::beijing_day(minimall_store::now_ms()))
        .map(|m| m.label())
        .unwrap_or_default();
    if writer {
        let cats =
            Category::ALL.iter().map(|x| (x.code().to_string(), p.c.label("expense-category", x.code()))).collect();
        p.forms.push(Form {
            id: "expense",
            title: p.c.t("fin.new_expense").into(),
            action: "/admin/finance/expenses".into(),
            method: "post",
            fields: vec![
                Field::kind("month", p.c.t("fin.month"), "month", this_month.clone()),
                Field::select("category", p.c.t("fin.category"), "rent", cats),
                Field::text("amount", p.c.t("fin.amount_yuan"), ""),
                Field::kind("paid", p.c.t("fin.paid"), "checkbox", "1"),
                Field::text("memo", p.c.t("fin.memo"), ""),
                Field::kind("idem", "", "hidden", crate::accounts::auth::new_token("web_")),
            ],
            submit: p.c.t("common.save").into(),
        });
        p.forms.push(Form {
            id: "staff",
            title: p.c.t("fin.staff_title").into(),
            action: "/admin/finance/staff".into(),
            method: "post",
            fields: vec![
                Field::kind("month", p.c.t("fin.month"), "month", this_month),
                Field::kind("staff", p.c.t("fin.staff"), "number", ""),
            ],
            submit: p.c.t("common.save").into(),
        });
    }
    for e in &list.items {
        let cat = p.c.label("expense-category", &e.category);
        let state = if e.voided_at.is_some() { p.c.t("fin.voided") } else { p.c.t("fin.posted") };
        let action = if writer && e.voided_at.is_none() {
            Cell::button(format!("/admin/finance/expenses/{}/void", e.id), p.c.t("fin.void"))
        } else {
            Cell::text("")
        };
        p.rows.push(vec![
            Cell::text(e.month.clone()),
            Cell::text(cat),
            match e.posting_id {
                Some(id) => Cell::link(
                    view::yuan(e.amount),
                    format!("/admin/finance/postings?account=operating_expenses#p{id}"),
                ),
                None => Cell::num(view::yuan(e.amount)),
            },
            Cell::text(if e.paid { p.c.t("fin.paid_bank") } else { p.c.t("fin.owed") }),
            Cell::text(e.memo.clone()),
            Cell::text(state),
            action,
        ]);
    }
    p.pager = Some(Pager::new("/admin/finance/expenses", list.page, list.page_size, list.total));
    ok(p)
}

async fn record_expense(
    State(st): State<AppState>,
    Console(a): Console<ManageFinance>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = super::expenses::ExpenseInput {
        month: f.get("month").into(),
        category: f.get("category").into(),
        amount: view::parse_yuan("amount", f.get("amount"))?,
        paid: f.checked("paid"),
        memo: f.get("memo").into(),
    };
    let headers = with_idem(headers, f.get("idem"))?;
    super::expenses::record_expense(&st, &a, &Call::from_headers(&headers), req).await?;
    back("/admin/finance/expenses")
}

async fn void_expense(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageFinance>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    super::expenses::void_expense(&st, &a, &Call::from_headers(&headers), id, c.t("fin.void_reason")).await?;
    back("/admin/finance/expenses")
}

async fn set_staff(
    State(st): State<AppState>,
    Console(a): Console<ManageFinance>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = super::expenses::StaffCount { month: f.get("month").into(), staff: f.int("staff").unwrap_or(-1) };
    super::expenses::set_staff(&st, &a, &Call::from_headers(&headers), req).await?;
    back("/admin/finance/expenses")
}

fn finding_label(c: &Ctx, k: &str) -> &'static str {
    match k {
        "missing" => c.t("fin.missing"),
        "extra" => c.t("fin.extra"),
        _ => c.t("fin.mismatch"),
    }
}

async fn reconciliations(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadFinance>,
    WebQuery(q): WebQuery<PageOnly>,
) -> WebResult {
    let page = Page::parse(q.page, Some(20))?;
    let list = super::reconcile::list(&st, a.merchant_id, page).await?;
    let mut p = ListPage::new(c, &a, "fin.recon").heads(&[
        "fin.bill_day",
        "fin.provider",
        "fin.source",
        "fin.lines",
        "fin.matched",
        "fin.missing",
        "fin.extra",
        "fin.mismatch",
        "fin.findings",
    ]);
    p.links = section_links(&p.c);
    p.intro = p.c.t("fin.recon_intro").into();
    if may(&a, Permission::ManageFinance) {
        let providers = vec![
            ("sandbox".to_string(), p.c.t("fin.sandbox").to_string()),
            ("wechat".to_string(), p.c.t("fin.wechat").to_string()),
        ];
        let yesterday = view::date_label(view::beijing_day(minimall_store::now_ms()) - 1);
        p.forms.push(Form {
            id: "import",
            title: p.c.t("fin.import_bill").into(),
            action: "/admin/finance/reconciliations".into(),
            method: "post",
            fields: vec![
                Field::select("provider", p.c.t("fin.provider"), "wechat", providers),
                Field::kind("date", p.c.t("fin.bill_day"), "date", yesterday),
                Field::kind("bill", p.c.t("fin.bill"), "textarea", ""),
            ],
            submit: p.c.t("fin.reconcile").into(),
        });
    }
    for r in &list.items {
        let findings = r
            .findings
            .iter()
            .take(20)
            .map(|f| {
                let amounts = match (f.recorded, f.statement) {
                    (Some(a), Some(b)) => format!(" {} / {}", view::yuan(a), view::yuan(b)),
                    (Some(a), None) | (None, Some(a)) => format!(" {}", view::yuan(a)),
                    _ => String::new(),
                };
                format!("{} {}{}", finding_label(&p.c, &f.finding), f.reference, amounts)
            })
            .collect::<Vec<_>>()
            .join("；");
        p.rows.push(vec![
            Cell::text(r.date.clone()),
            Cell::text(if r.provider == "sandbox" { p.c.t("fin.sandbox") } else { p.c.t("fin.wechat") }),
            Cell::text(if r.source == "job" { p.c.t("fin.by_job") } else { p.c.t("fin.by_import") }),
            Cell::num(format!("{} / {}", r.statement_lines, r.recorded_lines)),
            Cell::num(r.matched.to_string()),
            Cell::num(r.missing.to_string()),
            Cell::num(r.extra.to_string()),
            Cell::num(r.amount_mismatch.to_string()),
            if findings.is_empty() { Cell::tag(p.c.t("fin.agrees"), "ok") } else { Cell::tag(findings, "warn") },
        ]);
    }
    p.pager = Some(Pager::new("/admin/finance/reconciliations", list.page, list.page_size, list.total));
    ok(p)
}

async fn import_bill(
    State(st): State<AppState>,
    Console(a): Console<ManageFinance>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let day = view::parse_day(f.get("date"))
        .ok_or_else(|| ApiError::from(minimall_core::FieldError::new("date", minimall_core::error::Reason::Date)))?;
    super::reconcile::reconcile_bill(
        &st,
        a.merchant_id,
        Some((&a, &Call::from_headers(&headers))),
        f.get("provider"),
        day,
        f.get("bill"),
    )
    .await?;
    back("/admin/finance/reconciliations")
}
