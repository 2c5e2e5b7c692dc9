//! Concurrency limits by key (`--concurrency-limit stripe=3`): at most N activity
//! attempts whose `ActivityOptions` name the concurrency key run at once, over all
//! runs, task queues and activity types. Attempts of a key past its limit wait in the
//! key's [`Slots`], in priority and fairness order, holding no other slot. A key with
//! no declared limit limits nothing.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::str::FromStr;
use std::sync::Arc;

use super::slots::Slots;

/// `KEY=N`: at most N attempts of activities with concurrency key KEY run at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConcurrencyLimit {
    pub key: String,
    pub limit: NonZeroUsize,
}

impl FromStr for ConcurrencyLimit {
    type Err = String;

    fn from_str(s: &str) -> Result<ConcurrencyLimit, String> {
        let usage = "write KEY=N, as in `stripe=3`";
        let (key, limit) = name_and_limit(s, usage)?;
        weft_model::fairness::check_key("concurrency key", key)
            .map_err(|e| format!("`{s}`: {e} ({usage})"))?;
        Ok(ConcurrencyLimit {
            key: key.to_string(),
            limit,
        })
    }
}

/// `NAME=N` with N 1 or more: the trimmed name (maybe empty) and N.
pub(super) fn name_and_limit<'s>(
    s: &'s str,
    usage: &str,
) -> Result<(&'s str, NonZeroUsize), String> {
    let Some((name, n)) = s.rsplit_once('=') else {
        return Err(format!("`{s}`: {usage}"));
    };
    let limit = n
        .trim()
        .parse::<usize>()
        .ok()
        .and_then(NonZeroUsize::new)
        .ok_or_else(|| format!("`{s}`: the limit must be a whole number, 1 or more ({usage})"))?;
    Ok((name.trim(), limit))
}

/// The slots of every key with a declared limit.
#[derive(Debug, Default)]
pub struct KeySlots {
    keys: HashMap<String, (NonZeroUsize, Arc<Slots>)>,
}

impl KeySlots {
    /// Slots for `limits` (a key declared twice keeps its last limit).
    pub fn new(limits: &[ConcurrencyLimit]) -> KeySlots {
        KeySlots {
            keys: limits
                .iter()
                .map(|l| (l.key.clone(), (l.limit, Slots::new(l.limit.get()))))
                .collect(),
        }
    }

    /// The slots of `key` and its limit, if it has one.
    pub fn of(&self, key: &str) -> Option<(NonZeroUsize, &Arc<Slots>)> {
        if self.keys.is_empty() {
            return None;
        }
        self.keys.get(key).map(|(n, slots)| (*n, slots))
    }

    /// Every limited key with its limit and how many attempts wait for it, by key.
    pub fn load(&self) -> Vec<(String, usize, usize)> {
        let mut load: Vec<_> = self
            .keys
            .iter()
            .map(|(k, (n, slots))| (k.clone(), n.get(), slots.waiting()))
            .collect();
        load.sort();
        load
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_key_equals_n() {
        let l: ConcurrencyLimit = "stripe=3".parse().unwrap();
        assert_eq!((l.key.as_str(), l.limit.get()), ("stripe", 3));
        for bad in ["stripe", "=2", "stripe=0", "stripe=x", " =1"] {
            assert!(bad.parse::<ConcurrencyLimit>().is_err(), "{bad}");
        }
        let slots = KeySlots::new(&[l]);
        assert_eq!(slots.of("stripe").map(|(n, _)| n.get()), Some(3));
        assert!(slots.of("other").is_none());
    }
}
