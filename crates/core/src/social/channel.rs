//! Channels (流量入口), share-link parameters and attribution.
//!
//! Every share link and QR code carries `ch` (the [`Channel`]), optionally `cp` (a campaign code) and `pr` (a
//! promoter's public code). [`ShareParams::parse`] is strict (for the console and the API that make links:
//! every refusal names its parameter); [`ShareParams::from_landing`] reads what a visitor's link carries and
//! drops what does not parse, so a mangled link still opens the page, counted as `direct`.
//!
//! Attribution keeps two touches per buyer ([`Attribution`]): the **first** touch is the earliest visit of
//! any channel, direct included (how the buyer was acquired); the **last** touch is the latest visit that came
//! through a channel other than direct (a buyer who was sent by a promoter and later types the address keeps
//! the promoter's touch), or the latest direct visit when there is no other. Both are chosen by time, with a
//! fixed order between touches of the same millisecond, so the result does not depend on the order in which
//! visits are recorded. An order takes the last touch only while it is within the attribution window
//! ([`Attribution::for_order`]); outside it the order's last touch is direct.

use std::cmp::Ordering;

/// Where a visit came from. Codes are stable: they are stored with visits, buyers and orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Typed address, bookmark, or no channel on the link.
    Direct,
    /// The storefront's share button (a plain link).
    Share,
    /// The storefront's QR poster of a product.
    QrPoster,
    /// Search in WeChat or a search engine.
    Search,
    /// "Nearby shops" (附近).
    Nearby,
    /// A printed or image poster of a campaign.
    Poster,
    /// WeChat Moments (朋友圈).
    Moments,
    /// A community group (社群).
    CommunityGroup,
    /// The shop's official account (公众号).
    OfficialAccount,
    /// Offline ground promotion (地推).
    GroundPromotion,
    /// A promoter's own link, code or poster (分销).
    Promoter,
}

impl Channel {
    pub const ALL: [Channel; 11] = [
        Channel::Direct,
        Channel::Share,
        Channel::QrPoster,
        Channel::Search,
        Channel::Nearby,
        Channel::Poster,
        Channel::Moments,
        Channel::CommunityGroup,
        Channel::OfficialAccount,
        Channel::GroundPromotion,
        Channel::Promoter,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Channel::Direct => "direct",
            Channel::Share => "share",
            Channel::QrPoster => "qr_poster",
            Channel::Search => "search",
            Channel::Nearby => "nearby",
            Channel::Poster => "poster",
            Channel::Moments => "moments",
            Channel::CommunityGroup => "community_group",
            Channel::OfficialAccount => "official_account",
            Channel::GroundPromotion => "ground_promotion",
            Channel::Promoter => "promoter",
        }
    }

    pub fn parse(code: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// Campaign codes: 1–32 of `A–Z a–z 0–9 _ -`.
pub const CAMPAIGN_MAX: usize = 32;
/// Promoter codes: 4–16 of `A–Z 0–9`, read case-insensitively and kept in capitals.
pub const PROMOTER_CODE_MIN: usize = 4;
pub const PROMOTER_CODE_MAX: usize = 16;

/// The query parameters of a share link.
pub const PARAM_CHANNEL: &str = "ch";
pub const PARAM_CAMPAIGN: &str = "cp";
pub const PARAM_PROMOTER: &str = "pr";

crate::field_coded_enum! {
    /// Why share-link parameters were refused; `field` is the query parameter at fault.
    pub enum ShareParamError (field: &'static str) {
        UnknownChannel {} = "share.unknown_channel",
        Campaign { max: usize } = "share.campaign",
        PromoterCode { min: usize, max: usize } = "share.promoter_code",
        Duplicate {} = "share.duplicate",
        PromoterMissing {} = "share.promoter_missing",
    }
}

/// What a share link carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShareParams {
    pub channel: Channel,
    pub campaign: Option<String>,
    /// The promoter's public code (never the promoter's id).
    pub promoter: Option<String>,
}

impl Default for ShareParams {
    fn default() -> Self {
        ShareParams { channel: Channel::Direct, campaign: None, promoter: None }
    }
}

fn campaign(v: &str) -> Result<String, ShareParamError> {
    let ok = !v.is_empty()
        && v.len() <= CAMPAIGN_MAX
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(v.to_string())
    } else {
        Err(ShareParamError::Campaign { field: PARAM_CAMPAIGN, max: CAMPAIGN_MAX })
    }
}

/// A promoter's public code, in capitals.
pub fn promoter_code(v: &str) -> Result<String, ShareParamError> {
    let ok = (PROMOTER_CODE_MIN..=PROMOTER_CODE_MAX).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(v.to_ascii_uppercase())
    } else {
        Err(ShareParamError::PromoterCode { field: PARAM_PROMOTER, min: PROMOTER_CODE_MIN, max: PROMOTER_CODE_MAX })
    }
}

impl ShareParams {
    /// Strict: the parameters a link is made with. Other parameters are not this function's concern and
    /// are passed over; `ch`, `cp` and `pr` must each appear at most once and parse, and a `promoter`
    /// channel needs `pr`. No `ch` means direct.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<ShareParams, ShareParamError> {
        let (mut ch, mut cp, mut pr) = (None, None, None);
        for (k, v) in pairs {
            let (slot, field) = match k {
                PARAM_CHANNEL => (&mut ch, PARAM_CHANNEL),
                PARAM_CAMPAIGN => (&mut cp, PARAM_CAMPAIGN),
                PARAM_PROMOTER => (&mut pr, PARAM_PROMOTER),
                _ => continue,
            };
            if slot.replace(v).is_some() {
                return Err(ShareParamError::Duplicate { field });
            }
        }
        let channel = match ch {
            None => Channel::Direct,
            Some(v) => Channel::parse(v).ok_or(ShareParamError::UnknownChannel { field: PARAM_CHANNEL })?,
        };
        let campaign = cp.map(campaign).transpose()?;
        let promoter = pr.map(promoter_code).transpose()?;
        if channel == Channel::Promoter && promoter.is_none() {
            return Err(ShareParamError::PromoterMissing { field: PARAM_PROMOTER });
        }
        Ok(ShareParams { channel, campaign, promoter })
    }

    /// Lenient: what a visitor's link carries. A parameter that does not parse (or appears twice) is
    /// dropped; an unknown channel, or a promoter channel without a usable code, counts as direct.
    pub fn from_landing<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> ShareParams {
        let (mut ch, mut cp, mut pr) = (Vec::new(), Vec::new(), Vec::new());
        for (k, v) in pairs {
            match k {
                PARAM_CHANNEL => ch.push(v),
                PARAM_CAMPAIGN => cp.push(v),
                PARAM_PROMOTER => pr.push(v),
                _ => {}
            }
        }
        let one = |vs: Vec<&'a str>| if vs.len() == 1 { Some(vs[0]) } else { None };
        let mut channel = one(ch).and_then(Channel::parse).unwrap_or(Channel::Direct);
        let campaign = one(cp).and_then(|v| campaign(v).ok());
        let promoter = one(pr).and_then(|v| promoter_code(v).ok());
        if channel == Channel::Promoter && promoter.is_none() {
            channel = Channel::Direct;
        }
        ShareParams { channel, campaign, promoter }
    }

    /// The query string of a link carrying these parameters (without `?`; every value is URL-safe).
    pub fn to_query(&self) -> String {
        let mut q = format!("{PARAM_CHANNEL}={}", self.channel.code());
        if let Some(c) = &self.campaign {
            q.push_str(&format!("&{PARAM_CAMPAIGN}={c}"));
        }
        if let Some(p) = &self.promoter {
            q.push_str(&format!("&{PARAM_PROMOTER}={p}"));
        }
        q
    }
}

/// One visit through a link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Touch {
    pub params: ShareParams,
    pub at_ms: i64,
}

impl Touch {
    pub fn new(params: ShareParams, at_ms: i64) -> Touch {
        Touch { params, at_ms }
    }

    /// A fixed order between touches of the same millisecond, so that choices do not depend on the order
    /// of recording.
    fn tie(&self, other: &Touch) -> Ordering {
        (self.params.channel, &self.params.campaign, &self.params.promoter).cmp(&(
            other.params.channel,
            &other.params.campaign,
            &other.params.promoter,
        ))
    }
}

/// Attribution windows: 1 to 90 days.
pub const WINDOW_DAYS_MIN: u32 = 1;
pub const WINDOW_DAYS_MAX: u32 = 90;
const DAY_MS: i64 = 86_400_000;

/// How long after a visit an order is still attributed to it (last touch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributionWindow {
    days: u32,
}

impl AttributionWindow {
    pub const DEFAULT: AttributionWindow = AttributionWindow { days: 7 };

    pub fn days(days: u32) -> Result<AttributionWindow, WindowError> {
        if (WINDOW_DAYS_MIN..=WINDOW_DAYS_MAX).contains(&days) {
            Ok(AttributionWindow { days })
        } else {
            Err(WindowError::OutOfRange {
                field: "attribution_window_days",
                min: WINDOW_DAYS_MIN,
                max: WINDOW_DAYS_MAX,
            })
        }
    }

    pub fn as_days(self) -> u32 {
        self.days
    }

    fn ms(self) -> i64 {
        i64::from(self.days) * DAY_MS
    }
}

crate::field_coded_enum! {
    pub enum WindowError (field: &'static str) {
        OutOfRange { min: u32, max: u32 } = "attribution.window_out_of_range",
    }
}

/// A buyer's (or visitor's) two touches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    pub first: Option<Touch>,
    pub last: Option<Touch>,
}

impl Attribution {
    /// Take a visit into account (in any order: the result depends only on the set of visits).
    pub fn record(&mut self, touch: Touch) {
        let earlier = match &self.first {
            None => true,
            Some(f) => touch.at_ms.cmp(&f.at_ms).then_with(|| touch.tie(f)) == Ordering::Less,
        };
        if earlier {
            self.first = Some(touch.clone());
        }
        let rank = |t: &Touch| (t.params.channel != Channel::Direct, t.at_ms);
        let later = match &self.last {
            None => true,
            Some(l) => rank(&touch).cmp(&rank(l)).then_with(|| touch.tie(l)) == Ordering::Greater,
        };
        if later {
            self.last = Some(touch);
        }
    }

    /// The touches an order placed at `now_ms` is attributed to: the first touch as recorded, and the last
    /// touch if it is not older than the window (else none: the order's last touch is direct). Touches
    /// after `now_ms` are not the order's.
    pub fn for_order(&self, now_ms: i64, window: AttributionWindow) -> OrderAttribution {
        let first = self.first.clone().filter(|t| t.at_ms <= now_ms);
        let last = self.last.clone().filter(|t| t.at_ms <= now_ms && now_ms.saturating_sub(t.at_ms) <= window.ms());
        OrderAttribution { first, last }
    }
}

/// The touches an order placed at `now_ms` keeps, chosen from three visits of the buyer that a store can find by
/// index: the `earliest` visit, the `latest_other` visit through a channel other than direct, and the `latest`
/// visit of any channel, each with its time. The first touch is the earliest visit; the last touch is the latest
/// visit through another channel, or the latest direct visit when there is none, and only while it is within the
/// window (else none: the order's last touch is direct). This is [`Attribution::record`] over every visit
/// followed by [`Attribution::for_order`], for any touch type (the event store keeps free-form channel codes and
/// promoter ids), given visits no later than `now_ms`.
pub fn order_touches<T>(
    earliest: Option<(T, i64)>,
    latest_other: Option<(T, i64)>,
    latest: Option<(T, i64)>,
    now_ms: i64,
    window: AttributionWindow,
) -> (Option<T>, Option<T>) {
    let first = earliest.filter(|(_, at)| *at <= now_ms).map(|(t, _)| t);
    let last = latest_other
        .or(latest)
        .filter(|(_, at)| *at <= now_ms && now_ms.saturating_sub(*at) <= window.ms())
        .map(|(t, _)| t);
    (first, last)
}

/// What an order records of where it came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderAttribution {
    pub first: Option<Touch>,
    pub last: Option<Touch>,
}

impl OrderAttribution {
    pub fn first_channel(&self) -> Channel {
        self.first.as_ref().map_or(Channel::Direct, |t| t.params.channel)
    }

    pub fn last_channel(&self) -> Channel {
        self.last.as_ref().map_or(Channel::Direct, |t| t.params.channel)
    }

    /// The promoter whose link the order came through (last touch), if any.
    pub fn promoter(&self) -> Option<&str> {
        self.last.as_ref().and_then(|t| t.params.promoter.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(ch: Channel) -> ShareParams {
        ShareParams { channel: ch, campaign: None, promoter: None }
    }

    #[test]
    fn every_channel_code_parses_back_and_todays_codes_are_kept() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()), Some(c));
        }
        for code in ["direct", "share", "qr_poster", "moments", "community_group", "ground_promotion"] {
            assert!(Channel::parse(code).is_some(), "{code}");
        }
        assert_eq!(Channel::parse("Moments"), None);
    }

    #[test]
    fn strict_parsing_names_the_parameter_at_fault() {
        let ok =
            ShareParams::parse([("ch", "promoter"), ("cp", "spring-2025"), ("pr", "ab12cd"), ("utm", "x")]).unwrap();
        assert_eq!(ok.channel, Channel::Promoter);
        assert_eq!(ok.campaign.as_deref(), Some("spring-2025"));
        assert_eq!(ok.promoter.as_deref(), Some("AB12CD"));
        assert_eq!(ShareParams::parse([]).unwrap(), ShareParams::default());

        let err = |pairs: &[(&str, &str)]| ShareParams::parse(pairs.iter().copied()).unwrap_err();
        let e = err(&[("ch", "tiktok")]);
        assert_eq!((e.code(), e.field()), ("share.unknown_channel", "ch"));
        let e = err(&[("ch", "moments"), ("cp", "双十一")]);
        assert_eq!((e.code(), e.field()), ("share.campaign", "cp"));
        let e = err(&[("ch", "moments"), ("cp", &"x".repeat(33))]);
        assert_eq!(e.field(), "cp");
        let e = err(&[("ch", "moments"), ("pr", "ab")]);
        assert_eq!((e.code(), e.field()), ("share.promoter_code", "pr"));
        let e = err(&[("ch", "promoter")]);
        assert_eq!((e.code(), e.field()), ("share.promoter_missing", "pr"));
        let e = err(&[("ch", "moments"), ("cp", "a"), ("cp", "b")]);
        assert_eq!((e.code(), e.field()), ("share.duplicate", "cp"));
    }

    #[test]
    fn a_mangled_landing_link_still_counts_as_direct() {
        let l = ShareParams::from_landing([("ch", "tiktok"), ("cp", "ok_1"), ("pr", "!!")]);
        assert_eq!(l, ShareParams { channel: Channel::Direct, campaign: Some("ok_1".into()), promoter: None });
        let l = ShareParams::from_landing([("ch", "promoter"), ("pr", "x")]);
        assert_eq!(l.channel, Channel::Direct);
        let l = ShareParams::from_landing([("ch", "moments"), ("ch", "poster")]);
        assert_eq!(l.channel, Channel::Direct);
        let l = ShareParams::from_landing([("ch", "moments")]);
        assert_eq!(l.channel, Channel::Moments);
    }

    #[test]
    fn last_touch_keeps_a_promoter_over_a_later_direct_visit_and_expires_with_the_window() {
        let mut a = Attribution::default();
        a.record(Touch::new(p(Channel::Search), 1_000));
        let promo = ShareParams { channel: Channel::Promoter, campaign: None, promoter: Some("P0001".into()) };
        a.record(Touch::new(promo, 2_000));
        a.record(Touch::new(p(Channel::Direct), 3_000));
        assert_eq!(a.first.as_ref().unwrap().params.channel, Channel::Search);
        assert_eq!(a.last.as_ref().unwrap().params.channel, Channel::Promoter);
        let o = a.for_order(4_000, AttributionWindow::DEFAULT);
        assert_eq!(
            (o.first_channel(), o.last_channel(), o.promoter()),
            (Channel::Search, Channel::Promoter, Some("P0001"))
        );
        let late = a.for_order(2_000 + 7 * DAY_MS + 1, AttributionWindow::DEFAULT);
        assert_eq!(
            (late.first_channel(), late.last_channel(), late.promoter()),
            (Channel::Search, Channel::Direct, None)
        );
        // Only direct visits: the last direct one is the last touch.
        let mut d = Attribution::default();
        d.record(Touch::new(p(Channel::Direct), 5));
        d.record(Touch::new(p(Channel::Direct), 9));
        assert_eq!(d.last.unwrap().at_ms, 9);
        assert_eq!(d.first.unwrap().at_ms, 5);
        assert!(AttributionWindow::days(0).is_err());
        assert_eq!(AttributionWindow::days(91).unwrap_err().field(), "attribution_window_days");
    }

    fn any_params() -> impl Strategy<Value = ShareParams> {
        (
            prop::sample::select(Channel::ALL.to_vec()),
            prop::option::of("[A-Za-z0-9_-]{1,32}"),
            prop::option::of("[A-Z0-9]{4,16}"),
        )
            .prop_map(|(channel, campaign, promoter)| {
                let channel = if channel == Channel::Promoter && promoter.is_none() { Channel::Share } else { channel };
                ShareParams { channel, campaign, promoter }
            })
    }

    proptest! {
        /// A link made from valid parameters reads back as the same parameters, strictly and on landing.
        #[test]
        fn share_params_round_trip_through_the_query(params in any_params()) {
            let q = params.to_query();
            let pairs: Vec<(&str, &str)> = q.split('&').map(|kv| kv.split_once('=').unwrap()).collect();
            prop_assert_eq!(ShareParams::parse(pairs.iter().copied()).unwrap(), params.clone());
            prop_assert_eq!(ShareParams::from_landing(pairs.iter().copied()), params);
        }

        /// Landing never refuses: any pairs give parameters that the strict parser accepts.
        #[test]
        fn landing_always_yields_valid_parameters(
            pairs in prop::collection::vec((prop::sample::select(vec!["ch", "cp", "pr", "x"]), ".{0,20}"), 0..6)
        ) {
            let l = ShareParams::from_landing(pairs.iter().map(|(k, v)| (*k, v.as_str())));
            let q = l.to_query();
            let back: Vec<(&str, &str)> = q.split('&').map(|kv| kv.split_once('=').unwrap()).collect();
            prop_assert_eq!(ShareParams::parse(back.iter().copied()).unwrap(), l);
        }

        /// What the store finds by index (earliest visit, latest visit through another channel, latest visit)
        /// gives the same first and last touch as the rule over every visit.
        #[test]
        fn three_indexed_visits_give_the_touches_of_the_full_rule(
            visits in prop::collection::vec((any_params(), 0i64..40), 0..12),
            now in 0i64..60,
            days in 1u32..3,
        ) {
            // Distinct times, as the store's ids are: the order of recording is the order of time.
            let touches: Vec<Touch> = visits.into_iter().enumerate()
                .map(|(i, (p, at))| Touch::new(p, at * (DAY_MS / 4) + i as i64)).collect();
            let window = AttributionWindow::days(days).unwrap();
            let now_ms = now * (DAY_MS / 4) + 20;
            let seen: Vec<&Touch> = touches.iter().filter(|t| t.at_ms <= now_ms).collect();
            let mut a = Attribution::default();
            for t in &seen { a.record((*t).clone()); }
            let full = a.for_order(now_ms, window);
            let pick = |t: Option<&&Touch>| t.map(|t| ((*t).clone(), t.at_ms));
            let earliest = pick(seen.iter().min_by_key(|t| t.at_ms));
            let latest_other = pick(seen.iter().filter(|t| t.params.channel != Channel::Direct).max_by_key(|t| t.at_ms));
            let latest = pick(seen.iter().max_by_key(|t| t.at_ms));
            let (first, last) = order_touches(earliest, latest_other, latest, now_ms, window);
            prop_assert_eq!(first, full.first);
            prop_assert_eq!(last, full.last);
        }

        /// First and last touch depend only on the set of visits, not on the order they are recorded in;
        /// the first is the earliest visit and the last is never direct while another channel was visited.
        #[test]
        fn attribution_does_not_depend_on_the_order_of_recording(
            touches in prop::collection::vec((any_params(), 0i64..50), 1..12),
            seed in any::<u64>(),
        ) {
            let touches: Vec<Touch> = touches.into_iter().map(|(p, at)| Touch::new(p, at)).collect();
            let mut a = Attribution::default();
            for t in &touches { a.record(t.clone()); }
            let mut shuffled = touches.clone();
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut b = Attribution::default();
            for t in shuffled { b.record(t); }
            prop_assert_eq!(&a, &b);
            let min_at = touches.iter().map(|t| t.at_ms).min().unwrap();
            prop_assert_eq!(a.first.as_ref().unwrap().at_ms, min_at);
            let any_other = touches.iter().any(|t| t.params.channel != Channel::Direct);
            prop_assert_eq!(a.last.as_ref().unwrap().params.channel != Channel::Direct, any_other);
        }
    }
}
