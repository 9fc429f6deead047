//! Code generation for `#[retry]`.
//!
//! The body becomes `retry(policy, || async { body })`, so each attempt runs
//! the body afresh. With `#[timeout]` on the same fn, the attribute written
//! first is the outer one, as with Python's decorators: `#[timeout]` above
//! `#[retry]` bounds the whole retrying call, below it each attempt. Since
//! rustc expands the first attribute first, `#[retry]` arranges both orders
//! itself.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Attribute, Block, Expr, ExprAsync, ReturnType, Stmt, Type};

use super::parse::{Args, Backoff, Dur};
use crate::expand::{
    async_trait_output, flatten_at, is_result, limit_tokens, looks_like_fn, output_hint,
};
use crate::parse::{self as timeout_parse, ItemFn, Mode};

pub(crate) fn retry_attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = syn::parse2::<Args>(args).and_then(|args| {
        let parsed = syn::parse2::<ItemFn>(item.clone()).map_err(|err| {
            let err = if looks_like_fn(&item) {
                err
            } else {
                timeout_parse::not_a_fn(&item)
            };
            // The item parser is shared with `#[timeout]`: name ours.
            let msg = err
                .to_string()
                .replace(
                    "`#[timeout]` needs a body to bound",
                    "`#[retry]` needs a body to run again",
                )
                .replace("`#[timeout]`", "`#[retry]`");
            syn::Error::new(err.span(), msg)
        })?;
        retry(args, parsed)
    });
    match result {
        Ok(tokens) => tokens,
        Err(err) => {
            // Keep the item, so the rest of the crate still compiles and the
            // only error is ours.
            let err = err.to_compile_error();
            quote!(#err #item)
        }
    }
}

pub(crate) fn retry(args: Args, mut item: ItemFn) -> syn::Result<TokenStream> {
    let krate = match &args.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::async_kit),
    };

    if item.sig.asyncness.is_some() {
        if let Some(index) = item.attrs.iter().position(is_timeout_attr) {
            // `#[retry]` above `#[timeout]`: each attempt gets the timeout.
            let attr = item.attrs.remove(index);
            expand_over_timeout(&args, &krate, attr, &mut item)?;
        } else if let Some(inner) = timeout_inner(&mut item.block) {
            // `#[timeout]` above `#[retry]` has already run: retry inside
            // its bounded block, so the timeout bounds every attempt and
            // every wait.
            if let Some(span) = args.wrap {
                return Err(syn::Error::new(
                    span,
                    "`#[timeout]` above `#[retry(wrap)]` has already fixed the return type: drop `wrap`, or write `#[retry(wrap)]` above `#[timeout]` to bound each attempt",
                ));
            }
            let body = std::mem::replace(inner, empty_async());
            let call = retry_call(&args, &krate, &non_move(body));
            *inner = syn::parse_quote!(async move { #call });
        } else {
            let ret = result_type(&item.sig.output, &item.sig)?;
            let hint = output_hint(&ret);
            let stmts = &item.block.stmts;
            let attempt = quote!(async { #hint #(#stmts)* });
            let call = retry_call(&args, &krate, &attempt);
            item.block = syn::parse_quote!({ #call });
        }
    } else if let Some(output) = async_trait_output(&item.sig.output) {
        // `#[async_trait]` ran first: retry inside its boxed future.
        if !is_result(output) {
            return Err(not_result(output.span()));
        }
        if let Some(span) = args.wrap {
            return Err(syn::Error::new(
                span,
                "inside `#[async_trait]`, `#[retry]` cannot change the return type: drop `wrap` (the trait declares the error type)",
            ));
        }
        let Some(inner) = boxed_inner(&mut item.block) else {
            return Err(syn::Error::new_spanned(
                output,
                "`#[retry]` does not recognise this boxed future",
            ));
        };
        let body = std::mem::replace(inner, empty_async());
        let call = retry_call(&args, &krate, &non_move(body));
        *inner = syn::parse_quote!(async move { #call });
    } else {
        let fn_token = &item.sig.fn_token;
        let ident = &item.sig.ident;
        return Err(syn::Error::new_spanned(
            quote!(#fn_token #ident),
            format!(
                "`#[retry]` runs an `async fn` again, but `{ident}` is not async: write `async fn`"
            ),
        ));
    }

    if let Some(span) = args.wrap {
        wrap_output(&mut item.sig, &krate, span)?;
    }
    let ItemFn {
        attrs,
        vis,
        sig,
        block,
    } = item;
    Ok(quote! {
        #(#attrs)*
        #vis #sig #block
    })
}

/// `#[timeout(..)]` or `#[async_kit::timeout(..)]`.
fn is_timeout_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|seg| seg.ident == "timeout")
}

fn not_result(span: Span) -> syn::Error {
    syn::Error::new(
        span,
        "`#[retry]` needs an `async fn` returning `Result<T, E>`: an `Err` is what it retries",
    )
}

fn result_type(output: &ReturnType, sig: &syn::Signature) -> syn::Result<Type> {
    match output {
        ReturnType::Type(_, ty) if is_result(ty) => Ok((**ty).clone()),
        ReturnType::Type(_, ty) => Err(not_result(ty.span())),
        ReturnType::Default => {
            let fn_token = &sig.fn_token;
            let ident = &sig.ident;
            Err(not_result(quote!(#fn_token #ident).span()))
        }
    }
}

fn empty_async() -> ExprAsync {
    syn::parse_quote!(async {})
}

/// The same async block without `move`: the retry's closure runs it once
/// per attempt, so it borrows what the fn owns instead of taking it.
fn non_move(mut block: ExprAsync) -> TokenStream {
    block.capture = None;
    block.into_token_stream()
}

fn dur_tokens(dur: &Dur, krate: &TokenStream) -> TokenStream {
    match dur {
        Dur::Const { secs, nanos, span } => {
            quote_spanned!(*span=> #krate::__private::Duration::new(#secs, #nanos))
        }
        Dur::Expr(expr) => quote_spanned!(expr.span()=> {
            let __async_kit_duration: #krate::__private::Duration = #expr;
            __async_kit_duration
        }),
    }
}

fn policy_tokens(args: &Args, krate: &TokenStream) -> TokenStream {
    if let Some(expr) = &args.policy {
        return quote_spanned!(expr.span()=> {
            let __async_kit_policy: #krate::__private::Policy = #expr;
            __async_kit_policy
        });
    }
    let mut policy = match &args.backoff {
        None => quote!(#krate::__private::Policy::new()),
        Some(Backoff::Exponential { base, cap }) => {
            let base = dur_tokens(base, krate);
            let cap = cap.as_ref().map(|cap| {
                let cap = dur_tokens(cap, krate);
                quote!(.max_delay(#cap))
            });
            quote!(#krate::__private::Policy::exponential(#base) #cap)
        }
        Some(Backoff::Constant(delay)) => {
            let delay = dur_tokens(delay, krate);
            quote!(#krate::__private::Policy::constant(#delay))
        }
    };
    if let Some(n) = &args.attempts {
        policy = quote_spanned!(n.span()=> #policy.max_attempts(#n));
    }
    if let Some(d) = &args.min_budget {
        let d = dur_tokens(d, krate);
        policy = quote!(#policy.min_budget(#d));
    }
    if let Some(b) = &args.budget {
        policy = quote_spanned!(b.span()=> #policy.budget(#b));
    }
    policy
}

/// `last_error(retry(policy, || attempt).when(..)...await)`.
fn retry_call(args: &Args, krate: &TokenStream, attempt: &TokenStream) -> TokenStream {
    let policy = policy_tokens(args, krate);
    let when = args
        .when
        .as_ref()
        .map(|w| quote_spanned!(w.span()=> .when(#w)));
    let hook = args
        .on_retry
        .as_ref()
        .map(|h| quote_spanned!(h.span()=> .on_retry(#h)));
    let hint = args
        .retry_after
        .as_ref()
        .map(|a| quote_spanned!(a.span()=> .retry_after(#a)));
    // `wrap` hands the `RetryError` to the caller; otherwise the fn keeps
    // its signature and returns the last error.
    let finish = |outcome: TokenStream| {
        if args.wrap.is_some() {
            outcome
        } else {
            quote!(#krate::__private::last_error(#outcome))
        }
    };
    if args.policy.is_some() || args.budget.is_some() {
        // A budget counts every call when it starts, so it needs the policy
        // before the first attempt: the general form.
        return finish(
            quote!(#krate::__private::retry(#policy, || #attempt) #when #hook #hint .await),
        );
    }
    // The happy path runs the first attempt alone; only when it fails is
    // the policy built and the retry state boxed, so a call that succeeds
    // costs little more than the body, and the fn's future stays small.
    let when = args.when.as_ref().map_or_else(
        || quote!(#krate::__private::always),
        |w| quote_spanned!(w.span()=> #w),
    );
    let hook = args.on_retry.as_ref().map_or_else(
        || quote!(#krate::__private::quiet),
        |h| quote_spanned!(h.span()=> #h),
    );
    let hint = args.retry_after.as_ref().map_or_else(
        || quote!(#krate::__private::no_hint),
        |a| quote_spanned!(a.span()=> #a),
    );
    let resumed = finish(quote! {
        #krate::__private::boxed(#krate::__private::resume(
            #policy,
            __async_kit_attempt,
            __async_kit_error,
            #when,
            #hook,
            #hint,
        ))
        .await
    });
    quote! {{
        let mut __async_kit_attempt = || #attempt;
        let __async_kit_first = #krate::__private::first_attempt(__async_kit_attempt()).await;
        match __async_kit_first {
            ::core::result::Result::Ok(__async_kit_value) => {
                ::core::result::Result::Ok(__async_kit_value)
            }
            ::core::result::Result::Err(__async_kit_error) => #resumed,
        }
    }}
}

/// `wrap`: `Result<T, E>` becomes `Result<T, RetryError<E>>`, so callers
/// see why the retry gave up and after how many attempts. The error type
/// must be spelled out: an alias such as `io::Result<T>` hides it.
fn wrap_output(sig: &mut syn::Signature, krate: &TokenStream, span: Span) -> syn::Result<()> {
    let ReturnType::Type(_, ty) = &mut sig.output else {
        return Err(not_result(span));
    };
    let ty_tokens = ty.to_token_stream();
    let hidden = || {
        syn::Error::new_spanned(
            &ty_tokens,
            "`#[retry(wrap)]` needs the error type spelled out, as in `Result<T, E>`: an alias like `io::Result<T>` hides the `E` to wrap in `RetryError<E>`",
        )
    };
    let Type::Path(path) = &mut **ty else {
        return Err(hidden());
    };
    let Some(last) = path.path.segments.last_mut() else {
        return Err(hidden());
    };
    let syn::PathArguments::AngleBracketed(generics) = &mut last.arguments else {
        return Err(hidden());
    };
    let mut types = generics.args.iter_mut().filter_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    let (Some(_), Some(error), None) = (types.next(), types.next(), types.next()) else {
        return Err(hidden());
    };
    let inner = error.clone();
    *error = syn::parse_quote_spanned!(span=> #krate::retry::RetryError<#inner>);
    Ok(())
}

/// `#[retry]` written above `#[timeout]`: the timeout bounds each attempt
/// and converts into the fn's error (`E: From<Elapsed>`), so the retry sees
/// a timed-out attempt as an `Err` like any other.
fn expand_over_timeout(
    args: &Args,
    krate: &TokenStream,
    attr: Attribute,
    item: &mut ItemFn,
) -> syn::Result<()> {
    let tokens = match &attr.meta {
        syn::Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    };
    let timeout: timeout_parse::Args = syn::parse2(tokens).map_err(|err| {
        if attr.meta.require_list().is_err() {
            syn::Error::new_spanned(&attr, err.to_string())
        } else {
            err
        }
    })?;
    if timeout.mode == Some(Mode::Wrap) {
        return Err(syn::Error::new_spanned(
            &attr,
            "under `#[retry]`, each attempt's timeout becomes the fn's error: drop `wrap`, and give the error type `From<async_kit::Elapsed>`",
        ));
    }
    let timeout_krate = match &timeout.krate {
        Some(path) => path.to_token_stream(),
        None => krate.clone(),
    };
    let ret = result_type(&item.sig.output, &item.sig)?;
    let limit = limit_tokens(&timeout.limit, &timeout_krate);
    let hint = output_hint(&ret);
    let stmts = &item.block.stmts;
    let bounded = quote!(
        #timeout_krate::__private::timeout(__async_kit_limit, async { #hint #(#stmts)* }).await
    );
    let flattened = flatten_at(&timeout_krate, ret.span(), bounded);
    let attempt = quote!(async { #flattened });
    let call = retry_call(args, krate, &attempt);
    // The attribute is consumed here, not expanded: name its path once, so
    // an import of it still counts as used.
    let path = attr.path();
    item.block = syn::parse_quote!({
        #[allow(unused_imports)]
        use #path as _;
        let __async_kit_limit: ::core::time::Duration = #limit;
        #call
    });
    Ok(())
}

/// The async block that `#[timeout]`'s expansion bounds, found in the block
/// it generated: `{ let __async_kit_limit = ..; ..timeout(__async_kit_limit,
/// async move { .. }).await.. }`.
fn timeout_inner(block: &mut Block) -> Option<&mut ExprAsync> {
    let first_is_limit = matches!(
        block.stmts.first(),
        Some(Stmt::Local(local)) if matches!(&local.pat, syn::Pat::Type(t)
            if matches!(&*t.pat, syn::Pat::Ident(i) if i.ident == "__async_kit_limit"))
    );
    if !first_is_limit {
        return None;
    }
    timeout_stmts(block)
}

fn find_timeout_call(expr: &mut Expr) -> Option<&mut ExprAsync> {
    match expr {
        Expr::Await(a) => find_timeout_call(&mut a.base),
        Expr::Block(b) => timeout_stmts(&mut b.block),
        Expr::Call(call) => {
            let is_timeout = matches!(&*call.func, Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "timeout"));
            if !is_timeout {
                return None;
            }
            match call.args.iter_mut().nth(1) {
                Some(Expr::Async(inner)) => Some(inner),
                _ => None,
            }
        }
        _ => None,
    }
}

fn timeout_stmts(block: &mut Block) -> Option<&mut ExprAsync> {
    block.stmts.iter_mut().find_map(|stmt| match stmt {
        Stmt::Expr(expr, _) => find_timeout_call(expr),
        Stmt::Local(local) => local
            .init
            .as_mut()
            .and_then(|init| find_timeout_call(&mut init.expr)),
        _ => None,
    })
}

/// The async block inside `#[async_trait]`'s `Box::pin(async move { .. })`.
fn boxed_inner(block: &mut Block) -> Option<&mut ExprAsync> {
    let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last_mut() else {
        return None;
    };
    match call.args.first_mut() {
        Some(Expr::Async(inner)) => Some(inner),
        _ => None,
    }
}
