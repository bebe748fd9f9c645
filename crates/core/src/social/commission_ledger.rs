//! The commission ledger: a commission's life and the journal postings of each step.
//!
//! Like points, commission has a sub-ledger per promoter ([`PromoterBalance`]) and money accounts in the
//! journal that always equal the sum of the sub-ledgers: `commission_frozen` = Σ frozen,
//! `commission_payable` = Σ (available + withdrawing), `promoter_receivable` = Σ owed. Every step below
//! changes one promoter's balance and makes the posting that moves the same amounts.
//!
//! | step | promoter's balance | debit | credit |
//! |---|---|---|---|
//! | accrued at payment ([`accrue`]) | frozen + c | commission expense | commission frozen |
//! | reversed by a refund while frozen ([`reverse`]) | frozen − r | commission frozen | commission expense |
//! | reversed by a refund after settlement | available − y, owed + (r − y), y = min(r, available) | commission payable (y), promoter receivable (r − y) | commission expense |
//! | held for review at payment (risk control; [`accrue`], then the status is `held`) | frozen + c | commission expense | commission frozen |
//! | released by an operator ([`release`]) | — (it goes on to settle as frozen) | — | — |
//! | rejected by an operator ([`reject`]) | frozen − net | commission frozen | commission expense |
//! | settled when the after-sales window closes ([`settle`]) | frozen − k, owed − x, available + (k − x), x = min(owed, k) | commission frozen (k) | commission payable (k − x), promoter receivable (x) |
//! | withdrawal requested ([`request_withdrawal`]) | available − w, withdrawing + w | — (nothing changes hands) | — |
//! | withdrawal paid ([`pay_withdrawal`]) | withdrawing − w, paid out + w | commission payable | buyer stored value, bank or provider clearing |
//! | withdrawal refused ([`return_withdrawal`]) | withdrawing − w, owed − x, available + (w − x) | commission payable (x) | promoter receivable (x) |
//! | debt repaid or written off ([`settle_debt`]) | owed − d | bank, buyer stored value, or commission expense (written off) | promoter receivable |
//!
//! **Reversal.** A refund reverses a commission in proportion to the refunded share of the line's paid
//! amount, on running totals: the commission kept after `x` of the line's `base` is refunded is
//! `floor(c × (base − x) / base)`, and a refund reverses `kept(before) − kept(after)`. So reversals never add
//! up to more than the commission, and add up to all of it when the line is refunded in full. A reversal is
//! always a new posting, never an edit, also after settlement.
//!
//! **Held.** A commission the risk control holds (`social::risk`) is accrued like any other, so the journal
//! and the promoter's frozen balance carry it, but it does not settle while held: an operator releases it
//! (frozen again, settled when its window closes) or rejects it, which reverses what is left of it by a new
//! posting. A refund reverses a held commission as a frozen one; a rejected one has nothing left to reverse.
//!
//! **After a withdrawal.** Commission payable may not go below zero, so a reversal takes from what the
//! promoter may still withdraw, and what it cannot take there becomes the promoter's debt to the shop
//! (`promoter_receivable`). Money already in a withdrawal request is not touched. The debt is netted against
//! the promoter's next settled commission (and against a refused withdrawal) before any of it becomes
//! withdrawable; the shop can also record it repaid (by hand, or from the promoter's stored value) or write it
//! off. A promoter never has money to withdraw and a debt at once.

use super::commission::LineCommission;
use crate::ledger::{Account, Entry, LedgerError, Posting, PostingKind};
use crate::Money;

/// One promoter's commission sub-ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PromoterBalance {
    /// Earned on orders whose after-sales window is open.
    pub frozen: Money,
    /// Settled and free to withdraw.
    pub available: Money,
    /// In withdrawal requests not yet paid or refused.
    pub withdrawing: Money,
    /// Reversed after it was withdrawn: owed to the shop.
    pub owed: Money,
    /// Paid out, ever.
    pub paid_out: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommissionStatus {
    Frozen,
    /// Frozen and held for review by the risk control: not settled until released.
    Held,
    Settled,
    /// Rejected on review: reversed in full.
    Rejected,
}

impl CommissionStatus {
    pub const ALL: [CommissionStatus; 4] =
        [CommissionStatus::Frozen, CommissionStatus::Held, CommissionStatus::Settled, CommissionStatus::Rejected];

    pub const fn as_str(self) -> &'static str {
        match self {
            CommissionStatus::Frozen => "frozen",
            CommissionStatus::Held => "held",
            CommissionStatus::Settled => "settled",
            CommissionStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<CommissionStatus> {
        CommissionStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One commission as recorded (one promoter, one order line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commission {
    pub id: i64,
    pub promoter_id: i64,
    pub product_id: i64,
    /// As earned at payment; never changed.
    pub amount: Money,
    /// The line's paid amount it was earned on.
    pub base: Money,
    /// How much of `base` has been refunded (running total).
    pub refunded: Money,
    /// How much of `amount` has been reversed (running total).
    pub reversed: Money,
    pub status: CommissionStatus,
}

impl Commission {
    /// A frozen commission of id `id` for `line`.
    pub fn new(id: i64, line: &LineCommission) -> Commission {
        Commission {
            id,
            promoter_id: line.promoter_id,
            product_id: line.product_id,
            amount: line.amount,
            base: line.base,
            refunded: Money::ZERO,
            reversed: Money::ZERO,
            status: CommissionStatus::Frozen,
        }
    }

    /// What the commission is worth now.
    pub fn net(&self) -> Money {
        Money::from_fen(self.amount.fen() - self.reversed.fen())
    }

    /// The commission kept when `refunded` of the base is refunded: `floor(amount × (base − refunded) / base)`.
    pub fn kept(&self, refunded: Money) -> Money {
        let (a, b) = (i128::from(self.amount.fen()), i128::from(self.base.fen()));
        if b <= 0 {
            return Money::ZERO;
        }
        let left = (b - i128::from(refunded.fen())).clamp(0, b);
        Money::from_fen(i64::try_from(a * left / b).unwrap_or(0))
    }
}

/// When a commission of an order completed at `completed_at_ms` settles: when the after-sales window closes.
pub fn settles_at(completed_at_ms: i64, after_sales_days: u32) -> i64 {
    completed_at_ms.saturating_add(i64::from(after_sales_days) * 86_400_000)
}

crate::field_coded_enum! {
    /// Why a commission step was refused; `field` names the input at fault.
    pub enum CommissionError (field: &'static str) {
        RefundNotIncreasing {} = "commission.refund_not_increasing",
        RefundAbovePaid {} = "commission.refund_above_paid",
        AlreadySettled {} = "commission.already_settled",
        /// The commission is held for review.
        Held {} = "commission.held",
        NotHeld {} = "commission.not_under_review",
        WithdrawalNotPending {} = "commission.withdrawal_not_pending",
        AboveOwed {} = "promoter_debt.above_owed",
        NotPositive {} = "commission.not_positive",
        Posting { refusal: LedgerError } = "commission.posting_refused",
    }
}

impl From<LedgerError> for CommissionError {
    fn from(refusal: LedgerError) -> Self {
        CommissionError::Posting { field: "posting", refusal }
    }
}

fn sub(a: Money, b: Money) -> Money {
    Money::from_fen(a.fen() - b.fen())
}

fn add(a: Money, b: Money) -> Money {
    Money::from_fen(a.fen() + b.fen())
}

/// The posting of a commission earned at payment. The commission is frozen.
pub fn accrue(c: &Commission, balance: &mut PromoterBalance, at_ms: i64) -> Result<Option<Posting>, CommissionError> {
    if c.amount.fen() <= 0 {
        return Ok(None);
    }
    let p = Posting::new(
        PostingKind::CommissionAccrued,
        format!("commission:{}", c.id),
        at_ms,
        vec![
            Entry::debit(Account::CommissionExpense, c.amount.fen()).for_product(c.product_id),
            Entry::credit(Account::CommissionFrozen, c.amount.fen()),
        ],
    )?;
    balance.frozen = add(balance.frozen, c.amount);
    Ok(Some(p))
}

/// The reversal of refund `refund_id`, after which `refunded_after` of the line's paid amount has been
/// refunded in all. `None` when the refund reverses nothing (a share too small to move a fen).
pub fn reverse(
    c: &mut Commission,
    balance: &mut PromoterBalance,
    refund_id: i64,
    refunded_after: Money,
    at_ms: i64,
) -> Result<Option<Posting>, CommissionError> {
    if refunded_after < c.refunded {
        return Err(CommissionError::RefundNotIncreasing { field: "refunded" });
    }
    if refunded_after > c.base {
        return Err(CommissionError::RefundAbovePaid { field: "refunded" });
    }
    // A rejected commission was reversed in full: nothing is left to reverse.
    let r = if c.status == CommissionStatus::Rejected {
        Money::ZERO
    } else {
        sub(c.kept(c.refunded), c.kept(refunded_after)).min(c.net())
    };
    if r.fen() <= 0 {
        c.refunded = refunded_after;
        return Ok(None);
    }
    let expense = Entry::credit(Account::CommissionExpense, r.fen()).for_product(c.product_id);
    let (entries, next) = match c.status {
        CommissionStatus::Frozen | CommissionStatus::Held | CommissionStatus::Rejected => {
            let mut b = *balance;
            b.frozen = sub(b.frozen, r);
            (vec![Entry::debit(Account::CommissionFrozen, r.fen()), expense], b)
        }
        CommissionStatus::Settled => {
            let y = r.min(balance.available);
            let owed = sub(r, y);
            let mut b = *balance;
            b.available = sub(b.available, y);
            b.owed = add(b.owed, owed);
            (
                vec![
                    Entry::debit(Account::CommissionPayable, y.fen()),
                    Entry::debit(Account::PromoterReceivable, owed.fen()),
                    expense,
                ],
                b,
            )
        }
    };
    let p = Posting::new(
        PostingKind::CommissionReversed,
        format!("commission:{}:refund:{refund_id}", c.id),
        at_ms,
        entries,
    )?;
    c.refunded = refunded_after;
    c.reversed = add(c.reversed, r);
    *balance = next;
    Ok(Some(p))
}

/// Settle a frozen commission (its order's after-sales window has closed): what is left of it becomes the
/// promoter's, first paying off what they owe. `None` when nothing is left (reversed in full).
pub fn settle(
    c: &mut Commission,
    balance: &mut PromoterBalance,
    at_ms: i64,
) -> Result<Option<Posting>, CommissionError> {
    match c.status {
        CommissionStatus::Frozen => {}
        CommissionStatus::Held => return Err(CommissionError::Held { field: "commission_id" }),
        CommissionStatus::Settled | CommissionStatus::Rejected => {
            return Err(CommissionError::AlreadySettled { field: "commission_id" })
        }
    }
    let k = c.net();
    let x = k.min(balance.owed);
    let posting = if k.fen() > 0 {
        Some(Posting::new(
            PostingKind::CommissionSettled,
            format!("commission:{}", c.id),
            at_ms,
            vec![
                Entry::debit(Account::CommissionFrozen, k.fen()),
                Entry::credit(Account::CommissionPayable, sub(k, x).fen()),
                Entry::credit(Account::PromoterReceivable, x.fen()),
            ],
        )?)
    } else {
        None
    };
    c.status = CommissionStatus::Settled;
    balance.frozen = sub(balance.frozen, k);
    balance.owed = sub(balance.owed, x);
    balance.available = add(balance.available, sub(k, x));
    Ok(posting)
}

/// Hold a frozen commission for review (at payment, by the risk control). Nothing moves: it stays frozen in
/// the journal and in the promoter's balance, and does not settle until released.
pub fn hold(c: &mut Commission) -> Result<(), CommissionError> {
    if c.status != CommissionStatus::Frozen {
        return Err(CommissionError::AlreadySettled { field: "commission_id" });
    }
    c.status = CommissionStatus::Held;
    Ok(())
}

/// Release a held commission: frozen again, it settles when its order's window closes.
pub fn release(c: &mut Commission) -> Result<(), CommissionError> {
    if c.status != CommissionStatus::Held {
        return Err(CommissionError::NotHeld { field: "commission_id" });
    }
    c.status = CommissionStatus::Frozen;
    Ok(())
}

/// Reject a held commission: what is left of it is reversed by a new posting. `None` when nothing is left
/// (refunded in full meanwhile).
pub fn reject(
    c: &mut Commission,
    balance: &mut PromoterBalance,
    at_ms: i64,
) -> Result<Option<Posting>, CommissionError> {
    if c.status != CommissionStatus::Held {
        return Err(CommissionError::NotHeld { field: "commission_id" });
    }
    let r = c.net();
    let posting = if r.fen() > 0 {
        Some(Posting::new(
            PostingKind::CommissionReversed,
            format!("commission:{}:rejected", c.id),
            at_ms,
            vec![
                Entry::debit(Account::CommissionFrozen, r.fen()),
                Entry::credit(Account::CommissionExpense, r.fen()).for_product(c.product_id),
            ],
        )?)
    } else {
        None
    };
    c.status = CommissionStatus::Rejected;
    c.reversed = add(c.reversed, r);
    balance.frozen = sub(balance.frozen, r);
    Ok(posting)
}

/// The shop's limits on one withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithdrawalRules {
    pub min: Money,
    pub max: Money,
}

impl WithdrawalRules {
    /// ¥1 to ¥20,000 a request.
    pub const DEFAULT: WithdrawalRules = WithdrawalRules { min: Money::from_fen(100), max: Money::from_fen(2_000_000) };

    pub fn validate(&self) -> Result<(), WithdrawalRulesError> {
        if !(1..=crate::money::MAX_INPUT_FEN).contains(&self.min.fen()) {
            return Err(WithdrawalRulesError::OutOfRange { field: "withdrawal.min" });
        }
        if !(1..=crate::money::MAX_INPUT_FEN).contains(&self.max.fen()) {
            return Err(WithdrawalRulesError::OutOfRange { field: "withdrawal.max" });
        }
        if self.max < self.min {
            return Err(WithdrawalRulesError::Inverted { field: "withdrawal.max" });
        }
        Ok(())
    }
}

crate::field_coded_enum! {
    pub enum WithdrawalRulesError (field: &'static str) {
        OutOfRange {} = "withdrawal.rule_out_of_range",
        Inverted {} = "withdrawal.rule_inverted",
    }

}

/// Why a withdrawal request was refused. Its field is `amount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithdrawalRefusal {
    BelowMinimum,
    AboveMaximum,
    /// More than the settled commission free to withdraw.
    Insufficient,
}

impl WithdrawalRefusal {
    pub fn code(self) -> &'static str {
        match self {
            WithdrawalRefusal::BelowMinimum => "withdrawal.below_minimum",
            WithdrawalRefusal::AboveMaximum => "withdrawal.above_maximum",
            WithdrawalRefusal::Insufficient => "withdrawal.insufficient",
        }
    }

    pub fn field(self) -> &'static str {
        "amount"
    }
}

/// Ask to withdraw `amount` of what is available. Nothing changes hands yet, so there is no posting; the
/// amount is set aside until the withdrawal is paid or refused.
pub fn request_withdrawal(
    rules: WithdrawalRules,
    balance: &mut PromoterBalance,
    amount: Money,
) -> Result<(), WithdrawalRefusal> {
    if amount < rules.min {
        return Err(WithdrawalRefusal::BelowMinimum);
    }
    if amount > rules.max {
        return Err(WithdrawalRefusal::AboveMaximum);
    }
    if amount > balance.available {
        return Err(WithdrawalRefusal::Insufficient);
    }
    balance.available = sub(balance.available, amount);
    balance.withdrawing = add(balance.withdrawing, amount);
    Ok(())
}

/// How a withdrawal is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payout {
    /// To the promoter's stored value (储值) in the shop.
    StoredValue,
    /// By hand, from the shop's bank account.
    Bank,
    /// Through the payment provider (a transfer to the promoter's wallet).
    Provider,
}

impl Payout {
    pub const fn as_str(self) -> &'static str {
        match self {
            Payout::StoredValue => "stored_value",
            Payout::Bank => "bank",
            Payout::Provider => "provider",
        }
    }

    pub fn parse(s: &str) -> Option<Payout> {
        [Payout::StoredValue, Payout::Bank, Payout::Provider].into_iter().find(|p| p.as_str() == s)
    }

    fn account(self) -> Account {
        match self {
            Payout::StoredValue => Account::BuyerStoredValue,
            Payout::Bank => Account::Bank,
            Payout::Provider => Account::ProviderClearing,
        }
    }
}

/// A withdrawal request as recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Withdrawal {
    pub id: i64,
    pub amount: Money,
}

/// Pay withdrawal `w` (approved).
pub fn pay_withdrawal(
    balance: &mut PromoterBalance,
    w: Withdrawal,
    payout: Payout,
    at_ms: i64,
) -> Result<Posting, CommissionError> {
    if w.amount.fen() <= 0 || w.amount > balance.withdrawing {
        return Err(CommissionError::WithdrawalNotPending { field: "withdrawal_id" });
    }
    let p = Posting::new(
        PostingKind::CommissionWithdrawn,
        format!("withdrawal:{}", w.id),
        at_ms,
        vec![Entry::debit(Account::CommissionPayable, w.amount.fen()), Entry::credit(payout.account(), w.amount.fen())],
    )?;
    balance.withdrawing = sub(balance.withdrawing, w.amount);
    balance.paid_out = add(balance.paid_out, w.amount);
    Ok(p)
}

/// Refuse withdrawal `w`: its amount is the promoter's again, less what they owe by now.
pub fn return_withdrawal(
    balance: &mut PromoterBalance,
    w: Withdrawal,
    at_ms: i64,
) -> Result<Option<Posting>, CommissionError> {
    if w.amount.fen() <= 0 || w.amount > balance.withdrawing {
        return Err(CommissionError::WithdrawalNotPending { field: "withdrawal_id" });
    }
    let x = w.amount.min(balance.owed);
    let posting = if x.fen() > 0 {
        Some(Posting::new(
            PostingKind::PromoterDebt,
            format!("withdrawal:{}:returned", w.id),
            at_ms,
            vec![
                Entry::debit(Account::CommissionPayable, x.fen()),
                Entry::credit(Account::PromoterReceivable, x.fen()),
            ],
        )?)
    } else {
        None
    };
    balance.withdrawing = sub(balance.withdrawing, w.amount);
    balance.owed = sub(balance.owed, x);
    balance.available = add(balance.available, sub(w.amount, x));
    Ok(posting)
}

/// How a promoter's debt is cleared other than by netting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebtSettlement {
    /// Paid back by hand into the shop's bank account.
    Repaid,
    /// Taken from the promoter's stored value.
    FromStoredValue,
    /// Given up: the commission stays an expense.
    WrittenOff,
}

impl DebtSettlement {
    pub const fn as_str(self) -> &'static str {
        match self {
            DebtSettlement::Repaid => "repaid",
            DebtSettlement::FromStoredValue => "from_stored_value",
            DebtSettlement::WrittenOff => "written_off",
        }
    }

    pub fn parse(s: &str) -> Option<DebtSettlement> {
        [DebtSettlement::Repaid, DebtSettlement::FromStoredValue, DebtSettlement::WrittenOff]
            .into_iter()
            .find(|d| d.as_str() == s)
    }

    fn account(self) -> Account {
        match self {
            DebtSettlement::Repaid => Account::Bank,
            DebtSettlement::FromStoredValue => Account::BuyerStoredValue,
            DebtSettlement::WrittenOff => Account::CommissionExpense,
        }
    }
}

/// Clear `amount` of what the promoter owes; `debt_id` names the record (the posting's reference).
pub fn settle_debt(
    balance: &mut PromoterBalance,
    debt_id: i64,
    amount: Money,
    how: DebtSettlement,
    at_ms: i64,
) -> Result<Posting, CommissionError> {
    if amount.fen() <= 0 {
        return Err(CommissionError::NotPositive { field: "amount" });
    }
    if amount > balance.owed {
        return Err(CommissionError::AboveOwed { field: "amount" });
    }
    let p = Posting::new(
        PostingKind::PromoterDebt,
        format!("promoter_debt:{debt_id}"),
        at_ms,
        vec![Entry::debit(how.account(), amount.fen()), Entry::credit(Account::PromoterReceivable, amount.fen())],
    )?;
    balance.owed = sub(balance.owed, amount);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Unit;
    use crate::social::commission::{commissions, Earner, PaidLine, Rate, Rules, TierRates};
    use proptest::prelude::*;
    use std::collections::HashMap;

    fn commission(id: i64, amount: i64, base: i64) -> Commission {
        Commission {
            id,
            promoter_id: 1,
            product_id: 5,
            amount: Money::from_fen(amount),
            base: Money::from_fen(base),
            refunded: Money::ZERO,
            reversed: Money::ZERO,
            status: CommissionStatus::Frozen,
        }
    }

    fn m(f: i64) -> Money {
        Money::from_fen(f)
    }

    #[test]
    fn reversals_follow_the_refunded_share_and_add_up_to_the_commission() {
        // ¥19.99 of commission on a ¥99.99 line, refunded in three parts.
        let mut c = commission(1, 1_999, 9_999);
        let mut b = PromoterBalance::default();
        accrue(&c, &mut b, 0).unwrap();
        let r1 = reverse(&mut c, &mut b, 1, m(3_333), 1).unwrap().unwrap();
        // kept(3333) = floor(1999 × 6666 / 9999) = 1332 → 667 reversed.
        assert_eq!(r1.total_on(Account::CommissionFrozen), 667);
        assert_eq!(reverse(&mut c, &mut b, 2, m(3_333), 2), Ok(None));
        reverse(&mut c, &mut b, 3, m(9_000), 3).unwrap();
        reverse(&mut c, &mut b, 4, m(9_999), 4).unwrap();
        assert_eq!(c.reversed, m(1_999));
        assert_eq!(b.frozen, Money::ZERO);
        assert_eq!(reverse(&mut c, &mut b, 5, m(9_000), 5).unwrap_err().code(), "commission.refund_not_increasing");
        assert_eq!(reverse(&mut c, &mut b, 5, m(10_000), 5).unwrap_err().code(), "commission.refund_above_paid");
        // Reversed in full: settling moves nothing.
        assert_eq!(settle(&mut c, &mut b, 6), Ok(None));
        assert_eq!(settle(&mut c, &mut b, 7).unwrap_err().field(), "commission_id");
    }

    #[test]
    fn a_refund_after_withdrawal_becomes_a_debt_netted_against_the_next_settlement() {
        let mut b = PromoterBalance::default();
        let mut c1 = commission(1, 1_000, 10_000);
        accrue(&c1, &mut b, 0).unwrap();
        let s = settle(&mut c1, &mut b, 1).unwrap().unwrap();
        assert_eq!(s.kind(), PostingKind::CommissionSettled);
        assert_eq!(s.total_on(Account::CommissionPayable), -1_000);
        assert_eq!(b.available, m(1_000));
        request_withdrawal(WithdrawalRules::DEFAULT, &mut b, m(1_000)).unwrap();
        assert_eq!(request_withdrawal(WithdrawalRules::DEFAULT, &mut b, m(100)), Err(WithdrawalRefusal::Insufficient));
        let paid = pay_withdrawal(&mut b, Withdrawal { id: 1, amount: m(1_000) }, Payout::StoredValue, 2).unwrap();
        assert_eq!(paid.total_on(Account::BuyerStoredValue), -1_000);
        // Half the line refunded after the money was paid out: a reversing posting onto the receivable.
        let r = reverse(&mut c1, &mut b, 9, m(5_000), 3).unwrap().unwrap();
        assert_eq!(r.kind(), PostingKind::CommissionReversed);
        assert_eq!(r.reference(), "commission:1:refund:9");
        assert_eq!(r.total_on(Account::PromoterReceivable), 500);
        assert_eq!(r.total_on(Account::CommissionExpense), -500);
        assert_eq!(b.owed, m(500));
        // The next commission pays the debt first.
        let mut c2 = commission(2, 800, 8_000);
        accrue(&c2, &mut b, 4).unwrap();
        let s2 = settle(&mut c2, &mut b, 5).unwrap().unwrap();
        assert_eq!(s2.total_on(Account::PromoterReceivable), -500);
        assert_eq!(s2.total_on(Account::CommissionPayable), -300);
        assert_eq!((b.owed, b.available), (Money::ZERO, m(300)));
    }

    #[test]
    fn a_debt_is_repaid_or_written_off_and_a_refused_withdrawal_nets_it() {
        let mut b = PromoterBalance { owed: m(500), withdrawing: m(300), ..Default::default() };
        let ret = return_withdrawal(&mut b, Withdrawal { id: 4, amount: m(300) }, 0).unwrap().unwrap();
        assert_eq!(ret.total_on(Account::PromoterReceivable), -300);
        assert_eq!((b.owed, b.available, b.withdrawing), (m(200), Money::ZERO, Money::ZERO));
        assert_eq!(
            return_withdrawal(&mut b, Withdrawal { id: 4, amount: m(300) }, 0).unwrap_err().code(),
            "commission.withdrawal_not_pending"
        );
        assert_eq!(
            settle_debt(&mut b, 1, m(201), DebtSettlement::Repaid, 0).unwrap_err().code(),
            "promoter_debt.above_owed"
        );
        let w = settle_debt(&mut b, 1, m(200), DebtSettlement::WrittenOff, 0).unwrap();
        assert_eq!(w.total_on(Account::CommissionExpense), 200);
        assert_eq!(b.owed, Money::ZERO);
        assert_eq!(settle_debt(&mut b, 2, Money::ZERO, DebtSettlement::Repaid, 0).unwrap_err().field(), "amount");
        assert!(WithdrawalRules { min: m(500), max: m(100) }.validate().is_err());
        assert_eq!(request_withdrawal(WithdrawalRules::DEFAULT, &mut b, m(99)), Err(WithdrawalRefusal::BelowMinimum));
    }

    #[test]
    fn a_held_commission_waits_for_review_and_a_rejection_reverses_it() {
        let mut b = PromoterBalance::default();
        let mut c = commission(7, 2_000, 10_000);
        accrue(&c, &mut b, 0).unwrap();
        hold(&mut c).unwrap();
        assert_eq!(settle(&mut c, &mut b, 1).unwrap_err().code(), "commission.held");
        assert_eq!(b.frozen, m(2_000), "held commission stays frozen");
        // A partial refund reverses it as a frozen one.
        reverse(&mut c, &mut b, 3, m(5_000), 2).unwrap().unwrap();
        let p = reject(&mut c, &mut b, 3).unwrap().unwrap();
        assert_eq!(p.reference(), "commission:7:rejected");
        assert_eq!((p.total_on(Account::CommissionFrozen), p.total_on(Account::CommissionExpense)), (1_000, -1_000));
        assert_eq!((b.frozen, c.net(), c.status), (Money::ZERO, Money::ZERO, CommissionStatus::Rejected));
        assert_eq!(reverse(&mut c, &mut b, 4, m(10_000), 4), Ok(None), "nothing left to reverse");
        assert_eq!(reject(&mut c, &mut b, 5).unwrap_err().code(), "commission.not_under_review");
        let mut d = commission(8, 500, 1_000);
        accrue(&d, &mut b, 0).unwrap();
        hold(&mut d).unwrap();
        release(&mut d).unwrap();
        assert_eq!(release(&mut d).unwrap_err().field(), "commission_id");
        assert!(settle(&mut d, &mut b, 6).unwrap().is_some());
        assert_eq!(b.available, m(500));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Order { direct: i64, leader: i64, lines: Vec<(u32, i64)> },
        Refund { commission: usize, share_pct: i64 },
        Settle { commission: usize },
        Withdraw { promoter: i64, amount: i64 },
        Pay { withdrawal: usize, payout: u8 },
        Refuse { withdrawal: usize },
        Debt { promoter: i64, amount: i64, how: u8 },
        Hold { commission: usize },
        Release { commission: usize },
        Reject { commission: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0i64..4, 0i64..4, prop::collection::vec((1u32..4, 0i64..50_000), 1..4))
                .prop_map(|(direct, leader, lines)| Op::Order { direct, leader, lines }),
            3 => (any::<usize>(), 1i64..=100).prop_map(|(commission, share_pct)| Op::Refund { commission, share_pct }),
            3 => any::<usize>().prop_map(|commission| Op::Settle { commission }),
            2 => (1i64..4, 1i64..20_000).prop_map(|(promoter, amount)| Op::Withdraw { promoter, amount }),
            2 => (any::<usize>(), 0u8..3).prop_map(|(withdrawal, payout)| Op::Pay { withdrawal, payout }),
            1 => any::<usize>().prop_map(|withdrawal| Op::Refuse { withdrawal }),
            1 => (1i64..4, 1i64..2_000, 0u8..3).prop_map(|(promoter, amount, how)| Op::Debt { promoter, amount, how }),
            2 => any::<usize>().prop_map(|commission| Op::Hold { commission }),
            1 => any::<usize>().prop_map(|commission| Op::Release { commission }),
            1 => any::<usize>().prop_map(|commission| Op::Reject { commission }),
        ]
    }

    /// The commission accounts' balances, read on their normal side.
    fn balance_of(postings: &[(i64, Posting)], promoter: Option<i64>, account: Account) -> i64 {
        postings
            .iter()
            .filter(|(p, _)| promoter.is_none_or(|x| x == *p))
            .flat_map(|(_, p)| p.entries())
            .filter(|e| e.account == account)
            .map(|e| e.balance_change())
            .sum()
    }

    proptest! {
        /// Over random sequences of orders, partial refunds, settlements, withdrawals and debts: every
        /// posting balances; each promoter's sub-ledger equals the sum of their postings on the commission
        /// accounts, and the shop's accounts the sum over promoters; no account that may not go negative
        /// ever does; no withdrawal exceeds settled funds; reversals never exceed the commission, and the
        /// expense is exactly what promoters keep.
        #[test]
        fn the_commission_ledger_balances_under_any_sequence(ops in prop::collection::vec(op(), 1..60)) {
            let rules = Rules {
                default: TierRates {
                    direct: Some(Rate::Percent { basis_points: 2_000 }),
                    leader: Some(Rate::PerUnit { amount: Money::from_fen(600) }),
                },
                overrides: vec![],
            };
            let mut balances: HashMap<i64, PromoterBalance> = HashMap::new();
            let mut comms: Vec<Commission> = Vec::new();
            let mut withdrawals: Vec<(i64, Withdrawal, bool)> = Vec::new();
            let mut postings: Vec<(i64, Posting)> = Vec::new();
            let mut settled_ever: HashMap<i64, i64> = HashMap::new();
            let mut written_off = 0i64;
            let mut next_id = 1i64;
            for op in ops {
                match op {
                    Op::Order { direct, leader, lines } => {
                        let earner = |p: i64| (p > 0).then_some(Earner { promoter_id: p, buyer_id: 100 + p });
                        let lines: Vec<PaidLine> = lines.iter().enumerate().map(|(i, (q, paid))| PaidLine {
                            line_id: i as i64, product_id: 5, quantity: *q, paid: Money::from_fen(*paid),
                        }).collect();
                        for lc in commissions(&rules, 999, earner(direct), earner(leader), &lines) {
                            let c = Commission::new(next_id, &lc);
                            next_id += 1;
                            let b = balances.entry(c.promoter_id).or_default();
                            if let Some(p) = accrue(&c, b, 0).unwrap() { postings.push((c.promoter_id, p)); }
                            comms.push(c);
                        }
                    }
                    Op::Refund { commission, share_pct } => {
                        if comms.is_empty() { continue; }
                        let n = comms.len();
                        let c = &mut comms[commission % n];
                        let step = c.base.fen() * share_pct / 100;
                        let after = Money::from_fen((c.refunded.fen() + step).min(c.base.fen()));
                        let b = balances.get_mut(&c.promoter_id).unwrap();
                        if let Some(p) = reverse(c, b, next_id, after, 0).unwrap() { postings.push((c.promoter_id, p)); }
                        next_id += 1;
                    }
                    Op::Settle { commission } => {
                        if comms.is_empty() { continue; }
                        let n = comms.len();
                        let c = &mut comms[commission % n];
                        let b = balances.get_mut(&c.promoter_id).unwrap();
                        let net = c.net().fen();
                        let before = c.status;
                        match settle(c, b, 0) {
                            Ok(p) => {
                                prop_assert_eq!(before, CommissionStatus::Frozen);
                                *settled_ever.entry(c.promoter_id).or_default() += net;
                                if let Some(p) = p { postings.push((c.promoter_id, p)); }
                            }
                            Err(e) if before == CommissionStatus::Held => prop_assert_eq!(e.code(), "commission.held"),
                            Err(e) => prop_assert_eq!(e.code(), "commission.already_settled"),
                        }
                        prop_assert!(before != CommissionStatus::Held || c.status == CommissionStatus::Held, "a held commission never settles");
                    }
                    Op::Withdraw { promoter, amount } => {
                        let b = balances.entry(promoter).or_default();
                        let available = b.available;
                        match request_withdrawal(WithdrawalRules::DEFAULT, b, Money::from_fen(amount)) {
                            Ok(()) => {
                                prop_assert!(amount <= available.fen());
                                withdrawals.push((promoter, Withdrawal { id: next_id, amount: Money::from_fen(amount) }, true));
                                next_id += 1;
                            }
                            Err(WithdrawalRefusal::Insufficient) => prop_assert!(amount > available.fen()),
                            Err(_) => prop_assert!(amount < 100),
                        }
                    }
                    Op::Pay { withdrawal, payout } => {
                        if withdrawals.is_empty() { continue; }
                        let i = withdrawal % withdrawals.len();
                        let (promoter, w, pending) = withdrawals[i];
                        if !pending { continue; }
                        let b = balances.get_mut(&promoter).unwrap();
                        let how = [Payout::StoredValue, Payout::Bank, Payout::Provider][payout as usize];
                        postings.push((promoter, pay_withdrawal(b, w, how, 0).unwrap()));
                        withdrawals[i].2 = false;
                    }
                    Op::Refuse { withdrawal } => {
                        if withdrawals.is_empty() { continue; }
                        let i = withdrawal % withdrawals.len();
                        let (promoter, w, pending) = withdrawals[i];
                        if !pending { continue; }
                        let b = balances.get_mut(&promoter).unwrap();
                        if let Some(p) = return_withdrawal(b, w, 0).unwrap() { postings.push((promoter, p)); }
                        withdrawals[i].2 = false;
                    }
                    Op::Debt { promoter, amount, how } => {
                        let b = balances.entry(promoter).or_default();
                        let amount = amount.min(b.owed.fen());
                        if amount == 0 { continue; }
                        let how = [DebtSettlement::Repaid, DebtSettlement::FromStoredValue, DebtSettlement::WrittenOff][how as usize];
                        if how == DebtSettlement::WrittenOff { written_off += amount; }
                        postings.push((promoter, settle_debt(b, next_id, Money::from_fen(amount), how, 0).unwrap()));
                        next_id += 1;
                    }
                    Op::Hold { commission } => {
                        if comms.is_empty() { continue; }
                        let n = comms.len();
                        let c = &mut comms[commission % n];
                        let before = c.status;
                        prop_assert_eq!(hold(c).is_ok(), before == CommissionStatus::Frozen);
                    }
                    Op::Release { commission } => {
                        if comms.is_empty() { continue; }
                        let n = comms.len();
                        let c = &mut comms[commission % n];
                        let before = c.status;
                        prop_assert_eq!(release(c).is_ok(), before == CommissionStatus::Held);
                    }
                    Op::Reject { commission } => {
                        if comms.is_empty() { continue; }
                        let n = comms.len();
                        let c = &mut comms[commission % n];
                        let b = balances.get_mut(&c.promoter_id).unwrap();
                        let before = c.status;
                        match reject(c, b, 0) {
                            Ok(p) => {
                                prop_assert_eq!(before, CommissionStatus::Held);
                                prop_assert_eq!(c.net(), Money::ZERO);
                                if let Some(p) = p { postings.push((c.promoter_id, p)); }
                            }
                            Err(e) => prop_assert_eq!(e.code(), "commission.not_under_review"),
                        }
                    }
                }
                // Every posting balances.
                for (_, p) in &postings {
                    let fen: i64 = p.entries().iter().filter(|e| e.amount.unit() == Unit::Fen).map(|e| e.amount.value()).sum();
                    prop_assert_eq!(fen, 0);
                }
                // Each promoter's sub-ledger is the sum of their postings; nothing below zero.
                for (&id, b) in &balances {
                    prop_assert_eq!(balance_of(&postings, Some(id), Account::CommissionFrozen), b.frozen.fen());
                    prop_assert_eq!(balance_of(&postings, Some(id), Account::CommissionPayable), b.available.fen() + b.withdrawing.fen());
                    prop_assert_eq!(balance_of(&postings, Some(id), Account::PromoterReceivable), b.owed.fen());
                    for v in [b.frozen, b.available, b.withdrawing, b.owed, b.paid_out] { prop_assert!(v.fen() >= 0); }
                    prop_assert!(b.available.fen() == 0 || b.owed.fen() == 0);
                    prop_assert!(b.paid_out.fen() + b.withdrawing.fen() <= settled_ever.get(&id).copied().unwrap_or(0));
                }
                for a in [Account::CommissionFrozen, Account::CommissionPayable, Account::PromoterReceivable] {
                    prop_assert!(balance_of(&postings, None, a) >= 0);
                }
                for c in &comms {
                    prop_assert!(c.reversed <= c.amount && c.reversed.fen() >= 0);
                    if c.refunded == c.base { prop_assert_eq!(c.reversed, c.amount); }
                }
                let kept: i64 = comms.iter().map(|c| c.net().fen()).sum();
                prop_assert_eq!(balance_of(&postings, None, Account::CommissionExpense), kept + written_off);
            }
        }
    }
}
