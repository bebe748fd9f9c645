//! WeChat Pay API v3 client against the local stand-in, over real HTTP.

use axum::http::StatusCode;
use minimall_server::payments::wechat::{
    rfc3339_beijing, NotificationPayload, RefundStatus, TradeState, WechatPay, WechatPayConfig, WxError,
};
use minimall_server::payments::wechat_standin::StandIn;

const NOTIFY_URL: &str = "https://shop.example.com/api/v1/payments/wechat/notify";
const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

fn order_no() -> String {
    use rand::Rng;
    format!("MM{}", rand::thread_rng().gen_range(10_000_000_000u64..99_999_999_999))
}

async fn setup() -> (StandIn, WechatPay) {
    let standin = StandIn::start().await;
    let client = WechatPay::new(standin.config(NOTIFY_URL)).expect("valid config");
    (standin, client)
}

/// An order placed and paid at the stand-in.
async fn paid_order(standin: &StandIn, client: &WechatPay, total: i64) -> String {
    let no = order_no();
    client.jsapi_prepay(&no, "Minimall order", total, OPENID, None).await.expect("prepay");
    standin.pay(&no);
    no
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).expect(name)
}

/// Verifies a stand-in notification with the client, optionally altered first.
fn verify(
    client: &WechatPay,
    (headers, body): &(Vec<(String, String)>, Vec<u8>),
    now: i64,
) -> Result<minimall_server::payments::wechat::Notification, WxError> {
    client.verify_notification(
        header(headers, "Wechatpay-Timestamp"),
        header(headers, "Wechatpay-Nonce"),
        header(headers, "Wechatpay-Signature"),
        header(headers, "Wechatpay-Serial"),
        body,
        now,
    )
}

#[tokio::test]
async fn prepay_returns_a_prepay_id_from_a_correctly_signed_request() {
    let (standin, client) = setup().await;
    let no = order_no();
    let expire_ms = (now_secs() + 900) * 1000;
    let prepay_id = client.jsapi_prepay(&no, "Minimall order 1", 12_345, OPENID, Some(expire_ms)).await.unwrap();
    assert!(prepay_id.starts_with("wx"), "{prepay_id}");

    let seen = standin.requests();
    let req = seen.last().unwrap();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path_and_query, "/v3/pay/transactions/jsapi");
    assert!(req.signature_ok, "the stand-in verified the merchant signature");
    let auth = req.authorization.as_deref().unwrap();
    assert!(auth.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\",nonce_str=\""), "{auth}");
    for part in ["signature=\"", "timestamp=\"", "serial_no=\""] {
        assert!(auth.contains(part), "{auth}");
    }
    let body: serde_json::Value = serde_json::from_str(&req.body).unwrap();
    assert_eq!(body["appid"], "wxd678efh567hg6787");
    assert_eq!(body["mchid"], "1900000109");
    assert_eq!(body["out_trade_no"], no.as_str());
    assert_eq!(body["notify_url"], NOTIFY_URL);
    assert_eq!(body["amount"], serde_json::json!({ "total": 12_345, "currency": "CNY" }));
    assert_eq!(body["payer"]["openid"], OPENID);
    assert_eq!(body["time_expire"], rfc3339_beijing(expire_ms / 1000));

    // Same out_trade_no, same parameters: the same prepay_id.
    let again = client.jsapi_prepay(&no, "Minimall order 1", 12_345, OPENID, Some(expire_ms)).await.unwrap();
    assert_eq!(again, prepay_id);
    // Same out_trade_no, another amount: refused by WeChat Pay.
    let err = client.jsapi_prepay(&no, "Minimall order 1", 1, OPENID, None).await.unwrap_err();
    assert!(matches!(&err, WxError::Api { status: 403, code, .. } if code == "OUT_TRADE_NO_USED"), "{err:?}");
}

#[tokio::test]
async fn request_payment_params_are_signed_with_the_merchant_key() {
    let (standin, client) = setup().await;
    let params = client.request_payment_params("wx201410272009395522657a690389285100");
    assert_eq!(params.package, "prepay_id=wx201410272009395522657a690389285100");
    assert_eq!(params.sign_type, "RSA");
    assert_eq!(params.app_id, "wxd678efh567hg6787");
    assert!((params.time_stamp.parse::<i64>().unwrap() - now_secs()).abs() < 5);
    let message = format!("{}\n{}\n{}\n{}\n", params.app_id, params.time_stamp, params.nonce_str, params.package);
    assert!(standin.verify_merchant_signature(message.as_bytes(), &params.pay_sign));
    assert!(!standin.verify_merchant_signature(b"another message\n", &params.pay_sign));

    let json = serde_json::to_value(&params).unwrap();
    let mut keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["appId", "nonceStr", "package", "paySign", "signType", "timeStamp"]);
}

#[tokio::test]
async fn payment_notification_verifies_and_decrypts() {
    let (standin, client) = setup().await;
    let no = order_no();
    client.jsapi_prepay(&no, "Minimall order", 8_800, OPENID, None).await.unwrap();
    let paid = standin.pay(&no);
    let notification =
        verify(&client, &standin.signed_notification(&NotificationPayload::Transaction(paid)), now_secs())
            .expect("genuine notification");
    assert_eq!(notification.event_type, "TRANSACTION.SUCCESS");
    let NotificationPayload::Transaction(tx) = notification.payload else { panic!("{:?}", notification.payload) };
    assert_eq!(tx.out_trade_no, no);
    assert_eq!(tx.trade_state, TradeState::Success);
    assert_eq!(tx.amount.total, 8_800);
    assert_eq!(tx.amount.payer_total, Some(8_800));
    assert_eq!(tx.payer.unwrap().openid, OPENID);
    assert!(tx.transaction_id.is_some() && tx.success_time.is_some());
}

#[tokio::test]
async fn altered_or_foreign_notifications_are_refused() {
    let (standin, client) = setup().await;
    let no = paid_order(&standin, &client, 500).await;
    let tx = client.query_order(&no).await.unwrap();
    let genuine = standin.signed_notification(&NotificationPayload::Transaction(tx));
    // "Now" is the moment WeChat Pay signed it, so the skews below are exact.
    let now: i64 = header(&genuine.0, "Wechatpay-Timestamp").parse().unwrap();
    assert!(verify(&client, &genuine, now).is_ok());

    // One flipped byte in the body.
    let mut flipped = genuine.clone();
    let i = flipped.1.len() / 2;
    flipped.1[i] ^= 0x01;
    assert!(matches!(verify(&client, &flipped, now), Err(WxError::BadSignature(_))));

    // A signature of something else.
    let other = standin.signed_notification(&NotificationPayload::Other(serde_json::json!({ "x": 1 })));
    let mut wrong_sig = genuine.clone();
    for (k, v) in wrong_sig.0.iter_mut() {
        if k == "Wechatpay-Signature" {
            *v = header(&other.0, "Wechatpay-Signature").to_owned();
        }
    }
    assert!(matches!(verify(&client, &wrong_sig, now), Err(WxError::BadSignature(_))));

    // Garbage signature.
    let mut garbage = genuine.clone();
    for (k, v) in garbage.0.iter_mut() {
        if k == "Wechatpay-Signature" {
            *v = "bm90IGEgc2lnbmF0dXJl".into();
        }
    }
    assert!(matches!(verify(&client, &garbage, now), Err(WxError::BadSignature(_))));

    // An unknown platform serial.
    let mut wrong_serial = genuine.clone();
    for (k, v) in wrong_serial.0.iter_mut() {
        if k == "Wechatpay-Serial" {
            *v = "PUB_KEY_ID_0000000000000000000000000000000000".into();
        }
    }
    assert!(matches!(verify(&client, &wrong_serial, now), Err(WxError::BadSignature(_))));

    // Ten minutes old, and ten minutes ahead.
    assert!(matches!(verify(&client, &genuine, now + 600), Err(WxError::Stale { skew_secs: 600, .. })));
    assert!(matches!(verify(&client, &genuine, now - 600), Err(WxError::Stale { .. })));

    // Genuinely signed, but not encrypted with our API v3 key.
    let mut cfg = standin.config(NOTIFY_URL);
    cfg.api_v3_key = "0123456789abcdef0123456789abcdef".into();
    let other_key = WechatPay::new(cfg).unwrap();
    assert!(matches!(verify(&other_key, &genuine, now), Err(WxError::Decrypt(_))));

    // The failure answers WeChat Pay expects.
    let (status, body) = WechatPay::failure_ack_for(&WxError::BadSignature("x".into()));
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body.0.code, "FAIL");
}

#[tokio::test]
async fn notifications_without_or_with_another_mchid_are_refused() {
    let (standin, client) = setup().await;
    let no = paid_order(&standin, &client, 500).await;
    let tx = client.query_order(&no).await.unwrap();
    assert!(tx.mchid.is_some());
    let mut missing = tx.clone();
    missing.mchid = None;
    let n = standin.signed_notification(&NotificationPayload::Transaction(missing));
    let now: i64 = header(&n.0, "Wechatpay-Timestamp").parse().unwrap();
    assert!(matches!(verify(&client, &n, now), Err(WxError::Malformed(_))), "a payment without mchid");
    let mut foreign = tx.clone();
    foreign.mchid = Some("1900000999".into());
    let n = standin.signed_notification(&NotificationPayload::Transaction(foreign));
    assert!(matches!(verify(&client, &n, now), Err(WxError::Malformed(_))), "a payment for another merchant");

    let out_refund_no = format!("R{no}");
    client.refund(&no, &out_refund_no, 200, 500, "").await.expect("refund");
    let mut refund = standin.refund_notice(&out_refund_no);
    refund.mchid = None;
    let n = standin.signed_notification(&NotificationPayload::Refund(refund));
    assert!(matches!(verify(&client, &n, now), Err(WxError::Malformed(_))), "a refund without mchid");
}

#[tokio::test]
async fn notification_request_headers_and_acks() {
    let (standin, client) = setup().await;
    let no = paid_order(&standin, &client, 300).await;
    let tx = client.query_order(&no).await.unwrap();
    let (headers, body) = standin.signed_notification(&NotificationPayload::Transaction(tx));
    let mut map = axum::http::HeaderMap::new();
    for (k, v) in &headers {
        map.insert(axum::http::HeaderName::try_from(k.as_str()).unwrap(), v.parse().unwrap());
    }
    assert!(client.verify_notification_request(&map, &body, now_secs()).is_ok());
    map.remove("wechatpay-signature");
    assert!(matches!(client.verify_notification_request(&map, &body, now_secs()), Err(WxError::BadSignature(_))));

    let (status, ack) = WechatPay::success_ack();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::to_value(&ack.0).unwrap(), serde_json::json!({ "code": "SUCCESS", "message": "成功" }));
    let (status, ack) = WechatPay::failure_ack(StatusCode::SERVICE_UNAVAILABLE, "database unavailable");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        serde_json::to_value(&ack.0).unwrap(),
        serde_json::json!({ "code": "FAIL", "message": "database unavailable" })
    );
    assert_eq!(WechatPay::failure_ack(StatusCode::OK, "x").0, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn query_order_before_and_after_payment() {
    let (standin, client) = setup().await;
    let no = order_no();
    client.jsapi_prepay(&no, "Minimall order", 2_500, OPENID, None).await.unwrap();
    let before = client.query_order(&no).await.unwrap();
    assert_eq!(before.trade_state, TradeState::NotPay);
    assert_eq!(before.amount.total, 2_500);
    assert_eq!(before.transaction_id, None);

    standin.pay(&no);
    let after = client.query_order(&no).await.unwrap();
    assert_eq!(after.trade_state, TradeState::Success);
    assert_eq!(after.amount.payer_total, Some(2_500));
    assert!(after.transaction_id.is_some());
    let seen = standin.requests();
    let get = seen.iter().rev().find(|r| r.method == "GET").unwrap();
    assert_eq!(get.path_and_query, format!("/v3/pay/transactions/out-trade-no/{no}?mchid=1900000109"));
    assert!(get.signature_ok);

    let err = client.query_order("MM00000000").await.unwrap_err();
    assert!(matches!(&err, WxError::Api { status: 404, code, .. } if code == "ORDER_NOT_EXIST"), "{err:?}");

    // A paid order cannot be prepaid again.
    let err = client.jsapi_prepay(&no, "Minimall order", 2_500, OPENID, None).await.unwrap_err();
    assert!(matches!(&err, WxError::Api { code, .. } if code == "ORDERPAID"), "{err:?}");
}

#[tokio::test]
async fn refund_is_idempotent_by_out_refund_no_and_bounded_by_the_paid_amount() {
    let (standin, client) = setup().await;
    let no = paid_order(&standin, &client, 1_000).await;

    let first = client.refund(&no, "RF-1", 400, 1_000, "买家申请退款").await.unwrap();
    let second = client.refund(&no, "RF-1", 400, 1_000, "买家申请退款").await.unwrap();
    assert_eq!(first.refund_id, second.refund_id);
    assert_eq!(first.status, RefundStatus::Processing);
    assert_eq!(first.amount.refund, 400);
    assert_eq!(first.amount.total, 1_000);
    assert_eq!(standin.refunded_fen(&no), 400, "one refund, not two");
    assert_eq!(client.query_order(&no).await.unwrap().trade_state, TradeState::Refund);

    // 601 fen left? No: 600.
    let err = client.refund(&no, "RF-2", 601, 1_000, "").await.unwrap_err();
    assert!(matches!(&err, WxError::Api { status: 400, code, .. } if code == "INVALID_REQUEST"), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(standin.refunded_fen(&no), 400);
    client.refund(&no, "RF-2", 600, 1_000, "").await.unwrap();
    assert_eq!(standin.refunded_fen(&no), 1_000);

    // The same out_refund_no with another amount is refused.
    let err = client.refund(&no, "RF-1", 300, 1_000, "").await.unwrap_err();
    assert!(matches!(&err, WxError::Api { code, .. } if code == "INVALID_REQUEST"), "{err:?}");

    // The refund completes: a REFUND.SUCCESS notification.
    let notice = standin.refund_notice("RF-1");
    let notification =
        verify(&client, &standin.signed_notification(&NotificationPayload::Refund(notice)), now_secs()).unwrap();
    assert_eq!(notification.event_type, "REFUND.SUCCESS");
    let NotificationPayload::Refund(refund) = notification.payload else { panic!("{:?}", notification.payload) };
    assert_eq!(refund.out_trade_no, no);
    assert_eq!(refund.out_refund_no, "RF-1");
    assert_eq!(refund.refund_id, first.refund_id);
    assert_eq!(refund.refund_status, RefundStatus::Success);
    assert_eq!((refund.amount.refund, refund.amount.total), (400, 1_000));
    let again = client.refund(&no, "RF-1", 400, 1_000, "").await.unwrap();
    assert_eq!(again.status, RefundStatus::Success);
}

#[tokio::test]
async fn refund_above_the_paid_amount_or_of_an_unpaid_order_is_refused() {
    let (standin, client) = setup().await;
    let no = paid_order(&standin, &client, 700).await;
    // The client refuses a refund above the total before sending.
    assert!(matches!(client.refund(&no, "RF-X", 701, 700, "").await, Err(WxError::Invalid(_))));
    // WeChat Pay refuses a total that is not the order's.
    let err = client.refund(&no, "RF-X", 701, 800, "").await.unwrap_err();
    assert!(matches!(&err, WxError::Api { status: 400, .. }), "{err:?}");
    assert_eq!(standin.refunded_fen(&no), 0);

    let unpaid = order_no();
    client.jsapi_prepay(&unpaid, "Minimall order", 700, OPENID, None).await.unwrap();
    let err = client.refund(&unpaid, "RF-Y", 100, 700, "").await.unwrap_err();
    assert!(matches!(&err, WxError::Api { status: 400, code, .. } if code == "INVALID_REQUEST"), "{err:?}");
}

#[tokio::test]
async fn answers_with_a_bad_signature_are_refused() {
    let (standin, client) = setup().await;
    let no = order_no();
    standin.sign_responses_wrongly(true);
    let err = client.jsapi_prepay(&no, "Minimall order", 100, OPENID, None).await.unwrap_err();
    assert!(matches!(err, WxError::BadSignature(_)), "{err:?}");
    let err = client.query_order(&no).await.unwrap_err();
    assert!(matches!(err, WxError::BadSignature(_)), "{err:?}");
    let err = client.query_order("MM00000000").await.unwrap_err();
    assert!(matches!(err, WxError::BadSignature(_)), "a signed error answer must verify too: {err:?}");
    standin.sign_responses_wrongly(false);
    assert_eq!(client.query_order(&no).await.unwrap().trade_state, TradeState::NotPay);

    // A client holding another platform key refuses genuine answers.
    let (merchant, _) = minimall_server::payments::wechat_standin::test_keys();
    let other = StandIn::start_with_keys(&merchant, &merchant).await;
    let mut cfg = standin.config(NOTIFY_URL);
    cfg.platform_public_key_pem = other.config(NOTIFY_URL).platform_public_key_pem;
    let err = WechatPay::new(cfg).unwrap().query_order(&no).await.unwrap_err();
    assert!(matches!(err, WxError::BadSignature(_)), "{err:?}");
}

#[tokio::test]
async fn requests_signed_with_another_key_are_refused_by_wechat_pay() {
    let (standin, _client) = setup().await;
    let (_, platform) = minimall_server::payments::wechat_standin::test_keys();
    let mut cfg = standin.config(NOTIFY_URL);
    cfg.merchant_private_key_pem = platform;
    let impostor = WechatPay::new(cfg).unwrap();
    let err = impostor.jsapi_prepay(&order_no(), "Minimall order", 100, OPENID, None).await.unwrap_err();
    assert!(matches!(&err, WxError::Api { status: 401, code, .. } if code == "SIGN_ERROR"), "{err:?}");
    assert!(!standin.requests().last().unwrap().signature_ok);
}

#[tokio::test]
async fn unreachable_and_invalid_arguments() {
    let (standin, client) = setup().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut cfg = standin.config(NOTIFY_URL);
    cfg.base_url = closed;
    let err = WechatPay::new(cfg).unwrap().query_order("MM12345678").await.unwrap_err();
    assert!(matches!(err, WxError::Unreachable(_)), "{err:?}");
    assert!(err.is_retryable());

    let before = standin.requests().len();
    for result in [
        client.jsapi_prepay("short", "d", 100, OPENID, None).await,
        client.jsapi_prepay("MM12345678", "d", 0, OPENID, None).await,
        client.jsapi_prepay("MM12345678", "d", 1 << 40, OPENID, None).await,
        client.jsapi_prepay("MM12345678/../x", "d", 100, OPENID, None).await,
        client.jsapi_prepay("MM12345678", "", 100, OPENID, None).await,
        client.jsapi_prepay("MM12345678", "d", 100, OPENID, Some(1_000)).await,
    ] {
        assert!(matches!(result, Err(WxError::Invalid(_))), "{result:?}");
    }
    assert_eq!(standin.requests().len(), before, "nothing was sent");
}

#[tokio::test]
async fn config_validation_names_the_field() {
    let standin = StandIn::start().await;
    let good = standin.config(NOTIFY_URL);
    assert!(good.validate().is_ok());
    let field_of = |cfg: WechatPayConfig| match cfg.validate() {
        Err(WxError::Config { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    type Change = fn(&mut WechatPayConfig);
    let cases: Vec<(&str, Change)> = vec![
        ("mchid", |c| c.mchid = "19000a".into()),
        ("appid", |c| c.appid = "appid".into()),
        ("merchant_serial_no", |c| c.merchant_serial_no = String::new()),
        ("merchant_private_key_pem", |c| c.merchant_private_key_pem = "-----BEGIN PRIVATE KEY-----".into()),
        ("api_v3_key", |c| c.api_v3_key = "short".into()),
        ("platform_serial_no", |c| c.platform_serial_no = "a b".into()),
        ("platform_public_key_pem", |c| c.platform_public_key_pem = "-----BEGIN CERTIFICATE-----".into()),
        ("base_url", |c| c.base_url = "http://api.mch.weixin.qq.com".into()),
        ("base_url", |c| c.base_url = "https://api.mch.weixin.qq.com/v3".into()),
        ("notify_url", |c| c.notify_url = "https://shop.example.com/notify?x=1".into()),
        ("notify_url", |c| c.notify_url = "http://shop.example.com/notify".into()),
    ];
    for (field, change) in cases {
        let mut cfg = good.clone();
        change(&mut cfg);
        assert_eq!(field_of(cfg), field);
    }
    let mut production = good.clone();
    production.base_url = "https://api.mch.weixin.qq.com".into();
    assert!(production.validate().is_ok());
    let debug = format!("{good:?}");
    assert!(!debug.contains("PRIVATE KEY") && !debug.contains(&good.api_v3_key), "{debug}");
}

#[test]
fn rfc3339_is_beijing_time() {
    assert_eq!(rfc3339_beijing(0), "1970-01-01T08:00:00+08:00");
    assert_eq!(rfc3339_beijing(1_554_208_460), "2019-04-02T20:34:20+08:00");
    assert_eq!(rfc3339_beijing(951_782_400), "2000-02-29T08:00:00+08:00");
    assert_eq!(rfc3339_beijing(4_102_415_999), "2099-12-31T23:59:59+08:00");
    assert_eq!(rfc3339_beijing(4_102_416_000), "2100-01-01T00:00:00+08:00");
}
