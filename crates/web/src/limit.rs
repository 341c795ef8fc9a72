//! A per-address limit on sign-in attempts: a fixed one-minute window per client address; and
//! the bursts of refused anonymous requests, counted the same way.
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

/// Refusals of anonymous requests (a bad API token), counted per address in one-minute
/// windows so that a burst writes one audit entry, not one per request, and a flood is turned
/// away before the database is asked.
#[derive(Debug, Default)]
pub struct RefusalBursts {
    /// Address → (window start, refusals in it, refusals in the window before).
    windows: Mutex<HashMap<String, (Instant, u32, u32)>>,
}

/// What to do with one refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Burst {
    /// The window's first: write an entry, saying how many the previous window held after
    /// its own first (0 when none).
    Record { earlier: u32 },
    /// Counted, not written.
    Counted,
}

impl RefusalBursts {
    /// Whether `addr` has been refused more than `limit` times in its current window.
    pub fn exceeded(&self, addr: &str, limit: u32) -> bool {
        let now = Instant::now();
        let Ok(w) = self.windows.lock() else {
            return false;
        };
        w.get(addr)
            .is_some_and(|(start, n, _)| now.duration_since(*start) < WINDOW && *n > limit)
    }

    /// Counts a refusal of `addr`.
    pub fn refused(&self, addr: &str) -> Burst {
        let now = Instant::now();
        let Ok(mut w) = self.windows.lock() else {
            return Burst::Record { earlier: 0 };
        };
        if w.len() > 100_000 {
            w.retain(|_, (start, _, _)| now.duration_since(*start) < 2 * WINDOW);
        }
        let entry = w.entry(addr.to_string()).or_insert((now, 0, 0));
        if now.duration_since(entry.0) >= WINDOW {
            let before = if now.duration_since(entry.0) < 2 * WINDOW {
                entry.1
            } else {
                0
            };
            *entry = (now, 0, before);
        }
        entry.1 = entry.1.saturating_add(1);
        if entry.1 == 1 {
            Burst::Record {
                earlier: entry.2.saturating_sub(1),
            }
        } else {
            Burst::Counted
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

    #[test]
    fn a_burst_of_refusals_is_recorded_once() {
        let b = RefusalBursts::default();
        assert_eq!(b.refused("10.0.0.1"), Burst::Record { earlier: 0 });
        for _ in 0..9 {
            assert_eq!(b.refused("10.0.0.1"), Burst::Counted);
        }
        assert!(b.exceeded("10.0.0.1", 5));
        assert!(!b.exceeded("10.0.0.1", 10));
        assert_eq!(b.refused("10.0.0.2"), Burst::Record { earlier: 0 });
        assert!(!b.exceeded("10.0.0.3", 0));
    }
}
