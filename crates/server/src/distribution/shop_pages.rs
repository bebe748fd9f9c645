//! Storefront pages of distribution: 推广中心 (applying; earnings by state, share link, withdrawing, team,
//! commissions and withdrawals of a promoter; binding to a promoter by invitation code) and the page a
//! promoter's share link opens, where the visitor accepts the invitation.

use super::cases::{
    self, ApplyInput, BindInput, BindSource, CentreDto, CommissionDto, StatusQuery, TeamMemberDto, WithdrawInput,
    WithdrawalDto,
};
use crate::web::shop::prelude::*;
use crate::web::{Ctx, RenderPage, WebResult};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/promoter", get(centre))
        .route("/promoter/apply", post(apply))
        .route("/promoter/bind", post(bind))
        .route("/promoter/withdraw", post(withdraw))
        .route("/join/{code}", get(join_page).post(join))
}

#[derive(Template)]
#[template(path = "shop/promoter.html")]
struct CentrePage {
    c: Ctx,
    me: CentreDto,
    team: Vec<TeamMemberDto>,
    team_total: i64,
    commissions: Vec<CommissionDto>,
    withdrawals: Vec<WithdrawalDto>,
    notice: Option<String>,
    ok: bool,
    /// The promoter's own link under 分享/海报.
    share: Option<crate::share::links::ShareLinkDto>,
}

#[derive(Deserialize)]
struct CentreQuery {
    done: Option<String>,
}

const SHOWN: i64 = 20;

async fn page(
    st: &AppState,
    c: Ctx,
    b: &crate::accounts::auth::Buyer,
    notice: Option<String>,
    ok: bool,
) -> Result<CentrePage, crate::web::WebError> {
    let me = cases::centre(st, b).await?;
    let active = me.promoter.as_ref().is_some_and(|p| p.status == "active");
    let first = StatusQuery { status: None, page: Some(1), page_size: Some(SHOWN) };
    let (mut team, mut team_total, mut commissions, mut withdrawals) = (Vec::new(), 0, Vec::new(), Vec::new());
    let mut share = None;
    if active {
        share = crate::share::links::for_page(st, Some(b), crate::share::links::ShareTarget::Promoter, None).await;
        let t = cases::my_team(st, b, &PageQuery { page: Some(1), page_size: Some(SHOWN) }).await?;
        team_total = t.total;
        team = t.items;
        commissions = cases::my_commissions(st, b, &first).await?.items;
        withdrawals = cases::my_withdrawals(st, b, &first).await?.items;
    }
    Ok(CentrePage { c, me, team, team_total, commissions, withdrawals, notice, ok, share })
}

async fn centre(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    crate::web::WebQuery(q): crate::web::WebQuery<CentreQuery>,
) -> WebResult {
    let notice = match q.done.as_deref() {
        Some("apply") => Some(c.t("dist.done.apply").to_string()),
        Some("bind") => Some(c.t("dist.done.bind").to_string()),
        Some("withdraw") => Some(c.t("dist.done.withdraw").to_string()),
        _ => None,
    };
    Ok(page(&st, c, &b, notice, true).await?.render_page())
}

/// After a form: on to the centre with a note, or the centre again with the refusal in the page's language.
async fn answer(
    st: &AppState,
    c: Ctx,
    b: &crate::accounts::auth::Buyer,
    r: Result<(), ApiError>,
    done: &str,
) -> WebResult {
    match r {
        Ok(()) => redirect(&format!("/promoter?done={done}")),
        Err(e) if e.status.is_client_error() => {
            let status = e.status;
            let message = e.message(c.lang);
            let mut resp = page(st, c, b, Some(message), false).await?.render_page();
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

async fn apply(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, f: Fields) -> WebResult {
    let input = ApplyInput { real_name: f.get("real_name").into(), note: f.get("note").into() };
    let r = cases::apply(&st, &b, &input).await.map(|_| ());
    answer(&st, c, &b, r, "apply").await
}

async fn bind(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, f: Fields) -> WebResult {
    let input = BindInput { code: f.get("code").into(), source: BindSource::Code };
    let r = cases::bind(&st, &b, &input).await.map(|_| ());
    answer(&st, c, &b, r, "bind").await
}

async fn withdraw(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer, f: Fields) -> WebResult {
    let r = match crate::web::view::parse_yuan("amount", f.get("amount")) {
        Ok(amount) => cases::request_withdrawal(&st, &b, &WithdrawInput { amount }).await.map(|_| ()),
        Err(e) => Err(e),
    };
    answer(&st, c, &b, r, "withdraw").await
}

#[derive(Template)]
#[template(path = "shop/join.html")]
struct JoinPage {
    c: Ctx,
    code: String,
    /// The promoter's id, which the storefront's events carry as `promoter_id` for the visit (the link's `pr`
    /// is the public code).
    promoter_id: Option<i64>,
}

fn clean_code(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).take(16).collect::<String>().to_ascii_uppercase()
}

/// A promoter's share link: the visitor accepts the invitation (a POST, so that no link binds anybody
/// unasked).
async fn join_page(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    crate::web::WebPath(code): crate::web::WebPath<String>,
) -> WebResult {
    let code = clean_code(&code);
    let promoter_id = st
        .store
        .promoter_by_code(b.merchant_id, &code)
        .await
        .map_err(ApiError::from)?
        .filter(|p| p.status == "active")
        .map(|p| p.id);
    Ok(JoinPage { c, code, promoter_id }.render_page())
}

async fn join(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    crate::web::WebPath(code): crate::web::WebPath<String>,
) -> WebResult {
    let input = BindInput { code: clean_code(&code), source: BindSource::Link };
    let r = cases::bind(&st, &b, &input).await.map(|_| ());
    answer(&st, c, &b, r, "bind").await
}
