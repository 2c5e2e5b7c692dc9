//! `weft server --config FILE`: the server's settings in a TOML file, one key per long
//! flag of `weft server`, grouped in tables as the reader likes (`[server]`, `[flow]`,
//! `[tls]`, …; the table names are for people, the keys are the flags). A list gives a
//! repeatable flag each of its values; `true` gives a switch. Flags on the command line
//! come after the file's, so they win (a repeatable flag adds to the file's list).
//!
//! ```toml
//! [server]
//! data = "/var/lib/weft"
//! listen = "0.0.0.0:7233"
//!
//! [flow]
//! max-concurrent-activities = 64
//! task-queue = ["gpu=2", "io"]
//! workflow-limit = ["report=2"]
//! concurrency-limit = ["payments=3"]
//! rate = ["default=50/s", "type:send_mail=100/m", "key:payments=10/s"]
//! ```

use std::ffi::OsString;
use std::path::Path;

/// `args` (the whole command line) with the settings of `weft server --config FILE`
/// spliced in right after `server`; unchanged when there is no `--config`.
pub fn expand(args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let Some(verb) = verb_at(&args).filter(|v| args[*v] == "server") else {
        return Ok(args);
    };
    let mut rest = args[verb + 1..].iter();
    let mut file = None;
    while let Some(arg) = rest.next() {
        let arg = arg.to_string_lossy();
        if arg == "--config" {
            file = rest.next().map(|f| f.to_string_lossy().into_owned());
            if file.is_none() {
                return Err("--config needs a file: `weft server --config weft.toml`".into());
            }
        } else if let Some(f) = arg.strip_prefix("--config=") {
            file = Some(f.to_string());
        }
    }
    let Some(file) = file else { return Ok(args) };
    let text = std::fs::read_to_string(&file).map_err(|e| format!("--config {file}: {e}"))?;
    let settings = settings(&text, Path::new(&file))?;
    let mut expanded = args[..=verb].to_vec();
    expanded.extend(settings.into_iter().map(OsString::from));
    expanded.extend(args[verb + 1..].iter().cloned());
    Ok(expanded)
}

/// Where the verb is: the first argument that is neither a global flag nor its value.
fn verb_at(args: &[OsString]) -> Option<usize> {
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        if arg == "--otlp-endpoint" {
            i += 2;
        } else if arg.starts_with('-') {
            i += 1;
        } else {
            return Some(i);
        }
    }
    None
}

/// The flags a config file's text stands for.
fn settings(text: &str, file: &Path) -> Result<Vec<String>, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| format!("{}: not valid TOML: {e}", file.display()))?;
    let mut flags = Vec::new();
    for (key, value) in &table {
        match value {
            toml::Value::Table(section) => {
                for (key, value) in section {
                    flag(&mut flags, key, value).map_err(|e| at(file, key, &e))?;
                }
            }
            value => flag(&mut flags, key, value).map_err(|e| at(file, key, &e))?,
        }
    }
    Ok(flags)
}

fn at(file: &Path, key: &str, e: &str) -> String {
    format!("{}: `{key}`: {e}", file.display())
}

/// `--key value` (each value of a list; a switch for `true`, nothing for `false`).
fn flag(flags: &mut Vec<String>, key: &str, value: &toml::Value) -> Result<(), String> {
    if key == "config" {
        return Err("a config file cannot name another".into());
    }
    let name = format!("--{key}");
    match value {
        toml::Value::Boolean(true) => flags.push(name),
        toml::Value::Boolean(false) => {}
        toml::Value::Array(values) => {
            for v in values {
                flags.extend([name.clone(), scalar(v)?]);
            }
        }
        v => flags.extend([name, scalar(v)?]),
    }
    Ok(())
}

fn scalar(value: &toml::Value) -> Result<String, String> {
    match value {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(n) => Ok(n.to_string()),
        toml::Value::Float(x) => Ok(x.to_string()),
        toml::Value::Boolean(b) => Ok(b.to_string()),
        other => Err(format!(
            "give a string, a number or a list of them, not {}",
            other.type_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_file_stands_for_flags_before_the_command_line() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("weft.toml");
        std::fs::write(
            &file,
            "[server]\ndata = \"d\"\nno-ui = true\nui-read-only = false\n\n[flow]\nmax-concurrent-activities = 8\nrate = [\"default=5/s\", \"type:mail=1/m\"]\n",
        )
        .unwrap();
        let file = file.to_str().unwrap();
        let args = expand(os(&["weft", "server", "--config", file, "--listen", "x"])).unwrap();
        // Tables in name order (the order of flags does not matter).
        let want = [
            "weft",
            "server",
            "--max-concurrent-activities",
            "8",
            "--rate",
            "default=5/s",
            "--rate",
            "type:mail=1/m",
            "--data",
            "d",
            "--no-ui",
            "--config",
            file,
            "--listen",
            "x",
        ];
        assert_eq!(args, os(&want));
        assert_eq!(
            expand(os(&["weft", "list"])).unwrap(),
            os(&["weft", "list"])
        );
        // `server` as a workflow type is not the verb.
        let start = os(&["weft", "start", "server", "--config", file]);
        assert_eq!(expand(start.clone()).unwrap(), start);
    }

    #[test]
    fn a_bad_file_is_refused_with_where() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("weft.toml");
        std::fs::write(&file, "[flow]\nrate = [{ a = 1 }]\n").unwrap();
        let err = expand(os(&["weft", "server", "--config", file.to_str().unwrap()])).unwrap_err();
        assert!(
            err.contains("`rate`: give a string, a number or a list of them, not table"),
            "{err}"
        );
        std::fs::write(&file, "rate = \n").unwrap();
        let err = expand(os(&["weft", "server", "--config", file.to_str().unwrap()])).unwrap_err();
        assert!(err.contains("not valid TOML"), "{err}");
        let err = expand(os(&[
            "weft",
            "server",
            "--config",
            "/nonexistent/weft.toml",
        ]))
        .unwrap_err();
        assert!(
            err.starts_with("--config /nonexistent/weft.toml: "),
            "{err}"
        );
    }
}
