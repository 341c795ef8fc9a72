//! A per-address limit on sign-in attempts: a fixed one-minute window per client address.
//! Thirty lines here rather than a rate-limiting crate: one map, one lock, and the window's
//! first refusal is what the audit log records.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct SignInLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// The answer for one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Refused; `first` is true for the window's first refusal.
    Refused {
        first: bool,
    },
}

impl SignInLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt from `addr` and says whether it may go on.
    pub fn attempt(&self, addr: &str) -> Verdict {
        let now = Instant::now();
        let Ok(mut w) = self.windows.lock() else {
            return Verdict::Allowed;
        };
        if w.len() > 100_000 {
            w.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let entry = w.entry(addr.to_string()).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 <= self.per_minute {
            Verdict::Allowed
        } else {
            Verdict::Refused {
                first: entry.1 == self.per_minute + 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address() {
        let l = SignInLimiter::new(3);
        for _ in 0..3 {
            assert_eq!(l.attempt("10.0.0.1"), Verdict::Allowed);
        }
        assert_eq!(l.attempt("10.0.0.1"), Verdict::Refused { first: true });
        assert_eq!(l.attempt("10.0.0.1"), Verdict::Refused { first: false });
        assert_eq!(l.attempt("10.0.0.2"), Verdict::Allowed);
    }
}
