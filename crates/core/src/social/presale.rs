//! Pre-sale with tiered rebate (预售阶梯返利): its planner and its auditable draws.
//!
//! Everyone pays the start price. Each time another `step_size` participants have joined, every participant
//! gets `rebate` back, up to `max_steps` steps, so all end at the final price. Every `draw_every` participants,
//! one participant drawn from everyone who has joined so far and not yet won gets the order free (what they
//! paid is given back) and still receives every later rebate.
//!
//! [`plan`] shows the economics before launch. The seeds' navel-orange example — ¥100 for 10 jin, ¥5 back
//! every 200 participants up to 10 steps, one free order every 25, cost ¥3 a jin, shipping ¥10 — gives for
//! 2,000 participants: final price ¥50, 80 free orders, revenue (2000 − 80) × ¥50 = ¥96,000, product cost
//! ¥60,000, shipping ¥20,000, rebates to the winners at most 80 × ¥50 = ¥4,000 (exactly ¥2,150 with these
//! draws: a winner receives only the rebates after their draw), margin ¥12,000 at worst (¥13,850 exactly).
//!
//! **Draws anyone can recompute.** Before the campaign the shop publishes [`commitment`] of a secret seed
//! (SHA-256, hex); after it, the seed. Draw `k` (1-based) happens when the `k × draw_every`-th participant
//! joins, among the participants so far in joining order who have not won, and picks index
//! `u128(first 16 bytes of SHA-256(seed ‖ ":" ‖ k)) mod count`. [`draws`] replays every draw from the seed and
//! the joining order; [`verify`] checks a revealed seed against its commitment.

use sha2::{Digest, Sha256};

use crate::Money;

/// A pre-sale's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub start_price: Money,
    pub step_size: u32,
    pub rebate: Money,
    pub max_steps: u32,
    /// One free order per this many participants; 0 for none.
    pub draw_every: u32,
    /// The product's cost per order (e.g. 10 jin × ¥3).
    pub cost_per_order: Money,
    pub shipping_per_order: Money,
}

pub const STEPS_MAX: u32 = 100;
pub const STEP_SIZE_MAX: u32 = 1_000_000;

crate::field_coded_enum! {
    pub enum TermsError (field: &'static str) {
        OutOfRange { min: i64, max: i64 } = "presale.out_of_range",
        BelowZero {} = "presale.price_below_zero",
    }
}

fn range(field: &'static str, v: i64, min: i64, max: i64) -> Result<(), TermsError> {
    if (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(TermsError::OutOfRange { field, min, max })
    }
}

impl Terms {
    pub fn validate(&self) -> Result<(), TermsError> {
        let max = crate::money::MAX_INPUT_FEN;
        range("start_price", self.start_price.fen(), 1, max)?;
        range("step_size", i64::from(self.step_size), 1, i64::from(STEP_SIZE_MAX))?;
        range("rebate", self.rebate.fen(), 0, max)?;
        range("max_steps", i64::from(self.max_steps), 0, i64::from(STEPS_MAX))?;
        range("draw_every", i64::from(self.draw_every), 0, i64::from(STEP_SIZE_MAX))?;
        range("cost_per_order", self.cost_per_order.fen(), 0, max)?;
        range("shipping_per_order", self.shipping_per_order.fen(), 0, max)?;
        if self.rebate.fen() * i64::from(self.max_steps) >= self.start_price.fen() {
            return Err(TermsError::BelowZero { field: "rebate" });
        }
        Ok(())
    }

    /// Rebate steps reached with `n` participants.
    pub fn steps_at(&self, n: u64) -> u32 {
        (n / u64::from(self.step_size.max(1))).min(u64::from(self.max_steps)) as u32
    }

    /// What everyone pays in the end with `n` participants.
    pub fn price_at(&self, n: u64) -> Money {
        Money::from_fen(self.start_price.fen() - self.rebate.fen() * i64::from(self.steps_at(n)))
    }

    /// Free orders with `n` participants.
    pub fn winners_at(&self, n: u64) -> u64 {
        if self.draw_every == 0 {
            0
        } else {
            n / u64::from(self.draw_every)
        }
    }
}

/// The economics of a pre-sale with a given number of participants. Amounts in fen (i128 would be needed
/// only beyond the input limits; these are checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub participants: u64,
    pub steps: u32,
    pub final_price: Money,
    pub free_orders: u64,
    pub revenue: i64,
    pub product_cost: i64,
    pub shipping: i64,
    /// Every winner receiving every rebate: the bound the shop must be ready for.
    pub winner_rebates_at_most: i64,
    /// What the winners receive with draws at every `draw_every` participants: the rebates after their draw.
    pub winner_rebates: i64,
    pub margin_at_worst: i64,
    pub margin: i64,
}

/// The planner. `None` when an amount would overflow (beyond any real campaign).
pub fn plan(t: &Terms, participants: u64) -> Option<Plan> {
    let n = i64::try_from(participants).ok()?;
    let steps = t.steps_at(participants);
    let final_price = t.price_at(participants);
    let free = t.winners_at(participants);
    let w = i64::try_from(free).ok()?;
    let revenue = (n - w).checked_mul(final_price.fen())?;
    let product_cost = n.checked_mul(t.cost_per_order.fen())?;
    let shipping = n.checked_mul(t.shipping_per_order.fen())?;
    let all_rebates = t.rebate.fen().checked_mul(i64::from(steps))?;
    let winner_rebates_at_most = w.checked_mul(all_rebates)?;
    let mut winner_rebates = 0i64;
    for k in 1..=free {
        let at_draw = t.steps_at(k * u64::from(t.draw_every));
        winner_rebates = winner_rebates.checked_add(t.rebate.fen() * i64::from(steps - at_draw))?;
    }
    let costs = product_cost.checked_add(shipping)?;
    Some(Plan {
        participants,
        steps,
        final_price,
        free_orders: free,
        revenue,
        product_cost,
        shipping,
        winner_rebates_at_most,
        winner_rebates,
        margin_at_worst: revenue.checked_sub(costs)?.checked_sub(winner_rebates_at_most)?,
        margin: revenue.checked_sub(costs)?.checked_sub(winner_rebates)?,
    })
}

/// The published commitment to a draw seed: SHA-256 of the seed, in lower-case hex.
pub fn commitment(seed: &[u8]) -> String {
    Sha256::digest(seed).iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether a revealed seed is the one committed to.
pub fn verify(commitment_hex: &str, seed: &[u8]) -> bool {
    commitment(seed) == commitment_hex.to_ascii_lowercase()
}

/// The index drawn by draw `k` among `count` candidates.
pub fn draw_index(seed: &[u8], k: u64, count: usize) -> Option<usize> {
    if count == 0 {
        return None;
    }
    let mut h = Sha256::new();
    h.update(seed);
    h.update(b":");
    h.update(k.to_string().as_bytes());
    let d = h.finalize();
    let mut x = [0u8; 16];
    x.copy_from_slice(&d[..16]);
    Some((u128::from_be_bytes(x) % count as u128) as usize)
}

/// Every draw of a campaign, replayed from the seed and the participants in joining order: the winners in
/// draw order (draw `k` at the `k × draw_every`-th participant, among those who joined so far and have not won).
pub fn draws(seed: &[u8], draw_every: u32, participants: &[i64]) -> Vec<i64> {
    let mut winners = Vec::new();
    if draw_every == 0 {
        return winners;
    }
    let every = draw_every as usize;
    let mut k = 1usize;
    while k * every <= participants.len() {
        let candidates: Vec<i64> = participants[..k * every].iter().copied().filter(|p| !winners.contains(p)).collect();
        if let Some(i) = draw_index(seed, k as u64, candidates.len()) {
            winners.push(candidates[i]);
        }
        k += 1;
    }
    winners
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn navel_oranges() -> Terms {
        Terms {
            start_price: Money::from_fen(10_000),
            step_size: 200,
            rebate: Money::from_fen(500),
            max_steps: 10,
            draw_every: 25,
            cost_per_order: Money::from_fen(10 * 300),
            shipping_per_order: Money::from_fen(1_000),
        }
    }

    #[test]
    fn the_navel_orange_example_reproduces_the_seeds_figures() {
        let t = navel_oranges();
        assert_eq!(t.validate(), Ok(()));
        let p = plan(&t, 2_000).unwrap();
        assert_eq!(p.steps, 10);
        assert_eq!(p.final_price, Money::from_fen(5_000));
        assert_eq!(p.free_orders, 80);
        assert_eq!(p.revenue, 9_600_000);
        assert_eq!(p.product_cost, 6_000_000);
        assert_eq!(p.shipping, 2_000_000);
        assert_eq!(p.winner_rebates_at_most, 400_000);
        assert_eq!(p.margin_at_worst, 1_200_000);
        // Draws at 25, 50, …: 8 draws before each step boundary, the first 7 before any step.
        // Σ 5 × (10 − ⌊25k / 200⌋) for k = 1..80 = ¥2,150.
        assert_eq!(p.winner_rebates, 215_000);
        assert_eq!(p.margin, 1_385_000);
    }

    #[test]
    fn fewer_participants_and_other_steps() {
        let t = navel_oranges();
        let p = plan(&t, 450).unwrap();
        assert_eq!((p.steps, p.final_price.fen(), p.free_orders), (2, 9_000, 18));
        assert_eq!(p.revenue, (450 - 18) * 9_000);
        let none = Terms { draw_every: 0, ..t };
        assert_eq!(plan(&none, 450).unwrap().free_orders, 0);
        let bad = Terms { rebate: Money::from_fen(1_000), ..t };
        assert_eq!(bad.validate().unwrap_err().code(), "presale.price_below_zero");
        assert_eq!(Terms { step_size: 0, ..t }.validate().unwrap_err().field(), "step_size");
    }

    #[test]
    fn a_draw_is_recomputed_from_the_revealed_seed() {
        let seed = b"navel-2025-secret";
        let c = commitment(seed);
        assert_eq!(c.len(), 64);
        assert!(verify(&c, seed));
        assert!(!verify(&c, b"another"));
        assert_eq!(commitment(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let people: Vec<i64> = (1..=100).collect();
        let w = draws(seed, 25, &people);
        assert_eq!(w.len(), 4);
        assert_eq!(w, draws(seed, 25, &people));
        assert_ne!(w, draws(b"other seed", 25, &people));
    }

    proptest! {
        /// Winners are distinct, each drawn among those who had joined by their draw, one per `draw_every`.
        #[test]
        fn every_draw_picks_a_new_winner_among_those_who_joined(
            seed in prop::collection::vec(any::<u8>(), 0..32),
            every in 1u32..10,
            n in 0usize..120,
        ) {
            let people: Vec<i64> = (0..n as i64).map(|i| 1000 + i).collect();
            let w = draws(&seed, every, &people);
            prop_assert_eq!(w.len(), n / every as usize);
            for (k, winner) in w.iter().enumerate() {
                let pos = people.iter().position(|p| p == winner).unwrap();
                prop_assert!(pos < (k + 1) * every as usize);
                prop_assert!(!w[..k].contains(winner));
            }
        }

        /// The planner's figures add up: margin = revenue − costs − rebates, the exact rebates never exceed
        /// the bound, and every participant pays the final price unless they won.
        #[test]
        fn the_plan_adds_up(n in 0u64..20_000, step in 1u32..500, every in 0u32..60, steps in 0u32..12) {
            let t = Terms { step_size: step, draw_every: every, max_steps: steps, ..navel_oranges() };
            prop_assume!(t.validate().is_ok());
            let p = plan(&t, n).unwrap();
            prop_assert!(p.winner_rebates <= p.winner_rebates_at_most);
            prop_assert_eq!(p.margin_at_worst, p.revenue - p.product_cost - p.shipping - p.winner_rebates_at_most);
            prop_assert_eq!(p.revenue, (n - p.free_orders) as i64 * p.final_price.fen());
            prop_assert!(p.final_price.fen() >= 1);
        }
    }
}
