//! The message catalogues of refusals: one Fluent file per language (`messages/zh-CN.ftl`, the default, and
//! `messages/en.ftl`), embedded in the binary. A reason's code names its message (`text.too_long` →
//! `text-too_long`) and its parameters are the message's variables; amounts in fen are shown as ¥12.34,
//! labels (an order status) are worded from the same catalogue, and a nested reason is worded in turn.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use minimall_core::error::{Coded, Param};
use minimall_core::Money;

use crate::web::i18n::Lang;

pub const ZH_CN: &str = include_str!("../messages/zh-CN.ftl");
pub const EN: &str = include_str!("../messages/en.ftl");

struct Catalogues {
    zh: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(tag: &str, text: &str) -> FluentBundle<FluentResource> {
    let lang = tag.parse().expect("a valid language tag");
    let mut b = FluentBundle::new_concurrent(vec![lang]);
    // The texts go into JSON and pages, not into bidirectional text: no isolation marks around values.
    b.set_use_isolating(false);
    let res = FluentResource::try_new(text.to_string()).expect("the message catalogue parses");
    b.add_resource(res).expect("message ids are unique");
    b
}

fn catalogues() -> &'static Catalogues {
    static C: OnceLock<Catalogues> = OnceLock::new();
    C.get_or_init(|| Catalogues { zh: bundle("zh-CN", ZH_CN), en: bundle("en", EN) })
}

/// Parse the catalogues now (they are parsed once, at first use otherwise).
pub fn load() {
    catalogues();
}

/// The message id of a code: Fluent ids have no dots.
pub fn message_id(code: &str) -> String {
    code.replace('.', "-")
}

fn bundle_of(lang: Lang) -> &'static FluentBundle<FluentResource> {
    match lang {
        Lang::Zh => &catalogues().zh,
        Lang::En => &catalogues().en,
    }
}

/// A plain message of the catalogue (no variables), by id; `None` when there is none.
pub fn label(lang: Lang, id: &str) -> Option<String> {
    let b = bundle_of(lang);
    let pattern = b.get_message(id)?.value()?;
    let mut errors = Vec::new();
    Some(b.format_pattern(pattern, None, &mut errors).into_owned())
}

fn value(lang: Lang, p: &Param) -> FluentValue<'static> {
    match p {
        Param::Int(n) => FluentValue::from(*n),
        Param::Fen(f) => FluentValue::from(format!("¥{}", Money::from_fen(*f).to_yuan_string())),
        Param::Text(t) => FluentValue::from(t.clone()),
        Param::Label { prefix, key } => {
            FluentValue::from(label(lang, &format!("{prefix}-{key}")).unwrap_or_else(|| (*key).to_string()))
        }
        Param::Coded { code, params } => FluentValue::from(render(lang, code, params)),
    }
}

/// The message of `code` with `params` in `lang`. A code without a message (the catalogue test forbids it)
/// shows as the code.
pub fn render(lang: Lang, code: &str, params: &[(&'static str, Param)]) -> String {
    let b = bundle_of(lang);
    let Some(pattern) = b.get_message(&message_id(code)).and_then(|m| m.value()) else {
        tracing::warn!(code, "a reason without a message");
        return code.to_string();
    };
    let mut args = FluentArgs::with_capacity(params.len());
    for (name, p) in params {
        args.set(*name, value(lang, p));
    }
    let mut errors = Vec::new();
    let text = b.format_pattern(pattern, Some(&args), &mut errors).into_owned();
    if !errors.is_empty() {
        tracing::warn!(code, ?errors, "a message did not format cleanly");
    }
    text
}

/// The message of a coded refusal in `lang`.
pub fn of(lang: Lang, r: &impl Coded) -> String {
    render(lang, r.code(), &r.params())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use fluent_syntax::ast;
    use minimall_core::error::{CodeSpec, Reason};
    use minimall_core::orders::{IllegalTransition, OrderEvent, OrderStatus};

    use super::*;

    /// Every list of codes the server can answer with.
    fn all_codes() -> Vec<CodeSpec> {
        [
            Reason::CODES,
            minimall_core::pricing::Reason::CODES,
            minimall_core::pricing::RuleName::CODES,
            minimall_core::pricing::Terms::CODES,
            minimall_core::pricing::Detail::CODES,
            minimall_core::flash::Refusal::CODES,
            minimall_core::social::group_buy::Refusal::CODES,
            minimall_core::ledger::expense::Refusal::CODES,
            minimall_core::ledger::adjust::AdjustRefusal::CODES,
            minimall_core::members::PointsError::CODES,
            minimall_core::social::channel::ShareParamError::CODES,
            minimall_core::social::channel::WindowError::CODES,
            minimall_core::social::commission::RulesError::CODES,
            minimall_core::social::commission_ledger::CommissionError::CODES,
            minimall_core::social::commission_ledger::WithdrawalRulesError::CODES,
            minimall_core::social::presale::TermsError::CODES,
            minimall_core::social::promoter::RuleError::CODES,
            minimall_core::social::referral::RulesError::CODES,
            minimall_core::ledger::LedgerError::CODES,
            minimall_core::ledger::Invalid::CODES,
            minimall_core::analytics::markdown::LadderError::CODES,
            minimall_core::analytics::customers::BandsError::CODES,
            IllegalTransition::CODES,
            crate::error::ApiReason::CODES,
            crate::orders::tabs::BuyerOrderReason::CODES,
            crate::distribution::Reason::CODES,
            crate::orders::logistics::LogisticsReason::CODES,
            crate::reviews::ReviewReason::CODES,
            crate::accounts::refusals::AccountRefusal::CODES,
            crate::aftersales::refusals::AftersaleRefusal::CODES,
            crate::analytics::refusals::AnalyticsRefusal::CODES,
            crate::catalog::refusals::CatalogRefusal::CODES,
            crate::flash::refusals::FlashRefusal::CODES,
            crate::group_buy::refusals::GroupBuyRefusal::CODES,
            crate::members::refusals::MemberRefusal::CODES,
            crate::ops::refusals::OpsRefusal::CODES,
            crate::orders::refusals::OrderRefusal::CODES,
            crate::promotions::refusals::PromotionRefusal::CODES,
            crate::referral::Refusal::CODES,
            minimall_core::social::community::Refusal::CODES,
            crate::share::ShareRefusal::CODES,
            crate::stored_value::StoredValueRefusal::CODES,
        ]
        .concat()
    }

    fn variables(p: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        fn expr(e: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
            match e {
                ast::Expression::Inline(i) => inline(i, out),
                ast::Expression::Select { selector, variants } => {
                    inline(selector, out);
                    for v in variants {
                        variables(&v.value, out);
                    }
                }
            }
        }
        fn inline(i: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
            match i {
                ast::InlineExpression::VariableReference { id } => {
                    out.insert(id.name.to_string());
                }
                ast::InlineExpression::Placeable { expression } => expr(expression, out),
                _ => {}
            }
        }
        for el in &p.elements {
            if let ast::PatternElement::Placeable { expression } = el {
                expr(expression, out);
            }
        }
    }

    /// Message id → its variables, for one catalogue.
    fn messages(text: &str) -> HashMap<String, BTreeSet<String>> {
        let res = FluentResource::try_new(text.to_string()).expect("parses without errors");
        let mut out = HashMap::new();
        for e in res.entries() {
            if let ast::Entry::Message(m) = e {
                let mut vars = BTreeSet::new();
                variables(m.value.as_ref().expect("a message has a value"), &mut vars);
                assert!(out.insert(m.id.name.to_string(), vars).is_none(), "{} twice", m.id.name);
            }
        }
        out
    }

    #[test]
    fn every_code_has_a_message_in_both_languages_with_exactly_its_parameters() {
        let codes = all_codes();
        let mut ids = BTreeSet::new();
        for (code, _) in &codes {
            assert!(ids.insert(message_id(code)), "{code} is declared twice");
        }
        let labels: Vec<String> = OrderStatus::ALL
            .iter()
            .map(|s| format!("order-status-{}", s.as_str()))
            .chain(OrderEvent::ALL.iter().map(|e| format!("order-event-{}", e.as_str())))
            .chain(minimall_core::error::FIELD_LABELS.iter().map(|f| format!("field-{f}")))
            .chain(crate::error::THINGS.iter().map(|t| format!("thing-{t}")))
            .chain(crate::error::AFTERSALE_STATUSES.iter().map(|s| format!("aftersale-status-{s}")))
            .chain(minimall_core::auth::Role::ALL.iter().map(|r| format!("role-{}", r.as_str())))
            .chain(["order-status-unknown".to_string(), "aftersale-status-unknown".to_string()])
            .chain(crate::labels::FAMILIES.iter().flat_map(|(f, keys)| keys.iter().map(|k| crate::labels::id(f, k))))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        for (lang, text) in [("zh-CN", ZH_CN), ("en", EN)] {
            let m = messages(text);
            for (code, params) in &codes {
                let vars = m.get(&message_id(code)).unwrap_or_else(|| panic!("{code} has no {lang} message"));
                let names: BTreeSet<String> = params.iter().map(|(n, _)| (*n).to_string()).collect();
                assert_eq!(vars, &names, "{lang} message of {code}: its variables are not the code's parameters");
            }
            for l in &labels {
                assert!(m.get(l).is_some_and(BTreeSet::is_empty), "{lang} has no plain message {l}");
            }
            for id in m.keys() {
                assert!(ids.contains(id) || labels.contains(id), "{lang} message {id} is no code or label");
            }
        }
    }

    #[test]
    fn parameters_are_shown_as_the_shop_shows_them() {
        let r = minimall_core::pricing::Reason::BelowThreshold {
            needed_fen: Money::from_fen(33000),
            has_fen: Money::from_fen(1234),
        };
        assert_eq!(of(Lang::Zh, &r), "需满 ¥330.00 的适用商品，购物车有 ¥12.34");
        assert_eq!(of(Lang::En, &r), "needs ¥330.00 of eligible goods, the cart has ¥12.34");
        assert_eq!(of(Lang::En, &Reason::TooLong { max: 100000 }), "must be at most 100000 characters");
        let t = IllegalTransition { from: OrderStatus::ToShip, event: OrderEvent::Pay };
        assert_eq!(of(Lang::Zh, &t), "待发货的订单不能支付");
        let step = minimall_core::pricing::Detail::Shared {
            terms: minimall_core::pricing::Terms::Reduction {
                threshold_fen: Money::from_fen(30000),
                off_fen: Money::from_fen(3000),
            },
            amount_fen: Money::from_fen(32000),
            lines: 2,
        };
        assert_eq!(of(Lang::Zh, &step), "满¥300.00减¥30.00，参与金额 ¥320.00，2 个商品分摊");
        let freight = minimall_core::pricing::Detail::Freight {
            province: "新疆".into(),
            units: 3,
            by_weight: 1,
            has_region: 0,
            region: String::new(),
        };
        assert_eq!(of(Lang::Zh, &freight), "新疆，3 克，默认规则");
        assert_eq!(of(Lang::En, &freight), "新疆, 3 g, default rule");
        let nested = Reason::CsvImage { index: 2, url: "http://x/a.jpg".into(), reason: Box::new(Reason::ImageHttp) };
        assert_eq!(of(Lang::Zh, &nested), "第 2 张图片“http://x/a.jpg”：须使用 https，不能用 http");
    }
}
