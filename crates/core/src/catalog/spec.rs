//! Spec dimensions of a product (颜色, 尺码 …) and the value combinations its SKUs are made of.
//!
//! In text a SKU's spec is written `颜色:红;尺码:M`. The full-width `：` and `；` that a Chinese input method
//! types are accepted as well, so none of the four separator characters may appear in names or values.

use std::collections::HashSet;

use crate::error::{count, Reason};
use crate::FieldError;

use super::SKUS_MAX;

/// Most spec dimensions a product may have.
pub const DIMS_MAX: usize = 3;
/// Longest dimension name, in characters.
pub const DIM_NAME_MAX: usize = 10;
/// Most values in one dimension.
pub const DIM_VALUES_MAX: usize = 30;
/// Longest dimension value, in characters.
pub const DIM_VALUE_MAX: usize = 20;

/// One spec dimension and its values, in display order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpecDim {
    pub name: String,
    pub values: Vec<String>,
}

const SEPARATORS: [char; 4] = [':', ';', '：', '；'];

/// Shared rules for a name or value: 1..=`max` characters, no control characters, no separators, and no
/// spaces at either end (they would not survive the text form).
fn check_text(field: &str, s: &str, max: usize) -> Result<(), FieldError> {
    let n = s.chars().count();
    if n == 0 || n > max {
        return Err(FieldError::new(field, Reason::Length { min: 1, max: count(max) }));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(field, Reason::ControlChars));
    }
    if s.contains(SEPARATORS) {
        return Err(FieldError::new(field, Reason::SpecSeparators));
    }
    if s.trim() != s {
        return Err(FieldError::new(field, Reason::EdgeSpaces));
    }
    Ok(())
}

/// Check a product's dimensions: at most [`DIMS_MAX`], names of 1–[`DIM_NAME_MAX`] characters and unique,
/// each with 1–[`DIM_VALUES_MAX`] values of 1–[`DIM_VALUE_MAX`] characters, unique within the dimension.
/// Errors name the field as `specs`, `specs[1].name`, `specs[1].values` or `specs[1].values[2]` (0-based).
pub fn validate_dims(dims: &[SpecDim]) -> Result<(), FieldError> {
    if dims.len() > DIMS_MAX {
        return Err(FieldError::new("specs", Reason::SpecTooManyDims { max: count(DIMS_MAX) }));
    }
    for (i, d) in dims.iter().enumerate() {
        check_text(&format!("specs[{i}].name"), &d.name, DIM_NAME_MAX)?;
        if let Some(j) = dims[..i].iter().position(|o| o.name == d.name) {
            return Err(FieldError::new(
                format!("specs[{i}].name"),
                Reason::SpecSameNameAs { other: format!("specs[{j}]") },
            ));
        }
        if d.values.is_empty() || d.values.len() > DIM_VALUES_MAX {
            return Err(FieldError::new(
                format!("specs[{i}].values"),
                Reason::SpecValuesCount { max: count(DIM_VALUES_MAX) },
            ));
        }
        for (k, v) in d.values.iter().enumerate() {
            let field = format!("specs[{i}].values[{k}]");
            check_text(&field, v, DIM_VALUE_MAX)?;
            if d.values[..k].contains(v) {
                return Err(FieldError::new(field, Reason::SpecValueTwice { value: v.clone(), dim: d.name.clone() }));
            }
        }
    }
    Ok(())
}

/// Check the SKUs' spec values against valid `dims` (see [`validate_dims`]): at least one and at most
/// [`SKUS_MAX`] SKUs, each with one value per dimension in dimension order, each value one of its dimension's,
/// no two SKUs with the same combination. Without dimensions there is exactly one SKU, with no values.
/// Errors name the field as `skus` or `skus[3].spec` (0-based).
pub fn validate_sku_specs(dims: &[SpecDim], skus: &[Vec<String>]) -> Result<(), FieldError> {
    if skus.is_empty() {
        return Err(FieldError::new("skus", Reason::SkuNone));
    }
    if skus.len() > SKUS_MAX {
        return Err(FieldError::new("skus", Reason::SkuTooMany { max: count(SKUS_MAX) }));
    }
    if dims.is_empty() {
        if let Some(i) = skus.iter().position(|s| !s.is_empty()) {
            return Err(FieldError::new(format!("skus[{i}].spec"), Reason::SkuNoDims));
        }
        if skus.len() > 1 {
            return Err(FieldError::new("skus[1].spec", Reason::SkuOneWithoutDims));
        }
        return Ok(());
    }
    let mut seen: HashSet<&[String]> = HashSet::with_capacity(skus.len());
    for (i, values) in skus.iter().enumerate() {
        let field = format!("skus[{i}].spec");
        if values.len() != dims.len() {
            return Err(FieldError::new(
                field,
                Reason::SkuSpecCount { count: count(dims.len()), dims: dim_names(dims) },
            ));
        }
        for (d, v) in dims.iter().zip(values) {
            if !d.values.contains(v) {
                return Err(FieldError::new(field, Reason::SkuNotAValue { value: v.clone(), dim: d.name.clone() }));
            }
        }
        if !seen.insert(values.as_slice()) {
            let j = skus.iter().position(|o| o == values).unwrap_or(0);
            return Err(FieldError::new(field, Reason::SkuSameSpecAs { other: format!("skus[{j}]") }));
        }
    }
    Ok(())
}

fn dim_names(dims: &[SpecDim]) -> String {
    dims.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Every combination of values, first dimension outermost, values in their order: the matrix the console's
/// SKU editor shows. Without dimensions the one combination is the empty one; a dimension without values
/// gives no combinations.
pub fn combinations(dims: &[SpecDim]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    for d in dims {
        let mut next = Vec::with_capacity(out.len() * d.values.len());
        for prefix in &out {
            for v in &d.values {
                let mut c = Vec::with_capacity(dims.len());
                c.extend(prefix.iter().cloned());
                c.push(v.clone());
                next.push(c);
            }
        }
        out = next;
    }
    out
}

/// The dimensions that SKUs with these spec values use: names as given, values in order of first appearance.
/// Useful to build a product's dimensions from imported SKU rows.
pub fn dims_from_skus(names: &[String], skus: &[Vec<String>]) -> Vec<SpecDim> {
    let mut dims: Vec<SpecDim> = names.iter().map(|n| SpecDim { name: n.clone(), values: Vec::new() }).collect();
    for values in skus {
        for (d, v) in dims.iter_mut().zip(values) {
            if !d.values.contains(v) {
                d.values.push(v.clone());
            }
        }
    }
    dims
}

/// `颜色:红;尺码:M` from the dimension names and one SKU's values (paired in order).
pub fn format_spec(dims_names: &[String], values: &[String]) -> String {
    let mut s = String::new();
    for (i, (n, v)) in dims_names.iter().zip(values).enumerate() {
        if i > 0 {
            s.push(';');
        }
        s.push_str(n);
        s.push(':');
        s.push_str(v);
    }
    s
}

/// Parse `颜色:红;尺码:M` into `(name, value)` pairs, in order. Spaces around parts are trimmed, full-width
/// `：`/`；` are accepted, an empty part (such as a trailing `;`) is skipped, and the empty string is no spec.
/// Names and values follow the rules of [`validate_dims`]; a name may appear once, and at most [`DIMS_MAX`].
pub fn parse_spec(field: &str, s: &str) -> Result<Vec<(String, String)>, FieldError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in s.split([';', '；']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((name, value)) = part.split_once([':', '：']) else {
            return Err(FieldError::new(field, Reason::SpecNotPair { part: part.to_string() }));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || value.is_empty() {
            return Err(FieldError::new(field, Reason::SpecNotPair { part: part.to_string() }));
        }
        check_text(field, name, DIM_NAME_MAX).map_err(|e| {
            FieldError::new(field, Reason::SpecBadName { name: name.to_string(), reason: Box::new(e.reason) })
        })?;
        check_text(field, value, DIM_VALUE_MAX).map_err(|e| {
            FieldError::new(field, Reason::SpecBadValue { value: value.to_string(), reason: Box::new(e.reason) })
        })?;
        if out.iter().any(|(n, _)| n == name) {
            return Err(FieldError::new(field, Reason::SpecNameTwice { name: name.to_string() }));
        }
        if out.len() == DIMS_MAX {
            return Err(FieldError::new(field, Reason::SpecTooManyDims { max: count(DIMS_MAX) }));
        }
        out.push((name.to_string(), value.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dim(name: &str, values: &[&str]) -> SpecDim {
        SpecDim { name: name.into(), values: values.iter().map(|v| v.to_string()).collect() }
    }

    fn sv(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    fn color_size() -> Vec<SpecDim> {
        vec![dim("颜色", &["红", "蓝"]), dim("尺码", &["S", "M", "L"])]
    }

    #[test]
    fn valid_dims() {
        validate_dims(&[]).unwrap();
        validate_dims(&color_size()).unwrap();
        validate_dims(&[dim("颜色", &["红"]), dim("尺码", &["M"]), dim("款式", &["经典款 A"])]).unwrap();
        let thirty: Vec<String> = (0..30).map(|i| format!("v{i}")).collect();
        validate_dims(&[SpecDim { name: "一二三四五六七八九十".into(), values: thirty }]).unwrap();
    }

    #[test]
    fn invalid_dims_name_the_field() {
        let err = |dims: &[SpecDim]| validate_dims(dims).unwrap_err().field;
        let four = [dim("a", &["1"]), dim("b", &["1"]), dim("c", &["1"]), dim("d", &["1"])];
        assert_eq!(err(&four), "specs");
        assert_eq!(err(&[dim("", &["1"])]), "specs[0].name");
        assert_eq!(err(&[dim("a", &["1"]), dim("一二三四五六七八九十一", &["1"])]), "specs[1].name");
        assert_eq!(err(&[dim("颜色", &["红"]), dim("颜色", &["蓝"])]), "specs[1].name");
        assert_eq!(err(&[dim("颜色", &[])]), "specs[0].values");
        let many: Vec<String> = (0..31).map(|i| format!("v{i}")).collect();
        assert_eq!(err(&[SpecDim { name: "n".into(), values: many }]), "specs[0].values");
        assert_eq!(err(&[dim("a", &["1"]), dim("颜色", &["红", "蓝", "红"])]), "specs[1].values[2]");
        assert_eq!(err(&[dim("颜色", &["红", ""])]), "specs[0].values[1]");
        assert_eq!(err(&[dim("颜色", &["x".repeat(21).as_str()])]), "specs[0].values[0]");
        assert_eq!(err(&[dim("颜色", &["红:1"])]), "specs[0].values[0]");
        assert_eq!(err(&[dim("颜色", &["红；1"])]), "specs[0].values[0]");
        assert_eq!(err(&[dim("颜;色", &["红"])]), "specs[0].name");
        assert_eq!(err(&[dim("颜色", &["红\n"])]), "specs[0].values[0]");
        assert_eq!(err(&[dim(" 颜色", &["红"])]), "specs[0].name");
        assert_eq!(validate_dims(&[dim("颜色", &["a:b"])]).unwrap_err().reason, Reason::SpecSeparators);
    }

    #[test]
    fn valid_skus() {
        let dims = color_size();
        validate_sku_specs(&dims, &combinations(&dims)).unwrap();
        validate_sku_specs(&dims, &[sv(&["蓝", "L"])]).unwrap();
        validate_sku_specs(&[], &[vec![]]).unwrap();
    }

    #[test]
    fn invalid_skus_name_the_field() {
        let dims = color_size();
        let err = |dims: &[SpecDim], skus: &[Vec<String>]| validate_sku_specs(dims, skus).unwrap_err();
        assert_eq!(err(&dims, &[]).field, "skus");
        assert_eq!(err(&[], &[]).field, "skus");
        let e = err(&dims, &[sv(&["红", "S"]), sv(&["红"])]);
        assert_eq!(e.field, "skus[1].spec");
        assert_eq!(e.reason, Reason::SkuSpecCount { count: 2, dims: "颜色, 尺码".into() });
        // order matters
        assert_eq!(err(&dims, &[sv(&["S", "红"])]).field, "skus[0].spec");
        let e = err(&dims, &[sv(&["红", "S"]), sv(&["红", "M"]), sv(&["红", "XL"])]);
        assert_eq!(e.field, "skus[2].spec");
        assert_eq!(e.reason, Reason::SkuNotAValue { value: "XL".into(), dim: "尺码".into() });
        let e = err(&dims, &[sv(&["红", "S"]), sv(&["蓝", "M"]), sv(&["红", "L"]), sv(&["蓝", "M"])]);
        assert_eq!(e.field, "skus[3].spec");
        assert_eq!(e.reason, Reason::SkuSameSpecAs { other: "skus[1]".into() });
        assert_eq!(err(&[], &[vec![], vec![]]).field, "skus[1].spec");
        assert_eq!(err(&[], &[sv(&["红"])]).field, "skus[0].spec");
        let many: Vec<Vec<String>> = (0..201).map(|i| vec![i.to_string()]).collect();
        assert_eq!(err(&[dim("n", &["1"])], &many).field, "skus");
    }

    #[test]
    fn combination_matrix() {
        let c = combinations(&color_size());
        assert_eq!(
            c,
            [["红", "S"], ["红", "M"], ["红", "L"], ["蓝", "S"], ["蓝", "M"], ["蓝", "L"]]
                .iter()
                .map(|x| sv(x))
                .collect::<Vec<_>>()
        );
        assert_eq!(combinations(&[]), vec![Vec::<String>::new()]);
        assert!(combinations(&[dim("a", &["1"]), dim("b", &[])]).is_empty());
        let three = [dim("a", &["1", "2"]), dim("b", &["x", "y", "z"]), dim("c", &["p", "q"])];
        assert_eq!(combinations(&three).len(), 12);
    }

    #[test]
    fn dims_from_sku_values() {
        let names = sv(&["颜色", "尺码"]);
        let skus = [sv(&["蓝", "M"]), sv(&["红", "M"]), sv(&["蓝", "S"])];
        assert_eq!(dims_from_skus(&names, &skus), vec![dim("颜色", &["蓝", "红"]), dim("尺码", &["M", "S"])]);
        assert!(dims_from_skus(&[], &[vec![]]).is_empty());
    }

    #[test]
    fn spec_text() {
        let names = sv(&["颜色", "尺码"]);
        assert_eq!(format_spec(&names, &sv(&["红", "M"])), "颜色:红;尺码:M");
        assert_eq!(format_spec(&[], &[]), "");
        let pairs = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
        assert_eq!(parse_spec("spec", "颜色:红;尺码:M").unwrap(), pairs(&[("颜色", "红"), ("尺码", "M")]));
        assert_eq!(parse_spec("spec", " 颜色 ： 红 ；尺码:M; ").unwrap(), pairs(&[("颜色", "红"), ("尺码", "M")]));
        assert_eq!(parse_spec("spec", "").unwrap(), vec![]);
        assert_eq!(parse_spec("spec", "  ").unwrap(), vec![]);
        assert_eq!(parse_spec("spec", "款式:经典 款").unwrap(), pairs(&[("款式", "经典 款")]));
    }

    #[test]
    fn bad_spec_text() {
        for bad in ["红", "颜色:", ":红", "颜色:红:大", "颜色:红;颜色:蓝", "a:1;b:2;c:3;d:4", "颜色:红\u{1}"]
        {
            let e = parse_spec("skus[0].spec", bad).unwrap_err();
            assert_eq!(e.field, "skus[0].spec", "{bad}");
        }
        let length = |max| Box::new(Reason::Length { min: 1, max });
        assert_eq!(
            parse_spec("s", &format!("颜色:{}", "x".repeat(21))).unwrap_err().reason,
            Reason::SpecBadValue { value: "x".repeat(21), reason: length(20) }
        );
        assert_eq!(
            parse_spec("s", "一二三四五六七八九十一:红").unwrap_err().reason,
            Reason::SpecBadName { name: "一二三四五六七八九十一".into(), reason: length(10) }
        );
    }

    fn arb_dims() -> impl Strategy<Value = Vec<SpecDim>> {
        prop::collection::vec(
            ("[颜色尺码款a-z]{1,4}", prop::collection::hash_set("[红蓝绿SMLX0-9 ]{1,6}", 1..5)),
            0..=3,
        )
        .prop_map(|ds| {
            let mut out: Vec<SpecDim> = Vec::new();
            for (name, values) in ds {
                if out.iter().any(|d| d.name == name) {
                    continue;
                }
                let mut values: Vec<String> = values.into_iter().map(|v| v.trim().to_string()).collect();
                values.retain(|v| !v.is_empty());
                values.sort();
                values.dedup();
                if !values.is_empty() {
                    out.push(SpecDim { name, values });
                }
            }
            out
        })
    }

    proptest! {
        #[test]
        fn matrix_is_valid_and_complete(dims in arb_dims()) {
            prop_assert!(validate_dims(&dims).is_ok());
            let c = combinations(&dims);
            prop_assert_eq!(c.len(), dims.iter().map(|d| d.values.len()).product::<usize>());
            if c.len() <= SKUS_MAX {
                prop_assert!(validate_sku_specs(&dims, &c).is_ok());
            }
            prop_assert_eq!(dims_from_skus(&dims.iter().map(|d| d.name.clone()).collect::<Vec<_>>(), &c), dims);
        }

        #[test]
        fn spec_text_round_trips(dims in arb_dims()) {
            let names: Vec<String> = dims.iter().map(|d| d.name.clone()).collect();
            for values in combinations(&dims) {
                let text = format_spec(&names, &values);
                let back = parse_spec("s", &text).unwrap();
                let expected: Vec<(String, String)> = names.iter().cloned().zip(values).collect();
                prop_assert_eq!(back, expected);
            }
        }
    }
}
