//! Member levels. A level is reached by cumulative completed spend, by points earned, or by either or
//! both; a buyer holds the highest level whose threshold they meet. Whether a level can be lost when
//! spend falls (a refund after the level was reached) is the shop's downgrade policy.

use crate::error::{FieldError, Reason};

/// What a buyer has done that levels are measured by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Spend of completed orders less what was refunded on them, in fen.
    pub completed_spend_fen: i64,
    /// Points earned over the buyer's life (spending or expiry does not lower it; reversals do).
    pub points_earned: i64,
}

/// How a level is reached. With both measures set, `both` says whether both must be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    pub min_spend_fen: Option<i64>,
    pub min_points: Option<i64>,
    pub both: bool,
}

impl Threshold {
    pub fn spend(fen: i64) -> Self {
        Threshold { min_spend_fen: Some(fen), min_points: None, both: false }
    }

    pub fn points(points: i64) -> Self {
        Threshold { min_spend_fen: None, min_points: Some(points), both: false }
    }

    pub fn met(&self, p: &Progress) -> bool {
        let spend = self.min_spend_fen.map(|m| p.completed_spend_fen >= m);
        let points = self.min_points.map(|m| p.points_earned >= m);
        match (spend, points) {
            (Some(s), Some(q)) if self.both => s && q,
            (Some(s), Some(q)) => s || q,
            (Some(s), None) => s,
            (None, Some(q)) => q,
            (None, None) => false,
        }
    }
}

/// What holding a level gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Benefits {
    /// Member price as a percent of the sale price (95 = 5 % off); `None`: no member price.
    pub discount_pct: Option<u8>,
    pub free_shipping: bool,
    /// Points earned are multiplied by this percent (100 = ×1, 150 = ×1.5).
    pub points_multiplier_pct: u32,
    /// The coupon granted once a year in the birthday month.
    pub birthday_coupon_id: Option<i64>,
}

impl Default for Benefits {
    fn default() -> Self {
        Benefits { discount_pct: None, free_shipping: false, points_multiplier_pct: 100, birthday_coupon_id: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub id: i64,
    pub name: String,
    /// Higher is better; unique within a shop.
    pub rank: i32,
    pub threshold: Threshold,
    pub benefits: Benefits,
}

pub const NAME_MAX_CHARS: usize = 20;
pub const LEVELS_MAX: usize = 20;
pub const MULTIPLIER_MAX_PCT: u32 = 1_000;

/// Largest spend or points threshold accepted.
pub const THRESHOLD_MAX: i64 = 10_000_000_000;

/// Check a shop's whole level table. A higher rank must ask at least as much of every measure it shares
/// with a lower one, so that meeting a higher level's threshold never skips a lower one it implies.
pub fn validate(levels: &[Level]) -> Result<(), FieldError> {
    if levels.len() > LEVELS_MAX {
        return Err(FieldError::new("levels", Reason::AtMost { max: LEVELS_MAX as i64 }));
    }
    for (i, l) in levels.iter().enumerate() {
        let f = |name: &str| format!("levels[{i}].{name}");
        let chars = l.name.trim().chars().count();
        if chars == 0 || chars > NAME_MAX_CHARS || l.name.chars().any(char::is_control) {
            return Err(FieldError::new(f("name"), Reason::Length { min: 1, max: NAME_MAX_CHARS as i64 }));
        }
        if levels[..i].iter().any(|o| o.name.trim() == l.name.trim()) {
            return Err(FieldError::new(f("name"), Reason::LevelNameTwice));
        }
        if levels[..i].iter().any(|o| o.rank == l.rank) {
            return Err(FieldError::new(f("rank"), Reason::LevelRankTwice));
        }
        let t = &l.threshold;
        if t.min_spend_fen.is_none() && t.min_points.is_none() {
            return Err(FieldError::new(f("threshold"), Reason::LevelNoThreshold));
        }
        for (name, v) in [("min_spend_fen", t.min_spend_fen), ("min_points", t.min_points)] {
            if v.is_some_and(|v| !(0..=THRESHOLD_MAX).contains(&v)) {
                return Err(FieldError::new(f(name), Reason::OutOfRange { min: 0, max: THRESHOLD_MAX }));
            }
        }
        let b = &l.benefits;
        if b.discount_pct.is_some_and(|p| !(1..=99).contains(&p)) {
            return Err(FieldError::new(f("discount_pct"), Reason::OutOfRange { min: 1, max: 99 }));
        }
        if !(100..=MULTIPLIER_MAX_PCT).contains(&b.points_multiplier_pct) {
            return Err(FieldError::new(
                f("points_multiplier_pct"),
                Reason::OutOfRange { min: 100, max: i64::from(MULTIPLIER_MAX_PCT) },
            ));
        }
    }
    for (i, hi) in levels.iter().enumerate() {
        for lo in levels.iter().filter(|lo| lo.rank < hi.rank) {
            let weaker = |a: Option<i64>, b: Option<i64>| matches!((a, b), (Some(a), Some(b)) if a < b);
            if weaker(hi.threshold.min_spend_fen, lo.threshold.min_spend_fen) {
                return Err(FieldError::new(
                    format!("levels[{i}].min_spend_fen"),
                    Reason::LevelNotAscending { lower_rank: i64::from(lo.rank) },
                ));
            }
            if weaker(hi.threshold.min_points, lo.threshold.min_points) {
                return Err(FieldError::new(
                    format!("levels[{i}].min_points"),
                    Reason::LevelNotAscending { lower_rank: i64::from(lo.rank) },
                ));
            }
        }
    }
    Ok(())
}

/// The highest level whose threshold `p` meets.
pub fn reached<'a>(levels: &'a [Level], p: &Progress) -> Option<&'a Level> {
    levels.iter().filter(|l| l.threshold.met(p)).max_by_key(|l| l.rank)
}

/// Whether a level, once reached, may be lost when spend falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DowngradePolicy {
    /// A level reached is kept (until a yearly re-evaluation, if the shop runs one).
    #[default]
    Keep,
    /// The level always follows the buyer's progress, down as well as up.
    Follow,
}

impl DowngradePolicy {
    pub const ALL: [&'static str; 2] = ["keep", "follow"];

    pub fn as_str(self) -> &'static str {
        match self {
            DowngradePolicy::Keep => "keep",
            DowngradePolicy::Follow => "follow",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "keep" => Some(DowngradePolicy::Keep),
            "follow" => Some(DowngradePolicy::Follow),
            _ => None,
        }
    }
}

/// A change of level to record (level history) and announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelChange {
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub up: bool,
}

/// Why the level is evaluated: progress grew or fell during the year, or the yearly re-evaluation,
/// which applies the progress of the past year and may lower a level even under [`DowngradePolicy::Keep`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    Progress,
    Yearly,
}

/// The level a buyer should hold now; `None` when nothing changes.
pub fn evaluate(
    levels: &[Level],
    current: Option<i64>,
    p: &Progress,
    policy: DowngradePolicy,
    occasion: Occasion,
) -> Option<LevelChange> {
    let rank_of = |id: Option<i64>| id.and_then(|id| levels.iter().find(|l| l.id == id)).map(|l| l.rank);
    let target = reached(levels, p).map(|l| l.id);
    if target == current {
        return None;
    }
    let (cur_rank, new_rank) = (rank_of(current), rank_of(target));
    let up = new_rank > cur_rank;
    // A level that no longer exists in the table is always replaced.
    let current_exists = current.is_none() || cur_rank.is_some();
    if !up && current_exists && policy == DowngradePolicy::Keep && occasion == Occasion::Progress {
        return None;
    }
    Some(LevelChange { from: current, to: target, up })
}

/// Of two levels, the one that ranks higher (a level no longer in the table counts as none).
pub fn higher(levels: &[Level], a: Option<i64>, b: Option<i64>) -> Option<i64> {
    let rank_of = |id: Option<i64>| id.and_then(|id| levels.iter().find(|l| l.id == id)).map(|l| l.rank);
    match (rank_of(a), rank_of(b)) {
        (Some(x), Some(y)) => {
            if y > x {
                b
            } else {
                a
            }
        }
        (Some(_), None) => a,
        (None, Some(_)) => b,
        (None, None) => None,
    }
}

fn change_to(levels: &[Level], current: Option<i64>, target: Option<i64>) -> Option<LevelChange> {
    let rank_of = |id: Option<i64>| id.and_then(|id| levels.iter().find(|l| l.id == id)).map(|l| l.rank);
    (target != current).then(|| LevelChange { from: current, to: target, up: rank_of(target) > rank_of(current) })
}

/// [`evaluate`] for a buyer whose active paid cards grant `card` (the highest of their levels): progress
/// never takes them below it, and a card above what progress reaches is the level held.
pub fn evaluate_with_card(
    levels: &[Level],
    current: Option<i64>,
    p: &Progress,
    policy: DowngradePolicy,
    occasion: Occasion,
    card: Option<i64>,
) -> Option<LevelChange> {
    let earned = evaluate(levels, current, p, policy, occasion).map_or(current, |c| c.to);
    let target = if card.is_some() { higher(levels, earned, card) } else { earned };
    change_to(levels, current, target)
}

/// The level once a paid card's term ends or the card is refunded: what progress reaches; under
/// [`DowngradePolicy::Keep`] the level held before the card when that ranks higher; and the level of another
/// card still active (`other_card`) when that ranks higher still.
pub fn after_card(
    levels: &[Level],
    current: Option<i64>,
    before_card: Option<i64>,
    p: &Progress,
    policy: DowngradePolicy,
    other_card: Option<i64>,
) -> Option<LevelChange> {
    let reached = reached(levels, p).map(|l| l.id);
    let base = match policy {
        DowngradePolicy::Keep => higher(levels, reached, before_card),
        DowngradePolicy::Follow => reached,
    };
    change_to(levels, current, higher(levels, base, other_card))
}

/// What is missing to the next level above `current`, for the buyer's level card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextLevel<'a> {
    pub level: &'a Level,
    pub spend_missing_fen: Option<i64>,
    pub points_missing: Option<i64>,
}

pub fn next_level<'a>(levels: &'a [Level], current: Option<i64>, p: &Progress) -> Option<NextLevel<'a>> {
    let cur_rank = current.and_then(|id| levels.iter().find(|l| l.id == id)).map(|l| l.rank);
    let next = levels.iter().filter(|l| Some(l.rank) > cur_rank).min_by_key(|l| l.rank)?;
    let missing = |need: Option<i64>, has: i64| need.map(|n| (n - has).max(0));
    Some(NextLevel {
        level: next,
        spend_missing_fen: missing(next.threshold.min_spend_fen, p.completed_spend_fen),
        points_missing: missing(next.threshold.min_points, p.points_earned),
    })
}

/// The levels a new shop starts with: ¥300 of completed spend makes a 普通会员, 2,000 points a 中级会员,
/// then silver, gold and diamond by spend. Ids are the ranks; the store gives real ids when it saves them.
pub fn default_levels() -> Vec<Level> {
    let level = |rank: i32, name: &str, threshold: Threshold, discount: Option<u8>, free: bool, mult: u32| Level {
        id: i64::from(rank),
        name: name.into(),
        rank,
        threshold,
        benefits: Benefits {
            discount_pct: discount,
            free_shipping: free,
            points_multiplier_pct: mult,
            birthday_coupon_id: None,
        },
    };
    vec![
        level(1, "普通会员", Threshold::spend(30_000), None, false, 100),
        level(2, "中级会员", Threshold::points(2_000), Some(98), false, 120),
        level(3, "白银会员", Threshold::spend(200_000), Some(95), false, 150),
        level(4, "黄金会员", Threshold::spend(500_000), Some(92), true, 200),
        level(5, "钻石会员", Threshold::spend(2_000_000), Some(88), true, 300),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Coded;
    use proptest::prelude::*;

    fn progress(spend: i64, points: i64) -> Progress {
        Progress { completed_spend_fen: spend, points_earned: points }
    }

    #[test]
    fn the_default_table_is_valid_and_follows_the_seeds() {
        let levels = default_levels();
        validate(&levels).unwrap();
        assert_eq!(reached(&levels, &progress(29_999, 0)), None);
        assert_eq!(reached(&levels, &progress(30_000, 0)).unwrap().name, "普通会员");
        assert_eq!(reached(&levels, &progress(0, 2_000)).unwrap().name, "中级会员");
        assert_eq!(reached(&levels, &progress(30_000, 1_999)).unwrap().name, "普通会员");
        assert_eq!(reached(&levels, &progress(500_000, 0)).unwrap().name, "黄金会员");
    }

    #[test]
    fn both_measures_can_be_required() {
        let t = Threshold { min_spend_fen: Some(100), min_points: Some(10), both: true };
        assert!(!t.met(&progress(100, 9)));
        assert!(t.met(&progress(100, 10)));
        let either = Threshold { both: false, ..t };
        assert!(either.met(&progress(0, 10)));
    }

    #[test]
    fn keep_holds_a_level_through_a_refund_follow_lowers_it() {
        let levels = default_levels();
        let after_refund = progress(20_000, 0);
        assert_eq!(evaluate(&levels, Some(1), &after_refund, DowngradePolicy::Keep, Occasion::Progress), None);
        assert_eq!(
            evaluate(&levels, Some(1), &after_refund, DowngradePolicy::Follow, Occasion::Progress),
            Some(LevelChange { from: Some(1), to: None, up: false })
        );
        // the yearly re-evaluation lowers under either policy
        assert_eq!(
            evaluate(&levels, Some(1), &after_refund, DowngradePolicy::Keep, Occasion::Yearly),
            Some(LevelChange { from: Some(1), to: None, up: false })
        );
        assert_eq!(
            evaluate(&levels, None, &progress(30_000, 0), DowngradePolicy::Keep, Occasion::Progress),
            Some(LevelChange { from: None, to: Some(1), up: true })
        );
    }

    #[test]
    fn a_paid_card_holds_its_level_and_its_end_goes_back_to_what_was_earned() {
        let levels = default_levels();
        // 黄金会员 (4) by card over 普通会员 (1) earned by spend
        let p = progress(30_000, 0);
        assert_eq!(
            evaluate_with_card(&levels, Some(1), &p, DowngradePolicy::Keep, Occasion::Progress, Some(4)),
            Some(LevelChange { from: Some(1), to: Some(4), up: true })
        );
        // while the card lasts, progress (up to 白银, rank 3) does not lower the card's level, under either policy
        let more = progress(250_000, 0);
        for policy in [DowngradePolicy::Keep, DowngradePolicy::Follow] {
            assert_eq!(evaluate_with_card(&levels, Some(4), &more, policy, Occasion::Progress, Some(4)), None);
            assert_eq!(evaluate_with_card(&levels, Some(4), &p, policy, Occasion::Yearly, Some(4)), None);
        }
        // progress above the card wins
        assert_eq!(
            evaluate_with_card(
                &levels,
                Some(4),
                &progress(2_000_000, 0),
                DowngradePolicy::Keep,
                Occasion::Progress,
                Some(4)
            ),
            Some(LevelChange { from: Some(4), to: Some(5), up: true })
        );
        // the card ends: back to what progress reaches, or under keep the level held before the card
        assert_eq!(
            after_card(&levels, Some(4), Some(3), &p, DowngradePolicy::Keep, None),
            Some(LevelChange { from: Some(4), to: Some(3), up: false })
        );
        assert_eq!(
            after_card(&levels, Some(4), Some(3), &p, DowngradePolicy::Follow, None),
            Some(LevelChange { from: Some(4), to: Some(1), up: false })
        );
        assert_eq!(after_card(&levels, Some(4), None, &p, DowngradePolicy::Follow, Some(4)), None);
        assert_eq!(
            after_card(&levels, Some(4), None, &progress(0, 0), DowngradePolicy::Keep, None),
            Some(LevelChange { from: Some(4), to: None, up: false })
        );
        assert_eq!(higher(&levels, Some(2), Some(99)), Some(2));
        assert_eq!(higher(&levels, None, Some(1)), Some(1));
    }

    #[test]
    fn the_next_level_says_what_is_missing() {
        let levels = default_levels();
        let n = next_level(&levels, Some(1), &progress(30_000, 1_500)).unwrap();
        assert_eq!(n.level.name, "中级会员");
        assert_eq!(n.points_missing, Some(500));
        assert_eq!(n.spend_missing_fen, None);
        assert!(next_level(&levels, Some(5), &progress(0, 0)).is_none());
    }

    #[test]
    fn refusals_name_the_field() {
        let mut levels = default_levels();
        levels[1].rank = 1;
        assert_eq!(validate(&levels).unwrap_err().field, "levels[1].rank");
        let mut levels = default_levels();
        levels[4].threshold = Threshold::spend(100);
        let e = validate(&levels).unwrap_err();
        assert_eq!((e.field.as_str(), e.reason.code()), ("levels[4].min_spend_fen", "member_level.not_ascending"));
        let mut levels = default_levels();
        levels[0].benefits.discount_pct = Some(100);
        assert_eq!(validate(&levels).unwrap_err().field, "levels[0].discount_pct");
        let mut levels = default_levels();
        levels[2].threshold = Threshold { min_spend_fen: None, min_points: None, both: false };
        assert_eq!(validate(&levels).unwrap_err().reason, Reason::LevelNoThreshold);
    }

    proptest! {
        /// More progress never reaches a lower level, and a level reached is always one whose threshold is met.
        #[test]
        fn levels_rise_with_progress(s in 0i64..3_000_000, q in 0i64..5_000, ds in 0i64..1_000_000, dq in 0i64..3_000) {
            let levels = default_levels();
            let a = reached(&levels, &progress(s, q)).map(|l| l.rank);
            let b = reached(&levels, &progress(s + ds, q + dq)).map(|l| l.rank);
            prop_assert!(b >= a);
            if let Some(l) = reached(&levels, &progress(s, q)) {
                prop_assert!(l.threshold.met(&progress(s, q)));
            }
            // Keep never lowers on progress
            let cur = reached(&levels, &progress(s + ds, q + dq)).map(|l| l.id);
            if let Some(ch) = evaluate(&levels, cur, &progress(s, q), DowngradePolicy::Keep, Occasion::Progress) {
                prop_assert!(ch.up);
            }
        }
    }
}
