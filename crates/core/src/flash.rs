//! Flash sales (秒杀): the rules of a sale and the admission arithmetic that keeps it from overselling.
//!
//! A [`SaleGate`] holds, for one sale, the units still free per SKU and the units each buyer holds. Admission
//! takes units from it before anything is written; a write that fails, or an order that is cancelled later,
//! gives them back with [`SaleGate::release`]. The gate never goes below zero and never lets a buyer past the
//! limit, whatever the interleaving (property tests below). The same rules run as one Lua script when the
//! gate lives in Redis.

use std::collections::HashMap;

use crate::error::{count, Label, Reason};
use crate::FieldError;

crate::coded_enum! {
    /// Why a purchase was refused before touching the database.
    #[derive(Copy)]
    pub enum Refusal {
        NotStarted = "flash.not_started",
        Ended = "flash.ended",
        SoldOut = "flash.sold_out",
        LimitReached = "flash.limit_reached",
    }
}

impl Refusal {
    /// The API's error code of the refusal (`flash_sold_out`), kept as integrators know it.
    pub fn api_code(self) -> &'static str {
        match self {
            Refusal::NotStarted => "flash_not_started",
            Refusal::Ended => "flash_ended",
            Refusal::SoldOut => "flash_sold_out",
            Refusal::LimitReached => "flash_limit_reached",
        }
    }

    /// Stable label for metrics and the bench.
    pub fn label(self) -> &'static str {
        match self {
            Refusal::NotStarted => "not_started",
            Refusal::Ended => "ended",
            Refusal::SoldOut => "sold_out",
            Refusal::LimitReached => "limit_reached",
        }
    }
}

/// Where a sale stands at `now`.
pub fn window(now_ms: i64, starts_at: i64, ends_at: i64) -> Result<(), Refusal> {
    if now_ms < starts_at {
        Err(Refusal::NotStarted)
    } else if now_ms >= ends_at {
        Err(Refusal::Ended)
    } else {
        Ok(())
    }
}

/// One SKU of a sale as the admin sets it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemSpec {
    pub sku_id: i64,
    pub flash_price: i64,
    pub quantity: i64,
    /// The SKU's regular sale price and free stock when the sale is set up.
    pub sale_price: i64,
    pub stock: i64,
}

/// The upper bound on one sale's units and on one buyer's limit.
pub const MAX_UNITS: i64 = 1_000_000;
pub const MAX_ITEMS: usize = 20;
pub const MAX_DURATION_MS: i64 = 31 * 24 * 3_600_000;

/// The terms of a sale, also on their own when a sale is edited: a window that ends after it starts and lasts
/// at most a month, and a per-buyer limit of 1 to 1000.
pub fn validate_terms(starts_at: i64, ends_at: i64, per_buyer_limit: i64) -> Result<(), FieldError> {
    if starts_at <= 0 {
        return Err(FieldError::new("starts_at", Reason::NotEpochMs));
    }
    if ends_at <= starts_at {
        return Err(FieldError::new("ends_at", Reason::NotAfter { other: Label::field("starts_at") }));
    }
    if ends_at - starts_at > MAX_DURATION_MS {
        return Err(FieldError::new("ends_at", Reason::FlashTooLong { days: 31 }));
    }
    if !(1..=1000).contains(&per_buyer_limit) {
        return Err(FieldError::new("per_buyer_limit", Reason::OutOfRange { min: 1, max: 1000 }));
    }
    Ok(())
}

/// Check a sale's setup: its terms ([`validate_terms`]) and 1–20 distinct SKUs each priced above zero and below their regular price, with a quantity no larger than the
/// stock that will be set aside for it.
pub fn validate_setup(
    starts_at: i64,
    ends_at: i64,
    per_buyer_limit: i64,
    items: &[ItemSpec],
) -> Result<(), FieldError> {
    validate_terms(starts_at, ends_at, per_buyer_limit)?;
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(FieldError::new("items", Reason::ListCount { min: 1, max: count(MAX_ITEMS) }));
    }
    for (i, it) in items.iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        if items[..i].iter().any(|o| o.sku_id == it.sku_id) {
            return Err(FieldError::new(at("sku_id"), Reason::FlashSkuTwice));
        }
        if it.flash_price <= 0 {
            return Err(FieldError::new(at("flash_price"), Reason::AtLeastOneFen));
        }
        if it.flash_price >= it.sale_price {
            return Err(FieldError::new(at("flash_price"), Reason::FlashPriceNotBelowSale));
        }
        if !(1..=MAX_UNITS).contains(&it.quantity) {
            return Err(FieldError::new(at("quantity"), Reason::OutOfRange { min: 1, max: MAX_UNITS }));
        }
        if it.quantity > it.stock {
            return Err(FieldError::new(at("quantity"), Reason::FlashNotEnoughStock { stock: it.stock }));
        }
    }
    Ok(())
}

/// Two windows overlap when each starts before the other ends.
pub fn overlaps(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// The admission state of one sale.
#[derive(Debug, Clone, Default)]
pub struct SaleGate {
    pub starts_at: i64,
    pub ends_at: i64,
    pub per_buyer_limit: i64,
    remaining: HashMap<i64, i64>,
    held: HashMap<i64, i64>,
}

impl SaleGate {
    /// A gate from the database's view: units still free per SKU and units each buyer holds in live orders.
    pub fn new(
        starts_at: i64,
        ends_at: i64,
        per_buyer_limit: i64,
        remaining: impl IntoIterator<Item = (i64, i64)>,
        held: impl IntoIterator<Item = (i64, i64)>,
    ) -> Self {
        SaleGate {
            starts_at,
            ends_at,
            per_buyer_limit,
            remaining: remaining.into_iter().map(|(s, r)| (s, r.max(0))).collect(),
            held: held.into_iter().filter(|(_, q)| *q > 0).collect(),
        }
    }

    /// Take `qty` units of `sku` for `buyer`, or say why not. `qty` has been checked to be 1..=limit.
    pub fn admit(&mut self, now_ms: i64, buyer: i64, sku: i64, qty: i64) -> Result<(), Refusal> {
        window(now_ms, self.starts_at, self.ends_at)?;
        let held = self.held.get(&buyer).copied().unwrap_or(0);
        let left = self.remaining.get(&sku).copied().unwrap_or(0);
        if left < qty {
            return Err(Refusal::SoldOut);
        }
        if qty <= 0 || held + qty > self.per_buyer_limit {
            return Err(Refusal::LimitReached);
        }
        self.remaining.insert(sku, left - qty);
        self.held.insert(buyer, held + qty);
        Ok(())
    }

    /// Give back units taken by [`SaleGate::admit`] (a failed write, a cancelled order).
    pub fn release(&mut self, buyer: i64, sku: i64, qty: i64) {
        if let Some(r) = self.remaining.get_mut(&sku) {
            *r += qty;
        }
        if let Some(h) = self.held.get_mut(&buyer) {
            *h = (*h - qty).max(0);
            if *h == 0 {
                self.held.remove(&buyer);
            }
        }
    }

    pub fn remaining(&self, sku: i64) -> i64 {
        self.remaining.get(&sku).copied().unwrap_or(0)
    }

    pub fn total_remaining(&self) -> i64 {
        self.remaining.values().sum()
    }

    pub fn held(&self, buyer: i64) -> i64 {
        self.held.get(&buyer).copied().unwrap_or(0)
    }

    /// Change the window and limit (an edit of a running sale); units are untouched.
    pub fn set_terms(&mut self, starts_at: i64, ends_at: i64, per_buyer_limit: i64) {
        self.starts_at = starts_at;
        self.ends_at = ends_at;
        self.per_buyer_limit = per_buyer_limit;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn spec(qty: i64, stock: i64) -> ItemSpec {
        ItemSpec { sku_id: 1, flash_price: 100, quantity: qty, sale_price: 200, stock }
    }

    #[test]
    fn setup_rules_name_the_field() {
        assert!(validate_setup(1000, 2000, 1, &[spec(10, 10)]).is_ok());
        assert_eq!(validate_setup(2000, 2000, 1, &[spec(1, 1)]).unwrap_err().field, "ends_at");
        assert_eq!(validate_setup(1000, 2000, 0, &[spec(1, 1)]).unwrap_err().field, "per_buyer_limit");
        assert_eq!(validate_setup(1000, 2000, 1, &[spec(11, 10)]).unwrap_err().field, "items[0].quantity");
        let dear = ItemSpec { flash_price: 200, ..spec(1, 1) };
        assert_eq!(validate_setup(1000, 2000, 1, &[dear]).unwrap_err().field, "items[0].flash_price");
        assert_eq!(validate_setup(1000, 2000, 1, &[spec(1, 1), spec(1, 1)]).unwrap_err().field, "items[1].sku_id");
        assert_eq!(validate_setup(1000, 2000, 1, &[]).unwrap_err().field, "items");
    }

    #[test]
    fn windows_and_refusals() {
        let mut g = SaleGate::new(100, 200, 2, [(7, 3)], []);
        assert_eq!(g.admit(99, 1, 7, 1), Err(Refusal::NotStarted));
        assert_eq!(g.admit(200, 1, 7, 1), Err(Refusal::Ended));
        assert_eq!(g.admit(150, 1, 7, 2), Ok(()));
        assert_eq!(g.admit(150, 1, 7, 1), Err(Refusal::LimitReached));
        assert_eq!(g.admit(150, 2, 7, 2), Err(Refusal::SoldOut));
        assert_eq!(g.admit(150, 2, 8, 1), Err(Refusal::SoldOut));
        g.release(1, 7, 1);
        assert_eq!(g.admit(150, 2, 7, 2), Ok(()));
        assert_eq!(g.total_remaining(), 0);
        assert!(overlaps((1, 5), (4, 9)) && !overlaps((1, 5), (5, 9)));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Admit { buyer: i64, sku: i64, qty: i64 },
        ReleaseOne(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0i64..20, 0i64..3, 1i64..4).prop_map(|(buyer, sku, qty)| Op::Admit { buyer, sku, qty }),
            1 => any::<usize>().prop_map(Op::ReleaseOne),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the order of admissions and releases: never below zero, never past a buyer's limit, and
        /// units free + units held = the initial quantity.
        #[test]
        fn never_oversells_nor_passes_the_limit(
            initial in proptest::collection::vec(0i64..30, 3),
            limit in 1i64..5,
            ops in proptest::collection::vec(op(), 0..300),
        ) {
            let mut g = SaleGate::new(0, 10, limit, initial.iter().enumerate().map(|(s, q)| (s as i64, *q)), []);
            let mut outstanding: Vec<(i64, i64, i64)> = Vec::new();
            for o in ops {
                match o {
                    Op::Admit { buyer, sku, qty } => {
                        if g.admit(5, buyer, sku, qty).is_ok() {
                            outstanding.push((buyer, sku, qty));
                        }
                    }
                    Op::ReleaseOne(i) if !outstanding.is_empty() => {
                        let (b, s, q) = outstanding.swap_remove(i % outstanding.len());
                        g.release(b, s, q);
                    }
                    Op::ReleaseOne(_) => {}
                }
                for (s, q) in initial.iter().enumerate() {
                    let held: i64 = outstanding.iter().filter(|o| o.1 == s as i64).map(|o| o.2).sum();
                    prop_assert!(g.remaining(s as i64) >= 0);
                    prop_assert_eq!(g.remaining(s as i64) + held, *q);
                }
                for b in 0..20 {
                    let held: i64 = outstanding.iter().filter(|o| o.0 == b).map(|o| o.2).sum();
                    prop_assert!(held <= limit);
                    prop_assert_eq!(g.held(b), held);
                }
            }
        }
    }
}
