//! Unwrapped data keys kept in memory for a short while (`[key_cache]`),
//! so a request need not ask the master key (a file, an HSM or a KMS) and
//! — for ingest — need not read the key row before its transaction.
//!
//! A cached key is only ever *a* key of its user, looked up by its id; the
//! transactions that store or hand out anything still read the user's key
//! row and check the id is current, so a stale entry can cost a retry of
//! the lookup but never lets something through under a rotated key. Only
//! keys of local master keys (`file`, `env`) are kept: an HSM or KMS key
//! can be disabled or deleted from outside, and the vault then fails closed
//! at once rather than after a cached copy expires.
//! Entries live at most `ttl_secs` from their unwrap, the map holds at most
//! `entries` of them, and every key is zeroized when its last holder drops
//! it (eviction, expiry, rotation). `entries = 0` turns the cache off.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use sealvault::{DataKey, KeyId};

/// One unwrapped key and whose it is.
struct Entry {
    user: String,
    key: Arc<DataKey>,
    unwrapped_at: Instant,
}

/// A bounded map from key id to unwrapped data key, each entry with a TTL.
pub struct KeyCache {
    capacity: usize,
    ttl: Duration,
    entries: Mutex<HashMap<KeyId, Entry>>,
}

impl KeyCache {
    /// At most `capacity` keys, each for at most `ttl` (0 of either: off).
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        let capacity = if ttl.is_zero() { 0 } else { capacity };
        Self {
            capacity,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Whether keys are kept at all.
    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<KeyId, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self, entry: &Entry) -> bool {
        entry.unwrapped_at.elapsed() < self.ttl
    }

    /// `user`'s key `key_id`, when cached and not expired.
    pub fn get(&self, user: &str, key_id: &KeyId) -> Option<Arc<DataKey>> {
        let mut map = self.map();
        let entry = map.get(key_id)?;
        if !self.fresh(entry) {
            map.remove(key_id);
            return None;
        }
        (entry.user == user).then(|| entry.key.clone())
    }

    /// Keeps `user`'s freshly unwrapped `key`, evicting expired entries and,
    /// when still full, the oldest.
    pub fn insert(&self, user: &str, key: Arc<DataKey>) {
        if !self.enabled() {
            return;
        }
        let mut map = self.map();
        if map.len() >= self.capacity {
            map.retain(|_, e| self.fresh(e));
        }
        if map.len() >= self.capacity {
            let oldest = map
                .iter()
                .min_by_key(|(_, e)| e.unwrapped_at)
                .map(|(id, _)| *id);
            if let Some(id) = oldest {
                map.remove(&id);
            }
        }
        let entry = Entry {
            user: user.to_owned(),
            key: key.clone(),
            unwrapped_at: Instant::now(),
        };
        map.insert(key.key_id(), entry);
    }

    /// Drops every key of `user` (after a rotation deleted one).
    pub fn forget_user(&self, user: &str) {
        self.map().retain(|_, e| e.user != user);
    }

    /// Drops the expired entries; how many are left.
    pub fn purge_expired(&self) -> usize {
        let mut map = self.map();
        map.retain(|_, e| self.fresh(e));
        map.len()
    }

    /// How often [`spawn_purger`] runs: often enough that no key outlives
    /// its TTL by more than half of it.
    fn purge_every(&self) -> Duration {
        (self.ttl / 2).max(Duration::from_millis(100))
    }
}

/// Purges expired keys in the background even when no request comes,
/// until the cache is dropped.
pub fn spawn_purger(cache: &Arc<KeyCache>) {
    if !cache.enabled() {
        return;
    }
    let every = cache.purge_every();
    let cache = Arc::downgrade(cache);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match cache.upgrade() {
                Some(cache) => cache.purge_expired(),
                None => return,
            };
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Arc<DataKey> {
        Arc::new(DataKey::generate())
    }

    #[test]
    fn a_key_is_found_by_its_id_for_its_user_only() {
        let cache = KeyCache::new(4, Duration::from_secs(60));
        let k = key();
        cache.insert("alice", k.clone());
        let hit = cache.get("alice", &k.key_id()).expect("cached");
        assert_eq!(hit.key_id(), k.key_id());
        assert!(cache.get("bob", &k.key_id()).is_none());
        assert!(cache.get("alice", &key().key_id()).is_none());
    }

    #[test]
    fn entries_expire_and_are_purged() {
        let cache = KeyCache::new(4, Duration::from_millis(30));
        let (a, b) = (key(), key());
        cache.insert("alice", a.clone());
        cache.insert("bob", b.clone());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get("alice", &a.key_id()).is_none());
        assert_eq!(cache.purge_expired(), 0, "bob's key was not purged");
    }

    #[test]
    fn a_full_cache_evicts_the_oldest_and_its_key_is_dropped() {
        let cache = KeyCache::new(2, Duration::from_secs(60));
        let first = key();
        let weak = Arc::downgrade(&first);
        let first_id = first.key_id();
        cache.insert("u1", first);
        let (second, third) = (key(), key());
        cache.insert("u2", second.clone());
        cache.insert("u3", third.clone());
        assert!(cache.get("u1", &first_id).is_none());
        assert!(weak.upgrade().is_none(), "the evicted key is still held");
        assert!(cache.get("u2", &second.key_id()).is_some());
        assert!(cache.get("u3", &third.key_id()).is_some());
    }

    #[test]
    fn forget_user_drops_only_that_users_keys() {
        let cache = KeyCache::new(4, Duration::from_secs(60));
        let (a, b) = (key(), key());
        cache.insert("alice", a.clone());
        cache.insert("bob", b.clone());
        cache.forget_user("alice");
        assert!(cache.get("alice", &a.key_id()).is_none());
        assert!(cache.get("bob", &b.key_id()).is_some());
    }

    #[test]
    fn zero_entries_or_zero_ttl_turn_it_off() {
        for cache in [
            KeyCache::new(0, Duration::from_secs(60)),
            KeyCache::new(8, Duration::ZERO),
        ] {
            let k = key();
            cache.insert("alice", k.clone());
            assert!(!cache.enabled());
            assert!(cache.get("alice", &k.key_id()).is_none());
        }
    }
}
