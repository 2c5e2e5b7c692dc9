//! The `weft` binary: the command line with the example activities compiled in.

fn main() -> std::process::ExitCode {
    let mut activities = weft_host::ActivityRegistry::new();
    example_activities::register_all(&mut activities);
    weft_host::cli::main(activities)
}
