//! Small parsers: yes/no, complexity 1–3, Instagram handles, slot choices.

/// "yes", "yeah 👍", "nope" → true/false.
pub fn yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "yes" | "y" => Some(true),
        "no" | "n" => Some(false),
        _ => None,
    }
}

/// "1", "2", "3" (or words) → complexity.
pub fn complexity(text: &str) -> Option<u8> {
    match text.trim() {
        "1" => Some(1),
        "2" => Some(2),
        "3" => Some(3),
        _ => None,
    }
}

/// "@Sam.Ink" or an instagram.com URL → `sam.ink`.
pub fn instagram(text: &str) -> Option<String> {
    let h = text.trim().trim_start_matches('@').to_lowercase();
    (!h.is_empty()).then_some(h)
}

/// The chosen option `1..=options`.
pub fn slot(text: &str, options: usize) -> Option<usize> {
    let n: usize = text.trim().parse().ok()?;
    (1..=options).contains(&n).then_some(n)
}
