//! The Chinese pages speak Chinese: every console page for every role and every storefront page for a buyer,
//! reached from the menus, the route table and the links on the pages (detail pages of the demo's records
//! included), and the pages a refused form submission shows, carry no untranslated code or English sentence.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use minimall_server::web::console;
use reqwest::header::{COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::suite;

/// Words that may stand in a Chinese page: names of people and things, units, acronyms read as they are.
const ALLOWED: &[&str] = &[
    // the demo's staff accounts and the shop's own name
    "admin",
    "operator",
    "finance",
    "service",
    "clerk",
    "Minimall",
    // product and payment names
    "WeChat",
    "iPhone",
    "Excel",
    "SKU",
    "SKUs",
    "CSV",
    "ID",
    "RFM",
    "GMV",
    "UV",
    "PV",
    "QR",
    "URL",
    "CDN",
    "https",
    "http",
    "PNG",
    "JPEG",
    "GIF",
    "WebP",
    "SMS",
    "API",
    "TOTP",
    "Redis",
    "UTC",
    "GTIN",
    "EAN",
    "UPC",
    "OpenAPI",
    "Authenticator",
    "Google",
    "Microsoft",
    "English",
    // units
    "kg",
    "g",
    "ml",
    "cm",
    "km",
    "MB",
    "KB",
];

/// The page's visible text: no tags, scripts or styles; entities decoded.
fn visible_text(html: &str) -> String {
    let mut s = html.to_string();
    for tag in ["script", "style", "textarea"] {
        while let Some(a) = s.find(&format!("<{tag}")) {
            let end = s[a..].find(&format!("</{tag}>")).map_or(s.len(), |e| a + e + tag.len() + 3);
            s.replace_range(a..end, " ");
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(ch),
            _ => {}
        }
    }
    let mut text = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&");
    while let Some(a) = text.find("&#") {
        let Some(e) = text[a..].find(';') else { break };
        let n: Option<u32> = text[a + 2..a + e].parse().ok();
        let ch = n.and_then(char::from_u32).unwrap_or(' ');
        text.replace_range(a..a + e + 1, &ch.to_string());
    }
    text
}

/// The untranslated words of a page's text: a code (`to_ship`, `order.ship`) or an English word that is not a
/// name, a unit, an acronym, a number or an identifier with digits (an SKU code, an order number).
fn english(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let is_word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '@' | '/' | ':' | '\'');
    for raw in text.split(|c: char| !is_word(c)) {
        let w = raw.trim_matches(|c: char| matches!(c, '.' | '-' | ':' | '\'' | '/'));
        if w.is_empty() || !w.chars().any(|c| c.is_ascii_alphabetic()) || raw.starts_with('/') {
            continue;
        }
        if w.chars().any(|c| c.is_ascii_digit()) || w.contains('@') || w.contains("://") || w.starts_with('/') {
            continue;
        }
        if ALLOWED.contains(&w) {
            continue;
        }
        let letters: Vec<char> = w.chars().filter(char::is_ascii_alphabetic).collect();
        // An acronym (SKU, A/B) reads the same in Chinese; a lone capital letter is a size or a grade.
        if letters.iter().all(char::is_ascii_uppercase) && letters.len() <= 5 && !w.contains('_') {
            continue;
        }
        found.push(w.to_string());
    }
    found
}

fn form_body(fields: &[(String, String)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .collect()
}

/// A link worth following: a page, not a file, a download or a way out.
fn crawlable(h: &str, console_side: bool) -> bool {
    let path = h.split('?').next().unwrap_or("");
    if path.starts_with("/assets")
        || path.starts_with("/uploads")
        || path.starts_with("/img")
        || path.starts_with("/api")
    {
        return false;
    }
    if [".svg", ".csv", ".png", ".json", ".txt"].iter().any(|x| path.ends_with(x)) {
        return false;
    }
    if h.contains("logout") || h.contains("lang=") || h.contains("export") || h.contains("download") {
        return false;
    }
    path.starts_with("/admin") == console_side
}

struct Crawl {
    c: Client,
    base: String,
    seen: BTreeSet<String>,
    per_path: BTreeMap<String, usize>,
    bad: Vec<String>,
    visited: usize,
}

impl Crawl {
    fn new(base: &str) -> Crawl {
        let c = Client::builder().no_proxy().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Crawl {
            c,
            base: base.to_string(),
            seen: BTreeSet::new(),
            per_path: BTreeMap::new(),
            bad: Vec::new(),
            visited: 0,
        }
    }

    fn check(&mut self, who: &str, path: &str, html: &str) {
        let words = english(&visible_text(html));
        if !words.is_empty() {
            self.bad.push(format!("{who} on {path}: {words:?}"));
        }
    }

    async fn get(&self, path: &str, cookie: &str) -> (StatusCode, String, String, String) {
        let resp = self.c.get(format!("{}{}", self.base, path)).header(COOKIE, cookie).send().await.unwrap();
        let status = resp.status();
        let loc = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        (status, loc, ct, resp.text().await.unwrap())
    }

    /// Every page reachable from `seeds` for one visitor; returns the pages' HTML by path.
    async fn crawl(&mut self, who: &str, cookie: &str, seeds: &[String], console_side: bool) -> Vec<(String, String)> {
        self.seen.clear();
        self.per_path.clear();
        let mut queue: VecDeque<String> = seeds.iter().cloned().collect();
        let mut pages = Vec::new();
        while let Some(path) = queue.pop_front() {
            if !self.seen.insert(path.clone()) || self.seen.len() > 400 {
                continue;
            }
            let (status, loc, ct, html) = self.get(&path, cookie).await;
            self.visited += 1;
            assert!(!status.is_server_error(), "{who} on {path}: {status} {html}");
            if status.is_redirection() {
                if crawlable(&loc, console_side) {
                    queue.push_back(loc);
                }
                continue;
            }
            if !ct.starts_with("text/html") {
                continue;
            }
            self.check(who, &path, &html);
            for h in hrefs(&html) {
                if !crawlable(&h, console_side) || self.seen.contains(&h) {
                    continue;
                }
                // A few variants of each path (filters, pages), not every combination.
                let n = self.per_path.entry(h.split('?').next().unwrap_or("").to_string()).or_default();
                if *n < 4 {
                    *n += 1;
                    queue.push_back(h);
                }
            }
            pages.push((path, html));
        }
        pages
    }

    /// Each form of `pages` sent with its fields blank and then with `-5`: the page that answers (or the one it
    /// sends to) shows the refusal in Chinese.
    async fn refuse_forms(&mut self, who: &str, cookie: &str, pages: &[(String, String)], console_side: bool) {
        let risky = [
            "logout",
            "delete",
            "remove",
            "disable",
            "revoke",
            "two_factor",
            "2fa",
            "tfa",
            "security",
            "password",
            "stop",
            "cancel",
            "import",
            "lang",
        ];
        let mut done = BTreeSet::new();
        let (csrf_cookie, token) = self.csrf(if console_side { "/admin/login" } else { "/login" }).await;
        let both = format!("{cookie}; {csrf_cookie}");
        for (page, html) in pages {
            for form in html.split("<form").skip(1) {
                let form = form.split("</form>").next().unwrap_or("");
                let head = form.split('>').next().unwrap_or("");
                if !head.contains("method=\"post\"") {
                    continue;
                }
                let Some(action) = head.split("action=\"").nth(1).and_then(|s| s.split('"').next()) else { continue };
                let action = action.replace("&amp;", "&");
                let shape = action
                    .split('/')
                    .map(|s| if s.parse::<i64>().is_ok() { "N" } else { s })
                    .collect::<Vec<_>>()
                    .join("/");
                if risky.iter().any(|r| action.contains(r)) || !done.insert(shape) {
                    continue;
                }
                let mut names = Vec::new();
                for part in form.split("name=\"").skip(1) {
                    let name = part.split('"').next().unwrap_or("").to_string();
                    // A hidden field and a select keep their value (a browser sends one of the options).
                    let hidden = form.contains(&format!("type=\"hidden\" name=\"{name}\""))
                        || form.contains(&format!("<select name=\"{name}\""));
                    if name != "_csrf" && !name.is_empty() {
                        let value = if hidden {
                            part.split("value=\"").nth(1).and_then(|v| v.split('"').next()).unwrap_or("").to_string()
                        } else {
                            String::new()
                        };
                        names.push((name, hidden, value));
                    }
                }
                if names.iter().all(|(_, hidden, _)| *hidden) {
                    continue;
                }
                for filler in ["", "-5"] {
                    let mut body: Vec<(String, String)> = vec![("_csrf".into(), token.clone())];
                    for (n, hidden, v) in &names {
                        body.push((n.clone(), if *hidden { v.clone() } else { filler.to_string() }));
                    }
                    let resp = self
                        .c
                        .post(format!("{}{}", self.base, action))
                        .header(COOKIE, &both)
                        .header(ORIGIN, &self.base)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(form_body(&body))
                        .send()
                        .await
                        .unwrap();
                    let status = resp.status();
                    let loc = resp.headers().get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    let html = resp.text().await.unwrap();
                    self.visited += 1;
                    assert!(!status.is_server_error(), "{who} sending {action} from {page}: {status} {html}");
                    if status.is_redirection() && loc.starts_with('/') {
                        let (_, _, ct, html) = self.get(&loc, cookie).await;
                        if ct.starts_with("text/html") {
                            self.check(who, &format!("{loc} after {action}"), &html);
                        }
                    } else {
                        self.check(who, &format!("POST {action} ({filler:?})"), &html);
                    }
                }
            }
        }
    }

    /// A CSRF cookie and its token, from a login page's form.
    async fn csrf(&self, path: &str) -> (String, String) {
        let resp = self.c.get(format!("{}{}", self.base, path)).send().await.unwrap();
        let set = resp
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("mm_csrf="))
            .map(|v| v.split(';').next().unwrap().to_string())
            .expect("a csrf cookie");
        let html = resp.text().await.unwrap();
        let token = html.split("name=\"_csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        (set, token)
    }
}

#[test]
fn the_check_finds_codes_and_sentences_and_spares_names() {
    let html = "<p>订单 <b>to_ship</b></p><script>var x = 'hello world';</script><td>order.ship</td>";
    assert_eq!(english(&visible_text(html)), vec!["to_ship", "order.ship"]);
    assert_eq!(english("商品 TEA-001-A · 2.5kg · SKU · admin · ¥12.00"), Vec::<String>::new());
    assert_eq!(english("no such product"), vec!["no", "such", "product"]);
    assert_eq!(english("渠道 direct"), vec!["direct"]);
}

suite!(zh_pages_have_no_english, |b| async move {
    let db = TestDb::new(b).await;
    let mut cfg = test_config(&db.url);
    cfg.demo_products = 12;
    let app = TestApp::spawn_with(db, cfg, true).await;
    let owner = app.admin_login("admin").await;
    let (_, products) = body(app.get("/api/v1/admin/products?page_size=1", Some(&owner)).await).await;
    let product_id = products["items"][0]["id"].as_i64().unwrap();
    let (_, orders) = body(app.get("/api/v1/admin/orders?page_size=1", Some(&owner)).await).await;
    let order_id = orders["items"][0]["id"].as_i64().unwrap();
    let buyer_id = orders["items"][0]["buyer_id"].as_i64().unwrap();

    let mut crawl = Crawl::new(&app.base);
    let mut seeds: Vec<String> = console::pages().into_iter().map(|(p, _)| p.to_string()).collect();
    seeds.extend([
        format!("/admin/products/{product_id}"),
        format!("/admin/orders/{order_id}"),
        "/admin/products/new".into(),
        "/admin/stock?all=1".into(),
    ]);
    for user in ["admin", "operator", "finance", "service", "clerk"] {
        let cookie = format!("mm_admin={}", app.admin_login(user).await);
        let pages = crawl.crawl(user, &cookie, &seeds, true).await;
        assert!(pages.len() > 3, "{user} reached only {} pages", pages.len());
        if user == "admin" || user == "operator" {
            crawl.refuse_forms(user, &cookie, &pages, true).await;
        }
    }

    // The buyer who placed the demo's first order, on the storefront.
    let (_, v) =
        body(app.post("/api/v1/shop/auth/wechat", None, &json!({"code": format!("sandbox:buyer{buyer_id:03}")})).await)
            .await;
    let buyer = format!("mm_buyer={}", v["token"].as_str().unwrap());
    let shop_seeds: Vec<String> = [
        "/".to_string(),
        "/products".into(),
        "/products?q=橙".into(),
        format!("/p/{product_id}"),
        "/me".into(),
        "/cart".into(),
        "/orders".into(),
        format!("/orders/{order_id}"),
        format!("/orders/{order_id}/aftersale"),
        "/aftersales".into(),
        "/coupons".into(),
        "/points".into(),
        "/login".into(),
        "/p/999999".into(),
    ]
    .into();
    let pages = crawl.crawl("buyer", &buyer, &shop_seeds, false).await;
    crawl.refuse_forms("buyer", &buyer, &pages, false).await;
    let pages = crawl.crawl("visitor", "", &shop_seeds, false).await;
    assert!(!pages.is_empty());
    let (s, _, _, html) = crawl.get("/admin/login", "").await;
    assert_eq!(s, StatusCode::OK);
    crawl.check("visitor", "/admin/login", &html);

    assert!(crawl.visited > 100, "only {} pages visited", crawl.visited);
    assert!(crawl.bad.is_empty(), "{} pages with English:\n{}", crawl.bad.len(), crawl.bad.join("\n"));
});
