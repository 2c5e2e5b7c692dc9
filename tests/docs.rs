//! The docs that list what the code has stay in step with the code: the CLI reference
//! (docs/guide/cli.md) is the `weft` command line's own help, and the metric families
//! docs/guide/observability.md lists are exactly the ones a host serves.
//!
//! After changing a command's help, rewrite the reference with
//! `WEFT_BLESS=1 cargo test -p weft --test e2e docs::` and commit it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::json;
use weft_host::contract::Payload;
use weft_host::history::Outcome;

use crate::support;

/// The CLI reference, from the repository's root.
const CLI_REFERENCE: &str = "docs/guide/cli.md";

/// The page that lists the host's metric families.
const OBSERVABILITY: &str = "docs/guide/observability.md";

/// How to make the committed reference match the code again.
const BLESS: &str = "WEFT_BLESS=1 cargo test -p weft --test e2e docs::";

fn repo_file(path: &str) -> PathBuf {
    support::repo_root().join(path)
}

#[test]
fn cli_reference_is_the_command_lines_own_help() {
    let generated = cli_reference();
    let path = repo_file(CLI_REFERENCE);
    if std::env::var("WEFT_BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(committed.lines().count().min(generated.lines().count()));
        panic!(
            "{CLI_REFERENCE} is not what the command line's help says (first difference \
             at line {}: {:?} in the file, {:?} from the code); regenerate it with `{BLESS}` \
             and commit it",
            first_difference + 1,
            committed.lines().nth(first_difference).unwrap_or("<end>"),
            generated.lines().nth(first_difference).unwrap_or("<end>"),
        );
    }
}

/// The reference page: a contents list, then every command's long help, depth first.
fn cli_reference() -> String {
    let mut root = hide_env_values(weft_host::cli::command::<weft::RepoVerbs>());
    root.build();
    let mut sections = Vec::new();
    collect_help(&mut root, "weft", &mut sections);
    let mut page = String::from(
        "# CLI reference\n\n\
         Every verb of `weft` with its help, as `weft <verb> --help` prints it. The\n\
         [guide](README.md) explains what the commands are for.\n\n\
         This page is generated from the command line's definitions\n\
         (`weft_host::cli::command`); do not edit it by hand. `tests/docs.rs` fails while\n\
         the page and the code differ; after changing a command's help, regenerate it with\n\
         `WEFT_BLESS=1 cargo test -p weft --test e2e docs::`.\n\n",
    );
    for (path, _) in &sections {
        let anchor = path.replace(' ', "-");
        writeln!(page, "- [{path}](#{anchor})").unwrap();
    }
    for (path, help) in &sections {
        write!(page, "\n## {path}\n\n```text\n{help}\n```\n").unwrap();
    }
    page
}

/// `cmd`'s help and then its subcommands', each under its full path (`weft schedule
/// create`); clap's generated `help` verb is left out.
fn collect_help(cmd: &mut clap::Command, path: &str, sections: &mut Vec<(String, String)>) {
    let help = cmd.render_long_help().to_string();
    let help: Vec<&str> = help.trim_end().lines().map(str::trim_end).collect();
    sections.push((path.to_string(), help.join("\n")));
    for sub in cmd.get_subcommands_mut() {
        if sub.get_name() != "help" {
            let sub_path = format!("{path} {}", sub.get_name());
            collect_help(sub, &sub_path, sections);
        }
    }
}

/// Help that names environment variables without showing their values, so the page does
/// not depend on the environment it was generated in.
fn hide_env_values(cmd: clap::Command) -> clap::Command {
    cmd.mut_args(|arg| arg.hide_env_values(true))
        .mut_subcommands(hide_env_values)
}

/// A `sequence` run (three activities) makes every labelled family a series (a
/// workflow limit on its type the pending-starts gauge, a start rate its rate counters,
/// and a debounced start the debounce counters), so the host's registry serves them
/// all; the page's table must list exactly those, each with its type.
#[tokio::test]
async fn observability_lists_every_metric_family_the_host_serves() {
    let mut activities = weft_host::ActivityRegistry::new();
    example_activities::register_all(&mut activities);
    let env = support::test_env()
        .activities(activities)
        .workflow_limit("sequence", 10)
        .concurrency_limit("payments", 2)
        .start_rate("sequence=100/s")
        .start()
        .await
        .unwrap();
    env.deploy(support::component_bytes("sequence"), "sequence")
        .await
        .unwrap();
    let (_, outcome) = env.execute("sequence", json!("abc")).await.unwrap();
    assert!(matches!(outcome, Outcome::Completed(_)), "{outcome:?}");
    let debounce = weft_host::flow::Debounce::new("docs", std::time::Duration::from_secs(1));
    let debounced = weft_host::runtime::StartRequest {
        debounce: Some(debounce.unwrap()),
        ..weft_host::runtime::StartRequest::new("sequence", Payload::json(&json!("d")))
    };
    env.host().start(debounced).await.unwrap();

    let served = served_families(&env.host().render_metrics());
    let page = std::fs::read_to_string(repo_file(OBSERVABILITY)).unwrap();
    let listed = listed_families(&page);
    let missing: Vec<_> = served.keys().filter(|n| !listed.contains_key(*n)).collect();
    let extra: Vec<_> = listed.keys().filter(|n| !served.contains_key(*n)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{OBSERVABILITY} lists the wrong metric families: served but not listed {missing:?}, \
         listed but not served {extra:?}"
    );
    assert_eq!(listed, served, "the types in {OBSERVABILITY}'s table");
}

/// The host's own families (`weft_…`) in the text format, with their types, from the
/// `# TYPE <name> <type>` lines.
fn served_families(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("# TYPE ")?.split_whitespace();
            let (name, kind) = (words.next()?, words.next()?);
            name.starts_with("weft_")
                .then(|| (name.to_string(), kind.to_string()))
        })
        .collect()
}

/// The families the page's table lists: rows that start with a `weft_` name, whose
/// second column is the type.
fn listed_families(page: &str) -> BTreeMap<String, String> {
    page.lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix('|')?.split('|').map(str::trim);
            let name = cells.next()?.strip_prefix("`weft_")?.strip_suffix('`')?;
            Some((format!("weft_{name}"), cells.next()?.to_string()))
        })
        .collect()
}
