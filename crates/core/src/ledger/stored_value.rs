//! Stored value (储值 / 余额): money a buyer holds in the shop. Each buyer's balance is kept beside the journal
//! (a sub-ledger of [`Account::BuyerStoredValue`]), moved only together with a posting on that account, and
//! never below zero.
//!
//! What moves it: a promoter's withdrawal paid into their stored value and a promoter's debt settled from it
//! (`social::commission_ledger` posts those), an order paid from the balance and the refund of such a payment
//! (through provider clearing, so the order's own payment posting is the same whichever way the buyer paid),
//! finance's adjustments: money received or paid out at the counter (against the bank) and goodwill
//! (against operating expenses), and referral rewards (老带新) granted in stored value, a marketing cost booked
//! to operating expenses ([`REFERRAL_COST`]), and taken back by a new posting when the invitee's first order
//! is refunded afterwards.

use super::{Account, Entry, Invalid, LedgerError, Posting, PostingKind};
use crate::Money;

/// The most one adjustment may move: ¥100,000.
pub const MAX_ADJUSTMENT_FEN: i64 = 10_000_000;

/// Why a buyer's stored value moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A promoter's commission withdrawal paid into their stored value.
    WithdrawalPaid,
    /// A promoter's debt to the shop settled from their stored value.
    DebtSettled,
    /// An order paid from the balance.
    OrderPaid,
    /// A refund of an order paid from the balance.
    OrderRefunded,
    /// Money received (or given back) at the counter, entered by finance.
    Counter,
    /// Goodwill credited (or taken back) by finance.
    Goodwill,
    /// A referral reward (老带新) granted to the inviter or the invitee.
    ReferralReward,
    /// A referral reward taken back: the invitee's first order was refunded after the reward.
    ReferralReversed,
}

impl Reason {
    pub const ALL: [Reason; 8] = [
        Reason::WithdrawalPaid,
        Reason::DebtSettled,
        Reason::OrderPaid,
        Reason::OrderRefunded,
        Reason::Counter,
        Reason::Goodwill,
        Reason::ReferralReward,
        Reason::ReferralReversed,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Reason::WithdrawalPaid => "withdrawal_paid",
            Reason::DebtSettled => "debt_settled",
            Reason::OrderPaid => "order_paid",
            Reason::OrderRefunded => "order_refunded",
            Reason::Counter => "counter",
            Reason::Goodwill => "goodwill",
            Reason::ReferralReward => "referral_reward",
            Reason::ReferralReversed => "referral_reversed",
        }
    }

    pub fn parse(s: &str) -> Option<Reason> {
        Reason::ALL.iter().copied().find(|r| r.code() == s)
    }
}

/// The two adjustments finance may make, by what the other side of the posting is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Adjustment {
    /// Money received at the counter (a top-up) or paid out there (a cash-out): against the bank.
    Counter,
    /// Goodwill given or taken back: against operating expenses.
    Goodwill,
}

impl Adjustment {
    pub const ALL: [Adjustment; 2] = [Adjustment::Counter, Adjustment::Goodwill];

    pub const fn reason(self) -> Reason {
        match self {
            Adjustment::Counter => Reason::Counter,
            Adjustment::Goodwill => Reason::Goodwill,
        }
    }

    pub fn parse(s: &str) -> Option<Adjustment> {
        Adjustment::ALL.iter().copied().find(|a| a.reason().code() == s)
    }

    /// The account on the other side of the buyer's stored value.
    pub const fn counter_account(self) -> Account {
        match self {
            Adjustment::Counter => Account::Bank,
            Adjustment::Goodwill => Account::OperatingExpenses,
        }
    }
}

/// Why a movement of stored value was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredValueError {
    /// The amount is zero (or, where it must be positive, not above zero).
    Zero,
    /// The amount is beyond what one movement may move.
    TooLarge { max: Money },
    /// Spending more than the balance.
    Insufficient { needed: Money, has: Money },
}

/// The balance after moving `delta` (positive: credited to the buyer; negative: spent), or why not.
pub fn apply(balance: Money, delta: Money) -> Result<Money, StoredValueError> {
    let after = balance.fen().checked_add(delta.fen()).ok_or(StoredValueError::TooLarge { max: balance })?;
    if after < 0 {
        return Err(StoredValueError::Insufficient { needed: Money::from_fen(-delta.fen()), has: balance });
    }
    Ok(Money::from_fen(after))
}

/// Check an adjustment's amount: not zero, within ±[`MAX_ADJUSTMENT_FEN`].
pub fn check_adjustment(delta: Money) -> Result<(), StoredValueError> {
    if delta.fen() == 0 {
        return Err(StoredValueError::Zero);
    }
    if delta.fen().unsigned_abs() > MAX_ADJUSTMENT_FEN.unsigned_abs() {
        return Err(StoredValueError::TooLarge { max: Money::from_fen(MAX_ADJUSTMENT_FEN) });
    }
    Ok(())
}

fn positive(amount: Money) -> Result<i64, LedgerError> {
    if amount.fen() <= 0 {
        return Err(LedgerError::invalid("amount", Invalid::NotPositive));
    }
    Ok(amount.fen())
}

/// An order paid from the balance (payment `payment_id`): the money leaves the buyer's stored value into
/// provider clearing, from which the order's payment posting takes it as from any provider.
pub fn paid(payment_id: i64, at_ms: i64, amount: Money) -> Result<Posting, LedgerError> {
    let a = positive(amount)?;
    Posting::new(
        PostingKind::StoredValuePaid,
        format!("stored_value:payment:{payment_id}"),
        at_ms,
        vec![Entry::debit(Account::BuyerStoredValue, a), Entry::credit(Account::ProviderClearing, a)],
    )
}

/// A refund (`refund_id`) of a payment made from the balance: the money goes back to the buyer's stored value.
pub fn refunded(refund_id: i64, at_ms: i64, amount: Money) -> Result<Posting, LedgerError> {
    let a = positive(amount)?;
    Posting::new(
        PostingKind::StoredValueRefunded,
        format!("stored_value:refund:{refund_id}"),
        at_ms,
        vec![Entry::debit(Account::ProviderClearing, a), Entry::credit(Account::BuyerStoredValue, a)],
    )
}

/// Finance's adjustment of a buyer's stored value by `delta` (positive: credited to the buyer), against the
/// adjustment's counter account. `reference` names the adjustment once.
pub fn adjusted(reference: &str, at_ms: i64, how: Adjustment, delta: Money) -> Result<Posting, LedgerError> {
    check_adjustment(delta).map_err(|_| LedgerError::invalid("amount", Invalid::AdjustmentRange))?;
    let a = delta.fen();
    let other = how.counter_account();
    let entries = if a > 0 {
        vec![Entry::debit(other, a), Entry::credit(Account::BuyerStoredValue, a)]
    } else {
        vec![Entry::debit(Account::BuyerStoredValue, -a), Entry::credit(other, -a)]
    };
    Posting::new(PostingKind::StoredValueAdjusted, format!("stored_value:{reference}"), at_ms, entries)
}

/// Where the cost of a referral reward paid in stored value goes: operating expenses, as marketing (推广), the
/// category the owner's own marketing expenses take.
pub const REFERRAL_COST: Account = Account::OperatingExpenses;

/// The most a referral reward may credit one side: ¥1,000.
pub const MAX_REFERRAL_REWARD_FEN: i64 = 100_000;

/// A referral reward of `amount` credited to a buyer's stored value; `reference` names the invitation and the
/// side once (`referral:<id>:inviter`).
pub fn referral_reward(reference: &str, at_ms: i64, amount: Money) -> Result<Posting, LedgerError> {
    let a = positive(amount)?;
    if a > MAX_REFERRAL_REWARD_FEN {
        return Err(LedgerError::invalid("amount", Invalid::AboveMax { max: MAX_REFERRAL_REWARD_FEN }));
    }
    Posting::new(
        PostingKind::ReferralReward,
        format!("stored_value:{reference}"),
        at_ms,
        vec![Entry::debit(REFERRAL_COST, a), Entry::credit(Account::BuyerStoredValue, a)],
    )
}

/// A referral reward taken back (`amount`, at most what was granted and what the buyer still holds): the cost
/// is reduced by what comes back.
pub fn referral_reversed(reference: &str, at_ms: i64, amount: Money) -> Result<Posting, LedgerError> {
    let a = positive(amount)?;
    Posting::new(
        PostingKind::ReferralReward,
        format!("stored_value:{reference}:reversed"),
        at_ms,
        vec![Entry::debit(Account::BuyerStoredValue, a), Entry::credit(REFERRAL_COST, a)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    #[test]
    fn payments_and_refunds_move_money_between_the_buyer_and_provider_clearing() {
        let p = paid(7, 1, m(90_220)).unwrap();
        assert_eq!(p.total_on(Account::BuyerStoredValue), 90_220);
        assert_eq!(p.total_on(Account::ProviderClearing), -90_220);
        assert_eq!(p.reference(), "stored_value:payment:7");
        let r = refunded(3, 1, m(1_000)).unwrap();
        assert_eq!(r.total_on(Account::BuyerStoredValue), -1_000);
        assert!(paid(1, 1, m(0)).is_err());
        assert!(refunded(1, 1, m(-5)).is_err());
    }

    #[test]
    fn adjustments_take_their_other_side_from_the_bank_or_operating_expenses() {
        let top_up = adjusted("a:1", 1, Adjustment::Counter, m(5_000)).unwrap();
        assert_eq!(top_up.total_on(Account::Bank), 5_000);
        assert_eq!(top_up.total_on(Account::BuyerStoredValue), -5_000);
        let back = adjusted("a:2", 1, Adjustment::Goodwill, m(-300)).unwrap();
        assert_eq!(back.total_on(Account::BuyerStoredValue), 300);
        assert_eq!(back.total_on(Account::OperatingExpenses), -300);
        assert_eq!(check_adjustment(m(0)), Err(StoredValueError::Zero));
        assert!(matches!(check_adjustment(m(MAX_ADJUSTMENT_FEN + 1)), Err(StoredValueError::TooLarge { .. })));
        assert!(matches!(check_adjustment(m(-MAX_ADJUSTMENT_FEN - 1)), Err(StoredValueError::TooLarge { .. })));
        assert!(check_adjustment(m(-MAX_ADJUSTMENT_FEN)).is_ok());
        for a in Adjustment::ALL {
            assert_eq!(Adjustment::parse(a.reason().code()), Some(a));
        }
        for r in Reason::ALL {
            assert_eq!(Reason::parse(r.code()), Some(r));
        }
    }

    #[test]
    fn a_referral_reward_is_a_marketing_cost_and_its_reversal_gives_it_back() {
        let g = referral_reward("referral:4:invitee", 1, m(500)).unwrap();
        assert_eq!((g.total_on(Account::BuyerStoredValue), g.total_on(REFERRAL_COST)), (-500, 500));
        assert_eq!(g.reference(), "stored_value:referral:4:invitee");
        let r = referral_reversed("referral:4:invitee", 2, m(300)).unwrap();
        assert_eq!((r.total_on(Account::BuyerStoredValue), r.total_on(REFERRAL_COST)), (300, -300));
        assert_eq!(r.reference(), "stored_value:referral:4:invitee:reversed");
        assert!(referral_reward("x", 1, m(0)).is_err());
        assert!(referral_reward("x", 1, m(MAX_REFERRAL_REWARD_FEN + 1)).is_err());
    }

    #[test]
    fn spending_more_than_the_balance_is_refused_with_both_amounts() {
        assert_eq!(apply(m(500), m(-501)), Err(StoredValueError::Insufficient { needed: m(501), has: m(500) }));
        assert_eq!(apply(m(500), m(-500)), Ok(m(0)));
    }

    proptest! {
        /// Any sequence of movements: what is applied keeps the balance at the sum of the postings' entries on
        /// the control account, and never below zero.
        #[test]
        fn the_balance_is_the_sum_of_its_postings_and_never_negative(
            moves in proptest::collection::vec((0u8..5, 1i64..50_000), 1..60)
        ) {
            let mut balance = Money::ZERO;
            let mut control = 0i64;
            for (i, (what, fen)) in moves.into_iter().enumerate() {
                let i = i as i64;
                let (delta, posting) = match what {
                    0 => (fen, refunded(i, 0, m(fen)).unwrap()),
                    1 => (-fen, paid(i, 0, m(fen)).unwrap()),
                    2 => (fen, adjusted(&i.to_string(), 0, Adjustment::Counter, m(fen)).unwrap()),
                    3 => (-fen, adjusted(&i.to_string(), 0, Adjustment::Goodwill, m(-fen)).unwrap()),
                    _ => (fen, adjusted(&i.to_string(), 0, Adjustment::Goodwill, m(fen)).unwrap()),
                };
                // Checked before posting, as the store's guarded update does.
                match apply(balance, m(delta)) {
                    Ok(after) => {
                        balance = after;
                        control -= posting.total_on(Account::BuyerStoredValue);
                    }
                    Err(StoredValueError::Insufficient { needed, has }) => {
                        prop_assert_eq!(has, balance);
                        prop_assert!(needed.fen() > balance.fen());
                    }
                    Err(e) => prop_assert!(false, "{:?}", e),
                }
                prop_assert!(balance.fen() >= 0);
                prop_assert_eq!(balance.fen(), control);
            }
        }
    }
}
