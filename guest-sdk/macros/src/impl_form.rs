//! `#[workflow] impl State { async fn run(&mut self, ctx: WfContext, input: I) -> … }`.
//!
//! The state struct form: each execution starts from `State::default()` and runs its
//! `run` method. This is where signal, query and update handlers will be declared.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{ImplItem, ItemImpl, Type};

use crate::args::WorkflowArgs;
use crate::signature;

pub(crate) fn expand(args: &WorkflowArgs, block: ItemImpl) -> syn::Result<TokenStream> {
    if let Some((_, path, _)) = &block.trait_ {
        return Err(syn::Error::new_spanned(
            path,
            "#[workflow] goes on an inherent impl block, not a trait impl",
        ));
    }
    if !block.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &block.generics,
            "a workflow type cannot be generic",
        ));
    }
    let self_ty = &block.self_ty;
    let type_name = match &**self_ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.clone()),
        _ => None,
    }
    .ok_or_else(|| syn::Error::new_spanned(self_ty, "a workflow type must be a named type"))?;
    let run = block
        .items
        .iter()
        .find_map(|item| match item {
            ImplItem::Fn(method) if method.sig.ident == "run" => Some(method),
            _ => None,
        })
        .ok_or_else(|| {
            syn::Error::new_spanned(
                self_ty,
                "a #[workflow] impl block needs `async fn run(&mut self, ctx: WfContext, \
                 input: I) -> WfResult<O>`",
            )
        })?;
    let sig = signature::read(&run.sig, true)?;
    let name = match &args.name {
        Some(name) => name.value(),
        None => type_name.to_string(),
    };
    let input = &sig.input;
    // Spanned so that a wrong return type is reported on the return type.
    let output = {
        let declared = &sig.output;
        quote_spanned! {declared.span()=>
            <#declared as ::weft_sdk::__private::WorkflowReturn>::Ok
        }
    };
    let fail_on_panic = args.fail_on_panic_item();
    let defined_at = signature::defined_at(type_name.span());
    let call = if sig.takes_input {
        quote! { workflow.run(ctx, input).await }
    } else {
        quote! {{
            let () = input;
            workflow.run(ctx).await
        }}
    };
    Ok(quote! {
        #block

        impl ::weft_sdk::Workflow for #self_ty {
            const NAME: &'static str = #name;
            const DEFINED_AT: ::core::option::Option<::weft_sdk::CodeLocation> = #defined_at;
            #fail_on_panic
            type Input = #input;
            type Output = #output;

            fn run(
                ctx: ::weft_sdk::WfContext,
                input: Self::Input,
            ) -> ::weft_sdk::LocalBoxFuture<::weft_sdk::WfResult<Self::Output>> {
                ::std::boxed::Box::pin(async move {
                    #[allow(unused_mut)]
                    let mut workflow = <#self_ty as ::core::default::Default>::default();
                    #call
                })
            }
        }
    })
}
