//! Reading a workflow function's signature: `async fn f(ctx, input) -> WfResult<O>`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ReturnType, Signature, Type};

/// What the generated `Workflow` impl needs from a workflow function.
pub(crate) struct WorkflowSignature {
    /// The input type, `()` when the function takes only the context.
    pub(crate) input: Type,
    /// Whether the function takes an input argument.
    pub(crate) takes_input: bool,
    /// The declared return type, `WfResult<O>` or an equivalent.
    pub(crate) output: Type,
}

/// Checks the shape of `sig`. `has_receiver`: a method, whose first argument is `self`.
pub(crate) fn read(sig: &Signature, has_receiver: bool) -> syn::Result<WorkflowSignature> {
    if sig.asyncness.is_none() {
        return Err(syn::Error::new_spanned(
            sig.fn_token,
            "a workflow function must be `async`",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            "a workflow function cannot be generic",
        ));
    }
    let mut args = sig.inputs.iter();
    if has_receiver {
        match args.next() {
            Some(FnArg::Receiver(_)) => {}
            _ => {
                return Err(syn::Error::new(
                    sig.ident.span(),
                    "a workflow's `run` method takes `self`, `&self` or `&mut self` first",
                ))
            }
        }
    }
    let typed: Vec<_> = args
        .map(|arg| match arg {
            FnArg::Typed(arg) => Ok(arg),
            FnArg::Receiver(receiver) => Err(syn::Error::new_spanned(
                receiver,
                "a workflow function takes no `self` (put #[workflow] on the impl block)",
            )),
        })
        .collect::<syn::Result<_>>()?;
    let (input, takes_input) = match typed.as_slice() {
        [_ctx] => (syn::parse_quote!(()), false),
        [_ctx, input] => ((*input.ty).clone(), true),
        _ => {
            return Err(syn::Error::new(
                sig.inputs.span(),
                "a workflow function takes `(ctx: WfContext, input: I)` or `(ctx: WfContext)`",
            ))
        }
    };
    let output = match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => {
            return Err(syn::Error::new(
                sig.ident.span(),
                "a workflow function returns `WfResult<T>`",
            ))
        }
    };
    Ok(WorkflowSignature {
        input,
        takes_input,
        output,
    })
}

/// `Some(CodeLocation { .. })` pointing at `span` (the workflow's name in its source).
pub(crate) fn defined_at(span: proc_macro2::Span) -> TokenStream {
    let location = quote_spanned! {span=>
        ::weft_sdk::CodeLocation {
            file: ::core::file!(),
            line: ::core::line!(),
            column: ::core::column!(),
        }
    };
    quote! { ::core::option::Option::Some(#location) }
}
