//! The journal: every movement of value is a double-entry posting.
//!
//! A merchant has one chart of [`Account`]s. Each account keeps one [`Unit`] (fen, or points) and has a
//! normal side (assets and expenses are debit accounts, liabilities and revenue credit accounts) and a rule
//! saying whether its balance, counted on its normal side, may go below zero.
//!
//! A [`Posting`] is a set of [`Entry`]s, each a signed amount on one account: positive is a debit, negative
//! a credit. A posting balances per unit — its fen entries sum to zero and, separately, its points entries
//! sum to zero — and is immutable once written: a mistake is corrected by a new posting that names the one
//! it corrects ([`Posting::reversal`]). [`Posting::new`] is the only way to make one, and it refuses an
//! empty posting, an entry whose amount is in the other unit than its account's, and any posting that does
//! not balance, so the store never sees one.
//!
//! [`build`] has the postings of what happens in a shop: a payment, a refund, a shipment's cost, an
//! order's completion (cost of goods), a return, points granted.

pub mod adjust;
pub mod build;
pub mod expense;
pub mod report;
pub mod statement;
pub mod stored_value;
pub mod subledger;

use std::fmt;

/// What an account counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// Money, in fen.
    Fen,
    /// Loyalty points (积分), counted as points; their money value is posted in fen separately.
    Points,
}

impl Unit {
    pub const fn as_str(self) -> &'static str {
        match self {
            Unit::Fen => "fen",
            Unit::Points => "points",
        }
    }

    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "fen" => Some(Unit::Fen),
            "points" => Some(Unit::Points),
            _ => None,
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The side on which an account's balance normally grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    /// +1 for a debit account, -1 for a credit account: the sign that turns an entry (debit positive) into
    /// a change of the account's balance as it is read on its normal side.
    pub const fn sign(self) -> i64 {
        match self {
            Side::Debit => 1,
            Side::Credit => -1,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }
}

/// Where an account stands in the statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Asset,
    Liability,
    Equity,
    Revenue,
    /// Reduces revenue (refunds).
    ContraRevenue,
    Expense,
}

impl Kind {
    pub const fn normal_side(self) -> Side {
        match self {
            Kind::Asset | Kind::Expense | Kind::ContraRevenue => Side::Debit,
            Kind::Liability | Kind::Equity | Kind::Revenue => Side::Credit,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Asset => "asset",
            Kind::Liability => "liability",
            Kind::Equity => "equity",
            Kind::Revenue => "revenue",
            Kind::ContraRevenue => "contra_revenue",
            Kind::Expense => "expense",
        }
    }

    /// Whether the account belongs to profit and loss (revenue, refunds, expenses).
    pub const fn in_profit_and_loss(self) -> bool {
        matches!(self, Kind::Revenue | Kind::ContraRevenue | Kind::Expense)
    }
}

macro_rules! chart {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $unit:ident, $kind:ident, $neg:literal; )*) => {
        /// The chart of accounts every merchant has. Codes are stable: they are what the database stores.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Account {
            $( $(#[$doc])* $variant, )*
        }

        impl Account {
            /// Every account, in chart order.
            pub const ALL: &'static [Account] = &[ $( Account::$variant, )* ];

            pub const fn code(self) -> &'static str {
                match self { $( Account::$variant => $code, )* }
            }

            pub const fn unit(self) -> Unit {
                match self { $( Account::$variant => Unit::$unit, )* }
            }

            pub const fn kind(self) -> Kind {
                match self { $( Account::$variant => Kind::$kind, )* }
            }

            /// Whether the balance, read on the account's normal side, may be below zero.
            pub const fn may_go_negative(self) -> bool {
                match self { $( Account::$variant => $neg, )* }
            }

            pub fn from_code(code: &str) -> Option<Account> {
                match code { $( $code => Some(Account::$variant), )* _ => None }
            }
        }
    };
}

chart! {
    /// Money the payment provider holds for the shop: payments in, fees and refunds out. It may go below
    /// zero: a refund is drawn from the merchant's funds at the provider, whatever the order brought in.
    ProviderClearing = "provider_clearing", Fen, Asset, true;
    /// Money a platform (or anyone else) owes the merchant.
    MerchantReceivable = "merchant_receivable", Fen, Asset, true;
    /// What promoters owe the shop: commission reversed by a refund after the promoter had withdrawn it.
    /// Never below zero (what the shop owes a promoter is commission payable).
    PromoterReceivable = "promoter_receivable", Fen, Asset, false;
    /// The merchant's own bank account.
    Bank = "bank", Fen, Asset, true;
    /// Goods in stock at cost. Stock received before the journal was kept has no value here, so it may go
    /// below zero.
    Inventory = "inventory", Fen, Asset, true;
    /// What the merchant owes suppliers and carriers.
    AccountsPayable = "accounts_payable", Fen, Liability, true;
    /// The money value of the points buyers hold (at the shop's points value when granted).
    PointsLiabilityValue = "points_liability_value", Fen, Liability, true;
    /// Money buyers hold in the shop (储值). Never below zero.
    BuyerStoredValue = "buyer_stored_value", Fen, Liability, false;
    /// Commission earned by promoters and not yet paid. Never below zero.
    CommissionPayable = "commission_payable", Fen, Liability, false;
    /// Commission earned by promoters and still frozen until the orders' after-sales windows close. Never
    /// below zero.
    CommissionFrozen = "commission_frozen", Fen, Liability, false;
    /// Vouchers sold and not yet redeemed. Never below zero.
    VoucherLiability = "voucher_liability", Fen, Liability, false;
    /// Balances brought in when the journal was started, and owner's adjustments.
    OpeningBalances = "opening_balances", Fen, Equity, true;
    /// Goods sold, after order-level reductions and before coupons and points.
    SalesRevenue = "sales_revenue", Fen, Revenue, true;
    /// Shipping charged to buyers.
    ShippingIncome = "shipping_income", Fen, Revenue, true;
    /// Goods money given back.
    SalesRefunds = "sales_refunds", Fen, ContraRevenue, true;
    /// The payment provider's fees.
    PaymentFees = "payment_fees", Fen, Expense, true;
    /// Coupons, at their amount apportioned to the order's lines (marketing cost).
    CouponCost = "coupon_cost", Fen, Expense, true;
    /// Points granted, at the shop's points value (marketing cost).
    PointsCost = "points_cost", Fen, Expense, true;
    /// What carriers charge for shipments.
    ShippingCost = "shipping_cost", Fen, Expense, true;
    /// Goods sold, at the SKUs' cost price.
    CostOfGoods = "cost_of_goods", Fen, Expense, true;
    /// Commission to promoters.
    CommissionExpense = "commission_expense", Fen, Expense, true;
    /// Rent, labour, office and other expenses the owner enters.
    OperatingExpenses = "operating_expenses", Fen, Expense, true;
    /// Points buyers hold. Never below zero.
    PointsLiability = "points_liability", Points, Liability, false;
    /// Points granted to buyers, ever.
    PointsGranted = "points_granted", Points, Expense, true;
    /// Points spent or expired, ever.
    PointsRedeemed = "points_redeemed", Points, Revenue, true;
}

impl Account {
    pub const fn normal_side(self) -> Side {
        self.kind().normal_side()
    }

    /// Whether the account is the control account of a sub-ledger: the sum of balances its holders keep
    /// elsewhere (points per buyer, commission per promoter, stored value per buyer), which it must equal.
    pub const fn has_sub_ledger(self) -> bool {
        matches!(
            self,
            Account::PointsLiability
                | Account::CommissionFrozen
                | Account::CommissionPayable
                | Account::PromoterReceivable
                | Account::BuyerStoredValue
        )
    }
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount in one unit. Positive is a debit, negative a credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amount {
    Fen(i64),
    Points(i64),
}

impl Amount {
    pub const fn unit(self) -> Unit {
        match self {
            Amount::Fen(_) => Unit::Fen,
            Amount::Points(_) => Unit::Points,
        }
    }

    pub const fn value(self) -> i64 {
        match self {
            Amount::Fen(v) | Amount::Points(v) => v,
        }
    }
}

/// The largest amount one entry may carry: ¥10,000,000,000,000.00 or as many points. Sums of a billion
/// entries stay far from the range of i64.
pub const MAX_ENTRY: i64 = 1_000_000_000_000_000;

/// The longest reference and memo a posting keeps.
pub const MAX_REFERENCE: usize = 100;
pub const MAX_MEMO: usize = 200;

/// One line of a posting: an amount on an account, with what it concerns (for reports by product and by
/// promotion).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub account: Account,
    pub amount: Amount,
    pub product_id: Option<i64>,
    /// The promotion concerned, as `coupon:<id>` or `activity:<id>`.
    pub promotion: Option<String>,
}

impl Entry {
    /// A debit of `fen` (may be negative: then it is a credit).
    pub fn debit(account: Account, fen: i64) -> Entry {
        Entry { account, amount: Amount::Fen(fen), product_id: None, promotion: None }
    }

    pub fn credit(account: Account, fen: i64) -> Entry {
        Entry::debit(account, fen.checked_neg().unwrap_or(i64::MAX))
    }

    pub fn debit_points(account: Account, points: i64) -> Entry {
        Entry { account, amount: Amount::Points(points), product_id: None, promotion: None }
    }

    pub fn credit_points(account: Account, points: i64) -> Entry {
        Entry::debit_points(account, points.checked_neg().unwrap_or(i64::MAX))
    }

    pub fn for_product(mut self, product_id: i64) -> Entry {
        self.product_id = Some(product_id);
        self
    }

    pub fn for_promotion(mut self, promotion: impl Into<String>) -> Entry {
        self.promotion = Some(promotion.into());
        self
    }

    /// The entry's change of its account's balance, read on the account's normal side.
    pub fn balance_change(&self) -> i64 {
        self.amount.value() * self.account.normal_side().sign()
    }
}

/// Why a posting was made. Stable codes, stored with the posting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostingKind {
    PaymentSucceeded,
    RefundSucceeded,
    ShipmentCost,
    OrderCompleted,
    GoodsReturned,
    PointsGranted,
    PointsSpent,
    PointsRestored,
    PointsExpired,
    PointsReversed,
    OpeningBalance,
    Expense,
    Adjustment,
    Correction,
    CommissionAccrued,
    CommissionReversed,
    CommissionSettled,
    CommissionWithdrawn,
    PromoterDebt,
    StoredValuePaid,
    StoredValueRefunded,
    StoredValueAdjusted,
    ReferralReward,
}

impl PostingKind {
    pub const ALL: &'static [PostingKind] = &[
        PostingKind::PaymentSucceeded,
        PostingKind::RefundSucceeded,
        PostingKind::ShipmentCost,
        PostingKind::OrderCompleted,
        PostingKind::GoodsReturned,
        PostingKind::PointsGranted,
        PostingKind::PointsSpent,
        PostingKind::PointsRestored,
        PostingKind::PointsExpired,
        PostingKind::PointsReversed,
        PostingKind::OpeningBalance,
        PostingKind::Expense,
        PostingKind::Adjustment,
        PostingKind::Correction,
        PostingKind::CommissionAccrued,
        PostingKind::CommissionReversed,
        PostingKind::CommissionSettled,
        PostingKind::CommissionWithdrawn,
        PostingKind::PromoterDebt,
        PostingKind::StoredValuePaid,
        PostingKind::StoredValueRefunded,
        PostingKind::StoredValueAdjusted,
        PostingKind::ReferralReward,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            PostingKind::PaymentSucceeded => "payment_succeeded",
            PostingKind::RefundSucceeded => "refund_succeeded",
            PostingKind::ShipmentCost => "shipment_cost",
            PostingKind::OrderCompleted => "order_completed",
            PostingKind::GoodsReturned => "goods_returned",
            PostingKind::PointsGranted => "points_granted",
            PostingKind::PointsSpent => "points_spent",
            PostingKind::PointsRestored => "points_restored",
            PostingKind::PointsExpired => "points_expired",
            PostingKind::PointsReversed => "points_reversed",
            PostingKind::OpeningBalance => "opening_balance",
            PostingKind::Expense => "expense",
            PostingKind::Adjustment => "adjustment",
            PostingKind::Correction => "correction",
            PostingKind::CommissionAccrued => "commission_accrued",
            PostingKind::CommissionReversed => "commission_reversed",
            PostingKind::CommissionSettled => "commission_settled",
            PostingKind::CommissionWithdrawn => "commission_withdrawn",
            PostingKind::PromoterDebt => "promoter_debt",
            PostingKind::StoredValuePaid => "stored_value_paid",
            PostingKind::StoredValueRefunded => "stored_value_refunded",
            PostingKind::StoredValueAdjusted => "stored_value_adjusted",
            PostingKind::ReferralReward => "referral_reward",
        }
    }

    pub fn parse(s: &str) -> Option<PostingKind> {
        PostingKind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

crate::coded_enum! {
    /// Why a posting (or the facts it is built from) was refused.
    pub enum LedgerError {
        Empty = "posting.empty",
        MixedUnits { index: usize, account: Account, given: Unit, expected: Unit } = "posting.mixed_units",
        Unbalanced { unit: Unit, sum: i128 } = "posting.unbalanced",
        OutOfRange { index: usize } = "posting.entry_out_of_range",
        /// An input of the posting or of its facts, and why.
        Invalid { field: &'static str, reason: Invalid } = "posting.invalid",
    }
}

crate::coded_enum! {
    /// What is wrong with an input of a posting or of the facts it is built from.
    pub enum Invalid {
        Length { min: i64, max: i64 } = "posting.length",
        TooLong { max: i64 } = "posting.too_long",
        CorrectionByReversal = "posting.correction_by_reversal",
        NotPositive = "posting.not_positive",
        AdjustmentRange = "posting.adjustment_range",
        FeeRate { max: i64 } = "posting.fee_rate",
        Negative = "posting.negative",
        NegativeRevenue = "posting.negative_revenue",
        Overflow = "posting.overflow",
        DiscountsAboveRevenue = "posting.discounts_above_revenue",
        FeeAbovePaid = "posting.fee_above_paid",
        PaidMismatch = "posting.paid_mismatch",
        RefundMismatch = "posting.refund_mismatch",
        FeeReturnedAboveRefund = "posting.fee_returned_above_refund",
        NotPointsOut = "posting.not_points_out",
        AboveMax { max: i64 } = "posting.above_max",
    }
}

impl LedgerError {
    pub fn invalid(field: &'static str, reason: Invalid) -> LedgerError {
        LedgerError::Invalid { field, reason }
    }
}

/// Written for logs: the code and its values.
impl fmt::Display for LedgerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        crate::error::write_coded(f, self)
    }
}

impl std::error::Error for LedgerError {}

impl crate::error::ToParam for Account {
    const KIND: crate::error::ParamKind = crate::error::ParamKind::Text;
    fn to_param(&self) -> crate::error::Param {
        crate::error::Param::Text(self.code().to_string())
    }
}

impl crate::error::ToParam for Unit {
    const KIND: crate::error::ParamKind = crate::error::ParamKind::Text;
    fn to_param(&self) -> crate::error::Param {
        crate::error::Param::Text(self.as_str().to_string())
    }
}

/// A balanced set of entries, ready to be written. It can only be made by [`Posting::new`] (or
/// [`Posting::reversal`]), which checks it, and cannot be changed afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    kind: PostingKind,
    reference: String,
    memo: String,
    at_ms: i64,
    corrects: Option<i64>,
    entries: Vec<Entry>,
}

impl Posting {
    /// Check and make a posting. Entries with a zero amount are dropped; what is left must be non-empty,
    /// each entry in its account's unit and within [`MAX_ENTRY`], and sum to zero per unit.
    pub fn new(
        kind: PostingKind,
        reference: impl Into<String>,
        at_ms: i64,
        entries: Vec<Entry>,
    ) -> Result<Posting, LedgerError> {
        let reference = reference.into();
        if reference.is_empty() || reference.chars().count() > MAX_REFERENCE {
            return Err(LedgerError::invalid("reference", Invalid::Length { min: 1, max: MAX_REFERENCE as i64 }));
        }
        if kind == PostingKind::Correction {
            return Err(LedgerError::invalid("kind", Invalid::CorrectionByReversal));
        }
        let entries: Vec<Entry> = entries.into_iter().filter(|e| e.amount.value() != 0).collect();
        check(&entries)?;
        Ok(Posting { kind, reference, memo: String::new(), at_ms, corrects: None, entries })
    }

    /// The correction of posting `original_id`, whose entries were `original`: the same entries with the
    /// opposite sign, so that together they leave every balance as it was. `reason` is kept as the memo.
    pub fn reversal(original_id: i64, original: &[Entry], at_ms: i64, reason: &str) -> Result<Posting, LedgerError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_MEMO {
            return Err(LedgerError::invalid("reason", Invalid::Length { min: 1, max: MAX_MEMO as i64 }));
        }
        let entries: Vec<Entry> = original
            .iter()
            .map(|e| Entry {
                amount: match e.amount {
                    Amount::Fen(v) => Amount::Fen(-v),
                    Amount::Points(v) => Amount::Points(-v),
                },
                ..e.clone()
            })
            .filter(|e| e.amount.value() != 0)
            .collect();
        check(&entries)?;
        Ok(Posting {
            kind: PostingKind::Correction,
            reference: format!("correction:{original_id}"),
            memo: reason.to_string(),
            at_ms,
            corrects: Some(original_id),
            entries,
        })
    }

    /// A correction of posting `original_id` with entries of its own (a partial or different correction
    /// rather than the whole reversal), under `reference`; `reason` is kept as the memo.
    pub fn correction(
        original_id: i64,
        reference: &str,
        at_ms: i64,
        entries: Vec<Entry>,
        reason: &str,
    ) -> Result<Posting, LedgerError> {
        if reference.is_empty() || reference.chars().count() > MAX_REFERENCE {
            return Err(LedgerError::invalid("reference", Invalid::Length { min: 1, max: MAX_REFERENCE as i64 }));
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > MAX_MEMO {
            return Err(LedgerError::invalid("reason", Invalid::Length { min: 1, max: MAX_MEMO as i64 }));
        }
        let entries: Vec<Entry> = entries.into_iter().filter(|e| e.amount.value() != 0).collect();
        check(&entries)?;
        Ok(Posting {
            kind: PostingKind::Correction,
            reference: reference.to_string(),
            memo: reason.to_string(),
            at_ms,
            corrects: Some(original_id),
            entries,
        })
    }

    /// A note kept with the posting (at most [`MAX_MEMO`] characters).
    pub fn with_memo(mut self, memo: &str) -> Result<Posting, LedgerError> {
        if memo.chars().count() > MAX_MEMO {
            return Err(LedgerError::invalid("memo", Invalid::TooLong { max: MAX_MEMO as i64 }));
        }
        self.memo = memo.to_string();
        Ok(self)
    }

    pub fn kind(&self) -> PostingKind {
        self.kind
    }

    /// What caused the posting, e.g. `payment:42`; one posting of a kind per reference and merchant.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    pub fn memo(&self) -> &str {
        &self.memo
    }

    pub fn at_ms(&self) -> i64 {
        self.at_ms
    }

    pub fn corrects(&self) -> Option<i64> {
        self.corrects
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The sum of the entries on `account` (debit positive).
    pub fn total_on(&self, account: Account) -> i64 {
        self.entries.iter().filter(|e| e.account == account).map(|e| e.amount.value()).sum()
    }
}

fn check(entries: &[Entry]) -> Result<(), LedgerError> {
    if entries.is_empty() {
        return Err(LedgerError::Empty);
    }
    let (mut fen, mut points) = (0i128, 0i128);
    for (index, e) in entries.iter().enumerate() {
        let (given, expected) = (e.amount.unit(), e.account.unit());
        if given != expected {
            return Err(LedgerError::MixedUnits { index, account: e.account, given, expected });
        }
        let v = e.amount.value();
        if !(-MAX_ENTRY..=MAX_ENTRY).contains(&v) {
            return Err(LedgerError::OutOfRange { index });
        }
        match given {
            Unit::Fen => fen += i128::from(v),
            Unit::Points => points += i128::from(v),
        }
    }
    if fen != 0 {
        return Err(LedgerError::Unbalanced { unit: Unit::Fen, sum: fen });
    }
    if points != 0 {
        return Err(LedgerError::Unbalanced { unit: Unit::Points, sum: points });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_chart_has_unique_codes_that_parse_back() {
        let mut codes: Vec<&str> = Account::ALL.iter().map(|a| a.code()).collect();
        for a in Account::ALL {
            assert_eq!(Account::from_code(a.code()), Some(*a));
        }
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Account::ALL.len());
        for k in PostingKind::ALL {
            assert_eq!(PostingKind::parse(k.as_str()), Some(*k));
        }
    }

    #[test]
    fn only_balances_of_value_held_for_others_must_stay_non_negative() {
        let never_negative: Vec<Account> = Account::ALL.iter().copied().filter(|a| !a.may_go_negative()).collect();
        assert_eq!(
            never_negative,
            vec![
                Account::PromoterReceivable,
                Account::BuyerStoredValue,
                Account::CommissionPayable,
                Account::CommissionFrozen,
                Account::VoucherLiability,
                Account::PointsLiability
            ]
        );
        assert_eq!(Account::PointsLiability.normal_side(), Side::Credit);
        assert_eq!(Account::ProviderClearing.normal_side(), Side::Debit);
        assert_eq!(Account::SalesRefunds.normal_side(), Side::Debit);
    }

    #[test]
    fn refuses_empty_unbalanced_and_mixed_postings() {
        let k = PostingKind::Adjustment;
        assert_eq!(Posting::new(k, "r", 0, vec![]), Err(LedgerError::Empty));
        assert_eq!(
            Posting::new(k, "r", 0, vec![Entry::debit(Account::Bank, 0), Entry::credit(Account::SalesRevenue, 0)]),
            Err(LedgerError::Empty)
        );
        assert_eq!(
            Posting::new(k, "r", 0, vec![Entry::debit(Account::Bank, 100), Entry::credit(Account::SalesRevenue, 99)]),
            Err(LedgerError::Unbalanced { unit: Unit::Fen, sum: 1 })
        );
        // 100 fen against 100 points balances neither unit.
        assert_eq!(
            Posting::new(
                k,
                "r",
                0,
                vec![Entry::debit(Account::Bank, 100), Entry::credit_points(Account::PointsLiability, 100)]
            ),
            Err(LedgerError::Unbalanced { unit: Unit::Fen, sum: 100 })
        );
        // Fen on a points account is refused whatever the sums.
        let mixed = vec![Entry::debit(Account::PointsLiability, 100), Entry::credit(Account::Bank, 100)];
        assert!(matches!(
            Posting::new(k, "r", 0, mixed),
            Err(LedgerError::MixedUnits { index: 0, account: Account::PointsLiability, .. })
        ));
        assert!(matches!(
            Posting::new(k, "r", 0, vec![Entry::debit(Account::Bank, MAX_ENTRY + 1), Entry::credit(Account::Bank, 1)]),
            Err(LedgerError::OutOfRange { index: 0 })
        ));
        assert!(matches!(Posting::new(k, "", 0, vec![]), Err(LedgerError::Invalid { field: "reference", .. })));
        let ok = Posting::new(
            k,
            "r",
            5,
            vec![
                Entry::debit(Account::Bank, 100),
                Entry::credit(Account::SalesRevenue, 100),
                Entry::debit(Account::CouponCost, 0),
                Entry::debit_points(Account::PointsGranted, 7),
                Entry::credit_points(Account::PointsLiability, 7),
            ],
        )
        .unwrap();
        assert_eq!(ok.entries().len(), 4, "the zero entry is dropped");
    }

    #[test]
    fn a_reversal_undoes_its_original_and_names_it() {
        let p = Posting::new(
            PostingKind::Expense,
            "expense:1",
            0,
            vec![Entry::debit(Account::OperatingExpenses, 500), Entry::credit(Account::AccountsPayable, 500)],
        )
        .unwrap();
        let r = Posting::reversal(9, p.entries(), 1, "entered twice").unwrap();
        assert_eq!(r.corrects(), Some(9));
        assert_eq!(r.kind(), PostingKind::Correction);
        assert_eq!(r.total_on(Account::OperatingExpenses), -500);
        assert!(Posting::reversal(9, p.entries(), 1, "  ").is_err());
        assert!(Posting::new(PostingKind::Correction, "x", 0, p.entries().to_vec()).is_err());
    }

    fn any_account() -> impl Strategy<Value = Account> {
        prop::sample::select(Account::ALL.to_vec())
    }

    proptest! {
        /// Whatever entries are offered, a posting is made exactly when they are non-empty, in their accounts'
        /// units and balance per unit.
        #[test]
        fn a_posting_is_made_only_when_it_balances_per_unit(
            raw in prop::collection::vec((any_account(), -1_000_000i64..1_000_000, any::<bool>()), 0..12)
        ) {
            let entries: Vec<Entry> = raw.iter().map(|(a, v, points)| Entry {
                account: *a,
                amount: if *points { Amount::Points(*v) } else { Amount::Fen(*v) },
                product_id: None,
                promotion: None,
            }).collect();
            let mixed = entries.iter().any(|e| e.amount.value() != 0 && e.amount.unit() != e.account.unit());
            let sum = |u: Unit| entries.iter().filter(|e| e.amount.unit() == u).map(|e| e.amount.value()).sum::<i64>();
            let empty = entries.iter().all(|e| e.amount.value() == 0);
            let ok = !empty && !mixed && sum(Unit::Fen) == 0 && sum(Unit::Points) == 0;
            prop_assert_eq!(Posting::new(PostingKind::Adjustment, "p", 0, entries).is_ok(), ok);
        }

        /// Entries made in pairs (a debit and a credit of one amount on two accounts of one unit) always
        /// make a posting, and moving one fen of it anywhere unbalances it.
        #[test]
        fn pairs_of_one_unit_balance_and_one_fen_off_does_not(
            pairs in prop::collection::vec((any_account(), any_account(), 1i64..1_000_000), 1..8),
            nudge in any::<prop::sample::Index>(),
        ) {
            let mut entries = Vec::new();
            for (a, b, v) in &pairs {
                let b = if a.unit() == b.unit() { *b } else { *a };
                let (d, c) = match a.unit() {
                    Unit::Fen => (Entry::debit(*a, *v), Entry::credit(b, *v)),
                    Unit::Points => (Entry::debit_points(*a, *v), Entry::credit_points(b, *v)),
                };
                entries.push(d);
                entries.push(c);
            }
            prop_assert!(Posting::new(PostingKind::Adjustment, "p", 0, entries.clone()).is_ok());
            let i = nudge.index(entries.len());
            entries[i].amount = match entries[i].amount {
                Amount::Fen(v) => Amount::Fen(v + 1),
                Amount::Points(v) => Amount::Points(v + 1),
            };
            let unbalanced = matches!(
                Posting::new(PostingKind::Adjustment, "p", 0, entries),
                Err(LedgerError::Unbalanced { .. })
            );
            prop_assert!(unbalanced);
        }
    }
}
