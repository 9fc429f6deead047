//! Code generation for `#[timeout]`.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{
    Block, Expr, GenericArgument, Pat, PathArguments, ReturnType, Stmt, Type, TypeParamBound,
};

use crate::parse::{Args, ItemFn, Limit, Mode};

/// The whole of `#[timeout(args)] item`, on `proc_macro2` tokens so that
/// the fuzz target (`fuzz/`) can drive it outside a compiler: the expansion,
/// or the item unchanged behind a spanned `compile_error!`.
pub(crate) fn timeout_attribute(args: TokenStream, item: TokenStream) -> TokenStream {
    let result = syn::parse2::<Args>(args).and_then(|args| {
        let parsed = syn::parse2::<ItemFn>(item.clone()).map_err(|err| {
            if looks_like_fn(&item) {
                err
            } else {
                crate::parse::not_a_fn(&item)
            }
        })?;
        timeout(args, parsed)
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

fn looks_like_fn(item: &TokenStream) -> bool {
    item.clone()
        .into_iter()
        .any(|tt| matches!(tt, proc_macro2::TokenTree::Ident(ref i) if i == "fn"))
}

pub(crate) fn timeout(args: Args, mut item: ItemFn) -> syn::Result<TokenStream> {
    let krate = match &args.krate {
        Some(path) => path.to_token_stream(),
        None => quote!(::async_kit),
    };
    let limit = limit_tokens(&args.limit, &krate);

    if item.sig.asyncness.is_some() {
        expand_async_fn(&args, &krate, &limit, &mut item);
    } else if let Some(output) = async_trait_output(&item.sig.output) {
        // `#[async_trait]` ran first and turned the `async fn` into a fn
        // returning `Pin<Box<dyn Future<Output = R> + ..>>`.
        expand_boxed(&args, &krate, &limit, output, &mut item.block)?;
    } else if test_body(&mut item.block).is_some() {
        // `#[tokio::test]` ran first: its fn builds `let body = async {..}`
        // and blocks on it.
        expand_test(&krate, &limit, &mut item);
    } else {
        let fn_token = &item.sig.fn_token;
        let ident = &item.sig.ident;
        return Err(syn::Error::new_spanned(
            quote!(#fn_token #ident),
            format!(
                "`#[timeout]` bounds the run time of an `async fn`, but `{ident}` is not async: write `async fn`"
            ),
        ));
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

/// `flatten(outcome)`, with every token of the call spanned at the return
/// type, so that a missing `From<Elapsed>` is reported there.
fn flatten_at(krate: &TokenStream, span: Span, outcome: TokenStream) -> TokenStream {
    let krate = respan(krate, span);
    quote_spanned! {span=>
        {
            let __async_kit_outcome = #outcome;
            #krate::__private::flatten(__async_kit_outcome)
        }
    }
}

/// `tokens` with every span set to `span`.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut tt| {
            tt.set_span(span);
            tt
        })
        .collect()
}

fn limit_tokens(limit: &Limit, krate: &TokenStream) -> TokenStream {
    match limit {
        Limit::Const { secs, nanos, span } => {
            quote_spanned!(*span=> #krate::__private::Duration::new(#secs, #nanos))
        }
        Limit::Expr(expr) => {
            quote_spanned!(expr.span()=> {
                let __async_kit_limit: #krate::__private::Duration = #expr;
                __async_kit_limit
            })
        }
    }
}

fn prepend_limit(block: &mut Block, limit: &TokenStream) {
    let stmt: Stmt = syn::parse_quote! {
        let __async_kit_limit: ::core::time::Duration = #limit;
    };
    block.stmts.insert(0, stmt);
}

/// Chooses how a timeout shows in the return type: the option, or else a
/// return type whose last path segment is `Result` keeps its signature.
fn mode(args: &Args, output: &ReturnType) -> Mode {
    args.mode.unwrap_or_else(|| match output {
        ReturnType::Type(_, ty) if is_result(ty) => Mode::Convert,
        _ => Mode::Wrap,
    })
}

fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p
            .path
            .segments
            .last()
            .is_some_and(|seg| seg.ident == "Result"),
        Type::Paren(p) => is_result(&p.elem),
        Type::Group(g) => is_result(&g.elem),
        _ => false,
    }
}

fn contains_impl_trait(ty: &Type) -> bool {
    ty.to_token_stream()
        .into_iter()
        .any(|tt| matches!(tt, proc_macro2::TokenTree::Ident(ref i) if i == "impl"))
        || matches!(ty, Type::ImplTrait(_))
}

/// A statement that fixes an async block's output type to `ty`, so `?` and
/// `return` inside it infer as they did in the fn. Never runs.
fn output_hint(ty: &Type) -> TokenStream {
    if contains_impl_trait(ty) {
        return TokenStream::new();
    }
    quote! {
        #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::needless_return)]
        if false {
            let __async_kit_never: #ty = loop {};
            return __async_kit_never;
        }
    }
}

/// The expression bounding `inner` (an async block whose output is the fn's
/// declared type), given how the result is carried.
fn bounded(krate: &TokenStream, mode: Mode, ret: Option<&Type>, inner: TokenStream) -> TokenStream {
    let call = quote!(#krate::__private::timeout(__async_kit_limit, #inner).await);
    match mode {
        Mode::Wrap => call,
        Mode::Convert => {
            // The whole call carries the return type's span, so a missing
            // `From<Elapsed>` is reported there.
            let span = ret.map_or_else(Span::call_site, Spanned::span);
            flatten_at(krate, span, call)
        }
    }
}

fn expand_async_fn(args: &Args, krate: &TokenStream, limit: &TokenStream, item: &mut ItemFn) {
    let mode = mode(args, &item.sig.output);
    let ret: Option<Type> = match &item.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    let hint = ret.as_ref().map(output_hint);
    let stmts = &item.block.stmts;
    let inner = quote!(async move { #hint #(#stmts)* });
    let body = bounded(krate, mode, ret.as_ref(), inner);

    if mode == Mode::Wrap {
        let arrow = match &item.sig.output {
            ReturnType::Type(arrow, _) => *arrow,
            ReturnType::Default => syn::Token![->](item.sig.paren_token.span.close()),
        };
        let ty = ret.map_or_else(|| quote!(()), |t| t.to_token_stream());
        item.sig.output = ReturnType::Type(
            arrow,
            Box::new(syn::parse_quote!(
                ::core::result::Result<#ty, #krate::__private::Elapsed>
            )),
        );
    }
    item.block = syn::parse_quote!({
        let __async_kit_limit: ::core::time::Duration = #limit;
        #body
    });
}

/// `Pin<Box<dyn Future<Output = R> + ..>>` → the `R` binding, to edit.
fn async_trait_output(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let boxed = single_generic(ty, "Pin")?;
    let Type::TraitObject(object) = single_generic(boxed, "Box")? else {
        return None;
    };
    object.bounds.iter().find_map(|bound| {
        let TypeParamBound::Trait(t) = bound else {
            return None;
        };
        let seg = t.path.segments.last()?;
        if seg.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &seg.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(a) if a.ident == "Output" => Some(&a.ty),
            _ => None,
        })
    })
}

fn single_generic<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

fn expand_boxed(
    args: &Args,
    krate: &TokenStream,
    limit: &TokenStream,
    output: &Type,
    block: &mut Block,
) -> syn::Result<()> {
    let output = output.clone();
    let mode = args.mode.unwrap_or(if is_result(&output) {
        Mode::Convert
    } else {
        Mode::Wrap
    });
    if mode == Mode::Wrap {
        return Err(syn::Error::new_spanned(
            &output,
            "inside `#[async_trait]`, `#[timeout]` cannot change the return type: return a `Result` whose error implements `From<async_kit::Elapsed>`",
        ));
    }
    let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last_mut() else {
        return Err(syn::Error::new_spanned(
            &output,
            "`#[timeout]` does not recognise this boxed future",
        ));
    };
    let Some(Expr::Async(inner)) = call.args.first_mut() else {
        return Err(syn::Error::new_spanned(
            &output,
            "`#[timeout]` does not recognise this boxed future",
        ));
    };
    let original = inner.to_token_stream();
    let body = bounded(krate, Mode::Convert, Some(&output), original);
    *inner = syn::parse_quote!(async move { #body });
    prepend_limit(block, limit);
    Ok(())
}

/// Bounds the `async` block of a fn that `#[tokio::test]` expanded. Its
/// signature is fixed, so a timeout panics (for `()`) or converts into the
/// `Result`'s error.
fn expand_test(krate: &TokenStream, limit: &TokenStream, item: &mut ItemFn) {
    let name = item.sig.ident.to_string();
    let ret = match &item.sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some((**ty).clone()),
    };
    let Some(body) = test_body(&mut item.block) else {
        return;
    };
    let inner = std::mem::replace(body, Expr::Verbatim(TokenStream::new()));
    let call = quote!(#krate::__private::timeout(__async_kit_limit, #inner).await);
    let wrapped = match ret {
        None => quote! {
            #krate::__private::expect_in_time(#call, #name, __async_kit_limit)
        },
        Some(ty) => flatten_at(krate, ty.span(), call),
    };
    *body = syn::parse_quote!(async move { #wrapped });
    prepend_limit(&mut item.block, limit);
}

/// The `async` block of a fn that `#[tokio::test]` (or `#[tokio::main]`)
/// already expanded: `let body = async { .. };`.
fn test_body(block: &mut Block) -> Option<&mut Expr> {
    block.stmts.iter_mut().find_map(|stmt| match stmt {
        Stmt::Local(local) => {
            let Pat::Ident(pat) = &local.pat else {
                return None;
            };
            if pat.ident != "body" {
                return None;
            }
            let init = local.init.as_mut()?;
            matches!(*init.expr, Expr::Async(_)).then_some(&mut *init.expr)
        }
        _ => None,
    })
}
