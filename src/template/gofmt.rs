//! Go's `fmt` and `strconv` formatting, as templates reach them through
//! `print`, `printf`, `println` and Sprig (`quote`, `toString`, `cat`).
//! (Stub signatures: the full implementation replaces this file.)

use super::value::Value;

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let _ = args;
    format.to_string()
}

/// `fmt.Sprint(args...)`: spaces between operands when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, Value::String(_));
        if i > 0 && !is_str && !matches!(args[i - 1], Value::String(_)) {
            out.push(' ');
        }
        out.push_str(&a.to_string());
    }
    out
}

/// `fmt.Sprintln(args...)`: spaces between all operands, newline after.
pub fn sprintln(args: &[Value]) -> String {
    let parts: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    parts.join(" ") + "\n"
}

/// `strconv.Quote(s)`: `%q` of a string.
pub fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// `strconv.FormatFloat(x, fmt, prec, bits)` with `fmt` one of
/// `b e E f g G x X` and `prec` -1 for the shortest exact form.
pub fn format_float(x: f64, fmt: u8, prec: i32, bits: u32) -> String {
    let _ = (fmt, prec, bits);
    super::value::format_float_g(x)
}
