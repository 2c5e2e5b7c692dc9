//! Procedural macros of `weft-sdk`. Use them through `weft_sdk`, which re-exports them.

use proc_macro::TokenStream;

mod args;
mod fn_form;
mod impl_form;
mod signature;

/// Marks a workflow. Documented on its re-export, `weft_sdk::workflow`.
#[proc_macro_attribute]
pub fn workflow(attr: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(attr as args::WorkflowArgs);
    let item = syn::parse_macro_input!(item as syn::Item);
    let expanded = match item {
        syn::Item::Fn(function) => fn_form::expand(&args, function),
        syn::Item::Impl(block) => impl_form::expand(&args, block),
        other => Err(syn::Error::new_spanned(
            other,
            "#[workflow] goes on an `async fn` or on the `impl` block that holds a \
             workflow's `async fn run`",
        )),
    };
    expanded
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
