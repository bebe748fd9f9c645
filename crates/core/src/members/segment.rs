//! Segments (人群): a saved filter over buyer profiles. The filter is validated here; the store turns it
//! into one SQL condition over the profile rows, so a count and a page are one query each.

use super::lifecycle::{AgeBand, Stage};
use crate::error::{FieldError, Reason};
use crate::time;

/// Every condition is optional; set conditions all apply (AND), values within one list are alternatives (OR).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Holds one of these levels (0 stands for "no level yet").
    pub level_ids: Vec<i64>,
    /// Carries at least one of these tags.
    pub tag_ids: Vec<i64>,
    pub stages: Vec<Stage>,
    pub min_spend_fen: Option<i64>,
    pub max_spend_fen: Option<i64>,
    pub min_orders: Option<i64>,
    pub max_orders: Option<i64>,
    /// Ordered within the last N days.
    pub ordered_within_days: Option<i64>,
    /// Has not ordered for at least N days (including never).
    pub idle_days: Option<i64>,
    /// Province of the default address.
    pub regions: Vec<String>,
    pub age_bands: Vec<AgeBand>,
    /// Acquisition channel (`direct`, `share`, `qr_poster`, …).
    pub channels: Vec<String>,
    pub genders: Vec<Gender>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gender {
    Female,
    Male,
    Unknown,
}

impl Gender {
    pub const ALL: [Gender; 3] = [Gender::Female, Gender::Male, Gender::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Female => "female",
            Gender::Male => "male",
            Gender::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Gender::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

pub const LIST_MAX: usize = 50;
pub const TEXT_MAX_CHARS: usize = 32;
pub const DAYS_MAX: i64 = 3_650;
pub const AMOUNT_MAX: i64 = 10_000_000_000;

impl Filter {
    pub fn validate(&self) -> Result<(), FieldError> {
        let lists: [(&'static str, usize); 7] = [
            ("level_ids", self.level_ids.len()),
            ("tag_ids", self.tag_ids.len()),
            ("stages", self.stages.len()),
            ("regions", self.regions.len()),
            ("age_bands", self.age_bands.len()),
            ("channels", self.channels.len()),
            ("genders", self.genders.len()),
        ];
        for (field, n) in lists {
            if n > LIST_MAX {
                return Err(FieldError::new(field, Reason::AtMost { max: LIST_MAX as i64 }));
            }
        }
        for (field, ids) in [("level_ids", &self.level_ids), ("tag_ids", &self.tag_ids)] {
            if ids.iter().any(|&id| id < 0) {
                return Err(FieldError::new(field, Reason::OutOfRange { min: 0, max: i64::MAX }));
            }
        }
        let bounded = |field: &'static str, v: Option<i64>, max: i64| match v {
            Some(v) if !(0..=max).contains(&v) => Err(FieldError::new(field, Reason::OutOfRange { min: 0, max })),
            _ => Ok(()),
        };
        bounded("min_spend_fen", self.min_spend_fen, AMOUNT_MAX)?;
        bounded("max_spend_fen", self.max_spend_fen, AMOUNT_MAX)?;
        bounded("min_orders", self.min_orders, 1_000_000)?;
        bounded("max_orders", self.max_orders, 1_000_000)?;
        bounded("ordered_within_days", self.ordered_within_days, DAYS_MAX)?;
        bounded("idle_days", self.idle_days, DAYS_MAX)?;
        if matches!((self.min_spend_fen, self.max_spend_fen), (Some(a), Some(b)) if a > b) {
            return Err(FieldError::new("max_spend_fen", Reason::BoundsInverted));
        }
        if matches!((self.min_orders, self.max_orders), (Some(a), Some(b)) if a > b) {
            return Err(FieldError::new("max_orders", Reason::BoundsInverted));
        }
        for (field, texts) in [("regions", &self.regions), ("channels", &self.channels)] {
            for t in texts {
                let n = t.chars().count();
                if n == 0 || n > TEXT_MAX_CHARS || t.chars().any(char::is_control) {
                    return Err(FieldError::new(field, Reason::Length { min: 1, max: TEXT_MAX_CHARS as i64 }));
                }
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// The birth days (shop day numbers, inclusive) of buyers in an age band on `today`.
pub fn birth_days(band: AgeBand, today: i64) -> Option<(i64, i64)> {
    let (min_age, max_age): (i16, Option<i16>) = match band {
        AgeBand::Under18 => (0, Some(17)),
        AgeBand::From18To24 => (18, Some(24)),
        AgeBand::From25To29 => (25, Some(29)),
        AgeBand::From30To34 => (30, Some(34)),
        AgeBand::From35To39 => (35, Some(39)),
        AgeBand::From40To49 => (40, Some(49)),
        AgeBand::From50 => (50, None),
    };
    let t = time::date_of_day(today)?;
    let years_ago = |n: i16| -> Option<i64> {
        // the day `n` years before today (29 February falls back to 28 February)
        let y = t.year().checked_sub(n)?;
        let d = jiff::civil::Date::new(y, t.month(), t.day())
            .or_else(|_| jiff::civil::Date::new(y, t.month(), t.day() - 1))
            .ok()?;
        Some(i64::from(jiff::civil::date(1970, 1, 1).until(d).ok()?.get_days()))
    };
    // age ≥ min ⇔ born on or before the day `min` years ago; age ≤ max ⇔ born after the day `max + 1` years ago
    let latest = years_ago(min_age)?;
    let earliest = match max_age {
        Some(m) => years_ago(m + 1)? + 1,
        None => i64::MIN / 4,
    };
    Some((earliest, latest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Coded;
    use crate::members::lifecycle::age_on;
    use proptest::prelude::*;

    #[test]
    fn bounds_are_checked_and_named() {
        assert!(Filter::default().validate().is_ok());
        let f = Filter { min_spend_fen: Some(500), max_spend_fen: Some(100), ..Filter::default() };
        assert_eq!(f.validate().unwrap_err().field, "max_spend_fen");
        let f = Filter { regions: vec![String::new()], ..Filter::default() };
        assert_eq!(f.validate().unwrap_err().reason.code(), "text.length");
        let f = Filter { idle_days: Some(-1), ..Filter::default() };
        assert_eq!(f.validate().unwrap_err().field, "idle_days");
        let f = Filter { level_ids: vec![1; 51], ..Filter::default() };
        assert_eq!(f.validate().unwrap_err().reason.code(), "list.at_most");
    }

    proptest! {
        /// A birth day falls in a band's range exactly when the age on that day is in the band.
        #[test]
        fn birth_day_ranges_match_ages(today in 15_000i64..25_000, born in 0i64..25_000) {
            prop_assume!(born <= today);
            let birthday = time::date_of_day(born).unwrap();
            let age = age_on(birthday, today).unwrap();
            for band in AgeBand::ALL {
                let (lo, hi) = birth_days(band, today).unwrap();
                prop_assert_eq!((lo..=hi).contains(&born), AgeBand::of_age(age) == band, "{:?} {} {}", band, born, age);
            }
        }
    }
}
