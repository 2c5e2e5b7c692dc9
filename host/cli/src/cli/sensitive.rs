//! `weft sensitive-fields`: the fields a server masks wherever it shows a payload.

use clap::Args;

use super::remote::{api_failure, print_json, ServerArg};
use super::CliResult;

/// List the fields the server masks wherever it shows a payload (describe, result,
/// history, the web UI): the default names (password, credit_card, card_number, ssn,
/// api_key, secret, token), those given with `weft server --sensitive-field`, and
/// every value a workflow marks `Sensitive<T>` (`{"$sensitive": ..}`). Names are
/// compared without case and without `_` or `-`, and listed that way.
#[derive(Args)]
#[command(
    after_help = "Example:\n  weft sensitive-fields\n  weft sensitive-fields --json     # {\"fields\": [\"apikey\", ...], \"marker\": \"$sensitive\"}"
)]
pub struct SensitiveFieldsArgs {
    #[command(flatten)]
    server: ServerArg,
    /// Print `{"fields": [..], "marker": "$sensitive"}`.
    #[arg(long)]
    json: bool,
}

pub fn sensitive_fields(args: SensitiveFieldsArgs) -> CliResult {
    let body = args
        .server
        .client()?
        .sensitive_fields()
        .map_err(api_failure)?;
    if args.json {
        return print_json(&body);
    }
    for name in &body.fields {
        println!("{name}");
    }
    println!("(and every value marked {{\"{}\": ..}})", body.marker);
    Ok(())
}
