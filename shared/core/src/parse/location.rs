//! Places: city and/or country names, demonyms and abbreviations → ISO country and region.
//!
//! How a message is read:
//! - Words are matched against [`super::places`] longest phrase first ("Northern Ireland" before
//!   "Ireland", "New Mexico" before "Mexico"), accents and case folded ("MÜNCHEN" → Munich).
//! - A named country (or state, province, UK nation) decides which of two same-named cities is
//!   meant ("Paris, Texas", "London Ontario") and wins over the city's own country.
//! - With no city or country, a nationality ("I'm German") gives the country.
//! - Names that are ordinary words ("Nice", "Reading", "US", "LA") count only when capitalised
//!   as a name, when they are the whole message, or when the named country confirms them.
//! - When nothing matches exactly, one typo (insertion, deletion, substitution or swap) is
//!   forgiven for names of five letters or more, if the first letter is right and the word is
//!   not a common English word ("Manchestr", "Lodnon"), in answers of up to eight words.
//! - "anywhere", "flexible", "happy to travel"... set `flexible`; a place named alongside is kept.
//! - "Europe" (or another continent) alone gives a region without a country.

use super::edit_distance::edit_distance;
use super::places::{
    AREAS, CAPITALISED_ONLY, CITIES, CITY_ALIASES, COUNTRIES, DEMONYMS, UPPER_CASE_ONLY,
};
use super::text::fold;
use crate::domain::Region;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::LazyLock;

/// Where the client is (or wants the tattoo done).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub region: Option<Region>,
    /// "anywhere", "flexible", "happy to travel".
    pub flexible: bool,
}

/// The longest place name, in words, that is looked up.
const MAX_WORDS: usize = 5;

/// Words after which the place named is where the client is now.
const LIVING_CUES: &[&str] = &[
    "live",
    "living",
    "based",
    "currently",
    "now",
    "moved",
    "reside",
    "residing",
    "staying",
];

/// Typos are forgiven only in short answers ("Lodnon"), where a place is what the client is typing.
const TYPO_MAX_WORDS: usize = 8;

/// Minimum length of a name (and of the typed word) for a typo to be forgiven.
const TYPO_MIN_LEN: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Entry {
    City {
        name: &'static str,
        country: &'static str,
    },
    Country(&'static str),
    Demonym(&'static str),
    Area(Region),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Casing {
    Any,
    Capitalised,
    UpperCase,
}

#[derive(Debug, Default)]
struct Index {
    by_key: HashMap<String, (Casing, Vec<Entry>)>,
}

static INDEX: LazyLock<Index> = LazyLock::new(build_index);

static FLEXIBLE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:anywhere|any where|flexible|flexi|wherever|where ever|happy to travel|willing to travel|can travel|able to travel|open to travel(?:l?ing)?|(?:happy|willing|able|can|will) to come to you|i'?ll travel|will travel|travel anywhere|don'?t mind (?:where|travel\w*)|any city|any location|no preference|not fussed|doesn'?t matter|don'?t care where)\b",
    )
    .ok()
});

/// Common English words one typo away from a place name; never read as that place.
const NOT_TYPOS: &[&str] = &[
    "based",
    "basis",
    "parts",
    "party",
    "ports",
    "posts",
    "little",
    "walls",
    "wails",
    "wakes",
    "tales",
    "males",
    "whales",
    "sales",
    "spin",
    "stain",
    "seeds",
    "leads",
    "lends",
    "needs",
    "indie",
    "chins",
    "chain",
    "perch",
    "cover",
    "diver",
    "taxes",
    "texts",
    "mains",
    "malts",
    "burger",
    "pairs",
    "paras",
    "lyons",
    "berry",
    "ferry",
    "merry",
    "essay",
    "eaten",
    "where",
    "there",
    "these",
    "those",
    "about",
    "would",
    "could",
    "should",
    "think",
    "place",
    "places",
    "travel",
    "around",
    "maybe",
    "happy",
    "really",
    "tattoo",
    "tattoos",
    "design",
    "working",
    "living",
    "moving",
    "staying",
    "visiting",
    "currently",
    "somewhere",
    "anywhere",
    "near",
    "close",
    "north",
    "south",
    "east",
    "west",
    "central",
    "city",
    "town",
    "village",
    "country",
    "home",
    "from",
    "originally",
    "melon",
    "media",
    "medal",
    "metal",
    "modal",
    "pizza",
    "plague",
    "sienna",
    "genre",
    "souls",
    "largo",
    "lingo",
    "limes",
    "lines",
    "linen",
    "turns",
    "budget",
    "brighter",
    "bright",
    "mantes",
    "spains",
    "spawn",
    "chinas",
    "spoil",
    "spits",
    "reams",
    "rhyme",
    "rooms",
    "button",
    "dinner",
    "goals",
    "justin",
    "bone",
    "bones",
    "bonne",
    "canes",
    "cares",
    "carts",
    "dollars",
    "dalles",
    "tamper",
    "tempo",
    "omega",
    "card",
    "basil",
    "frame",
    "franc",
    "trance",
    "grease",
    "green",
    "italic",
    "japes",
    "kore",
    "polar",
    "inland",
    "swish",
    "sweet",
    "steel",
    "oxfords",
    "exert",
    "chesty",
    "bristle",
    "dunham",
    "hangover",
    "porta",
    "portal",
    "perks",
    "sidney",
    "cancer",
    "stores",
    "store",
    "maples",
    "nipples",
    "apples",
    "tours",
];

fn key_of(name: &str) -> String {
    fold(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn build_index() -> Index {
    let mut index = Index::default();
    let mut add = |name: &str, entry: Entry| {
        let key = key_of(name);
        if key.is_empty() {
            return;
        }
        let slot = index
            .by_key
            .entry(key)
            .or_insert_with(|| (Casing::Any, Vec::new()));
        if !slot.1.contains(&entry) {
            slot.1.push(entry);
        }
    };
    for &(name, country) in CITIES {
        add(name, Entry::City { name, country });
    }
    for &(alias, canonical) in CITY_ALIASES {
        for &(name, country) in CITIES.iter().filter(|(n, _)| *n == canonical) {
            add(alias, Entry::City { name, country });
        }
    }
    for &(name, code) in COUNTRIES {
        add(name, Entry::Country(code));
    }
    for &(name, code) in DEMONYMS {
        add(name, Entry::Demonym(code));
    }
    for &(name, region) in AREAS {
        let region = match region {
            "UK" => Region::Uk,
            "EU" => Region::Eu,
            _ => Region::Row,
        };
        add(name, Entry::Area(region));
    }
    for name in CAPITALISED_ONLY {
        if let Some(slot) = index.by_key.get_mut(&key_of(name)) {
            slot.0 = Casing::Capitalised;
        }
    }
    for name in UPPER_CASE_ONLY {
        if let Some(slot) = index.by_key.get_mut(&key_of(name)) {
            slot.0 = Casing::UpperCase;
        }
    }
    index
}

/// One word as typed and as looked up.
#[derive(Debug)]
struct Token {
    raw: String,
    key: String,
}

fn tokens(text: &str) -> Vec<Token> {
    // "U.K.", "L.A.", "D.C." → "UK", "LA", "DC": a dot right after a lone letter is dropped.
    let chars: Vec<char> = text.chars().collect();
    let mut cleaned = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let lone_letter_before =
            i >= 1 && chars[i - 1].is_alphabetic() && (i < 2 || !chars[i - 2].is_alphanumeric());
        if c == '.' && lone_letter_before {
            continue;
        }
        cleaned.push(c);
    }
    cleaned
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .filter_map(|raw| {
            let key: String = fold(raw).chars().filter(|c| c.is_alphanumeric()).collect();
            (!key.is_empty()).then(|| Token {
                raw: raw.to_owned(),
                key,
            })
        })
        .collect()
}

#[derive(Debug)]
struct Found {
    entries: Vec<Entry>,
    /// Index of the first word of the match.
    pos: usize,
    /// Written in lower case although the name needs a capital: only a named country can confirm it.
    weak: bool,
}

/// Parses a location; None when nothing is recognised.
pub fn location(text: &str) -> Option<Location> {
    let toks = tokens(text);
    let mut found = exact_matches(&toks);
    if !found.iter().any(|f| !f.weak) && toks.len() <= TYPO_MAX_WORDS {
        found.extend(typo_matches(&toks));
    }
    let flexible = is_flexible(&fold(text));

    let strong = || {
        found
            .iter()
            .filter(|f| !f.weak)
            .flat_map(|f| f.entries.iter())
    };
    let named_country = strong().find_map(|e| match e {
        Entry::Country(c) => Some(*c),
        _ => None,
    });
    // "from Berlin but live in London": the place after the last "live/based/now" is where they are.
    let last_cue = toks
        .iter()
        .rposition(|t| LIVING_CUES.contains(&t.key.as_str()));
    let after_cue = |f: &&Found| last_cue.is_none_or(|cue| f.pos > cue);
    let ordered = found
        .iter()
        .filter(after_cue)
        .chain(found.iter().filter(|f| !after_cue(f)));
    let city = ordered.clone().find_map(|f| {
        let mut cities = f.entries.iter().filter_map(|e| match e {
            Entry::City { name, country } => Some((*name, *country)),
            _ => None,
        });
        let all: Vec<(&str, &str)> = cities.by_ref().collect();
        let same_country = all.iter().find(|(_, c)| Some(*c) == named_country).copied();
        if f.weak {
            same_country
        } else {
            same_country.or_else(|| all.first().copied())
        }
    });
    let demonym = strong().find_map(|e| match e {
        Entry::Demonym(c) => Some(*c),
        _ => None,
    });
    let area = strong().find_map(|e| match e {
        Entry::Area(r) => Some(*r),
        _ => None,
    });
    let country = named_country.or(city.map(|(_, c)| c)).or(demonym);
    let region = country.map(Region::of_country).or(area);
    if city.is_none() && country.is_none() && region.is_none() && !flexible {
        return None;
    }
    Some(Location {
        city: city.map(|(name, _)| name.to_owned()),
        country: country.map(str::to_owned),
        region,
        flexible,
    })
}

/// Exact names, longest phrase first, left to right.
fn exact_matches(toks: &[Token]) -> Vec<Found> {
    let index = &*INDEX;
    let mut found = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let mut matched = 0;
        for n in (1..=MAX_WORDS.min(toks.len() - i)).rev() {
            let gram = &toks[i..i + n];
            let key = gram
                .iter()
                .map(|t| t.key.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let Some((casing, entries)) = index.by_key.get(&key) else {
                continue;
            };
            let whole_message = n == toks.len();
            let cased_ok = match casing {
                Casing::Any => true,
                Casing::Capitalised => {
                    whole_message || gram.iter().all(|t| t.raw.starts_with(char::is_uppercase))
                }
                Casing::UpperCase => {
                    whole_message || gram.iter().all(|t| !t.raw.chars().any(char::is_lowercase))
                }
            };
            found.push(Found {
                entries: entries.clone(),
                pos: i,
                weak: !cased_ok,
            });
            matched = n;
            break;
        }
        i += matched.max(1);
    }
    found
}

/// Names one typo away, for words and word pairs not found exactly.
fn typo_matches(toks: &[Token]) -> Vec<Found> {
    let index = &*INDEX;
    let mut found = Vec::new();
    for n in (1..=2).rev() {
        for (pos, gram) in toks.windows(n).enumerate() {
            if gram.iter().any(|t| {
                NOT_TYPOS.contains(&t.key.as_str()) || t.key.chars().any(|c| c.is_ascii_digit())
            }) {
                continue;
            }
            let typed = gram
                .iter()
                .map(|t| t.key.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let typed_len = typed.chars().count();
            if typed_len < TYPO_MIN_LEN {
                continue;
            }
            let mut hits = index.by_key.iter().filter(|(key, (casing, _))| {
                let len = key.chars().count();
                *casing == Casing::Any
                    && len >= TYPO_MIN_LEN
                    && len.abs_diff(typed_len) <= 1
                    && key.chars().next() == typed.chars().next()
                    && edit_distance(key, &typed) == 1
            });
            let (Some((_, (_, entries))), None) = (hits.next(), hits.next()) else {
                continue;
            };
            found.push(Found {
                entries: entries.clone(),
                pos,
                weak: false,
            });
        }
        if !found.is_empty() {
            break;
        }
    }
    found
}

fn is_flexible(folded: &str) -> bool {
    let Some(re) = FLEXIBLE.as_ref() else {
        return false;
    };
    re.find_iter(folded).any(|m| {
        let before = folded[..m.start()].trim_end();
        let negated = ["not", "n't", "never", "isn't", "not very", "not that"]
            .iter()
            .any(|neg| before.ends_with(neg));
        !negated
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(city: Option<&str>, country: Option<&str>, flexible: bool) -> Option<Location> {
        Some(Location {
            city: city.map(str::to_owned),
            country: country.map(str::to_owned),
            region: country.map(Region::of_country),
            flexible,
        })
    }

    #[test]
    fn reads_real_places() {
        let cases: &[(&str, Option<Location>)] = &[
            ("London", loc(Some("London"), Some("GB"), false)),
            ("london", loc(Some("London"), Some("GB"), false)),
            ("LONDON!!", loc(Some("London"), Some("GB"), false)),
            ("London, UK", loc(Some("London"), Some("GB"), false)),
            (
                "manchester england",
                loc(Some("Manchester"), Some("GB"), false),
            ),
            ("berlin germany", loc(Some("Berlin"), Some("DE"), false)),
            ("Berlin 🇩🇪", loc(Some("Berlin"), Some("DE"), false)),
            ("I'm based in Leeds", loc(Some("Leeds"), Some("GB"), false)),
            ("münchen", loc(Some("Munich"), Some("DE"), false)),
            ("Dusseldorf", loc(Some("Düsseldorf"), Some("DE"), false)),
            ("NYC", loc(Some("New York"), Some("US"), false)),
            ("new york city", loc(Some("New York"), Some("US"), false)),
            ("Paris, Texas", loc(Some("Paris"), Some("US"), false)),
            ("Paris", loc(Some("Paris"), Some("FR"), false)),
            ("London, Ontario", loc(Some("London"), Some("CA"), false)),
            ("Perth, Scotland", loc(Some("Perth"), Some("GB"), false)),
            ("Germany", loc(None, Some("DE"), false)),
            ("Deutschland", loc(None, Some("DE"), false)),
            ("España", loc(None, Some("ES"), false)),
            ("Italia", loc(None, Some("IT"), false)),
            ("I'm German", loc(None, Some("DE"), false)),
            ("UK", loc(None, Some("GB"), false)),
            ("U.K.", loc(None, Some("GB"), false)),
            ("USA", loc(None, Some("US"), false)),
            ("the states", loc(None, Some("US"), false)),
            ("US", loc(None, Some("US"), false)),
            ("NL", loc(None, Some("NL"), false)),
            ("Scotland", loc(None, Some("GB"), false)),
            ("Wales", loc(None, Some("GB"), false)),
            ("Northern Ireland", loc(None, Some("GB"), false)),
            ("Ireland", loc(None, Some("IE"), false)),
            ("Lodnon", loc(Some("London"), Some("GB"), false)),
            ("Manchestr", loc(Some("Manchester"), Some("GB"), false)),
            ("amsterdma", loc(Some("Amsterdam"), Some("NL"), false)),
            ("anywhere", loc(None, None, true)),
            ("I'm flexible", loc(None, None, true)),
            ("happy to travel", loc(None, None, true)),
            (
                "London but happy to travel",
                loc(Some("London"), Some("GB"), true),
            ),
            ("nice", loc(Some("Nice"), Some("FR"), false)),
            ("Nice, France", loc(Some("Nice"), Some("FR"), false)),
            ("nice, france", loc(Some("Nice"), Some("FR"), false)),
            ("from Dublin", loc(Some("Dublin"), Some("IE"), false)),
            (
                "Im from berlin but live in london",
                loc(Some("London"), Some("GB"), false),
            ),
            (
                "I live in London, from Berlin originally",
                loc(Some("London"), Some("GB"), false),
            ),
        ];
        let wrong: Vec<String> = cases
            .iter()
            .filter(|(input, want)| location(input) != *want)
            .map(|(input, want)| format!("{input:?}: got {:?}, want {want:?}", location(input)))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn ignores_ordinary_words() {
        for input in [
            "",
            "let us know",
            "that would be nice",
            "I was reading about it",
            "not sure yet",
            "it needs to be big",
            "based on the design",
            "🌍",
            "123",
            "not flexible",
        ] {
            assert_eq!(location(input), None, "{input:?}");
        }
    }

    #[test]
    fn europe_is_a_region_without_a_country() {
        let l = location("somewhere in Europe");
        assert_eq!(l.as_ref().and_then(|l| l.region), Some(Region::Eu));
        assert_eq!(l.and_then(|l| l.country), None);
    }

    #[test]
    fn not_typos_are_not_places() {
        for word in NOT_TYPOS {
            assert!(!INDEX.by_key.contains_key(*word), "{word} is a place");
        }
    }

    #[test]
    fn every_table_entry_is_found_by_its_own_name() {
        for (name, country) in CITIES {
            let got = location(name);
            assert!(
                got.as_ref().is_some_and(|l| l.city.is_some()),
                "{name} {country}: {got:?}"
            );
        }
        for (name, country) in COUNTRIES {
            let got = location(name).and_then(|l| l.country);
            assert_eq!(got.as_deref(), Some(*country), "{name}");
        }
    }
}
