//! A small read-through cache with a time to live, for values a service re-reads on every request
//! (a verified session, a room, a participant) but may see a few seconds late.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::Duration;

use crate::clock::Timestamp;

/// Values remembered for `ttl` after they were stored, measured on the caller's [`crate::Clock`].
///
/// It is bounded: when `capacity` entries are held, storing one more first drops every entry
/// that has expired, and if that frees nothing, all of them. A miss only costs a storage read, so
/// this crude rule is enough and keeps the cache free of bookkeeping on the hot path.
#[derive(Debug)]
pub struct TtlCache<K, V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, (V, Timestamp)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> TtlCache<K, V> {
    /// An empty cache.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<K, (V, Timestamp)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value stored for `key`, unless it is older than the time to live at `now`.
    pub fn get(&self, key: &K, now: Timestamp) -> Option<V> {
        let entries = self.lock();
        let (value, stored_at) = entries.get(key)?;
        (now - *stored_at < self.ttl).then(|| value.clone())
    }

    /// Stores `value` for `key` as of `now`.
    pub fn insert(&self, key: K, value: V, now: Timestamp) {
        let mut entries = self.lock();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, (_, stored_at)| now - *stored_at < self.ttl);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (value, now));
    }

    /// Changes the stored value for `key` in place, keeping its age; does nothing on a miss.
    pub fn update(&self, key: &K, change: impl FnOnce(&mut V)) {
        if let Some((value, _)) = self.lock().get_mut(key) {
            change(value);
        }
    }

    /// Forgets `key`.
    pub fn remove(&self, key: &K) {
        self.lock().remove(key);
    }

    /// Forgets every entry for which `forget` says so.
    pub fn remove_where(&self, mut forget: impl FnMut(&K, &V) -> bool) {
        self.lock().retain(|key, (value, _)| !forget(key, value));
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn values_live_for_their_time_and_the_cache_stays_bounded() {
        let start = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let cache = TtlCache::new(Duration::seconds(2), 3);
        cache.insert("a", 1, start);
        assert_eq!(cache.get(&"a", start + Duration::seconds(1)), Some(1));
        assert_eq!(cache.get(&"a", start + Duration::seconds(2)), None);
        cache.update(&"a", |value| *value = 5);
        assert_eq!(cache.get(&"a", start), Some(5));
        cache.remove(&"a");
        assert_eq!(cache.get(&"a", start), None);

        for (key, value) in [("a", 1), ("b", 2), ("c", 3)] {
            cache.insert(key, value, start);
        }
        // Full of fresh entries: the next one clears the rest rather than growing.
        cache.insert("d", 4, start);
        assert_eq!(
            [&"a", &"b", &"c", &"d"].map(|key| cache.get(key, start)),
            [None, None, None, Some(4)]
        );
        cache.remove_where(|_, value| *value == 4);
        assert_eq!(cache.get(&"d", start), None);
    }
}
