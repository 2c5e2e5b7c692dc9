use weft_sdk::workflow;

#[derive(Default)]
struct Idle;

#[workflow]
impl Idle {
    #[signal]
    fn poke(&mut self) {}
}

fn main() {}
