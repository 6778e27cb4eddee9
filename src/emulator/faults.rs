//! Seeded fault injection, two kinds. Faults answer a share of requests with 503
//! ServiceUnavailable or 400 Throttling, the two transient errors SDKs retry, before any state is
//! touched. Lost answers apply a write and then answer 503 or drop the connection, as when a
//! runner's network loses the response: the SDK's retry meets the state the first attempt left.
//!
//! Fault draws are seeded per request content and attempt, so a seed gives the same faults
//! whatever the order of concurrent requests; lost answers are drawn in write order. Not for: latency (see `server`).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use crate::emulator::errors::ApiError;
use crate::emulator::operation::Operation;

/// Decides, per request, whether to fail it.
///
/// A draw depends on the seed, the request's content (method, path, query and body) and how often
/// that content has been seen, not on when it arrived: concurrent requests, or one more request of
/// another kind, do not shift the faults of the others, so a seed gives the same run every time.
#[derive(Debug)]
pub struct Faults {
    rate: f64,
    seed: u64,
    /// Attempts seen per request content (a retry sends the same content again).
    attempts: Mutex<HashMap<u64, u64>>,
}

impl Faults {
    /// Fails `rate` (0.0-1.0) of requests, drawn from generators seeded with `seed`.
    pub fn new(rate: f64, seed: u64) -> Self {
        Self {
            rate,
            seed,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// The injected error for this request (`content`: what identifies it across retries), if it
    /// is one of the failing share.
    pub fn draw(&self, content: &[&[u8]]) -> Option<ApiError> {
        if self.rate <= 0.0 {
            return None;
        }
        let key = fnv1a(content);
        let attempt = {
            // A poisoned map is still a valid map.
            let mut attempts = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
            let n = attempts.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        let mut rng =
            fastrand::Rng::with_seed(self.seed ^ key ^ attempt.wrapping_mul(0x9E37_79B9_7F4A_7C15));
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

/// FNV-1a over the parts, each followed by a separator: stable across builds and platforms.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in part.iter().chain(&[0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// How an answer is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoseHow {
    /// A 503 ServiceUnavailable replaces the answer.
    Unavailable,
    /// The connection closes before any byte of the answer.
    Drop,
}

impl LoseHow {
    /// `503` or `drop`, as `--lose` spells it and the request log shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            LoseHow::Unavailable => "503",
            LoseHow::Drop => "drop",
        }
    }
}

/// One `--lose` rule: `OPERATION[:503|:drop][:COUNT|:all]`, e.g. `UpdateFunction:drop` (the
/// first UpdateFunction answer, connection dropped) or `writes:503:all` (every write answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoseRule {
    /// The write whose answers are lost; `None` for every write (`writes`).
    pub operation: Option<Operation>,
    /// How they are lost.
    pub how: LoseHow,
    /// How many, counted from the first successful one; `None` for all of them.
    pub count: Option<u32>,
}

impl FromStr for LoseRule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().split(':');
        let op = parts.next().unwrap_or_default();
        let operation = if op == "writes" {
            None
        } else {
            let op: Operation = op.parse()?;
            if !op.is_write() {
                let writes: Vec<&str> = Operation::writes().map(Operation::as_str).collect();
                return Err(format!(
                    "{op} is not a write; only the answers of writes can be lost ({} or writes)",
                    writes.join(", ")
                ));
            }
            Some(op)
        };
        let mut rule = LoseRule {
            operation,
            how: LoseHow::Unavailable,
            count: Some(1),
        };
        for part in parts {
            match part {
                "503" => rule.how = LoseHow::Unavailable,
                "drop" => rule.how = LoseHow::Drop,
                "all" => rule.count = None,
                n => match n.parse::<u32>() {
                    Ok(n) if n > 0 => rule.count = Some(n),
                    _ => {
                        return Err(format!(
                            "{s:?}: {n:?} is not 503, drop, a positive count or all"
                        ));
                    }
                },
            }
        }
        Ok(rule)
    }
}

impl fmt::Display for LoseRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.operation {
            Some(op) => write!(f, "{op}")?,
            None => f.write_str("writes")?,
        }
        write!(f, ":{}", self.how.as_str())?;
        match self.count {
            Some(n) => write!(f, ":{n}"),
            None => f.write_str(":all"),
        }
    }
}

/// Decides, per applied write, whether its answer is lost.
#[derive(Debug)]
pub struct Losses {
    rate: f64,
    /// The rules with how many answers each may still lose.
    rules: Mutex<Vec<(LoseRule, Option<u32>)>>,
    rng: Mutex<fastrand::Rng>,
}

impl Losses {
    /// Loses the answers `rules` name, and `rate` (0.0-1.0) of the other write answers, drawn
    /// from a generator seeded with `seed` (its own stream: the faults of a seed stay the same).
    pub fn new(rate: f64, rules: &[LoseRule], seed: u64) -> Self {
        Self {
            rate,
            rules: Mutex::new(rules.iter().map(|r| (r.clone(), r.count)).collect()),
            rng: Mutex::new(fastrand::Rng::with_seed(seed ^ 0x6c6f_7374)),
        }
    }

    /// Whether (and how) to lose the answer of `op`, a request that succeeded.
    pub fn draw(&self, op: Operation) -> Option<LoseHow> {
        if !op.is_write() {
            return None;
        }
        {
            let mut rules = self.rules.lock().unwrap_or_else(|p| p.into_inner());
            for (rule, left) in rules.iter_mut() {
                if rule.operation.is_some_and(|o| o != op) {
                    continue;
                }
                match left {
                    None => return Some(rule.how),
                    Some(0) => continue,
                    Some(n) => {
                        *n -= 1;
                        return Some(rule.how);
                    }
                }
            }
        }
        if self.rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        if rng.f64() >= self.rate {
            return None;
        }
        Some(if rng.bool() {
            LoseHow::Unavailable
        } else {
            LoseHow::Drop
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lose_rules_parse_with_defaults_and_refuse_reads() {
        let rule: LoseRule = "UpdateFunction".parse().unwrap();
        assert_eq!(rule.operation, Some(Operation::UpdateFunction));
        assert_eq!((rule.how, rule.count), (LoseHow::Unavailable, Some(1)));
        let rule: LoseRule = "CreateFunction:drop:3".parse().unwrap();
        assert_eq!((rule.how, rule.count), (LoseHow::Drop, Some(3)));
        let rule: LoseRule = "writes:all".parse().unwrap();
        assert_eq!((rule.operation, rule.count), (None, None));
        assert_eq!(rule.to_string(), "writes:503:all");
        let err = "DescribeFunction".parse::<LoseRule>().unwrap_err();
        assert!(err.contains("not a write"), "{err}");
        assert!("UpdateFunction:sometimes".parse::<LoseRule>().is_err());
        assert!("UpdateFunction:0".parse::<LoseRule>().is_err());
        assert!("Nope".parse::<LoseRule>().is_err());
    }

    #[test]
    fn a_rule_loses_its_count_of_its_operation_only() {
        let rules = ["PublishFunction:drop:2".parse().unwrap()];
        let losses = Losses::new(0.0, &rules, 1);
        assert_eq!(losses.draw(Operation::UpdateFunction), None);
        assert_eq!(losses.draw(Operation::PublishFunction), Some(LoseHow::Drop));
        assert_eq!(losses.draw(Operation::PublishFunction), Some(LoseHow::Drop));
        assert_eq!(losses.draw(Operation::PublishFunction), None);
    }

    #[test]
    fn the_lose_rate_is_seeded_and_never_touches_reads() {
        let draws = |seed| {
            let losses = Losses::new(0.5, &[], seed);
            (0..64)
                .map(|_| losses.draw(Operation::UpdateFunction))
                .collect::<Vec<_>>()
        };
        let a = draws(9);
        assert_eq!(a, draws(9));
        assert!(a.contains(&Some(LoseHow::Drop)));
        assert!(a.contains(&Some(LoseHow::Unavailable)));
        assert!(a.contains(&None));
        let losses = Losses::new(1.0, &[], 9);
        assert!((0..32).all(|_| losses.draw(Operation::TestFunction).is_none()));
    }

    fn codes(faults: &Faults, n: usize) -> Vec<Option<&'static str>> {
        (0..n)
            .map(|i| {
                let body = i.to_string();
                faults.draw(&[b"POST", body.as_bytes()]).map(|e| e.code)
            })
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_faults() {
        let a = codes(&Faults::new(0.5, 7), 64);
        let b = codes(&Faults::new(0.5, 7), 64);
        assert_eq!(a, b);
        assert_ne!(a, codes(&Faults::new(0.5, 8), 64));
        assert!(a.contains(&Some("ServiceUnavailable")));
        assert!(a.contains(&Some("Throttling")));
        assert!(a.contains(&None));
    }

    #[test]
    fn a_request_draws_the_same_faults_whatever_arrives_before_it() {
        let alone = Faults::new(0.5, 3);
        let crowded = Faults::new(0.5, 3);
        for other in 0..20 {
            crowded.draw(&[b"GET", other.to_string().as_bytes()]);
        }
        // Its attempts (the same content sent again) draw the same sequence in both.
        let attempts = |f: &Faults| {
            (0..16)
                .map(|_| f.draw(&[b"PUT", b"/x"]).map(|e| e.code))
                .collect::<Vec<_>>()
        };
        let a = attempts(&alone);
        assert_eq!(a, attempts(&crowded));
        // and each attempt is a draw of its own, not one outcome repeated.
        assert!(a.contains(&None) && a.iter().any(Option::is_some), "{a:?}");
    }

    #[test]
    fn rate_zero_and_one_are_never_and_always() {
        assert!(codes(&Faults::new(0.0, 1), 32).iter().all(Option::is_none));
        assert!(codes(&Faults::new(1.0, 1), 32).iter().all(Option::is_some));
    }
}
