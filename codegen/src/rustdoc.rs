//! Spec text made safe for rustdoc. Descriptions are Markdown written for API docs, where `[x]` is
//! text, `<string>` is a placeholder and a bare URL is fine; rustdoc reads `[x]` as an intra-doc
//! link, `<string>` as an unclosed HTML tag, and warns about bare URLs, and CI denies warnings. So
//! every piece of spec text that becomes a doc comment goes through [`rustdoc_safe`]: inline links
//! `[text](url)`, autolinks `<https://..>` and code spans are kept as written; other brackets and
//! angle brackets are escaped; bare URLs are wrapped in `<..>`.

use openapiv3::OpenAPI;

/// `text` with brackets and angle brackets escaped and bare URLs made autolinks, except inside code
/// spans, inline links and autolinks.
pub fn rustdoc_safe(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let rest = &chars[i..];
        match c {
            '\\' if i + 1 < chars.len() => {
                out.push(c);
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                // A code span: from a run of backticks to the next run of the same length.
                let run = rest.iter().take_while(|&&b| b == '`').count();
                let end = find_backtick_run(&chars, i + run, run);
                let stop = end.map_or(i + run, |e| e + run);
                out.extend(&chars[i..stop]);
                i = stop;
            }
            '[' => match inline_link_end(&chars, i) {
                Some(end) => {
                    out.extend(&chars[i..end]);
                    i = end;
                }
                None => {
                    out.push_str("\\[");
                    i += 1;
                }
            },
            ']' => {
                out.push_str("\\]");
                i += 1;
            }
            '<' => match autolink_end(&chars, i) {
                Some(end) => {
                    out.extend(&chars[i..end]);
                    i = end;
                }
                None => {
                    out.push_str("\\<");
                    i += 1;
                }
            },
            '>' => {
                out.push_str("\\>");
                i += 1;
            }
            'h' if starts_url(rest) && (i == 0 || !chars[i - 1].is_alphanumeric()) => {
                let mut end = i;
                while end < chars.len()
                    && !chars[end].is_whitespace()
                    && !"<>\"'`)]".contains(chars[end])
                {
                    end += 1;
                }
                while end > i && ".,;:!?".contains(chars[end - 1]) {
                    end -= 1;
                }
                out.push('<');
                out.extend(&chars[i..end]);
                out.push('>');
                i = end;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn starts_url(rest: &[char]) -> bool {
    let text: String = rest.iter().take(8).collect();
    text.starts_with("http://") || text.starts_with("https://")
}

/// Where the next run of exactly `run` backticks starts, from `from`.
fn find_backtick_run(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '`' {
            let len = chars[i..].iter().take_while(|&&b| b == '`').count();
            if len == run {
                return Some(i);
            }
            i += len;
        } else {
            i += 1;
        }
    }
    None
}

/// The end (exclusive) of an inline link `[text](target)` starting at `start`, on one line.
fn inline_link_end(chars: &[char], start: usize) -> Option<usize> {
    let close = (start + 1..chars.len()).find(|&j| matches!(chars[j], ']' | '[' | '\n'))?;
    if chars[close] != ']' || chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = (close + 2..chars.len()).find(|&j| matches!(chars[j], ')' | '\n' | ' '))?;
    (chars[end] == ')').then_some(end + 1)
}

/// The end (exclusive) of an autolink `<https://..>` or `<mailto:..>` starting at `start`.
fn autolink_end(chars: &[char], start: usize) -> Option<usize> {
    let rest: String = chars[start + 1..].iter().take(8).collect();
    if !(rest.starts_with("http://") || rest.starts_with("https://") || rest.starts_with("mailto:"))
    {
        return None;
    }
    let end = (start + 1..chars.len()).find(|&j| matches!(chars[j], '>' | ' ' | '\n' | '<'))?;
    (chars[end] == '>').then_some(end + 1)
}

/// The spec with every `description` and `summary` text made [`rustdoc_safe`]; examples and
/// defaults (data, not prose) are left as they are.
pub fn descriptions_for_rustdoc(spec: &OpenAPI) -> Result<OpenAPI, crate::CodegenError> {
    // Through serde_yaml's Value, which keeps the order of paths and schemas (serde_json's sorts them).
    let failed = |e: serde_yaml::Error| crate::CodegenError::Unsupported {
        location: "step descriptions_for_rustdoc".into(),
        message: format!("the spec did not survive its round trip through YAML values: {e}"),
    };
    let mut value = serde_yaml::to_value(spec).map_err(failed)?;
    make_prose_safe(&mut value);
    serde_yaml::from_value(value).map_err(failed)
}

fn make_prose_safe(value: &mut serde_yaml::Value) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (key, inner) in map.iter_mut() {
                match (key.as_str(), inner) {
                    (Some("description" | "summary"), serde_yaml::Value::String(text)) => {
                        *text = rustdoc_safe(text);
                    }
                    (Some("example" | "examples" | "default" | "enum"), _) => {}
                    (_, inner) => make_prose_safe(inner),
                }
            }
        }
        serde_yaml::Value::Sequence(items) => items.iter_mut().for_each(make_prose_safe),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::rustdoc_safe;

    #[test]
    fn links_code_and_autolinks_are_kept_the_rest_escaped() {
        assert_eq!(
            rustdoc_safe(
                "See [the docs](https://gcore.com/docs) or <https://api.gcore.com>; a bare URL \
                 https://api.gcore.com/cloud/v1/regions, a <string>, [brackets], [a][b], items[0], \
                 `code [x] <y>` and ``a ` b``."
            ),
            "See [the docs](https://gcore.com/docs) or <https://api.gcore.com>; a bare URL \
             <https://api.gcore.com/cloud/v1/regions>, a \\<string\\>, \\[brackets\\], \\[a\\]\\[b\\], \
             items\\[0\\], `code [x] <y>` and ``a ` b``."
        );
        // Already escaped text and plain prose are unchanged.
        assert_eq!(rustdoc_safe("a \\[b\\] c"), "a \\[b\\] c");
        assert_eq!(
            rustdoc_safe("Rows per page (1-1000)."),
            "Rows per page (1-1000)."
        );
    }
}
