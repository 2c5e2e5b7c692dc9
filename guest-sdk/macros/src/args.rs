//! The attribute's arguments: `#[workflow]` or `#[workflow(name = "...")]`.

use syn::parse::{Parse, ParseStream};
use syn::LitStr;

#[derive(Default)]
pub(crate) struct WorkflowArgs {
    /// Overrides the workflow type's name.
    pub(crate) name: Option<LitStr>,
}

impl Parse for WorkflowArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Self::default();
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("name") {
                args.name = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error("unknown argument; #[workflow] takes only `name = \"...\"`"))
            }
        });
        syn::parse::Parser::parse2(parser, input.parse()?)?;
        Ok(args)
    }
}
