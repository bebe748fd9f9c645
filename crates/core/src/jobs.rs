//! Retry policy of durable jobs (the queue itself lives in `store`).

/// Delay before attempt `attempts + 1`, after `attempts` failures: 1 s, 2 s, 4 s … capped at one hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(0, 12) as u32;
    (1000i64 << exp).min(3_600_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_ms(0), 1000);
        assert_eq!(backoff_ms(1), 2000);
        assert_eq!(backoff_ms(3), 8000);
        assert_eq!(backoff_ms(100), 3_600_000);
        assert_eq!(backoff_ms(-3), 1000);
    }
}
