//! The one error type of the HTTP layer. Every failure leaves as
//! `{"error":{"code":"…","message":"…","field":"…"}}` with a 4xx, or a 5xx whose body says nothing internal.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use minimall_core::error::{Coded, Label, Param};
use minimall_core::FieldError;
use minimall_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::messages;
use crate::web::i18n::Lang;

/// A refusal's specific reason: its stable code and typed parameters, worded only when a response is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reasoned {
    pub code: &'static str,
    pub params: Vec<(&'static str, Param)>,
}

impl Reasoned {
    pub fn of(r: &impl Coded) -> Self {
        Reasoned { code: r.code(), params: r.params() }
    }

    /// The message in `lang`, from the catalogue.
    pub fn message(&self, lang: Lang) -> String {
        messages::render(lang, self.code, &self.params)
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// The category integrators switch on (`validation_failed`, `conflict`, …).
    pub code: &'static str,
    /// The specific reason (its message comes from the catalogue in the reader's language), or a text.
    wording: Wording,
    pub field: Option<String>,
    pub retry_after_secs: Option<u64>,
    /// Extra structured detail (e.g. every banned word found, every bad CSV row).
    pub details: Option<serde_json::Value>,
}

/// Error envelope.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable category, e.g. `validation_failed`, `not_found`.
    pub code: String,
    /// The specific reason, a stable dotted code such as `text.too_long` or `pricing.below_threshold`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The reason's parameters by name: numbers (amounts in fen when the name ends in `_fen`), texts, or a
    /// nested reason as `{"code", "params"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub params: Option<serde_json::Value>,
    /// Human-readable explanation in the request's language (cookie `lang`, else `Accept-Language`; zh-CN by
    /// default).
    pub message: String,
    /// The input field at fault (dotted path), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Structured detail, when the error has more than one part.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, Clone)]
enum Wording {
    Reason(Box<Reasoned>),
    /// A message without a reason, the same in every language.
    Text(String),
}

/// A reason's parameters as JSON: numbers, texts, labels by key, nested reasons as `{"code", "params"}`.
pub fn params_json(params: &[(&'static str, Param)]) -> serde_json::Value {
    fn value(p: &Param) -> serde_json::Value {
        match p {
            Param::Int(n) | Param::Fen(n) => serde_json::Value::from(*n),
            Param::Text(t) => serde_json::Value::from(t.as_str()),
            Param::Label { key, .. } => serde_json::Value::from(*key),
            Param::Coded { code, params } => serde_json::json!({ "code": code, "params": params_json(params) }),
        }
    }
    serde_json::Value::Object(params.iter().map(|(k, v)| ((*k).to_string(), value(v))).collect())
}

impl ApiError {
    /// An error without a reason: its message is `message` as written, in every language.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            wording: Wording::Text(message.into()),
            field: None,
            retry_after_secs: None,
            details: None,
        }
    }

    /// A refusal with its reason; the message is the reason's, in the reader's language.
    pub fn refused(status: StatusCode, code: &'static str, reason: &impl Coded) -> Self {
        ApiError {
            status,
            code,
            wording: Wording::Reason(Box::new(Reasoned::of(reason))),
            field: None,
            retry_after_secs: None,
            details: None,
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    /// The message in `lang`: the reason's from the catalogue, or the text of an error without one.
    pub fn message(&self, lang: Lang) -> String {
        match &self.wording {
            Wording::Reason(r) => r.message(lang),
            Wording::Text(t) => t.clone(),
        }
    }

    /// The reason, when there is one.
    pub fn reason(&self) -> Option<&Reasoned> {
        match &self.wording {
            Wording::Reason(r) => Some(r),
            Wording::Text(_) => None,
        }
    }

    /// The stable code of the reason, when there is one.
    pub fn reason_code(&self) -> Option<&'static str> {
        self.reason().map(|r| r.code)
    }

    /// Well-formed input whose value is not acceptable.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", message).with_field(field)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// `what` (one of [`THINGS`]) does not exist, or not for this caller.
    pub fn not_found(what: &'static str) -> Self {
        debug_assert!(THINGS.contains(&what), "{what} is not in THINGS");
        Self::refused(StatusCode::NOT_FOUND, "not_found", &ApiReason::NotFound { what: thing(what) })
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    pub fn too_many(message: impl Into<String>, retry_after_secs: u64) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        e.retry_after_secs = Some(retry_after_secs.max(1));
        e
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// Well-formed input whose value is not acceptable, and why.
    pub fn invalid_because(field: impl Into<String>, reason: &impl Coded) -> Self {
        Self::refused(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", reason).with_field(field)
    }

    pub fn bad_request_because(reason: &impl Coded) -> Self {
        Self::refused(StatusCode::BAD_REQUEST, "bad_request", reason)
    }

    pub fn unauthorized_because(reason: &impl Coded) -> Self {
        Self::refused(StatusCode::UNAUTHORIZED, "unauthorized", reason)
    }

    pub fn forbidden_because(reason: &impl Coded) -> Self {
        Self::refused(StatusCode::FORBIDDEN, "forbidden", reason)
    }

    pub fn conflict_because(reason: &impl Coded) -> Self {
        Self::refused(StatusCode::CONFLICT, "conflict", reason)
    }

    pub fn too_many_because(reason: &impl Coded, retry_after_secs: u64) -> Self {
        let mut e = Self::refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited", reason);
        e.retry_after_secs = Some(retry_after_secs.max(1));
        e
    }

    pub fn unavailable_because(reason: &impl Coded) -> Self {
        Self::refused(StatusCode::SERVICE_UNAVAILABLE, "unavailable", reason)
    }

    /// An unexpected failure: logged in full here, answered with a fixed message.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::refused(StatusCode::INTERNAL_SERVER_ERROR, "internal", &ApiReason::Internal)
    }

    /// The body in `lang`.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                reason: self.reason().map(|r| r.code.to_string()),
                params: self.reason().map(|r| params_json(&r.params)),
                message: self.message(lang),
                field: self.field.clone(),
                details: self.details.clone(),
            },
        }
    }
}

minimall_core::coded_enum! {
    /// Refusals of the HTTP layer itself.
    pub enum ApiReason {
        Internal = "server.internal",
        DatabaseUnavailable = "server.database_unavailable",
        ImportBannedWord { word: String, position: i64 } = "import.banned_word",
        ImportSkuOfAnotherProduct { code: String } = "import.sku_of_another_product",
        ImportSkuOtherSpecs { product: String, sku: String } = "import.sku_other_specs",
        ImportStockChanged = "import.stock_changed",
        NotFound { what: Label } = "record.not_found",
        NoSuch { what: Label } = "record.no_such",
        NoRoute = "route.none",
        MethodNotAllowed = "route.method_not_allowed",
        BadFormKey = "form.bad_key",
        IdempotencyKeyRequired = "idempotency.key_required",
        IdempotencyKeyReused = "idempotency.key_reused",
        IdempotencyKeyFormat = "idempotency.key_format",
        VisibleAscii = "text.visible_ascii",
        JsonExpected = "http.json_expected",
        NoSkuWithCode = "sku.no_such_code",
        NotSkuOfProduct = "sku.not_of_product",
        ChooseProduct = "product.choose",
        AtLeastOne = "number.at_least_one",
        Positive = "number.positive",
        WholeNumber = "number.whole",
        OutOfRange = "number.out_of_bounds",
        NotAllowedValue = "value.not_allowed",
        DateTime = "time.datetime_required",
        PageNeedsCatalog = "permission.page_needs_catalog",
        PageNeedsBuyers = "permission.page_needs_buyers",
        PageNeedsMembers = "permission.page_needs_members",
        PageNeedsFinance = "permission.page_needs_finance",
        TrackingNoFormat = "tracking_no.format",
        NotEnoughPoints = "points.not_enough",
        StockDeltaRange = "stock.delta_range",
        Duplicate { what: String } = "record.duplicate",
        Constraint = "record.constraint",
        RoleMayNot { role: Label } = "permission.role_may_not",
        BodyUnreadable = "http.body_unreadable",
        BodyTooLarge { max_bytes: i64 } = "http.body_too_large",
        QueryTooLong { max_bytes: i64 } = "http.query_too_long",
        MalformedJson { line: i64, column: i64 } = "json.malformed",
        UnknownField = "input.unknown_field",
        MissingField = "input.missing_field",
        DuplicateField = "input.duplicate_field",
        UnknownVariant { allowed: String } = "input.unknown_variant",
        WrongType { expected: Label } = "input.wrong_type",
        BadLength = "input.bad_length",
        Malformed = "input.malformed",
        PathNotWhole { value: String } = "path.not_whole",
        PathInvalid { value: String } = "path.invalid",
        PathNotUtf8 = "path.not_utf8",
    }
}

/// The things a refusal may name (`thing-<key>` in the catalogue): what was not found, what does not exist.
pub const THINGS: &[&str] = &[
    "address",
    "admin_user",
    "merchant",
    "aftersale",
    "activity",
    "action",
    "expense",
    "experiment",
    "promoter",
    "commission",
    "referral",
    "withdrawal",
    "buyer",
    "cart_line",
    "category",
    "coupon",
    "file",
    "flash_sale",
    "freight_template",
    "group",
    "group_buy",
    "image",
    "import",
    "job",
    "level",
    "mall_item",
    "order",
    "payment",
    "pickup_code",
    "posting",
    "product",
    "record",
    "rfm_class",
    "segment",
    "showcase_item",
    "sku",
    "store",
    "tag",
    "user",
];

/// A 409 for a change the store refused to keep its data consistent; the store's words go into `details`.
pub fn conflict_with_data(detail: String) -> ApiError {
    ApiError::conflict_because(&ApiReason::Constraint).with_details(serde_json::json!({ "detail": detail }))
}

/// A refusal kept as the body it was answered with (an idempotent request's answer, replayed): its message as
/// the catalogue worded it then.
pub fn kept_refusal(status: StatusCode, body: &serde_json::Value) -> ApiError {
    match body["error"]["message"].as_str() {
        Some(m) => ApiError::new(status, "refused", m),
        _ => ApiError::internal(format!("an answer {status} without a refusal: {body}")),
    }
}

/// The order status `s` as a label the catalogue words (`order-status-…`).
pub fn order_status(s: &str) -> Label {
    let key = minimall_core::orders::OrderStatus::parse(s).map_or("unknown", |s| s.as_str());
    Label { prefix: "order-status", key }
}

/// The after-sales status `s` as a label the catalogue words (`aftersale-status-…`).
pub fn aftersale_status(s: &str) -> Label {
    let key = AFTERSALE_STATUSES.iter().copied().find(|k| *k == s).unwrap_or("unknown");
    Label { prefix: "aftersale-status", key }
}

/// Every status of an after-sales request.
pub const AFTERSALE_STATUSES: &[&str] =
    &["pending", "approved", "returning", "refunded", "exchanged", "rejected", "cancelled"];

/// A 403 for a role without the permission an action needs; the permission is named in `details.required`.
pub fn role_may_not(role: minimall_core::auth::Role, permission: &str) -> ApiError {
    ApiError::forbidden_because(&ApiReason::RoleMayNot { role: Label { prefix: "role", key: role.as_str() } })
        .with_details(serde_json::json!({ "required": permission }))
}

/// A thing named in a refusal; `key` is one of [`THINGS`].
pub const fn thing(key: &'static str) -> Label {
    Label { prefix: "thing", key }
}

/// Written for logs: the category, the reason's code and the message in English.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.wording {
            Wording::Reason(r) => write!(f, "{} ({}): {}", self.code, r.code, r.message(Lang::En)),
            Wording::Text(t) => write!(f, "{}: {}", self.code, t),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::refused(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", &e.reason).with_field(e.field)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("record"),
            StoreError::Duplicate(what) => ApiError::conflict_because(&ApiReason::Duplicate { what: what.to_string() }),
            StoreError::Constraint(msg) => {
                ApiError::refused(StatusCode::UNPROCESSABLE_ENTITY, "constraint", &ApiReason::Constraint)
                    .with_details(serde_json::json!({ "detail": msg }))
            }
            StoreError::Unavailable(msg) => {
                tracing::warn!(error = %msg, "database unavailable");
                ApiError::refused(StatusCode::SERVICE_UNAVAILABLE, "unavailable", &ApiReason::DatabaseUnavailable)
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    /// Written in the default language; [`crate::http::edge::Edge`] words it again in the request's language. The error rides
    /// along as an extension so that it can.
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body(Lang::Zh))).into_response();
        if let Some(s) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp.extensions_mut().insert(self);
        resp
    }
}

/// The language a request reads: the cookie `lang` (`en` or `zh`), else the best of `Accept-Language` that
/// the shop speaks, else Chinese.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find_map(|(k, v)| (k == "lang").then_some(v));
    match cookie {
        Some("en") => return Lang::En,
        Some("zh") => return Lang::Zh,
        _ => {}
    }
    let Some(accept) = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
        return Lang::Zh;
    };
    let mut best: Option<(u16, Lang)> = None;
    for item in accept.split(',').take(32) {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "zh" => Lang::Zh,
            "en" => Lang::En,
            _ => continue,
        };
        if q > 0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map_or(Lang::Zh, |(_, l)| l)
}

/// The request's language as an extractor (see [`request_lang`]); pages pass their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(request_lang(&parts.headers)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_map_to_statuses() {
        assert_eq!(ApiError::from(StoreError::NotFound).status, StatusCode::NOT_FOUND);
        assert_eq!(ApiError::from(StoreError::Duplicate("x".into())).status, StatusCode::CONFLICT);
        assert_eq!(ApiError::from(StoreError::Unavailable("x".into())).status, StatusCode::SERVICE_UNAVAILABLE);
        let e = ApiError::from(FieldError::new("price", minimall_core::error::Reason::Negative));
        assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.field.as_deref(), Some("price"));
        assert_eq!(e.reason_code(), Some("money.negative"));
    }

    #[test]
    fn the_language_is_the_cookie_then_accept_language_then_chinese() {
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.append(*k, HeaderValue::from_static(v));
            }
            m
        };
        assert_eq!(request_lang(&h(&[])), Lang::Zh);
        assert_eq!(request_lang(&h(&[("accept-language", "en-US,en;q=0.9")])), Lang::En);
        assert_eq!(request_lang(&h(&[("accept-language", "fr, zh-CN;q=0.8, en;q=0.5")])), Lang::Zh);
        assert_eq!(request_lang(&h(&[("accept-language", "zh;q=0.2, en;q=0.9")])), Lang::En);
        assert_eq!(request_lang(&h(&[("accept-language", "fr, de")])), Lang::Zh);
        assert_eq!(request_lang(&h(&[("accept-language", "en"), ("cookie", "a=1; lang=zh")])), Lang::Zh);
        assert_eq!(request_lang(&h(&[("cookie", "lang=en")])), Lang::En);
    }
}
