//! The attribute's arguments: `#[workflow]`, `#[workflow(name = "...")]`,
//! `#[workflow(fail_on_panic)]`, or both.

use syn::parse::{Parse, ParseStream};
use syn::LitStr;

#[derive(Default)]
pub(crate) struct WorkflowArgs {
    /// Overrides the workflow type's name.
    pub(crate) name: Option<LitStr>,
    /// A panic fails the run instead of the task (which the host would retry).
    pub(crate) fail_on_panic: bool,
}

impl WorkflowArgs {
    /// The `const FAIL_ON_PANIC` item of the `Workflow` impl, when asked for.
    pub(crate) fn fail_on_panic_item(&self) -> proc_macro2::TokenStream {
        if self.fail_on_panic {
            quote::quote! { const FAIL_ON_PANIC: bool = true; }
        } else {
            proc_macro2::TokenStream::new()
        }
    }
}

impl Parse for WorkflowArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut args = Self::default();
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("name") {
                args.name = Some(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident("fail_on_panic") {
                args.fail_on_panic = true;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument; #[workflow] takes `name = \"...\"` and `fail_on_panic`",
                ))
            }
        });
        syn::parse::Parser::parse2(parser, input.parse()?)?;
        Ok(args)
    }
}
