//! Seeded fault injection: answers a share of requests with 503 ServiceUnavailable or 400
//! Throttling, the two transient errors SDKs retry, before any state is touched.
//!
//! The draws come from one seeded generator in request order, so a sequential client sees the same
//! faults for the same seed. Not for: latency (see `routes`).

use std::sync::Mutex;

use super::errors::ApiError;

/// Decides, per request, whether to fail it.
#[derive(Debug)]
pub struct Faults {
    rate: f64,
    rng: Mutex<fastrand::Rng>,
}

impl Faults {
    /// Fails `rate` (0.0-1.0) of requests, drawn from a generator seeded with `seed`.
    pub fn new(rate: f64, seed: u64) -> Self {
        Self {
            rate,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
        }
    }

    /// The injected error for the next request, if it is one of the failing share.
    pub fn draw(&self) -> Option<ApiError> {
        if self.rate <= 0.0 {
            return None;
        }
        // A poisoned generator is still a valid generator.
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        if rng.f64() >= self.rate {
            return None;
        }
        Some(if rng.bool() {
            ApiError::service_unavailable()
        } else {
            ApiError::throttling()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(faults: &Faults, n: usize) -> Vec<Option<&'static str>> {
        (0..n).map(|_| faults.draw().map(|e| e.code)).collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let a = codes(&Faults::new(0.5, 7), 64);
        let b = codes(&Faults::new(0.5, 7), 64);
        assert_eq!(a, b);
        assert!(a.contains(&Some("ServiceUnavailable")));
        assert!(a.contains(&Some("Throttling")));
        assert!(a.contains(&None));
    }

    #[test]
    fn rate_zero_and_one_are_never_and_always() {
        assert!(codes(&Faults::new(0.0, 1), 32).iter().all(Option::is_none));
        assert!(codes(&Faults::new(1.0, 1), 32).iter().all(Option::is_some));
    }
}
