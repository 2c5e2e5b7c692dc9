//! `#[workflow] impl State { async fn run(ctx: WfContext<Self>, input: I) -> … }`.
//!
//! The state struct form: each execution starts from `State::default()`, shared by the
//! run method and the block's `#[signal]`, `#[query]`, `#[update]` and
//! `#[update_validator]` methods. The block is emitted as written minus those
//! attributes, and the type gets a `weft_sdk::Workflow` impl whose `handlers()` registers
//! each handler method.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ImplItem, ImplItemFn, ItemImpl, Type};

use crate::args::WorkflowArgs;
use crate::handlers::{self, UpdateMethod, Validator};
use crate::methods::{self, Name, Role};
use crate::signature;

/// The built-in query every workflow answers; no handler may take its name.
const METADATA_QUERY: &str = "__weft_workflow_metadata";

/// Errors collected over the whole block, so that one compile shows them all.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }
}

/// Message names already taken, per kind: a second handler of one name is an error.
#[derive(Default)]
struct Names(BTreeMap<String, Ident>);

impl Names {
    fn claim(&mut self, kind: &str, name: &Name, method: &Ident) -> syn::Result<()> {
        if let Some(first) = self.0.get(&name.value) {
            return Err(syn::Error::new(
                name.span,
                format!(
                    "{kind} `{}` is handled by `fn {first}` already; a {kind} has one handler",
                    name.value
                ),
            ));
        }
        self.0.insert(name.value.clone(), method.clone());
        Ok(())
    }
}

pub(crate) fn expand(args: &WorkflowArgs, mut block: ItemImpl) -> syn::Result<TokenStream> {
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
    let self_ty = block.self_ty.clone();
    let type_name = match &*self_ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.clone()),
        _ => None,
    }
    .ok_or_else(|| syn::Error::new_spanned(&self_ty, "a workflow type must be a named type"))?;

    let mut errors = Errors::default();
    let mut run: Option<ImplItemFn> = None;
    let mut registrations = Vec::new();
    let (mut signals, mut queries, mut updates_by_name) =
        (Names::default(), Names::default(), Names::default());
    let mut updates: Vec<UpdateMethod> = Vec::new();
    // Every method marked #[update], even one whose signature is wrong.
    let mut update_methods: Vec<Ident> = Vec::new();
    let mut validators: Vec<(Ident, Validator)> = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let Some(role) = errors.take(methods::take_role(method)) else {
            continue;
        };
        let role = role.or_else(|| (method.sig.ident == "run").then_some(Role::Run));
        let ident = method.sig.ident.clone();
        match role {
            None => {}
            Some(Role::Run) => match &run {
                Some(first) => errors.push(syn::Error::new(
                    ident.span(),
                    format!(
                        "a workflow has one run method, and `{}` is it already",
                        first.sig.ident
                    ),
                )),
                None => run = Some(method.clone()),
            },
            Some(Role::Signal(name)) => {
                let claimed = errors.take(signals.claim("signal", &name, &ident));
                if claimed.is_some() {
                    registrations.extend(errors.take(handlers::signal(method, &name)));
                }
            }
            Some(Role::Query(name)) => {
                if name.value == METADATA_QUERY {
                    errors.push(syn::Error::new(
                        name.span,
                        format!("the query name `{METADATA_QUERY}` is the SDK's own"),
                    ));
                } else if errors.take(queries.claim("query", &name, &ident)).is_some() {
                    registrations.extend(errors.take(handlers::query(method, &name)));
                }
            }
            Some(Role::Update(name)) => {
                update_methods.push(ident.clone());
                let claimed = errors.take(updates_by_name.claim("update", &name, &ident));
                if claimed.is_some() {
                    updates.extend(errors.take(UpdateMethod::read(method, &name)));
                }
            }
            Some(Role::Validator(update)) => {
                validators.extend(errors.take(Validator::read(method)).map(|v| (update, v)));
            }
        }
    }
    let validators = match_validators(&update_methods, validators, &mut errors);
    for update in &updates {
        let validator = validators.get(&update.ident().to_string());
        registrations.extend(errors.take(update.register(validator)));
    }
    let run = match run {
        Some(run) => errors.take(run_items(&run)),
        None => {
            errors.push(syn::Error::new_spanned(
                &self_ty,
                "a #[workflow] impl block needs a run method: `async fn run(ctx: \
                 WfContext<Self>, input: I) -> WfResult<O>` (or another name, marked #[run])",
            ));
            None
        }
    };
    if let Some(error) = errors.0 {
        // The block still compiles as an impl block, so that code that uses its methods
        // does not add errors of its own to these.
        let error = error.into_compile_error();
        return Ok(quote! {
            #block
            #error
        });
    }
    let (input, output, call) = run.expect("no errors");

    let (_, name_tokens) = args.name(type_name.to_string());
    let fail_on_panic = args.fail_on_panic_item();
    let defined_at = signature::defined_at(type_name.span());
    let state = quote_spanned! {self_ty.span()=> type State = Self; };
    Ok(quote! {
        #block

        impl ::weft_sdk::Workflow for #self_ty {
            const NAME: &'static str = #name_tokens;
            const DEFINED_AT: ::core::option::Option<::weft_sdk::CodeLocation> = #defined_at;
            #fail_on_panic
            #state
            type Input = #input;
            type Output = #output;

            fn run(
                ctx: ::weft_sdk::WfContext<Self>,
                input: Self::Input,
            ) -> ::weft_sdk::LocalBoxFuture<::weft_sdk::WfResult<Self::Output>> {
                ::std::boxed::Box::pin(#call)
            }

            fn handlers() -> ::weft_sdk::Handlers<Self> {
                ::weft_sdk::Handlers::new() #(#registrations)*
            }
        }
    })
}

/// The run method's input type, output type and the call that starts it.
fn run_items(run: &ImplItemFn) -> syn::Result<(Type, TokenStream, TokenStream)> {
    let sig = signature::read(&run.sig, signature::Form::RunMethod)?;
    let ident = &run.sig.ident;
    // Spanned so that a wrong return type is reported on the return type.
    let output = {
        let declared = &sig.output;
        quote_spanned! {declared.span()=>
            <#declared as ::weft_sdk::__private::WorkflowReturn>::Ok
        }
    };
    let call = if sig.takes_input {
        quote! { Self::#ident(ctx, input) }
    } else {
        quote! {{
            let () = input;
            Self::#ident(ctx)
        }}
    };
    Ok((sig.input, output, call))
}

/// Pairs each validator with its update (by the update method's name).
fn match_validators(
    updates: &[Ident],
    validators: Vec<(Ident, Validator)>,
    errors: &mut Errors,
) -> BTreeMap<String, Validator> {
    let mut matched = BTreeMap::new();
    for (update, validator) in validators {
        if !updates.contains(&update) {
            errors.push(syn::Error::new(
                update.span(),
                format!(
                    "`{update}` is not an #[update] method of this impl block; \
                     #[update_validator(...)] names the method of the update it validates"
                ),
            ));
            continue;
        }
        match matched.entry(update.to_string()) {
            Entry::Vacant(slot) => {
                slot.insert(validator);
            }
            Entry::Occupied(_) => errors.push(syn::Error::new(
                update.span(),
                format!("update `{update}` has a validator already; an update has one"),
            )),
        }
    }
    matched
}
