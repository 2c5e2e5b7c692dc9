//! The handler methods of a `#[workflow] impl` block: their signatures, checked, and the
//! code that registers them in the workflow's `Handlers` table.
//!
//! | role                  | signature                                                  |
//! |-----------------------|------------------------------------------------------------|
//! | sync signal           | `fn f(&mut self[, input: I])`                              |
//! | async signal          | `async fn f(ctx: WfContext<Self>[, input: I])`             |
//! | query                 | `fn f(&self[, input: I]) -> O`                             |
//! | async update          | `async fn f(ctx: WfContext<Self>[, input: I]) -> WfResult<O>` |
//! | sync update           | `fn f(&mut self[, input: I]) -> WfResult<O>` (or `&self`)   |
//! | update validator      | `fn f(&self[, input: &I]) -> Result<(), E>`, `E: Display`  |
//!
//! Type errors the macro cannot see (a return type that is no `WfResult`, a validator
//! whose input is not its update's) are left to the compiler, through conversion helpers
//! spanned at the user's own types, so that the error is one and points there.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ImplItemFn, Receiver, ReturnType, Type};

use crate::methods::Name;

/// How a method takes `self`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SelfArg {
    None,
    Shared,
    Mutable,
}

/// A method's signature, taken apart.
struct Shape<'a> {
    ident: &'a Ident,
    is_async: bool,
    self_arg: SelfArg,
    /// The arguments after `self`, if any.
    args: Vec<&'a Type>,
    output: Option<&'a Type>,
}

fn shape<'a>(method: &'a ImplItemFn, what: &str) -> syn::Result<Shape<'a>> {
    let sig = &method.sig;
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &sig.generics,
            format!("{what} cannot be generic"),
        ));
    }
    let mut self_arg = SelfArg::None;
    let mut args = Vec::new();
    for arg in &sig.inputs {
        match arg {
            FnArg::Receiver(receiver) => self_arg = receiver_kind(receiver, what)?,
            FnArg::Typed(arg) => args.push(&*arg.ty),
        }
    }
    let output = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(&**ty),
    };
    Ok(Shape {
        ident: &sig.ident,
        is_async: sig.asyncness.is_some(),
        self_arg,
        args,
        output,
    })
}

fn receiver_kind(receiver: &Receiver, what: &str) -> syn::Result<SelfArg> {
    match (
        &receiver.reference,
        &receiver.mutability,
        &receiver.colon_token,
    ) {
        (Some(_), None, None) => Ok(SelfArg::Shared),
        (Some(_), Some(_), None) => Ok(SelfArg::Mutable),
        _ => Err(syn::Error::new_spanned(
            receiver,
            format!("{what} takes `&self` or `&mut self`, never `self` by value"),
        )),
    }
}

fn error(span: Span, message: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(span, message)
}

/// `(input type, closure parameter, call arguments)` for a handler's optional input.
fn input_parts(input: Option<&Type>) -> (Type, TokenStream, TokenStream) {
    match input {
        Some(ty) => (ty.clone(), quote!(input: #ty), quote!(input)),
        None => (syn::parse_quote!(()), quote!((): ()), quote!()),
    }
}

/// `true` when the method returns nothing (or `()`).
fn returns_unit(output: Option<&Type>) -> bool {
    match output {
        None => true,
        Some(Type::Tuple(tuple)) => tuple.elems.is_empty(),
        Some(_) => false,
    }
}

/// The registration of a `#[signal]` method.
pub(crate) fn signal(method: &ImplItemFn, name: &Name) -> syn::Result<TokenStream> {
    let shape = shape(method, "a signal handler")?;
    let ident = shape.ident;
    if !returns_unit(shape.output) {
        let output = shape.output.expect("not unit");
        return Err(error(
            output.span(),
            "a signal handler returns nothing: the sender gets no answer (use an #[update] \
             for that)",
        ));
    }
    let name = &name.value;
    if shape.is_async {
        let input = ctx_and_input(&shape, "an async signal handler", "")?;
        let (_, param, arg) = input_parts(input);
        Ok(quote_spanned! {ident.span()=>
            .async_signal(#name, |ctx: ::weft_sdk::WfContext<Self>, #param| {
                Self::#ident(ctx, #arg)
            })
        })
    } else {
        if shape.self_arg != SelfArg::Mutable {
            return Err(error(
                ident.span(),
                "a signal handler takes `&mut self` (and its input): `fn name(&mut self, \
                 input: I)`; or it is `async` and takes `ctx: WfContext<Self>`",
            ));
        }
        let input = at_most_one_input(&shape, "a signal handler")?;
        let (_, param, arg) = input_parts(input);
        Ok(quote_spanned! {ident.span()=>
            .signal(#name, |state: &mut Self, #param| Self::#ident(state, #arg))
        })
    }
}

/// The registration of a `#[query]` method.
pub(crate) fn query(method: &ImplItemFn, name: &Name) -> syn::Result<TokenStream> {
    let shape = shape(method, "a query handler")?;
    let ident = shape.ident;
    if shape.is_async {
        return Err(error(
            ident.span(),
            "a query handler is not `async`: it answers at once from the state",
        ));
    }
    match shape.self_arg {
        SelfArg::Shared => {}
        SelfArg::Mutable => {
            return Err(error(
                ident.span(),
                "a query cannot change the workflow's state: take `&self`",
            ))
        }
        SelfArg::None => {
            return Err(error(
                ident.span(),
                "a query handler takes `&self` (and its input): `fn name(&self, input: I) -> O`",
            ))
        }
    }
    let input = at_most_one_input(&shape, "a query handler")?;
    let (_, param, arg) = input_parts(input);
    let name = &name.value;
    Ok(quote_spanned! {ident.span()=>
        .query(#name, |state: &Self, #param| Self::#ident(state, #arg))
    })
}

/// A `#[update]` method, checked.
pub(crate) struct UpdateMethod {
    ident: Ident,
    name: String,
    is_async: bool,
    input: Option<Type>,
    output: Type,
}

impl UpdateMethod {
    pub(crate) fn ident(&self) -> &Ident {
        &self.ident
    }

    pub(crate) fn read(method: &ImplItemFn, name: &Name) -> syn::Result<Self> {
        let shape = shape(method, "an update handler")?;
        let ident = shape.ident;
        let input = if shape.is_async {
            ctx_and_input(&shape, "an async update handler", " -> WfResult<O>")?
        } else {
            if shape.self_arg == SelfArg::None {
                return Err(error(
                    ident.span(),
                    "an update handler is `async fn name(ctx: WfContext<Self>, input: I) -> \
                     WfResult<O>`, or `fn name(&mut self, input: I) -> WfResult<O>`",
                ));
            }
            at_most_one_input(&shape, "an update handler")?
        };
        let Some(output) = shape.output else {
            return Err(error(
                ident.span(),
                "an update handler returns `WfResult<O>`: its `Ok` is the update's result, \
                 its `Err` the update's failure",
            ));
        };
        Ok(Self {
            ident: ident.clone(),
            name: name.value.clone(),
            is_async: shape.is_async,
            input: input.cloned(),
            output: output.clone(),
        })
    }

    /// The registration, with the validator if there is one. What the handler and the
    /// validator return goes through conversions spanned at their declared types, so that
    /// a wrong type is one error, pointing there.
    pub(crate) fn register(&self, validator: Option<&Validator>) -> syn::Result<TokenStream> {
        let Self {
            ident,
            name,
            input,
            output,
            ..
        } = self;
        let (input_ty, param, arg) = input_parts(input.as_ref());
        // `returned` is spanned at the declared type, so a wrong one is reported there.
        let convert = quote_spanned! {output.span()=>
            ::weft_sdk::__private::update_result(returned)
        };
        let handler = if self.is_async {
            quote! {
                |ctx: ::weft_sdk::WfContext<Self>, #param| {
                    let handler = Self::#ident(ctx, #arg);
                    async move {
                        let returned = handler.await;
                        #convert
                    }
                }
            }
        } else {
            // A sync handler runs in its task's first poll, on the state.
            quote! {
                |ctx: ::weft_sdk::WfContext<Self>, #param| async move {
                    ctx.state_mut(|state| {
                        let returned = Self::#ident(state, #arg);
                        #convert
                    })
                }
            }
        };
        let Some(validator) = validator else {
            return Ok(quote_spanned! {ident.span()=>
                .update(#name, #handler)
            });
        };
        validator.check_against(self)?;
        let vident = &validator.ident;
        let output = &validator.output;
        let convert = quote_spanned! {output.span()=>
            ::weft_sdk::__private::validation_result(returned)
        };
        let (param, arg) = match &validator.input {
            Some(ty) => {
                let arg = quote_spanned! {ty.span()=>
                    ::weft_sdk::__private::validator_input::<_, #ty>(input)
                };
                (quote!(input: &#input_ty), arg)
            }
            None => (quote!(_: &()), TokenStream::new()),
        };
        let validate = quote! {
            |state: &Self, #param| {
                let returned = Self::#vident(state, #arg);
                #convert
            }
        };
        Ok(quote_spanned! {ident.span()=>
            .validated_update(#name, #handler, #validate)
        })
    }
}

/// A `#[update_validator(update)]` method, checked.
pub(crate) struct Validator {
    ident: Ident,
    /// `I` of the `input: &I` argument.
    input: Option<Type>,
    output: Type,
}

impl Validator {
    pub(crate) fn read(method: &ImplItemFn) -> syn::Result<Self> {
        let shape = shape(method, "an update validator")?;
        let ident = shape.ident;
        if shape.is_async || shape.self_arg != SelfArg::Shared {
            return Err(error(
                ident.span(),
                "an update validator is `fn name(&self, input: &I) -> Result<(), E>`: it reads \
                 the state and the input, at once, and changes nothing",
            ));
        }
        let input = match at_most_one_input(&shape, "an update validator")? {
            None => None,
            Some(Type::Reference(reference)) if reference.mutability.is_none() => {
                Some((*reference.elem).clone())
            }
            Some(other) => {
                return Err(error(
                    other.span(),
                    "an update validator takes its update's input by reference: `input: &I`",
                ))
            }
        };
        let Some(output) = shape.output else {
            return Err(error(
                ident.span(),
                "an update validator returns `Result<(), E>` (`Err` rejects the update)",
            ));
        };
        Ok(Self {
            ident: ident.clone(),
            input,
            output: output.clone(),
        })
    }

    /// Checks that the validator takes an input when its update does (that it is the
    /// same type is left to the compiler).
    fn check_against(&self, update: &UpdateMethod) -> syn::Result<()> {
        match (&update.input, &self.input) {
            (Some(_), Some(_)) | (None, None) => Ok(()),
            (Some(ty), None) => Err(error(
                self.ident.span(),
                format!(
                    "update `{}` takes an input, so its validator takes it too: \
                     `fn {}(&self, input: &{}) -> Result<(), E>`",
                    update.name,
                    self.ident,
                    quote!(#ty)
                ),
            )),
            (None, Some(ty)) => Err(error(
                ty.span(),
                format!(
                    "update `{}` takes no input, so its validator takes only `&self`",
                    update.name
                ),
            )),
        }
    }
}

/// The input type of `async fn f(ctx: WfContext<Self>[, input: I])`.
fn ctx_and_input<'a>(
    shape: &Shape<'a>,
    what: &str,
    returns: &str,
) -> syn::Result<Option<&'a Type>> {
    let expected = format!(
        "{what} takes `(ctx: WfContext<Self>, input: I)` or `(ctx: WfContext<Self>)`: \
         `async fn {}(ctx: WfContext<Self>, input: I){returns}`",
        shape.ident
    );
    if shape.self_arg != SelfArg::None {
        return Err(error(
            shape.ident.span(),
            format!("{expected}; it reaches the state through `ctx.state_mut(|s| …)`"),
        ));
    }
    match shape.args.as_slice() {
        [_ctx] => Ok(None),
        [_ctx, input] => Ok(Some(input)),
        _ => Err(error(shape.ident.span(), expected)),
    }
}

/// The input type of a method that takes `self` and at most one more argument.
fn at_most_one_input<'a>(shape: &Shape<'a>, what: &str) -> syn::Result<Option<&'a Type>> {
    match shape.args.as_slice() {
        [] => Ok(None),
        [input] => Ok(Some(input)),
        [_, extra, ..] => Err(error(
            extra.span(),
            format!("{what} takes one input at most; put several values in a struct"),
        )),
    }
}
