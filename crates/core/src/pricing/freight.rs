//! 运费模板: what one freight template charges for the lines it ships to one province.
//!
//! A template counts pieces (`ByPiece`) or grams (`ByWeight`, weight × quantity). The first region whose
//! province list matches the address sets the rule, otherwise the default rule applies. Provinces match
//! when either name starts with the other, so `新疆` matches `新疆维吾尔自治区` and `广东` matches `广东省`.

use super::{FreightMode, FreightRule, FreightTemplate, Line};
use crate::Money;

/// The fee of template `t` for `lines` shipped to `province`; `None` when the template does not deliver there.
///
/// fee = first_fee + ⌈max(0, units − first_units) / additional_units⌉ × additional_fee. A group with no unit to
/// ship (no line, or only quantities ≤ 0) costs nothing; a parcel of weightless goods still pays the first fee.
pub fn shipping_fee(t: &FreightTemplate, province: &str, lines: &[&Line]) -> Option<Money> {
    charge(t, province, lines).map(|c| c.fee)
}

/// A template's fee with what it was computed from, for the quote's derivation.
pub(super) struct Charge<'a> {
    pub fee: Money,
    /// Pieces or grams, depending on the template mode.
    pub units: i64,
    /// The region entry that matched the province, `None` when the default rule applied.
    pub region: Option<&'a str>,
}

pub(super) fn charge<'a>(t: &'a FreightTemplate, province: &str, lines: &[&Line]) -> Option<Charge<'a>> {
    if !delivers_to(t, province) {
        return None;
    }
    let pieces = lines.iter().fold(0i64, |acc, l| acc.saturating_add(l.quantity.max(0)));
    let units = match t.mode {
        FreightMode::ByPiece => pieces,
        FreightMode::ByWeight => {
            lines.iter().fold(0i64, |acc, l| acc.saturating_add(l.weight_g.max(0).saturating_mul(l.quantity.max(0))))
        }
    };
    let region = t
        .regions
        .iter()
        .find_map(|(names, rule)| names.iter().find(|n| same_province(n, province)).map(|n| (n.as_str(), rule)));
    let rule = region.map_or(&t.default_rule, |(_, r)| r);
    let fee = if pieces == 0 { 0 } else { rule_fee(rule, units) };
    Some(Charge { fee: Money::from_fen(fee), units, region: region.map(|(n, _)| n) })
}

/// Does template `t` deliver to `province`?
pub(super) fn delivers_to(t: &FreightTemplate, province: &str) -> bool {
    !t.no_delivery.iter().any(|p| same_province(p, province))
}

/// Province names as written in addresses and templates: equal when one starts with the other (ignoring
/// surrounding blanks). An empty name matches nothing.
pub(super) fn same_province(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    !a.is_empty() && !b.is_empty() && (a.starts_with(b) || b.starts_with(a))
}

fn rule_fee(rule: &FreightRule, units: i64) -> i64 {
    let extra = units.saturating_sub(rule.first_units.max(0)).max(0);
    let per = rule.additional_units.max(1);
    let blocks = extra / per + i64::from(extra % per != 0);
    rule.first_fee.fen().max(0).saturating_add(blocks.saturating_mul(rule.additional_fee.fen().max(0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn item(quantity: i64, weight_g: i64) -> Line {
        Line {
            sku_id: 1,
            product_id: 1,
            category_path: vec![1],
            title: "商品".into(),
            quantity,
            sale_price: Money::from_fen(1000),
            original_price: Money::from_fen(1000),
            weight_g,
            free_shipping: false,
            coupons_usable: true,
            earns_points: true,
            freight_template_id: None,
            special_price: None,
        }
    }

    fn rule(first_units: i64, first_fee: i64, additional_units: i64, additional_fee: i64) -> FreightRule {
        FreightRule {
            first_units,
            first_fee: Money::from_fen(first_fee),
            additional_units,
            additional_fee: Money::from_fen(additional_fee),
        }
    }

    fn template(mode: FreightMode) -> FreightTemplate {
        FreightTemplate {
            id: 1,
            name: "默认".into(),
            mode,
            default_rule: rule(1, 800, 1, 300),
            regions: vec![
                (vec!["新疆".into(), "西藏自治区".into()], rule(1, 2000, 1, 1500)),
                (vec!["新疆维吾尔自治区".into()], rule(1, 9900, 1, 9900)),
            ],
            free_over: None,
            no_delivery: vec!["香港".into()],
        }
    }

    fn fee(t: &FreightTemplate, province: &str, lines: &[Line]) -> Option<i64> {
        let refs: Vec<&Line> = lines.iter().collect();
        shipping_fee(t, province, &refs).map(Money::fen)
    }

    #[test]
    fn by_piece_default_rule() {
        let t = template(FreightMode::ByPiece);
        assert_eq!(fee(&t, "广东省", &[item(1, 0)]), Some(800));
        // 3 + 2 pieces: first piece 8.00, four more at 3.00
        assert_eq!(fee(&t, "广东省", &[item(3, 0), item(2, 0)]), Some(800 + 4 * 300));
    }

    #[test]
    fn region_matches_by_prefix_either_way_and_first_region_wins() {
        let t = template(FreightMode::ByPiece);
        // 新疆 (template) matches 新疆维吾尔自治区 (address); the first region wins over the later exact name
        assert_eq!(fee(&t, "新疆维吾尔自治区", &[item(3, 0)]), Some(2000 + 2 * 1500));
        assert_eq!(fee(&t, "新疆", &[item(1, 0)]), Some(2000));
        // 西藏自治区 (template) matches 西藏 (address)
        assert_eq!(fee(&t, " 西藏 ", &[item(2, 0)]), Some(3500));
        let c = charge(&t, "新疆维吾尔自治区", &[&item(1, 0)]).unwrap();
        assert_eq!(c.region, Some("新疆"));
        assert_eq!(charge(&t, "广东", &[&item(1, 0)]).unwrap().region, None);
    }

    #[test]
    fn no_delivery_is_none() {
        let t = template(FreightMode::ByPiece);
        assert_eq!(fee(&t, "香港特别行政区", &[item(1, 0)]), None);
        assert_eq!(fee(&t, "香港", &[]), None);
        assert!(!delivers_to(&t, "香港"));
        assert!(delivers_to(&t, "广东"));
    }

    #[test]
    fn empty_names_match_nothing() {
        assert!(!same_province("", "广东"));
        assert!(!same_province("广东", " "));
        assert!(!same_province("", ""));
        let mut t = template(FreightMode::ByPiece);
        t.no_delivery = vec![String::new()];
        assert_eq!(fee(&t, "广东", &[item(1, 0)]), Some(800));
        assert_eq!(fee(&t, "", &[item(1, 0)]), Some(800));
    }

    #[test]
    fn by_weight_rounds_additional_blocks_up() {
        let mut t = template(FreightMode::ByWeight);
        t.default_rule = rule(1000, 1000, 500, 200);
        // 2 × 600 g = 1200 g: first kilo 10.00, 200 g more is one started 500 g block
        assert_eq!(fee(&t, "浙江", &[item(2, 600)]), Some(1200));
        assert_eq!(fee(&t, "浙江", &[item(1, 1000)]), Some(1000));
        assert_eq!(fee(&t, "浙江", &[item(1, 1501)]), Some(1400));
        // weightless goods still make a parcel
        assert_eq!(fee(&t, "浙江", &[item(3, 0)]), Some(1000));
    }

    #[test]
    fn nothing_to_ship_costs_nothing() {
        let t = template(FreightMode::ByPiece);
        assert_eq!(fee(&t, "广东", &[]), Some(0));
        assert_eq!(fee(&t, "广东", &[item(0, 500), item(-3, 500)]), Some(0));
    }

    #[test]
    fn degenerate_rules_do_not_panic() {
        let mut t = template(FreightMode::ByWeight);
        t.default_rule = rule(-5, -100, 0, 300);
        // additional_units 0 counts as 1, negative fees and first units as 0
        assert_eq!(fee(&t, "广东", &[item(1, 3)]), Some(900));
        t.default_rule = rule(0, i64::MAX, 1, i64::MAX);
        assert_eq!(fee(&t, "广东", &[item(i64::MAX, i64::MAX), item(i64::MAX, 1)]), Some(i64::MAX));
        t.default_rule = rule(i64::MAX, 5, i64::MIN, 5);
        assert_eq!(fee(&t, "广东", &[item(1, i64::MIN)]), Some(5));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn fee_grows_with_quantity_and_never_negative(
            by_weight in any::<bool>(),
            first_units in -5i64..3000,
            first_fee in -100i64..5000,
            additional_units in -2i64..1000,
            additional_fee in -100i64..3000,
            qty in 0i64..50,
            weight in 0i64..5000,
        ) {
            let mut t = template(if by_weight { FreightMode::ByWeight } else { FreightMode::ByPiece });
            t.default_rule = rule(first_units, first_fee, additional_units, additional_fee);
            let a = fee(&t, "江苏", &[item(qty, weight)]).unwrap();
            let b = fee(&t, "江苏", &[item(qty + 1, weight)]).unwrap();
            prop_assert!(a >= 0);
            prop_assert!(b >= a);
            if qty > 0 {
                prop_assert!(a >= first_fee.max(0));
            }
        }
    }
}
