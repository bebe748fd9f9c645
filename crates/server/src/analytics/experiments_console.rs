//! The console's A/B experiment pages (推荐实验): the list with the recommendation placements' exposures and
//! clicks and a form for a new experiment, and one experiment's results with its start and stop buttons. They
//! call the use cases of `experiments.rs`, as the JSON API does.

use minimall_core::analytics::recommend::{Placement, Strategy};

use super::experiments::{self as uc, ExperimentDto, NewExperimentRequest, VariantSpec};
use crate::accounts::auth::ReadRevenue;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/experiments", get(list_page).post(create))
        .route("/admin/experiments/{id}", get(results_page))
        .route("/admin/experiments/{id}/start", post(start))
        .route("/admin/experiments/{id}/stop", post(stop))
}

const DAY_MS: i64 = 86_400_000;

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.2}%", x * 100.0)).unwrap_or_else(|| "-".into())
}

fn placement_options(c: &Ctx) -> Vec<(String, String)> {
    Placement::ALL.iter().map(|p| (p.as_str().to_string(), c.tp("exp.placement.", p.as_str()).to_string())).collect()
}

fn strategy_options(c: &Ctx) -> Vec<(String, String)> {
    Strategy::ALL.iter().map(|s| (s.as_str().to_string(), c.tp("exp.strategy.", s.as_str()).to_string())).collect()
}

fn status_tag(c: &Ctx, status: &str) -> Cell {
    let class = match status {
        "running" => "ok",
        "draft" => "muted",
        _ => "warn",
    };
    Cell::tag(c.tp("exp.status.", status), class)
}

async fn list(st: &AppState, c: Ctx, a: &AdminUser, page: i64, error: String) -> WebResult {
    let page = minimall_core::page::Page::parse(Some(page.max(1)), Some(20))?;
    let items = uc::list(st, a.merchant_id, page).await?;
    let counts = st.store.reco_placement_counts(a.merchant_id, minimall_store::now_ms() - 30 * DAY_MS).await?;
    let mut p = ListPage::new(c, a, "menu.experiments");
    p.error = error;
    let mut intro = p.c.t("exp.intro").to_string();
    for pl in Placement::ALL {
        let (e, k) = counts.iter().find(|r| r.placement == pl.as_str()).map_or((0, 0), |r| (r.exposures, r.clicks));
        let ctr = if e > 0 { format!("{:.1}%", k as f64 * 100.0 / e as f64) } else { "-".into() };
        intro.push_str(&format!(
            " {}：{} {} · {} {} · {} {}；",
            p.c.tp("exp.placement.", pl.as_str()),
            p.c.t("exp.exposures"),
            e,
            p.c.t("exp.clicks"),
            k,
            p.c.t("exp.ctr"),
            ctr
        ));
    }
    p.intro = intro;
    if may(a, Permission::ManageCatalog) {
        let placements = placement_options(&p.c);
        let strategies = strategy_options(&p.c);
        p.forms.push(Form {
            id: "new-experiment",
            title: p.c.t("exp.new").into(),
            action: "/admin/experiments".into(),
            method: "post",
            fields: vec![
                Field::text("name", p.c.t("exp.name"), ""),
                Field::select("placement", p.c.t("exp.placement"), "product_viewed", placements),
                Field::select(
                    "metric",
                    p.c.t("exp.metric"),
                    "click",
                    vec![
                        ("click".into(), p.c.t("exp.metric.click").into()),
                        ("purchase".into(), p.c.t("exp.metric.purchase").into()),
                    ],
                ),
                Field::kind("planned", p.c.t("exp.planned"), "number", "1000"),
                Field::text("a_name", p.c.t("exp.a_name"), p.c.t("exp.default_a")),
                Field::select("a_strategy", p.c.t("exp.a_strategy"), "popular", strategies.clone()),
                Field::kind("a_weight", p.c.t("exp.a_weight"), "number", "50"),
                Field::text("b_name", p.c.t("exp.b_name"), p.c.t("exp.default_b")),
                Field::select("b_strategy", p.c.t("exp.b_strategy"), "personal", strategies),
                Field::kind("b_weight", p.c.t("exp.b_weight"), "number", "50"),
            ],
            submit: p.c.t("exp.create").into(),
        });
    }
    p = p.heads(&[
        "exp.name",
        "exp.placement",
        "exp.metric",
        "exp.variants",
        "exp.planned",
        "exp.status",
        "exp.started",
    ]);
    for e in &items.items {
        let variants = e
            .variants
            .iter()
            .map(|v| format!("{}（{} · {}）", v.name, p.c.tp("exp.strategy.", &v.strategy), v.weight))
            .collect::<Vec<_>>()
            .join(" / ");
        p.rows.push(vec![
            Cell::link(&e.name, format!("/admin/experiments/{}", e.id)),
            Cell::text(p.c.tp("exp.placement.", &e.placement)),
            Cell::text(p.c.tp("exp.metric.", &e.metric)),
            Cell::text(variants),
            Cell::num(e.planned_per_variant.to_string()),
            status_tag(&p.c, &e.status),
            Cell::text(e.started_at.map(view::beijing_time).unwrap_or_else(|| "-".into())),
        ]);
    }
    p.pager = Some(Pager::new("/admin/experiments", page.page(), page.size(), items.total));
    ok(p)
}

#[derive(Deserialize)]
struct ListForm {
    page: Option<i64>,
}

async fn list_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadRevenue>,
    WebQuery(q): WebQuery<ListForm>,
) -> WebResult {
    list(&st, c, &a, q.page.unwrap_or(1), String::new()).await
}

async fn create(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let variant = |prefix: &str| VariantSpec {
        name: f.get(&format!("{prefix}_name")).to_string(),
        strategy: f.get(&format!("{prefix}_strategy")).to_string(),
        weight: f.int(&format!("{prefix}_weight")).unwrap_or(0),
    };
    let req = NewExperimentRequest {
        name: f.get("name").to_string(),
        placement: f.get("placement").to_string(),
        metric: f.get("metric").to_string(),
        variants: vec![variant("a"), variant("b")],
        planned_per_variant: f.int("planned").unwrap_or(0),
    };
    match uc::create(&st, &a, &Call::from_headers(&headers), req).await {
        Ok(e) => back(&format!("/admin/experiments/{}", e.id)),
        Err(e) => {
            let msg = e.message(c.lang);
            list(&st, c, &a, 1, msg).await
        }
    }
}

async fn results(st: &AppState, c: Ctx, a: &AdminUser, id: i64, error: String) -> WebResult {
    let r = uc::results(st, a.merchant_id, id).await?;
    let e: &ExperimentDto = &r.experiment;
    let mut p = ListPage::new(c, a, "menu.experiments");
    p.title = format!("{} · {}", e.name, p.c.t("menu.experiments"));
    p.error = error;
    let status = p.c.tp("exp.status.", &e.status).to_string();
    let mut intro = format!(
        "{}：{} · {}：{} · {}：{} · {}：{} · {}：{}。",
        p.c.t("exp.status"),
        status,
        p.c.t("exp.placement"),
        p.c.tp("exp.placement.", &e.placement),
        p.c.t("exp.metric"),
        p.c.tp("exp.metric.", &e.metric),
        p.c.t("exp.planned"),
        e.planned_per_variant,
        p.c.t("exp.smallest"),
        r.smallest_sample
    );
    if r.provisional {
        intro.push_str(p.c.t("exp.provisional"));
    } else {
        intro.push_str(p.c.t("exp.final"));
    }
    intro.push_str(p.c.t("exp.method"));
    p.intro = intro;
    if may(a, Permission::ManageCatalog) {
        let (action, label) = match e.status.as_str() {
            "draft" => (Some("start"), p.c.t("exp.start")),
            "running" => (Some("stop"), p.c.t("exp.stop")),
            _ => (None, ""),
        };
        if let Some(action) = action {
            p.forms.push(Form {
                id: "transition",
                title: String::new(),
                action: format!("/admin/experiments/{id}/{action}"),
                method: "post",
                fields: vec![],
                submit: label.into(),
            });
        }
    }
    p.links.push(("/admin/experiments".into(), p.c.t("exp.back").into()));
    p = p.heads(&[
        "exp.variant",
        "exp.strategy",
        "exp.exposed",
        "exp.converted",
        "exp.rate",
        "exp.interval",
        "exp.lift",
        "exp.z",
        "exp.orders",
        "exp.mean_order",
        "exp.t",
        "exp.verdict",
    ]);
    for v in &r.variants {
        let interval = match (v.rate_low, v.rate_high) {
            (Some(l), Some(h)) => format!("{} – {}", pct(Some(l)), pct(Some(h))),
            _ => "-".into(),
        };
        let z = match (v.z, v.z_p_value) {
            (Some(z), Some(pv)) => format!("z={z:.3} p={pv:.4}"),
            _ => "-".into(),
        };
        let t = match (v.t, v.t_df, v.t_p_value) {
            (Some(t), Some(df), Some(pv)) => format!("t={t:.3} df={df:.1} p={pv:.4}"),
            _ => "-".into(),
        };
        let verdict = match v.verdict.as_deref() {
            None => Cell::tag(p.c.t("exp.control"), "muted"),
            Some(code) => Cell::tag(
                p.c.tp("exp.verdict.", code),
                match code {
                    "significant" => "ok",
                    "collecting" => "warn",
                    _ => "muted",
                },
            ),
        };
        p.rows.push(vec![
            Cell::text(format!("{}（{}）", v.name, v.weight)),
            Cell::text(p.c.tp("exp.strategy.", &v.strategy)),
            Cell::num(v.exposed.to_string()),
            Cell::num(v.converted.to_string()),
            Cell::num(pct(v.rate)),
            Cell::num(interval),
            Cell::num(v.lift.map(|l| format!("{:+.1}%", l * 100.0)).unwrap_or_else(|| "-".into())),
            Cell::num(z),
            Cell::num(v.orders.to_string()),
            Cell::num(v.mean_order_fen.map(|m| view::yuan(m.round() as i64)).unwrap_or_else(|| "-".into())),
            Cell::num(t),
            verdict,
        ]);
    }
    ok(p)
}

async fn results_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadRevenue>,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    results(&st, c, &a, id, String::new()).await
}

async fn transition(st: AppState, c: Ctx, a: AdminUser, headers: HeaderMap, id: i64, start: bool) -> WebResult {
    match uc::transition(&st, &a, &Call::from_headers(&headers), id, start).await {
        Ok(_) => back(&format!("/admin/experiments/{id}")),
        Err(e) => {
            let msg = e.message(c.lang);
            results(&st, c, &a, id, msg).await
        }
    }
}

async fn start(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    transition(st, c, a.user, headers, id, true).await
}

async fn stop(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    WebPath(id): WebPath<i64>,
) -> WebResult {
    transition(st, c, a.user, headers, id, false).await
}
