//! The A/B statistics against reference values computed independently with scipy and statsmodels (and an
//! independent SipHash-1-3 for assignment): `fixtures/ab_reference.json`, made by `fixtures/ab_reference.py`,
//! whose header says how.

use minimall_core::analytics::ab;
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/ab_reference.json")).expect("the fixture is JSON")
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

#[track_caller]
fn close(what: &str, got: f64, want: f64) {
    let scale = want.abs().max(f64::MIN_POSITIVE);
    assert!(
        (got - want).abs() <= TOLERANCE * scale || got == want,
        "{what}: got {got:e}, want {want:e} (relative error {:e})",
        (got - want).abs() / scale
    );
}

#[test]
fn assignment_equals_an_independent_siphash() {
    let fx = fixture();
    let cases = fx["assignment"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let exp = c["experiment"].as_str().unwrap();
        let buyer = c["buyer"].as_i64().unwrap();
        let weights: Vec<u32> = c["weights"].as_array().unwrap().iter().map(|w| w.as_u64().unwrap() as u32).collect();
        let want: u64 = c["bucket"].as_str().unwrap().parse().unwrap();
        assert_eq!(ab::bucket(exp, buyer), want, "{c}");
        assert_eq!(ab::assign(exp, buyer, &weights), Some(u(c, "variant") as usize), "{c}");
    }
}

#[test]
fn wilson_intervals_equal_statsmodels() {
    for c in fixture()["wilson"].as_array().unwrap() {
        let r = ab::conversion_rate(u(c, "conversions"), u(c, "n"), f(c, "confidence")).unwrap();
        close(&format!("low of {c}"), r.low, f(c, "low"));
        close(&format!("high of {c}"), r.high, f(c, "high"));
    }
}

#[test]
fn two_proportion_z_tests_equal_statsmodels() {
    for c in fixture()["two_proportion"].as_array().unwrap() {
        let t = ab::two_proportion_z(u(c, "conv_a"), u(c, "n_a"), u(c, "conv_b"), u(c, "n_b")).unwrap();
        close(&format!("z of {c}"), t.statistic, f(c, "z"));
        close(&format!("p of {c}"), t.p_value, f(c, "p"));
    }
}

#[test]
fn welch_t_tests_equal_scipy() {
    for c in fixture()["welch"].as_array().unwrap() {
        let values = |k: &str| -> Vec<i64> { c[k].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect() };
        let (a, b) = (ab::Moments::of(&values("a")).unwrap(), ab::Moments::of(&values("b")).unwrap());
        let (t, df) = ab::welch_t(a, b).unwrap();
        let what = format!("Welch with n = {} and {}", a.n, b.n);
        close(&format!("t of {what}"), t.statistic, f(c, "t"));
        close(&format!("df of {what}"), df, f(c, "df"));
        close(&format!("p of {what}"), t.p_value, f(c, "p"));
    }
}

#[test]
fn sample_sizes_equal_the_formulas_with_scipy_quantiles() {
    let fx = fixture();
    for c in fx["sample_size_proportions"].as_array().unwrap() {
        let n = ab::sample_size_proportions(f(c, "base"), f(c, "mde"), f(c, "alpha"), f(c, "power")).unwrap();
        close(&format!("n of {c}"), n, f(c, "n"));
    }
    for c in fx["sample_size_means"].as_array().unwrap() {
        let n = ab::sample_size_means(f(c, "sd"), f(c, "mde"), f(c, "alpha"), f(c, "power")).unwrap();
        close(&format!("n of {c}"), n, f(c, "n"));
    }
}
