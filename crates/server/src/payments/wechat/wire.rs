//! WeChat Pay API v3 wire types: what the API answers and notifies, and what the client sends.

use serde::{Deserialize, Serialize};

/// `trade_state` of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeState {
    #[serde(rename = "SUCCESS")]
    Success,
    /// Paid, then (partly) refunded.
    #[serde(rename = "REFUND")]
    Refund,
    #[serde(rename = "NOTPAY")]
    NotPay,
    #[serde(rename = "CLOSED")]
    Closed,
    #[serde(rename = "REVOKED")]
    Revoked,
    #[serde(rename = "USERPAYING")]
    UserPaying,
    #[serde(rename = "PAYERROR")]
    PayError,
    #[serde(other, rename = "UNKNOWN")]
    Unknown,
}

/// `status` / `refund_status` of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefundStatus {
    #[serde(rename = "SUCCESS")]
    Success,
    #[serde(rename = "CLOSED")]
    Closed,
    #[serde(rename = "PROCESSING")]
    Processing,
    #[serde(rename = "ABNORMAL")]
    Abnormal,
    #[serde(other, rename = "UNKNOWN")]
    Unknown,
}

/// A payment as the order query answers it and as TRANSACTION.* notifications carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    pub out_trade_no: String,
    /// WeChat Pay's order number; present once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<String>,
    pub trade_state: TradeState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_state_desc: Option<String>,
    /// RFC 3339, e.g. `2024-05-20T13:29:35+08:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    pub amount: TransactionAmount,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    #[serde(default)]
    pub openid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionAmount {
    /// Order amount, fen.
    pub total: i64,
    /// What the buyer paid after WeChat-side discounts, fen; present once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_currency: Option<String>,
}

/// Amounts of a refund, fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    /// Order amount.
    pub total: i64,
    /// This refund.
    pub refund: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_total: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_refund: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The answer of `POST /v3/refund/domestic/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundResult {
    pub refund_id: String,
    pub out_refund_no: String,
    pub transaction_id: String,
    pub out_trade_no: String,
    pub status: RefundStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_received_account: Option<String>,
    pub amount: RefundAmount,
}

/// A refund as REFUND.* notifications carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundNotice {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    pub out_trade_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    pub out_refund_no: String,
    pub refund_id: String,
    pub refund_status: RefundStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_received_account: Option<String>,
    pub amount: RefundAmount,
}

/// A verified, decrypted notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: String,
    pub create_time: String,
    /// `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`, …
    pub event_type: String,
    pub summary: String,
    pub payload: NotificationPayload,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NotificationPayload {
    /// `TRANSACTION.*`
    Transaction(Transaction),
    /// `REFUND.*`
    Refund(RefundNotice),
    /// Any other event, decrypted but not interpreted.
    Other(serde_json::Value),
}

/// The arguments of `wx.requestPayment` (the mini program ignores `appId`; it is part of the
/// signed string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestPaymentParams {
    pub app_id: String,
    /// Unix seconds, as a string.
    pub time_stamp: String,
    pub nonce_str: String,
    /// `prepay_id=…`
    pub package: String,
    /// Always `RSA`.
    pub sign_type: String,
    /// base64 RSA-SHA256 over `appId\ntimeStamp\nnonceStr\npackage\n`.
    pub pay_sign: String,
}

/// The body of an answer to a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckBody {
    pub code: String,
    pub message: String,
}

/// An answer to a notification, ready to return from an axum handler.
pub type Ack = (axum::http::StatusCode, axum::Json<AckBody>);

#[derive(Serialize)]
pub(super) struct JsapiRequest<'a> {
    pub(super) appid: &'a str,
    pub(super) mchid: &'a str,
    pub(super) description: &'a str,
    pub(super) out_trade_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) time_expire: Option<String>,
    pub(super) notify_url: &'a str,
    pub(super) amount: RequestAmount,
    pub(super) payer: RequestPayer<'a>,
}

#[derive(Serialize)]
pub(super) struct RequestAmount {
    pub(super) total: i64,
    pub(super) currency: &'static str,
}

#[derive(Serialize)]
pub(super) struct RequestPayer<'a> {
    pub(super) openid: &'a str,
}

#[derive(Serialize)]
pub(super) struct RefundRequest<'a> {
    pub(super) out_trade_no: &'a str,
    pub(super) out_refund_no: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(super) reason: &'a str,
    pub(super) notify_url: &'a str,
    pub(super) amount: RefundRequestAmount,
}

#[derive(Serialize)]
pub(super) struct RefundRequestAmount {
    pub(super) refund: i64,
    pub(super) total: i64,
    pub(super) currency: &'static str,
}

#[derive(Deserialize)]
pub(super) struct PrepayAnswer {
    pub(super) prepay_id: String,
}

#[derive(Deserialize)]
pub(super) struct ApiErrorBody {
    #[serde(default)]
    pub(super) code: String,
    #[serde(default)]
    pub(super) message: String,
}

#[derive(Deserialize)]
pub(super) struct Envelope {
    pub(super) id: String,
    #[serde(default)]
    pub(super) create_time: String,
    pub(super) event_type: String,
    #[serde(default)]
    pub(super) resource_type: String,
    #[serde(default)]
    pub(super) summary: String,
    pub(super) resource: EncryptedResource,
}

#[derive(Deserialize)]
pub(super) struct EncryptedResource {
    pub(super) algorithm: String,
    pub(super) ciphertext: String,
    #[serde(default)]
    pub(super) associated_data: String,
    #[serde(default)]
    pub(super) original_type: String,
    pub(super) nonce: String,
}
