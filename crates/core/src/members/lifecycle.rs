//! Lifecycle stages (新客 / 活跃 / 沉睡 / 流失) and the bands a buyer profile is grouped by.

use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    New,
    Active,
    Silent,
    Churned,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Stage::New, Stage::Active, Stage::Silent, Stage::Churned];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Active => "active",
            Stage::Silent => "silent",
            Stage::Churned => "churned",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Stage::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Day thresholds, as the shop sets them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageDays {
    /// A buyer is new for this many days after their first order (or, without one, after registering).
    pub new_days: u32,
    /// Without an order for more than this many days, an active buyer becomes silent …
    pub silent_after: u32,
    /// … and after this many, churned.
    pub churned_after: u32,
}

impl Default for StageDays {
    fn default() -> Self {
        StageDays { new_days: 30, silent_after: 60, churned_after: 180 }
    }
}

impl StageDays {
    pub const MAX: u32 = 3_650;

    /// `Err(field)` when a threshold is out of range or they are not in order.
    pub fn validate(&self) -> Result<(), &'static str> {
        if !(1..=Self::MAX).contains(&self.new_days) {
            return Err("new_days");
        }
        if !(1..=Self::MAX).contains(&self.silent_after) {
            return Err("silent_after");
        }
        if !(self.silent_after + 1..=Self::MAX).contains(&self.churned_after) {
            return Err("churned_after");
        }
        Ok(())
    }
}

/// The stage on shop day `today` of a buyer who registered on `registered_day` and whose first and last
/// paid orders were on those days (shop days, see [`time::day_of`]).
pub fn stage(
    days: StageDays,
    registered_day: i64,
    first_order: Option<i64>,
    last_order: Option<i64>,
    today: i64,
) -> Stage {
    let since_start = today - first_order.unwrap_or(registered_day);
    if since_start < i64::from(days.new_days) {
        return Stage::New;
    }
    let idle = today - last_order.unwrap_or(registered_day);
    if idle <= i64::from(days.silent_after) {
        Stage::Active
    } else if idle <= i64::from(days.churned_after) {
        Stage::Silent
    } else {
        Stage::Churned
    }
}

/// Age bands of a buyer profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AgeBand {
    Under18,
    From18To24,
    From25To29,
    From30To34,
    From35To39,
    From40To49,
    From50,
}

impl AgeBand {
    pub const ALL: [AgeBand; 7] = [
        AgeBand::Under18,
        AgeBand::From18To24,
        AgeBand::From25To29,
        AgeBand::From30To34,
        AgeBand::From35To39,
        AgeBand::From40To49,
        AgeBand::From50,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Under18 => "under_18",
            AgeBand::From18To24 => "18_24",
            AgeBand::From25To29 => "25_29",
            AgeBand::From30To34 => "30_34",
            AgeBand::From35To39 => "35_39",
            AgeBand::From40To49 => "40_49",
            AgeBand::From50 => "50_plus",
        }
    }

    pub fn of_age(age: i64) -> AgeBand {
        match age {
            ..18 => AgeBand::Under18,
            18..25 => AgeBand::From18To24,
            25..30 => AgeBand::From25To29,
            30..35 => AgeBand::From30To34,
            35..40 => AgeBand::From35To39,
            40..50 => AgeBand::From40To49,
            _ => AgeBand::From50,
        }
    }
}

/// Whole years between a birthday and a shop day (`None` for a day out of range or a birthday after it).
pub fn age_on(birthday: jiff::civil::Date, today: i64) -> Option<i64> {
    let t = time::date_of_day(today)?;
    if birthday > t {
        return None;
    }
    let mut age = i64::from(t.year()) - i64::from(birthday.year());
    if (t.month(), t.day()) < (birthday.month(), birthday.day()) {
        age -= 1;
    }
    Some(age)
}

/// Whether the birthday benefit is due on shop day `today`: in the birthday's month, once a calendar year.
pub fn birthday_benefit_due(birthday: jiff::civil::Date, today: i64, last_granted_year: Option<i16>) -> bool {
    let Some(t) = time::date_of_day(today) else { return false };
    t.month() == birthday.month() && last_granted_year.is_none_or(|y| y < t.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn day(y: i16, m: i8, d: i8) -> i64 {
        i64::from(jiff::civil::date(1970, 1, 1).until(date(y, m, d)).unwrap().get_days())
    }

    #[test]
    fn stages_follow_the_days_since_the_last_order() {
        let d = StageDays::default();
        d.validate().unwrap();
        let today = day(2026, 12, 6);
        assert_eq!(stage(d, today - 5, None, None, today), Stage::New);
        assert_eq!(stage(d, today - 400, Some(today - 10), Some(today - 10), today), Stage::New);
        assert_eq!(stage(d, today - 400, Some(today - 300), Some(today - 60), today), Stage::Active);
        assert_eq!(stage(d, today - 400, Some(today - 300), Some(today - 61), today), Stage::Silent);
        assert_eq!(stage(d, today - 400, Some(today - 300), Some(today - 181), today), Stage::Churned);
        assert_eq!(stage(d, today - 100, None, None, today), Stage::Silent);
        assert_eq!(StageDays { churned_after: 60, ..d }.validate(), Err("churned_after"));
    }

    #[test]
    fn ages_and_birthdays() {
        let today = day(2026, 12, 6);
        assert_eq!(age_on(date(2000, 12, 6), today), Some(26));
        assert_eq!(age_on(date(2000, 12, 7), today), Some(25));
        assert_eq!(age_on(date(2027, 1, 1), today), None);
        assert_eq!(AgeBand::of_age(25), AgeBand::From25To29);
        assert_eq!(AgeBand::of_age(17), AgeBand::Under18);
        assert!(birthday_benefit_due(date(1990, 12, 31), today, Some(2025)));
        assert!(!birthday_benefit_due(date(1990, 12, 31), today, Some(2026)));
        assert!(!birthday_benefit_due(date(1990, 11, 30), today, None));
    }
}
