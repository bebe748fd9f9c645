//! Operating expenses the owner enters (rent, labour, office …, one amount per month and category), the shop's
//! staff count per month, and revenue per staff member (人均产值).
//!
//! An expense of a month is booked on the first day of that month (Beijing), so a monthly report carries it
//! whole and a daily or weekly one on the day (week) the month begins. It posts through
//! [`super::build::expense`]; a mistaken expense is voided by a correction that reverses its posting.

use crate::error::Reason;
use crate::{FieldError, Money};

crate::coded_enum! {
    /// Why a finance write was refused.
    pub enum Refusal {
        /// The expense was voided already.
        AlreadyVoided = "finance.expense_voided",
        /// The sandbox provider is off, so there is no bill of its own to reconcile.
        SandboxOff = "finance.sandbox_off",
    }
}

/// What an operating expense was for. Codes are stored; labels are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Rent,
    Labour,
    Office,
    Utilities,
    Marketing,
    Logistics,
    Other,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Rent,
        Category::Labour,
        Category::Office,
        Category::Utilities,
        Category::Marketing,
        Category::Logistics,
        Category::Other,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Category::Rent => "rent",
            Category::Labour => "labour",
            Category::Office => "office",
            Category::Utilities => "utilities",
            Category::Marketing => "marketing",
            Category::Logistics => "logistics",
            Category::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.iter().copied().find(|c| c.code() == s)
    }

    pub fn codes() -> String {
        Category::ALL.iter().map(|c| c.code()).collect::<Vec<_>>().join(", ")
    }
}

/// A calendar month, as `YYYY-MM`; stored as the number `YYYYMM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i16,
    pub month: i8,
}

impl Month {
    pub const FIRST_YEAR: i16 = 2000;
    pub const LAST_YEAR: i16 = 2099;

    /// `YYYY-MM` between 2000-01 and 2099-12.
    pub fn parse(s: &str) -> Option<Month> {
        let (y, m) = s.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 {
            return None;
        }
        let (year, month): (i16, i8) = (y.parse().ok()?, m.parse().ok()?);
        Month::new(year, month)
    }

    pub fn new(year: i16, month: i8) -> Option<Month> {
        ((Self::FIRST_YEAR..=Self::LAST_YEAR).contains(&year) && (1..=12).contains(&month))
            .then_some(Month { year, month })
    }

    /// The stored form, `YYYYMM`.
    pub fn number(self) -> i64 {
        i64::from(self.year) * 100 + i64::from(self.month)
    }

    pub fn from_number(n: i64) -> Option<Month> {
        Month::new(i16::try_from(n / 100).ok()?, i8::try_from(n % 100).ok()?)
    }

    /// The month of a day of the shop's calendar.
    pub fn of_day(day: i64) -> Option<Month> {
        let d = crate::time::date_of_day(day)?;
        Month::new(d.year(), d.month())
    }

    /// Its first and last day numbers.
    pub fn days(self) -> (i64, i64) {
        crate::time::month_days(self.year, self.month).unwrap_or((0, 0))
    }

    pub fn label(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month { year: self.year + 1, month: 1 }
        } else {
            Month { year: self.year, month: self.month + 1 }
        }
    }
}

/// The largest amount one expense may have: ¥100,000,000.00.
pub const MAX_EXPENSE_FEN: i64 = 10_000_000_000;
/// The longest memo of an expense, and reason of a void.
pub const MAX_NOTE: usize = 200;
/// The most staff a shop may count in a month.
pub const MAX_STAFF: i64 = 1_000_000;

/// An expense as entered, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExpense {
    pub month: Month,
    pub category: Category,
    pub amount: Money,
    /// Paid from the bank (true) or still owed (false).
    pub paid: bool,
    pub memo: String,
}

fn note(field: &'static str, s: &str, required: bool) -> Result<String, FieldError> {
    let s = s.trim();
    if required && s.is_empty() {
        return Err(FieldError::new(field, Reason::Empty));
    }
    if s.chars().count() > MAX_NOTE {
        return Err(FieldError::new(field, Reason::TooLong { max: MAX_NOTE as i64 }));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new(field, Reason::ControlChars));
    }
    Ok(s.to_string())
}

/// Check an expense's fields, naming the first one at fault.
pub fn new_expense(
    month: &str,
    category: &str,
    amount_fen: i64,
    paid: bool,
    memo: &str,
) -> Result<NewExpense, FieldError> {
    let month = parse_month("month", month)?;
    let category = Category::parse(category)
        .ok_or_else(|| FieldError::new("category", Reason::OneOf { allowed: Category::codes() }))?;
    if !(1..=MAX_EXPENSE_FEN).contains(&amount_fen) {
        return Err(FieldError::new("amount", Reason::OutOfRange { min: 1, max: MAX_EXPENSE_FEN }));
    }
    Ok(NewExpense { month, category, amount: Money::from_fen(amount_fen), paid, memo: note("memo", memo, false)? })
}

/// The reason given for voiding an expense: 1–200 characters.
pub fn void_reason(reason: &str) -> Result<String, FieldError> {
    note("reason", reason, true)
}

/// A month field, named `field` when refused.
pub fn parse_month(field: &'static str, s: &str) -> Result<Month, FieldError> {
    Month::parse(s).ok_or_else(|| FieldError::new(field, Reason::Month))
}

/// A staff count, 0 to [`MAX_STAFF`].
pub fn staff_count(n: i64) -> Result<i64, FieldError> {
    if (0..=MAX_STAFF).contains(&n) {
        Ok(n)
    } else {
        Err(FieldError::new("staff", Reason::OutOfRange { min: 0, max: MAX_STAFF }))
    }
}

/// Revenue per staff member (人均产值) of a period: its net revenue over the average staff count of the months
/// that have one, rounded down to the fen. `None` when no month of the period has a count above zero.
pub fn revenue_per_staff(net_revenue: i64, staff_by_month: &[i64]) -> Option<i64> {
    let counted: Vec<i64> = staff_by_month.iter().copied().filter(|s| *s > 0).collect();
    if counted.is_empty() {
        return None;
    }
    let total: i128 = counted.iter().map(|s| i128::from(*s)).sum();
    let v = i128::from(net_revenue) * counted.len() as i128;
    i64::try_from(v.div_euclid(total)).ok()
}

/// The average staff count of the months that have one, to one decimal place (tenths).
pub fn average_staff_tenths(staff_by_month: &[i64]) -> Option<i64> {
    let counted: Vec<i64> = staff_by_month.iter().copied().filter(|s| *s > 0).collect();
    if counted.is_empty() {
        return None;
    }
    let total: i64 = counted.iter().sum();
    Some((total * 10 + counted.len() as i64 / 2) / counted.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn months_parse_and_round_trip() {
        let m = Month::parse("2026-02").unwrap();
        assert_eq!(m.number(), 202_602);
        assert_eq!(Month::from_number(202_602), Some(m));
        assert_eq!(m.label(), "2026-02");
        let (a, b) = m.days();
        assert_eq!(b - a, 27);
        assert_eq!(Month::of_day(a), Some(m));
        assert_eq!(Month::parse("2026-12").unwrap().next(), Month::parse("2027-01").unwrap());
        for bad in ["2026-13", "2026-00", "1999-12", "2100-01", "2026-2", "26-02", "x", ""] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn expenses_are_checked_field_by_field() {
        assert!(new_expense("2026-01", "rent", 800_000, true, "三月房租").is_ok());
        assert_eq!(new_expense("2026-1", "rent", 1, true, "").unwrap_err().field, "month");
        assert_eq!(new_expense("2026-01", "party", 1, true, "").unwrap_err().field, "category");
        assert_eq!(new_expense("2026-01", "rent", 0, true, "").unwrap_err().field, "amount");
        assert_eq!(new_expense("2026-01", "rent", MAX_EXPENSE_FEN + 1, true, "").unwrap_err().field, "amount");
        assert_eq!(new_expense("2026-01", "rent", 1, true, &"长".repeat(201)).unwrap_err().field, "memo");
        assert_eq!(void_reason(" ").unwrap_err().field, "reason");
        assert!(staff_count(-1).is_err() && staff_count(12).is_ok());
    }

    #[test]
    fn revenue_per_staff_is_over_the_average_count() {
        assert_eq!(revenue_per_staff(1_000_000, &[]), None);
        assert_eq!(revenue_per_staff(1_000_000, &[0]), None);
        assert_eq!(revenue_per_staff(1_000_000, &[4]), Some(250_000));
        // Two months of 3 and 5 staff: 4 on average.
        assert_eq!(revenue_per_staff(1_000_000, &[3, 5]), Some(250_000));
        assert_eq!(revenue_per_staff(1_000, &[3]), Some(333));
        assert_eq!(revenue_per_staff(-1_000, &[3]), Some(-334), "rounded down");
        assert_eq!(average_staff_tenths(&[3, 4]), Some(35));
    }

    proptest! {
        #[test]
        fn revenue_per_staff_times_staff_is_within_a_fen_per_head(rev in -1_000_000_000i64..1_000_000_000, s in 1i64..500) {
            let per = revenue_per_staff(rev, &[s]).unwrap();
            prop_assert!(per * s <= rev && rev < (per + 1) * s);
        }
    }
}
