//! The storefront's community pages: 我的社群 (the buyer's groups) and a group's page, which its QR code opens
//! (join or leave, its members' coupons, its pushes).

use super::cases::{self, MyCommunityDto, ShopCommunityDto};
use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/community", get(mine))
        .route("/community/{code}", get(group))
        .route("/community/{code}/join", post(join))
        .route("/community/{code}/leave", post(leave))
        .route("/community/{code}/coupons/{id}/claim", post(claim))
}

#[derive(Template)]
#[template(path = "shop/communities.html")]
struct MinePage {
    c: Ctx,
    groups: Vec<MyCommunityDto>,
}

async fn mine(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let list = cases::mine(&st, &b, &PageQuery { page: None, page_size: Some(50) }).await?;
    Ok(MinePage { c, groups: list.items }.render_page())
}

#[derive(Template)]
#[template(path = "shop/community.html")]
struct GroupPage {
    c: Ctx,
    g: ShopCommunityDto,
    /// Coupons the buyer holds unused from this group's templates.
    held: Vec<i64>,
}

fn clean(code: &str) -> String {
    code.chars().filter(char::is_ascii_alphanumeric).take(8).collect::<String>().to_ascii_uppercase()
}

async fn group(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(code): WebPath<String>,
) -> WebResult {
    let g = cases::show(&st, &b, &clean(&code), Page::parse(Some(1), Some(20))?).await?;
    let ids: Vec<i64> = g.coupons.iter().map(|t| t.id).collect();
    let held = if ids.is_empty() {
        Vec::new()
    } else {
        st.store
            .buyer_coupons(b.merchant_id, b.id, "available", 100, 0)
            .await?
            .items
            .iter()
            .map(|cp| cp.template_id)
            .filter(|t| ids.contains(t))
            .collect()
    };
    Ok(GroupPage { c, g, held }.render_page())
}

/// Back to the group's page with the outcome as a toast: a refusal in the reader's language, or `done`.
fn outcome<T>(c: &Ctx, code: &str, r: Result<T, ApiError>, done: &str) -> WebResult {
    let to = format!("/community/{code}");
    match r {
        Ok(_) => redirect_toast(&to, c.t(done), false),
        Err(e) if e.status.is_client_error() => redirect_toast(&to, &e.message(c.lang), true),
        Err(e) => Err(e.into()),
    }
}

async fn join(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(code): WebPath<String>,
) -> WebResult {
    let code = clean(&code);
    outcome(&c, &code, cases::join(&st, &b, &code).await, "comm.joined")
}

async fn leave(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath(code): WebPath<String>,
) -> WebResult {
    let code = clean(&code);
    outcome(&c, &code, cases::leave(&st, &b, &code).await, "comm.left")
}

async fn claim(
    State(st): State<AppState>,
    c: Ctx,
    ShopBuyer(b): ShopBuyer,
    WebPath((code, id)): WebPath<(String, i64)>,
) -> WebResult {
    let code = clean(&code);
    outcome(&c, &code, cases::claim(&st, &b, &code, id).await, "shop.claimed")
}
