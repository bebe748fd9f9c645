//! Daily sign-in (签到): one per shop day, a streak that grows on consecutive days (and starts again
//! after a cycle, if the shop sets one), base points plus the bonus of the streak's day.

use crate::error::{FieldError, Reason};

/// Extra points on a given day of a streak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreakBonus {
    pub day: u32,
    pub points: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInRule {
    pub base_points: u32,
    pub bonuses: Vec<StreakBonus>,
    /// After this many days the streak starts again at day 1 (0: it never does).
    pub cycle_days: u32,
}

impl Default for SignInRule {
    /// 5 points a day; day 3 of a week's streak +10, day 7 +30.
    fn default() -> Self {
        SignInRule {
            base_points: 5,
            bonuses: vec![StreakBonus { day: 3, points: 10 }, StreakBonus { day: 7, points: 30 }],
            cycle_days: 7,
        }
    }
}

pub const POINTS_MAX: u32 = 10_000;
pub const BONUSES_MAX: usize = 31;
pub const CYCLE_MAX: u32 = 366;

/// Signing in again on a day already signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadySignedIn {
    pub day: i64,
}

impl SignInRule {
    pub fn validate(&self) -> Result<(), FieldError> {
        let range = |field: String, v: u32, min: u32, max: u32| {
            if (min..=max).contains(&v) {
                Ok(())
            } else {
                Err(FieldError::new(field, Reason::OutOfRange { min: i64::from(min), max: i64::from(max) }))
            }
        };
        range("base_points".into(), self.base_points, 0, POINTS_MAX)?;
        range("cycle_days".into(), self.cycle_days, 0, CYCLE_MAX)?;
        if self.bonuses.len() > BONUSES_MAX {
            return Err(FieldError::new("bonuses", Reason::OutOfRange { min: 0, max: BONUSES_MAX as i64 }));
        }
        let last_day = if self.cycle_days == 0 { CYCLE_MAX } else { self.cycle_days };
        for (i, b) in self.bonuses.iter().enumerate() {
            range(format!("bonuses[{i}].day"), b.day, 1, last_day)?;
            range(format!("bonuses[{i}].points"), b.points, 1, POINTS_MAX)?;
            if self.bonuses[..i].iter().any(|o| o.day == b.day) {
                return Err(FieldError::new(format!("bonuses[{i}].day"), Reason::SignInDayTwice));
            }
        }
        Ok(())
    }

    /// Points for signing in on day `streak` of a streak.
    pub fn reward(&self, streak: u32) -> i64 {
        let bonus = self.bonuses.iter().filter(|b| b.day == streak).map(|b| b.points).sum::<u32>();
        i64::from(self.base_points) + i64::from(bonus)
    }

    /// The streak after signing in on `today` (shop days), given the last sign-in and its streak.
    pub fn next_streak(&self, last: Option<(i64, u32)>, today: i64) -> Result<u32, AlreadySignedIn> {
        match last {
            Some((day, _)) if day >= today => Err(AlreadySignedIn { day: today }),
            Some((day, streak)) if day == today - 1 => {
                if self.cycle_days > 0 && streak >= self.cycle_days {
                    Ok(1)
                } else {
                    Ok(streak.saturating_add(1))
                }
            }
            _ => Ok(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_of_sign_ins() {
        let rule = SignInRule::default();
        rule.validate().unwrap();
        let mut last = None;
        let mut got = Vec::new();
        for day in 100..109 {
            let s = rule.next_streak(last, day).unwrap();
            got.push((s, rule.reward(s)));
            last = Some((day, s));
        }
        assert_eq!(got, vec![(1, 5), (2, 5), (3, 15), (4, 5), (5, 5), (6, 5), (7, 35), (1, 5), (2, 5)]);
        assert_eq!(rule.next_streak(last, 108), Err(AlreadySignedIn { day: 108 }));
        // a missed day starts again
        assert_eq!(rule.next_streak(Some((108, 2)), 110), Ok(1));
    }

    #[test]
    fn rules_are_bounded() {
        let mut rule = SignInRule::default();
        rule.bonuses.push(StreakBonus { day: 3, points: 1 });
        assert_eq!(rule.validate().unwrap_err().reason, Reason::SignInDayTwice);
        let rule = SignInRule { bonuses: vec![StreakBonus { day: 8, points: 1 }], ..SignInRule::default() };
        assert_eq!(rule.validate(), Err(FieldError::new("bonuses[0].day", Reason::OutOfRange { min: 1, max: 7 })));
    }
}
