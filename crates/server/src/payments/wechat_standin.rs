//! A local stand-in for the WeChat Pay API v3, for tests: JSAPI prepay, order query and refunds
//! over real HTTP on 127.0.0.1, with the merchant signature checked on every request and every
//! answer signed with its own platform key, plus notifications exactly as WeChat Pay posts them.
//! State lives in memory; nothing is persisted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::{RandomizedSigner, SignatureEncoding, Verifier};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::Sha256;

use super::wechat::{
    now_secs, random_nonce, rfc3339_beijing, NotificationPayload, RefundNotice, Transaction, WechatPayConfig,
};

pub const STANDIN_MCHID: &str = "1900000109";
pub const STANDIN_APPID: &str = "wxd678efh567hg6787";

/// A merchant and a platform RSA 2048 private key (PKCS#8 PEM), generated once per process.
pub fn test_keys() -> (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        std::thread::scope(|s| {
            let merchant = s.spawn(generate_key_pem);
            let platform = generate_key_pem();
            (merchant.join().expect("key generation"), platform)
        })
    })
    .clone()
}

fn generate_key_pem() -> String {
    let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("RSA key generation");
    key.to_pkcs8_pem(LineEnding::LF).expect("PKCS#8 encoding").to_string()
}

/// A request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub method: String,
    pub path_and_query: String,
    pub authorization: Option<String>,
    /// The merchant signature verified (scheme, mchid, serial, timestamp and signature).
    pub signature_ok: bool,
    pub body: String,
}

struct Order {
    description: String,
    total: i64,
    openid: String,
    prepay_id: String,
    /// (transaction_id, success_time) once paid.
    paid: Option<(String, String)>,
    refunded: i64,
}

struct Refund {
    refund_id: String,
    out_trade_no: String,
    refund: i64,
    total: i64,
    create_time: String,
    success_time: Option<String>,
}

#[derive(Default)]
struct Ledger {
    orders: HashMap<String, Order>,
    refunds: HashMap<String, Refund>,
    seen: Vec<SeenRequest>,
    sign_wrongly: bool,
}

struct Shared {
    merchant_serial: String,
    platform_serial: String,
    api_v3_key: String,
    merchant_public: VerifyingKey<Sha256>,
    platform_signer: SigningKey<Sha256>,
    ledger: Mutex<Ledger>,
}

/// The running stand-in; the server stops when this is dropped.
pub struct StandIn {
    shared: Arc<Shared>,
    base_url: String,
    merchant_private_pem: String,
    platform_public_pem: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Answer = (StatusCode, Value);

fn fail(status: StatusCode, code: &str, message: &str) -> Answer {
    (status, json!({ "code": code, "message": message }))
}

impl StandIn {
    /// Starts on 127.0.0.1 with the keys of [`test_keys`].
    pub async fn start() -> StandIn {
        let (merchant, platform) = test_keys();
        Self::start_with_keys(&merchant, &platform).await
    }

    /// Starts on 127.0.0.1 with the given merchant and platform private keys (PKCS#8 PEM).
    pub async fn start_with_keys(merchant_private_pem: &str, platform_private_pem: &str) -> StandIn {
        let merchant = RsaPrivateKey::from_pkcs8_pem(merchant_private_pem).expect("merchant key");
        let platform = RsaPrivateKey::from_pkcs8_pem(platform_private_pem).expect("platform key");
        let platform_public_pem =
            platform.to_public_key().to_public_key_pem(LineEnding::LF).expect("public key encoding");
        let shared = Arc::new(Shared {
            merchant_serial: hex::encode_upper(rand::random::<[u8; 20]>()),
            platform_serial: format!("PUB_KEY_ID_{}", hex::encode_upper(rand::random::<[u8; 16]>())),
            api_v3_key: random_nonce(32),
            merchant_public: VerifyingKey::new(merchant.to_public_key()),
            platform_signer: SigningKey::new(platform),
            ledger: Mutex::new(Ledger::default()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        StandIn {
            shared,
            base_url: format!("http://{addr}"),
            merchant_private_pem: merchant_private_pem.to_owned(),
            platform_public_pem,
            task,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client configuration for this stand-in.
    pub fn config(&self, notify_url: &str) -> WechatPayConfig {
        WechatPayConfig {
            mchid: STANDIN_MCHID.into(),
            appid: STANDIN_APPID.into(),
            merchant_serial_no: self.shared.merchant_serial.clone(),
            merchant_private_key_pem: self.merchant_private_pem.clone(),
            api_v3_key: self.shared.api_v3_key.clone(),
            platform_serial_no: self.shared.platform_serial.clone(),
            platform_public_key_pem: self.platform_public_pem.clone(),
            base_url: self.base_url.clone(),
            notify_url: notify_url.into(),
        }
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.shared.ledger().seen.clone()
    }

    /// From now on, sign answers over the wrong string (as a forger would).
    pub fn sign_responses_wrongly(&self, on: bool) {
        self.shared.ledger().sign_wrongly = on;
    }

    /// True when `signature_b64` is the merchant's RSA-SHA256 signature of `message`
    /// (as WeChat checks `paySign`).
    pub fn verify_merchant_signature(&self, message: &[u8], signature_b64: &str) -> bool {
        let Ok(raw) = B64.decode(signature_b64) else { return false };
        let Ok(signature) = Signature::try_from(raw.as_slice()) else { return false };
        self.shared.merchant_public.verify(message, &signature).is_ok()
    }

    /// The buyer pays the order: it becomes SUCCESS. Panics for an unknown order.
    pub fn pay(&self, out_trade_no: &str) -> Transaction {
        let mut ledger = self.shared.ledger();
        let order = ledger.orders.get_mut(out_trade_no).expect("pay: no such order at the stand-in");
        if order.paid.is_none() {
            let transaction_id = format!("42000{}", random_digits(23));
            order.paid = Some((transaction_id, rfc3339_beijing(now_secs())));
        }
        serde_json::from_value(render_transaction(out_trade_no, order)).expect("transaction shape")
    }

    /// Fen refunded so far on an order.
    pub fn refunded_fen(&self, out_trade_no: &str) -> i64 {
        self.shared.ledger().orders.get(out_trade_no).map_or(0, |o| o.refunded)
    }

    /// The refund completes: what the REFUND.SUCCESS notification carries. Panics for an unknown refund.
    pub fn refund_notice(&self, out_refund_no: &str) -> RefundNotice {
        let mut ledger = self.shared.ledger();
        let refund = ledger.refunds.get_mut(out_refund_no).expect("refund_notice: no such refund at the stand-in");
        refund.success_time.get_or_insert_with(|| rfc3339_beijing(now_secs()));
        let refund_id = refund.refund_id.clone();
        let (out_trade_no, amount_refund, total, success_time) =
            (refund.out_trade_no.clone(), refund.refund, refund.total, refund.success_time.clone());
        let transaction_id = ledger.orders.get(&out_trade_no).and_then(|o| o.paid.as_ref()).map(|p| p.0.clone());
        serde_json::from_value(json!({
            "mchid": STANDIN_MCHID,
            "out_trade_no": out_trade_no,
            "transaction_id": transaction_id,
            "out_refund_no": out_refund_no,
            "refund_id": refund_id,
            "refund_status": "SUCCESS",
            "success_time": success_time,
            "user_received_account": "支付用户零钱",
            "amount": { "total": total, "refund": amount_refund, "payer_total": total, "payer_refund": amount_refund },
        }))
        .expect("refund notice shape")
    }

    /// The headers and body WeChat Pay would POST to the notify_url for this payload: the
    /// resource encrypted with the API v3 key, the whole body signed with the platform key.
    pub fn signed_notification(&self, payload: &NotificationPayload) -> (Vec<(String, String)>, Vec<u8>) {
        let (event_type, original_type, summary, plaintext) = match payload {
            NotificationPayload::Transaction(t) => {
                ("TRANSACTION.SUCCESS".to_owned(), "transaction", "支付成功", serde_json::to_vec(t))
            }
            NotificationPayload::Refund(r) => {
                let status = serde_json::to_value(r.refund_status).ok().and_then(|v| v.as_str().map(str::to_owned));
                (format!("REFUND.{}", status.unwrap_or_default()), "refund", "退款状态变更", serde_json::to_vec(r))
            }
            NotificationPayload::Other(v) => ("OTHER.EVENT".to_owned(), "other", "其他", serde_json::to_vec(v)),
        };
        let plaintext = plaintext.expect("payload serializes");
        let nonce = random_nonce(12);
        let cipher = Aes256Gcm::new_from_slice(self.shared.api_v3_key.as_bytes()).expect("32-byte key");
        let ciphertext = cipher
            .encrypt(Nonce::from_slice(nonce.as_bytes()), Payload { msg: &plaintext, aad: original_type.as_bytes() })
            .expect("encryption");
        let body = json!({
            "id": uuid_like(),
            "create_time": rfc3339_beijing(now_secs()),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": B64.encode(ciphertext),
                "associated_data": original_type,
                "nonce": nonce,
            },
        })
        .to_string();
        let (timestamp, sig_nonce) = (now_secs().to_string(), random_nonce(32));
        let signature = self.shared.sign(format!("{timestamp}\n{sig_nonce}\n{body}\n").as_bytes());
        let headers = vec![
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("Wechatpay-Timestamp".to_owned(), timestamp),
            ("Wechatpay-Nonce".to_owned(), sig_nonce),
            ("Wechatpay-Signature".to_owned(), signature),
            ("Wechatpay-Serial".to_owned(), self.shared.platform_serial.clone()),
            ("Wechatpay-Signature-Type".to_owned(), "WECHATPAY2-SHA256-RSA2048".to_owned()),
        ];
        (headers, body.into_bytes())
    }
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn sign(&self, message: &[u8]) -> String {
        B64.encode(self.platform_signer.sign_with_rng(&mut rand::thread_rng(), message).to_bytes())
    }

    /// `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`
    fn check_authorization(&self, method: &str, path_and_query: &str, body: &[u8], header: &str) -> Option<()> {
        let params = header.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
        let mut fields = HashMap::new();
        for part in params.split(',') {
            let (key, value) = part.trim().split_once('=')?;
            fields.insert(key, value.strip_prefix('"')?.strip_suffix('"')?);
        }
        let get = |k: &str| fields.get(k).copied().filter(|v| !v.is_empty());
        let (nonce, timestamp) = (get("nonce_str")?, get("timestamp")?);
        if get("mchid")? != STANDIN_MCHID || get("serial_no")? != self.merchant_serial {
            return None;
        }
        if now_secs().saturating_sub(timestamp.parse::<i64>().ok()?).saturating_abs() > 300 {
            return None;
        }
        let signature = Signature::try_from(B64.decode(get("signature")?).ok()?.as_slice()).ok()?;
        let mut message = format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        self.merchant_public.verify(&message, &signature).ok()
    }

    fn reply(&self, (status, value): Answer) -> Response {
        let body = value.to_string();
        let (timestamp, nonce) = (now_secs().to_string(), random_nonce(32));
        let mut message = format!("{timestamp}\n{nonce}\n{body}\n");
        if self.ledger().sign_wrongly {
            message.push('x');
        }
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("request-id", uuid_like()),
            ("wechatpay-timestamp", timestamp),
            ("wechatpay-nonce", nonce),
            ("wechatpay-signature", self.sign(message.as_bytes())),
            ("wechatpay-serial", self.platform_serial.clone()),
        ];
        (status, headers, body).into_response()
    }

    fn jsapi(&self, body: &[u8]) -> Answer {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "body is not JSON");
        };
        let text = |pointer: &str| v.pointer(pointer).and_then(Value::as_str).unwrap_or_default();
        let (out_trade_no, description, openid) = (text("/out_trade_no"), text("/description"), text("/payer/openid"));
        let total = v.pointer("/amount/total").and_then(Value::as_i64).unwrap_or(0);
        let notify_url = text("/notify_url");
        let param_error = |m: &str| fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", m);
        if text("/mchid") != STANDIN_MCHID {
            return fail(StatusCode::BAD_REQUEST, "MCH_NOT_EXISTS", "商户号不存在");
        }
        if text("/appid") != STANDIN_APPID {
            return fail(StatusCode::BAD_REQUEST, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配");
        }
        if description.is_empty() || description.chars().count() > 127 {
            return param_error("description: 1 to 127 characters");
        }
        if !valid_no(out_trade_no, 6, 32, b"_-|*") {
            return param_error("out_trade_no: 6 to 32 letters, digits, _-|*");
        }
        if !(notify_url.starts_with("https://") || notify_url.starts_with("http://")) || notify_url.contains('?') {
            return param_error("notify_url: an http(s) URL without parameters");
        }
        if !(1..=i64::from(i32::MAX)).contains(&total) {
            return param_error("amount.total: a positive integer of fen");
        }
        if v.pointer("/amount/currency").is_some_and(|c| c != "CNY") {
            return param_error("amount.currency: CNY");
        }
        if openid.is_empty() {
            return param_error("payer.openid: required");
        }
        if v.get("time_expire").is_some_and(|t| !t.as_str().is_some_and(is_rfc3339)) {
            return param_error("time_expire: RFC 3339 (yyyy-MM-DDTHH:mm:ss+TIMEZONE)");
        }
        let mut ledger = self.ledger();
        if let Some(order) = ledger.orders.get(out_trade_no) {
            if order.paid.is_some() {
                return fail(StatusCode::FORBIDDEN, "ORDERPAID", "该订单已支付");
            }
            if order.total != total || order.openid != openid || order.description != description {
                return fail(StatusCode::FORBIDDEN, "OUT_TRADE_NO_USED", "商户订单号重复");
            }
            return (StatusCode::OK, json!({ "prepay_id": order.prepay_id }));
        }
        let prepay_id = format!("wx{}", hex::encode(rand::random::<[u8; 17]>()));
        ledger.orders.insert(
            out_trade_no.to_owned(),
            Order {
                description: description.to_owned(),
                total,
                openid: openid.to_owned(),
                prepay_id: prepay_id.clone(),
                paid: None,
                refunded: 0,
            },
        );
        (StatusCode::OK, json!({ "prepay_id": prepay_id }))
    }

    fn query(&self, out_trade_no: &str, query: Option<&str>) -> Answer {
        let mchid = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .find(|(k, _)| k == "mchid")
            .map(|(_, v)| v.into_owned());
        if mchid.as_deref() != Some(STANDIN_MCHID) {
            return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "mchid: required, the caller's merchant id");
        }
        match self.ledger().orders.get(out_trade_no) {
            Some(order) => (StatusCode::OK, render_transaction(out_trade_no, order)),
            None => fail(StatusCode::NOT_FOUND, "ORDER_NOT_EXIST", "订单不存在"),
        }
    }

    fn refund(&self, body: &[u8]) -> Answer {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "body is not JSON");
        };
        let text = |pointer: &str| v.pointer(pointer).and_then(Value::as_str).unwrap_or_default();
        let (out_trade_no, out_refund_no) = (text("/out_trade_no"), text("/out_refund_no"));
        let number = |pointer: &str| v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0);
        let (refund, total) = (number("/amount/refund"), number("/amount/total"));
        let param_error = |m: &str| fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", m);
        let invalid = |m: &str| fail(StatusCode::BAD_REQUEST, "INVALID_REQUEST", m);
        if !valid_no(out_refund_no, 1, 64, b"_-|*@") {
            return param_error("out_refund_no: 1 to 64 letters, digits, _-|*@");
        }
        if refund <= 0 || total <= 0 {
            return param_error("amount.refund, amount.total: positive integers of fen");
        }
        if text("/amount/currency") != "CNY" {
            return param_error("amount.currency: CNY");
        }
        if text("/reason").chars().count() > 80 {
            return param_error("reason: at most 80 characters");
        }
        let mut ledger = self.ledger();
        if let Some(existing) = ledger.refunds.get(out_refund_no) {
            if existing.out_trade_no != out_trade_no || existing.refund != refund || existing.total != total {
                return invalid("订单金额或退款金额与之前请求不一致，请核实后再试");
            }
            return (StatusCode::OK, render_refund(out_refund_no, existing, &ledger));
        }
        let Some(order) = ledger.orders.get_mut(out_trade_no) else {
            return fail(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "订单不存在");
        };
        if order.paid.is_none() {
            return invalid("订单未支付");
        }
        if total != order.total {
            return invalid("订单金额与原订单不一致");
        }
        if refund > order.total - order.refunded {
            return invalid("申请退款金额超过订单可退金额");
        }
        order.refunded += refund;
        let record = Refund {
            refund_id: format!("50000{}", random_digits(24)),
            out_trade_no: out_trade_no.to_owned(),
            refund,
            total,
            create_time: rfc3339_beijing(now_secs()),
            success_time: None,
        };
        let rendered = render_refund(out_refund_no, &record, &ledger);
        ledger.refunds.insert(out_refund_no.to_owned(), record);
        (StatusCode::OK, rendered)
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let signature_ok = authorization
        .as_deref()
        .and_then(|a| shared.check_authorization(method.as_str(), &path_and_query, &body, a))
        .is_some();
    shared.ledger().seen.push(SeenRequest {
        method: method.to_string(),
        path_and_query,
        authorization,
        signature_ok,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let answer = if !signature_ok {
        fail(StatusCode::UNAUTHORIZED, "SIGN_ERROR", "签名错误")
    } else if !headers.contains_key(header::USER_AGENT) {
        fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "User-Agent header required")
    } else {
        match (method, uri.path()) {
            (Method::POST, "/v3/pay/transactions/jsapi") => shared.jsapi(&body),
            (Method::GET, path) if path.starts_with("/v3/pay/transactions/out-trade-no/") => {
                shared.query(&path["/v3/pay/transactions/out-trade-no/".len()..], uri.query())
            }
            (Method::POST, "/v3/refund/domestic/refunds") => shared.refund(&body),
            _ => fail(StatusCode::NOT_FOUND, "NOT_FOUND", "no such API at the stand-in"),
        }
    };
    shared.reply(answer)
}

fn render_transaction(out_trade_no: &str, order: &Order) -> Value {
    let mut tx = json!({
        "appid": STANDIN_APPID,
        "mchid": STANDIN_MCHID,
        "out_trade_no": out_trade_no,
        "trade_type": "JSAPI",
        "trade_state": "NOTPAY",
        "trade_state_desc": "订单未支付",
        "payer": { "openid": order.openid },
        "amount": { "total": order.total, "currency": "CNY", "payer_currency": "CNY" },
    });
    if let Some((transaction_id, success_time)) = &order.paid {
        let (state, desc) = if order.refunded > 0 { ("REFUND", "转入退款") } else { ("SUCCESS", "支付成功") };
        tx["trade_state"] = json!(state);
        tx["trade_state_desc"] = json!(desc);
        tx["transaction_id"] = json!(transaction_id);
        tx["success_time"] = json!(success_time);
        tx["bank_type"] = json!("OTHERS");
        tx["amount"]["payer_total"] = json!(order.total);
    }
    tx
}

fn render_refund(out_refund_no: &str, refund: &Refund, ledger: &Ledger) -> Value {
    let transaction_id = ledger.orders.get(&refund.out_trade_no).and_then(|o| o.paid.as_ref()).map(|p| p.0.clone());
    json!({
        "refund_id": refund.refund_id,
        "out_refund_no": out_refund_no,
        "transaction_id": transaction_id,
        "out_trade_no": refund.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": refund.create_time,
        "success_time": refund.success_time,
        "status": if refund.success_time.is_some() { "SUCCESS" } else { "PROCESSING" },
        "funds_account": "AVAILABLE",
        "amount": {
            "total": refund.total, "refund": refund.refund, "payer_total": refund.total,
            "payer_refund": refund.refund, "settlement_total": refund.total, "settlement_refund": refund.refund,
            "discount_refund": 0, "currency": "CNY", "refund_fee": 0,
        },
        "promotion_detail": [],
    })
}

fn valid_no(value: &str, min: usize, max: usize, extra: &[u8]) -> bool {
    (min..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

/// `yyyy-MM-DDTHH:mm:ss+hh:mm`
fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 25
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 | 22 => *c == b':',
            19 => *c == b'+' || *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn random_digits(n: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

fn uuid_like() -> String {
    let h = hex::encode(rand::random::<[u8; 16]>());
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}
