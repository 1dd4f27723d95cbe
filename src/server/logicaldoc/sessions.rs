//! LogicalDOC sessions: in memory only (a restart logs everyone out, as it does on the real
//! server), keyed by a random UUID-shaped sid, each holding its user id and last-use time. A
//! session idle for longer than the timeout is gone; every successful lookup renews it. Basic and
//! API-key callers get one implicit session per user, reused across their calls.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;

/// The default idle timeout: LogicalDOC's `default.session.timeout` of 30 minutes.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

struct Session {
    user_id: String,
    last_use: Instant,
}

#[derive(Default)]
struct Inner {
    by_sid: HashMap<String, Session>,
    /// user id → the sid of that user's implicit (Basic / API-key) session.
    implicit: HashMap<String, String>,
}

pub struct Sessions {
    timeout: Duration,
    inner: Mutex<Inner>,
}

/// A fresh sid: 122 random bits in UUID v4 form.
fn new_sid() -> String {
    let mut b: [u8; 16] = rand::rng().random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl Sessions {
    pub fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn expired(&self, s: &Session, now: Instant) -> bool {
        now.saturating_duration_since(s.last_use) > self.timeout
    }

    /// Opens a new session for `user_id` (an explicit login) and returns its sid.
    pub fn create(&self, user_id: &str) -> String {
        self.create_at(user_id, Instant::now())
    }

    fn create_at(&self, user_id: &str, now: Instant) -> String {
        let mut inner = self.lock();
        self.prune(&mut inner, now);
        let sid = new_sid();
        let session = Session {
            user_id: user_id.to_owned(),
            last_use: now,
        };
        inner.by_sid.insert(sid.clone(), session);
        sid
    }

    /// The user's implicit session (renewed), or a new one if it has none or it expired.
    pub fn implicit(&self, user_id: &str) -> String {
        self.implicit_at(user_id, Instant::now())
    }

    fn implicit_at(&self, user_id: &str, now: Instant) -> String {
        let current = self.lock().implicit.get(user_id).cloned();
        if let Some(sid) = current {
            if self.touch_at(&sid, now).as_deref() == Some(user_id) {
                return sid;
            }
        }
        let sid = self.create_at(user_id, now);
        self.lock().implicit.insert(user_id.to_owned(), sid.clone());
        sid
    }

    /// The user id of a live session, renewing it; `None` (and the session removed) if it is
    /// unknown or has expired.
    pub fn touch(&self, sid: &str) -> Option<String> {
        self.touch_at(sid, Instant::now())
    }

    fn touch_at(&self, sid: &str, now: Instant) -> Option<String> {
        let mut inner = self.lock();
        let session = inner.by_sid.get_mut(sid)?;
        if self.expired(session, now) {
            Self::remove_locked(&mut inner, sid);
            return None;
        }
        session.last_use = now;
        Some(session.user_id.clone())
    }

    /// Ends a session; whether it existed.
    pub fn remove(&self, sid: &str) -> bool {
        Self::remove_locked(&mut self.lock(), sid)
    }

    fn remove_locked(inner: &mut Inner, sid: &str) -> bool {
        let Some(s) = inner.by_sid.remove(sid) else {
            return false;
        };
        if inner.implicit.get(&s.user_id).map(String::as_str) == Some(sid) {
            inner.implicit.remove(&s.user_id);
        }
        true
    }

    /// Drops every expired session, so sessions nobody uses again do not pile up.
    fn prune(&self, inner: &mut Inner, now: Instant) {
        let dead: Vec<String> = (inner.by_sid.iter())
            .filter(|(_, s)| self.expired(s, now))
            .map(|(sid, _)| sid.clone())
            .collect();
        for sid in dead {
            Self::remove_locked(inner, &sid);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().by_sid.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(10);

    #[test]
    fn sids_look_like_uuids_and_differ() {
        let (a, b) = (new_sid(), new_sid());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn use_renews_and_idleness_expires() {
        let s = Sessions::new(T);
        let t0 = Instant::now();
        let sid = s.create_at("u1", t0);
        assert_eq!(s.touch_at(&sid, t0 + T).as_deref(), Some("u1"));
        assert_eq!(s.touch_at(&sid, t0 + T * 2).as_deref(), Some("u1"));
        assert_eq!(
            s.touch_at(&sid, t0 + T * 3 + Duration::from_millis(1)),
            None
        );
        assert_eq!(s.len(), 0, "an expired session is removed");
        assert_eq!(s.touch_at(&sid, t0), None);
    }

    #[test]
    fn implicit_sessions_are_reused_per_user() {
        let s = Sessions::new(T);
        let t0 = Instant::now();
        let a = s.implicit_at("u1", t0);
        assert_eq!(s.implicit_at("u1", t0 + T), a);
        assert_ne!(s.implicit_at("u2", t0), a);
        assert_ne!(s.create_at("u1", t0), a, "explicit logins get their own");
        assert!(s.remove(&a));
        assert_ne!(s.implicit_at("u1", t0 + T), a);
        let b = s.implicit_at("u1", t0 + T);
        assert_ne!(s.implicit_at("u1", t0 + T * 3), b, "expired: replaced");
    }

    #[test]
    fn creating_prunes_expired_sessions() {
        let s = Sessions::new(T);
        let t0 = Instant::now();
        s.create_at("u1", t0);
        s.implicit_at("u2", t0);
        s.create_at("u3", t0 + T * 2);
        assert_eq!(s.len(), 1);
        assert!(!s.remove("no-such-sid"));
    }
}
