//! Share links, QR codes and posters (分享/海报), drawn by the server.
//!
//! A share link names what it opens (a product, a group, the buyer's invitation or a promoter's page) and carries
//! the core's share parameters (`core::social::channel`): the channel `ch`, the campaign `cp` and the promoter's
//! public code `pr`, which the storefront reads on landing for attribution. [`links::resolve`] makes the link
//! (and checks who may make it: a link naming a promoter is that promoter's own); [`qr`] draws it as a QR code
//! (SVG, or PNG without any image library); [`poster`] lays out a poster (the product's image or a placeholder,
//! title, price, the QR code and the shop's name) and draws it as SVG, and [`raster`] as PNG with a system font
//! (a CJK font when one is installed; without one, the glyphs no font has are left out and the rest is drawn).
//!
//! `api` holds the handlers; the storefront's pages show the poster and QR code under 分享/海报.

pub mod api;
pub mod links;
pub mod poster;
pub mod qr;
pub mod raster;

minimall_core::coded_enum! {
    /// Why a share link, QR code or poster was refused.
    pub enum ShareRefusal {
        IdNotTaken = "share.id_not_taken",
        NotYourCode = "share.not_your_code",
        NotPromoter = "share.not_promoter",
    }
}
