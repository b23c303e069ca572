//! Every sentence the bot says: looked up by key in `catalog.toml`, overridable per artist through
//! `ArtistConfig.copy`, with `{artist}`, `{name}` and call-specific placeholders filled in.

use crate::domain::ArtistConfig;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

#[derive(Debug, Default, Deserialize)]
struct Catalog {
    copy: BTreeMap<String, String>,
}

/// Parsed once per process; a test proves the embedded file parses, so the empty fallback is
/// only a guard against a panic in production.
static CATALOG: LazyLock<Catalog> =
    LazyLock::new(|| toml::from_str(include_str!("catalog.toml")).unwrap_or_default());

/// The copy for one artist and one client.
#[derive(Debug, Clone, Copy)]
pub struct Phrases<'a> {
    artist: &'a ArtistConfig,
    name: Option<&'a str>,
}

impl<'a> Phrases<'a> {
    pub fn new(artist: &'a ArtistConfig, client_name: Option<&'a str>) -> Self {
        Phrases {
            artist,
            name: client_name,
        }
    }

    /// Whether the catalog (or the artist) defines `key`.
    pub fn has(&self, key: &str) -> bool {
        self.artist.copy.contains_key(key) || CATALOG.copy.contains_key(key)
    }

    /// The text for `key` with the common placeholders filled.
    pub fn text(&self, key: &str) -> String {
        self.fill(key, &[])
    }

    /// The text for `key` with the common placeholders and `vars` filled. An unknown key yields the
    /// key itself, which the catalog test makes impossible for the keys the engine uses.
    pub fn fill(&self, key: &str, vars: &[(&str, &str)]) -> String {
        let raw = self
            .artist
            .copy
            .get(key)
            .or_else(|| CATALOG.copy.get(key))
            .map_or(key, String::as_str);
        let first_name = self.first_name();
        let mut out = raw
            .replace("{artist}", &self.artist.name)
            .replace("{name}", first_name.as_deref().unwrap_or("there"));
        for (k, v) in vars {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }

    /// The client's first name, when their WhatsApp profile name looks like one.
    fn first_name(&self) -> Option<String> {
        let first = self.name?.split_whitespace().next()?;
        first
            .chars()
            .any(char::is_alphabetic)
            .then(|| first.to_owned())
    }
}

/// Every key the catalog defines (for tests and for operators listing what can be overridden).
pub fn catalog_keys() -> impl Iterator<Item = &'static str> {
    CATALOG.copy.keys().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_parses_and_is_not_empty() {
        let parsed: Catalog = toml::from_str(include_str!("catalog.toml")).unwrap();
        assert!(parsed.copy.len() > 40);
        assert_eq!(catalog_keys().count(), parsed.copy.len());
    }

    #[test]
    fn artists_override_copy_and_placeholders_are_filled() {
        let mut artist = ArtistConfig::demo();
        let copy = Phrases::new(&artist, Some("Sam Smith"));
        assert!(copy.text("welcome").contains("Sam"));
        assert!(copy.text("welcome").contains("Demo Ink"));
        artist
            .copy
            .insert("idea.ask".into(), "Yo {name}, what are we inking?".into());
        let copy = Phrases::new(&artist, Some("Sam Smith"));
        assert_eq!(copy.text("idea.ask"), "Yo Sam, what are we inking?");
        let anon = Phrases::new(&artist, Some("📷"));
        assert_eq!(anon.text("idea.ask"), "Yo there, what are we inking?");
        assert!(
            copy.fill("budget.below_minimum", &[("min", "£400")])
                .contains("£400")
        );
    }

    #[test]
    fn no_placeholder_is_left_unfilled_in_static_copy() {
        let artist = ArtistConfig::demo();
        let copy = Phrases::new(&artist, Some("Sam"));
        for key in catalog_keys() {
            let text = copy.text(key);
            assert!(
                !text.contains("{artist}") && !text.contains("{name}"),
                "{key}"
            );
        }
    }
}
