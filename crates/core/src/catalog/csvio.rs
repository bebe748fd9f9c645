//! Product CSV import and export, in the shape operators keep in Excel or WPS: one row per SKU, with the
//! product's own fields repeated on every row of that product.
//!
//! Import reports every problem it finds, each with its spreadsheet row and column, and returns only rows
//! without problems. Export writes UTF-8 with a BOM (so Excel opens Chinese text correctly) and Chinese
//! headers; what it writes imports back to the same rows.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;

use super::barcode::parse_gtin;
use super::image::parse_image_ref;
use super::spec::{self, parse_spec};
use super::{
    parse_code, Lifecycle, CATEGORY_DEPTH_MAX, CATEGORY_NAME_MAX, DESCRIPTION_MAX, IMAGES_MAX, PURCHASE_LIMIT_MAX,
    SKUS_MAX, STOCK_MAX, SUBTITLE_MAX, TAGS_MAX, TAG_MAX, TITLE_MAX, WEIGHT_MAX_G,
};
use crate::error::{count, Coded, Reason};
use crate::validate::display_text;
use crate::{FieldError, Money};

// ---- encoding ----------------------------------------------------------------------------------

/// How an uploaded file was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a byte order mark ("CSV UTF-8" from WPS, most tools).
    Utf8,
    /// UTF-8 with a byte order mark ("CSV UTF-8" from Excel, and our own export).
    Utf8Bom,
    /// GBK / GB18030 (plain "CSV" from Excel on Chinese Windows).
    Gbk,
}

/// Turn an uploaded file into text: a UTF-8 byte order mark is removed, valid UTF-8 is taken as it is, and
/// anything else is decoded as GBK (GB18030). Errors are on the field `file`. The caller bounds the size.
pub fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), FieldError> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FieldError::new("file", Reason::CsvUtf16));
    }
    if bytes.contains(&0) {
        return Err(FieldError::new("file", Reason::CsvBinary));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return match std::str::from_utf8(rest) {
            Ok(s) => Ok((s.to_string(), TextEncoding::Utf8Bom)),
            Err(e) => Err(FieldError::new("file", Reason::CsvBadUtf8 { byte: count(e.valid_up_to() + 3) })),
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), TextEncoding::Utf8));
    }
    match encoding_rs::GBK.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(s) => Ok((s.into_owned(), TextEncoding::Gbk)),
        None => Err(FieldError::new("file", Reason::CsvUnknownEncoding)),
    }
}

// ---- formulas ----------------------------------------------------------------------------------

/// Whether a spreadsheet would take a cell starting like `s` as a formula: `=`, `+`, `-`, `@`, tab or
/// carriage return first (OWASP's list for CSV injection).
fn starts_like_formula(s: &str) -> bool {
    s.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// A text cell as an export writes it: text a spreadsheet would run as a formula gets a leading `'`, so
/// Excel and WPS show it as text; text that already starts with `'` gets one too, so that
/// [`untext_cell`] gives back exactly the text. Numbers in numeric columns are written as they are.
pub fn text_cell(s: &str) -> Cow<'_, str> {
    if starts_like_formula(s) || s.starts_with('\'') {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Undo [`text_cell`]: a cell of `'` followed by a formula character or another `'` loses its first `'`.
/// Any other cell is left as it is (a lone leading `'` is text someone wrote).
pub fn untext_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest) || rest.starts_with('\'') => rest,
        _ => s,
    }
}

/// One text field of a hand-built CSV line: [`text_cell`], then quoted when it holds a comma, a quote or
/// a line break.
pub fn text_field(s: &str) -> String {
    let t = text_cell(s);
    if t.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t.into_owned()
    }
}

// ---- columns -----------------------------------------------------------------------------------

/// One CSV column: its English key, its Chinese header (either is accepted on import) and whether a file
/// must have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub key: &'static str,
    pub header_zh: &'static str,
    pub required: bool,
}

const fn col(key: &'static str, header_zh: &'static str, required: bool) -> Column {
    Column { key, header_zh, required }
}

/// Every column, in the order export writes them.
pub const COLUMNS: [Column; 22] = [
    col("product_code", "商品编码", true),
    col("title", "商品名称", true),
    col("subtitle", "副标题", false),
    col("category", "分类", true),
    col("tags", "标签", false),
    col("on_shelf", "上架", false),
    col("lifecycle", "生命周期", false),
    col("free_shipping", "包邮", false),
    col("earns_points", "送积分", false),
    col("coupons_usable", "可用券", false),
    col("purchase_limit", "限购", false),
    col("description", "商品描述", false),
    col("images", "图片", false),
    col("sku_code", "SKU编码", true),
    col("spec", "规格", false),
    col("barcode", "条码", false),
    col("stock", "库存", true),
    col("original_price", "划线价", true),
    col("sale_price", "售价", true),
    col("cost_price", "成本价", false),
    col("weight_g", "重量克", false),
    col("safety_stock", "安全库存", false),
];

const NCOL: usize = COLUMNS.len();

/// Indexes into [`COLUMNS`].
mod c {
    pub const PRODUCT_CODE: usize = 0;
    pub const TITLE: usize = 1;
    pub const SUBTITLE: usize = 2;
    pub const CATEGORY: usize = 3;
    pub const TAGS: usize = 4;
    pub const ON_SHELF: usize = 5;
    pub const LIFECYCLE: usize = 6;
    pub const FREE_SHIPPING: usize = 7;
    pub const EARNS_POINTS: usize = 8;
    pub const COUPONS_USABLE: usize = 9;
    pub const PURCHASE_LIMIT: usize = 10;
    pub const DESCRIPTION: usize = 11;
    pub const IMAGES: usize = 12;
    pub const SKU_CODE: usize = 13;
    pub const SPEC: usize = 14;
    pub const BARCODE: usize = 15;
    pub const STOCK: usize = 16;
    pub const ORIGINAL_PRICE: usize = 17;
    pub const SALE_PRICE: usize = 18;
    pub const COST_PRICE: usize = 19;
    pub const WEIGHT_G: usize = 20;
    pub const SAFETY_STOCK: usize = 21;
}

fn key(col: usize) -> &'static str {
    COLUMNS[col].key
}

/// The column a header names: the English key (any letter case) or the Chinese header.
fn column_for_header(h: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| c.key.eq_ignore_ascii_case(h) || c.header_zh.eq_ignore_ascii_case(h))
}

/// Spreadsheet column letters for a 0-based index: A, B, …, Z, AA, AB, …
fn column_letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

// ---- rows --------------------------------------------------------------------------------------

/// One SKU row of the file, checked. Product fields are repeated on every row of the product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Spreadsheet row number, the header being row 1. Ignored by [`write_products`].
    pub row: usize,
    pub product_code: String,
    pub title: String,
    /// Empty when not given.
    pub subtitle: String,
    /// Category names from the top level down, 1 to 3 levels (`食品/水果/橙子`).
    pub category_path: Vec<String>,
    pub tags: Vec<String>,
    pub on_shelf: bool,
    pub lifecycle: Lifecycle,
    pub free_shipping: bool,
    pub earns_points: bool,
    pub coupons_usable: bool,
    /// Per-buyer limit; 0 = none.
    pub purchase_limit: i64,
    /// As written in the file: the caller sanitises it like any other rich text before storing it.
    pub description: String,
    pub images: Vec<String>,
    pub sku_code: String,
    /// `(dimension name, value)` pairs in dimension order; empty for a product without specs.
    pub spec: Vec<(String, String)>,
    pub barcode: Option<String>,
    pub stock: i64,
    pub original_price: Money,
    pub sale_price: Money,
    pub cost_price: Money,
    pub weight_g: i64,
    pub safety_stock: i64,
}

/// Export takes the same rows that import gives; the `row` field is ignored.
pub type ExportRow = ImportRow;

/// A problem in the file, at a spreadsheet row (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    /// The column's English key. For an unknown header it is the header as written; for a problem with the
    /// whole row or file it is empty.
    pub column: String,
    pub reason: Reason,
}

impl RowError {
    pub fn new(row: usize, column: impl Into<String>, reason: Reason) -> Self {
        RowError { row, column: column.into(), reason }
    }

    fn from_field(row: usize, e: FieldError) -> Self {
        RowError { row, column: e.field, reason: e.reason }
    }
}

/// Written for logs: the row, the column and the code.
impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.column.is_empty() {
            write!(f, "row {}: {}", self.row, self.reason.code())
        } else {
            write!(f, "row {}, {}: {}", self.row, self.column, self.reason.code())
        }
    }
}

// ---- field parsers (errors name the column key) ------------------------------------------------

fn required(col: usize, s: &str) -> Result<&str, FieldError> {
    if s.is_empty() {
        Err(FieldError::new(key(col), Reason::Required))
    } else {
        Ok(s)
    }
}

fn optional_text(col: usize, s: &str, max: usize) -> Result<String, FieldError> {
    if s.is_empty() {
        Ok(String::new())
    } else {
        display_text(key(col), s, max)
    }
}

fn description(col: usize, s: &str) -> Result<String, FieldError> {
    if s.chars().count() > DESCRIPTION_MAX {
        return Err(FieldError::new(key(col), Reason::TooLong { max: count(DESCRIPTION_MAX) }));
    }
    if s.chars().any(|ch| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t')) {
        return Err(FieldError::new(key(col), Reason::ControlChars));
    }
    Ok(s.to_string())
}

fn category(col: usize, s: &str) -> Result<Vec<String>, FieldError> {
    let s = required(col, s)?;
    let levels: Vec<&str> = s.split('/').map(str::trim).collect();
    if levels.len() > CATEGORY_DEPTH_MAX {
        return Err(FieldError::new(
            key(col),
            Reason::CsvCategoryLevels { levels: count(levels.len()), max: count(CATEGORY_DEPTH_MAX) },
        ));
    }
    let mut out = Vec::with_capacity(levels.len());
    for l in levels {
        if l.is_empty() {
            return Err(FieldError::new(key(col), Reason::CsvCategoryEmptyLevel));
        }
        if l.chars().count() > CATEGORY_NAME_MAX {
            return Err(FieldError::new(
                key(col),
                Reason::CsvCategoryNameTooLong { name: l.to_string(), max: count(CATEGORY_NAME_MAX) },
            ));
        }
        if l.chars().any(char::is_control) {
            return Err(FieldError::new(key(col), Reason::ControlChars));
        }
        out.push(l.to_string());
    }
    Ok(out)
}

/// `a|b|c`: parts trimmed, empty parts skipped.
fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split('|').map(str::trim).filter(|p| !p.is_empty())
}

fn tags(col: usize, s: &str) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for t in split_list(s) {
        if t.chars().count() > TAG_MAX {
            return Err(FieldError::new(key(col), Reason::CsvTagTooLong { tag: t.to_string(), max: count(TAG_MAX) }));
        }
        if t.chars().any(char::is_control) {
            return Err(FieldError::new(key(col), Reason::ControlChars));
        }
        // A repeated tag is dropped, as the console does.
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > TAGS_MAX {
        return Err(FieldError::new(
            key(col),
            Reason::CsvTagsTooMany { count: count(out.len()), max: count(TAGS_MAX) },
        ));
    }
    Ok(out)
}

fn images(col: usize, s: &str, cdn_hosts: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out = Vec::new();
    for (i, u) in split_list(s).enumerate() {
        let u = parse_image_ref(key(col), u, cdn_hosts).map_err(|e| {
            FieldError::new(
                e.field,
                Reason::CsvImage { index: count(i + 1), url: u.to_string(), reason: Box::new(e.reason) },
            )
        })?;
        out.push(u);
    }
    if out.len() > IMAGES_MAX {
        return Err(FieldError::new(
            key(col),
            Reason::CsvImagesTooMany { count: count(out.len()), max: count(IMAGES_MAX) },
        ));
    }
    Ok(out)
}

const TRUE_WORDS: [&str; 6] = ["是", "1", "true", "上架", "yes", "y"];
const FALSE_WORDS: [&str; 6] = ["否", "0", "false", "下架", "no", "n"];

fn boolean(col: usize, s: &str, default: bool) -> Result<bool, FieldError> {
    if s.is_empty() {
        Ok(default)
    } else if TRUE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Ok(true)
    } else if FALSE_WORDS.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        Ok(false)
    } else {
        Err(FieldError::new(key(col), Reason::NotYesNo { value: s.to_string() }))
    }
}

/// A whole number in `0..=max`; `default` when empty, or required when there is none.
fn int(col: usize, s: &str, max: i64, default: Option<i64>) -> Result<i64, FieldError> {
    if s.is_empty() {
        return default.ok_or_else(|| FieldError::new(key(col), Reason::Required));
    }
    let bad = || FieldError::new(key(col), Reason::NotWholeNumber { value: s.to_string(), max });
    if s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: i64 = s.parse().map_err(|_| bad())?;
    if n > max {
        return Err(bad());
    }
    Ok(n)
}

fn money(col: usize, s: &str, default: Option<Money>) -> Result<Money, FieldError> {
    if s.is_empty() {
        return default.ok_or_else(|| FieldError::new(key(col), Reason::Required));
    }
    Money::parse_yuan(key(col), s)
}

fn lifecycle(col: usize, s: &str) -> Result<Lifecycle, FieldError> {
    if s.is_empty() {
        Ok(Lifecycle::New)
    } else {
        Lifecycle::parse(key(col), s)
    }
}

fn barcode(col: usize, s: &str) -> Result<Option<String>, FieldError> {
    if s.is_empty() {
        Ok(None)
    } else {
        parse_gtin(key(col), s).map(Some)
    }
}

// ---- reading -----------------------------------------------------------------------------------

/// The trimmed cells of one record, looked up by column through the header's positions.
struct Cells<'a> {
    rec: &'a csv::StringRecord,
    pos: &'a [Option<usize>; NCOL],
}

impl Cells<'_> {
    fn get(&self, col: usize) -> &str {
        self.pos[col].and_then(|i| self.rec.get(i)).map_or("", |s| untext_cell(s.trim()))
    }
}

/// Keep a parsed value, or record its error.
fn keep<T>(row: usize, errors: &mut Vec<RowError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(RowError::from_field(row, e))).ok()
}

/// Check one record on its own. Returns the SKU code when that cell alone is valid (for the file-wide
/// duplicate check) and the row when the whole record is valid.
fn parse_row(
    row: usize,
    cells: &Cells<'_>,
    cdn_hosts: &[String],
    errors: &mut Vec<RowError>,
) -> (Option<String>, Option<ImportRow>) {
    let before = errors.len();
    let g = |col| cells.get(col);
    let product_code = keep(
        row,
        errors,
        required(c::PRODUCT_CODE, g(c::PRODUCT_CODE)).and_then(|s| parse_code(key(c::PRODUCT_CODE), s)),
    );
    let title =
        keep(row, errors, required(c::TITLE, g(c::TITLE)).and_then(|s| display_text(key(c::TITLE), s, TITLE_MAX)));
    let subtitle = keep(row, errors, optional_text(c::SUBTITLE, g(c::SUBTITLE), SUBTITLE_MAX));
    let category_path = keep(row, errors, category(c::CATEGORY, g(c::CATEGORY)));
    let tags = keep(row, errors, tags(c::TAGS, g(c::TAGS)));
    let on_shelf = keep(row, errors, boolean(c::ON_SHELF, g(c::ON_SHELF), false));
    let lifecycle = keep(row, errors, lifecycle(c::LIFECYCLE, g(c::LIFECYCLE)));
    let free_shipping = keep(row, errors, boolean(c::FREE_SHIPPING, g(c::FREE_SHIPPING), false));
    let earns_points = keep(row, errors, boolean(c::EARNS_POINTS, g(c::EARNS_POINTS), true));
    let coupons_usable = keep(row, errors, boolean(c::COUPONS_USABLE, g(c::COUPONS_USABLE), true));
    let purchase_limit = keep(row, errors, int(c::PURCHASE_LIMIT, g(c::PURCHASE_LIMIT), PURCHASE_LIMIT_MAX, Some(0)));
    let description = keep(row, errors, description(c::DESCRIPTION, g(c::DESCRIPTION)));
    let images = keep(row, errors, images(c::IMAGES, g(c::IMAGES), cdn_hosts));
    let sku_code =
        keep(row, errors, required(c::SKU_CODE, g(c::SKU_CODE)).and_then(|s| parse_code(key(c::SKU_CODE), s)));
    let spec = keep(row, errors, parse_spec(key(c::SPEC), g(c::SPEC)));
    let barcode = keep(row, errors, barcode(c::BARCODE, g(c::BARCODE)));
    let stock = keep(row, errors, int(c::STOCK, g(c::STOCK), STOCK_MAX, None));
    let original_price = keep(row, errors, money(c::ORIGINAL_PRICE, g(c::ORIGINAL_PRICE), None));
    let sale_price = keep(row, errors, money(c::SALE_PRICE, g(c::SALE_PRICE), None));
    let cost_price = keep(row, errors, money(c::COST_PRICE, g(c::COST_PRICE), Some(Money::ZERO)));
    let weight_g = keep(row, errors, int(c::WEIGHT_G, g(c::WEIGHT_G), WEIGHT_MAX_G, Some(0)));
    let safety_stock = keep(row, errors, int(c::SAFETY_STOCK, g(c::SAFETY_STOCK), STOCK_MAX, Some(0)));
    if let (Some(o), Some(s)) = (original_price, sale_price) {
        if s > o {
            errors.push(RowError::new(
                row,
                key(c::SALE_PRICE),
                Reason::CsvSaleAboveOriginal { sale_fen: s, original_fen: o },
            ));
        }
    }
    if cost_price.is_some_and(Money::is_negative) {
        errors.push(RowError::new(row, key(c::COST_PRICE), Reason::Negative));
    }
    let code = sku_code.clone();
    if errors.len() != before {
        return (code, None);
    }
    let r = (|| {
        Some(ImportRow {
            row,
            product_code: product_code?,
            title: title?,
            subtitle: subtitle?,
            category_path: category_path?,
            tags: tags?,
            on_shelf: on_shelf?,
            lifecycle: lifecycle?,
            free_shipping: free_shipping?,
            earns_points: earns_points?,
            coupons_usable: coupons_usable?,
            purchase_limit: purchase_limit?,
            description: description?,
            images: images?,
            sku_code: sku_code?,
            spec: spec?,
            barcode: barcode?,
            stock: stock?,
            original_price: original_price?,
            sale_price: sale_price?,
            cost_price: cost_price?,
            weight_g: weight_g?,
            safety_stock: safety_stock?,
        })
    })();
    (code, r)
}

/// The first product-level column on which two rows of one product disagree.
fn product_difference(a: &ImportRow, b: &ImportRow) -> Option<usize> {
    [
        (a.title != b.title, c::TITLE),
        (a.subtitle != b.subtitle, c::SUBTITLE),
        (a.category_path != b.category_path, c::CATEGORY),
        (a.tags != b.tags, c::TAGS),
        (a.on_shelf != b.on_shelf, c::ON_SHELF),
        (a.lifecycle != b.lifecycle, c::LIFECYCLE),
        (a.free_shipping != b.free_shipping, c::FREE_SHIPPING),
        (a.earns_points != b.earns_points, c::EARNS_POINTS),
        (a.coupons_usable != b.coupons_usable, c::COUPONS_USABLE),
        (a.purchase_limit != b.purchase_limit, c::PURCHASE_LIMIT),
        (a.description != b.description, c::DESCRIPTION),
        (a.images != b.images, c::IMAGES),
    ]
    .into_iter()
    .find_map(|(differs, col)| differs.then_some(col))
}

/// What the accepted rows of one product have established so far.
struct ProductSoFar {
    /// Index of the product's first accepted row in the output.
    first: usize,
    dim_names: Vec<String>,
    /// Values seen per dimension, in order of appearance.
    values: Vec<Vec<String>>,
    /// Spec combination → row that has it.
    combos: HashMap<Vec<String>, usize>,
    skus: usize,
}

fn spec_names(r: &ImportRow) -> impl Iterator<Item = &str> {
    r.spec.iter().map(|(n, _)| n.as_str())
}

fn names_text(r: &ImportRow) -> String {
    if r.spec.is_empty() {
        "—".to_string()
    } else {
        spec_names(r).collect::<Vec<_>>().join(", ")
    }
}

/// Rules between rows of one product. Pushes errors and returns whether the row is accepted; an accepted
/// row is recorded in `p`.
fn check_against_product(p: &mut ProductSoFar, first: &ImportRow, r: &ImportRow, errors: &mut Vec<RowError>) -> bool {
    let before = errors.len();
    if let Some(col) = product_difference(first, r) {
        errors.push(RowError::new(
            r.row,
            key(col),
            Reason::CsvProductDiffers { row: count(first.row), product: r.product_code.clone() },
        ));
    }
    let values: Vec<String> = r.spec.iter().map(|(_, v)| v.clone()).collect();
    if !spec_names(r).eq(p.dim_names.iter().map(String::as_str)) {
        errors.push(RowError::new(
            r.row,
            key(c::SPEC),
            Reason::CsvSpecDimsDiffer {
                dims: names_text(r),
                row: count(first.row),
                other_dims: names_text(first),
                product: r.product_code.clone(),
            },
        ));
    } else if let Some(&other) = p.combos.get(&values) {
        let reason = if values.is_empty() {
            Reason::CsvNoSpecOneSku { product: r.product_code.clone(), row: count(other) }
        } else {
            Reason::CsvSameSpecAsRow { row: count(other), product: r.product_code.clone() }
        };
        errors.push(RowError::new(r.row, key(c::SPEC), reason));
    } else {
        for ((name, v), seen) in r.spec.iter().zip(&p.values) {
            if seen.len() >= spec::DIM_VALUES_MAX && !seen.contains(v) {
                errors.push(RowError::new(
                    r.row,
                    key(c::SPEC),
                    Reason::CsvDimTooManyValues {
                        dim: name.clone(),
                        product: r.product_code.clone(),
                        max: count(spec::DIM_VALUES_MAX),
                    },
                ));
            }
        }
    }
    if p.skus >= SKUS_MAX {
        errors.push(RowError::new(
            r.row,
            key(c::SKU_CODE),
            Reason::CsvProductTooManySkus { product: r.product_code.clone(), max: count(SKUS_MAX) },
        ));
    }
    if errors.len() != before {
        return false;
    }
    for ((_, v), seen) in r.spec.iter().zip(p.values.iter_mut()) {
        if !seen.contains(v) {
            seen.push(v.clone());
        }
    }
    p.combos.insert(values, r.row);
    p.skus += 1;
    true
}

/// Counts spreadsheet rows. A record's row is its first line in the file, less the line breaks inside
/// quoted cells of earlier records (a cell with line breaks is still one spreadsheet row). Blank lines
/// count, as they do when the file is opened in a spreadsheet.
struct RowCounter<'a> {
    bytes: &'a [u8],
    /// Byte offset up to which line breaks have been counted.
    cursor: usize,
    breaks: usize,
    inside_cells: usize,
}

/// Line breaks in `b`: `\n`, `\r\n` and a lone `\r`.
fn line_breaks(b: &[u8]) -> usize {
    let mut n = 0;
    for (i, &x) in b.iter().enumerate() {
        if x == b'\n' || (x == b'\r' && b.get(i + 1) != Some(&b'\n')) {
            n += 1;
        }
    }
    n
}

impl RowCounter<'_> {
    fn row_of(&mut self, rec: &csv::StringRecord) -> usize {
        let mut start = rec.position().map_or(self.cursor, |p| p.byte() as usize).clamp(self.cursor, self.bytes.len());
        // Reading resumes right after the previous record; blank lines the reader skipped come first.
        while start < self.bytes.len() && matches!(self.bytes[start], b'\n' | b'\r') {
            start += 1;
        }
        self.breaks += line_breaks(&self.bytes[self.cursor..start]);
        self.cursor = start;
        let row = self.breaks + 1 - self.inside_cells;
        self.inside_cells += rec.iter().map(|f| line_breaks(f.as_bytes())).sum::<usize>();
        row
    }
}

fn is_blank(rec: &csv::StringRecord) -> bool {
    rec.iter().all(|f| f.trim().is_empty())
}

/// Whether the header (the first non-blank row) of a product CSV names column `col` (an index of
/// [`COLUMNS`]).
pub fn has_column(text: &str, col: usize) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rec = csv::StringRecord::new();
    while let Ok(true) = rdr.read_record(&mut rec) {
        if !is_blank(&rec) {
            return rec.iter().any(|h| column_for_header(h.trim()) == Some(col));
        }
    }
    false
}

/// Parse a product CSV (text from [`decode`]). The first non-blank row is the header, naming columns by
/// English key or Chinese header in any order; blank rows are skipped. Returns the rows without problems,
/// in file order, and every problem found, in file order.
///
/// A header problem (unknown, repeated or missing required column) stops there. Otherwise each row is
/// checked on its own, then against the file: a SKU code may appear once; the rows of one product code must
/// agree on the product fields, use the same spec dimensions in the same order, not repeat a spec, and
/// number at most [`SKUS_MAX`]. Rows of one product need not be adjacent. The first accepted row of a
/// product is the reference the others are compared with. A cell that an export neutralised with a leading
/// `'` (see [`text_cell`]) is read without it. Images must pass [`parse_image_ref`] with `cdn_hosts`.
pub fn parse_products(text: &str, cdn_hosts: &[String]) -> (Vec<ImportRow>, Vec<RowError>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows: Vec<ImportRow> = Vec::new();
    let mut errors: Vec<RowError> = Vec::new();
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut counter = RowCounter { bytes: text.as_bytes(), cursor: 0, breaks: 0, inside_cells: 0 };
    let mut rec = csv::StringRecord::new();

    // Header.
    let header_row = loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {
                let row = counter.row_of(&rec);
                if !is_blank(&rec) {
                    break row;
                }
            }
            Ok(false) => {
                errors.push(RowError::new(1, "", Reason::CsvEmpty));
                return (rows, errors);
            }
            Err(_) => {
                errors.push(RowError::new(1, "", Reason::CsvUnreadable));
                return (rows, errors);
            }
        }
    };
    let width = rec.len();
    let mut pos: [Option<usize>; NCOL] = [None; NCOL];
    let mut unnamed: Vec<usize> = Vec::new();
    for (i, h) in rec.iter().enumerate() {
        let h = h.trim_matches(|ch: char| ch.is_whitespace() || ch == '\u{feff}');
        if h.is_empty() {
            unnamed.push(i);
            continue;
        }
        match column_for_header(h) {
            Some(col) if pos[col].is_some() => errors.push(RowError::new(
                header_row,
                key(col),
                Reason::CsvColumnTwice {
                    header: COLUMNS[col].header_zh.to_string(),
                    column: COLUMNS[col].key.to_string(),
                },
            )),
            Some(col) => pos[col] = Some(i),
            None => errors.push(RowError::new(
                header_row,
                h,
                Reason::CsvUnknownColumn { header: h.to_string(), letter: column_letters(i) },
            )),
        }
    }
    for (col, c) in COLUMNS.iter().enumerate() {
        if c.required && pos[col].is_none() {
            errors.push(RowError::new(
                header_row,
                c.key,
                Reason::CsvMissingColumn { header: c.header_zh.to_string(), column: c.key.to_string() },
            ));
        }
    }
    if !errors.is_empty() {
        return (rows, errors);
    }

    // Data rows.
    let mut sku_rows: HashMap<String, usize> = HashMap::new();
    let mut products: HashMap<String, ProductSoFar> = HashMap::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let row = e.position().map_or(0, |p| p.line() as usize);
                errors.push(RowError::new(row, "", Reason::CsvUnreadable));
                break;
            }
        }
        let row = counter.row_of(&rec);
        if is_blank(&rec) {
            continue;
        }
        if rec.len() != width {
            errors.push(RowError::new(row, "", Reason::CsvCellCount { cells: count(rec.len()), width: count(width) }));
            continue;
        }
        let before = errors.len();
        for &i in &unnamed {
            if !rec[i].trim().is_empty() {
                errors.push(RowError::new(row, "", Reason::CsvCellWithoutHeader { letter: column_letters(i) }));
            }
        }
        let (sku_code, parsed) = parse_row(row, &Cells { rec: &rec, pos: &pos }, cdn_hosts, &mut errors);
        if let Some(code) = sku_code {
            match sku_rows.entry(code) {
                Entry::Occupied(e) => errors.push(RowError::new(
                    row,
                    key(c::SKU_CODE),
                    Reason::CsvSkuCodeTaken { code: e.key().clone(), row: count(*e.get()) },
                )),
                Entry::Vacant(e) => {
                    e.insert(row);
                }
            }
        }
        let Some(r) = parsed else { continue };
        if errors.len() != before {
            continue;
        }
        match products.get_mut(&r.product_code) {
            Some(p) => {
                if check_against_product(p, &rows[p.first], &r, &mut errors) {
                    rows.push(r);
                }
            }
            None => {
                let values: Vec<String> = r.spec.iter().map(|(_, v)| v.clone()).collect();
                let p = ProductSoFar {
                    first: rows.len(),
                    dim_names: r.spec.iter().map(|(n, _)| n.clone()).collect(),
                    values: values.iter().map(|v| vec![v.clone()]).collect(),
                    combos: HashMap::from([(values, r.row)]),
                    skus: 1,
                };
                products.insert(r.product_code.clone(), p);
                rows.push(r);
            }
        }
    }
    (rows, errors)
}

// ---- writing -----------------------------------------------------------------------------------

fn yes_no(b: bool) -> &'static str {
    if b {
        "是"
    } else {
        "否"
    }
}

fn export_cells(r: &ImportRow) -> [String; NCOL] {
    let names: Vec<String> = r.spec.iter().map(|(n, _)| n.clone()).collect();
    let values: Vec<String> = r.spec.iter().map(|(_, v)| v.clone()).collect();
    let text = |s: &str| text_cell(s).into_owned();
    [
        text(&r.product_code),
        text(&r.title),
        text(&r.subtitle),
        text(&r.category_path.join("/")),
        text(&r.tags.join("|")),
        yes_no(r.on_shelf).to_string(),
        r.lifecycle.label_zh().to_string(),
        yes_no(r.free_shipping).to_string(),
        yes_no(r.earns_points).to_string(),
        yes_no(r.coupons_usable).to_string(),
        r.purchase_limit.to_string(),
        text(&r.description),
        text(&r.images.join("|")),
        text(&r.sku_code),
        text(&spec::format_spec(&names, &values)),
        text(r.barcode.as_deref().unwrap_or_default()),
        r.stock.to_string(),
        r.original_price.to_yuan_string(),
        r.sale_price.to_yuan_string(),
        r.cost_price.to_yuan_string(),
        r.weight_g.to_string(),
        r.safety_stock.to_string(),
    ]
}

/// Write rows as a CSV file: UTF-8 with a BOM, CRLF line ends, the Chinese headers of [`COLUMNS`] on the
/// first row and one row per SKU after it. Booleans are 是/否, the lifecycle its Chinese label, prices yuan
/// with two decimals, lists joined with `|`, the spec as `颜色:红;尺码:M`. Text cells go through
/// [`text_cell`], so none of them is a live formula in a spreadsheet; numbers are written as numbers. The
/// `row` field is ignored.
pub fn write_products(rows: &[ImportRow]) -> String {
    write_products_without(rows, &[])
}

/// The index in [`COLUMNS`] of the column with English key `key`.
pub fn column_index(key: &str) -> Option<usize> {
    COLUMNS.iter().position(|c| c.key == key)
}

/// [`write_products`] without the columns `omit` (indexes of [`COLUMNS`]).
pub fn write_products_without(rows: &[ImportRow], omit: &[usize]) -> String {
    let keep = |i: &usize| !omit.contains(i);
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::with_capacity(
        256 + rows.iter().map(|r| 128 + r.title.len() + r.description.len()).sum::<usize>(),
    ));
    // Writing into memory cannot fail.
    w.write_record(COLUMNS.iter().enumerate().filter(|(i, _)| keep(i)).map(|(_, c)| c.header_zh))
        .expect("write to memory");
    for r in rows {
        let cells = export_cells(r);
        w.write_record(cells.iter().enumerate().filter(|(i, _)| keep(i)).map(|(_, c)| c)).expect("write to memory");
    }
    let bytes = w.into_inner().expect("write to memory");
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('\u{feff}');
    out.push_str(std::str::from_utf8(&bytes).expect("CSV of UTF-8 text is UTF-8"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// CDN hosts the fixtures' https images are on.
    fn cdn() -> Vec<String> {
        vec!["img.example.com".to_string()]
    }

    fn parse_products(text: &str) -> (Vec<ImportRow>, Vec<RowError>) {
        super::parse_products(text, &cdn())
    }

    const FULL_HEADER_ZH: &str = "商品编码,商品名称,副标题,分类,标签,上架,生命周期,包邮,送积分,可用券,限购,商品描述,图片,SKU编码,规格,条码,库存,划线价,售价,成本价,重量克,安全库存";

    /// A two-SKU product with every column filled, under the Chinese headers.
    fn orange_csv() -> String {
        [
            FULL_HEADER_ZH,
            "P001,赣南脐橙,当季鲜果,食品/水果/橙子,新品|热卖,是,成长,是,否,是,2,\"甜, \"\"多汁\"\"\",https://img.example.com/a.jpg|/uploads/b.jpg,P001-5,重量:5斤,6901234567892,100,59.90,39.9,20,2500,10",
            "P001,赣南脐橙,当季鲜果,食品/水果/橙子,新品|热卖,上架,growing,1,0,true,2,\"甜, \"\"多汁\"\"\",https://img.example.com/a.jpg|/uploads/b.jpg,P001-10,重量:10斤,,50,99,79,,,",
        ]
        .join("\r\n")
    }

    fn orange_rows() -> Vec<ImportRow> {
        let first = ImportRow {
            row: 2,
            product_code: "P001".into(),
            title: "赣南脐橙".into(),
            subtitle: "当季鲜果".into(),
            category_path: vec!["食品".into(), "水果".into(), "橙子".into()],
            tags: vec!["新品".into(), "热卖".into()],
            on_shelf: true,
            lifecycle: Lifecycle::Growing,
            free_shipping: true,
            earns_points: false,
            coupons_usable: true,
            purchase_limit: 2,
            description: "甜, \"多汁\"".into(),
            images: vec!["https://img.example.com/a.jpg".into(), "/uploads/b.jpg".into()],
            sku_code: "P001-5".into(),
            spec: vec![("重量".into(), "5斤".into())],
            barcode: Some("6901234567892".into()),
            stock: 100,
            original_price: Money::from_fen(5990),
            sale_price: Money::from_fen(3990),
            cost_price: Money::from_fen(2000),
            weight_g: 2500,
            safety_stock: 10,
        };
        let second = ImportRow {
            row: 3,
            sku_code: "P001-10".into(),
            spec: vec![("重量".into(), "10斤".into())],
            barcode: None,
            stock: 50,
            original_price: Money::from_fen(9900),
            sale_price: Money::from_fen(7900),
            cost_price: Money::ZERO,
            weight_g: 0,
            safety_stock: 0,
            ..first.clone()
        };
        vec![first, second]
    }

    /// Short files under English headers: product, title, category, SKU, spec, barcode, stock, prices.
    const H: &str = "product_code,title,category,sku_code,spec,barcode,stock,original_price,sale_price";

    fn file(lines: &[&str]) -> String {
        let mut s = H.to_string();
        for l in lines {
            s.push('\n');
            s.push_str(l);
        }
        s
    }

    fn where_(errors: &[RowError]) -> Vec<(usize, &str)> {
        errors.iter().map(|e| (e.row, e.column.as_str())).collect()
    }

    fn row_numbers(rows: &[ImportRow]) -> Vec<usize> {
        rows.iter().map(|r| r.row).collect()
    }

    // ---- decode ----

    #[test]
    fn export_without_cost_reads_back_without_the_column() {
        let rows = vec![orange_rows()[0].clone()];
        let full = write_products(&rows);
        let text = write_products_without(&rows, &[c::COST_PRICE]);
        assert!(has_column(&full, c::COST_PRICE));
        assert!(!has_column(&text, c::COST_PRICE));
        assert!(!text.contains("成本价") && !text.contains("20.00"));
        let (back, errors) = parse_products(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back[0].cost_price, Money::ZERO);
        assert_eq!(back[0].sale_price, rows[0].sale_price);
    }

    #[test]
    fn decodes_plain_utf8() {
        let (text, enc) = decode(orange_csv().as_bytes()).unwrap();
        assert_eq!(enc, TextEncoding::Utf8);
        assert_eq!(text, orange_csv());
        let (rows, errors) = parse_products(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows, orange_rows());
    }

    #[test]
    fn decodes_utf8_with_bom() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(orange_csv().as_bytes());
        let (text, enc) = decode(&bytes).unwrap();
        assert_eq!(enc, TextEncoding::Utf8Bom);
        assert!(!text.starts_with('\u{feff}'));
        let (rows, errors) = parse_products(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows, orange_rows());
        // text that still carries the BOM parses the same
        let (rows, errors) = parse_products(&format!("\u{feff}{}", orange_csv()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows, orange_rows());
    }

    #[test]
    fn decodes_gbk() {
        let text = orange_csv();
        let (bytes, _, had_errors) = encoding_rs::GBK.encode(&text);
        assert!(!had_errors);
        assert!(std::str::from_utf8(&bytes).is_err(), "the GBK bytes are not UTF-8");
        let (decoded, enc) = decode(&bytes).unwrap();
        assert_eq!(enc, TextEncoding::Gbk);
        assert_eq!(decoded, text);
        let (rows, errors) = parse_products(&decoded);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows, orange_rows());
    }

    #[test]
    fn decode_refuses_what_is_not_text() {
        for bad in
            [&b"abc\x81\x20def"[..], &b"\xff\xfe\x00a"[..], &b"a,b\x00"[..], &b"\xef\xbb\xbfab\xffcd"[..], &[0xFF]]
        {
            let e = decode(bad).unwrap_err();
            assert_eq!(e.field, "file", "{bad:?}");
        }
        assert_eq!(decode(&[0xFF, 0xFE, b'a', 0]).unwrap_err().reason, Reason::CsvUtf16);
        assert_eq!(decode(b"").unwrap(), (String::new(), TextEncoding::Utf8));
    }

    // ---- headers ----

    #[test]
    fn english_headers_in_any_order_with_defaults() {
        let text = "Sale_Price,sku_code,title,PRODUCT_CODE,category,original_price,stock\n9.9,S1,橙子,P1,水果,12,5\n";
        let (rows, errors) = parse_products(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            rows,
            vec![ImportRow {
                row: 2,
                product_code: "P1".into(),
                title: "橙子".into(),
                subtitle: String::new(),
                category_path: vec!["水果".into()],
                tags: vec![],
                on_shelf: false,
                lifecycle: Lifecycle::New,
                free_shipping: false,
                earns_points: true,
                coupons_usable: true,
                purchase_limit: 0,
                description: String::new(),
                images: vec![],
                sku_code: "S1".into(),
                spec: vec![],
                barcode: None,
                stock: 5,
                original_price: Money::from_fen(1200),
                sale_price: Money::from_fen(990),
                cost_price: Money::ZERO,
                weight_g: 0,
                safety_stock: 0,
            }]
        );
    }

    #[test]
    fn mixed_language_headers() {
        let text = "商品编码,title,分类,sku编码,stock,划线价,售价, 送积分 \nP1,橙子,水果,S1,5,12,9.9,否\n";
        let (rows, errors) = parse_products(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 1);
        assert!(!rows[0].earns_points);
    }

    #[test]
    fn header_problems_are_reported_at_row_1() {
        let (rows, errors) = parse_products("商品编码,商品名称,颜色,product_code,SKU编码\nP1,橙子,红,P1,S1\n");
        assert!(rows.is_empty());
        let got: Vec<(usize, &str)> = where_(&errors);
        assert_eq!(
            got,
            [(1, "颜色"), (1, "product_code"), (1, "category"), (1, "stock"), (1, "original_price"), (1, "sale_price")]
        );
        assert_eq!(errors[0].reason, Reason::CsvUnknownColumn { header: "颜色".into(), letter: "C".into() });
        assert!(matches!(errors[1].reason, Reason::CsvColumnTwice { .. }), "{:?}", errors[1]);
        assert!(matches!(&errors[2].reason, Reason::CsvMissingColumn { header, .. } if header == "分类"));
    }

    #[test]
    fn empty_files() {
        for text in ["", "\n\n", "\u{feff}", " , ,\n"] {
            let (rows, errors) = parse_products(text);
            assert!(rows.is_empty());
            assert_eq!(where_(&errors), [(1, "")], "{text:?}");
        }
        // a header alone is a valid file with no rows
        let (rows, errors) = parse_products(H);
        assert!(rows.is_empty() && errors.is_empty());
    }

    #[test]
    fn unnamed_columns_must_stay_empty() {
        let text = format!("{H},,\nP1,橙子,水果,S1,,,5,12,9.9,,\nP2,橙子,水果,S2,,,5,12,9.9,,备注\n");
        let (rows, errors) = parse_products(&text);
        assert_eq!(row_numbers(&rows), [2]);
        assert_eq!(where_(&errors), [(3, "")]);
        assert_eq!(errors[0].reason, Reason::CsvCellWithoutHeader { letter: "K".into() });
    }

    // ---- rows ----

    #[test]
    fn three_bad_rows_are_reported_and_left_out() {
        let text = file(&[
            "P1,橙子,水果,P1-S,,6901234567892,10,12,9.9",
            "P2,苹果,水果,P2-S,,6901234567893,10,12,9.9", // wrong check digit
            "P3,香蕉,水果,P3-S,,,10,12,9.9",
            "P4,,水果,P4-S,,,10,12,9.9",          // no title
            "P5,梨,水果,P5-S,,,10,12,12.01",      // sale above original
            "P6,桃,水果/核果,P6-S,,,10,12.00,12", // equal prices are fine
        ]);
        let (rows, errors) = parse_products(&text);
        assert_eq!(where_(&errors), [(3, "barcode"), (5, "title"), (6, "sale_price")]);
        assert_eq!(errors[0].reason, Reason::BarcodeCheckDigit { expected: 2, found: 3 });
        assert_eq!(errors[1].reason, Reason::Required);
        assert_eq!(
            errors[2].reason,
            Reason::CsvSaleAboveOriginal { sale_fen: Money::from_fen(1201), original_fen: Money::from_fen(1200) }
        );
        assert_eq!(row_numbers(&rows), [2, 4, 7]);
        assert!(rows.iter().all(|r| !["P2", "P4", "P5"].contains(&r.product_code.as_str())));
    }

    #[test]
    fn every_problem_of_a_row_is_reported() {
        let text = format!(
            "{FULL_HEADER_ZH}\n红色,{},,食品/水果/橙子/脐橙,a|b|c|d|e|f|g|h|i|j|k,也许,old,2,x,否否,10001,,ftp://x,,颜色,69,-1,12.345,abc,-3,1000001,1.5\n",
            "标".repeat(61)
        );
        let (rows, errors) = parse_products(&text);
        assert!(rows.is_empty());
        let cols: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(
            cols,
            [
                "product_code",
                "title",
                "category",
                "tags",
                "on_shelf",
                "lifecycle",
                "free_shipping",
                "earns_points",
                "coupons_usable",
                "purchase_limit",
                "images",
                "sku_code",
                "spec",
                "barcode",
                "stock",
                "original_price",
                "sale_price",
                "cost_price",
                "weight_g",
                "safety_stock",
            ]
        );
        assert!(errors.iter().all(|e| e.row == 2));
    }

    #[test]
    fn field_rules() {
        let one = |cells: &str| {
            let (rows, errors) = parse_products(&file(&[cells]));
            (rows, errors.into_iter().map(|e| (e.column, e.reason)).collect::<Vec<_>>())
        };
        // codes
        assert_eq!(one("P 1,橙子,水果,S1,,,1,2,1").1[0].0, "product_code");
        assert_eq!(one(&format!("P1,橙子,水果,{},,,1,2,1", "S".repeat(65))).1[0].0, "sku_code");
        // category levels
        assert_eq!(one("P1,橙子, 食品 / 水果 ,S1,,,1,2,1").0[0].category_path, ["食品", "水果"]);
        assert_eq!(one("P1,橙子,食品//橙子,S1,,,1,2,1").1[0].0, "category");
        assert_eq!(one("P1,橙子,,S1,,,1,2,1").1[0], ("category".to_string(), Reason::Required));
        // stock bounds
        assert_eq!(one("P1,橙子,水果,S1,,,100000000,2,1").0[0].stock, STOCK_MAX);
        assert_eq!(one("P1,橙子,水果,S1,,,100000001,2,1").1[0].0, "stock");
        assert_eq!(one("P1,橙子,水果,S1,,,1.0,2,1").1[0].0, "stock");
        assert_eq!(one("P1,橙子,水果,S1,,,,2,1").1[0], ("stock".to_string(), Reason::Required));
        // prices as operators type them
        let r = &one("P1,橙子,水果,S1,,,1,¥12.5,￥0.07").0[0];
        assert_eq!((r.original_price.fen(), r.sale_price.fen()), (1250, 7));
        assert_eq!(one("P1,橙子,水果,S1,,,1,-2,1").1[0].0, "original_price");
        // spec text
        let r = &one("P1,橙子,水果,S1,颜色：红；尺码:M,,1,2,1").0[0];
        assert_eq!(r.spec, [("颜色".to_string(), "红".to_string()), ("尺码".to_string(), "M".to_string())]);
        assert_eq!(one("P1,橙子,水果,S1,红,,1,2,1").1[0].0, "spec");
    }

    #[test]
    fn booleans_and_lifecycle() {
        let text = "product_code,title,category,sku_code,stock,original_price,sale_price,on_shelf,free_shipping,earns_points,coupons_usable,lifecycle\n\
            P1,t,c,S1,1,1,1,上架,YES,n,FALSE,成熟\n\
            P2,t,c,S2,1,1,1,下架,True,0,是,Declining\n\
            P3,t,c,S3,1,1,1,,,,,\n";
        let (rows, errors) = parse_products(text);
        assert!(errors.is_empty(), "{errors:?}");
        let flags: Vec<_> =
            rows.iter().map(|r| (r.on_shelf, r.free_shipping, r.earns_points, r.coupons_usable, r.lifecycle)).collect();
        assert_eq!(
            flags,
            [
                (true, true, false, false, Lifecycle::Mature),
                (false, true, false, true, Lifecycle::Declining),
                (false, false, true, true, Lifecycle::New),
            ]
        );
    }

    #[test]
    fn tags_and_images() {
        let text = "product_code,title,category,sku_code,stock,original_price,sale_price,tags,images\n\
            P1,t,c,S1,1,1,1, a | b || a ,/uploads/x.png| https://img.example.com/y.jpg \n\
            P2,t,c,S2,1,1,1,a|b|c|d|e|f|g|h|i|j|k,\n\
            P3,t,c,S3,1,1,1,,/uploads/a.jpg|javascript:alert(1)\n\
            P4,t,c,S4,1,1,1,,/uploads/1|/uploads/2|/uploads/3|/uploads/4|/uploads/5|/uploads/6|/uploads/7|/uploads/8|/uploads/9|/uploads/10\n\
            P5,t,c,S5,1,1,1,一二三四五六七八九十一二三四五六七,\n";
        let (rows, errors) = parse_products(text);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].tags, ["a", "b"]);
        assert_eq!(rows[0].images, ["/uploads/x.png", "https://img.example.com/y.jpg"]);
        assert_eq!(where_(&errors), [(3, "tags"), (4, "images"), (5, "images"), (6, "tags")]);
        assert!(matches!(errors[1].reason, Reason::CsvImage { index: 2, .. }), "{:?}", errors[1]);
    }

    #[test]
    fn row_numbers_follow_the_spreadsheet() {
        // Blank lines count as rows; a cell with line breaks is one row; a row of empty cells is skipped.
        let text = "product_code,title,category,sku_code,stock,original_price,sale_price,description\r\n\
            P1,t,c,S1,1,1,1,\"第一行\r\n第二行\n第三行\"\r\n\
            \r\n\
            ,,,,,,,\r\n\
            P2,t,c,S2,x,1,1,\r\n\
            P3,t,c,S3,1,1,1,\"a\nb\"\n\
            \n\
            P4,t,c,S4,x,1,1,";
        let (rows, errors) = parse_products(text);
        assert_eq!(row_numbers(&rows), [2, 6]);
        assert_eq!(rows[0].description, "第一行\r\n第二行\n第三行");
        assert_eq!(where_(&errors), [(5, "stock"), (8, "stock")]);
        // leading blank lines before the header
        let (rows, errors) = parse_products(&format!("\n\n{H}\nP1,t,c,S1,,,x,1,1\nP2,t,c,S2,,,1,1,1"));
        assert_eq!(where_(&errors), [(4, "stock")]);
        assert_eq!(row_numbers(&rows), [5]);
    }

    #[test]
    fn rows_of_the_wrong_width() {
        let (rows, errors) =
            parse_products(&file(&["P1,t,c,S1,,,1,1", "P2,t,c,S2,,,1,1,1,extra", "P3,t,c,S3,,,1,1,1"]));
        assert_eq!(where_(&errors), [(2, ""), (3, "")]);
        assert!(matches!(errors[0].reason, Reason::CsvCellCount { cells: 8, .. }), "{:?}", errors[0]);
        assert_eq!(row_numbers(&rows), [4]);
    }

    // ---- across rows ----

    #[test]
    fn duplicate_sku_codes() {
        let (rows, errors) = parse_products(&file(&[
            "P1,t,c,S1,颜色:红,,1,1,1",
            "P1,t,c,S2,颜色:蓝,,1,1,1",
            "P2,t,c,S1,,,1,1,1",
            "P3,t,c,S3,,,x,1,1", // bad row, but its SKU code still counts
            "P4,t,c,S3,,,1,1,1",
        ]));
        assert_eq!(where_(&errors), [(4, "sku_code"), (5, "stock"), (6, "sku_code")]);
        assert!(matches!(errors[0].reason, Reason::CsvSkuCodeTaken { row: 2, .. }), "{:?}", errors[0]);
        assert!(matches!(errors[2].reason, Reason::CsvSkuCodeTaken { row: 5, .. }), "{:?}", errors[2]);
        assert_eq!(row_numbers(&rows), [2, 3]);
    }

    #[test]
    fn product_fields_must_agree() {
        let text =
            "product_code,title,subtitle,category,sku_code,spec,stock,original_price,sale_price,on_shelf,images\n\
            P1,橙子,,水果,S1,重量:5斤,1,1,1,是,/uploads/a.png\n\
            P1,橙子,,水果,S2,重量:10斤,1,1,1,1,/uploads/a.png\n\
            P1,橙子,,水果,S3,重量:15斤,1,1,1,否,/uploads/b.png\n\
            P1,脐橙,副,水果,S4,重量:20斤,1,1,1,是,/uploads/a.png\n\
            P1,橙子,,水果,S5,重量:25斤,1,1,1,是,/uploads/a.png|/uploads/b.png\n";
        let (rows, errors) = parse_products(text);
        assert_eq!(where_(&errors), [(4, "on_shelf"), (5, "title"), (6, "images")]);
        assert!(matches!(errors[0].reason, Reason::CsvProductDiffers { row: 2, .. }), "{:?}", errors[0]);
        assert_eq!(row_numbers(&rows), [2, 3]);
    }

    #[test]
    fn specs_must_agree_and_not_repeat() {
        let (rows, errors) = parse_products(&file(&[
            "P1,t,c,S1,颜色:红;尺码:M,,1,1,1",
            "P1,t,c,S2,颜色:红;尺码:L,,1,1,1",
            "P1,t,c,S3,尺码:S;颜色:红,,1,1,1",       // order differs
            "P1,t,c,S4,颜色:蓝,,1,1,1",              // a dimension missing
            "P1,t,c,S5,颜色 : 红 ; 尺码 : L,,1,1,1", // same as S2
            "P2,t,c,S6,,,1,1,1",
            "P2,t,c,S7,,,1,1,1", // a product without spec has one SKU
            "P3,t,c,S8,颜色:红,,1,1,1",
            "P3,t,c,S9,,,1,1,1",
        ]));
        assert_eq!(where_(&errors), [(4, "spec"), (5, "spec"), (6, "spec"), (8, "spec"), (10, "spec")]);
        assert!(
            matches!(&errors[0].reason, Reason::CsvSpecDimsDiffer { dims, row: 2, other_dims, .. }
                if dims == "尺码, 颜色" && other_dims == "颜色, 尺码"),
            "{:?}",
            errors[0]
        );
        assert!(matches!(errors[2].reason, Reason::CsvSameSpecAsRow { row: 3, .. }), "{:?}", errors[2]);
        assert!(matches!(errors[3].reason, Reason::CsvNoSpecOneSku { row: 7, .. }), "{:?}", errors[3]);
        assert!(matches!(&errors[4].reason, Reason::CsvSpecDimsDiffer { dims, .. } if dims == "—"), "{:?}", errors[4]);
        assert_eq!(row_numbers(&rows), [2, 3, 7, 9]);
    }

    #[test]
    fn rows_of_a_product_need_not_be_adjacent() {
        let (rows, errors) =
            parse_products(&file(&["P1,t,c,S1,颜色:红,,1,1,1", "P2,u,c,S2,,,1,1,1", "P1,t,c,S3,颜色:蓝,,1,1,1"]));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(row_numbers(&rows), [2, 3, 4]);
    }

    #[test]
    fn sku_and_value_limits_per_product() {
        let mut lines: Vec<String> = (0..201).map(|i| format!("P1,t,c,S{i},编号:{},,1,1,1", i % 25)).collect();
        // 25 values × 8 sizes = 200 distinct combinations, then one more
        for (i, l) in lines.iter_mut().enumerate() {
            l.push_str("");
            *l = l.replace(&format!("编号:{}", i % 25), &format!("编号:{};尺码:{}", i % 25, i / 25));
        }
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (rows, errors) = parse_products(&file(&refs));
        assert_eq!(rows.len(), 200);
        assert_eq!(where_(&errors), [(202, "sku_code")]);
        assert!(matches!(errors[0].reason, Reason::CsvProductTooManySkus { max: 200, .. }), "{:?}", errors[0]);

        let lines: Vec<String> = (0..31).map(|i| format!("P1,t,c,S{i},编号:{i},,1,1,1")).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let (rows, errors) = parse_products(&file(&refs));
        assert_eq!(rows.len(), 30);
        assert_eq!(where_(&errors), [(32, "spec")]);
        assert!(matches!(errors[0].reason, Reason::CsvDimTooManyValues { max: 30, .. }), "{:?}", errors[0]);
    }

    // ---- export ----

    #[test]
    fn export_format() {
        let out = write_products(&orange_rows());
        assert!(out.starts_with('\u{feff}'));
        let mut lines = out.trim_start_matches('\u{feff}').split("\r\n");
        assert_eq!(lines.next(), Some(FULL_HEADER_ZH));
        assert_eq!(
            lines.next(),
            Some("P001,赣南脐橙,当季鲜果,食品/水果/橙子,新品|热卖,是,成长,是,否,是,2,\"甜, \"\"多汁\"\"\",https://img.example.com/a.jpg|/uploads/b.jpg,P001-5,重量:5斤,6901234567892,100,59.90,39.90,20.00,2500,10")
        );
        assert_eq!(
            lines.next(),
            Some("P001,赣南脐橙,当季鲜果,食品/水果/橙子,新品|热卖,是,成长,是,否,是,2,\"甜, \"\"多汁\"\"\",https://img.example.com/a.jpg|/uploads/b.jpg,P001-10,重量:10斤,,50,99.00,79.00,0.00,0,0")
        );
        assert_eq!(lines.next(), Some(""));
        assert_eq!(lines.next(), None);
        // an empty export is the import template
        assert_eq!(write_products(&[]), format!("\u{feff}{FULL_HEADER_ZH}\r\n"));
    }

    #[test]
    fn export_then_import_gives_the_same_rows() {
        let mut rows = orange_rows();
        for r in &mut rows {
            r.description = "第一段\n\n第二段, 含 \"引号\"".into();
        }
        let (text, enc) = decode(write_products(&rows).as_bytes()).unwrap();
        assert_eq!(enc, TextEncoding::Utf8Bom);
        let (back, errors) = parse_products(&text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back, rows);
    }

    #[test]
    fn formulas_are_exported_as_text_and_read_back_exactly() {
        let rows: Vec<ImportRow> = orange_rows()
            .into_iter()
            .map(|r| ImportRow {
                product_code: "-P001".into(),
                title: "=HYPERLINK(\"http://evil.example\",\"x\")".into(),
                subtitle: "-10% 限时".into(),
                description: "@SUM(1+1)".into(),
                tags: vec!["+1".into(), "新品".into()],
                ..r
            })
            .collect();
        let out = write_products(&rows);
        let first = out.split("\r\n").nth(1).unwrap();
        assert!(
            first.starts_with("'-P001,\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",'-10% 限时,"),
            "{first}"
        );
        assert!(first.contains(",'+1|新品,"), "{first}");
        assert!(first.contains(",'@SUM(1+1),"), "{first}");
        let (back, errors) = parse_products(&out);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(back, rows);
        // A quote someone typed before ordinary text stays; one before a formula character is taken off.
        assert_eq!(untext_cell("'abc"), "'abc");
        assert_eq!(untext_cell("'=1"), "=1");
        assert_eq!(untext_cell("''x"), "'x");
        assert_eq!(text_cell("'x"), "''x");
        assert_eq!(text_field("=a,b"), "\"'=a,b\"");
    }
    #[test]
    fn column_letters_like_a_spreadsheet() {
        let got: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702].into_iter().map(column_letters).collect();
        assert_eq!(got, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn row_error_display() {
        assert_eq!(RowError::new(3, "stock", Reason::Required).to_string(), "row 3, stock: value.required");
        assert_eq!(RowError::new(1, "", Reason::CsvEmpty).to_string(), "row 1: csv.empty");
    }

    /// `n` rows of two-SKU products with most columns filled.
    fn big_file(n: usize) -> String {
        let mut s = String::from(FULL_HEADER_ZH);
        for i in 0..n {
            let p = i / 2;
            let size = if i % 2 == 0 { "大" } else { "小" };
            s.push_str(&format!(
                "\r\nP{p},商品{p}号 新鲜水果,副标题,食品/水果/橙子,新品|热卖,是,成熟,否,是,是,0,商品描述 商品描述 商品描述,/uploads/{p}.jpg,S{i},规格:{size},,{i},19.90,9.90,5,500,10"
            ));
        }
        s
    }

    #[test]
    fn parses_many_rows() {
        let text = big_file(20_000);
        let (rows, errors) = parse_products(&text);
        assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(3)]);
        assert_eq!(rows.len(), 20_000);
        assert_eq!(rows[19_999].row, 20_001);
    }

    /// Run with `cargo test --release -p minimall-core -- --ignored parses_100k` to see the timing.
    #[test]
    #[ignore]
    fn parses_100k_rows_quickly() {
        let text = big_file(100_000);
        let start = std::time::Instant::now();
        let (rows, errors) = parse_products(&text);
        let took = start.elapsed();
        eprintln!("parsed {} rows ({} bytes) in {took:?}", rows.len(), text.len());
        assert!(errors.is_empty());
        assert_eq!(rows.len(), 100_000);
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
    }

    // ---- round trip, generated ----

    fn text_of(pattern: &'static str) -> impl Strategy<Value = String> {
        pattern.prop_map(|s| s.trim().to_string())
    }

    fn nonempty(pattern: &'static str) -> impl Strategy<Value = String> {
        text_of(pattern).prop_map(|s| if s.is_empty() { "x".to_string() } else { s })
    }

    /// Text that often starts like a spreadsheet formula or with the quote that neutralises one.
    fn leading(body: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
        (prop::sample::select(vec!["", "", "=", "+", "-", "@", "'", "'=", "''", "'-"]), body)
            .prop_map(|(lead, b)| format!("{lead}{b}"))
    }

    fn gtin() -> impl Strategy<Value = String> {
        prop::sample::select(vec![7usize, 11, 12, 13]).prop_flat_map(|n| {
            prop::collection::vec(0u8..10, n).prop_map(|d| {
                let body: String = d.iter().map(|x| char::from(b'0' + x)).collect();
                let check = super::super::barcode::gtin_check_digit(&body).unwrap();
                format!("{body}{check}")
            })
        })
    }

    #[derive(Debug, Clone)]
    struct Sku {
        barcode: Option<String>,
        stock: i64,
        original: i64,
        sale_ratio: u32,
        cost: i64,
        weight: i64,
        safety: i64,
    }

    fn arb_sku() -> impl Strategy<Value = Sku> {
        (
            prop::option::of(gtin()),
            0..=STOCK_MAX,
            0..=crate::money::MAX_INPUT_FEN,
            0u32..=100,
            0..=crate::money::MAX_INPUT_FEN,
            0..=WEIGHT_MAX_G,
            0..=STOCK_MAX,
        )
            .prop_map(|(barcode, stock, original, sale_ratio, cost, weight, safety)| Sku {
                barcode,
                stock,
                original,
                sale_ratio,
                cost,
                weight,
                safety,
            })
    }

    /// One product's rows: product fields, 0–3 dimensions, 1–4 SKUs with distinct combinations.
    fn arb_product() -> impl Strategy<Value = Vec<ImportRow>> {
        let product = (
            text_of("[A-Za-z0-9_.-]{1,10}"),
            leading(nonempty("[a-zA-Z0-9 ,\"'|/:;=+@橙子苹果新鲜，。！-]{1,58}")),
            leading(text_of("[a-z ,\"橙子]{0,38}")),
            prop::collection::vec(leading(nonempty("[a-z食品水果 ]{1,18}")), 1..=3),
            prop::collection::vec(leading(nonempty("[a-z新品热卖 ]{1,14}")), 0..=10),
            any::<[bool; 4]>(),
            prop::sample::select(Lifecycle::ALL.to_vec()),
            0..=PURCHASE_LIMIT_MAX,
            leading(text_of("[a-z ,\"\n\r\t介绍。=+-]{0,200}")),
            prop::collection::vec("(https://img\\.example\\.com|/uploads)/[a-z0-9]{1,20}\\.jpg", 0..=9),
        );
        let specs = prop::collection::vec(
            (nonempty("[颜色尺码款式a-z]{1,10}"), prop::collection::vec(leading(nonempty("[红蓝SML0-9 ]{1,7}")), 1..4)),
            0..=3,
        );
        (product, specs, prop::collection::vec(arb_sku(), 1..=4)).prop_map(|(p, dims, skus)| {
            let (code, title, subtitle, category_path, tags, flags, lifecycle, purchase_limit, description, images) = p;
            let mut tags_unique: Vec<String> = Vec::new();
            for t in tags {
                if !tags_unique.contains(&t) {
                    tags_unique.push(t);
                }
            }
            let mut names: Vec<spec::SpecDim> = Vec::new();
            for (name, values) in dims {
                if names.iter().any(|d| d.name == name) {
                    continue;
                }
                let mut vs: Vec<String> = Vec::new();
                for v in values {
                    if !vs.contains(&v) {
                        vs.push(v);
                    }
                }
                names.push(spec::SpecDim { name, values: vs });
            }
            let combos = spec::combinations(&names);
            skus.into_iter()
                .zip(combos)
                .enumerate()
                .map(|(j, (s, combo))| ImportRow {
                    row: 0,
                    product_code: code.clone(),
                    title: title.clone(),
                    subtitle: subtitle.clone(),
                    category_path: category_path.clone(),
                    tags: tags_unique.clone(),
                    on_shelf: flags[0],
                    lifecycle,
                    free_shipping: flags[1],
                    earns_points: flags[2],
                    coupons_usable: flags[3],
                    purchase_limit,
                    description: description.clone(),
                    images: images.clone(),
                    sku_code: format!("{code}-{j}"),
                    spec: names.iter().map(|d| d.name.clone()).zip(combo).collect(),
                    barcode: s.barcode,
                    stock: s.stock,
                    original_price: Money::from_fen(s.original),
                    sale_price: Money::from_fen(s.original / 100 * i64::from(s.sale_ratio)),
                    cost_price: Money::from_fen(s.cost),
                    weight_g: s.weight,
                    safety_stock: s.safety,
                })
                .collect()
        })
    }

    fn arb_rows() -> impl Strategy<Value = Vec<ImportRow>> {
        prop::collection::vec(arb_product(), 0..6)
            .prop_map(|products| {
                // product codes made unique by position
                products
                    .into_iter()
                    .enumerate()
                    .flat_map(|(i, rows)| {
                        rows.into_iter().map(move |mut r| {
                            r.product_code = format!("{}_{i}", r.product_code);
                            r.sku_code = format!("{}_{i}", r.sku_code);
                            r
                        })
                    })
                    .collect::<Vec<_>>()
            })
            .prop_shuffle()
            .prop_map(|mut rows| {
                for (i, r) in rows.iter_mut().enumerate() {
                    r.row = i + 2;
                }
                rows
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn export_import_round_trip(rows in arb_rows()) {
            let written = write_products(&rows);
            let (text, enc) = decode(written.as_bytes()).unwrap();
            prop_assert_eq!(enc, TextEncoding::Utf8Bom);
            let (back, errors) = parse_products(&text);
            prop_assert!(errors.is_empty(), "{:?}", errors);
            prop_assert_eq!(&back, &rows);
            // No cell of the file is a live formula, and numbers are written as plain numbers.
            let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
            for rec in rdr.records() {
                let rec = rec.unwrap();
                for (i, cell) in rec.iter().enumerate() {
                    prop_assert!(!starts_like_formula(cell), "column {} cell {:?}", COLUMNS[i].key, cell);
                }
                for i in [c::PURCHASE_LIMIT, c::STOCK, c::WEIGHT_G, c::SAFETY_STOCK] {
                    prop_assert!(rec[i].parse::<i64>().is_ok(), "{:?}", &rec[i]);
                }
                for i in [c::ORIGINAL_PRICE, c::SALE_PRICE, c::COST_PRICE] {
                    prop_assert!(rec[i].parse::<f64>().is_ok(), "{:?}", &rec[i]);
                }
            }
        }

        #[test]
        fn text_cells_round_trip(s in "['=+@\t\r-]{0,3}[a-z'=+@ -]{0,6}") {
            let t = text_cell(&s);
            prop_assert!(!starts_like_formula(&t));
            prop_assert_eq!(untext_cell(&t), s.as_str());
            let f = text_field(&s);
            prop_assert!(!starts_like_formula(&f) && !f.starts_with("\"="));
        }

        #[test]
        fn import_never_panics_and_keeps_only_clean_rows(text in "[A-Za-z0-9,\"\n\r |:;/.一二]{0,400}") {
            let input = format!("{H}\n{text}");
            let (rows, errors) = parse_products(&input);
            for r in &rows {
                prop_assert!(errors.iter().all(|e| e.row != r.row), "row {} both kept and in error", r.row);
            }
        }
    }
}
