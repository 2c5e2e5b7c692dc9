//! `#[workflow] async fn name(ctx: WfContext, input: I) -> WfResult<O>`.
//!
//! Keeps the function as written and adds a type of the same name (a braced struct lives
//! in the type namespace only, so it does not clash with the function) that implements
//! `weft_sdk::Workflow`. `export_workflows!(name)` names that type.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::ItemFn;

use crate::args::WorkflowArgs;
use crate::signature;

pub(crate) fn expand(args: &WorkflowArgs, function: ItemFn) -> syn::Result<TokenStream> {
    let sig = signature::read(&function.sig, signature::Form::Function)?;
    let ident = &function.sig.ident;
    let vis = &function.vis;
    let (name, name_tokens) = args.name(ident.to_string());
    let input = &sig.input;
    // Spanned so that a wrong return type is reported on the return type.
    let output = {
        let declared = &sig.output;
        quote_spanned! {declared.span()=>
            <#declared as ::weft_sdk::__private::WorkflowReturn>::Ok
        }
    };
    let fail_on_panic = args.fail_on_panic_item();
    let defined_at = signature::defined_at(ident.span());
    let call = if sig.takes_input {
        quote! { #ident(ctx, input) }
    } else {
        quote! {{
            let () = input;
            #ident(ctx)
        }}
    };
    let doc = format!("The workflow type `{name}`, defined by the function of the same name.");
    Ok(quote! {
        #function

        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        impl ::weft_sdk::Workflow for #ident {
            const NAME: &'static str = #name_tokens;
            const DEFINED_AT: ::core::option::Option<::weft_sdk::CodeLocation> = #defined_at;
            #fail_on_panic
            type State = ();
            type Input = #input;
            type Output = #output;

            fn run(
                ctx: ::weft_sdk::WfContext<()>,
                input: Self::Input,
            ) -> ::weft_sdk::LocalBoxFuture<::weft_sdk::WfResult<Self::Output>> {
                ::std::boxed::Box::pin(#call)
            }
        }
    })
}
