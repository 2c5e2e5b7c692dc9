//! The attribute's arguments: `#[workflow]`, `#[workflow(name = "...")]` or
//! `#[workflow(dynamic)]`, with `fail_on_panic` and `validate`.

use syn::parse::{Parse, ParseStream};
use syn::LitStr;

#[derive(Default)]
pub(crate) struct WorkflowArgs {
    /// Overrides the workflow type's name.
    pub(crate) name: Option<LitStr>,
    /// A panic fails the run instead of the task (which the host would retry).
    pub(crate) fail_on_panic: bool,
    /// The input type's `Validate` rules run before the workflow starts.
    pub(crate) validate: bool,
    /// The module's dynamic workflow: it serves every type no workflow of its module
    /// exports (the type asked for is in `ctx.info().workflow_type`).
    pub(crate) dynamic: bool,
}

impl WorkflowArgs {
    /// The workflow type's name as the docs show it, and the `NAME` constant's value:
    /// the `name` argument, else `default` (the function's or type's name); for the
    /// dynamic workflow, the SDK's reserved name.
    pub(crate) fn name(&self, default: String) -> (String, proc_macro2::TokenStream) {
        if self.dynamic {
            let shown = "(dynamic: any type its module does not export)".to_string();
            return (shown, quote::quote! { ::weft_sdk::DYNAMIC_WORKFLOW });
        }
        let name = self.name.as_ref().map_or(default, LitStr::value);
        let tokens = quote::quote! { #name };
        (name, tokens)
    }

    /// The items of the `Workflow` impl the arguments ask for: `const FAIL_ON_PANIC`,
    /// and `validate_input` calling the input type's `Validate`.
    pub(crate) fn fail_on_panic_item(&self) -> proc_macro2::TokenStream {
        let mut items = proc_macro2::TokenStream::new();
        if self.fail_on_panic {
            items.extend(quote::quote! { const FAIL_ON_PANIC: bool = true; });
        }
        if self.validate {
            items.extend(quote::quote! {
                fn validate_input(
                    input: &Self::Input,
                ) -> ::core::result::Result<(), ::weft_sdk::ValidationError> {
                    ::weft_sdk::Validate::validate(input)
                }
            });
        }
        items
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
            } else if meta.path.is_ident("validate") {
                args.validate = true;
                Ok(())
            } else if meta.path.is_ident("dynamic") {
                args.dynamic = true;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown argument; #[workflow] takes `name = \"...\"`, `dynamic`, `fail_on_panic` and `validate`",
                ))
            }
        });
        syn::parse::Parser::parse2(parser, input.parse()?)?;
        if let (true, Some(name)) = (args.dynamic, &args.name) {
            return Err(syn::Error::new_spanned(
                name,
                "a dynamic workflow has no name of its own: it serves the types it is started with",
            ));
        }
        Ok(args)
    }
}
