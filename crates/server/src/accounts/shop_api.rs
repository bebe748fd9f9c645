//! Buyer login: mini-program `code` → openid through code2session (or `sandbox:<name>` in sandbox mode),
//! and phone + SMS code through the message outbox.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use minimall_core::validate::Phone;
use minimall_store::buyers::{BuyerIdentity, BuyerRow};
use minimall_store::now_ms;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::admin_api::session_cookie;
use crate::accounts::auth::{self, Buyer, BUYER_COOKIE};
use crate::accounts::refusals::AccountRefusal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::http::extract::ApiJson;
use crate::state::AppState;
use crate::usecase::{self, Effects};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WechatLoginRequest {
    /// The code from `wx.login()`; in sandbox mode `sandbox:<name>` logs in demo buyer `<name>`.
    pub code: String,
    /// Entrance the buyer came through (search, qr_poster, moments, group, promoter, …).
    pub channel: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct BuyerLoginResponse {
    pub token: String,
    pub expires_at: i64,
    pub buyer: BuyerDto,
    /// True when this login created the buyer.
    pub new_buyer: bool,
}

#[derive(Serialize, ToSchema)]
pub struct BuyerDto {
    pub id: i64,
    pub nickname: String,
    pub phone: Option<String>,
    pub created_at: i64,
}

impl From<BuyerRow> for BuyerDto {
    fn from(b: BuyerRow) -> Self {
        BuyerDto {
            id: b.id,
            nickname: b.nickname,
            phone: b.phone.as_deref().and_then(|p| Phone::parse("phone", p).ok()).map(|p| p.masked()),
            created_at: b.created_at,
        }
    }
}

#[derive(Deserialize)]
struct Code2Session {
    openid: Option<String>,
    errcode: Option<i64>,
    errmsg: Option<String>,
}

const CHANNELS: &[&str] =
    &["direct", "search", "nearby", "qr_poster", "moments", "group", "official_account", "ground", "promoter", "share"];

pub(crate) fn parse_channel(c: Option<&str>) -> ApiResult<String> {
    match c {
        None | Some("") => Ok("direct".into()),
        Some(c) if CHANNELS.contains(&c) => Ok(c.into()),
        Some(_) => Err(ApiError::invalid_because(
            "channel",
            &minimall_core::error::Reason::OneOf { allowed: CHANNELS.join(", ") },
        )),
    }
}

/// Mini-program login.
#[utoipa::path(post, path = "/api/v1/shop/auth/wechat", tag = "shop-auth", request_body = WechatLoginRequest,
    responses((status = 200, body = BuyerLoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn wechat_login(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<WechatLoginRequest>,
) -> ApiResult<Response> {
    crate::accounts::sessions::wechat_login(&st, &headers, req).await
}

pub(crate) async fn code2session(st: &AppState, code: &str) -> ApiResult<String> {
    let (Some(appid), Some(secret)) = (&st.cfg.wechat.appid, &st.cfg.wechat.secret) else {
        return Err(ApiError::unavailable_because(&AccountRefusal::WechatLoginOff));
    };
    let resp = st
        .http
        .get(&st.cfg.wechat.code2session_url)
        .query(&[
            ("appid", appid.as_str()),
            ("secret", secret.expose()),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ])
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "code2session unreachable");
            ApiError::unavailable_because(&AccountRefusal::WechatUnreachable)
        })?;
    let body: Code2Session = resp.json().await.map_err(|e| {
        tracing::warn!(error = %e, "code2session answered garbage");
        ApiError::unavailable_because(&AccountRefusal::WechatUnreadable)
    })?;
    match (body.errcode.unwrap_or(0), body.openid) {
        (0, Some(openid)) if !openid.is_empty() && openid.len() <= 128 => Ok(openid),
        (code, _) => {
            tracing::info!(errcode = code, errmsg = body.errmsg.as_deref().unwrap_or(""), "code2session refused");
            Err(ApiError::unauthorized_because(&AccountRefusal::WechatCodeInvalid).with_field("code"))
        }
    }
}

pub(crate) async fn issue_buyer_token(
    st: &AppState,
    headers: &HeaderMap,
    buyer: BuyerRow,
    new_buyer: bool,
) -> ApiResult<Response> {
    let token = auth::new_token("mmb_");
    let ttl_ms = st.cfg.token_ttl_hours * 3_600_000;
    let hash = auth::token_hash(&token);
    st.store.create_session(&hash, "buyer", buyer.id, buyer.merchant_id, ttl_ms).await?;
    let now = now_ms();
    st.sessions.put(
        &hash,
        &minimall_store::sessions::SessionRow {
            token_hash: hash.clone(),
            kind: "buyer".into(),
            subject_id: buyer.id,
            merchant_id: buyer.merchant_id,
            created_at: now,
            expires_at: now + ttl_ms,
            revoked_at: None,
        },
    );
    let cookie = session_cookie(BUYER_COOKIE, &token, st.cfg.token_ttl_hours * 3600, headers);
    let mut resp = Json(BuyerLoginResponse { token, expires_at: now_ms() + ttl_ms, buyer: buyer.into(), new_buyer })
        .into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequest {
    pub phone: String,
}

#[derive(Serialize, ToSchema)]
pub struct SmsCodeResponse {
    pub sent: bool,
    /// Seconds before another code may be requested.
    pub resend_after_secs: i64,
    /// Seconds the code stays valid.
    pub expires_in_secs: i64,
}

fn code_hash(phone: &str, code: &str) -> String {
    auth::token_hash(&format!("{phone}:{code}"))
}

/// Send a 6-digit login code by SMS (through the outbox). One per phone per resend interval.
#[utoipa::path(post, path = "/api/v1/shop/auth/sms/code", tag = "shop-auth", request_body = SmsCodeRequest,
    responses((status = 202, body = SmsCodeResponse), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn sms_code(
    State(st): State<AppState>,
    ApiJson(req): ApiJson<SmsCodeRequest>,
) -> ApiResult<(StatusCode, Json<SmsCodeResponse>)> {
    let phone = Phone::parse("phone", &req.phone)?;
    if st.cfg.sms.provider == "disabled" {
        return Err(ApiError::unavailable_because(&AccountRefusal::SmsOff));
    }
    let interval_ms = st.cfg.sms.resend_interval_secs * 1000;
    if let Some(last) = st.store.last_sms_code_at(st.merchant_id, phone.as_str()).await? {
        let wait = last + interval_ms - now_ms();
        if wait > 0 {
            return Err(ApiError::too_many_because(&AccountRefusal::SmsTooSoon, (wait as u64).div_ceil(1000)));
        }
    }
    let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
    let ttl = st.cfg.sms.code_ttl_secs;
    let mut tx = st.store.begin().await?;
    st.store
        .insert_sms_code(&mut tx, st.merchant_id, phone.as_str(), &code_hash(phone.as_str(), &code), ttl * 1000)
        .await?;
    let body = format!("【Minimall】您的登录验证码是 {code}，{} 分钟内有效。如非本人操作请忽略。", ttl / 60);
    st.store.enqueue_message(&mut tx, st.merchant_id, "sms", phone.as_str(), "login_code", &body).await?;
    usecase::commit(&st, tx, Effects::new().wake_jobs()).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SmsCodeResponse { sent: true, resend_after_secs: st.cfg.sms.resend_interval_secs, expires_in_secs: ttl }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsLoginRequest {
    pub phone: String,
    pub code: String,
    pub channel: Option<String>,
}

const MAX_CODE_ATTEMPTS: i32 = 5;

/// Log in (or sign up) with phone and SMS code. A code works once; five wrong tries burn it.
#[utoipa::path(post, path = "/api/v1/shop/auth/sms/login", tag = "shop-auth", request_body = SmsLoginRequest,
    responses((status = 200, body = BuyerLoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn sms_login(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<SmsLoginRequest>,
) -> ApiResult<Response> {
    let phone = Phone::parse("phone", &req.phone)?;
    if req.code.len() != 6 || !req.code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_because("code", &AccountRefusal::SmsCodeFormat));
    }
    let channel = parse_channel(req.channel.as_deref())?;
    let mut tx = st.store.begin().await?;
    let Some(current) = st.store.current_sms_code(&mut tx, st.merchant_id, phone.as_str()).await? else {
        return Err(ApiError::unauthorized_because(&AccountRefusal::SmsNoCode).with_field("code"));
    };
    if current.attempts >= MAX_CODE_ATTEMPTS {
        return Err(ApiError::too_many_because(&AccountRefusal::SmsTooManyWrong, 1));
    }
    let ok = current.code_hash == code_hash(phone.as_str(), &req.code);
    st.store.sms_code_attempt(&mut tx, current.id, ok).await?;
    if !ok {
        minimall_store::commit(tx).await?;
        return Err(ApiError::unauthorized_because(&AccountRefusal::WrongCode).with_field("code"));
    }
    let nickname = format!("用户{}", &phone.as_str()[7..]);
    let (buyer, new_buyer) = st
        .store
        .upsert_buyer(&mut tx, st.merchant_id, BuyerIdentity::Phone(phone.as_str()), &nickname, &channel)
        .await?;
    minimall_store::commit(tx).await?;
    issue_buyer_token(&st, &headers, buyer, new_buyer).await
}

/// Revoke the buyer token used for this request.
#[utoipa::path(post, path = "/api/v1/shop/auth/logout", tag = "shop-auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(st): State<AppState>, buyer: Buyer, headers: HeaderMap) -> ApiResult<Response> {
    crate::accounts::sessions::buyer_logout(&st, &buyer, &headers).await
}

/// The logged-in buyer.
#[utoipa::path(get, path = "/api/v1/shop/me", tag = "shop-auth", security(("bearer" = [])),
    responses((status = 200, body = BuyerDto), (status = 401, body = ErrorBody)))]
pub async fn me(State(st): State<AppState>, buyer: Buyer) -> ApiResult<Json<BuyerDto>> {
    Ok(Json(st.store.buyer_by_id(buyer.merchant_id, buyer.id).await?.into()))
}
