//! Image references a shop may store: its own uploads (`/uploads/<name>`), the built-in placeholder
//! pictures (`/img/placeholder/<n>.svg`, wide banners `w<n>.svg`, round icons `i<n>.svg`) and `https` URLs
//! on the hosts the shop names as its CDN. Nothing else: no path that leaves the uploads directory (`..`, encoded or not), no plain `http`, no other host
//! (the pages' Content-Security-Policy would block it anyway).

use super::IMAGE_URL_MAX;
use crate::error::{count, Reason};
use crate::FieldError;

/// The longest file name accepted under `/uploads/`.
const UPLOAD_NAME_MAX: usize = 128;

/// A CDN host as written in the configuration: a DNS name (letters, digits, `-`, `.`) with an optional
/// `:port`, returned in lower case. The error says what is wrong with it.
pub fn parse_cdn_host(s: &str) -> Result<String, String> {
    let h = s.trim().to_ascii_lowercase();
    let (name, port) = match h.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (h.as_str(), None),
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.is_empty() || name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(format!("'{s}' is not a host name such as cdn.example.com"));
    }
    if let Some(p) = port {
        if p.is_empty()
            || p.len() > 5
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.parse::<u32>().map_or(true, |n| n == 0 || n > 65_535)
        {
            return Err(format!("'{s}' has a port that is not a number from 1 to 65535"));
        }
    }
    Ok(h)
}

/// Whether `seg` is a path segment that climbs or hides a separator: `.`, `..`, or any percent escape of a
/// dot, a slash or a backslash.
fn traversal(seg: &str) -> bool {
    let lower = seg.to_ascii_lowercase();
    seg == "." || seg == ".." || lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c")
}

fn refuse(field: &str, cdn_hosts: &[String]) -> FieldError {
    if cdn_hosts.is_empty() {
        FieldError::new(field, Reason::ImageNotAllowedNoCdn)
    } else {
        FieldError::new(field, Reason::ImageNotAllowed { hosts: cdn_hosts.join(", ") })
    }
}

/// Check an image reference (see the module). `cdn_hosts` are lower-case hosts from [`parse_cdn_host`].
/// Returns the reference trimmed.
pub fn parse_image_ref(field: &str, s: &str, cdn_hosts: &[String]) -> Result<String, FieldError> {
    let t = s.trim();
    if t.len() > IMAGE_URL_MAX {
        return Err(FieldError::new(field, Reason::TooLongBytes { max: count(IMAGE_URL_MAX) }));
    }
    if t.chars().any(|ch| ch.is_whitespace() || ch.is_control() || matches!(ch, '"' | '\'' | '<' | '>' | '\\' | '`')) {
        return Err(FieldError::new(field, Reason::ImageBadChars));
    }
    if let Some(name) = t.strip_prefix("/uploads/") {
        let ok = !name.is_empty()
            && name.len() <= UPLOAD_NAME_MAX
            && !name.starts_with('.')
            && !name.contains("..")
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(FieldError::new(field, Reason::ImageUploadName));
        }
        return Ok(t.to_string());
    }
    if let Some(file) = t.strip_prefix("/img/placeholder/") {
        let ok = file
            .strip_suffix(".svg")
            .map(|n| n.strip_prefix(['w', 'i']).unwrap_or(n))
            .is_some_and(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(FieldError::new(field, Reason::ImagePlaceholder));
        }
        return Ok(t.to_string());
    }
    if t.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("http://")) {
        return Err(FieldError::new(field, Reason::ImageHttp));
    }
    let Some(rest) = t.get(..8).filter(|p| p.eq_ignore_ascii_case("https://")).map(|_| &t[8..]) else {
        return Err(refuse(field, cdn_hosts));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let authority = authority.to_ascii_lowercase();
    if !cdn_hosts.contains(&authority) {
        let shown: String = authority.chars().take(80).collect();
        return Err(FieldError::new(
            field,
            if cdn_hosts.is_empty() {
                Reason::ImageHostNoCdn { host: shown }
            } else {
                Reason::ImageHostNotCdn { host: shown, hosts: cdn_hosts.join(", ") }
            },
        ));
    }
    if !path.starts_with('/') {
        return Err(FieldError::new(field, Reason::ImageNoPath));
    }
    let path_only = path.split(['?', '#']).next().unwrap_or("");
    if path_only.split('/').any(traversal) {
        return Err(FieldError::new(field, Reason::ImageTraversal));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text is taken or refused with a field error, never a panic (multi-byte characters where a
        /// scheme would be included).
        #[test]
        fn any_text_is_answered(s in "\\PC{0,12}", prefix in prop::sample::select(vec!["", "h", "http", "https://", "/uploads/"])) {
            let t = format!("{prefix}{s}");
            let _ = parse_image_ref("images[0]", &t, &hosts());
        }
    }

    #[test]
    fn multi_byte_text_where_a_scheme_would_be_is_refused() {
        assert!(parse_image_ref("images[0]", "\u{92824}\u{e5fb6}", &hosts()).is_err());
        assert!(parse_image_ref("images[0]", "http\u{e5fb6}", &hosts()).is_err());
    }

    fn hosts() -> Vec<String> {
        vec!["cdn.example.com".into(), "img.example.com:8443".into()]
    }

    #[test]
    fn accepts_own_uploads_placeholders_and_cdn() {
        for ok in [
            "/uploads/0123456789abcdef0123456789abcdef.jpg",
            "/uploads/b.jpg",
            " /uploads/a_b-c.webp ",
            "/img/placeholder/12.svg",
            "/img/placeholder/w3.svg",
            "/img/placeholder/i4.svg",
            "https://cdn.example.com/a/b.jpg",
            "HTTPS://CDN.example.com/a.jpg?x=1",
            "https://img.example.com:8443/%E6%A9%99.png",
        ] {
            assert_eq!(parse_image_ref("images[0]", ok, &hosts()).unwrap(), ok.trim(), "{ok}");
        }
    }

    #[test]
    fn refuses_traversal_other_hosts_and_http() {
        for bad in [
            "/uploads/../../etc/passwd",
            "/uploads/..",
            "/uploads/",
            "/uploads/a/b.jpg",
            "/uploads/%2e%2e%2fetc%2fpasswd",
            "/uploads/.hidden",
            "/uploads/a.jpg?x",
            "/img/placeholder/../x.svg",
            "/img/placeholder/1.png",
            "/img/placeholder/x1.svg",
            "/img/placeholder/w.svg",
            "/img/other.svg",
            "/etc/passwd",
            "http://cdn.example.com/a.jpg",
            "https://evil.example/a.jpg",
            "https://cdn.example.com.evil.example/a.jpg",
            "https://user@cdn.example.com/a.jpg",
            "https://cdn.example.com@evil.example/a.jpg",
            "https://img.example.com/a.jpg",
            "https://cdn.example.com",
            "https://cdn.example.com/a/../b.jpg",
            "https://cdn.example.com/a/%2E%2E/b.jpg",
            "https://cdn.example.com/a\\b.jpg",
            "javascript:alert(1)",
            "//evil.example/a.jpg",
            "data:image/png;base64,AAAA",
            "",
        ] {
            let e = parse_image_ref("images[0]", bad, &hosts()).unwrap_err();
            assert_eq!(e.field, "images[0]", "{bad}");
        }
        let e = parse_image_ref("images[0]", "https://cdn.example.com/a.jpg", &[]).unwrap_err();
        assert_eq!(e.reason, Reason::ImageHostNoCdn { host: "cdn.example.com".into() });
    }

    #[test]
    fn cdn_hosts_are_checked() {
        assert_eq!(parse_cdn_host(" CDN.Example.com ").unwrap(), "cdn.example.com");
        assert_eq!(parse_cdn_host("cdn.example.com:8443").unwrap(), "cdn.example.com:8443");
        for bad in [
            "",
            "https://cdn.example.com",
            "cdn.example.com/",
            "a..b",
            "-a.com",
            "a.com:0",
            "a.com:x",
            "*.a.com",
            "a b",
        ] {
            assert!(parse_cdn_host(bad).is_err(), "{bad}");
        }
    }
}
