//! Procedural macros of `weft-sdk`. Use them through `weft_sdk`, which re-exports them.

use proc_macro::TokenStream;

mod args;
mod fn_form;
mod handlers;
mod impl_form;
mod methods;
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

/// The role attributes mean something only inside a `#[workflow]` impl block, which
/// takes them off its methods before the compiler sees them. Anywhere else they are an
/// error that says so.
fn outside_workflow(role: &str, item: TokenStream) -> TokenStream {
    let message = format!(
        "#[{role}] marks a method of a `#[workflow] impl` block; put #[workflow] on the \
         impl block"
    );
    let item = proc_macro2::TokenStream::from(item);
    quote::quote! {
        ::core::compile_error!(#message);
        #item
    }
    .into()
}

/// Marks a workflow's run method. Documented on its re-export, `weft_sdk::run`.
#[proc_macro_attribute]
pub fn run(_attr: TokenStream, item: TokenStream) -> TokenStream {
    outside_workflow("run", item)
}

/// Marks a signal handler. Documented on its re-export, `weft_sdk::signal`.
#[proc_macro_attribute]
pub fn signal(_attr: TokenStream, item: TokenStream) -> TokenStream {
    outside_workflow("signal", item)
}

/// Marks a query handler. Documented on its re-export, `weft_sdk::query`.
#[proc_macro_attribute]
pub fn query(_attr: TokenStream, item: TokenStream) -> TokenStream {
    outside_workflow("query", item)
}

/// Marks an update handler. Documented on its re-export, `weft_sdk::update`.
#[proc_macro_attribute]
pub fn update(_attr: TokenStream, item: TokenStream) -> TokenStream {
    outside_workflow("update", item)
}

/// Marks an update validator. Documented on its re-export, `weft_sdk::update_validator`.
#[proc_macro_attribute]
pub fn update_validator(_attr: TokenStream, item: TokenStream) -> TokenStream {
    outside_workflow("update_validator", item)
}
