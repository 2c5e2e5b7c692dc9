//! Flow options an activity or a child workflow may set for itself: its priority, its
//! fairness key and weight, and (activities) its concurrency key. What it leaves unset
//! is its run's, which comes from the start (`weft start --priority 1 --fairness
//! tenant-a`). The host orders work waiting for capacity by them; see the
//! flow-control guide.

use crate::wit;

/// The largest fairness weight.
pub const MAX_FAIRNESS_WEIGHT: u32 = 1000;

/// What an activity or a child sets; all unset by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Flow {
    priority: Option<u8>,
    fairness: Option<(String, u32)>,
    concurrency_key: Option<String>,
}

impl Flow {
    /// # Panics
    /// If `priority` is not 1 to 5.
    #[track_caller]
    pub(crate) fn priority(&mut self, priority: u8) {
        assert!(
            (1..=5).contains(&priority),
            "priority {priority} is out of range: give 1 (highest) to 5 (lowest)"
        );
        self.priority = Some(priority);
    }

    /// # Panics
    /// If `key` is blank or `weight` is not 1 to 1000.
    #[track_caller]
    pub(crate) fn fairness(&mut self, key: String, weight: u32) {
        assert!(!key.trim().is_empty(), "a fairness key must not be blank");
        assert!(
            (1..=MAX_FAIRNESS_WEIGHT).contains(&weight),
            "fairness weight {weight} is out of range: give 1 to {MAX_FAIRNESS_WEIGHT}"
        );
        self.fairness = Some((key, weight));
    }

    /// # Panics
    /// If `key` is blank.
    #[track_caller]
    pub(crate) fn concurrency_key(&mut self, key: String) {
        assert!(
            !key.trim().is_empty(),
            "a concurrency key must not be blank"
        );
        self.concurrency_key = Some(key);
    }

    /// What the host is told, when anything is set.
    pub(crate) fn to_wit(&self) -> Option<wit::FlowOptions> {
        if *self == Flow::default() {
            return None;
        }
        Some(wit::FlowOptions {
            priority: self.priority,
            fairness_key: self.fairness.as_ref().map(|(k, _)| k.clone()),
            fairness_weight: self.fairness.as_ref().map(|(_, w)| *w),
            concurrency_key: self.concurrency_key.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_tells_the_host_nothing() {
        assert_eq!(Flow::default().to_wit(), None);
        let mut flow = Flow::default();
        flow.priority(1);
        flow.fairness("tenant-a".into(), 3);
        flow.concurrency_key("stripe".into());
        let wit = flow.to_wit().unwrap();
        assert_eq!(wit.priority, Some(1));
        assert_eq!(wit.fairness_key.as_deref(), Some("tenant-a"));
        assert_eq!(wit.fairness_weight, Some(3));
        assert_eq!(wit.concurrency_key.as_deref(), Some("stripe"));
    }

    #[test]
    #[should_panic(expected = "priority 0 is out of range")]
    fn a_priority_out_of_range_is_refused_where_it_is_set() {
        Flow::default().priority(0);
    }
}
