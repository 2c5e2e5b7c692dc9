//! A line of waiters: by priority (1 first), and within a priority shared between
//! fairness keys in proportion to their weights; within one key, first come, first
//! served.
//!
//! Within a priority the line is stride scheduling: each key has a *pass*, and the
//! next waiter served is the head of the key with the lowest pass (ties: the head that
//! came first). Serving a key adds its *stride* (`STRIDE / weight`) to its pass, so a
//! key of weight 2 is served twice as often as one of weight 1 while both wait. A key
//! that starts waiting joins at the pass of the last one served (the line's virtual
//! time), so a key that waited for nothing banks no turns, and a newcomer is served
//! within one round, however many the others have waiting. Waiters without a key
//! share one key (the empty one) of weight 1: with no keys at all the line is first
//! come, first served within a priority.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use weft_model::history::{History, RunState};
use weft_model::{Fairness, Flow, Priority};

/// Pass added per turn to a key of weight 1.
const STRIDE: u64 = 1_000_000;

/// Where a waiter stands: its priority, and whom it waits for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Turn {
    pub priority: Priority,
    pub fairness: Option<Fairness>,
}

impl Turn {
    /// At `priority`, for no key in particular.
    pub fn at(priority: Priority) -> Turn {
        Turn {
            priority,
            fairness: None,
        }
    }

    /// A run's own turn: its recorded priority and fairness.
    pub fn of_run(state: &RunState) -> Turn {
        Turn {
            priority: state.priority(),
            fairness: state.fairness().cloned(),
        }
    }

    /// A run's own turn, read off the first events of its history (one fold of them).
    pub fn of_history(history: &History) -> Turn {
        Turn::of_run(&history.opening_state())
    }

    /// The turn of work that sets `flow` for itself, in a run at this turn: what it
    /// sets, else the run's.
    pub fn with(&self, flow: &Flow) -> Turn {
        Turn {
            priority: flow.priority.unwrap_or(self.priority),
            fairness: flow.fairness.clone().or_else(|| self.fairness.clone()),
        }
    }
}

/// A waiter's ticket: its arrival, unique in its line.
pub type Ticket = u64;

/// See the module docs.
#[derive(Debug)]
pub struct Line<T> {
    levels: BTreeMap<Priority, Level<T>>,
    /// Every waiter's priority and key, by ticket.
    places: HashMap<Ticket, (Priority, Arc<str>)>,
    arrivals: u64,
}

#[derive(Debug)]
struct Level<T> {
    /// The pass of the last key served.
    vtime: u64,
    lanes: HashMap<Arc<str>, Lane<T>>,
    /// Keys with waiters: (pass, head's ticket, key).
    ready: BTreeSet<(u64, Ticket, Arc<str>)>,
}

#[derive(Debug)]
struct Lane<T> {
    pass: u64,
    stride: u64,
    waiters: BTreeMap<Ticket, T>,
}

impl<T> Default for Line<T> {
    fn default() -> Line<T> {
        Line {
            levels: BTreeMap::new(),
            places: HashMap::new(),
            arrivals: 0,
        }
    }
}

impl<T> Line<T> {
    /// How many wait.
    pub fn len(&self) -> usize {
        self.places.len()
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// `item` joins the line at `turn`.
    pub fn push(&mut self, turn: &Turn, item: T) -> Ticket {
        let ticket = self.arrivals;
        self.arrivals += 1;
        let (key, weight): (Arc<str>, u32) = match &turn.fairness {
            Some(f) => (Arc::from(f.key.as_str()), f.weight.max(1)),
            None => (Arc::from(""), 1),
        };
        let level = self.levels.entry(turn.priority).or_insert_with(|| Level {
            vtime: 0,
            lanes: HashMap::new(),
            ready: BTreeSet::new(),
        });
        let vtime = level.vtime;
        let lane = level.lanes.entry(key.clone()).or_insert_with(|| Lane {
            pass: vtime,
            stride: STRIDE,
            waiters: BTreeMap::new(),
        });
        // The latest weight of a key counts from its next turn.
        lane.stride = STRIDE / u64::from(weight);
        if lane.waiters.is_empty() {
            lane.pass = lane.pass.max(vtime);
            level.ready.insert((lane.pass, ticket, key.clone()));
        }
        lane.waiters.insert(ticket, item);
        self.places.insert(ticket, (turn.priority, key));
        ticket
    }

    /// The next waiter to serve, out of the line.
    pub fn pop(&mut self) -> Option<(Ticket, T)> {
        let (&priority, level) = self.levels.iter_mut().next()?;
        let (pass, ticket, key) = level.ready.pop_first()?;
        let lane = level.lanes.get_mut(&key).expect("a ready key has a lane");
        let item = lane.waiters.remove(&ticket).expect("the head waits");
        level.vtime = pass;
        lane.pass = pass + lane.stride;
        self.places.remove(&ticket);
        self.settle(priority, &key, true);
        Some((ticket, item))
    }

    /// Take waiter `ticket` out of the line, if it is still in it.
    pub fn remove(&mut self, ticket: Ticket) -> Option<T> {
        let (priority, key) = self.places.remove(&ticket)?;
        let level = self.levels.get_mut(&priority)?;
        let lane = level.lanes.get_mut(&key)?;
        let head = lane.waiters.keys().next().copied();
        let item = lane.waiters.remove(&ticket)?;
        let was_head = head == Some(ticket);
        if was_head {
            level.ready.remove(&(lane.pass, ticket, key.clone()));
        }
        self.settle(priority, &key, was_head);
        Some(item)
    }

    /// Waiter `ticket`, if it is in the line.
    pub fn get_mut(&mut self, ticket: Ticket) -> Option<&mut T> {
        let (priority, key) = self.places.get(&ticket)?;
        let lane = self.levels.get_mut(priority)?.lanes.get_mut(key)?;
        lane.waiters.get_mut(&ticket)
    }

    /// After a waiter of `key` left (its head, when `head_left`): the next waiter is
    /// ready, or the empty key (and level) goes.
    fn settle(&mut self, priority: Priority, key: &Arc<str>, head_left: bool) {
        let Some(level) = self.levels.get_mut(&priority) else {
            return;
        };
        let Some(lane) = level.lanes.get_mut(key) else {
            return;
        };
        match lane.waiters.keys().next() {
            Some(&head) => {
                if head_left {
                    level.ready.insert((lane.pass, head, key.clone()));
                }
            }
            None => {
                level.lanes.remove(key);
                if level.lanes.is_empty() {
                    self.levels.remove(&priority);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(priority: u8, key: Option<(&str, u32)>) -> Turn {
        Turn {
            priority: Priority::new(priority).unwrap(),
            fairness: key.map(|(k, w)| Fairness::new(k, Some(w)).unwrap()),
        }
    }

    fn drain(line: &mut Line<&'static str>) -> Vec<&'static str> {
        std::iter::from_fn(|| line.pop().map(|(_, item)| item)).collect()
    }

    #[test]
    fn without_keys_it_is_priority_then_arrival() {
        let mut line = Line::default();
        for (name, p) in [("a5", 5), ("b3", 3), ("c1", 1), ("d3", 3), ("e1", 1)] {
            line.push(&turn(p, None), name);
        }
        assert_eq!(drain(&mut line), ["c1", "e1", "b3", "d3", "a5"]);
        assert!(line.is_empty());
    }

    #[test]
    fn keys_share_by_weight_and_a_newcomer_is_not_starved() {
        let mut line = Line::default();
        let many = ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"];
        for name in many {
            line.push(&turn(3, Some(("a", 2))), name);
        }
        for name in ["b1", "b2", "b3"] {
            line.push(&turn(3, Some(("b", 1))), name);
        }
        // Two of `a` for each of `b` while both wait.
        assert_eq!(
            drain(&mut line),
            ["a1", "b1", "a2", "a3", "b2", "a4", "a5", "b3", "a6", "a7", "a8"]
        );
        // A key that comes late joins at once, with no turns banked by the others.
        let mut line = Line::default();
        for name in many {
            line.push(&turn(3, Some(("a", 1))), name);
        }
        assert_eq!(line.pop().unwrap().1, "a1");
        assert_eq!(line.pop().unwrap().1, "a2");
        line.push(&turn(3, Some(("c", 1))), "c1");
        assert_eq!(line.pop().unwrap().1, "c1");
        assert_eq!(line.pop().unwrap().1, "a3");
        // A higher priority still goes first, whatever its key.
        line.push(&turn(1, Some(("a", 1))), "urgent");
        assert_eq!(line.pop().unwrap().1, "urgent");
    }

    #[test]
    fn a_waiter_leaves_the_line_wherever_it_stands() {
        let mut line = Line::default();
        let a1 = line.push(&turn(3, Some(("a", 1))), "a1");
        let a2 = line.push(&turn(3, Some(("a", 1))), "a2");
        let b1 = line.push(&turn(3, Some(("b", 1))), "b1");
        assert_eq!(line.remove(a1), Some("a1"));
        assert_eq!(line.remove(a1), None);
        *line.get_mut(a2).unwrap() = "a2'";
        assert_eq!(line.remove(b1), Some("b1"));
        assert_eq!(line.len(), 1);
        assert_eq!(drain(&mut line), ["a2'"]);
        assert!(line.levels.is_empty() && line.places.is_empty());
    }
}
