//! Keeping exported CSV cells from running as spreadsheet formulas (OWASP's "CSV injection" advice).
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula, and some also treat a
//! leading tab or carriage return that way. Resource names and tags come from users of the cloud
//! account, so an exported report can carry `=HYPERLINK(...)` into a finance team's spreadsheet.
//! [`neutralise_formula`] puts a `'` before such a cell, which spreadsheets show as text.

use std::borrow::Cow;

/// `cell`, with a `'` put in front when a spreadsheet would run it as a formula. A plain number such
/// as `-12.5` or `+3e2` is left alone: spreadsheets read it as a number, never as a formula, and
/// quoting it would turn a credit into text.
pub fn neutralise_formula(cell: &str) -> Cow<'_, str> {
    let risky = matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if risky && !is_plain_number(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Digits with an optional sign, point and exponent, and nothing else (so not `-1+2` or `-inf`).
fn is_plain_number(cell: &str) -> bool {
    cell.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && cell.bytes().any(|b| b.is_ascii_digit())
        && cell.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::neutralise_formula;

    #[test]
    fn formulas_are_quoted_and_numbers_and_text_are_not() {
        for (cell, out) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-inf", "'-inf"),
            ("-", "'-"),
            ("-12.5", "-12.5"),
            ("+3e2", "+3e2"),
            ("web-1", "web-1"),
            ("", ""),
            ("a=b", "a=b"),
        ] {
            assert_eq!(neutralise_formula(cell), out, "{cell:?}");
        }
    }
}
