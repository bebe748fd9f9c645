//! Referral pages: the buyer's 邀请有礼 (code, link, rewards, invitees; accepting a code) and the page an
//! invitation link opens; the console's 邀请有礼 (the shop's rule and the invitations, held ones with release and
//! reject).

use super::cases::{self, AcceptInput, MyReferralDto, ReferralQuery, ReferralSettingsDto, Review};
use crate::accounts::auth::{ManageMembers, ManageSettings};
use crate::web::console::prelude::*;
use crate::web::shop::ShopBuyer;
use minimall_core::social::channel::ShareParams;

/// The storefront's pages.
pub fn shop_routes() -> Router<AppState> {
    Router::new()
        .route("/invite", get(mine))
        .route("/invite/accept", post(accept))
        .route("/invite/{code}", get(landing))
}

/// The console's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/referrals", get(console_page))
        .route("/admin/referral-settings", post(save_settings))
        .route("/admin/referrals/{id}/{action}", post(review))
}

// ---- storefront -----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "shop/invite.html")]
struct InvitePage {
    c: Ctx,
    me: MyReferralDto,
    notice: Option<String>,
    ok: bool,
    /// A code from the link the buyer came through, to accept.
    code: String,
    /// The buyer's invitation link under 分享/海报.
    share: Option<crate::share::links::ShareLinkDto>,
}

async fn share_of(st: &AppState, b: &crate::accounts::auth::Buyer) -> Option<crate::share::links::ShareLinkDto> {
    crate::share::links::for_page(st, Some(b), crate::share::links::ShareTarget::Invite, None).await
}

#[derive(Deserialize)]
struct InviteQuery {
    done: Option<String>,
    code: Option<String>,
}

fn clean_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).take(16).collect::<String>().to_ascii_uppercase()
}

async fn mine(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebQuery(q): WebQuery<InviteQuery>,
) -> WebResult {
    let me = cases::mine(&st, &b, Page::parse(Some(1), Some(50))?).await?;
    let notice = q.done.is_some().then(|| c.t("ref.done.accept").to_string());
    let code = q.code.as_deref().map(clean_code).unwrap_or_default();
    let share = share_of(&st, &b).await;
    Ok(InvitePage { c, me, notice, ok: true, code, share }.render_page())
}

/// An invitation link: the buyer's page with the inviter's code ready to accept (a POST, so that no link binds
/// anybody unasked).
/// The link's channel, campaign and promoter go along, for the visit's attribution.
async fn landing(
    ShopBuyer(_b): ShopBuyer,
    WebPath(code): WebPath<String>,
    WebQuery(q): WebQuery<Vec<(String, String)>>,
) -> WebResult {
    let params = ShareParams::from_landing(q.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    back(&format!("/invite?code={}&{}", clean_code(&code), params.to_query()))
}

async fn accept(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, f: Fields) -> WebResult {
    let code = clean_code(f.get("code"));
    match cases::accept(&st, &b, &AcceptInput { code: code.clone() }).await {
        Ok(_) => back("/invite?done=accept"),
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let notice = Some(e.message(c.lang));
            let me = cases::mine(&st, &b, Page::parse(Some(1), Some(50))?).await?;
            let share = share_of(&st, &b).await;
            let mut resp = InvitePage { c, me, notice, ok: false, code, share }.render_page();
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

// ---- console --------------------------------------------------------------------------------------

const PAGE_SIZE: i64 = 20;

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    page: Option<i64>,
    saved: Option<String>,
}

async fn console_page(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadBuyers>,
    WebQuery(q): WebQuery<ListQuery>,
) -> WebResult {
    ok(list_view(&st, c, &a, q, None).await?)
}

async fn list_view(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadBuyers>,
    q: ListQuery,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let page = q.page.unwrap_or(1).max(1);
    // The review queue first.
    let status = q.status.clone().unwrap_or_else(|| "held".into());
    let list = cases::list(
        st,
        a,
        &ReferralQuery { status: Some(status.clone()), page: Some(page), page_size: Some(PAGE_SIZE) },
    )
    .await?;
    let s = cases::settings(st, a).await?;
    let manage = may(a, Permission::ManageMembers);
    let mut p = ListPage::new(c, a, "menu.referrals").heads(&[
        "ref.inviter",
        "ref.invitee",
        "ref.status",
        "ref.reasons",
        "ref.order",
        "ref.invited_at",
        "",
        "",
    ]);
    p.intro = p.c.t("ref.intro").into();
    mark_saved(&mut p, q.saved.is_some());
    let mut options = vec![(String::new(), p.c.t("common.all").to_string())];
    options.extend(super::STATUSES.iter().map(|s| ((*s).to_string(), p.c.label("referral-status", s))));
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/referrals".into(),
        method: "get",
        fields: vec![Field::select("status", p.c.t("ref.status"), status.clone(), options)],
        submit: p.c.t("common.filter").into(),
    });
    if list.items.is_empty() {
        p.intro = format!("{} {}", p.c.t("ref.intro"), p.c.t("ref.none"));
    }
    for x in &list.items {
        let reasons: Vec<String> = x.reasons.iter().map(|r| p.c.label("referral-reason", r)).collect();
        let (first, second) = if manage && x.status == "held" {
            (
                Cell::button(format!("/admin/referrals/{}/release", x.id), p.c.t("ref.release")),
                Cell::button(format!("/admin/referrals/{}/reject", x.id), p.c.t("ref.reject")),
            )
        } else {
            (Cell::text(""), Cell::text(""))
        };
        let class = match x.status.as_str() {
            "rewarded" => "ok",
            "held" => "warn",
            _ => "",
        };
        p.rows.push(vec![
            Cell::link(x.inviter_nickname.clone(), format!("/admin/buyers/{}", x.inviter_id)),
            Cell::link(x.invitee_nickname.clone(), format!("/admin/buyers/{}", x.invitee_id)),
            Cell::tag(p.c.label("referral-status", &x.status), class),
            Cell::text(if reasons.is_empty() { "-".into() } else { reasons.join("、") }),
            match x.order_id {
                Some(o) => Cell::link(o.to_string(), format!("/admin/orders/{o}")),
                None => Cell::text("-"),
            },
            Cell::text(view::beijing_time(x.invited_at)),
            first,
            second,
        ]);
    }
    p.pager =
        Some(Pager::new(&view::with_query("/admin/referrals", &[("status", status)]), page, PAGE_SIZE, list.total));
    if may(a, Permission::ManageSettings) {
        let t = |k: &str| p.c.t(k).to_string();
        let typed = |name: &str, v: String| FormRefusal::value(&refused, name, v);
        let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        let mut fields = vec![
            Field::select(
                "enabled",
                &t("ref.enabled"),
                typed("enabled", if s.enabled { "1" } else { "0" }.into()),
                vec![("1".into(), t("ref.on")), ("0".into(), t("ref.off"))],
            ),
            Field::kind(
                "inviter_points",
                &t("ref.inviter_points"),
                "number",
                typed("inviter_points", s.inviter_points.to_string()),
            ),
            Field::kind(
                "inviter_coupon_id",
                &t("ref.inviter_coupon"),
                "number",
                typed("inviter_coupon_id", opt(s.inviter_coupon_id)),
            ),
            Field::kind(
                "invitee_points",
                &t("ref.invitee_points"),
                "number",
                typed("invitee_points", s.invitee_points.to_string()),
            ),
            Field::kind(
                "invitee_coupon_id",
                &t("ref.invitee_coupon"),
                "number",
                typed("invitee_coupon_id", opt(s.invitee_coupon_id)),
            ),
            Field::text(
                "inviter_stored_value",
                &t("ref.inviter_stored_value"),
                typed("inviter_stored_value", Money::from_fen(s.inviter_stored_value).to_yuan_string()),
            ),
            Field::text(
                "invitee_stored_value",
                &t("ref.invitee_stored_value"),
                typed("invitee_stored_value", Money::from_fen(s.invitee_stored_value).to_yuan_string()),
            ),
            Field::text(
                "min_first_order",
                &t("ref.min_first_order"),
                typed("min_first_order", Money::from_fen(s.min_first_order).to_yuan_string()),
            ),
            Field::kind(
                "daily_limit",
                &t("ref.daily_limit"),
                "number",
                typed("daily_limit", s.daily_limit.to_string()),
            ),
            Field::kind(
                "crowd_limit",
                &t("ref.crowd_limit"),
                "number",
                typed("crowd_limit", s.crowd_limit.to_string()),
            ),
        ];
        if let Some(r) = refused {
            r.place(&mut fields, &mut p.error);
        }
        p.forms.push(Form {
            id: "referral-settings",
            title: t("ref.settings"),
            action: "/admin/referral-settings".into(),
            method: "post",
            fields,
            submit: t("common.save"),
        });
    }
    Ok(p)
}

use minimall_core::page::Page;
use minimall_core::Money;

/// An amount in yuan; empty is none.
fn yuan_or_zero(f: &Fields, k: &str) -> Result<i64, ApiError> {
    match f.opt(k).map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) => view::parse_yuan(k, v),
        None => Ok(0),
    }
}

fn settings_input(f: &Fields) -> Result<ReferralSettingsDto, ApiError> {
    let opt_int = |k: &str| -> Result<Option<i64>, ApiError> {
        match f.opt(k).map(str::trim).filter(|v| !v.is_empty()) {
            Some(_) => Ok(Some(whole_number(f, k)?)),
            None => Ok(None),
        }
    };
    Ok(ReferralSettingsDto {
        enabled: f.get("enabled") == "1",
        inviter_points: whole_number(f, "inviter_points")?,
        inviter_coupon_id: opt_int("inviter_coupon_id")?,
        invitee_points: whole_number(f, "invitee_points")?,
        invitee_coupon_id: opt_int("invitee_coupon_id")?,
        min_first_order: view::parse_yuan("min_first_order", f.get("min_first_order"))?,
        daily_limit: whole_number(f, "daily_limit")?,
        crowd_limit: whole_number(f, "crowd_limit")?,
        inviter_stored_value: yuan_or_zero(f, "inviter_stored_value")?,
        invitee_stored_value: yuan_or_zero(f, "invitee_stored_value")?,
    })
}

async fn save_settings(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageSettings>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let r = match settings_input(&f) {
        Ok(input) => cases::put_settings(&st, &a, &Call::from_headers(&headers), &input).await.map(|_| ()),
        Err(e) => Err(e),
    };
    let Some(e) = refusal(r)? else {
        return back("/admin/referrals?saved=1");
    };
    let reader = Admin::<ReadBuyers>::for_user(a.user.clone())
        .ok_or_else(|| ApiError::forbidden("this page needs the buyers permission"))?;
    let refused = FormRefusal { typed: &f, field: e.field.clone(), message: refusal_message(&c, &e) };
    let q = ListQuery { status: None, page: None, saved: None };
    refused_page(list_view(&st, c, &reader, q, Some(refused)).await?, e.status)
}

async fn review(
    State(st): State<AppState>,
    Console(a): Console<ManageMembers>,
    headers: HeaderMap,
    WebPath((id, action)): WebPath<(i64, String)>,
) -> WebResult {
    let what = match action.as_str() {
        "release" => Review::Release,
        "reject" => Review::Reject,
        _ => return Err(ApiError::not_found("action").into()),
    };
    cases::review(&st, &a, &Call::from_headers(&headers), id, what).await?;
    back(&referer_or(&headers, "/admin/referrals"))
}
