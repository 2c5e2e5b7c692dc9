//! `entity`: the Long-running Entity pattern — one workflow execution per account, alive
//! as long as the account is, holding its state and serving requests against it.
//!
//! The execution *is* the account: its state lives in the workflow (and so in its
//! history), and everything that changes it arrives as a message that the history
//! records. Nothing else can touch the balance, and a crash of the host loses nothing:
//! the execution is rebuilt by replaying its messages.
//!
//! | message                       | kind   | input                   | answer                       |
//! |-------------------------------|--------|-------------------------|------------------------------|
//! | start                         |        | `{"balance": <int>}`    | (at close) `{"balance": <int>}` |
//! | `deposit`                     | signal | `{"amount": <int>}`     | none                         |
//! | `withdraw`                    | update | `{"amount": <int>}`     | the new balance (a number)   |
//! | `balance`                     | query  | none                    | the balance (a number)       |
//! | `operations`                  | query  | none                    | the last 20 deposits and withdrawals |
//! | `close`                       | signal | none                    | the workflow completes       |
//!
//! Why each kind of message:
//! - A deposit cannot fail, so it is a signal: fire and forget, recorded, applied in
//!   arrival order. (A deposit that is not positive is logged and ignored: a signal has
//!   no way to answer "no".)
//! - A withdrawal can be refused, and the caller wants to know the outcome, so it is an
//!   update with a validator: an amount above the balance (or not positive) is rejected
//!   before anything is recorded, and an accepted one answers with the new balance.
//! - Reading the balance changes nothing, so it is a query: never recorded, so it can be
//!   asked as often as wanted without growing the history.
//!
//! The list of recent operations is bounded, so the state stays small however long the
//! account lives. The history grows with every message, so the account continues as a
//! new run when the host suggests it (`history_info().continue_as_new_suggested`), or
//! after `operations_per_run` operations when the start sets that: the next run of the
//! same workflow id opens with the balance and the recent operations, and answers the
//! same messages. A deposit that arrives while the run continues blocks it until it is
//! applied; a withdrawal that arrives then goes to the next run.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, WfContext, WfResult};

/// How many operations the `operations` query returns at most.
pub const RECENT_OPERATIONS: usize = 20;

/// The workflow's input: the opening balance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EntityInput {
    /// The balance the account opens with.
    pub balance: i64,
    /// Continue as a new run after this many operations (besides when the host
    /// suggests it). None: only when suggested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations_per_run: Option<u64>,
    /// The recent operations, carried from the previous run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<Operation>,
}

/// The workflow's result when the account is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntityOutput {
    /// The balance at closing.
    pub balance: i64,
}

/// The input of the `deposit` signal and of the `withdraw` update.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Amount {
    /// How much to deposit or withdraw.
    pub amount: i64,
}

/// What an operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// Money in (the `deposit` signal).
    Deposit,
    /// Money out (the `withdraw` update).
    Withdraw,
}

/// One entry of the `operations` query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation {
    /// Deposit or withdrawal.
    pub kind: OperationKind,
    /// The amount moved.
    pub amount: i64,
    /// The balance after the operation.
    pub balance: i64,
}

/// The account: the workflow's state.
#[derive(Debug, Default)]
pub struct Account {
    balance: i64,
    /// The most recent operations, oldest first.
    operations: VecDeque<Operation>,
    /// Operations applied by this run.
    this_run: u64,
    closed: bool,
}

impl Account {
    fn record(&mut self, kind: OperationKind, amount: i64) {
        self.this_run += 1;
        if self.operations.len() == RECENT_OPERATIONS {
            self.operations.pop_front();
        }
        self.operations.push_back(Operation {
            kind,
            amount,
            balance: self.balance,
        });
    }
}

#[workflow(name = "entity")]
impl Account {
    /// Opens the account (or takes it over from the previous run) and serves it until
    /// the `close` signal, continuing as a new run when it is time.
    async fn run(ctx: WfContext<Self>, input: EntityInput) -> WfResult<EntityOutput> {
        // `+=`: a deposit sent with signal-with-start is applied before this first poll.
        ctx.state_mut(|account| {
            account.balance += input.balance;
            let carried = std::mem::take(&mut account.operations);
            account.operations = input.recent.iter().cloned().chain(carried).collect();
            while account.operations.len() > RECENT_OPERATIONS {
                account.operations.pop_front();
            }
        });
        let limit = input.operations_per_run.unwrap_or(u64::MAX);
        let history = ctx.clone();
        ctx.wait_condition(move |account| {
            account.closed
                || account.this_run >= limit
                || history.history_info().continue_as_new_suggested
        })
        .await?;
        // Let a withdrawal accepted in the same activation answer its caller first.
        ctx.all_handlers_finished().await?;
        let (closed, balance, recent) = ctx.state(|account| {
            let recent = account.operations.iter().cloned().collect();
            (account.closed, account.balance, recent)
        });
        if closed {
            return Ok(EntityOutput { balance });
        }
        Err(ctx.continue_as_new(&EntityInput {
            balance,
            operations_per_run: input.operations_per_run,
            recent,
        }))
    }

    /// Adds money to the account.
    #[signal]
    fn deposit(&mut self, input: Amount) {
        if self.closed || input.amount <= 0 {
            weft_sdk::warn!(
                "deposit of {} ignored: {}",
                input.amount,
                if self.closed {
                    "the account is closed"
                } else {
                    "a deposit must be positive"
                }
            );
            return;
        }
        self.balance += input.amount;
        self.record(OperationKind::Deposit, input.amount);
    }

    /// Takes money out; answers with the new balance.
    #[update]
    fn withdraw(&mut self, input: Amount) -> WfResult<i64> {
        self.balance -= input.amount;
        self.record(OperationKind::Withdraw, input.amount);
        Ok(self.balance)
    }

    /// Refuses a withdrawal that is not positive, exceeds the balance, or comes after the
    /// account was closed. A refused withdrawal leaves no trace in the history.
    #[update_validator(withdraw)]
    fn validate_withdraw(&self, input: &Amount) -> Result<(), String> {
        if self.closed {
            return Err("the account is closed".to_owned());
        }
        if input.amount <= 0 {
            return Err(format!(
                "a withdrawal must be positive, not {}",
                input.amount
            ));
        }
        if input.amount > self.balance {
            return Err(format!(
                "cannot withdraw {}: the balance is {}",
                input.amount, self.balance
            ));
        }
        Ok(())
    }

    /// The current balance.
    #[query]
    fn balance(&self) -> i64 {
        self.balance
    }

    /// The last [`RECENT_OPERATIONS`] deposits and withdrawals, oldest first.
    #[query]
    fn operations(&self) -> Vec<Operation> {
        self.operations.iter().cloned().collect()
    }

    /// Closes the account: the workflow completes with the final balance.
    #[signal]
    fn close(&mut self) {
        self.closed = true;
    }
}

weft_sdk::export_workflows!(Account);

#[cfg(test)]
mod tests {
    use super::*;
    use weft_sdk::testing::{self, Harness};

    fn opened(balance: i64) -> Harness {
        let mut harness = Harness::new::<Account>();
        assert!(harness
            .start(&EntityInput {
                balance,
                ..EntityInput::default()
            })
            .unwrap()
            .is_empty());
        harness
    }

    #[test]
    fn deposits_withdrawals_and_close() {
        let mut harness = opened(100);
        harness.signal("deposit", &Amount { amount: 50 }).unwrap();
        let commands = harness
            .update("w1", "withdraw", &Amount { amount: 30 })
            .unwrap();
        assert_eq!(
            testing::update_result::<i64>(&commands, "w1"),
            Some(Ok(120))
        );
        assert_eq!(harness.query::<i64>("balance", &()), Ok(120));
        let done = harness.signal("close", &()).unwrap();
        assert_eq!(
            testing::completed::<EntityOutput>(&done),
            Some(EntityOutput { balance: 120 })
        );
    }

    #[test]
    fn withdrawals_above_the_balance_or_not_positive_are_rejected() {
        let mut harness = opened(10);
        for (id, amount, message) in [
            ("w1", 11, "cannot withdraw 11: the balance is 10"),
            ("w2", 0, "a withdrawal must be positive, not 0"),
            ("w3", -5, "a withdrawal must be positive, not -5"),
        ] {
            let commands = harness.update(id, "withdraw", &Amount { amount }).unwrap();
            let rejected = testing::rejected(&commands);
            assert_eq!(commands.len(), 1);
            assert_eq!(rejected[0].0, id);
            assert_eq!(rejected[0].1.message, message);
        }
        assert_eq!(harness.query::<i64>("balance", &()), Ok(10));
        assert_eq!(
            harness.query::<Vec<Operation>>("operations", &()),
            Ok(vec![])
        );
    }

    #[test]
    fn operations_keep_the_last_twenty() {
        let mut harness = opened(0);
        for amount in 1..=25 {
            harness.signal("deposit", &Amount { amount }).unwrap();
        }
        let operations: Vec<Operation> = harness.query("operations", &()).unwrap();
        assert_eq!(operations.len(), RECENT_OPERATIONS);
        assert_eq!(operations[0].amount, 6);
        assert_eq!(
            operations.last(),
            Some(&Operation {
                kind: OperationKind::Deposit,
                amount: 25,
                balance: 325,
            })
        );
    }

    #[test]
    fn bad_deposits_are_logged_and_ignored() {
        let mut harness = opened(5);
        harness.signal("deposit", &Amount { amount: -3 }).unwrap();
        harness.signal("deposit", &"lots").unwrap();
        assert_eq!(harness.query::<i64>("balance", &()), Ok(5));
        let logs = harness.logs();
        assert_eq!(logs.len(), 2);
        assert_eq!(
            logs[0].1,
            "deposit of -3 ignored: a deposit must be positive"
        );
        assert!(logs[1].1.starts_with("signal `deposit` dropped"));
    }

    #[test]
    fn continues_as_new_with_the_balance_and_recent_operations() {
        let mut harness = Harness::new::<Account>();
        let input = EntityInput {
            balance: 100,
            operations_per_run: Some(2),
            recent: Vec::new(),
        };
        assert!(harness.start(&input).unwrap().is_empty());
        assert!(harness
            .signal("deposit", &Amount { amount: 5 })
            .unwrap()
            .is_empty());
        let commands = harness.signal("deposit", &Amount { amount: 7 }).unwrap();
        let Some(weft_sdk::wit::Command::ContinueAsNew(next)) = commands.last().map(|c| &c.command)
        else {
            panic!("{commands:?}")
        };
        let next: EntityInput = serde_json::from_slice(&next.input.data).unwrap();
        assert_eq!(next.balance, 112);
        assert_eq!(next.operations_per_run, Some(2));
        assert_eq!(next.recent.len(), 2);
        assert_eq!(next.recent[1].balance, 112);

        // The next run opens with them, and counts its own operations afresh.
        let mut harness = Harness::new::<Account>();
        assert!(harness.start(&next).unwrap().is_empty());
        assert_eq!(harness.query::<i64>("balance", &()), Ok(112));
        let operations: Vec<Operation> = harness.query("operations", &()).unwrap();
        assert_eq!(operations.len(), 2);
    }

    #[test]
    fn a_deposit_sent_with_the_start_counts() {
        let mut harness = Harness::new::<Account>();
        harness
            .start_with(
                &EntityInput {
                    balance: 10,
                    ..EntityInput::default()
                },
                vec![testing::signal("deposit", &Amount { amount: 5 })],
            )
            .unwrap();
        assert_eq!(harness.query::<i64>("balance", &()), Ok(15));
    }
}
