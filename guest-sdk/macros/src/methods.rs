//! The roles of the methods of a `#[workflow] impl` block, read off (and taken off) their
//! attributes: `#[run]`, `#[signal]`, `#[query]`, `#[update]`, `#[update_validator(m)]`.

use proc_macro2::Span;
use syn::{Attribute, Ident, ImplItemFn, LitStr, Meta};

/// What a method of the impl block is for.
pub(crate) enum Role {
    /// The workflow's run method (`#[run]`, or a method named `run` without attribute).
    Run,
    Signal(Name),
    Query(Name),
    Update(Name),
    /// Validates the update whose method is named here.
    Validator(Ident),
}

/// A handler's message name: the method's name or `name = "..."`.
pub(crate) struct Name {
    pub(crate) value: String,
    /// Where to point when the name clashes.
    pub(crate) span: Span,
}

const ROLES: [&str; 5] = ["run", "signal", "query", "update", "update_validator"];

/// The role attribute's name, if `attr` is one (`#[signal]` or `#[weft_sdk::signal]`).
fn role_of(attr: &Attribute) -> Option<&'static str> {
    let path = attr.path();
    let last = path.segments.last()?;
    let ours = match path.segments.len() {
        1 => true,
        2 => path.segments[0].ident == "weft_sdk",
        _ => false,
    };
    if !ours {
        return None;
    }
    ROLES.iter().copied().find(|role| last.ident == role)
}

/// Takes the role attributes off `method` and says what it is: `None` for a plain method.
pub(crate) fn take_role(method: &mut ImplItemFn) -> syn::Result<Option<Role>> {
    let mut role = None;
    let mut kept = Vec::with_capacity(method.attrs.len());
    for attr in std::mem::take(&mut method.attrs) {
        let Some(kind) = role_of(&attr) else {
            kept.push(attr);
            continue;
        };
        if role.is_some() {
            return Err(syn::Error::new_spanned(
                &attr,
                "a method has one role: #[run], #[signal], #[query], #[update] or \
                 #[update_validator(...)]",
            ));
        }
        role = Some(read(kind, &attr, &method.sig.ident)?);
    }
    method.attrs = kept;
    Ok(role)
}

fn read(kind: &str, attr: &Attribute, method: &Ident) -> syn::Result<Role> {
    match kind {
        "run" => {
            if !matches!(attr.meta, Meta::Path(_)) {
                return Err(syn::Error::new_spanned(attr, "#[run] takes no arguments"));
            }
            Ok(Role::Run)
        }
        "update_validator" => {
            let update: Ident = attr.parse_args().map_err(|_| {
                syn::Error::new_spanned(
                    attr,
                    "#[update_validator(method)] names the #[update] method it validates",
                )
            })?;
            Ok(Role::Validator(update))
        }
        _ => {
            let name = message_name(kind, attr, method)?;
            Ok(match kind {
                "signal" => Role::Signal(name),
                "query" => Role::Query(name),
                _ => Role::Update(name),
            })
        }
    }
}

/// `#[signal]` → the method's name; `#[signal(name = "x")]` → `x`.
fn message_name(kind: &str, attr: &Attribute, method: &Ident) -> syn::Result<Name> {
    let mut name = Name {
        value: method.to_string(),
        span: method.span(),
    };
    if let Meta::Path(_) = attr.meta {
        return Ok(name);
    }
    attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("name") {
            let value: LitStr = meta.value()?.parse()?;
            if value.value().is_empty() {
                return Err(syn::Error::new_spanned(&value, "the name cannot be empty"));
            }
            name = Name {
                value: value.value(),
                span: value.span(),
            };
            Ok(())
        } else {
            Err(meta.error(format!(
                "unknown argument; #[{kind}] takes `name = \"...\"`"
            )))
        }
    })?;
    Ok(name)
}
