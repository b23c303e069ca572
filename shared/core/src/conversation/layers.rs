//! Keeps the engine's modules layered (see `mod.rs`): a module uses only modules listed before it.

/// Every module of the engine, bottom-up, with its source (test modules excluded).
const LAYERS: [(&str, &str); 21] = [
    ("copy", include_str!("copy.rs")),
    ("extract", include_str!("extract.rs")),
    ("questions", include_str!("questions.rs")),
    ("state", include_str!("state.rs")),
    ("types", include_str!("types.rs")),
    ("input", include_str!("input.rs")),
    ("answer", include_str!("answer.rs")),
    ("estimate", include_str!("estimate.rs")),
    ("summary", include_str!("summary.rs")),
    ("timers", include_str!("timers.rs")),
    ("context", include_str!("context.rs")),
    ("handover", include_str!("handover.rs")),
    ("waiting", include_str!("waiting.rs")),
    ("deposit", include_str!("deposit.rs")),
    ("approval", include_str!("approval.rs")),
    ("tour", include_str!("tour.rs")),
    ("outcome", include_str!("outcome.rs")),
    ("qualifying", include_str!("qualifying.rs")),
    ("lifecycle", include_str!("lifecycle.rs")),
    ("policy", include_str!("policy.rs")),
    ("engine", include_str!("engine.rs")),
];

/// The sibling modules `source` names (`super::x`, `super::{x, y}`, `crate::conversation::x`),
/// ignoring its `#[cfg(test)]` tail.
fn uses(source: &str) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut found = Vec::new();
    for prefix in ["super::", "crate::conversation::"] {
        for (at, _) in code.match_indices(prefix) {
            let rest = &code[at + prefix.len()..];
            let group = rest
                .strip_prefix('{')
                .and_then(|g| g.split_once('}'))
                .map(|(inside, _)| inside);
            let items: Vec<&str> = match group {
                Some(inside) => inside.split(',').collect(),
                None => vec![rest],
            };
            for item in items {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        }
    }
    found
}

#[test]
fn every_module_uses_only_modules_below_it() {
    let position = |name: &str| LAYERS.iter().position(|(m, _)| *m == name);
    let mut wrong = Vec::new();
    for (at, (module, source)) in LAYERS.iter().enumerate() {
        for used in uses(source) {
            match position(&used) {
                Some(p) if p < at => {}
                Some(_) => wrong.push(format!("{module} uses {used}, which is not below it")),
                None => wrong.push(format!(
                    "{module} uses `{used}` through the engine root; name the module that defines it"
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_table_lists_every_module_of_the_engine() {
    let root = include_str!("mod.rs");
    let mut declared = Vec::new();
    let mut test_only = false;
    for line in root.lines().map(str::trim) {
        let name = line
            .strip_prefix("pub ")
            .unwrap_or(line)
            .strip_prefix("mod ")
            .and_then(|m| m.strip_suffix(';'));
        match name {
            Some(name) if !test_only => declared.push(name),
            _ => {}
        }
        test_only = line == "#[cfg(test)]";
    }
    let mut listed: Vec<&str> = LAYERS.iter().map(|(m, _)| *m).collect();
    declared.sort_unstable();
    listed.sort_unstable();
    assert_eq!(declared, listed);
}

#[test]
fn uses_reads_single_grouped_and_rooted_paths() {
    let source = "use super::context::Ctx;\nuse super::{qualifying, tour};\n\
                  fn f() { crate::conversation::state::LeadState::new(); }\n\
                  #[cfg(test)]\nmod tests { use super::*; }";
    assert_eq!(uses(source), ["context", "qualifying", "tour", "state"]);
}
