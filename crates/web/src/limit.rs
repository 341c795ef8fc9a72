//! A per-address limit on sign-in attempts: a fixed one-minute window per client address; and
//! the bursts of refused anonymous requests, counted the same way.
//! Thirty lines here rather than a rate-limiting crate: one map, one lock, and the window's
//! first refusal is what the audit log records.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at once. Past it (after dropping ended windows), new addresses share one
/// window, so a flood from many addresses is still limited and memory stays bounded.
const MAX_ADDRESSES: usize = 100_000;
/// The key of the shared window.
const OVERFLOW: &str = "*";

/// The key an address is counted under: an IPv6 address by its /64 (one subscriber's block,
/// which it can rotate through freely), anything else as it is.
fn key(addr: &str) -> String {
    match addr.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        _ => addr.to_string(),
    }
}

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
        let mut k = key(addr);
        if w.len() >= MAX_ADDRESSES && !w.contains_key(&k) {
            w.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
            if w.len() >= MAX_ADDRESSES {
                k = OVERFLOW.to_string();
            }
        }
        let entry = w.entry(k).or_insert((now, 0));
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
        w.get(&key(addr))
            .or_else(|| w.get(OVERFLOW).filter(|_| w.len() >= MAX_ADDRESSES))
            .is_some_and(|(start, n, _)| now.duration_since(*start) < WINDOW && *n > limit)
    }

    /// Counts a refusal of `addr`.
    pub fn refused(&self, addr: &str) -> Burst {
        let now = Instant::now();
        let Ok(mut w) = self.windows.lock() else {
            return Burst::Record { earlier: 0 };
        };
        let mut k = key(addr);
        if w.len() >= MAX_ADDRESSES && !w.contains_key(&k) {
            w.retain(|_, (start, _, _)| now.duration_since(*start) < 2 * WINDOW);
            if w.len() >= MAX_ADDRESSES {
                k = OVERFLOW.to_string();
            }
        }
        let entry = w.entry(k).or_insert((now, 0, 0));
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
    fn memory_is_bounded_and_a_rotating_block_is_one_address() {
        let l = SignInLimiter::new(3);
        // An IPv6 subscriber rotating through its /64 is one address.
        for i in 0..3 {
            assert_eq!(l.attempt(&format!("2001:db8:1:2::{i:x}")), Verdict::Allowed);
        }
        assert_eq!(
            l.attempt("2001:db8:1:2:ffff::1"),
            Verdict::Refused { first: true }
        );
        assert_eq!(l.attempt("2001:db8:1:3::1"), Verdict::Allowed);
        // A flood from more addresses than are tracked: the map stops growing and the
        // newcomers share one window.
        let flood = MAX_ADDRESSES + 50;
        let mut refused = 0;
        for i in 0..flood {
            let addr = format!("10.{}.{}.{}", i >> 16 & 0xff, i >> 8 & 0xff, i & 0xff);
            if l.attempt(&addr) != Verdict::Allowed {
                refused += 1;
            }
        }
        let tracked = l.windows.lock().expect("lock").len();
        assert!(tracked <= MAX_ADDRESSES + 1, "{tracked}");
        assert!(refused >= 40, "{refused}");
        // An address already tracked keeps its own window.
        assert_eq!(l.attempt("2001:db8:1:3::1"), Verdict::Allowed);
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
