//! A link as a QR code: its modules, drawn as SVG (one path) or as a greyscale PNG.

use qrcode::{Color, EcLevel, QrCode};

use crate::error::{ApiError, ApiResult};

/// The light margin around a code, in modules (the standard's quiet zone).
pub const QUIET: usize = 4;

/// A QR code's modules, row by row (`true`: dark), without the quiet zone.
pub struct Modules {
    pub width: usize,
    pub dark: Vec<bool>,
}

impl Modules {
    /// The code of `text` (error correction M: a poster printed small or photographed still reads).
    pub fn of(text: &str) -> ApiResult<Modules> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(ApiError::internal)?;
        let width = code.width();
        let dark = code.to_colors().into_iter().map(|c| c == Color::Dark).collect();
        Ok(Modules { width, dark })
    }

    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// The dark modules as one SVG path in module units, offset by `(ox, oy)` modules.
    pub fn svg_path(&self, ox: usize, oy: usize) -> String {
        let mut d = String::with_capacity(self.dark.len() * 4);
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    // A run of dark modules as one rectangle.
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    d.push_str(&format!("M{} {}h{}v1h-{}z", start + ox, y + oy, x - start, x - start));
                } else {
                    x += 1;
                }
            }
        }
        d
    }
}

/// The code as a standalone SVG image (quiet zone included; scales to any size).
pub fn svg(m: &Modules) -> String {
    let side = m.width + 2 * QUIET;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         width=\"{px}\" height=\"{px}\" shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{d}\"/></svg>\n",
        px = side * 8,
        d = m.svg_path(QUIET, QUIET)
    )
}

/// The code as a greyscale PNG of about `size` pixels a side (whole pixels per module, at least 2).
pub fn png(m: &Modules, size: u32) -> ApiResult<Vec<u8>> {
    let modules = m.width + 2 * QUIET;
    let scale = (size as usize / modules).max(2);
    let side = modules * scale;
    let mut px = vec![255u8; side * side];
    for y in 0..m.width {
        for x in 0..m.width {
            if m.is_dark(x, y) {
                for dy in 0..scale {
                    let row = ((y + QUIET) * scale + dy) * side;
                    let from = row + (x + QUIET) * scale;
                    px[from..from + scale].fill(0);
                }
            }
        }
    }
    encode(side as u32, side as u32, png::ColorType::Grayscale, &px)
}

/// Pixels as PNG.
pub fn encode(width: u32, height: u32, color: png::ColorType, data: &[u8]) -> ApiResult<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(color);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut w = enc.write_header().map_err(ApiError::internal)?;
        w.write_image_data(data).map_err(ApiError::internal)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_svg_path_covers_exactly_the_dark_modules() {
        let m = Modules::of("http://shop.example/p/1?ch=moments").unwrap();
        let dark = m.dark.iter().filter(|d| **d).count();
        // Each rectangle is one row high; their widths add up to the dark modules.
        let widths: usize = m
            .svg_path(0, 0)
            .split('M')
            .filter(|s| !s.is_empty())
            .map(|s| s.split('h').nth(1).unwrap().split('v').next().unwrap().parse::<usize>().unwrap())
            .sum();
        assert_eq!(widths, dark);
        let png = png(&m, 360).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
