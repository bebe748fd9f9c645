//! The domain's refusals: a stable code with typed parameters, never a sentence. Which input field is wrong
//! and why ([`FieldError`] with a [`Reason`]); the server words each code in the reader's language from its
//! message catalogues.

use std::fmt;

use crate::Money;

/// A parameter of a refusal, typed so that it can be shown as the shop shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// A count, a limit, a row number.
    Int(i64),
    /// An amount of money in fen (shown as ¥12.34). Its name ends in `_fen`.
    Fen(i64),
    /// Text as the client wrote it, or a name from the shop's data.
    Text(String),
    /// A label the catalogue words (e.g. an order status): the message id's suffix under its prefix.
    Label { prefix: &'static str, key: &'static str },
    /// A coded value inside another (the refusal of an image in a CSV cell, the name of a rule).
    Coded { code: &'static str, params: Vec<(&'static str, Param)> },
}

/// The kind of a parameter, as listed in `CODES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Int,
    Fen,
    Text,
    Label,
    Coded,
}

/// A value that can be a refusal's parameter.
pub trait ToParam {
    const KIND: ParamKind;
    fn to_param(&self) -> Param;
}

impl ToParam for i64 {
    const KIND: ParamKind = ParamKind::Int;
    fn to_param(&self) -> Param {
        Param::Int(*self)
    }
}

impl ToParam for usize {
    const KIND: ParamKind = ParamKind::Int;
    fn to_param(&self) -> Param {
        Param::Int(count(*self))
    }
}

impl ToParam for u32 {
    const KIND: ParamKind = ParamKind::Int;
    fn to_param(&self) -> Param {
        Param::Int(i64::from(*self))
    }
}

impl ToParam for i128 {
    const KIND: ParamKind = ParamKind::Int;
    fn to_param(&self) -> Param {
        Param::Int(i64::try_from(*self).unwrap_or(if *self < 0 { i64::MIN } else { i64::MAX }))
    }
}

impl ToParam for Money {
    const KIND: ParamKind = ParamKind::Fen;
    fn to_param(&self) -> Param {
        Param::Fen(self.fen())
    }
}

impl ToParam for String {
    const KIND: ParamKind = ParamKind::Text;
    fn to_param(&self) -> Param {
        Param::Text(self.clone())
    }
}

impl ToParam for &'static str {
    const KIND: ParamKind = ParamKind::Text;
    fn to_param(&self) -> Param {
        Param::Text((*self).to_string())
    }
}

impl<T: ToParam> ToParam for Box<T> {
    const KIND: ParamKind = T::KIND;
    fn to_param(&self) -> Param {
        T::to_param(self)
    }
}

/// A label the catalogue words: `prefix` names the family (`order-status`), `key` the value (`to_ship`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    pub prefix: &'static str,
    pub key: &'static str,
}

/// The input fields a refusal may name in its message (`field-<key>` in the catalogue).
pub const FIELD_LABELS: &[&str] = &["starts_at", "valid_from"];

impl Label {
    /// An input field named in a message; `key` is one of [`FIELD_LABELS`].
    pub const fn field(key: &'static str) -> Label {
        Label { prefix: "field", key }
    }
}

impl ToParam for Label {
    const KIND: ParamKind = ParamKind::Label;
    fn to_param(&self) -> Param {
        Param::Label { prefix: self.prefix, key: self.key }
    }
}

/// A refusal with a stable code and named, typed parameters.
pub trait Coded {
    /// The stable dotted code, e.g. `text.too_long`.
    fn code(&self) -> &'static str;
    /// The parameters by name, in declaration order.
    fn params(&self) -> Vec<(&'static str, Param)>;
}

/// One entry of a coded enum's list of codes: the code and its parameters' names and kinds.
pub type CodeSpec = (&'static str, &'static [(&'static str, ParamKind)]);

/// Declares an enum of refusals: each variant with its stable code and typed parameters, the [`Coded`]
/// implementation and `CODES`, the list of every code with its parameters (for the catalogue test).
#[macro_export]
macro_rules! coded_enum {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vm:meta])* $variant:ident $({ $($p:ident : $t:ty),* $(,)? })? = $code:literal ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$vm])* $variant $({ $($p: $t),* })? ),*
        }

        impl $crate::error::Coded for $name {
            fn code(&self) -> &'static str {
                match self {
                    $( $name::$variant { .. } => $code ),*
                }
            }

            #[allow(unused_variables)]
            fn params(&self) -> Vec<(&'static str, $crate::error::Param)> {
                match self {
                    $( $name::$variant { $($($p,)*)? .. } => vec![
                        $($( (stringify!($p), $crate::error::ToParam::to_param($p)) ),*)?
                    ] ),*
                }
            }
        }

        impl $crate::error::ToParam for $name {
            const KIND: $crate::error::ParamKind = $crate::error::ParamKind::Coded;
            fn to_param(&self) -> $crate::error::Param {
                $crate::error::Param::Coded {
                    code: $crate::error::Coded::code(self),
                    params: $crate::error::Coded::params(self),
                }
            }
        }

        impl $name {
            /// Every code of this enum with its parameters' names and kinds.
            pub const CODES: &'static [$crate::error::CodeSpec] = &[
                $( ($code, &[ $($( (stringify!($p), <$t as $crate::error::ToParam>::KIND) ),*)? ]) ),*
            ];
        }
    };
}

/// Declares an enum of refusals of one input each: every variant names the input at fault (`field`, a
/// `&'static str` or a `String`) and has a stable code with typed parameters. Generates what [`coded_enum!`]
/// does (the field is not a parameter of the message), `field()`, and writes itself for logs as
/// `field: code name=value …`, never as a sentence.
#[macro_export]
macro_rules! field_coded_enum {
    (
        $(#[$m:meta])*
        $vis:vis enum $name:ident (field: $fty:ty) {
            $( $(#[$vm:meta])* $variant:ident { $($p:ident : $t:ty),* $(,)? } = $code:literal ),* $(,)?
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        $vis enum $name {
            $( $(#[$vm])* $variant { field: $fty, $($p: $t),* } ),*
        }

        impl $crate::error::Coded for $name {
            fn code(&self) -> &'static str {
                match self {
                    $( $name::$variant { .. } => $code ),*
                }
            }

            #[allow(unused_variables)]
            fn params(&self) -> Vec<(&'static str, $crate::error::Param)> {
                match self {
                    $( $name::$variant { $($p,)* .. } => vec![
                        $( (stringify!($p), $crate::error::ToParam::to_param($p)) ),*
                    ] ),*
                }
            }
        }

        impl $crate::error::ToParam for $name {
            const KIND: $crate::error::ParamKind = $crate::error::ParamKind::Coded;
            fn to_param(&self) -> $crate::error::Param {
                $crate::error::Param::Coded {
                    code: $crate::error::Coded::code(self),
                    params: $crate::error::Coded::params(self),
                }
            }
        }

        impl $name {
            /// Every code of this enum with its parameters' names and kinds.
            pub const CODES: &'static [$crate::error::CodeSpec] = &[
                $( ($code, &[ $( (stringify!($p), <$t as $crate::error::ToParam>::KIND) ),* ]) ),*
            ];

            /// The input at fault.
            pub fn field(&self) -> $fty {
                match self {
                    $( $name::$variant { field, .. } => <$fty as Clone>::clone(field) ),*
                }
            }

            /// The stable code (also through [`Coded`](crate::error::Coded)).
            pub fn code(&self) -> &'static str {
                $crate::error::Coded::code(self)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let field = self.field();
                write!(f, "{field}: ")?;
                $crate::error::write_coded(f, self)
            }
        }

        impl std::error::Error for $name {}
    };
}

/// A coded value as logs show it: `code name=value …`.
pub fn write_coded(f: &mut fmt::Formatter<'_>, c: &impl Coded) -> fmt::Result {
    write!(f, "{}", c.code())?;
    for (name, value) in c.params() {
        write!(f, " {name}={value:?}")?;
    }
    Ok(())
}

coded_enum! {
    /// Why an input value was refused.
    pub enum Reason {
        // Any value
        Required = "value.required",
        Empty = "text.empty",
        TooLong { max: i64 } = "text.too_long",
        TooLongBytes { max: i64 } = "text.too_long_bytes",
        Length { min: i64, max: i64 } = "text.length",
        ControlChars = "text.control_chars",
        SpecSeparators = "text.spec_separators",
        EdgeSpaces = "text.edge_spaces",
        CodeChars = "text.code_chars",
        NotYesNo { value: String } = "value.not_yes_no",
        OutOfRange { min: i64, max: i64 } = "number.out_of_range",
        NotWholeNumber { value: String, max: i64 } = "number.not_whole",
        ListCount { min: i64, max: i64 } = "list.count",
        NotEpochMs = "time.not_epoch_ms",
        NotAfter { other: Label } = "time.not_after",
        AtMost { max: i64 } = "list.at_most",
        Duplicate = "list.duplicate",
        OneOf { allowed: String } = "value.one_of",
        IdsPositive = "value.ids_positive",
        NoPipe = "text.no_pipe",
        NoSlash = "text.no_slash",
        // Accounts
        UsernameChars = "username.chars",
        PasswordOnlyDigits = "password.only_digits",
        Phone = "phone.invalid",
        SandboxName = "sandbox.name_invalid",
        // Money
        Negative = "money.negative",
        MoneyTooLarge { max_fen: Money } = "money.too_large",
        MoneyRange { max_fen: Money } = "money.range",
        NotYuan { value: String } = "money.not_yuan",
        AtLeastOneFen = "money.at_least_one_fen",
        // Catalog
        Lifecycle = "lifecycle.invalid",
        ImageNotAllowed { hosts: String } = "image.not_allowed",
        ImageNotAllowedNoCdn = "image.not_allowed_no_cdn",
        ImageBadChars = "image.bad_chars",
        ImageUploadName = "image.upload_name",
        ImagePlaceholder = "image.placeholder",
        ImageHttp = "image.http",
        ImageHostNotCdn { host: String, hosts: String } = "image.host_not_cdn",
        ImageHostNoCdn { host: String } = "image.host_no_cdn",
        ImageNoPath = "image.no_path",
        ImageTraversal = "image.traversal",
        BarcodeDigits = "barcode.digits",
        BarcodeScientific = "barcode.scientific",
        BarcodeLength { len: i64 } = "barcode.length",
        BarcodeCheckDigit { expected: i64, found: i64 } = "barcode.check_digit",
        SpecTooManyDims { max: i64 } = "spec.too_many_dims",
        SpecSameNameAs { other: String } = "spec.same_name_as",
        SpecValuesCount { max: i64 } = "spec.values_count",
        SpecValueTwice { value: String, dim: String } = "spec.value_twice",
        SpecNotPair { part: String } = "spec.not_pair",
        SpecBadName { name: String, reason: Box<Reason> } = "spec.bad_name",
        SpecBadValue { value: String, reason: Box<Reason> } = "spec.bad_value",
        SpecNameTwice { name: String } = "spec.name_twice",
        SkuNone = "sku.none",
        SkuTooMany { max: i64 } = "sku.too_many",
        SkuNoDims = "sku.no_dims",
        SkuOneWithoutDims = "sku.one_without_dims",
        SkuSpecCount { count: i64, dims: String } = "sku.spec_count",
        SkuNotAValue { value: String, dim: String } = "sku.not_a_value",
        SkuSameSpecAs { other: String } = "sku.same_spec_as",
        CategoryNoParent = "category.no_parent",
        CategoryCycle = "category.cycle",
        CategoryTooDeep { max: i64 } = "category.too_deep",
        CategorySiblingName { name: String } = "category.sibling_name",
        BannedWordTooLong { index: i64, word: String, max: i64 } = "banned.word_too_long",
        BannedWordControl { index: i64 } = "banned.word_control",
        BannedTooMany { max: i64 } = "banned.too_many",
        BannedFound { words: String } = "banned.found",
        LinkPage = "showcase.link_page",
        // CSV files and cells
        CsvUtf16 = "csv.utf16",
        CsvBinary = "csv.binary",
        CsvBadUtf8 { byte: i64 } = "csv.bad_utf8",
        CsvUnknownEncoding = "csv.unknown_encoding",
        CsvEmpty = "csv.empty",
        CsvUnreadable = "csv.unreadable",
        CsvColumnTwice { header: String, column: String } = "csv.column_twice",
        CsvUnknownColumn { header: String, letter: String } = "csv.unknown_column",
        CsvMissingColumn { header: String, column: String } = "csv.missing_column",
        CsvCellCount { cells: i64, width: i64 } = "csv.cell_count",
        CsvCellWithoutHeader { letter: String } = "csv.cell_without_header",
        CsvSkuCodeTaken { code: String, row: i64 } = "csv.sku_code_taken",
        CsvCategoryLevels { levels: i64, max: i64 } = "csv.category_levels",
        CsvCategoryEmptyLevel = "csv.category_empty_level",
        CsvCategoryNameTooLong { name: String, max: i64 } = "csv.category_name_too_long",
        CsvTagTooLong { tag: String, max: i64 } = "csv.tag_too_long",
        CsvTagsTooMany { count: i64, max: i64 } = "csv.tags_too_many",
        CsvImage { index: i64, url: String, reason: Box<Reason> } = "csv.image",
        CsvImagesTooMany { count: i64, max: i64 } = "csv.images_too_many",
        CsvSaleAboveOriginal { sale_fen: Money, original_fen: Money } = "csv.sale_above_original",
        CsvProductDiffers { row: i64, product: String } = "csv.product_differs",
        CsvSpecDimsDiffer { dims: String, row: i64, other_dims: String, product: String } = "csv.spec_dims_differ",
        CsvNoSpecOneSku { product: String, row: i64 } = "csv.no_spec_one_sku",
        CsvSameSpecAsRow { row: i64, product: String } = "csv.same_spec_as_row",
        CsvDimTooManyValues { dim: String, product: String, max: i64 } = "csv.dim_too_many_values",
        CsvProductTooManySkus { product: String, max: i64 } = "csv.product_too_many_skus",
        SaleAboveOriginal = "sku.sale_above_original",
        // Promotions and freight
        ScopeEmpty = "promotion.scope_empty",
        PercentPaid = "promotion.percent_paid",
        PercentOrPrices = "promotion.percent_or_prices",
        OffWithinThreshold = "promotion.off_within_threshold",
        TiersIncreasing = "promotion.tiers_increasing",
        RepeatOneTier = "promotion.repeat_one_tier",
        ActivityTooLong { days: i64 } = "promotion.too_long",
        ValidityMissing = "coupon.validity_missing",
        ValidityBoth = "coupon.validity_both",
        Provinces { max: i64, name_max: i64 } = "freight.provinces",
        GroupPrice = "group_buy.group_price",
        LeaderDiscount = "group_buy.leader_discount",
        // Refunds
        RefundNoUnits = "refund.no_units",
        RefundAllRefunded = "refund.all_refunded",
        // Flash sales
        FlashTooLong { days: i64 } = "flash.too_long",
        FlashSkuTwice = "flash.sku_twice",
        FlashPriceNotBelowSale = "flash.price_not_below_sale",
        FlashNotEnoughStock { stock: i64 } = "flash.not_enough_stock",
        // Finance
        Month = "finance.month",
        Date = "finance.date",
        PeriodTooLong { max_days: i64 } = "finance.period_too_long",
        StatementRow { row: i64, reason: Box<Reason> } = "statement.row",
        StatementAmount { column: String, value: String } = "statement.amount",
        StatementTooManyRows { max: i64 } = "statement.too_many_rows",
        StatementNoColumn { column: String } = "statement.no_column",
        StatementFewCells = "statement.few_cells",
        // Analytics events
        EventKindUnknown = "event.kind_unknown",
        EventServerOnly = "event.kind_server_only",
        EventFieldNotAllowed = "event.field_not_allowed",
        EventText { min: i64, max: i64, chars: Label } = "event.text",
        EventInFuture { max_secs: i64 } = "event.in_future",
        EventTooOld { max_days: i64 } = "event.too_old",
        // Analytics
        NoMarkdown = "markdown.none",
        // Members
        LevelNameTwice = "member_level.duplicate_name",
        LevelRankTwice = "member_level.duplicate_rank",
        LevelNoThreshold = "member_level.no_threshold",
        LevelNotAscending { lower_rank: i64 } = "member_level.not_ascending",
        BoundsInverted = "range.inverted",
        SignInDayTwice = "members.day_twice",
    }
}

/// A rejected input: the field (dotted path as the client sent it) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: Reason,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: Reason) -> Self {
        Self { field: field.into(), reason }
    }

    /// Prefix the field with a parent path, e.g. `items[2]` + `quantity` → `items[2].quantity`.
    pub fn within(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() { parent.to_string() } else { format!("{parent}.{}", self.field) };
        self
    }
}

/// Written for logs: the field, the code and the parameters.
impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.field)?;
        write_coded(f, &self.reason)
    }
}

impl std::error::Error for FieldError {}

/// A number of items as a parameter (lengths and counts are small; saturates rather than wraps).
pub fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_dotted_and_money_is_named_in_fen() {
        let mut seen = std::collections::HashSet::new();
        for (code, params) in Reason::CODES {
            assert!(seen.insert(*code), "{code} twice");
            let (family, name) = code.split_once('.').unwrap_or_else(|| panic!("{code} is not dotted"));
            for part in [family, name] {
                assert!(
                    !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
                );
            }
            for (p, kind) in *params {
                assert_eq!(p.ends_with("_fen"), *kind == ParamKind::Fen, "{code}: {p}");
            }
        }
    }

    #[test]
    fn params_are_named_and_typed() {
        let r = Reason::CsvSaleAboveOriginal { sale_fen: Money::from_fen(200), original_fen: Money::from_fen(100) };
        assert_eq!(r.code(), "csv.sale_above_original");
        assert_eq!(r.params(), vec![("sale_fen", Param::Fen(200)), ("original_fen", Param::Fen(100))]);
        assert!(Reason::Required.params().is_empty());
        let e = FieldError::new("price", Reason::TooLong { max: 5 }).within("items[2]");
        assert_eq!(e.to_string(), "items[2].price: text.too_long max=Int(5)");
        let share = crate::social::channel::ShareParamError::Campaign { field: "cp", max: 32 };
        assert_eq!((share.code(), share.field()), ("share.campaign", "cp"));
        assert_eq!(share.params(), vec![("max", Param::Int(32))]);
        assert_eq!(share.to_string(), "cp: share.campaign max=Int(32)");
    }
}
