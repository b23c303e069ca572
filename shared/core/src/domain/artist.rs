//! An artist's configuration (the tenant): parsed from TOML or JSON once, with documented defaults.

use super::money::{Currency, Money};
use super::region::Region;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Per-region minimum budgets in the artist's currency (minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionAmounts {
    #[serde(rename = "UK", default = "d_min_uk")]
    pub uk: i64,
    #[serde(rename = "EU", default = "d_min_eu")]
    pub eu: i64,
    #[serde(rename = "ROW", default = "d_min_row")]
    pub row: i64,
}

fn d_min_uk() -> i64 {
    40_000
}
fn d_min_eu() -> i64 {
    50_000
}
fn d_min_row() -> i64 {
    60_000
}

impl Default for RegionAmounts {
    fn default() -> Self {
        RegionAmounts {
            uk: d_min_uk(),
            eu: d_min_eu(),
            row: d_min_row(),
        }
    }
}

impl RegionAmounts {
    pub fn for_region(&self, region: Region) -> i64 {
        match region {
            Region::Uk => self.uk,
            Region::Eu => self.eu,
            Region::Row => self.row,
        }
    }
}

/// Suggested deposits per size category (minor units of the artist's currency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deposits {
    #[serde(default = "d_dep_small")]
    pub small: i64,
    #[serde(default = "d_dep_small")]
    pub medium: i64,
    #[serde(default = "d_dep_large")]
    pub large: i64,
    #[serde(default = "d_dep_large")]
    pub xl_per_day: i64,
}

fn d_dep_small() -> i64 {
    15_000
}
fn d_dep_large() -> i64 {
    20_000
}

impl Default for Deposits {
    fn default() -> Self {
        Deposits {
            small: d_dep_small(),
            medium: d_dep_small(),
            large: d_dep_large(),
            xl_per_day: d_dep_large(),
        }
    }
}

/// A guest spot: the artist works in `city` from `from` to `to` (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TourStop {
    pub city: String,
    pub country: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// An approved WhatsApp template: used outside the 24 h customer-service window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateRef {
    pub name: String,
    #[serde(default = "d_lang")]
    pub language: String,
}

fn d_lang() -> String {
    "en_GB".into()
}

fn tpl(name: &str) -> TemplateRef {
    TemplateRef {
        name: name.into(),
        language: d_lang(),
    }
}

/// Templates per kind of business-initiated message (see README, "Templates").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    /// `{{1}}` client name, `{{2}}` the message we wanted to send (shortened).
    #[serde(default = "d_tpl_follow_up")]
    pub follow_up: TemplateRef,
    /// `{{1}}` client name, `{{2}}` deposit amount, `{{3}}` payment link.
    #[serde(default = "d_tpl_deposit")]
    pub deposit_link: TemplateRef,
    /// `{{1}}` client name, `{{2}}` appointment time.
    #[serde(default = "d_tpl_reminder")]
    pub booking_reminder: TemplateRef,
    /// `{{1}}` artist name, `{{2}}` the artist's message (shortened).
    #[serde(default = "d_tpl_artist")]
    pub artist_message: TemplateRef,
    /// Notifications to the artist's own number: `{{1}}` the notification text (shortened).
    #[serde(default = "d_tpl_notify")]
    pub artist_notification: TemplateRef,
}

fn d_tpl_follow_up() -> TemplateRef {
    tpl("inkline_follow_up")
}
fn d_tpl_deposit() -> TemplateRef {
    tpl("inkline_deposit_link")
}
fn d_tpl_reminder() -> TemplateRef {
    tpl("inkline_booking_reminder")
}
fn d_tpl_artist() -> TemplateRef {
    tpl("inkline_artist_message")
}
fn d_tpl_notify() -> TemplateRef {
    tpl("inkline_artist_notification")
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            follow_up: d_tpl_follow_up(),
            deposit_link: d_tpl_deposit(),
            booking_reminder: d_tpl_reminder(),
            artist_message: d_tpl_artist(),
            artist_notification: d_tpl_notify(),
        }
    }
}

/// How fast the sender may go for this artist's number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pacing {
    /// Token bucket per sending number (WhatsApp default: 80 msg/s).
    #[serde(default = "d_mps")]
    pub messages_per_second: f64,
    /// Minimum spacing between messages to one client (pair rate), seconds.
    #[serde(default = "d_pair")]
    pub pair_spacing_secs: f64,
    /// Messages that may go to one client back to back before spacing applies.
    #[serde(default = "d_burst")]
    pub pair_burst: u32,
}

fn d_mps() -> f64 {
    80.0
}
fn d_pair() -> f64 {
    6.0
}
fn d_burst() -> u32 {
    3
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            messages_per_second: d_mps(),
            pair_spacing_secs: d_pair(),
            pair_burst: d_burst(),
        }
    }
}

/// Time-based policies (hours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timeouts {
    /// While the artist owns the chat, at most one holding message per this many hours.
    #[serde(default = "d_cooldown")]
    pub handover_cooldown_hours: i64,
    /// A qualifying client silent this long gets a nudge and becomes ABANDONED.
    #[serde(default = "d_abandon")]
    pub abandon_after_hours: i64,
    /// A lead untouched this long becomes STALE.
    #[serde(default = "d_stale")]
    pub stale_after_hours: i64,
    /// Lifetime of a Stripe Checkout link, minutes (Stripe allows 30..=1440).
    #[serde(default = "d_deposit_expiry")]
    pub deposit_expiry_minutes: i64,
    /// Lifetime of an artist action link, hours.
    #[serde(default = "d_action_link")]
    pub action_link_hours: i64,
}

fn d_cooldown() -> i64 {
    6
}
fn d_abandon() -> i64 {
    48
}
fn d_stale() -> i64 {
    24 * 14
}
fn d_deposit_expiry() -> i64 {
    23 * 60
}
fn d_action_link() -> i64 {
    72
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            handover_cooldown_hours: d_cooldown(),
            abandon_after_hours: d_abandon(),
            stale_after_hours: d_stale(),
            deposit_expiry_minutes: d_deposit_expiry(),
            action_link_hours: d_action_link(),
        }
    }
}

/// Everything that makes one artist's Inkline theirs. Upserted by `slug`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtistConfig {
    pub slug: String,
    pub name: String,
    /// The WhatsApp Cloud API phone number id this artist answers on (routes inbound messages).
    pub phone_number_id: String,
    /// The artist's own WhatsApp number, for notifications.
    #[serde(default)]
    pub artist_wa_id: Option<String>,
    #[serde(default = "d_tz")]
    pub timezone: String,
    #[serde(default = "d_currency")]
    pub currency: Currency,
    /// Cities the artist normally works in; empty means no restriction.
    #[serde(default)]
    pub home_cities: Vec<String>,
    #[serde(default)]
    pub minimum_budget: RegionAmounts,
    #[serde(default)]
    pub deposits: Deposits,
    #[serde(default)]
    pub tour: Vec<TourStop>,
    #[serde(default)]
    pub templates: Templates,
    #[serde(default)]
    pub pacing: Pacing,
    #[serde(default)]
    pub timeouts: Timeouts,
    /// Overrides of the question catalog copy, by message key.
    #[serde(default)]
    pub copy: BTreeMap<String, String>,
    /// The artist's own WhatsApp access token (overrides `WHATSAPP_ACCESS_TOKEN`). Never logged.
    #[serde(default)]
    pub whatsapp_access_token: Option<String>,
    #[serde(default)]
    pub calendar_id: Option<String>,
    #[serde(default)]
    pub sheet_id: Option<String>,
}

fn d_tz() -> String {
    "Europe/London".into()
}
fn d_currency() -> Currency {
    Currency::GBP
}

impl std::fmt::Debug for ArtistConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArtistConfig")
            .field("slug", &self.slug)
            .field("phone_number_id", &self.phone_number_id)
            .field("timezone", &self.timezone)
            .field("currency", &self.currency)
            .field(
                "whatsapp_access_token",
                &self.whatsapp_access_token.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// Why an artist configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArtistConfigError {
    #[error("not valid artist TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("not valid artist JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{field}: {problem}")]
    Invalid {
        field: &'static str,
        problem: String,
    },
}

impl ArtistConfig {
    /// Parses and validates the TOML of `inkline artist apply FILE`.
    pub fn from_toml(text: &str) -> Result<Self, ArtistConfigError> {
        let cfg: ArtistConfig = toml::from_str(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parses and validates the JSON of `PUT /admin/artists/{slug}` or the `artists.config` column.
    pub fn from_json(value: serde_json::Value) -> Result<Self, ArtistConfigError> {
        let cfg: ArtistConfig = serde_json::from_value(value)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks what serde cannot: formats, ranges and time zones.
    pub fn validate(&self) -> Result<(), ArtistConfigError> {
        let bad = |field, problem: &str| {
            Err(ArtistConfigError::Invalid {
                field,
                problem: problem.into(),
            })
        };
        let slug_ok = !self.slug.is_empty()
            && self.slug.len() <= 63
            && self
                .slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && self.slug.as_bytes()[0].is_ascii_alphanumeric();
        if !slug_ok {
            return bad(
                "slug",
                "use lower-case letters, digits, '-' and '_' (at most 63)",
            );
        }
        if self.name.trim().is_empty() {
            return bad("name", "must not be empty");
        }
        if self.phone_number_id.is_empty()
            || !self.phone_number_id.bytes().all(|b| b.is_ascii_digit())
        {
            return bad(
                "phone_number_id",
                "must be the numeric WhatsApp phone number id",
            );
        }
        if let Some(wa) = &self.artist_wa_id
            && (wa.len() < 6 || !wa.bytes().all(|b| b.is_ascii_digit()))
        {
            return bad(
                "artist_wa_id",
                "must be digits only, country code first, no '+'",
            );
        }
        if self.timezone.parse::<chrono_tz::Tz>().is_err() {
            return bad(
                "timezone",
                "must be an IANA time zone such as Europe/London",
            );
        }
        let m = &self.minimum_budget;
        if m.uk < 0 || m.eu < 0 || m.row < 0 {
            return bad("minimum_budget", "amounts must not be negative");
        }
        let d = &self.deposits;
        if [d.small, d.medium, d.large, d.xl_per_day]
            .iter()
            .any(|v| *v <= 0)
        {
            return bad("deposits", "amounts must be positive (minor units)");
        }
        for stop in &self.tour {
            if stop.to < stop.from {
                return bad("tour", "a stop ends before it starts");
            }
            if stop.country.len() != 2 {
                return bad("tour", "country must be an ISO alpha-2 code such as DE");
            }
        }
        let p = &self.pacing;
        if !(p.messages_per_second > 0.0 && p.messages_per_second <= 1000.0) {
            return bad("pacing.messages_per_second", "must be in (0, 1000]");
        }
        if !(p.pair_spacing_secs >= 0.0 && p.pair_spacing_secs <= 3600.0) {
            return bad("pacing.pair_spacing_secs", "must be in [0, 3600]");
        }
        let t = &self.timeouts;
        if !(30..=1440).contains(&t.deposit_expiry_minutes) {
            return bad(
                "timeouts.deposit_expiry_minutes",
                "Stripe allows 30 to 1440 minutes",
            );
        }
        if t.handover_cooldown_hours < 0
            || t.abandon_after_hours <= 0
            || t.stale_after_hours <= 0
            || t.action_link_hours <= 0
        {
            return bad("timeouts", "hours must be positive");
        }
        Ok(())
    }

    /// The artist's time zone (validated at parse time; UTC if somehow unparsable).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The minimum budget for clients of a region, in the artist's currency.
    pub fn minimum_for(&self, region: Region) -> Money {
        Money::new(self.minimum_budget.for_region(region), self.currency)
    }

    /// The documented demo artist the sandbox seeds.
    pub fn demo() -> ArtistConfig {
        ArtistConfig::from_toml(DEMO_ARTIST_TOML)
            .unwrap_or_else(|e| panic!("demo artist TOML is invalid: {e}"))
    }
}

/// The sandbox's demo artist (also `deploy/local/demo-artist.toml`).
pub const DEMO_ARTIST_TOML: &str = r#"
slug = "demo"
name = "Demo Ink"
phone_number_id = "100000000000001"
artist_wa_id = "447700900001"
timezone = "Europe/London"
currency = "GBP"
home_cities = ["London"]

[minimum_budget]
UK = 40000
EU = 50000
ROW = 60000

[[tour]]
city = "Berlin"
country = "DE"
from = "2026-12-01"
to = "2026-12-05"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interfaces_example_parses_with_defaults() {
        let cfg = ArtistConfig::demo();
        assert_eq!(cfg.slug, "demo");
        assert_eq!(cfg.currency, Currency::GBP);
        assert_eq!(
            cfg.minimum_for(Region::Eu),
            Money::new(50_000, Currency::GBP)
        );
        assert_eq!(cfg.deposits.xl_per_day, 20_000);
        assert_eq!(cfg.tour.len(), 1);
        assert_eq!(cfg.timeouts.handover_cooldown_hours, 6);
        assert_eq!(cfg.templates.follow_up.name, "inkline_follow_up");
    }

    #[test]
    fn bad_configs_are_refused_with_the_field_named() {
        let cases = [
            ("slug = \"Bad Slug\"", "slug"),
            ("timezone = \"Mars/Olympus\"", "timezone"),
            ("phone_number_id = \"abc\"", "phone_number_id"),
            ("currency = \"EURO\"", "currency"),
        ];
        for (line, field) in cases {
            let key = line.split(' ').next().unwrap();
            let toml: String = DEMO_ARTIST_TOML
                .lines()
                .filter(|l| !l.starts_with(&format!("{key} ")))
                .collect::<Vec<_>>()
                .join("\n");
            let toml = format!("{line}\n{toml}");
            let err = ArtistConfig::from_toml(&toml).unwrap_err().to_string();
            assert!(err.contains(field), "{line}: {err}");
        }
        assert!(
            ArtistConfig::from_toml(
                "slug = \"x\"\nname = \"x\"\nphone_number_id = \"1\"\nsurprise = 1"
            )
            .is_err()
        );
    }

    #[test]
    fn the_token_is_redacted_in_debug() {
        let mut cfg = ArtistConfig::demo();
        cfg.whatsapp_access_token = Some("EAAG-secret".into());
        assert!(!format!("{cfg:?}").contains("EAAG-secret"));
    }
}
