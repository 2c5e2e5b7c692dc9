//! The `weft` binary: the command line with the example activities compiled in, and
//! the repo's own verbs (`weft bench`).

fn main() -> std::process::ExitCode {
    let mut activities = weft_host::ActivityRegistry::new();
    example_activities::register_all(&mut activities);
    weft_host::cli::main_with::<weft::RepoVerbs>(activities)
}
