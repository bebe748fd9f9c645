//! Console pages of distribution (分销): promoters and applications with their decisions, the review queue of
//! commissions the risk check held (佣金审核: release or reject), the shop's commission settings (with
//! per-product rates and the risk check's limits), and promoters' withdrawals for finance.

use super::cases::{
    self, CommissionQuery, CommissionReview, CommissionStatusDto, Decision, NoteInput, PayoutKind, StatusQuery,
    WithdrawalStep,
};
use super::settings::{Approval, DistributionSettings, ProductRatesDto, RateDto, RateMode, TierRatesDto, Touch};
use crate::accounts::auth::ManageMembers;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/promoters", get(promoters))
        .route("/admin/promoter-applications", get(applications))
        .route("/admin/promoters/{id}/{action}", post(decide))
        .route("/admin/commissions", get(commission_reviews))
        .route("/admin/commissions/{id}/{action}", post(review_commission))
        .route("/admin/distribution", get(settings_page).post(save_settings))
        .route("/admin/distribution/products", post(add_product_rate))
        .route("/admin/distribution/products/{id}/remove", post(remove_product_rate))
        .route("/admin/promoter-withdrawals", get(withdrawals))
        .route("/admin/promoter-withdrawals/{id}/{action}", post(decide_withdrawal))
}

const PAGE_SIZE: i64 = 20;

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    page: Option<i64>,
}

fn status_options(c: &Ctx, prefix: &str, all: &[&str]) -> Vec<(String, String)> {
    let mut o = vec![(String::new(), c.t("common.all").to_string())];
    o.extend(all.iter().map(|s| ((*s).to_string(), c.tp(prefix, s).to_string())));
    o
}

async fn promoters(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebQuery(q): WebQuery<ListQuery>,
) -> WebResult {
    promoter_list(&st, c, &a, q, "menu.promoters", "/admin/promoters").await
}

async fn applications(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebQuery(q): WebQuery<ListQuery>,
) -> WebResult {
    let q = ListQuery { status: Some(q.status.unwrap_or_else(|| "pending".into())), page: q.page };
    promoter_list(&st, c, &a, q, "menu.promoter_applications", "/admin/promoter-applications").await
}

async fn promoter_list(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadBuyers>,
    q: ListQuery,
    title: &str,
    path: &str,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let status = q.status.clone().unwrap_or_default();
    let list = cases::promoters(
        st,
        a,
        &StatusQuery { status: Some(status.clone()), page: Some(page), page_size: Some(PAGE_SIZE) },
    )
    .await?;
    let manage = may(a, Permission::ManageMembers);
    let mut p = ListPage::new(c, a, title).heads(&[
        "dist.promoter",
        "dist.code",
        "dist.real_name",
        "dist.status",
        "dist.frozen",
        "dist.available",
        "dist.paid_out",
        "dist.owed",
        "dist.applied_at",
        "",
        "",
    ]);
    p.intro = p.c.t("dist.promoters_intro").into();
    p.links.push(("/admin/distribution".into(), p.c.t("menu.distribution").into()));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: path.into(),
        method: "get",
        fields: vec![Field::select(
            "status",
            p.c.t("dist.status"),
            status.clone(),
            status_options(&p.c, "dist.promoter.", &cases::PROMOTER_STATUSES),
        )],
        submit: p.c.t("common.filter").into(),
    });
    if list.items.is_empty() {
        p.intro = p.c.t("dist.no_promoters").into();
    }
    for x in &list.items {
        let (first, second) = match (manage, x.status.as_str()) {
            (true, "pending") => (
                Cell::button(format!("/admin/promoters/{}/approve", x.id), p.c.t("dist.approve")),
                Cell::button(format!("/admin/promoters/{}/reject", x.id), p.c.t("dist.reject")),
            ),
            (true, "active") => {
                (Cell::button(format!("/admin/promoters/{}/suspend", x.id), p.c.t("dist.suspend")), Cell::text(""))
            }
            (true, "suspended") => {
                (Cell::button(format!("/admin/promoters/{}/reinstate", x.id), p.c.t("dist.reinstate")), Cell::text(""))
            }
            _ => (Cell::text(""), Cell::text("")),
        };
        let class = match x.status.as_str() {
            "active" => "ok",
            "pending" => "warn",
            _ => "",
        };
        p.rows.push(vec![
            Cell::link(x.nickname.clone(), format!("/admin/buyers/{}", x.buyer_id)),
            Cell::text(x.code.clone()),
            Cell::text(if x.real_name.is_empty() { "-".into() } else { x.real_name.clone() }),
            Cell::tag(p.c.tp("dist.promoter.", &x.status), class),
            Cell::num(view::yuan(x.earnings.frozen)),
            Cell::num(view::yuan(x.earnings.available)),
            Cell::num(view::yuan(x.earnings.paid_out)),
            Cell::num(view::yuan(x.earnings.owed)),
            Cell::text(view::beijing_time(x.applied_at)),
            first,
            second,
        ]);
    }
    p.pager = Some(Pager::new(&view::with_query(path, &[("status", status)]), page, PAGE_SIZE, list.total));
    ok(p)
}

async fn decide(
    State(st): State<AppState>,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    WebPath((id, action)): WebPath<(i64, String)>,
) -> WebResult {
    let d = match action.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        "suspend" => Decision::Suspend,
        "reinstate" => Decision::Reinstate,
        _ => return Err(ApiError::not_found("action").into()),
    };
    cases::decide(&st, &a, &Call::from_headers(&headers), id, d, &NoteInput::default()).await?;
    back(&referer_or(&headers, "/admin/promoters"))
}

// ---- the review queue of held commissions ---------------------------------------------------------

async fn commission_reviews(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebQuery(q): WebQuery<ListQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    // The review queue first.
    let status = q.status.clone().unwrap_or_else(|| "held".into());
    let parsed = CommissionStatusDto::ALL.into_iter().find(|s| s.as_str() == status);
    let list =
        cases::commissions(&st, &a, &CommissionQuery { status: parsed, page: Some(page), page_size: Some(PAGE_SIZE) })
            .await?;
    let manage = may(&a, Permission::ManageMembers);
    let mut p = ListPage::new(c, &a, "menu.commission_reviews").heads(&[
        "dist.promoter",
        "dist.buyer",
        "dist.order",
        "dist.product",
        "dist.commission_amount",
        "dist.status",
        "dist.hold_reasons",
        "dist.created_at",
        "",
        "",
    ]);
    p.intro = p.c.t("dist.reviews_intro").into();
    p.links.push(("/admin/promoters".into(), p.c.t("menu.promoters").into()));
    let mut options = vec![(String::new(), p.c.t("common.all").to_string())];
    options.extend(cases::COMMISSION_STATUSES.iter().map(|s| ((*s).to_string(), p.c.label("commission-status", s))));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/commissions".into(),
        method: "get",
        fields: vec![Field::select("status", p.c.t("dist.status"), status.clone(), options)],
        submit: p.c.t("common.filter").into(),
    });
    if list.items.is_empty() {
        p.intro = format!("{} {}", p.c.t("dist.reviews_intro"), p.c.t("dist.no_held"));
    }
    for x in &list.items {
        let held = x.status == CommissionStatusDto::Held;
        let (first, second) = if manage && held {
            (
                Cell::button(format!("/admin/commissions/{}/release", x.id), p.c.t("dist.release")),
                Cell::button(format!("/admin/commissions/{}/reject", x.id), p.c.t("dist.reject_commission")),
            )
        } else {
            (Cell::text(""), Cell::text(""))
        };
        let reasons: Vec<String> = x.hold_reasons.iter().map(|r| p.c.label("commission-hold", r.code())).collect();
        let class = match x.status {
            CommissionStatusDto::Held => "warn",
            CommissionStatusDto::Settled => "ok",
            _ => "",
        };
        p.rows.push(vec![
            Cell::text(x.promoter_nickname.clone()),
            Cell::link(x.buyer_nickname.clone(), format!("/admin/buyers/{}", x.buyer_id)),
            Cell::link(x.order_no.clone(), format!("/admin/orders/{}", x.order_id)),
            Cell::text(x.title.clone()),
            Cell::num(view::yuan(x.net)),
            Cell::tag(p.c.label("commission-status", x.status.as_str()), class),
            Cell::text(if reasons.is_empty() { "-".into() } else { reasons.join("、") }),
            Cell::text(view::beijing_time(x.created_at)),
            first,
            second,
        ]);
    }
    p.pager =
        Some(Pager::new(&view::with_query("/admin/commissions", &[("status", status)]), page, PAGE_SIZE, list.total));
    ok(p)
}

async fn review_commission(
    State(st): State<AppState>,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    WebPath((id, action)): WebPath<(i64, String)>,
) -> WebResult {
    let what = match action.as_str() {
        "release" => CommissionReview::Release,
        "reject" => CommissionReview::Reject,
        _ => return Err(ApiError::not_found("action").into()),
    };
    cases::review_commission(&st, &a, &Call::from_headers(&headers), id, what).await?;
    back(&referer_or(&headers, "/admin/commissions"))
}

// ---- settings -------------------------------------------------------------------------------------

fn rate_text(c: &Ctx, r: Option<RateDto>) -> String {
    match r {
        None => c.t("dist.rate_none").into(),
        Some(RateDto { mode: RateMode::Percent, value }) => format!("{}%", value as f64 / 100.0),
        Some(RateDto { mode: RateMode::PerUnit, value }) => format!("{}{}", view::yuan(value), c.t("dist.per_unit")),
    }
}

fn mode_options(c: &Ctx) -> Vec<(String, String)> {
    vec![
        (String::new(), c.t("dist.rate_none").into()),
        ("percent".into(), c.t("dist.mode.percent").into()),
        ("per_unit".into(), c.t("dist.mode.per_unit").into()),
    ]
}

fn rate_fields(prefix: &'static str, value_name: &'static str, c: &Ctx, r: Option<RateDto>) -> [Field; 2] {
    let (mode, value) = match r {
        None => (String::new(), String::new()),
        Some(RateDto { mode: RateMode::Percent, value }) => ("percent".into(), format!("{}", value as f64 / 100.0)),
        Some(RateDto { mode: RateMode::PerUnit, value }) => {
            ("per_unit".into(), Money::from_fen(value).to_yuan_string())
        }
    };
    [
        Field::select(prefix, c.t(&format!("dist.{prefix}")), mode, mode_options(c)),
        Field::text(value_name, c.t("dist.rate_value"), value),
    ]
}

use minimall_core::Money;

/// A rate typed as a mode and a value: percent (two decimals) or yuan per unit.
fn rate_of(f: &Fields, mode: &str, value: &str) -> Result<Option<RateDto>, ApiError> {
    match f.get(mode) {
        "percent" => {
            let bp = view::parse_yuan(value, f.get(value))?;
            Ok(Some(RateDto { mode: RateMode::Percent, value: bp }))
        }
        "per_unit" => Ok(Some(RateDto { mode: RateMode::PerUnit, value: view::parse_yuan(value, f.get(value))? })),
        _ => Ok(None),
    }
}

async fn settings_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    WebQuery(q): WebQuery<SavedQuery>,
) -> WebResult {
    ok(settings_view(&st, c, &a, q.saved.is_some(), None).await?)
}

async fn settings_view(
    st: &AppState,
    c: Ctx,
    a: &Admin<ManageMembers>,
    saved: bool,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let s = cases::get_settings(st, a).await?;
    let mut p = ListPage::new(c, a, "menu.distribution").heads(&["dist.product", "dist.direct", "dist.leader", ""]);
    p.intro = p.c.t("dist.settings_intro").into();
    mark_saved(&mut p, saved);
    p.links.push(("/admin/promoters".into(), p.c.t("menu.promoters").into()));
    let owner = may(a, Permission::ManageSettings);
    for (i, o) in s.product_rates.iter().enumerate() {
        let title = st.store.product_title(a.merchant_id, o.product_id).await?.unwrap_or_default();
        p.rows.push(vec![
            Cell::link(title, format!("/admin/products/{}", o.product_id)),
            Cell::text(rate_text(&p.c, o.direct)),
            Cell::text(rate_text(&p.c, o.leader)),
            if owner {
                Cell::button(format!("/admin/distribution/products/{i}/remove"), p.c.t("dist.remove"))
            } else {
                Cell::text("")
            },
        ]);
    }
    if !owner {
        p.rows.insert(
            0,
            vec![
                Cell::text(p.c.t("dist.shop_rates")),
                Cell::text(rate_text(&p.c, s.rates.direct)),
                Cell::text(rate_text(&p.c, s.rates.leader)),
                Cell::text(""),
            ],
        );
        return Ok(p);
    }
    let t = |k: &str| p.c.t(k).to_string();
    let typed = |name: &str, v: String| FormRefusal::value(&refused, name, v);
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let [dm, dv] = rate_fields("direct_mode", "direct_value", &p.c, s.rates.direct);
    let [lm, lv] = rate_fields("leader_mode", "leader_value", &p.c, s.rates.leader);
    let mut fields = vec![
        Field::select(
            "approval",
            &t("dist.approval"),
            typed("approval", if s.approval == Approval::Automatic { "automatic" } else { "manual" }.into()),
            vec![("manual".into(), t("dist.approval.manual")), ("automatic".into(), t("dist.approval.automatic"))],
        ),
        Field::text(
            "min_spend",
            &t("dist.min_spend"),
            typed("min_spend", s.min_spend.map(|v| Money::from_fen(v).to_yuan_string()).unwrap_or_default()),
        ),
        Field::kind(
            "min_level_rank",
            &t("dist.min_level_rank"),
            "number",
            typed("min_level_rank", opt(s.min_level_rank)),
        ),
        Field::select(
            "touch",
            &t("dist.touch"),
            typed("touch", if s.touch == Touch::Last { "last" } else { "first" }.into()),
            vec![("first".into(), t("dist.touch.first")), ("last".into(), t("dist.touch.last"))],
        ),
        Field::kind("binding_days", &t("dist.binding_days"), "number", typed("binding_days", opt(s.binding_days))),
        Field::kind("settle_days", &t("dist.settle_days"), "number", typed("settle_days", s.settle_days.to_string())),
        dm,
        dv,
        lm,
        lv,
        Field::text(
            "withdrawal_min",
            &t("dist.withdrawal_min"),
            typed("withdrawal_min", Money::from_fen(s.withdrawal_min).to_yuan_string()),
        ),
        Field::text(
            "withdrawal_max",
            &t("dist.withdrawal_max"),
            typed("withdrawal_max", Money::from_fen(s.withdrawal_max).to_yuan_string()),
        ),
        Field::kind(
            "risk_daily_limit",
            &t("dist.risk_daily_limit"),
            "number",
            typed("risk_daily_limit", s.risk_daily_limit.to_string()),
        ),
        Field::kind(
            "risk_crowd_limit",
            &t("dist.risk_crowd_limit"),
            "number",
            typed("risk_crowd_limit", s.risk_crowd_limit.to_string()),
        ),
    ];
    if let Some(r) = refused {
        r.place(&mut fields, &mut p.error);
    }
    p.forms.push(Form {
        id: "distribution-settings",
        title: t("dist.settings"),
        action: "/admin/distribution".into(),
        method: "post",
        fields,
        submit: t("common.save"),
    });
    let [pdm, pdv] = rate_fields("direct_mode", "direct_value", &p.c, None);
    let [plm, plv] = rate_fields("leader_mode", "leader_value", &p.c, None);
    p.forms.push(Form {
        id: "product-rates",
        title: t("dist.product_rates"),
        action: "/admin/distribution/products".into(),
        method: "post",
        fields: vec![Field::kind("product_id", &t("dist.product_id"), "number", String::new()), pdm, pdv, plm, plv],
        submit: t("common.add"),
    });
    Ok(p)
}

/// The settings form as the API's input (the product rates kept as they are).
fn settings_input(f: &Fields, current: &DistributionSettings) -> Result<DistributionSettings, ApiError> {
    let opt_int = |k: &str| -> Result<Option<i64>, ApiError> {
        match f.opt(k).map(str::trim).filter(|v| !v.is_empty()) {
            Some(_) => Ok(Some(whole_number(f, k)?)),
            None => Ok(None),
        }
    };
    Ok(DistributionSettings {
        approval: if f.get("approval") == "automatic" { Approval::Automatic } else { Approval::Manual },
        min_spend: match f.opt("min_spend").map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => Some(view::parse_yuan("min_spend", v)?),
            None => None,
        },
        min_level_rank: opt_int("min_level_rank")?,
        touch: if f.get("touch") == "last" { Touch::Last } else { Touch::First },
        binding_days: opt_int("binding_days")?,
        settle_days: whole_number(f, "settle_days")?,
        rates: TierRatesDto {
            direct: rate_of(f, "direct_mode", "direct_value")?,
            leader: rate_of(f, "leader_mode", "leader_value")?,
        },
        product_rates: current.product_rates.clone(),
        withdrawal_min: view::parse_yuan("withdrawal_min", f.get("withdrawal_min"))?,
        withdrawal_max: view::parse_yuan("withdrawal_max", f.get("withdrawal_max"))?,
        risk_daily_limit: whole_number(f, "risk_daily_limit")?,
        risk_crowd_limit: whole_number(f, "risk_crowd_limit")?,
    })
}

/// The form field an API error names.
fn form_field(e: &ApiError) -> Option<String> {
    let field = e.field.as_deref()?;
    Some(match field {
        f if f.starts_with("rates.direct") => "direct_value".into(),
        f if f.starts_with("rates.leader") => "leader_value".into(),
        f => f.into(),
    })
}

async fn save(
    st: &AppState,
    a: &Admin<ManageSettings>,
    headers: &HeaderMap,
    s: Result<DistributionSettings, ApiError>,
) -> Result<(), ApiError> {
    cases::put_settings(st, a, &Call::from_headers(headers), &s?).await.map(|_| ())
}

fn settings_reader(a: &Admin<ManageSettings>) -> Result<Admin<ManageMembers>, ApiError> {
    Admin::<ManageMembers>::for_user(a.user.clone())
        .ok_or_else(|| ApiError::forbidden_because(&crate::error::ApiReason::PageNeedsMembers))
}

async fn save_settings(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageSettings>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let reader = settings_reader(&a)?;
    let current = cases::get_settings(&st, &reader).await?;
    let Some(e) = refusal(save(&st, &a, &headers, settings_input(&f, &current)).await)? else {
        return back("/admin/distribution?saved=1");
    };
    let refused = FormRefusal { typed: &f, field: form_field(&e), message: refusal_message(&c, &e) };
    refused_page(settings_view(&st, c, &reader, false, Some(refused)).await?, e.status)
}

async fn add_product_rate(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageSettings>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let reader = settings_reader(&a)?;
    let mut s = cases::get_settings(&st, &reader).await?;
    let input = (|| {
        let product_id = whole_number(&f, "product_id")?;
        let o = ProductRatesDto {
            product_id,
            direct: rate_of(&f, "direct_mode", "direct_value")?,
            leader: rate_of(&f, "leader_mode", "leader_value")?,
        };
        s.product_rates.retain(|x| x.product_id != product_id);
        s.product_rates.push(o);
        Ok(s)
    })();
    let Some(e) = refusal(save(&st, &a, &headers, input).await)? else {
        return back("/admin/distribution?saved=1");
    };
    let mut p = settings_view(&st, c, &reader, false, None).await?;
    p.error = refusal_message(&p.c, &e);
    refused_page(p, e.status)
}

async fn remove_product_rate(
    State(st): State<AppState>,
    Console(a): Console<ManageSettings>,
    headers: HeaderMap,
    WebPath(i): WebPath<usize>,
) -> WebResult {
    let reader = settings_reader(&a)?;
    let mut s = cases::get_settings(&st, &reader).await?;
    if i < s.product_rates.len() {
        s.product_rates.remove(i);
        save(&st, &a, &headers, Ok(s)).await?;
    }
    back("/admin/distribution?saved=1")
}

// ---- withdrawals ----------------------------------------------------------------------------------

async fn withdrawals(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadFinance>,
    WebQuery(q): WebQuery<ListQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let status = q.status.clone().unwrap_or_default();
    let list = cases::withdrawals(
        &st,
        &a,
        &StatusQuery { status: Some(status.clone()), page: Some(page), page_size: Some(PAGE_SIZE) },
    )
    .await?;
    let mut p = ListPage::new(c, &a, "menu.promoter_withdrawals").heads(&[
        "dist.promoter",
        "dist.code",
        "dist.amount",
        "dist.status",
        "dist.payout",
        "dist.note",
        "dist.requested_at",
        "",
        "",
        "",
    ]);
    p.intro = p.c.t("dist.withdrawals_intro").into();
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/promoter-withdrawals".into(),
        method: "get",
        fields: vec![Field::select(
            "status",
            p.c.t("dist.status"),
            status.clone(),
            status_options(&p.c, "dist.withdrawal.", &cases::WITHDRAWAL_STATUSES),
        )],
        submit: p.c.t("common.filter").into(),
    });
    if list.items.is_empty() {
        p.intro = p.c.t("dist.no_withdrawals").into();
    }
    for w in &list.items {
        let base = format!("/admin/promoter-withdrawals/{}", w.id);
        let buttons = match w.status.as_str() {
            "requested" => [
                Cell::button(format!("{base}/approve"), p.c.t("dist.approve")),
                Cell::button(format!("{base}/reject"), p.c.t("dist.reject")),
                Cell::text(""),
            ],
            "approved" => [
                Cell::button(format!("{base}/pay_stored_value"), p.c.t("dist.pay_stored_value")),
                Cell::button(format!("{base}/pay_bank"), p.c.t("dist.pay_bank")),
                Cell::button(format!("{base}/reject"), p.c.t("dist.reject")),
            ],
            _ => [Cell::text(""), Cell::text(""), Cell::text("")],
        };
        let [b1, b2, b3] = buttons;
        p.rows.push(vec![
            Cell::text(w.nickname.clone()),
            Cell::text(w.code.clone()),
            Cell::num(view::yuan(w.amount)),
            Cell::tag(p.c.tp("dist.withdrawal.", &w.status), if w.status == "paid" { "ok" } else { "" }),
            Cell::text(w.payout.as_deref().map(|k| p.c.tp("dist.payout.", k)).unwrap_or("-")),
            Cell::text(if w.note.is_empty() { "-".into() } else { w.note.clone() }),
            Cell::text(view::beijing_time(w.requested_at)),
            b1,
            b2,
            b3,
        ]);
    }
    let base = view::with_query("/admin/promoter-withdrawals", &[("status", status)]);
    p.pager = Some(Pager::new(&base, page, PAGE_SIZE, list.total));
    ok(p)
}

async fn decide_withdrawal(
    State(st): State<AppState>,
    Console(a): Console<ReadFinance>,
    headers: HeaderMap,
    WebPath((id, action)): WebPath<(i64, String)>,
) -> WebResult {
    let step = match action.as_str() {
        "approve" => WithdrawalStep::Approve,
        "reject" => WithdrawalStep::Reject,
        "pay_stored_value" => WithdrawalStep::Pay(PayoutKind::StoredValue),
        "pay_bank" => WithdrawalStep::Pay(PayoutKind::Bank),
        _ => return Err(ApiError::not_found("action").into()),
    };
    cases::decide_withdrawal(&st, &a, &Call::from_headers(&headers), id, step, "").await?;
    back(&referer_or(&headers, "/admin/promoter-withdrawals"))
}
