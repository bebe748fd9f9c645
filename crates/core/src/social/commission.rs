//! Commission rules (佣金规则): what an order's lines earn the buyer's promoter (direct) and the promoter's
//! own promoter one level up (team leader).
//!
//! Each tier's rate is a percent of the line's apportioned paid amount (what the buyer paid for the line in
//! money, after every discount, coupon and points) in basis points, or a fixed amount per unit. A product
//! may override the shop's rates. The seeds' examples: a community group's promoter earns 20 % of the group's
//! sales (`Percent { basis_points: 2000 }` direct); a ¥10 reward per unit split ¥4 to the direct promoter and
//! ¥6 to the team leader (`PerUnit(400)` direct, `PerUnit(600)` leader).
//!
//! **Rounding.** A percent commission is rounded down to the fen (`floor(paid × bp / 10000)`), so a promoter
//! is never paid above the stated rate; fixed amounts are exact. The two tiers of a line together never exceed
//! the line's paid amount: the direct promoter's part is capped at it, and the leader's at what is left.
//! Nobody earns commission on their own purchase: a direct promoter or leader who is the buyer earns nothing
//! on the order, and a leader who is also the direct promoter earns the direct part only.

use crate::Money;

/// The largest rate: 100 %.
pub const BASIS_POINTS_MAX: u32 = 10_000;
pub const OVERRIDES_MAX: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// Basis points (万分之一) of the line's apportioned paid amount.
    Percent { basis_points: u32 },
    /// A fixed amount per unit of the line.
    PerUnit { amount: Money },
}

impl Rate {
    /// The commission of a line of `quantity` units paid `paid`, before the cap.
    pub fn on(self, paid: Money, quantity: u32) -> Money {
        match self {
            Rate::Percent { basis_points } => {
                let fen = i128::from(paid.fen().max(0)) * i128::from(basis_points) / i128::from(BASIS_POINTS_MAX);
                Money::from_fen(i64::try_from(fen).unwrap_or(i64::MAX))
            }
            Rate::PerUnit { amount } => amount.checked_mul(i64::from(quantity)).unwrap_or(Money::from_fen(i64::MAX)),
        }
    }
}

/// The rates of both tiers; a tier without a rate earns nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TierRates {
    pub direct: Option<Rate>,
    pub leader: Option<Rate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductOverride {
    pub product_id: i64,
    pub rates: TierRates,
}

/// A shop's commission rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rules {
    pub default: TierRates,
    pub overrides: Vec<ProductOverride>,
}

crate::field_coded_enum! {
    pub enum RulesError (field: String) {
        OutOfRange { min: i64, max: i64 } = "commission.out_of_range",
        AboveTheWhole {} = "commission.above_the_whole",
        DuplicateProduct {} = "commission.duplicate_product",
        TooMany { max: usize } = "commission.too_many_overrides",
    }
}

fn check_rate(field: String, rate: Option<Rate>) -> Result<(), RulesError> {
    match rate {
        Some(Rate::Percent { basis_points }) if basis_points > BASIS_POINTS_MAX => {
            Err(RulesError::OutOfRange { field, min: 0, max: i64::from(BASIS_POINTS_MAX) })
        }
        Some(Rate::PerUnit { amount }) if !(0..=crate::money::MAX_INPUT_FEN).contains(&amount.fen()) => {
            Err(RulesError::OutOfRange { field, min: 0, max: crate::money::MAX_INPUT_FEN })
        }
        _ => Ok(()),
    }
}

impl TierRates {
    fn validate(&self, prefix: &str) -> Result<(), RulesError> {
        check_rate(format!("{prefix}.direct"), self.direct)?;
        check_rate(format!("{prefix}.leader"), self.leader)?;
        if let (Some(Rate::Percent { basis_points: a }), Some(Rate::Percent { basis_points: b })) =
            (self.direct, self.leader)
        {
            if a + b > BASIS_POINTS_MAX {
                return Err(RulesError::AboveTheWhole { field: format!("{prefix}.leader") });
            }
        }
        Ok(())
    }
}

impl Rules {
    pub fn validate(&self) -> Result<(), RulesError> {
        self.default.validate("default")?;
        if self.overrides.len() > OVERRIDES_MAX {
            return Err(RulesError::TooMany { field: "overrides".into(), max: OVERRIDES_MAX });
        }
        for (i, o) in self.overrides.iter().enumerate() {
            if o.product_id <= 0 {
                return Err(RulesError::OutOfRange {
                    field: format!("overrides[{i}].product_id"),
                    min: 1,
                    max: i64::MAX,
                });
            }
            if self.overrides[..i].iter().any(|p| p.product_id == o.product_id) {
                return Err(RulesError::DuplicateProduct { field: format!("overrides[{i}].product_id") });
            }
            o.rates.validate(&format!("overrides[{i}]"))?;
        }
        Ok(())
    }

    /// The rates that apply to `product_id`.
    pub fn rates_for(&self, product_id: i64) -> TierRates {
        self.overrides.iter().find(|o| o.product_id == product_id).map_or(self.default, |o| o.rates)
    }
}

/// One paid order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaidLine {
    pub line_id: i64,
    pub product_id: i64,
    pub quantity: u32,
    /// The line's apportioned paid amount.
    pub paid: Money,
}

/// A promoter who may earn on an order: their promoter id and the buyer account that is them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earner {
    pub promoter_id: i64,
    pub buyer_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    Direct,
    Leader,
}

impl Tier {
    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Direct => "direct",
            Tier::Leader => "leader",
        }
    }

    pub fn parse(s: &str) -> Option<Tier> {
        [Tier::Direct, Tier::Leader].into_iter().find(|t| t.as_str() == s)
    }
}

/// The commission one line earns one promoter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineCommission {
    pub line_id: i64,
    pub product_id: i64,
    pub promoter_id: i64,
    pub tier: Tier,
    pub amount: Money,
    /// The line's paid amount the commission was earned on (a refund reverses in proportion to it).
    pub base: Money,
}

/// The commissions an order's lines earn, lines in order, direct before leader; nothing of zero.
pub fn commissions(
    rules: &Rules,
    buyer_id: i64,
    direct: Option<Earner>,
    leader: Option<Earner>,
    lines: &[PaidLine],
) -> Vec<LineCommission> {
    let direct = direct.filter(|d| d.buyer_id != buyer_id);
    let leader = leader.filter(|l| l.buyer_id != buyer_id && direct.is_none_or(|d| d.promoter_id != l.promoter_id));
    let mut out = Vec::new();
    for line in lines {
        let paid = line.paid.max(Money::ZERO);
        let rates = rules.rates_for(line.product_id);
        let mut left = paid;
        for (tier, earner, rate) in [(Tier::Direct, direct, rates.direct), (Tier::Leader, leader, rates.leader)] {
            let (Some(e), Some(r)) = (earner, rate) else { continue };
            let amount = r.on(paid, line.quantity).min(left);
            left = Money::from_fen(left.fen() - amount.fen());
            if amount.fen() > 0 {
                out.push(LineCommission {
                    line_id: line.line_id,
                    product_id: line.product_id,
                    promoter_id: e.promoter_id,
                    tier,
                    amount,
                    base: paid,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BUYER: i64 = 1;
    const DIRECT: Earner = Earner { promoter_id: 10, buyer_id: 2 };
    const LEADER: Earner = Earner { promoter_id: 20, buyer_id: 3 };

    fn line(id: i64, product: i64, qty: u32, paid: i64) -> PaidLine {
        PaidLine { line_id: id, product_id: product, quantity: qty, paid: Money::from_fen(paid) }
    }

    #[test]
    fn a_community_groups_promoter_earns_20_percent_rounded_down() {
        let rules = Rules {
            default: TierRates { direct: Some(Rate::Percent { basis_points: 2_000 }), leader: None },
            overrides: vec![],
        };
        assert_eq!(rules.validate(), Ok(()));
        // ¥99.99 × 20 % = 1999.8 fen → ¥19.99.
        let c = commissions(&rules, BUYER, Some(DIRECT), Some(LEADER), &[line(1, 5, 1, 9_999), line(2, 6, 3, 30_000)]);
        assert_eq!(
            c.iter().map(|c| (c.line_id, c.promoter_id, c.amount.fen())).collect::<Vec<_>>(),
            vec![(1, 10, 1_999), (2, 10, 6_000)]
        );
        assert_eq!(c[0].base, Money::from_fen(9_999));
    }

    #[test]
    fn a_10_yuan_reward_splits_4_direct_and_6_to_the_team_leader() {
        let rules = Rules {
            default: TierRates::default(),
            overrides: vec![ProductOverride {
                product_id: 9,
                rates: TierRates {
                    direct: Some(Rate::PerUnit { amount: Money::from_fen(400) }),
                    leader: Some(Rate::PerUnit { amount: Money::from_fen(600) }),
                },
            }],
        };
        let c = commissions(&rules, BUYER, Some(DIRECT), Some(LEADER), &[line(1, 9, 2, 19_800), line(2, 5, 1, 5_000)]);
        assert_eq!(
            c.iter().map(|c| (c.tier, c.amount.fen())).collect::<Vec<_>>(),
            vec![(Tier::Direct, 800), (Tier::Leader, 1_200)]
        );
        // A line paid less than the reward: the direct part first, the leader gets what is left.
        let c = commissions(&rules, BUYER, Some(DIRECT), Some(LEADER), &[line(1, 9, 1, 700)]);
        assert_eq!(c.iter().map(|c| c.amount.fen()).collect::<Vec<_>>(), vec![400, 300]);
        // No direct promoter: the leader still earns their part.
        let c = commissions(&rules, BUYER, None, Some(LEADER), &[line(1, 9, 1, 19_800)]);
        assert_eq!(c.iter().map(|c| (c.tier, c.amount.fen())).collect::<Vec<_>>(), vec![(Tier::Leader, 600)]);
    }

    #[test]
    fn nobody_earns_on_their_own_purchase() {
        let rules = Rules {
            default: TierRates {
                direct: Some(Rate::Percent { basis_points: 1_000 }),
                leader: Some(Rate::Percent { basis_points: 500 }),
            },
            overrides: vec![],
        };
        let l = [line(1, 5, 1, 10_000)];
        let own = commissions(&rules, DIRECT.buyer_id, Some(DIRECT), Some(LEADER), &l);
        assert_eq!(own.iter().map(|c| (c.tier, c.promoter_id)).collect::<Vec<_>>(), vec![(Tier::Leader, 20)]);
        assert!(commissions(&rules, LEADER.buyer_id, None, Some(LEADER), &l).is_empty());
        let same = commissions(&rules, BUYER, Some(DIRECT), Some(DIRECT), &l);
        assert_eq!(same.len(), 1);
    }

    #[test]
    fn rules_are_checked_with_the_field_at_fault() {
        let pct = |bp| Some(Rate::Percent { basis_points: bp });
        let r = Rules { default: TierRates { direct: pct(6_000), leader: pct(5_000) }, overrides: vec![] };
        assert_eq!(r.validate().unwrap_err().code(), "commission.above_the_whole");
        assert_eq!(r.validate().unwrap_err().field(), "default.leader");
        let r = Rules { default: TierRates { direct: pct(10_001), leader: None }, overrides: vec![] };
        assert_eq!(r.validate().unwrap_err().field(), "default.direct");
        let o = ProductOverride { product_id: 3, rates: TierRates { direct: pct(100), leader: None } };
        let r = Rules { default: TierRates::default(), overrides: vec![o, o] };
        assert_eq!(r.validate().unwrap_err().field(), "overrides[1].product_id");
        let neg = ProductOverride {
            product_id: 4,
            rates: TierRates { direct: None, leader: Some(Rate::PerUnit { amount: Money::from_fen(-1) }) },
        };
        let r = Rules { default: TierRates::default(), overrides: vec![neg] };
        assert_eq!(r.validate().unwrap_err().field(), "overrides[0].leader");
    }

    fn any_rate() -> impl Strategy<Value = Option<Rate>> {
        prop_oneof![
            Just(None),
            (0u32..=10_000).prop_map(|bp| Some(Rate::Percent { basis_points: bp })),
            (0i64..5_000).prop_map(|f| Some(Rate::PerUnit { amount: Money::from_fen(f) })),
        ]
    }

    proptest! {
        /// Whatever the rates, a line's commissions never exceed what was paid for it, none is negative,
        /// and a percent commission is the rate rounded down.
        #[test]
        fn commissions_never_exceed_the_paid_line(
            direct in any_rate(),
            leader in any_rate(),
            lines in prop::collection::vec((1u32..20, 0i64..1_000_000), 1..6),
        ) {
            let rules = Rules { default: TierRates { direct, leader }, overrides: vec![] };
            let lines: Vec<PaidLine> =
                lines.iter().enumerate().map(|(i, (q, p))| line(i as i64, 1, *q, *p)).collect();
            let cs = commissions(&rules, BUYER, Some(DIRECT), Some(LEADER), &lines);
            for l in &lines {
                let of_line: Vec<&LineCommission> = cs.iter().filter(|c| c.line_id == l.line_id).collect();
                let sum: i64 = of_line.iter().map(|c| c.amount.fen()).sum();
                prop_assert!(sum <= l.paid.fen());
                prop_assert!(of_line.iter().all(|c| c.amount.fen() > 0));
                if let Some(d) = of_line.iter().find(|c| c.tier == Tier::Direct) {
                    if let Some(Rate::Percent { basis_points }) = direct {
                        prop_assert_eq!(d.amount.fen(), l.paid.fen() * i64::from(basis_points) / 10_000);
                    }
                }
            }
        }
    }
}
