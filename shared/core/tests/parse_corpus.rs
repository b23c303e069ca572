//! Runs every line of `data/parse_corpus.tsv` (field, client text, expected JSON) through
//! `inkline parse`'s `to_json` and lists every mismatch at once.
//!
//! The field column is a FIELD of `inkline parse`; `slot:N` means `slot` with `--options N`.
//! In the text column `\t`, `\n` and `\\` are escapes. Blank lines and `#` comments are skipped.

use inkline_core::parse::to_json;
use serde_json::Value;

const CORPUS: &str = include_str!("data/parse_corpus.tsv");

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[test]
fn corpus_lines_parse_as_expected() {
    let mut checked = 0;
    let mut problems: Vec<String> = Vec::new();
    for (i, line) in CORPUS.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [field, text, expected] = cols.as_slice() else {
            problems.push(format!(
                "line {line_no}: expected 3 tab-separated columns, got {}",
                cols.len()
            ));
            continue;
        };
        let (field, options) = match field.split_once(':') {
            Some((f, n)) => match n.parse::<usize>() {
                Ok(n) => (f, Some(n)),
                Err(_) => {
                    problems.push(format!("line {line_no}: bad options in {field:?}"));
                    continue;
                }
            },
            None => (*field, None),
        };
        let want: Value = match serde_json::from_str(expected) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!(
                    "line {line_no}: expected column is not JSON ({e}): {expected}"
                ));
                continue;
            }
        };
        let text = unescape(text);
        checked += 1;
        match to_json(field, &text, options) {
            Ok(got) if got == want => {}
            Ok(got) => problems.push(format!(
                "line {line_no}: {field} {text:?}\n    want {want}\n    got  {got}"
            )),
            Err(e) => problems.push(format!("line {line_no}: {e}")),
        }
    }
    println!(
        "checked {checked} corpus lines, {} mismatches",
        problems.len()
    );
    assert!(
        checked >= 200,
        "the corpus should hold at least 200 lines, has {checked}"
    );
    assert!(
        problems.is_empty(),
        "{} of {checked} corpus lines failed:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
