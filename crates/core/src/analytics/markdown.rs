//! Slow movers and markdown ladders.
//!
//! A lot of stock has a sell-through, units sold / units received, and an age, days since it was received. The
//! shop sets a target (e.g. 60 % within 30 days); until the target day the target grows in proportion to age.
//! A lot is *below target* on a day when its sell-through at the end of that day is under that day's target; the
//! days of the current run below target decide the step: −10 % after `n_days`, −20 % after `2 × n_days`. The
//! suggested price is never under cost × (1 + the shop's margin floor), rounded up to the fen; with no cost
//! price known there is no suggestion. All amounts are integer fen.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ladder {
    /// Sell-through to reach, in basis points (6000 = 60 %).
    pub target_bp: i64,
    /// By this many days after receiving.
    pub target_days: i64,
    /// Days below target before the first step; the second comes after twice as many.
    pub n_days: i64,
    /// The least margin over cost a marked-down price keeps, in basis points (1000 = 10 %).
    pub margin_floor_bp: i64,
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder { target_bp: 6_000, target_days: 30, n_days: 14, margin_floor_bp: 1_000 }
    }
}

crate::field_coded_enum! {
    pub enum LadderError (field: &'static str) {
        OutOfRange { min: i64, max: i64 } = "markdown.out_of_range",
    }
}

impl Ladder {
    pub fn validate(&self) -> Result<(), LadderError> {
        let check = |field: &'static str, v: i64, min: i64, max: i64| {
            if (min..=max).contains(&v) {
                Ok(())
            } else {
                Err(LadderError::OutOfRange { field, min, max })
            }
        };
        check("target_bp", self.target_bp, 1, 10_000)?;
        check("target_days", self.target_days, 1, 365)?;
        check("n_days", self.n_days, 1, 180)?;
        check("margin_floor_bp", self.margin_floor_bp, 0, 10_000)
    }
}

/// A SKU's stock as the ladder needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lot {
    pub sku_id: i64,
    pub price_fen: i64,
    pub cost_fen: Option<i64>,
    pub received_units: i64,
    /// Units sold on each day since receiving (index 0: the day received), up to and including today.
    pub daily_sold: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    TenOff,
    TwentyOff,
}

impl Step {
    pub fn code(self) -> &'static str {
        match self {
            Step::TenOff => "ten_off",
            Step::TwentyOff => "twenty_off",
        }
    }

    fn percent_kept(self) -> i64 {
        match self {
            Step::TenOff => 90,
            Step::TwentyOff => 80,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    pub sku_id: i64,
    /// Days since received (0 on the day itself).
    pub age_days: i64,
    pub sold_units: i64,
    pub on_hand: i64,
    pub sell_through_bp: i64,
    /// The current run of days below target, ending today.
    pub days_below: i64,
    pub suggestion: Option<Suggestion>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub step: Step,
    pub price_fen: i64,
    pub floor_fen: i64,
    /// The step's price would have undercut the floor; the floor is suggested instead.
    pub at_floor: bool,
}

/// The lowest price the margin floor allows: cost × (10000 + floor) / 10000, rounded up.
pub fn floor_price(cost_fen: i64, margin_floor_bp: i64) -> i64 {
    let num = i128::from(cost_fen.max(0)) * i128::from(10_000 + margin_floor_bp);
    let floor = (num + 9_999) / 10_000;
    i64::try_from(floor).unwrap_or(i64::MAX)
}

/// The price of a step, rounded down to the fen (never up: a discount is not smaller than it says), then raised to
/// the floor. `None` when even the floor is not below the current price.
pub fn step_price(price_fen: i64, cost_fen: i64, step: Step, margin_floor_bp: i64) -> Option<Suggestion> {
    let floor = floor_price(cost_fen, margin_floor_bp);
    let stepped = i64::try_from(i128::from(price_fen) * i128::from(step.percent_kept()) / 100).ok()?;
    let price = stepped.max(floor);
    (price < price_fen).then_some(Suggestion { step, price_fen: price, floor_fen: floor, at_floor: stepped < floor })
}

/// The target sell-through (basis points) at the end of day `age` after receiving.
fn target_at(ladder: &Ladder, age: i64) -> i64 {
    ladder.target_bp * (age + 1).min(ladder.target_days) / ladder.target_days
}

/// One lot's sell-through, run below target and suggested step.
pub fn assess(ladder: &Ladder, lot: &Lot) -> Assessment {
    let received = lot.received_units.max(0);
    let mut sold = 0i64;
    let mut run = 0i64;
    for (age, units) in lot.daily_sold.iter().enumerate() {
        sold += units.max(&0);
        let through = if received == 0 { 10_000 } else { sold.min(received) * 10_000 / received };
        if through < target_at(ladder, age as i64) {
            run += 1;
        } else {
            run = 0;
        }
    }
    let sell_through_bp = if received == 0 { 10_000 } else { sold.min(received) * 10_000 / received };
    let step = if run >= 2 * ladder.n_days {
        Some(Step::TwentyOff)
    } else if run >= ladder.n_days {
        Some(Step::TenOff)
    } else {
        None
    };
    let on_hand = (received - sold).max(0);
    let suggestion = match (step, lot.cost_fen) {
        (Some(step), Some(cost)) if on_hand > 0 => step_price(lot.price_fen, cost, step, ladder.margin_floor_bp),
        _ => None,
    };
    Assessment {
        sku_id: lot.sku_id,
        age_days: (lot.daily_sold.len() as i64 - 1).max(0),
        sold_units: sold,
        on_hand,
        sell_through_bp,
        days_below: run,
        suggestion,
    }
}

/// The slow movers among `lots`: those below target today, longest run first, then lowest sell-through, then SKU.
pub fn slow_movers(ladder: &Ladder, lots: &[Lot]) -> Vec<Assessment> {
    let mut out: Vec<Assessment> = lots.iter().map(|l| assess(ladder, l)).filter(|a| a.days_below > 0).collect();
    out.sort_by(|a, b| {
        b.days_below.cmp(&a.days_below).then(a.sell_through_bp.cmp(&b.sell_through_bp)).then(a.sku_id.cmp(&b.sku_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lot(price: i64, cost: Option<i64>, received: i64, daily: Vec<i64>) -> Lot {
        Lot { sku_id: 1, price_fen: price, cost_fen: cost, received_units: received, daily_sold: daily }
    }

    #[test]
    fn the_floor_rounds_up_and_the_step_rounds_down() {
        assert_eq!(floor_price(1_001, 1_000), 1_102, "1001 × 1.1 = 1101.1 → 1102");
        assert_eq!(floor_price(1_000, 0), 1_000);
        let s = step_price(9_999, 1_000, Step::TenOff, 1_000).unwrap();
        assert_eq!((s.price_fen, s.at_floor), (8_999, false), "9999 × 0.9 = 8999.1 → 8999");
        let s = step_price(10_000, 8_000, Step::TwentyOff, 1_000).unwrap();
        assert_eq!((s.price_fen, s.floor_fen, s.at_floor), (8_800, 8_800, true));
        assert_eq!(step_price(10_000, 9_500, Step::TenOff, 1_000), None, "the floor is above the price");
    }

    #[test]
    fn steps_come_after_n_and_2n_days_below_target() {
        let ladder = Ladder { target_bp: 6_000, target_days: 30, n_days: 10, margin_floor_bp: 1_000 };
        // 100 received, nothing sold: below target from day 0 (target 2 % of 60 % … ).
        let a = assess(&ladder, &lot(10_000, Some(5_000), 100, vec![0; 9]));
        assert_eq!((a.days_below, a.suggestion), (9, None));
        let a = assess(&ladder, &lot(10_000, Some(5_000), 100, vec![0; 10]));
        assert_eq!(a.suggestion.unwrap().price_fen, 9_000);
        let a = assess(&ladder, &lot(10_000, Some(5_000), 100, vec![0; 20]));
        assert_eq!((a.days_below, a.suggestion.as_ref().unwrap().step), (20, Step::TwentyOff));
        assert_eq!(a.suggestion.unwrap().price_fen, 8_000);
        // Selling 2 a day keeps ahead of 60 % in 30 days (2 % a day): never below.
        let a = assess(&ladder, &lot(10_000, Some(5_000), 100, vec![2; 25]));
        assert_eq!((a.days_below, a.sell_through_bp), (0, 5_000));
        // A good start, then nothing: the run counts only the days since it fell behind.
        let mut days = vec![10; 3];
        days.extend([0; 13]);
        let a = assess(&ladder, &lot(10_000, Some(5_000), 100, days));
        assert_eq!(a.sell_through_bp, 3_000);
        assert_eq!(a.days_below, 1, "30 % meets day 14's target (15 × 2 %); only day 15 is below");
        // No cost known, or nothing left on hand: no suggestion.
        assert_eq!(assess(&ladder, &lot(10_000, None, 100, vec![0; 30])).suggestion, None);
        let a = assess(&ladder, &lot(10_000, Some(1), 1, vec![0; 30]));
        assert!(a.suggestion.is_some());
        assert_eq!(assess(&ladder, &lot(10_000, Some(1), 0, vec![0; 30])).suggestion, None);
    }

    #[test]
    fn slow_movers_come_longest_below_first() {
        let ladder = Ladder::default();
        let mut a = lot(100, Some(10), 100, vec![0; 20]);
        a.sku_id = 1;
        let mut b = lot(100, Some(10), 100, vec![0; 40]);
        b.sku_id = 2;
        let mut c = lot(100, Some(10), 100, vec![5; 40]);
        c.sku_id = 3;
        let out = slow_movers(&ladder, &[a, b, c]);
        assert_eq!(out.iter().map(|x| x.sku_id).collect::<Vec<_>>(), vec![2, 1]);
        assert_eq!(Ladder { n_days: 0, ..ladder }.validate().unwrap_err().field(), "n_days");
    }

    proptest! {
        /// Whatever the stock and prices: a suggestion is below the current price, never under the margin floor
        /// (so never under cost), and 20 % off is never dearer than 10 % off.
        #[test]
        fn suggestions_stay_within_the_floor(
            price in 1i64..10_000_000,
            cost in 0i64..10_000_000,
            floor_bp in 0i64..10_000,
            received in 0i64..1_000,
            daily in prop::collection::vec(0i64..20, 0..120),
            n in 1i64..60,
        ) {
            let ladder = Ladder { target_bp: 6_000, target_days: 30, n_days: n, margin_floor_bp: floor_bp };
            let a = assess(&ladder, &lot(price, Some(cost), received, daily));
            if let Some(s) = &a.suggestion {
                prop_assert!(s.price_fen < price);
                prop_assert!(s.price_fen >= cost);
                prop_assert!(i128::from(s.price_fen) * 10_000 >= i128::from(cost) * i128::from(10_000 + floor_bp));
            }
            let ten = step_price(price, cost, Step::TenOff, floor_bp).map(|s| s.price_fen).unwrap_or(price);
            let twenty = step_price(price, cost, Step::TwentyOff, floor_bp).map(|s| s.price_fen).unwrap_or(price);
            prop_assert!(twenty <= ten);
            prop_assert!((0..=10_000).contains(&a.sell_through_bp));
        }
    }
}
