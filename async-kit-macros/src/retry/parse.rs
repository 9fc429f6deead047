//! Parsing of `#[retry(..)]`'s arguments.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Lit, Token};

use crate::parse::lit_nanos;

const OPTIONS: &str = "expected `wrap`, `attempts = N`, `backoff = exponential(base)` / `exponential(base, cap)` / `constant(delay)`, `min_budget = duration`, `policy = expr`, `budget = expr`, `when = predicate`, `on_retry = hook`, `retry_after = hint` or `crate = path`";
const BACKOFFS: &str =
    "expected `exponential(base)`, `exponential(base, cap)` or `constant(delay)`";

/// A duration argument.
pub(crate) enum Dur {
    /// A literal, converted at compile time.
    Const { secs: u64, nanos: u32, span: Span },
    /// Any other expression of type `Duration`, evaluated once per call.
    Expr(Box<Expr>),
}

pub(crate) enum Backoff {
    Exponential { base: Dur, cap: Option<Dur> },
    Constant(Dur),
}

/// Everything between the parentheses of `#[retry(..)]`.
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) attempts: Option<Expr>,
    pub(crate) backoff: Option<Backoff>,
    pub(crate) min_budget: Option<Dur>,
    pub(crate) policy: Option<Expr>,
    pub(crate) budget: Option<Expr>,
    pub(crate) when: Option<Expr>,
    pub(crate) on_retry: Option<Expr>,
    pub(crate) retry_after: Option<Expr>,
    pub(crate) krate: Option<syn::Path>,
    /// `wrap`: the fn returns `Result<T, RetryError<E>>`; its span.
    pub(crate) wrap: Option<Span>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        // The first of `policy` and the options it replaces, to report a mix.
        let mut has_policy = false;
        let mut policy_part: Option<String> = None;
        while !input.is_empty() {
            if input.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                let path = input.call(syn::Path::parse_mod_style)?;
                if args.krate.is_some() {
                    return Err(syn::Error::new(key.span, "duplicate option `crate`"));
                }
                args.krate = Some(path);
            } else {
                let key: syn::Ident = input.parse().map_err(|e| {
                    syn::Error::new(e.span(), format!("unexpected token: {OPTIONS}"))
                })?;
                let name = key.to_string();
                if name == "wrap" {
                    if input.peek(Token![=]) {
                        return Err(syn::Error::new_spanned(
                            &key,
                            "`wrap` takes no value: write `wrap` alone",
                        ));
                    }
                    if args.wrap.is_some() {
                        return Err(syn::Error::new_spanned(&key, "duplicate option `wrap`"));
                    }
                    args.wrap = Some(key.span());
                    if input.is_empty() {
                        break;
                    }
                    input.parse::<Token![,]>()?;
                    continue;
                }
                if !input.peek(Token![=]) {
                    let msg = if known(&name) {
                        format!("`{name}` needs a value: `{name} = ..`")
                    } else {
                        format!("unknown option `{name}`: {OPTIONS}")
                    };
                    return Err(syn::Error::new_spanned(&key, msg));
                }
                input.parse::<Token![=]>()?;
                let value: Expr = input.parse()?;
                let duplicate =
                    || syn::Error::new_spanned(&key, format!("duplicate option `{name}`"));
                match name.as_str() {
                    "attempts" => {
                        if args.attempts.is_some() {
                            return Err(duplicate());
                        }
                        check_attempts(&value)?;
                        args.attempts = Some(value);
                    }
                    "backoff" => {
                        if args.backoff.is_some() {
                            return Err(duplicate());
                        }
                        args.backoff = Some(parse_backoff(&value)?);
                    }
                    "min_budget" => {
                        if args.min_budget.is_some() {
                            return Err(duplicate());
                        }
                        args.min_budget = Some(parse_dur(value)?);
                    }
                    "policy" => {
                        if args.policy.is_some() {
                            return Err(duplicate());
                        }
                        args.policy = Some(value);
                    }
                    "budget" => {
                        if args.budget.is_some() {
                            return Err(duplicate());
                        }
                        args.budget = Some(value);
                    }
                    "when" => {
                        if args.when.is_some() {
                            return Err(duplicate());
                        }
                        args.when = Some(value);
                    }
                    "on_retry" => {
                        if args.on_retry.is_some() {
                            return Err(duplicate());
                        }
                        args.on_retry = Some(value);
                    }
                    "retry_after" => {
                        if args.retry_after.is_some() {
                            return Err(duplicate());
                        }
                        args.retry_after = Some(value);
                    }
                    _ => {
                        return Err(syn::Error::new_spanned(
                            &key,
                            format!("unknown option `{name}`: {OPTIONS}"),
                        ));
                    }
                }
                // Reported at the second of the two, which is this key.
                let conflict = match name.as_str() {
                    "policy" => policy_part.as_ref().map(ToString::to_string),
                    "attempts" | "backoff" | "min_budget" | "budget" if has_policy => {
                        Some(name.clone())
                    }
                    _ => None,
                };
                if let Some(part) = conflict {
                    return Err(syn::Error::new_spanned(
                        &key,
                        format!(
                            "`policy = ..` and `{part}` cannot be used together: set `{part}` on the policy"
                        ),
                    ));
                }
                match name.as_str() {
                    "policy" => has_policy = true,
                    "attempts" | "backoff" | "min_budget" | "budget" => {
                        policy_part.get_or_insert(name);
                    }
                    _ => {}
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

fn known(name: &str) -> bool {
    matches!(
        name,
        "attempts"
            | "backoff"
            | "min_budget"
            | "policy"
            | "budget"
            | "when"
            | "on_retry"
            | "retry_after"
    )
}

fn check_attempts(value: &Expr) -> syn::Result<()> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Int(int), ..
    }) = value
    {
        let n: u32 = int
            .base10_parse()
            .map_err(|_| syn::Error::new_spanned(int, "`attempts` must fit a `u32`"))?;
        if n == 0 {
            return Err(syn::Error::new_spanned(
                int,
                "a retry needs at least one attempt: `attempts = 1` means no retry",
            ));
        }
    }
    Ok(())
}

fn parse_dur(expr: Expr) -> syn::Result<Dur> {
    match &expr {
        Expr::Lit(ExprLit { lit, .. }) => {
            let span = lit.span();
            let nanos = lit_nanos(lit)?;
            let secs = u64::try_from(nanos / 1_000_000_000)
                .map_err(|_| syn::Error::new(span, "duration is too large"))?;
            let nanos = (nanos % 1_000_000_000) as u32;
            Ok(Dur::Const { secs, nanos, span })
        }
        _ => Ok(Dur::Expr(Box::new(expr))),
    }
}

fn parse_backoff(value: &Expr) -> syn::Result<Backoff> {
    let Expr::Call(call) = value else {
        return Err(syn::Error::new_spanned(
            value,
            format!("unknown backoff: {BACKOFFS}"),
        ));
    };
    let name = match &*call.func {
        Expr::Path(p) => p.path.get_ident().map(ToString::to_string),
        _ => None,
    };
    let args: Vec<Expr> = call.args.iter().cloned().collect();
    let wrong_count = |args: &Punctuated<Expr, Token![,]>| {
        syn::Error::new_spanned(
            if args.is_empty() {
                value.to_owned()
            } else {
                Expr::Verbatim(quote::quote!(#args))
            },
            format!("wrong number of arguments: {BACKOFFS}"),
        )
    };
    match name.as_deref() {
        Some("exponential") => {
            let mut it = args.into_iter();
            match (it.next(), it.next(), it.next()) {
                (Some(base), cap, None) => Ok(Backoff::Exponential {
                    base: parse_dur(base)?,
                    cap: cap.map(parse_dur).transpose()?,
                }),
                _ => Err(wrong_count(&call.args)),
            }
        }
        Some("constant") => match <[Expr; 1]>::try_from(args) {
            Ok([delay]) => Ok(Backoff::Constant(parse_dur(delay)?)),
            Err(_) => Err(wrong_count(&call.args)),
        },
        _ => Err(syn::Error::new_spanned(
            &call.func,
            format!("unknown backoff: {BACKOFFS}"),
        )),
    }
}
