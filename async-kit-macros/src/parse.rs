//! Parsing of `#[timeout(..)]`'s arguments and of the item it is put on.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::{Attribute, Block, Expr, ExprLit, ExprUnary, Lit, Signature, Token, UnOp, Visibility};

mod kw {
    syn::custom_keyword!(wrap);
    syn::custom_keyword!(convert);
}

const FORMS: &str = "expected a duration: `500ms`, `2s`, `1m`, `1h`, `250us`, `\"1.5s\"`, or an expression of type `Duration`";
const OPTIONS: &str = "expected `wrap`, `convert` or `crate = path`";

/// How the fn's return type carries a timeout.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `-> T` becomes `-> Result<T, Elapsed>`.
    Wrap,
    /// `-> Result<T, E>` stays, and a timeout returns `Err(E::from(elapsed))`.
    Convert,
}

/// The duration argument.
pub(crate) enum Limit {
    /// A literal, checked and converted at compile time.
    Const { secs: u64, nanos: u32, span: Span },
    /// Any other expression, evaluated once per call.
    Expr(Box<Expr>),
}

/// Everything between the parentheses of `#[timeout(..)]`.
pub(crate) struct Args {
    pub(crate) limit: Limit,
    pub(crate) mode: Option<Mode>,
    pub(crate) krate: Option<syn::Path>,
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                format!("missing duration in `#[timeout]`: {FORMS}"),
            ));
        }
        let limit = parse_limit(input.parse()?)?;
        let mut mode: Option<(Mode, Span)> = None;
        let mut krate: Option<syn::Path> = None;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::wrap) || lookahead.peek(kw::convert) {
                let (new, span) = if input.peek(kw::wrap) {
                    (Mode::Wrap, input.parse::<kw::wrap>()?.span)
                } else {
                    (Mode::Convert, input.parse::<kw::convert>()?.span)
                };
                if let Some((old, _)) = mode {
                    let msg = if old == new {
                        "duplicate option"
                    } else {
                        "`wrap` and `convert` cannot be used together"
                    };
                    return Err(syn::Error::new(span, msg));
                }
                mode = Some((new, span));
            } else if lookahead.peek(Token![crate]) {
                let key = input.parse::<Token![crate]>()?;
                input.parse::<Token![=]>()?;
                let path = input.call(syn::Path::parse_mod_style)?;
                if krate.is_some() {
                    return Err(syn::Error::new(key.span, "duplicate option `crate`"));
                }
                krate = Some(path);
            } else if input.peek(syn::Ident) {
                let ident: syn::Ident = input.parse()?;
                return Err(syn::Error::new_spanned(
                    ident,
                    format!("unknown option: {OPTIONS}"),
                ));
            } else {
                return Err(lookahead.error());
            }
        }
        Ok(Args {
            limit,
            mode: mode.map(|(m, _)| m),
            krate,
        })
    }
}

fn parse_limit(expr: Expr) -> syn::Result<Limit> {
    match &expr {
        Expr::Lit(ExprLit { lit, .. }) => parse_lit(lit),
        Expr::Unary(ExprUnary {
            op: UnOp::Neg(_),
            expr: inner,
            ..
        }) if matches!(**inner, Expr::Lit(_)) => Err(syn::Error::new_spanned(
            &expr,
            "a timeout must be a positive duration",
        )),
        _ => Ok(Limit::Expr(Box::new(expr))),
    }
}

fn parse_lit(lit: &Lit) -> syn::Result<Limit> {
    let span = lit.span();
    let nanos = lit_nanos(lit)?;
    if nanos == 0 {
        return Err(syn::Error::new(
            span,
            "a timeout of zero would always fire: use a positive duration",
        ));
    }
    let secs = u64::try_from(nanos / 1_000_000_000)
        .map_err(|_| syn::Error::new(span, "duration is too large"))?;
    let nanos = (nanos % 1_000_000_000) as u32;
    Ok(Limit::Const { secs, nanos, span })
}

/// The nanoseconds a duration literal (`500ms`, `1.5s`, `"1m30s"`) stands
/// for, or a spanned error listing the accepted forms.
pub(crate) fn lit_nanos(lit: &Lit) -> syn::Result<u128> {
    let span = lit.span();
    Ok(match lit {
        Lit::Int(int) => {
            let unit = int.suffix();
            if unit.is_empty() {
                return Err(syn::Error::new(
                    span,
                    format!("a duration literal needs a unit: {FORMS}"),
                ));
            }
            to_nanos(int.base10_digits(), unit).map_err(|msg| syn::Error::new(span, msg))?
        }
        Lit::Float(float) => {
            let unit = float.suffix();
            if unit.is_empty() {
                return Err(syn::Error::new(
                    span,
                    format!("a duration literal needs a unit: {FORMS}"),
                ));
            }
            to_nanos(float.base10_digits(), unit).map_err(|msg| syn::Error::new(span, msg))?
        }
        Lit::Str(s) => parse_str(&s.value()).map_err(|msg| syn::Error::new(span, msg))?,
        _ => return Err(syn::Error::new(span, FORMS)),
    })
}

/// Nanoseconds in one `unit`.
fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Converts a decimal number (`"1.5"`, `"20"`) of `unit` to nanoseconds,
/// exactly, rounding sub-nanosecond fractions down.
fn to_nanos(number: &str, unit: &str) -> Result<u128, String> {
    let per_unit = unit_nanos(unit).ok_or_else(|| {
        format!("unknown unit `{unit}`: expected `ns`, `us`, `ms`, `s`, `m` or `h`")
    })?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_ok(whole) || !digits_ok(fraction) || fraction.len() > 18 {
        return Err(format!("malformed number `{number}`"));
    }
    let too_large = || "duration is too large".to_string();
    let whole: u128 = whole.parse().map_err(|_| too_large())?;
    let mut total = whole.checked_mul(per_unit).ok_or_else(too_large)?;
    if !fraction.is_empty() {
        let scale = 10u128.pow(fraction.len() as u32);
        let fraction: u128 = fraction.parse().map_err(|_| too_large())?;
        total = total
            .checked_add(fraction * per_unit / scale)
            .ok_or_else(too_large)?;
    }
    if total > u128::from(u64::MAX) * 1_000_000_000 {
        return Err(too_large());
    }
    Ok(total)
}

/// Parses `"1.5s"`, `"500ms"`, `"1m 30s"`, `"1h30m"`.
fn parse_str(text: &str) -> Result<u128, String> {
    let malformed = || {
        format!(
            "malformed duration string {text:?}: expected numbers with units, as in \"1.5s\", \"500ms\" or \"1m30s\""
        )
    };
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(malformed());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(malformed)?;
        let (number, after) = rest.split_at(number_len);
        let unit_len = after
            .find(|c: char| c.is_ascii_digit() || c == '.' || c.is_whitespace())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        if number.is_empty() || unit.is_empty() {
            return Err(malformed());
        }
        unit_nanos(unit).ok_or_else(malformed)?;
        total = total
            .checked_add(to_nanos(number, unit).map_err(|_| malformed())?)
            .ok_or_else(malformed)?;
        rest = after.trim_start();
    }
    Ok(total)
}

/// An fn item, as written at the top level, in an `impl` or in a trait.
pub(crate) struct ItemFn {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) sig: Signature,
    pub(crate) block: Block,
}

impl Parse for ItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input.parse()?;
        if input.peek(Token![;]) {
            return Err(syn::Error::new_spanned(
                &sig,
                "`#[timeout]` needs a body to bound: put it on the trait's impls, or give the method a default body",
            ));
        }
        let block: Block = input.parse()?;
        Ok(ItemFn {
            attrs,
            vis,
            sig,
            block,
        })
    }
}

/// The error for an item that is not an fn at all.
pub(crate) fn not_a_fn(item: &TokenStream) -> syn::Error {
    syn::Error::new_spanned(
        item,
        "`#[timeout]` can only be used on an `async fn` (a free fn, a method, or a trait method with a body)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_units() {
        assert_eq!(to_nanos("500", "ms"), Ok(500_000_000));
        assert_eq!(to_nanos("1.5", "s"), Ok(1_500_000_000));
        assert_eq!(to_nanos("250", "us"), Ok(250_000));
        assert_eq!(to_nanos("2", "h"), Ok(7_200_000_000_000));
        assert!(
            to_nanos("5", "parsecs")
                .unwrap_err()
                .contains("unknown unit")
        );
    }

    #[test]
    fn strings() {
        assert_eq!(parse_str("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_str("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_str("1m 30s"), Ok(90_000_000_000));
        assert_eq!(parse_str(" 20ms "), Ok(20_000_000));
        for bad in [
            "",
            "s",
            "10",
            "1.5",
            "1..5s",
            "ten seconds",
            "5 s",
            "3parsecs",
            "1.s5",
        ] {
            assert!(parse_str(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
