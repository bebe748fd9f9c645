//! WeChat Pay API v3 for mini-program payments (direct merchant, 直连商户): JSAPI prepay, the
//! `wx.requestPayment` parameters, payment and refund notifications, order query and refunds.
//!
//! Every request is signed with the merchant API key (`WECHATPAY2-SHA256-RSA2048`); every answer
//! and every notification is verified with the WeChat Pay platform public key before it is read;
//! notification resources are decrypted with the API v3 key (`AEAD_AES_256_GCM`).
//! Amounts are integer fen (分) throughout.
//!
//! The platform key is configured as a PEM public key: either the WeChat Pay public key
//! (微信支付公钥, serial `PUB_KEY_ID_…`) or the public key of a platform certificate
//! (`openssl x509 -in wechatpay_cert.pem -pubkey -noout`) with that certificate's serial.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rand::distributions::Alphanumeric;
use rand::Rng;
use rsa::pkcs1::{DecodeRsaPrivateKey, DecodeRsaPublicKey};
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Sha256;

mod wire;
pub use wire::*;

/// The production API host.
pub const PRODUCTION_BASE_URL: &str = "https://api.mch.weixin.qq.com";
/// Scheme of the `Authorization` header and of `Wechatpay-Signature-Type`.
pub const SIGNATURE_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
/// Largest accepted distance between a signed timestamp and now, either way.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// Notification and answer headers.
pub const HEADER_TIMESTAMP: &str = "Wechatpay-Timestamp";
pub const HEADER_NONCE: &str = "Wechatpay-Nonce";
pub const HEADER_SIGNATURE: &str = "Wechatpay-Signature";
pub const HEADER_SERIAL: &str = "Wechatpay-Serial";

const USER_AGENT: &str = concat!("minimall/", env!("CARGO_PKG_VERSION"), " (wechatpay-apiv3)");
const TIMEOUT: Duration = Duration::from_secs(10);
/// `amount.total` is a 32-bit integer on the WeChat side.
const MAX_FEN: i64 = i32::MAX as i64;

// ---------------------------------------------------------------------------------------------
// Configuration

/// Merchant credentials and endpoints. `Debug` hides the private key and the API v3 key.
#[derive(Clone)]
pub struct WechatPayConfig {
    /// Merchant id (商户号), digits.
    pub mchid: String,
    /// AppID of the mini program the buyers pay in.
    pub appid: String,
    /// Serial number of the merchant API certificate (商户API证书序列号).
    pub merchant_serial_no: String,
    /// Merchant API private key, PEM (`apiclient_key.pem`, PKCS#8; PKCS#1 also accepted).
    pub merchant_private_key_pem: String,
    /// API v3 key (APIv3密钥): exactly 32 bytes.
    pub api_v3_key: String,
    /// Serial of the platform key: `PUB_KEY_ID_…` or the platform certificate serial.
    pub platform_serial_no: String,
    /// Platform public key, PEM (`BEGIN PUBLIC KEY`; `BEGIN RSA PUBLIC KEY` also accepted).
    pub platform_public_key_pem: String,
    /// `https://api.mch.weixin.qq.com` (plain http only for a loopback host).
    pub base_url: String,
    /// Where WeChat Pay posts payment and refund notifications: https, no query string.
    pub notify_url: String,
}

impl fmt::Debug for WechatPayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayConfig")
            .field("mchid", &self.mchid)
            .field("appid", &self.appid)
            .field("merchant_serial_no", &self.merchant_serial_no)
            .field("merchant_private_key_pem", &"<redacted>")
            .field("api_v3_key", &"<redacted>")
            .field("platform_serial_no", &self.platform_serial_no)
            .field("platform_public_key_pem", &self.platform_public_key_pem.len())
            .field("base_url", &self.base_url)
            .field("notify_url", &self.notify_url)
            .finish()
    }
}

struct Keys {
    signer: SigningKey<Sha256>,
    platform: VerifyingKey<Sha256>,
    aead: Aes256Gcm,
}

impl WechatPayConfig {
    /// Checks every field, keys included; the error names the first wrong field.
    pub fn validate(&self) -> Result<(), WxError> {
        self.keys().map(|_| ())
    }

    fn keys(&self) -> Result<Keys, WxError> {
        let bad = |field: &'static str, reason: &str| WxError::Config { field, reason: reason.to_owned() };
        if self.mchid.is_empty() || self.mchid.len() > 32 || !self.mchid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("mchid", "must be the numeric merchant id"));
        }
        if !self.appid.starts_with("wx")
            || self.appid.len() > 32
            || !self.appid.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(bad("appid", "must be the mini program AppID (wx…)"));
        }
        if self.merchant_serial_no.is_empty() || !self.merchant_serial_no.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("merchant_serial_no", "must be the hexadecimal serial of the merchant API certificate"));
        }
        let private = RsaPrivateKey::from_pkcs8_pem(self.merchant_private_key_pem.trim())
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(self.merchant_private_key_pem.trim()))
            .map_err(|_| bad("merchant_private_key_pem", "is not an RSA private key in PEM (PKCS#8 or PKCS#1)"))?;
        if self.api_v3_key.len() != 32 {
            return Err(bad("api_v3_key", "must be exactly 32 bytes"));
        }
        if self.platform_serial_no.is_empty()
            || !self.platform_serial_no.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(bad("platform_serial_no", "must be the platform serial (PUB_KEY_ID_… or certificate serial)"));
        }
        let pem = self.platform_public_key_pem.trim();
        if pem.contains("BEGIN CERTIFICATE") {
            return Err(bad(
                "platform_public_key_pem",
                "is a certificate; give its public key (openssl x509 -in cert.pem -pubkey -noout)",
            ));
        }
        let public = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .map_err(|_| bad("platform_public_key_pem", "is not an RSA public key in PEM"))?;
        check_url(&self.base_url, true).map_err(|reason| bad("base_url", &reason))?;
        check_url(&self.notify_url, false).map_err(|reason| bad("notify_url", &reason))?;
        let aead = Aes256Gcm::new_from_slice(self.api_v3_key.as_bytes())
            .map_err(|_| bad("api_v3_key", "must be exactly 32 bytes"))?;
        Ok(Keys { signer: SigningKey::new(private), platform: VerifyingKey::new(public), aead })
    }
}

/// https (http only on a loopback host), no query or fragment; `origin_only` also refuses a path.
fn check_url(raw: &str, origin_only: bool) -> Result<(), String> {
    let url = reqwest::Url::parse(raw).map_err(|e| format!("is not a URL: {e}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("must be an https URL".into()),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not carry a query string or fragment".into());
    }
    if origin_only && url.path() != "/" {
        return Err("must be scheme://host[:port] without a path".into());
    }
    if raw.len() > 255 {
        return Err("must be at most 255 characters".into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Errors

#[derive(Debug, thiserror::Error)]
pub enum WxError {
    /// A configuration field is missing or wrong.
    #[error("wechat pay config: {field} {reason}")]
    Config { field: &'static str, reason: String },
    /// The caller's arguments break the API's rules; nothing was sent.
    #[error("wechat pay request refused before sending: {0}")]
    Invalid(String),
    /// No answer: connection, TLS or timeout. Retrying is safe (prepay and refund are idempotent
    /// by out_trade_no / out_refund_no on the WeChat side).
    #[error("wechat pay unreachable: {0}")]
    Unreachable(String),
    /// WeChat Pay answered with an error status (`{"code","message"}`).
    #[error("wechat pay answered {status} {code}: {message}")]
    Api { status: u16, code: String, message: String },
    /// A signature is missing, malformed, from an unknown serial, or does not verify.
    #[error("wechat pay signature refused: {0}")]
    BadSignature(String),
    /// The signed timestamp is more than five minutes from now.
    #[error("wechat pay message timestamp {timestamp} is {skew_secs} s away from now")]
    Stale { timestamp: i64, skew_secs: i64 },
    /// The encrypted resource does not decrypt with the API v3 key.
    #[error("wechat pay resource does not decrypt: {0}")]
    Decrypt(String),
    /// Signed and authentic, but not the JSON expected.
    #[error("malformed wechat pay message: {0}")]
    Malformed(String),
}

impl WxError {
    /// Worth retrying later with the same out_trade_no / out_refund_no.
    pub fn is_retryable(&self) -> bool {
        match self {
            WxError::Unreachable(_) => true,
            WxError::Api { status, code, .. } => {
                *status >= 500 || *status == 429 || matches!(code.as_str(), "SYSTEM_ERROR" | "FREQUENCY_LIMITED")
            }
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client

/// A WeChat Pay API v3 client for one merchant and one mini program.
pub struct WechatPay {
    config: WechatPayConfig,
    keys: Keys,
    http: reqwest::Client,
    base: String,
}

impl fmt::Debug for WechatPay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPay").field("config", &self.config).finish_non_exhaustive()
    }
}

impl WechatPay {
    /// Validates the configuration and builds a client with its own HTTP connection pool.
    pub fn new(config: WechatPayConfig) -> Result<Self, WxError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .user_agent(USER_AGENT)
            .build()
            .map_err(|e| WxError::Unreachable(format!("HTTP client: {e}")))?;
        Self::with_client(config, http)
    }

    /// Validates the configuration and uses a shared HTTP client.
    pub fn with_client(config: WechatPayConfig, http: reqwest::Client) -> Result<Self, WxError> {
        let keys = config.keys()?;
        let base = config.base_url.trim_end_matches('/').to_owned();
        Ok(WechatPay { config, keys, http, base })
    }

    pub fn config(&self) -> &WechatPayConfig {
        &self.config
    }

    /// Creates (or, for the same out_trade_no and parameters, finds again) a JSAPI payment and
    /// returns its `prepay_id`, valid for two hours. `expire_at_ms` becomes `time_expire`.
    pub async fn jsapi_prepay(
        &self,
        out_trade_no: &str,
        description: &str,
        total_fen: i64,
        payer_openid: &str,
        expire_at_ms: Option<i64>,
    ) -> Result<String, WxError> {
        check_no("out_trade_no", out_trade_no, 6, 32, b"_-|*")?;
        if description.is_empty() || description.chars().count() > 127 {
            return Err(WxError::Invalid("description must be 1 to 127 characters".into()));
        }
        check_fen("total_fen", total_fen)?;
        if payer_openid.is_empty() || payer_openid.len() > 128 {
            return Err(WxError::Invalid("payer_openid must be 1 to 128 characters".into()));
        }
        let time_expire = match expire_at_ms {
            Some(ms) if ms.div_euclid(1000) <= now_secs() => {
                return Err(WxError::Invalid("expire_at_ms is in the past".into()));
            }
            Some(ms) => Some(rfc3339_beijing(ms.div_euclid(1000))),
            None => None,
        };
        let body = JsapiRequest {
            appid: &self.config.appid,
            mchid: &self.config.mchid,
            description,
            out_trade_no,
            time_expire,
            notify_url: &self.config.notify_url,
            amount: RequestAmount { total: total_fen, currency: "CNY" },
            payer: RequestPayer { openid: payer_openid },
        };
        let answer: PrepayAnswer = self.call(reqwest::Method::POST, "/v3/pay/transactions/jsapi", Some(&body)).await?;
        if answer.prepay_id.is_empty() {
            return Err(WxError::Malformed("empty prepay_id".into()));
        }
        Ok(answer.prepay_id)
    }

    /// The signed arguments for `wx.requestPayment` in the mini program.
    pub fn request_payment_params(&self, prepay_id: &str) -> RequestPaymentParams {
        let app_id = self.config.appid.clone();
        let time_stamp = now_secs().to_string();
        let nonce_str = random_nonce(32);
        let package = format!("prepay_id={prepay_id}");
        let pay_sign = self.sign(format!("{app_id}\n{time_stamp}\n{nonce_str}\n{package}\n").as_bytes());
        RequestPaymentParams { app_id, time_stamp, nonce_str, package, sign_type: "RSA".into(), pay_sign }
    }

    /// Verifies and decrypts a notification from its four `Wechatpay-*` headers and raw body.
    /// Refuses an unknown serial, a timestamp more than five minutes from `now_secs`, a bad
    /// signature, and a resource that does not decrypt with the API v3 key.
    pub fn verify_notification(
        &self,
        timestamp: &str,
        nonce: &str,
        signature: &str,
        serial: &str,
        body: &[u8],
        now_secs: i64,
    ) -> Result<Notification, WxError> {
        self.verify_signed(timestamp, nonce, signature, serial, body, now_secs)?;
        let envelope: Envelope =
            serde_json::from_slice(body).map_err(|e| WxError::Malformed(format!("notification envelope: {e}")))?;
        if !envelope.resource_type.is_empty() && envelope.resource_type != "encrypt-resource" {
            return Err(WxError::Malformed(format!("resource_type {}", envelope.resource_type)));
        }
        let plaintext = self.decrypt(&envelope.resource)?;
        let resource = &envelope.resource.original_type;
        let payload = if envelope.event_type.starts_with("TRANSACTION.") || resource == "transaction" {
            let tx: Transaction = parse_json(&plaintext, "transaction")?;
            self.require_mchid(tx.mchid.as_deref())?;
            NotificationPayload::Transaction(tx)
        } else if envelope.event_type.starts_with("REFUND.") || resource == "refund" {
            let refund: RefundNotice = parse_json(&plaintext, "refund")?;
            self.require_mchid(refund.mchid.as_deref())?;
            NotificationPayload::Refund(refund)
        } else {
            NotificationPayload::Other(parse_json(&plaintext, "resource")?)
        };
        Ok(Notification {
            id: envelope.id,
            create_time: envelope.create_time,
            event_type: envelope.event_type,
            summary: envelope.summary,
            payload,
        })
    }

    /// [`Self::verify_notification`] with the headers of the incoming request; a missing header
    /// is a [`WxError::BadSignature`].
    pub fn verify_notification_request(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_secs: i64,
    ) -> Result<Notification, WxError> {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| WxError::BadSignature(format!("notification without {name}")))
        };
        self.verify_notification(
            get(HEADER_TIMESTAMP)?,
            get(HEADER_NONCE)?,
            get(HEADER_SIGNATURE)?,
            get(HEADER_SERIAL)?,
            body,
            now_secs,
        )
    }

    /// The payment as WeChat Pay knows it (`GET /v3/pay/transactions/out-trade-no/{no}`).
    pub async fn query_order(&self, out_trade_no: &str) -> Result<Transaction, WxError> {
        check_no("out_trade_no", out_trade_no, 6, 32, b"_-|*")?;
        let path = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}", self.config.mchid);
        let tx: Transaction = self.call::<(), _>(reqwest::Method::GET, &path, None).await?;
        if tx.out_trade_no != out_trade_no {
            return Err(WxError::Malformed(format!("asked for {out_trade_no}, answered {}", tx.out_trade_no)));
        }
        self.check_mchid(tx.mchid.as_deref())?;
        Ok(tx)
    }

    /// Refunds `refund_fen` of a paid order of `total_fen`. Repeating the call with the same
    /// out_refund_no refunds once; the outcome also arrives as a REFUND.* notification.
    pub async fn refund(
        &self,
        out_trade_no: &str,
        out_refund_no: &str,
        refund_fen: i64,
        total_fen: i64,
        reason: &str,
    ) -> Result<RefundResult, WxError> {
        check_no("out_trade_no", out_trade_no, 6, 32, b"_-|*")?;
        check_no("out_refund_no", out_refund_no, 1, 64, b"_-|*@")?;
        check_fen("refund_fen", refund_fen)?;
        check_fen("total_fen", total_fen)?;
        if refund_fen > total_fen {
            return Err(WxError::Invalid("refund_fen exceeds total_fen".into()));
        }
        if reason.chars().count() > 80 {
            return Err(WxError::Invalid("reason must be at most 80 characters".into()));
        }
        let body = RefundRequest {
            out_trade_no,
            out_refund_no,
            reason,
            notify_url: &self.config.notify_url,
            amount: RefundRequestAmount { refund: refund_fen, total: total_fen, currency: "CNY" },
        };
        let result: RefundResult = self.call(reqwest::Method::POST, "/v3/refund/domestic/refunds", Some(&body)).await?;
        if result.out_refund_no != out_refund_no {
            return Err(WxError::Malformed(format!("asked for {out_refund_no}, answered {}", result.out_refund_no)));
        }
        Ok(result)
    }

    /// The answer to a notification that was handled (or was already handled before).
    pub fn success_ack() -> Ack {
        (StatusCode::OK, Json(AckBody { code: "SUCCESS".into(), message: "成功".into() }))
    }

    /// The answer to a notification that was not handled: WeChat Pay sends it again later.
    /// A status outside 4xx/5xx becomes 500.
    pub fn failure_ack(status: StatusCode, message: &str) -> Ack {
        let status = if status.is_client_error() || status.is_server_error() {
            status
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        (status, Json(AckBody { code: "FAIL".into(), message: message.to_owned() }))
    }

    /// The failure answer for a notification refused by [`Self::verify_notification`].
    pub fn failure_ack_for(err: &WxError) -> Ack {
        let status = match err {
            WxError::BadSignature(_) | WxError::Stale { .. } => StatusCode::UNAUTHORIZED,
            WxError::Decrypt(_) | WxError::Malformed(_) => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::failure_ack(status, &err.to_string())
    }

    /// The `Authorization` header value for a request: RSA-SHA256 over
    /// `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`.
    pub fn authorization(&self, method: &str, path_and_query: &str, body: &str, timestamp: i64, nonce: &str) -> String {
        let signature = self.sign(format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n").as_bytes());
        format!(
            "{SIGNATURE_SCHEME} mchid=\"{}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.config.mchid, self.config.merchant_serial_no
        )
    }

    fn sign(&self, message: &[u8]) -> String {
        let signature = self.keys.signer.sign_with_rng(&mut rand::thread_rng(), message);
        B64.encode(signature.to_bytes())
    }

    fn verify_signed(
        &self,
        timestamp: &str,
        nonce: &str,
        signature: &str,
        serial: &str,
        body: &[u8],
        now_secs: i64,
    ) -> Result<(), WxError> {
        if serial != self.config.platform_serial_no {
            return Err(WxError::BadSignature(format!(
                "unknown platform serial {serial:?} (configured: {})",
                self.config.platform_serial_no
            )));
        }
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| WxError::BadSignature(format!("timestamp {timestamp:?} is not unix seconds")))?;
        let skew_secs = now_secs.saturating_sub(ts);
        if skew_secs.saturating_abs() > MAX_CLOCK_SKEW_SECS {
            return Err(WxError::Stale { timestamp: ts, skew_secs });
        }
        if nonce.is_empty() {
            return Err(WxError::BadSignature("empty nonce".into()));
        }
        let raw = B64.decode(signature.trim()).map_err(|_| WxError::BadSignature("signature is not base64".into()))?;
        let signature = Signature::try_from(raw.as_slice())
            .map_err(|_| WxError::BadSignature("signature has a bad length".into()))?;
        let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
        message.extend_from_slice(format!("{timestamp}\n{nonce}\n").as_bytes());
        message.extend_from_slice(body);
        message.push(b'\n');
        self.keys
            .platform
            .verify(&message, &signature)
            .map_err(|_| WxError::BadSignature("signature does not verify with the platform key".into()))
    }

    fn decrypt(&self, resource: &EncryptedResource) -> Result<Vec<u8>, WxError> {
        if resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(WxError::Decrypt(format!("unsupported algorithm {}", resource.algorithm)));
        }
        if resource.nonce.len() != 12 {
            return Err(WxError::Decrypt("nonce must be 12 bytes".into()));
        }
        let ciphertext =
            B64.decode(resource.ciphertext.trim()).map_err(|_| WxError::Decrypt("ciphertext is not base64".into()))?;
        let payload = Payload { msg: &ciphertext, aad: resource.associated_data.as_bytes() };
        self.keys
            .aead
            .decrypt(Nonce::from_slice(resource.nonce.as_bytes()), payload)
            .map_err(|_| WxError::Decrypt("authentication failed (wrong API v3 key or altered resource)".into()))
    }

    /// A notification must name our merchant: one without `mchid` is refused like one for another merchant.
    fn require_mchid(&self, mchid: Option<&str>) -> Result<(), WxError> {
        match mchid {
            Some(m) if m == self.config.mchid => Ok(()),
            Some(m) => Err(WxError::Malformed(format!("for merchant {m}"))),
            None => Err(WxError::Malformed("for no merchant (mchid missing)".into())),
        }
    }

    fn check_mchid(&self, mchid: Option<&str>) -> Result<(), WxError> {
        match mchid {
            Some(m) if m != self.config.mchid => Err(WxError::Malformed(format!("for merchant {m}"))),
            _ => Ok(()),
        }
    }

    /// Sends a signed request; refuses answers that are not signed by the platform key (a
    /// success must be signed; a signed error must verify; an unsigned error, e.g. from a
    /// gateway, stays an error).
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<&B>,
    ) -> Result<T, WxError> {
        let url = reqwest::Url::parse(&format!("{}{path_and_query}", self.base))
            .map_err(|e| WxError::Invalid(format!("URL {path_and_query}: {e}")))?;
        let signed_path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let body = match body {
            Some(b) => serde_json::to_string(b).map_err(|e| WxError::Invalid(format!("body: {e}")))?,
            None => String::new(),
        };
        let authorization = self.authorization(method.as_str(), &signed_path, &body, now_secs(), &random_nonce(32));
        let mut request = self
            .http
            .request(method, url)
            .header(header::AUTHORIZATION, authorization)
            .header(header::ACCEPT, "application/json")
            .header(header::USER_AGENT, USER_AGENT);
        if !body.is_empty() {
            request = request.header(header::CONTENT_TYPE, "application/json").body(body);
        }
        let response = request.send().await.map_err(|e| WxError::Unreachable(error_chain(&e)))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(|e| WxError::Unreachable(error_chain(&e)))?;
        if status.is_success() || headers.contains_key(HEADER_SIGNATURE) {
            let get = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| WxError::BadSignature(format!("answer without {name}")))
            };
            self.verify_signed(
                get(HEADER_TIMESTAMP)?,
                get(HEADER_NONCE)?,
                get(HEADER_SIGNATURE)?,
                get(HEADER_SERIAL)?,
                &bytes,
                now_secs(),
            )?;
        }
        if !status.is_success() {
            let parsed: Option<ApiErrorBody> = serde_json::from_slice(&bytes).ok();
            let (code, message) = match parsed {
                Some(e) if !e.code.is_empty() => (e.code, e.message),
                _ => (String::new(), String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned()),
            };
            return Err(WxError::Api { status: status.as_u16(), code, message });
        }
        parse_json(&bytes, "answer")
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn parse_json<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, WxError> {
    serde_json::from_slice(bytes).map_err(|e| WxError::Malformed(format!("{what}: {e}")))
}

fn check_no(field: &str, value: &str, min: usize, max: usize, extra: &[u8]) -> Result<(), WxError> {
    let ok =
        (min..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b));
    if ok {
        Ok(())
    } else {
        let allowed = String::from_utf8_lossy(extra);
        Err(WxError::Invalid(format!("{field} must be {min} to {max} of letters, digits and {allowed}")))
    }
}

fn check_fen(field: &str, fen: i64) -> Result<(), WxError> {
    if (1..=MAX_FEN).contains(&fen) {
        Ok(())
    } else {
        Err(WxError::Invalid(format!("{field} must be 1 to {MAX_FEN} fen")))
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

pub(crate) fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Random letters and digits.
pub(crate) fn random_nonce(len: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// Unix seconds as RFC 3339 in Beijing time, the API's time format: `2024-05-20T13:29:35+08:00`.
pub fn rfc3339_beijing(unix_secs: i64) -> String {
    minimall_core::time::rfc3339_seconds(unix_secs.saturating_mul(1000)).unwrap_or_default()
}
