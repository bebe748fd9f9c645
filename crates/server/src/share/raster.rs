//! The poster as PNG: the layout of `poster`, drawn into an RGB canvas with a system font.
//!
//! Fonts are looked for once, in this order: the file named by `MINIMALL_POSTER_FONT`, then the usual places of
//! WenQuanYi Micro Hei / Zen Hei and Noto Sans CJK (Debian, Fedora, Arch) and the Latin DejaVu Sans as a second
//! font. Each character is drawn with the first font that has it; a character no font has is left out (without a
//! CJK font a Chinese title is not drawn, the price, the QR code and the layout still are). Nothing is downloaded.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontVec, GlyphId, PxScale, ScaleFont};

use super::poster::{self as layout, Poster};
use super::qr::QUIET;
use crate::error::ApiResult;

const CJK_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
];
const LATIN_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

pub struct Fonts {
    list: Vec<FontVec>,
}

fn load(path: &str) -> Option<FontVec> {
    let bytes = std::fs::read(path).ok()?;
    FontVec::try_from_vec_and_index(bytes, 0).ok()
}

impl Fonts {
    /// The fonts found on this machine (looked for once).
    pub fn system() -> &'static Fonts {
        static F: OnceLock<Fonts> = OnceLock::new();
        F.get_or_init(|| {
            let mut list = Vec::new();
            let chosen = std::env::var("MINIMALL_POSTER_FONT").ok();
            if let Some(f) = chosen.as_deref().and_then(load) {
                list.push(f);
            }
            if let Some(f) = CJK_FONTS.iter().find_map(|p| load(p)) {
                list.push(f);
            }
            if let Some(f) = LATIN_FONTS.iter().find_map(|p| load(p)) {
                list.push(f);
            }
            if list.is_empty() {
                tracing::warn!("no font found for posters: their PNG is drawn without text");
            }
            Fonts { list }
        })
    }

    /// The font that has `c`, and the glyph.
    fn glyph(&self, c: char) -> Option<(&FontVec, GlyphId)> {
        self.list.iter().find_map(|f| {
            let g = f.glyph_id(c);
            (g.0 != 0).then_some((f, g))
        })
    }

    /// Whether some font has every character of `text`.
    pub fn covers(&self, text: &str) -> bool {
        text.chars().filter(|c| !c.is_whitespace()).all(|c| self.glyph(c).is_some())
    }

    /// A character's advance in ems (the layout's estimate when no font has it).
    pub fn em(&self, c: char) -> f32 {
        match self.glyph(c) {
            Some((f, g)) => {
                let s = f.as_scaled(PxScale::from(100.0));
                s.h_advance(g) / 100.0
            }
            None => layout::em(c),
        }
    }

    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.em(c) * size).sum()
    }
}

type Rgb = [u8; 3];

fn hex(c: &str) -> Rgb {
    let v = u32::from_str_radix(c.trim_start_matches('#'), 16).unwrap_or(0);
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

struct Canvas {
    w: i32,
    h: i32,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: u32, h: u32) -> Canvas {
        Canvas { w: w as i32, h: h as i32, px: vec![255; (w * h * 3) as usize] }
    }

    fn blend(&mut self, x: i32, y: i32, c: Rgb, a: f32) {
        if x < 0 || y < 0 || x >= self.w || y >= self.h || a <= 0.0 {
            return;
        }
        let a = a.min(1.0);
        let i = ((y * self.w + x) * 3) as usize;
        for (px, new) in self.px[i..i + 3].iter_mut().zip(c) {
            let old = f32::from(*px);
            *px = (old + (f32::from(new) - old) * a).round() as u8;
        }
    }

    /// A rectangle with corners of radius `r` (anti-aliased edges at the corners).
    fn rect(&mut self, x: u32, y: u32, w: u32, h: u32, r: u32, c: Rgb) {
        let (x, y, w, h, r) = (x as i32, y as i32, w as i32, h as i32, r as f32);
        for py in y..y + h {
            for px in x..x + w {
                let (fx, fy) = (px as f32 + 0.5, py as f32 + 0.5);
                let cx = fx.clamp(x as f32 + r, (x + w) as f32 - r);
                let cy = fy.clamp(y as f32 + r, (y + h) as f32 - r);
                let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
                let a = if r <= 0.0 { 1.0 } else { (r - d + 0.5).clamp(0.0, 1.0) };
                self.blend(px, py, c, a);
            }
        }
    }

    /// Text from `x` on the baseline `y`; answers its width. `bold` draws it twice, a pixel apart.
    fn text(&mut self, fonts: &Fonts, x: f32, y: f32, size: f32, c: Rgb, text: &str, bold: bool) -> f32 {
        let scale = PxScale::from(size);
        let mut pen = x;
        for ch in text.chars() {
            let Some((font, id)) = fonts.glyph(ch) else { continue };
            let advance = font.as_scaled(scale).h_advance(id);
            for dx in if bold { &[0.0, 0.8][..] } else { &[0.0][..] } {
                let g = id.with_scale_and_position(scale, point(pen + dx, y));
                if let Some(outline) = font.outline_glyph(g) {
                    let b = outline.px_bounds();
                    let (ox, oy) = (b.min.x as i32, b.min.y as i32);
                    outline.draw(|gx, gy, cov| self.blend(ox + gx as i32, oy + gy as i32, c, cov));
                }
            }
            pen += advance;
        }
        pen - x
    }

    /// An RGBA image scaled to cover the box (nearest pixel), its corners rounded by the box's radius.
    fn image(&mut self, img: &Decoded, x: u32, y: u32, side: u32, r: u32) {
        let scale = (side as f32 / img.w as f32).max(side as f32 / img.h as f32);
        let (ox, oy) = ((img.w as f32 * scale - side as f32) / 2.0, (img.h as f32 * scale - side as f32) / 2.0);
        let rr = r as f32;
        for py in 0..side {
            for px in 0..side {
                let sx = (((px as f32 + ox) / scale) as u32).min(img.w - 1);
                let sy = (((py as f32 + oy) / scale) as u32).min(img.h - 1);
                let i = ((sy * img.w + sx) * 4) as usize;
                let (fx, fy) = (px as f32 + 0.5, py as f32 + 0.5);
                let cx = fx.clamp(rr, side as f32 - rr);
                let cy = fy.clamp(rr, side as f32 - rr);
                let inside = (rr - ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt() + 0.5).clamp(0.0, 1.0);
                let a = f32::from(img.rgba[i + 3]) / 255.0 * inside;
                let c = [img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]];
                self.blend((x + px) as i32, (y + py) as i32, c, a);
            }
        }
    }
}

struct Decoded {
    w: u32,
    h: u32,
    rgba: Vec<u8>,
}

/// An uploaded PNG as RGBA, if it decodes (at most 4096 pixels a side).
fn decode(bytes: &[u8]) -> Option<Decoded> {
    let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
    dec.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = dec.read_info().ok()?;
    let (w, h) = (reader.info().width, reader.info().height);
    if w == 0 || h == 0 || w > 4096 || h > 4096 {
        return None;
    }
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).ok()?;
    let n = (w * h) as usize;
    let rgba: Vec<u8> = match frame.color_type {
        png::ColorType::Rgba => buf[..n * 4].to_vec(),
        png::ColorType::Rgb => buf[..n * 3].chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::Grayscale => buf[..n].iter().flat_map(|g| [*g, *g, *g, 255]).collect(),
        png::ColorType::GrayscaleAlpha => buf[..n * 2].chunks(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        png::ColorType::Indexed => return None,
    };
    Some(Decoded { w, h, rgba })
}

/// The poster as PNG.
pub fn png(p: &Poster, fonts: &Fonts) -> ApiResult<Vec<u8>> {
    use layout::*;
    let mut cv = Canvas::new(WIDTH, HEIGHT);
    let (red, ink, grey, pale, white) = (hex(RED), hex(INK), hex(GREY), hex(PALE), [255, 255, 255]);
    let centre = |cv: &mut Canvas, y: u32, size: f32, c: Rgb, text: &str, bold: bool| {
        let w = fonts.width(text, size);
        cv.text(fonts, (WIDTH as f32 - w) / 2.0, y as f32, size, c, text, bold);
    };
    if p.banded() {
        cv.rect(MARGIN, MARGIN, IMAGE, IMAGE, 16, red);
        centre(&mut cv, MARGIN + IMAGE / 2, 52.0, white, &p.headline, true);
        centre(&mut cv, MARGIN + IMAGE / 2 + 60, 28.0, white, &p.shop, false);
    } else {
        cv.rect(MARGIN, MARGIN, IMAGE, IMAGE, 16, pale);
        match p.image_png.as_deref().and_then(decode) {
            Some(img) => cv.image(&img, MARGIN, MARGIN, IMAGE, 16),
            None => {
                let faded = [0xf6, 0xb3, 0xac];
                centre(&mut cv, MARGIN + IMAGE / 2 + 70, 200.0, faded, &p.headline, false);
            }
        }
    }
    for (i, line) in p.title_lines.iter().enumerate() {
        cv.text(fonts, MARGIN as f32, (TITLE_Y + i as u32 * TITLE_LINE) as f32, TITLE_SIZE as f32, ink, line, false);
    }
    let mut x = MARGIN as f32;
    if let Some(tag) = &p.tag {
        let w = fonts.width(tag, 22.0) + 20.0;
        cv.rect(MARGIN, PRICE_Y - 32, w as u32, 34, 6, red);
        cv.text(fonts, x + 10.0, (PRICE_Y - 8) as f32, 22.0, white, tag, false);
        x += w + 12.0;
    }
    if let Some(price) = &p.price {
        x += cv.text(fonts, x, PRICE_Y as f32, PRICE_SIZE as f32, red, price, true) + 16.0;
    }
    if let Some(list) = &p.list_price {
        let w = cv.text(fonts, x, PRICE_Y as f32, 24.0, grey, list, false);
        cv.rect(x as u32, PRICE_Y - 9, w.max(1.0) as u32, 2, 0, grey);
    }
    cv.rect(MARGIN, RULE_Y, WIDTH - 2 * MARGIN, 2, 0, hex("#eeeeee"));
    cv.text(fonts, MARGIN as f32, SHOP_Y as f32, 28.0, ink, &p.shop, true);
    cv.text(fonts, MARGIN as f32, CAPTION_Y as f32, 22.0, grey, &p.caption, false);
    // The QR code: whole pixels per module, centred in its box.
    let modules = (p.qr.width + 2 * QUIET) as u32;
    let scale = (QR_SIDE / modules).max(1);
    let off = (QR_SIDE - modules * scale) / 2;
    for y in 0..p.qr.width {
        for x in 0..p.qr.width {
            if p.qr.is_dark(x, y) {
                let px = QR_X + off + (x as u32 + QUIET as u32) * scale;
                let py = QR_Y + off + (y as u32 + QUIET as u32) * scale;
                cv.rect(px, py, scale, scale, 0, [0, 0, 0]);
            }
        }
    }
    super::qr::encode(WIDTH, HEIGHT, png::ColorType::Rgb, &cv.px)
}
