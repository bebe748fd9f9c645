//! A poster's layout (600 × 960 units) and its drawing as SVG. The PNG drawing (`raster`) follows the same layout.
//!
//! Top: the product's image (an uploaded image is embedded, so that the SVG shows it also as an `<img>`), or a
//! placeholder with the title's first character; for an invitation or a promoter's page, a red band with a
//! headline. Then the title (two lines at most, cut with …), the price through the link and the struck-through
//! one, and at the bottom the shop's name, the caption and the QR code of the link.

use base64::Engine;

use super::links::{Resolved, ShareTarget};
use super::qr::{Modules, QUIET};
use crate::state::AppState;
use crate::web::i18n::{t, Lang};

pub const WIDTH: u32 = 600;
pub const HEIGHT: u32 = 960;
pub const MARGIN: u32 = 24;
/// The image box: a square under the top margin.
pub const IMAGE: u32 = WIDTH - 2 * MARGIN;
pub const TITLE_SIZE: u32 = 30;
pub const TITLE_Y: u32 = MARGIN + IMAGE + 48;
pub const TITLE_LINE: u32 = 42;
pub const PRICE_SIZE: u32 = 44;
pub const PRICE_Y: u32 = TITLE_Y + TITLE_LINE + 70;
pub const RULE_Y: u32 = PRICE_Y + 30;
pub const QR_SIDE: u32 = 150;
pub const QR_X: u32 = WIDTH - MARGIN - QR_SIDE;
pub const QR_Y: u32 = RULE_Y + 12;
pub const SHOP_Y: u32 = RULE_Y + 70;
pub const CAPTION_Y: u32 = SHOP_Y + 44;
/// Largest embedded image.
pub const IMAGE_MAX_BYTES: usize = 2 * 1024 * 1024;

pub const RED: &str = "#e93323";
pub const INK: &str = "#222222";
pub const GREY: &str = "#999999";
pub const PALE: &str = "#fdf0ef";

/// What a poster shows, in the reader's language.
pub struct Poster {
    pub target: ShareTarget,
    pub title_lines: Vec<String>,
    pub price: Option<String>,
    pub list_price: Option<String>,
    /// "3人团" on a group's poster.
    pub tag: Option<String>,
    /// The placeholder's character, or the band's headline.
    pub headline: String,
    pub shop: String,
    pub caption: String,
    /// The image as a `data:` address or a link (SVG), and its bytes when it is an uploaded PNG (PNG).
    pub image_href: Option<String>,
    pub image_png: Option<Vec<u8>>,
    pub qr: Modules,
}

fn yuan(fen: i64) -> String {
    crate::web::view::yuan(fen)
}

/// Cut `text` into at most `lines` lines of at most `width` as `measure` counts, the last ending with … when
/// the text was longer.
pub fn wrap(text: &str, width: f32, lines: usize, measure: &dyn Fn(char) -> f32) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut w = 0.0;
    for c in text.chars().filter(|c| !c.is_control()) {
        let cw = measure(c);
        if w + cw > width && !cur.is_empty() {
            if out.len() + 1 == lines {
                // The last line: make room for the ellipsis.
                while !cur.is_empty() && w + measure('…') > width {
                    if let Some(last) = cur.pop() {
                        w -= measure(last);
                    }
                }
                cur.push('…');
                out.push(cur);
                return out;
            }
            out.push(std::mem::take(&mut cur));
            w = 0.0;
        }
        cur.push(c);
        w += cw;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// An estimate of a character's width in ems (SVG text is laid out by the reader's font).
pub fn em(c: char) -> f32 {
    if c.is_ascii() {
        0.56
    } else {
        1.0
    }
}

/// The image, embedded when it is an upload of this server (read from disk, at most 2 MB).
async fn image(st: &AppState, src: Option<&str>) -> (Option<String>, Option<Vec<u8>>) {
    let Some(src) = src else { return (None, None) };
    if src.starts_with("data:image/") && src.len() <= IMAGE_MAX_BYTES {
        return (Some(src.to_string()), None);
    }
    if let Some(name) = src.strip_prefix("/uploads/") {
        let safe =
            name.len() <= 40 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.') && !name.starts_with('.');
        if !safe {
            return (None, None);
        }
        let ct = match name.rsplit('.').next() {
            Some("png") => "image/png",
            Some("jpg") => "image/jpeg",
            Some("gif") => "image/gif",
            _ => "image/webp",
        };
        return match tokio::fs::read(std::path::Path::new(&st.cfg.uploads_dir).join(name)).await {
            Ok(bytes) if bytes.len() <= IMAGE_MAX_BYTES => {
                let uri = format!("data:{ct};base64,{}", base64::engine::general_purpose::STANDARD.encode(&bytes));
                let png = (ct == "image/png").then_some(bytes);
                (Some(uri), png)
            }
            _ => (None, None),
        };
    }
    if src.starts_with("https://") || src.starts_with("http://") {
        return (Some(src.to_string()), None);
    }
    (None, None)
}

impl Poster {
    pub async fn of(
        st: &AppState,
        r: &Resolved,
        lang: Lang,
        measure: &(dyn Fn(char) -> f32 + Sync),
    ) -> crate::error::ApiResult<Poster> {
        let s = &r.subject;
        let (title, headline) = match r.target {
            ShareTarget::Product | ShareTarget::Group => {
                (s.title.clone(), s.title.chars().next().map(String::from).unwrap_or_default())
            }
            ShareTarget::Invite => {
                (t(lang, "share.invite_title").to_string(), t(lang, "share.invite_headline").to_string())
            }
            ShareTarget::Promoter => {
                (t(lang, "share.promoter_title").to_string(), t(lang, "share.promoter_headline").to_string())
            }
        };
        let (image_href, image_png) = image(st, s.image.as_deref()).await;
        Ok(Poster {
            target: r.target,
            title_lines: wrap(&title, (IMAGE as f32) / TITLE_SIZE as f32, 2, measure),
            price: s.price.map(yuan),
            list_price: s.list_price.filter(|l| Some(*l) > s.price).map(yuan),
            tag: s.group_size.map(|n| format!("{n}{}", t(lang, "share.group_tag"))),
            headline,
            shop: t(lang, "shop.name").to_string(),
            caption: t(lang, "share.caption").to_string(),
            image_href,
            image_png,
            qr: Modules::of(&r.url(st))?,
        })
    }

    /// Whether the top is a band with a headline (invitation, promoter) rather than a product's image.
    pub fn banded(&self) -> bool {
        matches!(self.target, ShareTarget::Invite | ShareTarget::Promoter)
    }
}

/// XML text and attribute escaping.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

const FONT: &str =
    "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif";

/// The poster as SVG.
pub fn svg(p: &Poster) -> String {
    let mut s = String::with_capacity(16 * 1024);
    s.push_str(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" \
         xmlns:xlink=\"http://www.w3.org/1999/xlink\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" \
         height=\"{HEIGHT}\" font-family=\"{FONT}\">\n<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"#fff\"/>\n"
    ));
    s.push_str(&format!(
        "<clipPath id=\"box\"><rect x=\"{MARGIN}\" y=\"{MARGIN}\" width=\"{IMAGE}\" height=\"{IMAGE}\" rx=\"16\"/></clipPath>\n"
    ));
    if p.banded() {
        s.push_str(&format!(
            "<rect x=\"{MARGIN}\" y=\"{MARGIN}\" width=\"{IMAGE}\" height=\"{IMAGE}\" rx=\"16\" fill=\"{RED}\"/>\n\
             <text x=\"{cx}\" y=\"{cy}\" font-size=\"52\" font-weight=\"bold\" fill=\"#fff\" text-anchor=\"middle\">{h}</text>\n\
             <text x=\"{cx}\" y=\"{cy2}\" font-size=\"28\" fill=\"#fff\" text-anchor=\"middle\">{shop}</text>\n",
            cx = WIDTH / 2,
            cy = MARGIN + IMAGE / 2,
            cy2 = MARGIN + IMAGE / 2 + 60,
            h = esc(&p.headline),
            shop = esc(&p.shop),
        ));
    } else if let Some(href) = &p.image_href {
        s.push_str(&format!(
            "<rect x=\"{MARGIN}\" y=\"{MARGIN}\" width=\"{IMAGE}\" height=\"{IMAGE}\" rx=\"16\" fill=\"{PALE}\"/>\n\
             <image clip-path=\"url(#box)\" x=\"{MARGIN}\" y=\"{MARGIN}\" width=\"{IMAGE}\" height=\"{IMAGE}\" \
             preserveAspectRatio=\"xMidYMid slice\" href=\"{h}\" xlink:href=\"{h}\"/>\n",
            h = esc(href)
        ));
    } else {
        s.push_str(&format!(
            "<rect x=\"{MARGIN}\" y=\"{MARGIN}\" width=\"{IMAGE}\" height=\"{IMAGE}\" rx=\"16\" fill=\"{PALE}\"/>\n\
             <text x=\"{cx}\" y=\"{cy}\" font-size=\"200\" fill=\"{RED}\" fill-opacity=\"0.35\" text-anchor=\"middle\">{h}</text>\n",
            cx = WIDTH / 2,
            cy = MARGIN + IMAGE / 2 + 70,
            h = esc(&p.headline)
        ));
    }
    for (i, line) in p.title_lines.iter().enumerate() {
        s.push_str(&format!(
            "<text x=\"{MARGIN}\" y=\"{y}\" font-size=\"{TITLE_SIZE}\" fill=\"{INK}\">{t}</text>\n",
            y = TITLE_Y + i as u32 * TITLE_LINE,
            t = esc(line)
        ));
    }
    let mut x = MARGIN;
    if let Some(tag) = &p.tag {
        let w = (tag.chars().map(em).sum::<f32>() * 22.0) as u32 + 20;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{ry}\" width=\"{w}\" height=\"34\" rx=\"6\" fill=\"{RED}\"/>\
             <text x=\"{tx}\" y=\"{ty}\" font-size=\"22\" fill=\"#fff\">{t}</text>\n",
            ry = PRICE_Y - 32,
            tx = x + 10,
            ty = PRICE_Y - 8,
            t = esc(tag)
        ));
        x += w + 12;
    }
    if let Some(price) = &p.price {
        s.push_str(&format!(
            "<text x=\"{x}\" y=\"{PRICE_Y}\" font-size=\"{PRICE_SIZE}\" font-weight=\"bold\" fill=\"{RED}\">{t}</text>\n",
            t = esc(price)
        ));
        x += (price.chars().map(em).sum::<f32>() * PRICE_SIZE as f32) as u32 + 16;
    }
    if let Some(list) = &p.list_price {
        s.push_str(&format!(
            "<text x=\"{x}\" y=\"{PRICE_Y}\" font-size=\"24\" fill=\"{GREY}\" text-decoration=\"line-through\">{t}</text>\n",
            t = esc(list)
        ));
    }
    s.push_str(&format!(
        "<line x1=\"{MARGIN}\" y1=\"{RULE_Y}\" x2=\"{x2}\" y2=\"{RULE_Y}\" stroke=\"#eeeeee\" stroke-width=\"2\"/>\n\
         <text x=\"{MARGIN}\" y=\"{SHOP_Y}\" font-size=\"28\" font-weight=\"bold\" fill=\"{INK}\">{shop}</text>\n\
         <text x=\"{MARGIN}\" y=\"{CAPTION_Y}\" font-size=\"22\" fill=\"{GREY}\">{caption}</text>\n",
        x2 = WIDTH - MARGIN,
        shop = esc(&p.shop),
        caption = esc(&p.caption),
    ));
    let modules = p.qr.width + 2 * QUIET;
    s.push_str(&format!(
        "<svg x=\"{QR_X}\" y=\"{QR_Y}\" width=\"{QR_SIDE}\" height=\"{QR_SIDE}\" viewBox=\"0 0 {modules} {modules}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{modules}\" height=\"{modules}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{d}\"/></svg>\n</svg>\n",
        d = p.qr.svg_path(QUIET, QUIET)
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_wrap_into_two_lines_and_end_with_an_ellipsis() {
        let lines = wrap("一二三四五六七八九十一二三四五六七八九十一二三四五", 10.0, 2, &em);
        assert_eq!(lines, ["一二三四五六七八九十", "一二三四五六七八九…"]);
        assert_eq!(wrap("短标题", 10.0, 2, &em), ["短标题"]);
        assert!(wrap("", 10.0, 2, &em).is_empty());
        assert_eq!(esc("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
    }
}
