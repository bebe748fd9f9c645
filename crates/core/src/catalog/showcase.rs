//! The storefront's showcase (店铺装修): the home page's image banners (轮播图) and its icon grid (金刚区).
//! Each entry has an image and opens a link target: a product, a category, a flash sale, the coupon centre
//! or a page of the storefront given by its path. The rules here decide what a merchant may store; the
//! server checks that the product, category or flash sale exists in the shop.

use crate::error::{count, Reason};
use crate::FieldError;

/// Where an entry is shown.
pub const SLOTS: &[&str] = &["carousel", "icons"];
/// The kinds of link target, as stored and as the API names them.
pub const LINK_KINDS: &[&str] = &["none", "product", "category", "flash_sale", "coupons", "page"];
/// The most entries one slot holds.
pub const PER_SLOT_MAX: i64 = 20;
/// The longest title (characters): a banner's caption or an icon's label.
pub const TITLE_MAX: i64 = 20;
/// The longest storefront path a `page` link may name (bytes).
pub const PAGE_PATH_MAX: usize = 200;

/// What tapping an entry opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    None,
    Product(i64),
    Category(i64),
    FlashSale(i64),
    Coupons,
    /// A path of the storefront, e.g. `/member` or `/products?sort=sales`.
    Page(String),
}

impl Link {
    /// Read a link from its kind and target as a form or the API sends them; refusals name `link_kind` or
    /// `link_target`.
    pub fn parse(kind: &str, target: Option<&str>) -> Result<Link, FieldError> {
        let target = target.map(str::trim).filter(|t| !t.is_empty());
        let id = || -> Result<i64, FieldError> {
            let t = target.ok_or_else(|| FieldError::new("link_target", Reason::Required))?;
            match t.parse::<i64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(FieldError::new(
                    "link_target",
                    Reason::NotWholeNumber { value: t.chars().take(20).collect(), max: i64::MAX },
                )),
            }
        };
        match kind {
            "none" => Ok(Link::None),
            "product" => id().map(Link::Product),
            "category" => id().map(Link::Category),
            "flash_sale" => id().map(Link::FlashSale),
            "coupons" => Ok(Link::Coupons),
            "page" => {
                let t = target.ok_or_else(|| FieldError::new("link_target", Reason::Required))?;
                page_path(t).map(|p| Link::Page(p.to_string()))
            }
            _ => Err(FieldError::new("link_kind", Reason::OneOf { allowed: LINK_KINDS.join(", ") })),
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Link::None => "none",
            Link::Product(_) => "product",
            Link::Category(_) => "category",
            Link::FlashSale(_) => "flash_sale",
            Link::Coupons => "coupons",
            Link::Page(_) => "page",
        }
    }

    /// The stored target: an id, a path, or nothing.
    pub fn target(&self) -> Option<String> {
        match self {
            Link::Product(id) | Link::Category(id) | Link::FlashSale(id) => Some(id.to_string()),
            Link::Page(p) => Some(p.clone()),
            Link::None | Link::Coupons => None,
        }
    }

    /// The storefront address the entry opens, if any.
    pub fn href(&self) -> Option<String> {
        match self {
            Link::None => None,
            Link::Product(id) => Some(format!("/p/{id}")),
            Link::Category(id) => Some(format!("/products?category_id={id}")),
            Link::FlashSale(id) => Some(format!("/flash/{id}")),
            Link::Coupons => Some("/coupons".into()),
            Link::Page(p) => Some(p.clone()),
        }
    }
}

/// A storefront path: starts with one `/`, stays on the storefront (not the console, the API or another
/// host), at most [`PAGE_PATH_MAX`] bytes of URL-safe characters, no `..`.
pub fn page_path(t: &str) -> Result<&str, FieldError> {
    let refuse = || FieldError::new("link_target", Reason::LinkPage);
    if t.len() > PAGE_PATH_MAX {
        return Err(FieldError::new("link_target", Reason::TooLongBytes { max: count(PAGE_PATH_MAX) }));
    }
    let path = t.split(['?', '#']).next().unwrap_or("");
    let ok = t.starts_with('/')
        && !t.starts_with("//")
        && !t.contains("..")
        && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"/-_.~?=&%#+".contains(&b))
        && !["/admin", "/api", "/uploads", "/assets", "/metrics"]
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")));
    if ok {
        Ok(t)
    } else {
        Err(refuse())
    }
}

/// A title: 1 to [`TITLE_MAX`] characters after trimming, no control characters.
pub fn title(t: &str) -> Result<&str, FieldError> {
    let t = t.trim();
    let n = t.chars().count();
    if n == 0 || count(n) > TITLE_MAX {
        return Err(FieldError::new("title", Reason::Length { min: 1, max: TITLE_MAX }));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new("title", Reason::ControlChars));
    }
    Ok(t)
}

/// A slot's name.
pub fn slot(s: &str) -> Result<&'static str, FieldError> {
    SLOTS
        .iter()
        .find(|x| **x == s)
        .copied()
        .ok_or_else(|| FieldError::new("slot", Reason::OneOf { allowed: SLOTS.join(", ") }))
}

/// A display window: both ends optional, the end after the start.
pub fn window(starts_at: Option<i64>, ends_at: Option<i64>) -> Result<(), FieldError> {
    for (f, v) in [("starts_at", starts_at), ("ends_at", ends_at)] {
        if v.is_some_and(|v| v < 0) {
            return Err(FieldError::new(f, Reason::NotEpochMs));
        }
    }
    match (starts_at, ends_at) {
        (Some(s), Some(e)) if e <= s => {
            Err(FieldError::new("ends_at", Reason::NotAfter { other: crate::error::Label::field("starts_at") }))
        }
        _ => Ok(()),
    }
}

/// Whether an enabled entry with this window shows at `now`.
pub fn shows_at(starts_at: Option<i64>, ends_at: Option<i64>, now: i64) -> bool {
    starts_at.is_none_or(|s| s <= now) && ends_at.is_none_or(|e| now < e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn links_read_and_open_what_they_name() {
        assert_eq!(Link::parse("product", Some(" 12 ")).unwrap().href().unwrap(), "/p/12");
        assert_eq!(Link::parse("category", Some("3")).unwrap().href().unwrap(), "/products?category_id=3");
        assert_eq!(Link::parse("flash_sale", Some("7")).unwrap().href().unwrap(), "/flash/7");
        assert_eq!(Link::parse("coupons", Some("ignored")).unwrap(), Link::Coupons);
        assert_eq!(Link::parse("none", None).unwrap().href(), None);
        assert_eq!(Link::parse("page", Some("/products?sort=sales")).unwrap().href().unwrap(), "/products?sort=sales");
        assert_eq!(Link::parse("product", None).unwrap_err().field, "link_target");
        assert_eq!(Link::parse("product", Some("0")).unwrap_err().field, "link_target");
        assert_eq!(Link::parse("product", Some("x")).unwrap_err().field, "link_target");
        assert_eq!(Link::parse("video", Some("1")).unwrap_err().field, "link_kind");
    }

    #[test]
    fn page_links_stay_on_the_storefront() {
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "javascript:alert(1)",
            "/admin",
            "/admin/users",
            "/api/v1/shop/products",
            "/p/../admin",
            "/p/1 2",
            "/p/\"x",
            "member",
        ] {
            assert_eq!(page_path(bad).unwrap_err().reason, Reason::LinkPage, "{bad}");
        }
        assert!(matches!(
            page_path(&format!("/{}", "a".repeat(PAGE_PATH_MAX))).unwrap_err().reason,
            Reason::TooLongBytes { .. }
        ));
        for good in ["/", "/member", "/products?category_id=2&sort=sales", "/administrator-notes", "/coupons#top"] {
            assert_eq!(page_path(good).unwrap(), good);
        }
    }

    #[test]
    fn titles_slots_and_windows() {
        assert_eq!(title("  新品上市 ").unwrap(), "新品上市");
        assert!(title("").is_err());
        assert!(title(&"字".repeat(21)).is_err());
        assert!(title("a\u{7}b").is_err());
        assert_eq!(slot("icons").unwrap(), "icons");
        assert_eq!(slot("sidebar").unwrap_err().field, "slot");
        assert!(window(Some(10), Some(10)).is_err());
        assert!(window(Some(-1), None).is_err());
        assert!(window(None, Some(5)).is_ok());
        assert!(shows_at(None, None, 0));
        assert!(shows_at(Some(5), Some(10), 5));
        assert!(!shows_at(Some(5), Some(10), 10));
        assert!(!shows_at(Some(5), None, 4));
    }

    proptest! {
        /// Whatever is typed, an accepted link round-trips through its stored form and opens a path of this
        /// storefront.
        #[test]
        fn accepted_links_round_trip_and_stay_local(kind in prop::sample::select(LINK_KINDS.to_vec()), target in "\\PC{0,40}|/[a-z0-9/?=&._-]{0,30}") {
            if let Ok(link) = Link::parse(kind, Some(&target)) {
                prop_assert_eq!(Link::parse(link.kind(), link.target().as_deref()).unwrap(), link.clone());
                if let Some(h) = link.href() {
                    prop_assert!(h.starts_with('/') && !h.starts_with("//"));
                    prop_assert!(!h.starts_with("/admin") && !h.starts_with("/api"));
                    prop_assert!(h.bytes().all(|b| b.is_ascii_graphic()));
                }
            }
        }
    }
}
