// Type errors the compiler finds: reported at the user's own types.
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

    #[update_validator(withdraw)]
    fn check(&self, amount: &u32) -> Result<(), String> {
        let _ = amount;
        Ok(())
    }

    #[update]
    fn plain(&mut self, amount: i64) -> i64 {
        amount
    }

    #[update_validator(plain)]
    fn yes_or_no(&self, amount: &i64) -> bool {
        *amount > 0
    }
}

fn main() {}
