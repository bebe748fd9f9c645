//! A/B tests: which variant a buyer sees, and what the counts say.
//!
//! - Assignment: SipHash-1-3 with fixed keys over the experiment's key and the buyer id, mapped onto the variants'
//!   weights. The same buyer always lands in the same variant of an experiment, on every machine and Rust version.
//! - Conversion: the rate with a **Wilson score interval**; two variants compared by the **two-proportion z-test
//!   with the pooled proportion** (two-sided).
//! - Order value: **Welch's t-test** (unequal variances, Welch–Satterthwaite degrees of freedom, two-sided), the
//!   p-value from the Student t distribution.
//! - Planning: the sample per variant for a minimum detectable effect (absolute, on a base conversion rate, or on
//!   a mean with a known standard deviation) at the chosen α and power, by the normal approximation.
//! - No peeking: a comparison is final only once every variant has reached the planned sample; before that the
//!   report says it is still collecting, whatever the p-value.

use std::hash::Hasher;

use siphasher::sip::SipHasher13;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

/// SipHash keys of experiment assignment. Changing them reshuffles every running experiment: never change them.
const ASSIGN_KEYS: (u64, u64) = (0x6d69_6e69_6d61_6c6c, 0x6162_2d61_7373_6967);

/// The buyer's position in an experiment, uniform over `u64`.
pub fn bucket(experiment: &str, buyer_id: i64) -> u64 {
    let mut h = SipHasher13::new_with_keys(ASSIGN_KEYS.0, ASSIGN_KEYS.1);
    h.write(&(experiment.len() as u64).to_le_bytes());
    h.write(experiment.as_bytes());
    h.write(&buyer_id.to_le_bytes());
    h.finish()
}

/// An anonymous visitor's position in an experiment (by the visitor's id), uniform over `u64`; its own domain, so
/// it never equals a buyer's by construction of the input.
pub fn visitor_bucket(experiment: &str, visitor: &str) -> u64 {
    let mut h = SipHasher13::new_with_keys(ASSIGN_KEYS.0, ASSIGN_KEYS.1);
    h.write(&(experiment.len() as u64).to_le_bytes());
    h.write(experiment.as_bytes());
    h.write(&(visitor.len() as u64).to_le_bytes());
    h.write(visitor.as_bytes());
    h.finish()
}

/// The index of the variant a buyer sees, given the variants' weights (positive, in order). `None` when there are
/// no variants or the weights sum to zero.
pub fn assign(experiment: &str, buyer_id: i64, weights: &[u32]) -> Option<usize> {
    pick(bucket(experiment, buyer_id), weights)
}

/// The index of the variant an anonymous visitor sees, as [`assign`] for buyers.
pub fn assign_visitor(experiment: &str, visitor: &str, weights: &[u32]) -> Option<usize> {
    pick(visitor_bucket(experiment, visitor), weights)
}

/// The variant a bucket falls in, by the weights.
fn pick(bucket: u64, weights: &[u32]) -> Option<usize> {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if total == 0 {
        return None;
    }
    // The bucket scaled onto 0..total (multiply-high: no modulo bias worth the name).
    let point = ((u128::from(bucket) * u128::from(total)) >> 64) as u64;
    let mut upto = 0u64;
    for (i, &w) in weights.iter().enumerate() {
        upto += u64::from(w);
        if point < upto {
            return Some(i);
        }
    }
    None
}

fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("the standard normal")
}

/// The two-sided critical value z for a confidence level, e.g. 1.959964 for 0.95.
pub fn z_two_sided(confidence: f64) -> f64 {
    std_normal().inverse_cdf(1.0 - (1.0 - confidence) / 2.0)
}

/// The normal's upper tail P(Z > z).
fn normal_sf(z: f64) -> f64 {
    std_normal().sf(z)
}

/// A conversion rate with its Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub conversions: u64,
    pub n: u64,
    pub rate: f64,
    pub low: f64,
    pub high: f64,
}

/// The rate `conversions / n` and its Wilson score interval at `confidence` (e.g. 0.95). `None` when `n` is 0 or
/// there are more conversions than trials.
pub fn conversion_rate(conversions: u64, n: u64, confidence: f64) -> Option<Rate> {
    if n == 0 || conversions > n {
        return None;
    }
    let z = z_two_sided(confidence);
    let nf = n as f64;
    let p = conversions as f64 / nf;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * nf)) / (1.0 + z2 / nf);
    let half = z / (1.0 + z2 / nf) * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    // At p = 0 (or 1) the bound is exactly 0 (or 1); computed, it would be off by a rounding error.
    let low = if conversions == 0 { 0.0 } else { (centre - half).max(0.0) };
    let high = if conversions == n { 1.0 } else { (centre + half).min(1.0) };
    Some(Rate { conversions, n, rate: p, low, high })
}

/// A two-sided test's statistic and p-value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    pub statistic: f64,
    pub p_value: f64,
}

/// Two-proportion z-test with the pooled proportion, B against A (positive z: B converts more). `None` when a
/// sample is empty, counts exceed trials, or nothing varies (no conversion at all, or all converted).
pub fn two_proportion_z(conv_a: u64, n_a: u64, conv_b: u64, n_b: u64) -> Option<Test> {
    if n_a == 0 || n_b == 0 || conv_a > n_a || conv_b > n_b {
        return None;
    }
    let (na, nb) = (n_a as f64, n_b as f64);
    let (pa, pb) = (conv_a as f64 / na, conv_b as f64 / nb);
    let pooled = (conv_a + conv_b) as f64 / (na + nb);
    let se = (pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb)).sqrt();
    if se == 0.0 {
        return None;
    }
    let z = (pb - pa) / se;
    Some(Test { statistic: z, p_value: 2.0 * normal_sf(z.abs()) })
}

/// The count, mean and sample variance (n − 1) of order values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub variance: f64,
}

impl Moments {
    /// From the count, sum and sum of squares of integer values (fen), computed exactly before one division, so
    /// the store can hand over three aggregates instead of every order. `None` with fewer than two values.
    pub fn from_sums(n: u64, sum: i128, sum_sq: i128) -> Option<Moments> {
        if n < 2 {
            return None;
        }
        let n_i = i128::from(n);
        let spread = n_i.checked_mul(sum_sq)?.checked_sub(sum.checked_mul(sum)?)?;
        if spread < 0 {
            return None;
        }
        Some(Moments { n, mean: sum as f64 / n as f64, variance: spread as f64 / (n_i * (n_i - 1)) as f64 })
    }

    /// Of integer values (fen).
    pub fn of(values: &[i64]) -> Option<Moments> {
        let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
        let sum_sq: i128 = values.iter().map(|&v| i128::from(v) * i128::from(v)).sum();
        Moments::from_sums(values.len() as u64, sum, sum_sq)
    }
}

/// Welch's t-test, B against A (positive t: B's mean is higher), with its degrees of freedom. `None` when either
/// sample has fewer than two values or neither varies.
pub fn welch_t(a: Moments, b: Moments) -> Option<(Test, f64)> {
    if a.n < 2 || b.n < 2 {
        return None;
    }
    let (va, vb) = (a.variance / a.n as f64, b.variance / b.n as f64);
    let se2 = va + vb;
    if se2 <= 0.0 {
        return None;
    }
    let t = (b.mean - a.mean) / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    Some((Test { statistic: t, p_value: 2.0 * dist.sf(t.abs()) }, df))
}

/// The sample per variant to detect `mde` (absolute, e.g. 0.01 for one point) on a base conversion rate
/// `base`, two-sided at `alpha` with `power`: n = (z₁₋α/₂·√(2·p̄·q̄) + z₁₋β·√(p₁q₁ + p₂q₂))² / mde², p̄ the mean
/// of p₁ = base and p₂ = base + mde, before rounding up.
pub fn sample_size_proportions(base: f64, mde: f64, alpha: f64, power: f64) -> Option<f64> {
    let p2 = base + mde;
    if !(0.0..1.0).contains(&base) || base == 0.0 || !(0.0..1.0).contains(&p2) || mde == 0.0 {
        return None;
    }
    let za = z_two_sided(1.0 - alpha);
    let zb = std_normal().inverse_cdf(power);
    let pm = (base + p2) / 2.0;
    let root = za * (2.0 * pm * (1.0 - pm)).sqrt() + zb * (base * (1.0 - base) + p2 * (1.0 - p2)).sqrt();
    Some(root * root / (mde * mde))
}

/// The sample per variant to detect a difference `mde` between two means with standard deviation `sd`:
/// n = 2·(z₁₋α/₂ + z₁₋β)²·sd² / mde², before rounding up.
pub fn sample_size_means(sd: f64, mde: f64, alpha: f64, power: f64) -> Option<f64> {
    if sd <= 0.0 || mde == 0.0 || !sd.is_finite() || !mde.is_finite() {
        return None;
    }
    let z = z_two_sided(1.0 - alpha) + std_normal().inverse_cdf(power);
    Some(2.0 * z * z * sd * sd / (mde * mde))
}

/// The usual plan: α 0.05, power 0.8, 95 % intervals.
pub const ALPHA: f64 = 0.05;
pub const POWER: f64 = 0.8;
pub const CONFIDENCE: f64 = 0.95;

/// A variant's observed counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    pub exposed: u64,
    pub converted: u64,
}

/// Where a comparison stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Not every variant has reached the planned sample: the figures are shown, but no conclusion is drawn (a
    /// p-value read before then, and again at every look, finds differences that are not there).
    Collecting { planned: u64, smallest: u64 },
    /// The planned sample is reached: B differs from A (p < α).
    Significant { test: Test },
    /// The planned sample is reached and no difference was found at α.
    NotSignificant { test: Test },
    /// The planned sample is reached but the test cannot be run (no variation at all).
    Undecidable,
}

impl Verdict {
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Collecting { .. } => "collecting",
            Verdict::Significant { .. } => "significant",
            Verdict::NotSignificant { .. } => "not_significant",
            Verdict::Undecidable => "undecidable",
        }
    }
}

/// Variant B against control A, judged only at the planned sample per variant (stated before the start).
pub fn judge(planned_per_variant: u64, a: Observed, b: Observed, alpha: f64) -> Verdict {
    let smallest = a.exposed.min(b.exposed);
    if smallest < planned_per_variant.max(1) {
        return Verdict::Collecting { planned: planned_per_variant, smallest };
    }
    match two_proportion_z(a.converted, a.exposed, b.converted, b.exposed) {
        Some(test) if test.p_value < alpha => Verdict::Significant { test },
        Some(test) => Verdict::NotSignificant { test },
        None => Verdict::Undecidable,
    }
}

/// The relative lift of B over A, (p_b − p_a) / p_a; `None` when A converted nobody.
pub fn lift(a: Observed, b: Observed) -> Option<f64> {
    if a.exposed == 0 || b.exposed == 0 || a.converted == 0 {
        return None;
    }
    let pa = a.converted as f64 / a.exposed as f64;
    let pb = b.converted as f64 / b.exposed as f64;
    Some((pb - pa) / pa)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_bucket_is_pinned() {
        // Assignment must not move between releases: these values were taken once and stay.
        assert_eq!(bucket("price_display", 1), bucket("price_display", 1));
        let pinned = [bucket("price_display", 1), bucket("price_display", 2), bucket("", 0)];
        assert_eq!(pinned, PINNED);
        assert_ne!(bucket("a", 12), bucket("a1", 2), "the key's length is hashed");
    }

    const PINNED: [u64; 3] = [1_282_487_772_346_105_118, 6_380_804_977_668_522_995, 2_072_821_534_349_103_211];

    #[test]
    fn weights_are_followed_over_many_buyers() {
        let weights = [1u32, 2, 7];
        let mut counts = [0u32; 3];
        for buyer in 1..=100_000 {
            counts[assign("home_block", buyer, &weights).unwrap()] += 1;
        }
        for (c, w) in counts.iter().zip(weights) {
            let expected = 10_000.0 * f64::from(w);
            assert!((f64::from(*c) - expected).abs() < 0.03 * expected, "{counts:?}");
        }
        assert_eq!(assign("x", 1, &[]), None);
        assert_eq!(assign("x", 1, &[0, 0]), None);
        assert_eq!(assign("x", 1, &[0, 5]), Some(1), "a zero weight gets nobody");
        let mut counts = [0u32; 2];
        for v in 0..20_000 {
            counts[assign_visitor("exp1", &format!("visitor-{v:06}"), &[1, 1]).unwrap()] += 1;
        }
        assert!(counts.iter().all(|&c| (9_700..=10_300).contains(&c)), "{counts:?}");
    }

    #[test]
    fn peeking_is_refused_until_the_planned_sample() {
        let a = Observed { exposed: 500, converted: 20 };
        let b = Observed { exposed: 500, converted: 45 };
        assert_eq!(judge(1_000, a, b, ALPHA), Verdict::Collecting { planned: 1_000, smallest: 500 });
        let a = Observed { exposed: 1_000, converted: 40 };
        let b = Observed { exposed: 1_200, converted: 90 };
        assert_eq!(judge(1_000, a, b, ALPHA).code(), "significant");
        let b = Observed { exposed: 1_000, converted: 42 };
        assert_eq!(judge(1_000, a, b, ALPHA).code(), "not_significant");
        let none = Observed { exposed: 1_000, converted: 0 };
        assert_eq!(judge(1_000, none, none, ALPHA), Verdict::Undecidable);
        assert!((lift(a, Observed { exposed: 1_000, converted: 50 }).unwrap() - 0.25).abs() < 1e-12);
    }

    #[test]
    fn moments_from_sums_equal_those_of_values() {
        let m = Moments::of(&[1_000, 2_000, 3_000, 4_000]).unwrap();
        assert_eq!(m.mean, 2_500.0);
        assert!((m.variance - 1_666_666.666_666_666_7).abs() < 1e-6);
        assert_eq!(Moments::of(&[5]), None);
        assert!(welch_t(m, Moments::of(&[7, 7, 7]).unwrap()).is_some());
        let flat = Moments::of(&[7, 7, 7]).unwrap();
        assert_eq!(welch_t(flat, flat), None);
    }

    proptest! {
        #[test]
        fn assignment_is_stable_and_in_range(exp in "[a-z_]{1,20}", buyer in 1i64..i64::MAX, w in prop::collection::vec(1u32..100, 1..6)) {
            let v = assign(&exp, buyer, &w).unwrap();
            prop_assert!(v < w.len());
            prop_assert_eq!(assign(&exp, buyer, &w), Some(v));
        }

        #[test]
        fn the_interval_holds_the_rate(n in 1u64..1_000_000, k in 0u64..1_000_000) {
            let k = k % (n + 1);
            let r = conversion_rate(k, n, CONFIDENCE).unwrap();
            prop_assert!(0.0 <= r.low && r.low <= r.rate + 1e-12 && r.rate <= r.high + 1e-12 && r.high <= 1.0);
        }

        #[test]
        fn p_values_are_probabilities_and_symmetric(na in 1u64..100_000, nb in 1u64..100_000, ka in 0u64..100_000, kb in 0u64..100_000) {
            let (ka, kb) = (ka % (na + 1), kb % (nb + 1));
            if let Some(t) = two_proportion_z(ka, na, kb, nb) {
                prop_assert!((0.0..=1.0).contains(&t.p_value));
                let back = two_proportion_z(kb, nb, ka, na).unwrap();
                prop_assert!((back.p_value - t.p_value).abs() < 1e-12 && (back.statistic + t.statistic).abs() < 1e-9);
            }
        }

        #[test]
        fn a_bigger_effect_needs_fewer_buyers(base in 0.01f64..0.5, mde in 0.005f64..0.2) {
            let small = sample_size_proportions(base, mde, ALPHA, POWER).unwrap();
            let big = sample_size_proportions(base, mde * 1.5, ALPHA, POWER);
            if let Some(big) = big { prop_assert!(big < small); }
        }
    }
}
