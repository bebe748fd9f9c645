//! Sub-ledgers: balances kept per holder outside the journal (points and stored value per buyer, commission
//! per promoter), each of which must sum to the balance of its control account in the journal.
//! [`SubLedgerCheck`] compares the two; a difference means a movement of value reached one side without the
//! other.

use super::Account;

/// A sub-ledger and the control account it must equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubLedger {
    /// Points each buyer holds (积分余额), against the points liability.
    BuyerPoints,
    /// Commission frozen per promoter, against commission frozen.
    PromoterFrozen,
    /// Commission available and being withdrawn per promoter, against commission payable.
    PromoterPayable,
    /// What each promoter owes the shop, against promoter receivable.
    PromoterOwed,
    /// Money each buyer holds in the shop (储值), against buyer stored value.
    BuyerStoredValue,
}

impl SubLedger {
    pub const ALL: [SubLedger; 5] = [
        SubLedger::BuyerPoints,
        SubLedger::PromoterFrozen,
        SubLedger::PromoterPayable,
        SubLedger::PromoterOwed,
        SubLedger::BuyerStoredValue,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            SubLedger::BuyerPoints => "buyer_points",
            SubLedger::PromoterFrozen => "promoter_frozen",
            SubLedger::PromoterPayable => "promoter_payable",
            SubLedger::PromoterOwed => "promoter_owed",
            SubLedger::BuyerStoredValue => "buyer_stored_value",
        }
    }

    pub const fn control(self) -> Account {
        match self {
            SubLedger::BuyerPoints => Account::PointsLiability,
            SubLedger::PromoterFrozen => Account::CommissionFrozen,
            SubLedger::PromoterPayable => Account::CommissionPayable,
            SubLedger::PromoterOwed => Account::PromoterReceivable,
            SubLedger::BuyerStoredValue => Account::BuyerStoredValue,
        }
    }

    /// The sub-ledger whose control account is `account`, if it has one.
    pub fn of_control(account: Account) -> Option<SubLedger> {
        SubLedger::ALL.iter().copied().find(|s| s.control() == account)
    }
}

/// A sub-ledger's total against its control account's balance (read on its normal side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubLedgerCheck {
    pub sub_ledger: SubLedger,
    pub control_balance: i64,
    pub sub_ledger_total: i64,
    /// Holders with a balance other than zero.
    pub holders: i64,
}

impl SubLedgerCheck {
    /// Control balance − sub-ledger total: zero when they agree.
    pub fn difference(&self) -> i64 {
        self.control_balance.saturating_sub(self.sub_ledger_total)
    }

    pub fn agrees(&self) -> bool {
        self.difference() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sub_ledger_has_a_control_account_that_no_adjustment_moves() {
        for s in SubLedger::ALL {
            assert!(s.control().has_sub_ledger(), "{}", s.code());
            assert!(!s.control().may_go_negative(), "{}", s.code());
            assert_eq!(SubLedger::of_control(s.control()), Some(s));
        }
        let c =
            SubLedgerCheck { sub_ledger: SubLedger::BuyerPoints, control_balance: 10, sub_ledger_total: 7, holders: 2 };
        assert_eq!((c.difference(), c.agrees()), (3, false));
    }
}
