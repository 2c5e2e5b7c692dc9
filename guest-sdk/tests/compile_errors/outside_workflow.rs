// #[workflow] forgotten on the impl block.
use weft_sdk::signal;

#[derive(Default)]
struct Loose {
    pokes: u32,
}

impl Loose {
    #[signal]
    fn poke(&mut self) {
        self.pokes += 1;
    }
}

fn main() {}
