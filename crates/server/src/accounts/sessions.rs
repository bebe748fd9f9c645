//! Sign-in use cases: console login and logout, buyers' WeChat login and logout. A session lives in a cookie (or a\n//! bearer token), so these answer with the session's HTTP answer, cookie included.

use std::net::SocketAddr;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::admin_api::LoginRequest;
use super::admin_api::{check_password, session_cookie, session_response, start_session};
use super::shop_api::WechatLoginRequest;
use super::shop_api::{code2session, issue_buyer_token, parse_channel};
use crate::accounts::auth::{Admin, Session, ADMIN_COOKIE};
use crate::accounts::auth::{Buyer, BUYER_COOKIE};
use crate::accounts::login_throttle::Attempt;
use crate::accounts::refusals::AccountRefusal;
use crate::accounts::two_factor_api::{self as admin_two_factor};
use crate::error::{ApiError, ApiResult};
use crate::http::client_addr;
use crate::state::AppState;
use minimall_core::error::Reason;
use minimall_core::validate::sandbox_buyer_name;
use minimall_store::buyers::BuyerIdentity;

/// Console login. Failed attempts are counted per account and client address together: after
/// `login.max_failures` of them that pair waits (429 with `Retry-After`), longer after each further
/// failure; the right password from another address is not refused. Failures on any accounts from one
/// address past `login.max_failures_per_ip` make that address wait. The client address is the peer's,
/// or `X-Forwarded-For` when the peer is one of `trusted_proxies`. A user with two-factor login gets 202 and
/// a short-lived challenge to send with a code to `/api/v1/admin/auth/login/two-factor`; an owner who must
/// enrol first (the shop requires it) gets 202 and a token that serves only the enrolment routes.
pub async fn login(st: &AppState, peer: SocketAddr, headers: &HeaderMap, req: LoginRequest) -> ApiResult<Response> {
    if req.username.trim().is_empty() || req.username.len() > 64 {
        return Err(ApiError::invalid_because("username", &Reason::Length { min: 1, max: 64 }));
    }
    if req.password.is_empty() || req.password.len() > 128 {
        return Err(ApiError::invalid_because("password", &Reason::Length { min: 1, max: 128 }));
    }
    let username = req.username.trim().to_ascii_lowercase();
    let ip = client_addr::client_ip(peer, headers, &client_addr::trusted(&st.cfg.trusted_proxies)).to_string();
    let attempt = Attempt::new(st, &username, &ip);
    let user = check_password(st, &attempt, &username, req.password, headers).await?;
    if let Some(step) = admin_two_factor::second_step(st, &user).await? {
        return Ok((StatusCode::ACCEPTED, Json(step)).into_response());
    }
    attempt.succeeded(st).await?;
    let (body, cookie) = start_session(st, user, &ip, headers, None).await?;
    Ok(session_response(body, cookie))
}

/// Revoke the token used for this request.
pub async fn logout(st: &AppState, admin: &Admin<Session>, headers: &HeaderMap) -> ApiResult<Response> {
    st.store.revoke_session(&admin.token_hash).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, session_cookie(ADMIN_COOKIE, "", 0, headers));
    Ok(resp)
}

/// Mini-program login.
pub async fn wechat_login(st: &AppState, headers: &HeaderMap, req: WechatLoginRequest) -> ApiResult<Response> {
    if req.code.is_empty() || req.code.len() > 128 {
        return Err(ApiError::invalid_because("code", &Reason::Length { min: 1, max: 128 }));
    }
    let channel = parse_channel(req.channel.as_deref())?;
    let (openid, nickname) = if let Some(name) = req.code.strip_prefix("sandbox:") {
        if !st.cfg.sandbox {
            return Err(ApiError::forbidden_because(&AccountRefusal::SandboxLoginOff).with_field("code"));
        }
        let name = sandbox_buyer_name("code", name)?;
        (format!("sandbox:{name}"), name)
    } else {
        let openid = code2session(st, &req.code).await?;
        let tail: String = openid.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        (openid, format!("微信用户{tail}"))
    };
    let mut tx = st.store.begin().await?;
    let (buyer, new_buyer) =
        st.store.upsert_buyer(&mut tx, st.merchant_id, BuyerIdentity::OpenId(&openid), &nickname, &channel).await?;
    minimall_store::commit(tx).await?;
    issue_buyer_token(st, headers, buyer, new_buyer).await
}

/// Revoke the buyer token used for this request.
pub async fn buyer_logout(st: &AppState, buyer: &Buyer, headers: &HeaderMap) -> ApiResult<Response> {
    st.store.revoke_session(&buyer.token_hash).await?;
    st.sessions.drop_token(&buyer.token_hash);
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(header::SET_COOKIE, session_cookie(BUYER_COOKIE, "", 0, headers));
    Ok(resp)
}
