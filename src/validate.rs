//! Checks made before any request is sent. The spec's types already enforce what they can
//! (`limit >= 1` is a `NonZeroU64`, `year_month` is a pattern-checked string, enums are enums). For
//! every request body schema, and every GET's query struct, the generator writes an `impl Validate`
//! from the schemas' constraints and the `x-gcore-checks` of the schema or operation ([`Check`],
//! [`check_fields`]): nothing here is written per operation.

use chrono::{DateTime, Utc};

/// A request that can be checked before it is sent.
pub trait Validate {
    /// `Err` with a sentence saying what is wrong.
    fn validate(&self) -> Result<(), String>;
}

/// What the spec asks of one field of a request, checked before it is sent. The generator writes
/// these from each request schema's constraints (`minimum`, `maximum`, `minItems`, `maxItems`,
/// `minLength`, `maxLength`, `format: int64`, `format: date-time`) and from its `x-gcore-checks`
/// (rules between fields that JSON Schema cannot say).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// At least this number.
    Minimum(f64),
    /// At most this number.
    Maximum(f64),
    /// Between these numbers, inclusive.
    Between(f64, f64),
    /// Fits a signed 64-bit integer.
    Int64,
    /// An RFC 3339 time with a four-digit year.
    Year4,
    /// At least this many items.
    MinItems(u64),
    /// At most this many items.
    MaxItems(u64),
    /// At least this many characters.
    MinLength(u64),
    /// At most this many characters.
    MaxLength(u64),
    /// A time after the time in the named field (when both are set).
    After(&'static str),
    /// A time at most this many days after the time in the named field (when both are set).
    WithinDaysOf(&'static str, i64),
}

/// One generated check: a field path (`offset`, `resources[].resource_value`) and what it must be.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct FieldCheck {
    /// The path; `[]` steps into every item of an array.
    pub path: &'static str,
    /// The check.
    pub check: Check,
}

/// Runs generated checks on a request, as it would be sent. `Err` names the field and the rule.
#[doc(hidden)]
pub fn check_fields<T: serde::Serialize>(request: &T, checks: &[FieldCheck]) -> Result<(), String> {
    // Through bytes rather than `to_value`: the request's serializer for bytes is the one sending
    // it uses, so the crate compiles one serializer per request type, not two.
    let written = serde_json::to_vec(request).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_slice(&written).map_err(|e| e.to_string())?;
    for check in checks {
        let mut found = Vec::new();
        values_at(&value, check.path, String::new(), &mut found);
        for (path, field) in found {
            check_one(&value, &path, field, check.check)?;
        }
    }
    Ok(())
}

/// Every value at `path` (absent and null ones skipped), with its concrete path.
fn values_at<'a>(
    value: &'a serde_json::Value,
    path: &str,
    prefix: String,
    found: &mut Vec<(String, &'a serde_json::Value)>,
) {
    let (step, rest) = match path.split_once('.') {
        Some((step, rest)) => (step, Some(rest)),
        None => (path, None),
    };
    let (name, each) = match step.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (step, false),
    };
    let Some(field) = value.get(name).filter(|v| !v.is_null()) else {
        return;
    };
    let here = if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    };
    let items: Vec<(String, &serde_json::Value)> = match (each, field.as_array()) {
        (true, Some(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{here}[{i}]"), item))
            .collect(),
        (true, None) => return,
        (false, _) => vec![(here, field)],
    };
    for (path, item) in items {
        match rest {
            Some(rest) => values_at(item, rest, path, found),
            None => found.push((path, item)),
        }
    }
}

/// A length as u64 (lossless wherever usize is at most 64 bits; saturating elsewhere).
fn widen(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

fn number(value: &serde_json::Value) -> Option<f64> {
    value.as_f64()
}

fn time(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    value.as_str()?.parse().ok()
}

fn check_one(
    request: &serde_json::Value,
    path: &str,
    value: &serde_json::Value,
    check: Check,
) -> Result<(), String> {
    let shown = value.to_string();
    let fail = |rule: String| Err(format!("{path} must be {rule}, got {shown}"));
    match check {
        Check::Minimum(min) if number(value).is_some_and(|v| v < min) => {
            fail(format!("{min} or more"))
        }
        Check::Maximum(max) if number(value).is_some_and(|v| v > max) => {
            fail(format!("at most {max}"))
        }
        Check::Between(min, max) if number(value).is_some_and(|v| v < min || v > max) => {
            fail(format!("between {min} and {max}"))
        }
        Check::Int64 if value.is_u64() && value.as_i64().is_none() => {
            fail(format!("at most {} (int64)", i64::MAX))
        }
        Check::MinItems(min) if value.as_array().is_some_and(|a| widen(a.len()) < min) => {
            Err(format!("{path} must have at least {min} item(s)"))
        }
        Check::MaxItems(max) if value.as_array().is_some_and(|a| widen(a.len()) > max) => {
            Err(format!("{path} must have at most {max} item(s)"))
        }
        Check::MinLength(min)
            if value
                .as_str()
                .is_some_and(|s| widen(s.chars().count()) < min) =>
        {
            Err(format!("{path} must have at least {min} character(s)"))
        }
        Check::MaxLength(max)
            if value
                .as_str()
                .is_some_and(|s| widen(s.chars().count()) > max) =>
        {
            Err(format!("{path} must have at most {max} character(s)"))
        }
        Check::Year4 => {
            // chrono writes a year past 9999 as `+10000-...`, which RFC 3339 cannot say.
            let text = value.as_str().unwrap_or_default();
            if text.starts_with(['+', '-']) {
                let year: String = text
                    .chars()
                    .skip(1)
                    .take_while(char::is_ascii_digit)
                    .collect();
                let sign = if text.starts_with('-') { "-" } else { "" };
                return Err(format!(
                    "{path} must be between years 0000 and 9999 (RFC 3339), got year {sign}{year}"
                ));
            }
            Ok(())
        }
        Check::After(other) => match (time(value), request.get(other).and_then(time)) {
            (Some(this), Some(earlier)) if this <= earlier => Err(format!(
                "{path} ({}) must be after {other} ({})",
                this.to_rfc3339(),
                earlier.to_rfc3339()
            )),
            _ => Ok(()),
        },
        Check::WithinDaysOf(other, days) => {
            match (time(value), request.get(other).and_then(time)) {
                (Some(this), Some(start)) if this - start > chrono::Duration::days(days) => {
                    Err(format!("{path} must be at most {days} days after {other}"))
                }
                _ => Ok(()),
            }
        }
        _ => Ok(()),
    }
}
