//! Slots handed out in the order of a [`Line`]: by priority, within a priority shared
//! between fairness keys by weight, and first come first served within a key.
//!
//! | a taker comes and …          | it                                              |
//! |------------------------------|-------------------------------------------------|
//! | a slot is free, none waits   | takes it at once                                |
//! | all are taken, or some wait  | waits in the line at its [`Turn`]               |
//! | a slot is given back         | goes to the first waiter in key order, else free |
//! | a waiter gives up (dropped)  | leaves the line; a slot already handed to it is |
//! |                              | given back, so no slot is lost                  |
//!
//! A slot goes straight from the one who gives it back to the next waiter, so a
//! newcomer never overtakes the line.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::line::{Line, Ticket, Turn};

/// A fixed number of slots; see the module docs. Shared through an `Arc`.
#[derive(Debug)]
pub struct Slots {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    free: usize,
    waiters: Line<oneshot::Sender<()>>,
}

/// One slot, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.give_back();
    }
}

/// Takes a waiter out of line if its wait is dropped before it got its slot.
struct InLine {
    slots: Arc<Slots>,
    ticket: Ticket,
    served: bool,
}

impl Drop for InLine {
    fn drop(&mut self) {
        if self.served {
            return;
        }
        let mut state = self.slots.state.lock().unwrap();
        if state.waiters.remove(self.ticket).is_none() {
            // A slot was handed to it as it gave up: pass it on.
            Slots::hand_on(&mut state);
        }
    }
}

impl Slots {
    /// `n` slots, all free.
    pub fn new(n: usize) -> Arc<Slots> {
        Arc::new(Slots {
            state: Mutex::new(State {
                free: n,
                waiters: Line::default(),
            }),
        })
    }

    /// Wait for a slot, in line at `turn`. Dropping the future gives up the wait.
    pub async fn take(self: &Arc<Self>, turn: Turn) -> Slot {
        let (ticket, granted) = {
            let mut state = self.state.lock().unwrap();
            if state.free > 0 && state.waiters.is_empty() {
                state.free -= 1;
                return Slot {
                    slots: self.clone(),
                };
            }
            let (tx, rx) = oneshot::channel();
            (state.waiters.push(&turn, tx), rx)
        };
        let mut in_line = InLine {
            slots: self.clone(),
            ticket,
            served: false,
        };
        // The sender is only dropped once it has sent (the line holds it until then,
        // and `in_line` keeps the line alive).
        let _ = granted.await;
        in_line.served = true;
        Slot {
            slots: self.clone(),
        }
    }

    /// How many wait.
    pub fn waiting(&self) -> usize {
        self.state.lock().unwrap().waiters.len()
    }

    fn give_back(&self) {
        Slots::hand_on(&mut self.state.lock().unwrap());
    }

    /// A slot came free: to the first waiter, or to the free count.
    fn hand_on(state: &mut State) {
        while let Some((_, tx)) = state.waiters.pop() {
            if tx.send(()).is_ok() {
                return;
            }
        }
        state.free += 1;
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;

    use futures::poll;

    use super::*;

    fn p(n: u8) -> Turn {
        Turn::at(weft_model::Priority::new(n).unwrap())
    }

    #[tokio::test]
    async fn waiters_go_by_priority_then_arrival() {
        let slots = Slots::new(1);
        let held = slots.take(p(3)).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, priority) in [("a5", 5), ("b3", 3), ("c1", 1), ("d3", 3), ("e1", 1)] {
            let (line, order) = (slots.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                let _slot = line.take(p(priority)).await;
                order.lock().unwrap().push(name);
            }));
            // Each is in line before the next arrives.
            while slots.waiting() < tasks.len() {
                tokio::task::yield_now().await;
            }
        }
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["c1", "e1", "b3", "d3", "a5"]);
    }

    #[tokio::test]
    async fn a_newcomer_does_not_overtake_the_line_and_giving_up_loses_no_slot() {
        let slots = Slots::new(1);
        let held = slots.take(p(3)).await;
        let mut waiter = pin!(slots.take(p(3)));
        assert!(poll!(&mut waiter).is_pending());
        drop(held);
        // The slot went to the waiter, not to a newcomer.
        let mut newcomer = pin!(slots.take(p(1)));
        assert!(poll!(&mut newcomer).is_pending());
        let slot = waiter.await;
        drop(slot);
        let slot = newcomer.await;
        // A waiter handed a slot as it gives up passes it on.
        let mut quitter = Box::pin(slots.take(p(2)));
        assert!(poll!(&mut quitter).is_pending());
        let mut next = pin!(slots.take(p(4)));
        assert!(poll!(&mut next).is_pending());
        drop(slot);
        drop(quitter);
        let _slot = next.await;
        assert_eq!(slots.waiting(), 0);
    }
}
