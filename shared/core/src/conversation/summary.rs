//! The summaries: the client's "here's what I've got" list and the artist's concise brief (answers,
//! estimate, deposit suggestion, references).

use super::state::{LeadState, Reference};
use crate::domain::ArtistConfig;
use std::fmt::Write;

/// One line per answer given, in catalog order.
fn answer_lines(state: &LeadState) -> Vec<String> {
    let a = &state.answers;
    let mut out = Vec::new();
    let mut line = |label: &str, v: Option<String>| {
        if let Some(v) = v {
            out.push(format!("• {label}: {v}"));
        }
    };
    line("Idea", a.idea.clone());
    line("Placement", a.placement.clone());
    line(
        "Size",
        a.dimensions
            .map(|d| format!("{} × {} cm", trim(d.width_cm), trim(d.height_cm))),
    );
    line("Style", a.style.clone());
    line("Detail", a.complexity.map(|c| format!("{c}/3")));
    line(
        "Cover-up",
        a.coverup
            .map(|c| if c { "yes".to_owned() } else { "no".to_owned() }),
    );
    line("Budget", a.budget.map(|b| b.display()));
    line(
        "Location",
        a.location.as_ref().map(|l| {
            let parts: Vec<&str> = [l.city.as_deref(), l.country.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            match (parts.is_empty(), l.flexible) {
                (true, _) => "flexible".to_owned(),
                (false, true) => format!("{} (flexible)", parts.join(", ")),
                (false, false) => parts.join(", "),
            }
        }),
    );
    line("Instagram", a.instagram.as_ref().map(|h| format!("@{h}")));
    line("Would travel to", a.travel_city.clone());
    line("Timing", a.timing.clone());
    out
}

/// 10.0 → "10", 12.5 → "12.5".
fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_owned)
}

/// The client's summary list.
pub fn client_summary(state: &LeadState) -> String {
    answer_lines(state).join("\n")
}

/// How the artist sees the client: their name, or "A client".
pub fn client_label(state: &LeadState) -> String {
    state.name.clone().unwrap_or_else(|| "A client".to_owned())
}

/// The artist's brief: answers, estimate and deposit suggestion, references.
pub fn artist_brief(state: &LeadState, _artist: &ArtistConfig) -> String {
    let mut out = answer_lines(state).join("\n");
    if let Some(e) = &state.estimate {
        let _ = write!(out, "\n• Estimate: {}", e.category.as_str());
        if let Some(days) = e.days {
            let _ = write!(out, " (~{days} days)");
        }
        if !e.bumped_for.is_empty() {
            let _ = write!(out, ", bumped for {}", e.bumped_for.join(", "));
        }
        let _ = write!(out, " · suggested deposit {}", e.deposit.display());
    }
    let images = state
        .references
        .iter()
        .filter(|r| matches!(r, Reference::Image { .. }))
        .count();
    let links: Vec<&str> = state
        .references
        .iter()
        .filter_map(|r| match r {
            Reference::Link { url, .. } => Some(url.as_str()),
            Reference::Image { .. } => None,
        })
        .collect();
    if images + links.len() > 0 {
        let _ = write!(out, "\n• References: {images} photo(s)");
        for l in links {
            let _ = write!(out, "\n  {l}");
        }
    }
    if out.is_empty() {
        "(no answers yet)".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::estimate::estimate;
    use crate::domain::{Currency, Money};
    use crate::parse::Dimensions;

    #[test]
    fn the_brief_names_answers_estimate_deposit_and_references() {
        let artist = ArtistConfig::demo();
        let mut s = LeadState::new();
        s.answers.idea = Some("rose".into());
        s.answers.dimensions = Some(Dimensions {
            width_cm: 10.0,
            height_cm: 12.5,
        });
        s.answers.budget = Some(Money::new(50_000, Currency::GBP));
        s.estimate = estimate(&s.answers, &artist);
        s.references.push(Reference::Link {
            url: "https://x.test/a".into(),
            at: chrono::Utc::now(),
        });
        let brief = artist_brief(&s, &artist);
        for want in [
            "• Idea: rose",
            "10 × 12.5 cm",
            "£500",
            "MEDIUM",
            "deposit £150",
            "https://x.test/a",
        ] {
            assert!(brief.contains(want), "{want} missing from {brief}");
        }
        assert!(client_summary(&s).contains("• Budget: £500"));
        assert_eq!(artist_brief(&LeadState::new(), &artist), "(no answers yet)");
    }
}
