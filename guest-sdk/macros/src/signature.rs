//! Reading the signature of a workflow's run function: `async fn f(ctx, input) ->
//! WfResult<O>`, as a free function or as the run method of an impl block.

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

/// Where the run function is written.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// `#[workflow] async fn name(ctx: WfContext, …)`.
    Function,
    /// `async fn run(ctx: WfContext<Self>, …)` in a `#[workflow] impl` block.
    RunMethod,
}

/// Checks the shape of `sig`.
pub(crate) fn read(sig: &Signature, form: Form) -> syn::Result<WorkflowSignature> {
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
    let typed: Vec<_> = sig
        .inputs
        .iter()
        .map(|arg| match arg {
            FnArg::Typed(arg) => Ok(arg),
            FnArg::Receiver(receiver) => Err(syn::Error::new_spanned(
                receiver,
                match form {
                    Form::Function => {
                        "a workflow function takes no `self` (put #[workflow] on the impl block)"
                    }
                    Form::RunMethod => {
                        "the run method takes `ctx: WfContext<Self>` instead of `self`: it \
                         reaches the state with `ctx.state(|s| …)` and `ctx.state_mut(|s| …)`, \
                         which handlers share"
                    }
                },
            )),
        })
        .collect::<syn::Result<_>>()?;
    let (input, takes_input) = match typed.as_slice() {
        [_ctx] => (syn::parse_quote!(()), false),
        [_ctx, input] => ((*input.ty).clone(), true),
        _ => {
            return Err(syn::Error::new(
                sig.inputs.span(),
                match form {
                    Form::Function => {
                        "a workflow function takes `(ctx: WfContext, input: I)` or \
                         `(ctx: WfContext)`"
                    }
                    Form::RunMethod => {
                        "the run method takes `(ctx: WfContext<Self>, input: I)` or \
                         `(ctx: WfContext<Self>)`"
                    }
                },
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
