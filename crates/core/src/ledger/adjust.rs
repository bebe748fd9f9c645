//! Manual adjustment postings: a person in finance enters entries with a reason, either as an adjustment of
//! its own or as the correction of an earlier posting (which it then names). The entries go through
//! [`Posting`]'s checks like every other posting: a set that does not balance per unit is refused here, before
//! any write, with the unit and the amount it is off by.
//!
//! The control accounts of sub-ledgers (points buyers hold, promoters' commission, buyers' stored value) are
//! not adjusted by hand: each of them must stay equal to the sum of its holders' balances, which only their
//! own domains change, so an adjustment naming one is refused.

use super::{Account, Amount, Entry, LedgerError, Posting, PostingKind, Unit, MAX_ENTRY, MAX_MEMO};
use crate::error::{count, Reason};
use crate::FieldError;

crate::coded_enum! {
    /// Why a manual adjustment was refused.
    pub enum AdjustRefusal {
        /// The entries of one unit do not sum to zero.
        Unbalanced { unit: String, sum: i64 } = "ledger.unbalanced",
        /// No such account in the chart.
        UnknownAccount { account: String } = "ledger.unknown_account",
        /// An entry of zero.
        ZeroAmount = "ledger.zero_amount",
        /// The account is the control account of a sub-ledger; only its domain moves it.
        SubLedgerControl { account: String } = "ledger.sub_ledger_control",
        /// The posting would take an account that may not go negative below zero.
        WouldGoNegative { account: String } = "ledger.would_go_negative",
    }
}

/// The fewest and most entries an adjustment has.
pub const MIN_ENTRIES: usize = 2;
pub const MAX_ENTRIES: usize = 20;

/// One entry as a person enters it: an account code and a signed amount in the account's unit (debit
/// positive), optionally for a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualEntry {
    pub account: String,
    pub amount: i64,
    pub product_id: Option<i64>,
}

/// Why an adjustment was refused: an input rule (with its field) or a ledger rule (with its field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdjustError {
    Field(FieldError),
    Refused { field: String, reason: AdjustRefusal },
}

impl From<FieldError> for AdjustError {
    fn from(e: FieldError) -> Self {
        AdjustError::Field(e)
    }
}

fn refused(field: impl Into<String>, reason: AdjustRefusal) -> AdjustError {
    AdjustError::Refused { field: field.into(), reason }
}

/// The reason of an adjustment: 1–200 characters once trimmed.
pub fn reason(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let n = count(s.chars().count());
    if n == 0 || n > count(MAX_MEMO) {
        return Err(FieldError::new("reason", Reason::Length { min: 1, max: count(MAX_MEMO) }));
    }
    if s.chars().any(char::is_control) {
        return Err(FieldError::new("reason", Reason::ControlChars));
    }
    Ok(s.to_string())
}

/// Check the entries and make the posting: kind `adjustment` under `reference`, or, when `corrects` names
/// an earlier posting, kind `correction` naming it. `reason` is kept as the memo.
pub fn adjustment(
    reference: &str,
    at_ms: i64,
    reason_text: &str,
    corrects: Option<i64>,
    entries: &[ManualEntry],
) -> Result<Posting, AdjustError> {
    let memo = reason(reason_text)?;
    if corrects.is_some_and(|id| id < 1) {
        return Err(FieldError::new("corrects", Reason::IdsPositive).into());
    }
    if entries.len() < MIN_ENTRIES || entries.len() > MAX_ENTRIES {
        return Err(
            FieldError::new("entries", Reason::ListCount { min: count(MIN_ENTRIES), max: count(MAX_ENTRIES) }).into()
        );
    }
    let mut made = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let at = |f: &str| format!("entries[{i}].{f}");
        let account = Account::from_code(e.account.trim())
            .ok_or_else(|| refused(at("account"), AdjustRefusal::UnknownAccount { account: e.account.clone() }))?;
        if account.has_sub_ledger() {
            return Err(refused(at("account"), AdjustRefusal::SubLedgerControl { account: account.code().into() }));
        }
        if e.amount == 0 {
            return Err(refused(at("amount"), AdjustRefusal::ZeroAmount));
        }
        if !(-MAX_ENTRY..=MAX_ENTRY).contains(&e.amount) {
            return Err(FieldError::new(at("amount"), Reason::OutOfRange { min: -MAX_ENTRY, max: MAX_ENTRY }).into());
        }
        if e.product_id.is_some_and(|p| p < 1) {
            return Err(FieldError::new(at("product_id"), Reason::IdsPositive).into());
        }
        let amount = match account.unit() {
            Unit::Fen => Amount::Fen(e.amount),
            Unit::Points => Amount::Points(e.amount),
        };
        made.push(Entry { account, amount, product_id: e.product_id, promotion: None });
    }
    let posting = match corrects {
        None => Posting::new(PostingKind::Adjustment, reference, at_ms, made).and_then(|p| p.with_memo(&memo)),
        Some(id) => Posting::correction(id, reference, at_ms, made, &memo),
    };
    posting.map_err(|e| match e {
        LedgerError::Unbalanced { unit, sum } => refused(
            "entries",
            AdjustRefusal::Unbalanced { unit: unit.as_str().into(), sum: i64::try_from(sum).unwrap_or(i64::MAX) },
        ),
        LedgerError::Empty => FieldError::new("entries", Reason::Required).into(),
        LedgerError::OutOfRange { index } => {
            FieldError::new(format!("entries[{index}].amount"), Reason::OutOfRange { min: -MAX_ENTRY, max: MAX_ENTRY })
                .into()
        }
        LedgerError::MixedUnits { index, .. } => {
            FieldError::new(format!("entries[{index}].account"), Reason::Required).into()
        }
        LedgerError::Invalid { field, .. } => FieldError::new(field, Reason::Length { min: 1, max: 100 }).into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e(account: &str, amount: i64) -> ManualEntry {
        ManualEntry { account: account.into(), amount, product_id: None }
    }

    #[test]
    fn an_adjustment_balances_names_its_reason_and_a_correction_its_original() {
        let p =
            adjustment("manual:1", 5, " 银行手续费补记 ", None, &[e("payment_fees", 300), e("bank", -300)]).unwrap();
        assert_eq!((p.kind(), p.memo(), p.corrects()), (PostingKind::Adjustment, "银行手续费补记", None));
        assert_eq!(p.total_on(Account::Bank), -300);
        let c = adjustment("manual:2", 5, "记错科目", Some(42), &[e("payment_fees", -300), e("bank", 300)]).unwrap();
        assert_eq!((c.kind(), c.corrects()), (PostingKind::Correction, Some(42)));
    }

    #[test]
    fn refuses_what_does_not_balance_or_touches_a_sub_ledger() {
        let r = |c, entries: &[ManualEntry]| adjustment("manual:1", 0, "理由", c, entries).unwrap_err();
        assert_eq!(
            r(None, &[e("bank", 100), e("sales_revenue", -99)]),
            AdjustError::Refused {
                field: "entries".into(),
                reason: AdjustRefusal::Unbalanced { unit: "fen".into(), sum: 1 }
            }
        );
        assert_eq!(
            r(None, &[e("points_granted", 5), e("points_redeemed", -4)]),
            AdjustError::Refused {
                field: "entries".into(),
                reason: AdjustRefusal::Unbalanced { unit: "points".into(), sum: 1 }
            }
        );
        assert!(matches!(
            r(None, &[e("points_liability", -5), e("points_granted", 5)]),
            AdjustError::Refused { reason: AdjustRefusal::SubLedgerControl { .. }, .. }
        ));
        assert!(matches!(
            r(None, &[e("nope", 5), e("bank", -5)]),
            AdjustError::Refused { reason: AdjustRefusal::UnknownAccount { .. }, .. }
        ));
        assert!(matches!(
            r(None, &[e("bank", 0), e("bank", 0)]),
            AdjustError::Refused { reason: AdjustRefusal::ZeroAmount, .. }
        ));
        assert!(matches!(r(None, &[e("bank", 5)]), AdjustError::Field(f) if f.field == "entries"));
        assert!(
            matches!(r(Some(0), &[e("bank", 5), e("opening_balances", -5)]), AdjustError::Field(f) if f.field == "corrects")
        );
        assert!(matches!(
            adjustment("m", 0, "  ", None, &[e("bank", 5), e("opening_balances", -5)]),
            Err(AdjustError::Field(f)) if f.field == "reason"
        ));
    }

    fn adjustable() -> impl Strategy<Value = Account> {
        prop::sample::select(Account::ALL.iter().copied().filter(|a| !a.has_sub_ledger()).collect::<Vec<_>>())
    }

    proptest! {
        /// Entries offered by hand make a posting exactly when they balance per unit; the posting carries them
        /// unchanged, and its correction by the opposite entries leaves every account as it was.
        #[test]
        fn an_adjustment_is_made_exactly_when_it_balances_and_its_correction_undoes_it(
            raw in prop::collection::vec((adjustable(), prop_oneof![-1_000_000i64..-1, 1i64..1_000_000]), 2..10),
        ) {
            let entries: Vec<ManualEntry> = raw.iter().map(|(a, v)| e(a.code(), *v)).collect();
            let sum = |u: Unit| raw.iter().filter(|(a, _)| a.unit() == u).map(|(_, v)| *v).sum::<i64>();
            let balanced = sum(Unit::Fen) == 0 && sum(Unit::Points) == 0;
            let made = adjustment("manual:p", 0, "调整", None, &entries);
            prop_assert_eq!(made.is_ok(), balanced);
            if let Err(AdjustError::Refused { reason: AdjustRefusal::Unbalanced { unit, sum: off }, .. }) = &made {
                let u = Unit::parse(unit).unwrap();
                prop_assert_eq!(*off, sum(u));
            }
            // Close the gap on a plain account of each unit: now it balances and its correction reverses it.
            let mut closed = entries.clone();
            closed.push(e("opening_balances", -sum(Unit::Fen)));
            closed.push(e("points_granted", -sum(Unit::Points)));
            closed.retain(|x| x.amount != 0);
            if closed.len() >= MIN_ENTRIES && closed.len() <= MAX_ENTRIES {
                let p = adjustment("manual:p", 0, "调整", None, &closed).unwrap();
                let undo: Vec<ManualEntry> = closed.iter().map(|x| e(&x.account, -x.amount)).collect();
                let c = adjustment("manual:q", 0, "冲销", Some(7), &undo).unwrap();
                prop_assert_eq!(c.corrects(), Some(7));
                for a in Account::ALL {
                    prop_assert_eq!(p.total_on(*a) + c.total_on(*a), 0);
                }
            }
        }
    }
}
