//! Storefront pages of accounts: login (sandbox, or through WeChat), logout, the buyer's own page.

use crate::web::shop::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new().route("/login", get(login_page).post(login)).route("/logout", post(logout)).route("/me", get(me))
}

#[derive(Template)]
#[template(path = "shop/login.html")]
struct LoginPage {
    c: Ctx,
    sandbox: bool,
    buyers: Vec<(String, String)>,
    next: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(State(st): State<AppState>, c: Ctx, WebQuery(q): WebQuery<NextQuery>) -> WebResult {
    let mut buyers = Vec::new();
    if st.cfg.sandbox {
        let rows = st.store.list_buyers(st.merchant_id, "", 200, 0).await?;
        for b in rows.items {
            if let Some(name) = b.openid.as_deref().and_then(|o| o.strip_prefix("sandbox:")) {
                buyers.push((name.to_string(), b.nickname.clone()));
            }
        }
        buyers.sort();
        buyers.truncate(12);
    }
    let next = crate::web::safe_next(q.next.as_deref(), "/");
    Ok(LoginPage { c, sandbox: st.cfg.sandbox, buyers, next }.render_page())
}

/// Sandbox login as a demo buyer, through the mini-program login path with a `sandbox:<name>` code.
async fn login(State(st): State<AppState>, headers: HeaderMap, f: Fields) -> WebResult {
    let channel = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').filter_map(|kv| kv.trim().split_once('=')).find(|(k, _)| *k == "mm_ch"))
        .map(|(_, v)| v.to_string());
    let name = f.get("name").trim().to_string();
    let mk = |channel| shop_auth::WechatLoginRequest { code: format!("sandbox:{name}"), channel };
    let resp = match crate::accounts::sessions::wechat_login(&st, &headers, mk(channel)).await {
        // An unknown entrance in the cookie does not stop the login.
        Err(e) if e.field.as_deref() == Some("channel") => {
            crate::accounts::sessions::wechat_login(&st, &headers, mk(None)).await?
        }
        other => other?,
    };
    Ok(redirect_with_cookies(&crate::web::safe_next(f.opt("next"), "/"), &resp))
}

async fn logout(State(st): State<AppState>, ShopBuyer(b): ShopBuyer, headers: HeaderMap) -> WebResult {
    let resp = crate::accounts::sessions::buyer_logout(&st, &b, &headers).await?;
    Ok(redirect_with_cookies("/", &resp))
}

#[derive(Template)]
#[template(path = "shop/me.html")]
struct MePage {
    c: Ctx,
    nickname: String,
    points: i64,
    coupons: i64,
    /// Stored value (余额), fen.
    balance: i64,
    /// Products saved (收藏) and viewed (足迹).
    saved: i64,
    viewed: i64,
    share_url: String,
    /// 待付款 / 待发货 / 待收货 / 待评价 / 售后: (address, label, count).
    order_icons: Vec<crate::orders::shop_pages::TabLink>,
}

async fn me(State(st): State<AppState>, c: Ctx, ShopBuyer(b): ShopBuyer) -> WebResult {
    let row = st.store.buyer_by_id(b.merchant_id, b.id).await?;
    let coupons = st.store.buyer_coupons(b.merchant_id, b.id, "available", 1, 0).await?.total;
    let base = st.self_url.get().cloned().unwrap_or_default();
    let counts = crate::orders::tabs::order_counts(&st, &b).await?;
    let order_icons = crate::orders::shop_pages::order_tabs(&c, &counts, None, true).into_iter().skip(1).collect();
    let (saved, viewed) = crate::personal::counts(&st, &b).await?;
    Ok(MePage {
        saved,
        viewed,
        c,
        nickname: row.nickname,
        points: st.store.points_balance(b.id).await?,
        balance: crate::stored_value::own_summary(&st, &b).await?.balance,
        coupons,
        share_url: format!("{base}/?ch=share&from={}", b.id),
        order_icons,
    }
    .render_page())
}

// ---- cart -----------------------------------------------------------------------------------------
