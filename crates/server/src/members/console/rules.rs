//! Console page of the points rules (积分规则): earning, expiry, sign-in, the member tasks' points and the
//! yearly re-evaluation of levels. The sign-in streak bonuses and lifecycle days keep what the API set.

use super::super::settings::{Downgrade, ExpiryKind, MemberSettings};
use super::super::tasks::MemberTask;
use super::{managing, reader};
use crate::accounts::auth::ManageMembers;
use crate::usecase::Call;
use crate::web::console::prelude::*;

pub(super) async fn rules(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadBuyers>) -> WebResult {
    rules_page(&st, c, &a, None).await
}

fn task_label(c: &Ctx, t: MemberTask) -> &'static str {
    c.tp("mem.task.", t.as_str())
}

async fn rules_page(st: &AppState, c: Ctx, a: &Admin<ReadBuyers>, refused: Option<FormRefusal<'_>>) -> WebResult {
    let s = crate::members::settings(st, a.merchant_id).await?;
    let mut p = ListPage::new(c, a, "mem.rules").heads(&["mem.rules.task", "mem.rules.points"]);
    p.intro = p.c.t("mem.rules.intro").into();
    p.links.push(("/admin/members".into(), p.c.t("mem.back").into()));
    for (t, points) in [
        (MemberTask::FirstReview, s.task_review_points),
        (MemberTask::ProfileCompleted, s.task_profile_points),
        (MemberTask::FirstShare, s.task_share_points),
    ] {
        p.rows.push(vec![Cell::text(task_label(&p.c, t)), Cell::num(points.to_string())]);
    }
    if managing(a).is_some() {
        let v = |name: &str, current: String| FormRefusal::value(&refused, name, current);
        let c = &p.c;
        let expiry = match s.expiry {
            ExpiryKind::Never => "never",
            ExpiryKind::Rolling => "rolling",
            ExpiryKind::YearEnd => "year_end",
        };
        let expiry_options = ["never", "rolling", "year_end"]
            .iter()
            .map(|k| (k.to_string(), c.tp("mem.expiry.", k).to_string()))
            .collect();
        let downgrade = if s.downgrade == Downgrade::Follow { "follow" } else { "keep" };
        let downgrade_options =
            ["keep", "follow"].iter().map(|k| (k.to_string(), c.tp("mem.downgrade.", k).to_string())).collect();
        let yearly = FormRefusal::ticked(&refused, "yearly_review", s.yearly_review);
        let fields = vec![
            Field::kind(
                "earn_per_yuan",
                c.t("mem.rules.earn"),
                "number",
                v("earn_per_yuan", s.earn_per_yuan.to_string()),
            ),
            Field::select("expiry", c.t("mem.rules.expiry"), v("expiry", expiry.into()), expiry_options),
            Field::kind(
                "expiry_value",
                c.t("mem.rules.expiry_value"),
                "number",
                v("expiry_value", s.expiry_value.to_string()),
            ),
            Field::kind(
                "sign_in_base",
                c.t("mem.rules.sign_in"),
                "number",
                v("sign_in_base", s.sign_in_base.to_string()),
            ),
            Field::kind(
                "task_review_points",
                task_label(c, MemberTask::FirstReview),
                "number",
                v("task_review_points", s.task_review_points.to_string()),
            ),
            Field::kind(
                "task_profile_points",
                task_label(c, MemberTask::ProfileCompleted),
                "number",
                v("task_profile_points", s.task_profile_points.to_string()),
            ),
            Field::kind(
                "task_share_points",
                task_label(c, MemberTask::FirstShare),
                "number",
                v("task_share_points", s.task_share_points.to_string()),
            ),
            Field::select("downgrade", c.t("mem.rules.downgrade"), v("downgrade", downgrade.into()), downgrade_options),
            Field::kind("yearly_review", c.t("mem.rules.yearly"), "checkbox", if yearly { "1" } else { "" }),
        ];
        let status = refused.as_ref().map(|_| StatusCode::UNPROCESSABLE_ENTITY);
        edit_form(&mut p, "rules", "mem.rules.edit", "/admin/members/rules".into(), fields, refused);
        if let Some(s) = status {
            return refused_page(p, s);
        }
    }
    ok(p)
}

fn from_form(f: &Fields, before: MemberSettings) -> Result<MemberSettings, ApiError> {
    let int = |k: &str| whole_number(f, k).map(|n| n.clamp(-1, 1_000_000) as i32);
    Ok(MemberSettings {
        earn_per_yuan: int("earn_per_yuan")?,
        expiry: match f.get("expiry") {
            "never" => ExpiryKind::Never,
            "rolling" => ExpiryKind::Rolling,
            _ => ExpiryKind::YearEnd,
        },
        expiry_value: int("expiry_value")?,
        downgrade: if f.get("downgrade") == "follow" { Downgrade::Follow } else { Downgrade::Keep },
        sign_in_base: int("sign_in_base")?,
        task_review_points: int("task_review_points")?,
        task_profile_points: int("task_profile_points")?,
        task_share_points: int("task_share_points")?,
        yearly_review: f.checked("yearly_review"),
        ..before
    })
}

pub(super) async fn save_rules(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let before = crate::members::settings(&st, a.merchant_id).await?;
    let result = match from_form(&f, before) {
        Ok(s) => crate::members::save_settings(&st, &a, &Call::from_headers(&headers), s).await.map(|_| ()),
        Err(e) => Err(e),
    };
    match refusal(result)? {
        None => back("/admin/members/rules"),
        Some(e) => {
            let message = refusal_message(&c, &e);
            let field = e.field.clone();
            rules_page(&st, c, &reader(&a)?, Some(FormRefusal { typed: &f, field, message })).await
        }
    }
}
