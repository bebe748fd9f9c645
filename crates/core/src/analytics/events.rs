//! Tracked events: what the storefront may send in a batch, and the events the server records itself.
//!
//! A batch holds 1 to [`BATCH_MAX`] events whose texts together stay under [`BATCH_MAX_TEXT_BYTES`]. Each
//! event's client time lies between [`MAX_AGE_MS`] before and [`MAX_AHEAD_MS`] after the server's clock; ids are
//! positive; texts are bounded and free of control characters. A refusal names the event and its field, as
//! `events[3].product_id`.

use crate::error::{count, Label, Reason};

/// The most events in one batch.
pub const BATCH_MAX: usize = 100;
/// The most bytes of text (ids, session, channel, campaign, query, page) in one batch.
pub const BATCH_MAX_TEXT_BYTES: usize = 32 * 1024;
/// How far a client's clock may run ahead of the server's.
pub const MAX_AHEAD_MS: i64 = 5 * 60 * 1000;
/// How old an event may be when it arrives (a phone offline for a few days sends them late).
pub const MAX_AGE_MS: i64 = 7 * 24 * 3600 * 1000;
/// Visitor and session ids: 8 to 64 characters of `[A-Za-z0-9_-]`.
pub const ID_MIN_CHARS: usize = 8;
pub const ID_MAX_CHARS: usize = 64;
/// Channel codes: 1 to 32 characters of `[a-z0-9_]`.
pub const CHANNEL_MAX_CHARS: usize = 32;
pub const CAMPAIGN_MAX_CHARS: usize = 64;
pub const QUERY_MAX_CHARS: usize = 64;
pub const PAGE_MAX_CHARS: usize = 200;
/// The channel of an event that names none.
pub const DIRECT: &str = "direct";

/// What happened. The number of each kind is what the store keeps; it never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    PageView,
    ProductView,
    AddToCart,
    CheckoutStarted,
    Share,
    Search,
    OrderPlaced,
    OrderPaid,
    OrderRefunded,
    GroupJoined,
    CouponClaimed,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::PageView,
        EventKind::ProductView,
        EventKind::AddToCart,
        EventKind::CheckoutStarted,
        EventKind::Share,
        EventKind::Search,
        EventKind::OrderPlaced,
        EventKind::OrderPaid,
        EventKind::OrderRefunded,
        EventKind::GroupJoined,
        EventKind::CouponClaimed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PageView => "page_view",
            EventKind::ProductView => "product_view",
            EventKind::AddToCart => "add_to_cart",
            EventKind::CheckoutStarted => "checkout_started",
            EventKind::Share => "share",
            EventKind::Search => "search",
            EventKind::OrderPlaced => "order_placed",
            EventKind::OrderPaid => "order_paid",
            EventKind::OrderRefunded => "order_refunded",
            EventKind::GroupJoined => "group_joined",
            EventKind::CouponClaimed => "coupon_claimed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The stored number, 1 to 11.
    pub fn code(self) -> i64 {
        match self {
            EventKind::PageView => 1,
            EventKind::ProductView => 2,
            EventKind::AddToCart => 3,
            EventKind::CheckoutStarted => 4,
            EventKind::Share => 5,
            EventKind::Search => 6,
            EventKind::OrderPlaced => 7,
            EventKind::OrderPaid => 8,
            EventKind::OrderRefunded => 9,
            EventKind::GroupJoined => 10,
            EventKind::CouponClaimed => 11,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        EventKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Sent by the storefront; the others are recorded by the server when the order, payment, refund, group or
    /// coupon changes, and a client may not send them.
    pub fn from_client(self) -> bool {
        matches!(
            self,
            EventKind::PageView
                | EventKind::ProductView
                | EventKind::AddToCart
                | EventKind::CheckoutStarted
                | EventKind::Share
                | EventKind::Search
        )
    }

    /// Must name a product.
    pub fn needs_product(self) -> bool {
        matches!(self, EventKind::ProductView | EventKind::AddToCart)
    }
}

/// One event as the storefront sent it (after JSON parsing, before any rule).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientEvent {
    pub kind: String,
    pub client_at_ms: i64,
    pub visitor: String,
    pub session: String,
    pub channel: Option<String>,
    pub campaign: Option<String>,
    pub promoter_id: Option<i64>,
    pub product_id: Option<i64>,
    pub sku_id: Option<i64>,
    pub query: Option<String>,
    pub page: Option<String>,
}

/// An event that passed the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub client_at_ms: i64,
    pub visitor: String,
    pub session: String,
    pub channel: String,
    pub campaign: Option<String>,
    pub promoter_id: Option<i64>,
    pub product_id: Option<i64>,
    pub sku_id: Option<i64>,
    pub query: Option<String>,
    pub page: Option<String>,
}

/// Why an event or a batch was refused; [`EventError::field`] names the input at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    Count {
        max: usize,
    },
    TooLarge {
        max: usize,
    },
    UnknownKind {
        index: usize,
    },
    ServerOnly {
        index: usize,
    },
    Missing {
        index: usize,
        field: &'static str,
    },
    NotAllowed {
        index: usize,
        field: &'static str,
    },
    /// `allowed` names the characters allowed: `event-chars-<allowed>` in the catalogue.
    Text {
        index: usize,
        field: &'static str,
        min: usize,
        max: usize,
        allowed: &'static str,
    },
    NotPositive {
        index: usize,
        field: &'static str,
    },
    InFuture {
        index: usize,
        max_ahead_ms: i64,
    },
    TooOld {
        index: usize,
        max_age_ms: i64,
    },
}

/// The sets of characters a text of an event may hold (`event-chars-<key>` in the catalogue).
pub const EVENT_CHARS: &[&str] = &["id", "code", "printable"];

fn path(index: usize, field: &str) -> String {
    format!("events[{index}].{field}")
}

impl EventError {
    /// Why, as a coded reason with its values.
    pub fn reason(&self) -> Reason {
        match self {
            EventError::Count { max } => Reason::ListCount { min: 1, max: count(*max) },
            EventError::TooLarge { max } => Reason::TooLongBytes { max: count(*max) },
            EventError::UnknownKind { .. } => Reason::EventKindUnknown,
            EventError::ServerOnly { .. } => Reason::EventServerOnly,
            EventError::Missing { .. } => Reason::Required,
            EventError::NotAllowed { .. } => Reason::EventFieldNotAllowed,
            EventError::Text { min, max, allowed, .. } => Reason::EventText {
                min: count(*min),
                max: count(*max),
                chars: Label { prefix: "event-chars", key: allowed },
            },
            EventError::NotPositive { .. } => Reason::IdsPositive,
            EventError::InFuture { max_ahead_ms, .. } => Reason::EventInFuture { max_secs: max_ahead_ms / 1000 },
            EventError::TooOld { max_age_ms, .. } => Reason::EventTooOld { max_days: max_age_ms / 86_400_000 },
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            EventError::Count { .. } => "events.count",
            EventError::TooLarge { .. } => "events.too_large",
            EventError::UnknownKind { .. } => "event.kind_unknown",
            EventError::ServerOnly { .. } => "event.kind_server_only",
            EventError::Missing { .. } => "field.required",
            EventError::NotAllowed { .. } => "field.not_allowed",
            EventError::Text { .. } => "text.length",
            EventError::NotPositive { .. } => "id.not_positive",
            EventError::InFuture { .. } => "time.in_future",
            EventError::TooOld { .. } => "time.too_old",
        }
    }

    /// The field as the client sent it: `events` for the batch, `events[3].product_id` for one event's.
    pub fn field(&self) -> String {
        match self {
            EventError::Count { .. } | EventError::TooLarge { .. } => "events".into(),
            EventError::UnknownKind { index } | EventError::ServerOnly { index } => path(*index, "kind"),
            EventError::InFuture { index, .. } | EventError::TooOld { index, .. } => path(*index, "client_at"),
            EventError::Missing { index, field }
            | EventError::NotAllowed { index, field }
            | EventError::Text { index, field, .. }
            | EventError::NotPositive { index, field } => path(*index, field),
        }
    }
}

/// Whether a text is a well-formed visitor (or session) id: 8 to 64 of `[A-Za-z0-9_-]`.
pub fn is_visitor_id(s: &str) -> bool {
    (ID_MIN_CHARS..=ID_MAX_CHARS).contains(&s.chars().count()) && s.chars().all(id_char)
}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn code_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

fn printable(c: char) -> bool {
    !c.is_control()
}

struct Rule {
    field: &'static str,
    min: usize,
    max: usize,
    allowed: &'static str,
    ok: fn(char) -> bool,
}

const VISITOR: Rule = Rule { field: "visitor", min: ID_MIN_CHARS, max: ID_MAX_CHARS, allowed: "id", ok: id_char };
const SESSION: Rule = Rule { field: "session", min: ID_MIN_CHARS, max: ID_MAX_CHARS, allowed: "id", ok: id_char };
const CHANNEL: Rule = Rule { field: "channel", min: 1, max: CHANNEL_MAX_CHARS, allowed: "code", ok: code_char };
const CAMPAIGN: Rule = Rule { field: "campaign", min: 1, max: CAMPAIGN_MAX_CHARS, allowed: "printable", ok: printable };
const QUERY: Rule = Rule { field: "query", min: 1, max: QUERY_MAX_CHARS, allowed: "printable", ok: printable };
const PAGE: Rule = Rule { field: "page", min: 1, max: PAGE_MAX_CHARS, allowed: "printable", ok: printable };

fn text(index: usize, rule: &Rule, value: &str) -> Result<(), EventError> {
    let n = value.chars().count();
    if n < rule.min || n > rule.max || !value.chars().all(rule.ok) {
        return Err(EventError::Text { index, field: rule.field, min: rule.min, max: rule.max, allowed: rule.allowed });
    }
    Ok(())
}

fn positive(index: usize, field: &'static str, v: Option<i64>) -> Result<(), EventError> {
    match v {
        Some(id) if id <= 0 => Err(EventError::NotPositive { index, field }),
        _ => Ok(()),
    }
}

/// One event's rules (its place in the batch names it in a refusal).
pub fn validate_event(index: usize, e: &ClientEvent, now_ms: i64) -> Result<Event, EventError> {
    let kind = EventKind::parse(&e.kind).ok_or(EventError::UnknownKind { index })?;
    if !kind.from_client() {
        return Err(EventError::ServerOnly { index });
    }
    if e.client_at_ms > now_ms.saturating_add(MAX_AHEAD_MS) {
        return Err(EventError::InFuture { index, max_ahead_ms: MAX_AHEAD_MS });
    }
    if e.client_at_ms < now_ms.saturating_sub(MAX_AGE_MS) {
        return Err(EventError::TooOld { index, max_age_ms: MAX_AGE_MS });
    }
    text(index, &VISITOR, &e.visitor)?;
    text(index, &SESSION, &e.session)?;
    if let Some(c) = &e.channel {
        text(index, &CHANNEL, c)?;
    }
    if let Some(c) = &e.campaign {
        text(index, &CAMPAIGN, c)?;
    }
    if let Some(p) = &e.page {
        text(index, &PAGE, p)?;
    }
    positive(index, "promoter_id", e.promoter_id)?;
    positive(index, "product_id", e.product_id)?;
    positive(index, "sku_id", e.sku_id)?;
    if kind.needs_product() && e.product_id.is_none() {
        return Err(EventError::Missing { index, field: "product_id" });
    }
    if e.sku_id.is_some() && e.product_id.is_none() {
        return Err(EventError::Missing { index, field: "product_id" });
    }
    match (kind, &e.query) {
        (EventKind::Search, None) => return Err(EventError::Missing { index, field: "query" }),
        (EventKind::Search, Some(q)) => text(index, &QUERY, q.trim())?,
        (_, Some(_)) => return Err(EventError::NotAllowed { index, field: "query" }),
        (_, None) => {}
    }
    Ok(Event {
        kind,
        client_at_ms: e.client_at_ms,
        visitor: e.visitor.clone(),
        session: e.session.clone(),
        channel: e.channel.clone().unwrap_or_else(|| DIRECT.to_string()),
        campaign: e.campaign.clone(),
        promoter_id: e.promoter_id,
        product_id: e.product_id,
        sku_id: e.sku_id,
        query: e.query.as_ref().map(|q| q.trim().to_string()),
        page: e.page.clone(),
    })
}

fn text_bytes(e: &ClientEvent) -> usize {
    let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
    e.kind.len() + e.visitor.len() + e.session.len() + opt(&e.channel) + opt(&e.campaign) + opt(&e.query) + opt(&e.page)
}

/// A batch from the storefront: all its events pass, or the first refusal is returned and none is kept.
pub fn validate_batch(events: &[ClientEvent], now_ms: i64) -> Result<Vec<Event>, EventError> {
    if events.is_empty() || events.len() > BATCH_MAX {
        return Err(EventError::Count { max: BATCH_MAX });
    }
    if events.iter().map(text_bytes).sum::<usize>() > BATCH_MAX_TEXT_BYTES {
        return Err(EventError::TooLarge { max: BATCH_MAX_TEXT_BYTES });
    }
    events.iter().enumerate().map(|(i, e)| validate_event(i, e, now_ms)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_765_000_000_000;

    fn view(product: i64) -> ClientEvent {
        ClientEvent {
            kind: "product_view".into(),
            client_at_ms: NOW - 1_000,
            visitor: "v_12345678".into(),
            session: "s-abcdefgh".into(),
            product_id: Some(product),
            ..ClientEvent::default()
        }
    }

    #[test]
    fn every_kind_has_one_code_and_name() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::from_code(k.code()), Some(k));
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        let codes: std::collections::BTreeSet<i64> = EventKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, (1..=11).collect());
        assert_eq!(EventKind::ALL.iter().filter(|k| k.from_client()).count(), 6);
    }

    #[test]
    fn a_good_batch_passes_with_the_direct_channel_by_default() {
        let out = validate_batch(&[view(7)], NOW).unwrap();
        assert_eq!(out[0].kind, EventKind::ProductView);
        assert_eq!(out[0].channel, "direct");
        assert_eq!(out[0].product_id, Some(7));
    }

    #[test]
    fn refusals_name_the_event_and_field() {
        let mut batch = vec![view(1), view(2), view(3), view(4)];
        batch[3].product_id = Some(0);
        let e = validate_batch(&batch, NOW).unwrap_err();
        assert_eq!((e.field().as_str(), e.code()), ("events[3].product_id", "id.not_positive"));

        let mut batch = vec![view(1), view(2)];
        batch[1].client_at_ms = NOW + MAX_AHEAD_MS + 1;
        let e = validate_batch(&batch, NOW).unwrap_err();
        assert_eq!((e.field().as_str(), e.code()), ("events[1].client_at", "time.in_future"));
        batch[1].client_at_ms = NOW + MAX_AHEAD_MS;
        assert!(validate_batch(&batch, NOW).is_ok(), "the limit itself is allowed");

        batch[1].client_at_ms = NOW - MAX_AGE_MS - 1;
        assert_eq!(validate_batch(&batch, NOW).unwrap_err().code(), "time.too_old");

        let mut b = view(1);
        b.kind = "order_paid".into();
        assert_eq!(validate_batch(&[b], NOW).unwrap_err().code(), "event.kind_server_only");
        let mut b = view(1);
        b.kind = "click".into();
        assert_eq!(validate_batch(&[b], NOW).unwrap_err().field(), "events[0].kind");

        let mut b = view(1);
        b.product_id = None;
        assert_eq!(validate_batch(&[b], NOW).unwrap_err().field(), "events[0].product_id");

        let mut s = view(1);
        s.kind = "search".into();
        s.product_id = None;
        assert_eq!(validate_batch(&[s.clone()], NOW).unwrap_err().field(), "events[0].query");
        s.query = Some("连衣裙".repeat(30));
        assert_eq!(validate_batch(&[s.clone()], NOW).unwrap_err().code(), "text.length");
        s.query = Some("  连衣裙 ".into());
        assert_eq!(validate_batch(&[s.clone()], NOW).unwrap()[0].query.as_deref(), Some("连衣裙"));

        let mut q = view(1);
        q.query = Some("x".into());
        assert_eq!(validate_batch(&[q], NOW).unwrap_err().code(), "field.not_allowed");

        let mut c = view(1);
        c.channel = Some("WeChat".into());
        assert_eq!(validate_batch(&[c], NOW).unwrap_err().field(), "events[0].channel");
        let mut v = view(1);
        v.visitor = "short".into();
        assert_eq!(validate_batch(&[v], NOW).unwrap_err().field(), "events[0].visitor");
        let mut p = view(1);
        p.campaign = Some("a\u{0}b".into());
        assert_eq!(validate_batch(&[p], NOW).unwrap_err().field(), "events[0].campaign");
    }

    #[test]
    fn batch_size_and_bytes_are_bounded() {
        assert_eq!(validate_batch(&[], NOW).unwrap_err().code(), "events.count");
        let batch = vec![view(1); BATCH_MAX + 1];
        assert_eq!(validate_batch(&batch, NOW).unwrap_err().field(), "events");
        assert!(validate_batch(&vec![view(1); BATCH_MAX], NOW).is_ok());
        let mut big = vec![view(1); BATCH_MAX];
        for e in &mut big {
            e.page = Some("页".repeat(PAGE_MAX_CHARS));
        }
        assert_eq!(validate_batch(&big, NOW).unwrap_err().code(), "events.too_large");
    }

    proptest! {
        /// Whatever the input, the answer is a refusal naming a field of the batch, or events that each keep
        /// the rules.
        #[test]
        fn any_input_is_refused_with_a_field_or_kept_within_bounds(
            kind in prop::sample::select(vec!["page_view", "product_view", "add_to_cart", "search", "share", "order_paid", "x"]),
            at in -20_000_000i64..20_000_000,
            product in prop::option::of(-3i64..5),
            sku in prop::option::of(-3i64..5),
            visitor in "[a-z0-9_]{0,70}",
            query in prop::option::of("[a-z ]{0,70}"),
            n in 1usize..120,
            bad in 0usize..120,
        ) {
            let mut batch = vec![view(1); n];
            let e = &mut batch[bad % n];
            e.kind = kind.to_string();
            e.client_at_ms = NOW + at * 100;
            e.product_id = product;
            e.sku_id = sku;
            e.visitor = visitor;
            e.query = query;
            match validate_batch(&batch, NOW) {
                Ok(events) => {
                    prop_assert!(events.len() <= BATCH_MAX);
                    for ev in events {
                        prop_assert!(ev.kind.from_client());
                        prop_assert!(ev.client_at_ms <= NOW + MAX_AHEAD_MS && ev.client_at_ms >= NOW - MAX_AGE_MS);
                        prop_assert!(ev.product_id.is_none_or(|p| p > 0) && ev.sku_id.is_none_or(|p| p > 0));
                        prop_assert!((ID_MIN_CHARS..=ID_MAX_CHARS).contains(&ev.visitor.len()));
                        prop_assert_eq!(ev.query.is_some(), ev.kind == EventKind::Search);
                    }
                }
                Err(err) => {
                    let f = err.field();
                    prop_assert!(f == "events" || f.starts_with(&format!("events[{}].", bad % n)), "{}", f);
                }
            }
        }
    }
}
