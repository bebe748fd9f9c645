//! Formatting helpers and the generic pieces of console pages (tables, filters, forms, pagination).

use minimall_core::money::Money;
use minimall_core::time;

/// Fen as yuan with the currency sign.
pub fn yuan(fen: i64) -> String {
    format!("¥{}", Money::from_fen(fen).to_yuan_string())
}

/// Epoch ms as Beijing time (the shop's zone), `YYYY-MM-DD HH:MM`.
pub fn beijing_time(ms: i64) -> String {
    if ms <= 0 {
        return "-".into();
    }
    time::minutes(ms).unwrap_or_else(|| "-".into())
}

/// The Beijing calendar day (days since 1970-01-01) of an epoch ms.
pub fn beijing_day(ms: i64) -> i64 {
    time::day_of(ms).unwrap_or(0)
}

/// `MM-DD` of a day number.
pub fn day_label(day: i64) -> String {
    time::month_day(day).unwrap_or_default()
}

/// `YYYY-MM-DD` of a day number.
pub fn date_label(day: i64) -> String {
    time::date_of_day(day).map(|d| d.to_string()).unwrap_or_default()
}

/// Start of a Beijing day in epoch ms.
pub fn day_start_ms(day: i64) -> i64 {
    time::day_start_ms(day).unwrap_or(0)
}

/// The shop zone's UTC offset on `day` in ms, as the store's grouping by day (`(ms + offset) / 86,400,000`)
/// takes it.
pub fn zone_offset_ms(day: i64) -> i64 {
    day * 86_400_000 - day_start_ms(day)
}

/// A `YYYY-MM-DD` date typed in a filter as a day number (Beijing calendar).
pub fn parse_day(s: &str) -> Option<i64> {
    time::parse_day(s)
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`, Beijing time) as epoch ms.
pub fn parse_beijing_datetime(s: &str) -> Option<i64> {
    time::parse_local_minutes(s)
}

/// Epoch ms as a `datetime-local` value in Beijing time: `2026-11-25T18:00`.
pub fn beijing_datetime_value(ms: i64) -> String {
    beijing_time(ms).replacen(' ', "T", 1)
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Parse yuan typed in a form (`12.3`) into fen.
pub fn parse_yuan(field: &str, s: &str) -> Result<i64, crate::error::ApiError> {
    Ok(Money::parse_yuan(field, s)?.fen())
}

/// An order's address snapshot as one line: `张三 138… · 浙江省杭州市西湖区…`.
pub fn address_line(v: &serde_json::Value) -> String {
    let f = |k: &str| v[k].as_str().unwrap_or("").to_string();
    format!("{} {} · {}{}{}{}", f("name"), f("phone"), f("province"), f("city"), f("district"), f("detail"))
}

/// One cell of a console table.
#[derive(Default)]
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    /// A button that POSTs to this URL: (url, label).
    pub post: Option<(String, String)>,
    /// A checkbox `ids` with this value, belonging to the form `bulk`.
    pub check: Option<i64>,
    pub class: &'static str,
    /// A change as a small table of (field, before, after).
    pub changes: Vec<(String, String, String)>,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell { text: s.into(), ..Cell::default() }
    }
    pub fn link(s: impl Into<String>, href: impl Into<String>) -> Cell {
        Cell { text: s.into(), href: Some(href.into()), ..Cell::default() }
    }
    pub fn num(s: impl Into<String>) -> Cell {
        Cell { text: s.into(), class: "num", ..Cell::default() }
    }
    pub fn button(url: impl Into<String>, label: impl Into<String>) -> Cell {
        Cell { post: Some((url.into(), label.into())), ..Cell::default() }
    }
    pub fn check(id: i64) -> Cell {
        Cell { check: Some(id), ..Cell::default() }
    }
    pub fn changes(rows: Vec<(String, String, String)>) -> Cell {
        Cell { changes: rows, ..Cell::default() }
    }
    pub fn tag(s: impl Into<String>, class: &'static str) -> Cell {
        Cell { text: s.into(), class, ..Cell::default() }
    }
}

/// A form field.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    /// text, number, password, select, textarea, hidden, checkbox
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<(String, String)>,
    /// A refusal of this field's value, shown next to it.
    pub error: String,
}

impl Field {
    pub fn text(name: &'static str, label: &str, value: impl Into<String>) -> Field {
        Field::kind(name, label, "text", value)
    }
    pub fn kind(name: &'static str, label: &str, kind: &'static str, value: impl Into<String>) -> Field {
        Field { name, label: label.into(), kind, value: value.into(), options: vec![], error: String::new() }
    }
    pub fn select(name: &'static str, label: &str, value: impl Into<String>, options: Vec<(String, String)>) -> Field {
        Field { options, ..Field::kind(name, label, "select", value) }
    }
}

/// A form on a console page: GET filters or a POST action.
pub struct Form {
    pub id: &'static str,
    pub title: String,
    pub action: String,
    /// get or post
    pub method: &'static str,
    pub fields: Vec<Field>,
    pub submit: String,
}

/// Previous / next page links.
pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `base` is the page's path with its filters, without `page`.
    pub fn new(base: &str, page: i64, size: i64, total: i64) -> Pager {
        let pages = ((total + size - 1) / size).max(1);
        let sep = if base.contains('?') { '&' } else { '?' };
        let link = |p: i64| format!("{base}{sep}page={p}");
        Pager {
            page,
            pages,
            total,
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// `path?k=v&…` for the non-empty filters.
pub fn with_query(path: &str, params: &[(&str, String)]) -> String {
    let q: Vec<String> =
        params.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_beijing() {
        assert_eq!(beijing_time(0), "-");
        // 2026-11-25 00:00 UTC = 08:00 in Beijing.
        assert_eq!(beijing_time(1_795_564_800_000), "2026-11-25 08:00");
        assert_eq!(day_label(beijing_day(1_795_564_800_000)), "11-25");
        assert_eq!(day_start_ms(beijing_day(1_795_564_800_000)), 1_795_536_000_000);
        assert_eq!(parse_day("2026-11-25"), Some(beijing_day(1_795_564_800_000)));
        assert_eq!(parse_day("1970-01-01"), Some(0));
        assert_eq!(parse_day("2024-02-29").map(day_label).as_deref(), Some("02-29"));
        assert_eq!(parse_day("2026-02-30"), None);
        assert_eq!(parse_day("昨天"), None);
        assert_eq!(parse_beijing_datetime("2026-11-25T08:00"), Some(1_795_564_800_000));
        assert_eq!(beijing_datetime_value(1_795_564_800_000), "2026-11-25T08:00");
        assert_eq!(parse_beijing_datetime("2026-11-25T24:00"), None);
        assert_eq!(parse_beijing_datetime("2026-11-25"), None);
    }

    #[test]
    fn money_and_queries() {
        assert_eq!(yuan(1230), "¥12.30");
        assert_eq!(parse_yuan("p", "12.5").unwrap(), 1250);
        assert_eq!(
            with_query("/a", &[("q", "连衣裙".into()), ("s", String::new())]),
            "/a?q=%E8%BF%9E%E8%A1%A3%E8%A3%99"
        );
        let p = Pager::new("/x?q=1", 2, 20, 45);
        assert_eq!(p.pages, 3);
        assert_eq!(p.prev.as_deref(), Some("/x?q=1&page=1"));
    }
}
