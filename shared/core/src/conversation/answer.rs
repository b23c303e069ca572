//! One typed answer: reading it from what the client typed for a given question (through the
//! parsers), spotting answers given out of order, and storing it (latest wins).

use super::extract;
use super::questions::QuestionKey;
use super::state::Answers;
use crate::domain::{ArtistConfig, Money, Region};
use crate::parse::{self, Dimensions, Location};
use serde_json::{Value, json};

/// A usable answer to one question.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Idea(String),
    Placement(String),
    Dimensions(Dimensions),
    Style(String),
    Complexity(u8),
    Coverup(bool),
    Budget(Money),
    /// Where the client is (a city, or "anywhere"); may name the country too.
    City(Location),
    /// The client's country (keeps an earlier city).
    Country(Location),
    Instagram(String),
    TravelCity(String),
    Timing(String),
}

impl Answer {
    pub fn key(&self) -> QuestionKey {
        match self {
            Answer::Idea(_) => QuestionKey::Idea,
            Answer::Placement(_) => QuestionKey::Placement,
            Answer::Dimensions(_) => QuestionKey::Dimensions,
            Answer::Style(_) => QuestionKey::Style,
            Answer::Complexity(_) => QuestionKey::Complexity,
            Answer::Coverup(_) => QuestionKey::Coverup,
            Answer::Budget(_) => QuestionKey::Budget,
            Answer::City(_) => QuestionKey::City,
            Answer::Country(_) => QuestionKey::Country,
            Answer::Instagram(_) => QuestionKey::Instagram,
            Answer::TravelCity(_) => QuestionKey::TravelCity,
            Answer::Timing(_) => QuestionKey::Timing,
        }
    }

    /// The value recorded in the answer history.
    pub fn json(&self) -> Value {
        match self {
            Answer::Idea(s)
            | Answer::Placement(s)
            | Answer::Style(s)
            | Answer::Instagram(s)
            | Answer::TravelCity(s)
            | Answer::Timing(s) => Value::from(s.as_str()),
            Answer::Dimensions(d) => json!({"width_cm": d.width_cm, "height_cm": d.height_cm}),
            Answer::Complexity(c) => Value::from(*c),
            Answer::Coverup(b) => Value::from(*b),
            Answer::Budget(m) => json!({"amount_minor": m.amount_minor, "currency": m.currency}),
            Answer::City(l) | Answer::Country(l) => {
                json!({"city": l.city, "country": l.country, "region": l.region, "flexible": l.flexible})
            }
        }
    }

    /// Whether storing this would change what is stored.
    pub fn differs_from(&self, answers: &Answers) -> bool {
        let mut probe = answers.clone();
        store(&mut probe, self.clone());
        probe != *answers
    }
}

/// Stores an answer (latest wins). Cities and countries merge into one location.
pub fn store(answers: &mut Answers, answer: Answer) {
    match answer {
        Answer::Idea(s) => answers.idea = Some(s),
        Answer::Placement(s) => answers.placement = Some(s),
        Answer::Dimensions(d) => answers.dimensions = Some(d),
        Answer::Style(s) => answers.style = Some(s),
        Answer::Complexity(c) => answers.complexity = Some(c),
        Answer::Coverup(b) => answers.coverup = Some(b),
        Answer::Budget(m) => answers.budget = Some(m),
        Answer::City(new) => {
            let old = answers.location.take();
            let country = new
                .country
                .clone()
                .or_else(|| old.as_ref().and_then(|o| o.country.clone()));
            let region = new.region.or_else(|| old.as_ref().and_then(|o| o.region));
            answers.location = Some(Location {
                city: new.city,
                country,
                region,
                flexible: new.flexible,
            });
        }
        Answer::Country(new) => {
            let old = answers.location.take();
            let city = old.as_ref().and_then(|o| o.city.clone()).or(new.city);
            let region = new
                .region
                .or_else(|| new.country.as_deref().map(Region::of_country));
            let flexible = old.is_some_and(|o| o.flexible) || new.flexible;
            answers.location = Some(Location {
                city,
                country: new.country,
                region,
                flexible,
            });
        }
        Answer::Instagram(s) => answers.instagram = Some(s),
        Answer::TravelCity(s) => answers.travel_city = Some(s),
        Answer::Timing(s) => answers.timing = Some(s),
    }
}

/// Reads `text` as the answer to `key`. The answer may be for another key when the client
/// clearly answered something else (a country when asked for the city).
pub fn read(key: QuestionKey, text: &str, artist: &ArtistConfig) -> Option<Answer> {
    let text = text.trim();
    match key {
        QuestionKey::Idea => extract::has_substance(text).then(|| Answer::Idea(text.to_owned())),
        QuestionKey::Placement => match extract::placement(text) {
            Some(p) if text.chars().count() > 30 => Some(Answer::Placement(p)),
            Some(_) => Some(Answer::Placement(text.to_owned())),
            None => (extract::is_plausible_free_text(text) && extract::has_substance(text))
                .then(|| Answer::Placement(text.to_owned())),
        },
        QuestionKey::Dimensions => parse::dimensions(text)
            .filter(sane_size)
            .map(Answer::Dimensions),
        QuestionKey::Style => {
            extract::is_plausible_free_text(text).then(|| Answer::Style(text.to_owned()))
        }
        QuestionKey::Complexity => parse::complexity(text).map(Answer::Complexity),
        QuestionKey::Coverup => parse::yes_no(text).map(Answer::Coverup),
        QuestionKey::References => None,
        QuestionKey::Budget => money(text, artist).map(Answer::Budget),
        QuestionKey::City => match parse::location(text) {
            Some(l) if l.city.is_some() || l.flexible => Some(Answer::City(l)),
            Some(l) if l.country.is_some() => Some(Answer::Country(l)),
            _ => extract::looks_like_city(text).then(|| {
                Answer::City(Location {
                    city: Some(title_case(text)),
                    country: None,
                    region: None,
                    flexible: false,
                })
            }),
        },
        QuestionKey::Country => parse::location(text)
            .filter(|l| l.country.is_some())
            .map(Answer::Country),
        QuestionKey::Instagram => {
            handle(extract::instagram_snippet(text).unwrap_or(text)).map(Answer::Instagram)
        }
        QuestionKey::TravelCity => match parse::location(text).and_then(|l| l.city) {
            Some(city) => Some(Answer::TravelCity(city)),
            None => extract::looks_like_city(text).then(|| Answer::TravelCity(title_case(text))),
        },
        QuestionKey::Timing => (extract::is_plausible_free_text(text)
            || text.chars().any(|c| c.is_ascii_digit()))
        .then(|| Answer::Timing(text.to_owned())),
    }
}

/// Answers that can be picked out of any message because they are unmistakable: a size with a
/// unit, an amount of money, an @handle, "on my forearm".
pub fn spot(text: &str, artist: &ArtistConfig) -> Vec<Answer> {
    let mut found = Vec::new();
    if let Some(d) = extract::dimensions_snippet(text)
        .and_then(parse::dimensions)
        .filter(sane_size)
    {
        found.push(Answer::Dimensions(d));
    }
    if let Some(m) = extract::budget_snippet(text).and_then(|s| money(s, artist)) {
        found.push(Answer::Budget(m));
    }
    if let Some(h) = extract::instagram_snippet(text).and_then(handle) {
        found.push(Answer::Instagram(h));
    }
    if let Some(p) = extract::placement_phrase(text) {
        found.push(Answer::Placement(p));
    }
    found
}

fn money(text: &str, artist: &ArtistConfig) -> Option<Money> {
    let b = parse::budget(text)?;
    (b.amount_minor > 0).then(|| Money::new(b.amount_minor, b.currency.unwrap_or(artist.currency)))
}

/// Sizes a person could have tattooed (a typo like "1015" is not a 10 m piece).
fn sane_size(d: &Dimensions) -> bool {
    let ok = |v: f64| v.is_finite() && v > 0.0 && v <= 250.0;
    ok(d.width_cm) && ok(d.height_cm)
}

/// An Instagram handle as the parser reads it, if it looks like one.
fn handle(text: &str) -> Option<String> {
    let h = parse::instagram(text)?;
    let valid = (1..=30).contains(&h.chars().count())
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    valid.then_some(h)
}

fn title_case(text: &str) -> String {
    text.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    #[test]
    fn free_text_questions_accept_real_answers_and_refuse_non_answers() {
        let artist = ArtistConfig::demo();
        let cases = [
            (QuestionKey::Idea, "a fine-line swallow", true),
            (QuestionKey::Idea, "idk", false),
            (QuestionKey::Idea, "I'd like to book a tattoo", false),
            (QuestionKey::Placement, "left forearm", true),
            (QuestionKey::Placement, "?", false),
            (QuestionKey::Complexity, "2", true),
            (QuestionKey::Complexity, "banana", false),
            (QuestionKey::Coverup, "no", true),
            (QuestionKey::Budget, "500", true),
            (QuestionKey::Budget, "dunno", false),
            (QuestionKey::City, "Leeds", true),
            (QuestionKey::City, "£500", false),
            (QuestionKey::Instagram, "@sam.ink", true),
            (QuestionKey::Instagram, "my name is sam", false),
            (QuestionKey::Timing, "next spring", true),
            (QuestionKey::Timing, "?", false),
        ];
        for (key, text, ok) in cases {
            assert_eq!(read(key, text, &artist).is_some(), ok, "{key}: {text}");
        }
        assert_eq!(
            read(QuestionKey::Budget, "500", &artist),
            Some(Answer::Budget(Money::new(50_000, Currency::GBP)))
        );
    }

    #[test]
    fn city_then_country_merge_into_one_location() {
        let mut a = Answers::default();
        store(
            &mut a,
            Answer::City(Location {
                city: Some("Leeds".into()),
                country: None,
                region: None,
                flexible: false,
            }),
        );
        store(
            &mut a,
            Answer::Country(Location {
                city: None,
                country: Some("GB".into()),
                region: None,
                flexible: false,
            }),
        );
        let l = a.location.unwrap();
        assert_eq!(
            (l.city.as_deref(), l.country.as_deref(), l.region),
            (Some("Leeds"), Some("GB"), Some(Region::Uk))
        );
    }

    #[test]
    fn spotting_leaves_ambiguous_text_alone() {
        let artist = ArtistConfig::demo();
        assert!(spot("a rose, 2 of them, around an arm", &artist).is_empty());
        let found: Vec<QuestionKey> =
            spot("a rose on my forearm, budget £500, I'm @sam.ink", &artist)
                .iter()
                .map(Answer::key)
                .collect();
        assert_eq!(
            found,
            vec![
                QuestionKey::Budget,
                QuestionKey::Instagram,
                QuestionKey::Placement
            ]
        );
    }
}
