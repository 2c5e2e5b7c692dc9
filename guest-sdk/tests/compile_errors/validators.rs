// Validators that do not fit their update.
use weft_sdk::{workflow, WfContext, WfResult};

#[derive(Default)]
struct Vault {
    balance: i64,
}

#[workflow]
impl Vault {
    async fn run(_ctx: WfContext<Self>) -> WfResult<()> {
        Ok(())
    }

    #[update]
    fn withdraw(&mut self, amount: i64) -> WfResult<i64> {
        self.balance -= amount;
        Ok(self.balance)
    }

    #[update]
    fn reset(&mut self) -> WfResult<()> {
        self.balance = 0;
        Ok(())
    }

    #[update_validator(deposit)]
    fn check_deposit(&self, amount: &i64) -> Result<(), String> {
        let _ = amount;
        Ok(())
    }

    #[update_validator(withdraw)]
    fn by_value(&self, amount: i64) -> Result<(), String> {
        let _ = amount;
        Ok(())
    }

    #[update_validator(reset)]
    fn with_input(&self, really: &bool) -> Result<(), String> {
        let _ = really;
        Ok(())
    }
}

fn main() {}
