//! Everything the engine remembers about one lead, typed. Persisted as `leads.state` (JSON); every
//! field added after the first release carries `#[serde(default)]` so old rows still load. Only
//! data here: the rules that fill it in live in the modules named on each type.

use super::questions::QuestionKey;
use crate::domain::{Money, Status};
use crate::parse::{Dimensions, Location};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The lead: status, current question, answers and the engine's bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadState {
    pub status: Status,
    /// The question being asked (its catalog key), if any. Mirrored into `leads.step`.
    #[serde(default)]
    pub step: Option<String>,
    /// Latest answers (history lives in `lead_answers`).
    #[serde(default)]
    pub answers: Answers,
    /// Failed answers to the current question (reset when the question changes).
    #[serde(default)]
    pub reasks: u8,
    /// The client's WhatsApp profile name.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub last_inbound_at: Option<DateTime<Utc>>,
    /// When the lead entered its current status.
    #[serde(default)]
    pub status_since: Option<DateTime<Utc>>,
    /// Reference images and links, in arrival order.
    #[serde(default)]
    pub references: Vec<Reference>,
    /// The size/deposit estimate, once the consultation is complete.
    #[serde(default)]
    pub estimate: Option<Estimate>,
    /// Who owns the chat while the artist does (NEEDS_ARTIST_REPLY).
    #[serde(default)]
    pub handover: Option<Handover>,
    /// The status a lead left when it went OPTOUT/ABANDONED/STALE, to resume from on re-engagement.
    #[serde(default)]
    pub paused_from: Option<Status>,
    /// The tour stop offered in TOUR_CONVERSION_OFFERED.
    #[serde(default)]
    pub tour_offer: Option<TourOffer>,
    /// The last informational reply (throttles repeats while the client waits on someone).
    #[serde(default)]
    pub last_info: Option<InfoNote>,
    /// When a reference image was last acknowledged (a burst of images gets one thank-you).
    #[serde(default)]
    pub last_image_ack_at: Option<DateTime<Utc>>,
    /// The latest deposit asked for (approval and payments; see `deposit.rs`).
    #[serde(default)]
    pub deposit: Option<Deposit>,
}

impl LeadState {
    /// A lead that has never said anything.
    pub fn new() -> Self {
        LeadState {
            status: Status::New,
            step: None,
            answers: Answers::default(),
            reasks: 0,
            name: None,
            last_inbound_at: None,
            status_since: None,
            references: Vec::new(),
            estimate: None,
            handover: None,
            paused_from: None,
            tour_offer: None,
            last_info: None,
            last_image_ack_at: None,
            deposit: None,
        }
    }

    /// The current question, when the step names one.
    pub fn question(&self) -> Option<QuestionKey> {
        self.step.as_deref().and_then(QuestionKey::from_step)
    }

    /// The answers in the INTERFACES.md "answers" shape (absent answers are left out).
    pub fn answers_json(&self) -> Value {
        self.answers.to_json()
    }

    /// `{"category", "days", "deposit": {amount_minor, currency}}`, once estimated.
    pub fn estimate_json(&self) -> Option<Value> {
        self.estimate.as_ref().map(|e| {
            json!({
                "category": e.category,
                "days": e.days,
                "deposit": {"amount_minor": e.deposit.amount_minor, "currency": e.deposit.currency},
            })
        })
    }

    /// The references in the INTERFACES.md shape.
    pub fn references_json(&self) -> Value {
        serde_json::to_value(&self.references).unwrap_or(Value::Array(Vec::new()))
    }

    /// Whether the lead's deposit is paid.
    pub fn deposit_paid(&self) -> bool {
        self.deposit
            .as_ref()
            .is_some_and(|d| d.status == DepositStatus::Paid)
    }
}

impl Default for LeadState {
    fn default() -> Self {
        Self::new()
    }
}

/// The client's latest answers, typed. Optional questions the client skipped are in `settled`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Answers {
    pub idea: Option<String>,
    pub placement: Option<String>,
    pub dimensions: Option<Dimensions>,
    pub style: Option<String>,
    pub complexity: Option<u8>,
    pub coverup: Option<bool>,
    pub budget: Option<Money>,
    pub location: Option<Location>,
    pub instagram: Option<String>,
    pub travel_city: Option<String>,
    pub timing: Option<String>,
    /// Questions closed without a value: optional ones skipped, references finished.
    pub settled: Vec<QuestionKey>,
}

impl Answers {
    /// Whether `key` needs no more asking.
    pub fn is_answered(&self, key: QuestionKey) -> bool {
        if self.settled.contains(&key) {
            return true;
        }
        match key {
            QuestionKey::Idea => self.idea.is_some(),
            QuestionKey::Placement => self.placement.is_some(),
            QuestionKey::Dimensions => self.dimensions.is_some(),
            QuestionKey::Style => self.style.is_some(),
            QuestionKey::Complexity => self.complexity.is_some(),
            QuestionKey::Coverup => self.coverup.is_some(),
            QuestionKey::References => false,
            QuestionKey::Budget => self.budget.is_some(),
            QuestionKey::City => self
                .location
                .as_ref()
                .is_some_and(|l| l.city.is_some() || l.flexible),
            QuestionKey::Country => self.location.as_ref().is_some_and(|l| l.country.is_some()),
            QuestionKey::Instagram => self.instagram.is_some(),
            QuestionKey::TravelCity => self.travel_city.is_some(),
            QuestionKey::Timing => self.timing.is_some(),
        }
    }

    /// The first question still open, in catalog order.
    pub fn next_open(&self) -> Option<QuestionKey> {
        QuestionKey::ORDER
            .into_iter()
            .find(|k| !self.is_answered(*k))
    }

    /// Whether nothing at all has been answered (a re-engaging lead then restarts).
    pub fn is_empty(&self) -> bool {
        *self == Answers::default()
    }

    /// Marks a question closed without a value.
    pub fn settle(&mut self, key: QuestionKey) {
        if !self.settled.contains(&key) {
            self.settled.push(key);
        }
    }

    /// The city that decides tour offers: where the client wants the tattoo done.
    pub fn wanted_city(&self) -> Option<&str> {
        self.travel_city
            .as_deref()
            .or_else(|| self.location.as_ref().and_then(|l| l.city.as_deref()))
    }

    fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        put("idea", self.idea.clone().map(Value::from));
        put("placement", self.placement.clone().map(Value::from));
        put(
            "dimensions",
            self.dimensions
                .map(|d| json!({"width_cm": d.width_cm, "height_cm": d.height_cm})),
        );
        put("style", self.style.clone().map(Value::from));
        put("complexity", self.complexity.map(Value::from));
        put("coverup", self.coverup.map(Value::from));
        put(
            "budget",
            self.budget
                .map(|b| json!({"amount_minor": b.amount_minor, "currency": b.currency})),
        );
        put(
            "location",
            self.location.as_ref().map(|l| {
                json!({"city": l.city, "country": l.country, "region": l.region, "flexible": l.flexible})
            }),
        );
        put("instagram", self.instagram.clone().map(Value::from));
        put("travel_city", self.travel_city.clone().map(Value::from));
        put("timing", self.timing.clone().map(Value::from));
        Value::Object(m)
    }
}

/// A reference the client sent: a photo or a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reference {
    Image {
        media_id: String,
        caption: Option<String>,
        at: DateTime<Utc>,
    },
    Link {
        url: String,
        at: DateTime<Utc>,
    },
}

/// The artist owns the chat: why, since when, and where the bot picks up afterwards.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    pub reason: String,
    /// The status the bot returns to on resume.
    pub resume_to: Status,
    pub since: DateTime<Utc>,
    /// The last holding message sent to the client ("the artist will reply here").
    #[serde(default)]
    pub holding_sent_at: Option<DateTime<Utc>>,
    /// The client wrote since the last holding message (a Tick may then send one more).
    #[serde(default)]
    pub unanswered: bool,
}

/// A guest spot offered to a client who wants a city the artist does not normally work in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TourOffer {
    pub city: String,
    pub country: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// An informational reply already sent, by copy key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoNote {
    pub key: String,
    pub at: DateTime<Utc>,
}

/// How big a piece is, for pricing and deposits (the sizing rules are in `estimate.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SizeCategory {
    Small,
    Medium,
    Large,
    Xl,
}

impl SizeCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            SizeCategory::Small => "SMALL",
            SizeCategory::Medium => "MEDIUM",
            SizeCategory::Large => "LARGE",
            SizeCategory::Xl => "XL",
        }
    }
}

/// The estimate shown to the artist and stored on the lead (made by `estimate.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub category: SizeCategory,
    /// Estimated sessions (days) for XL pieces.
    pub days: Option<u32>,
    /// Suggested deposit.
    pub deposit: Money,
    pub area_cm2: f64,
    /// Why the category was bumped ("cover-up", "detailed", "hard placement"), if it was.
    #[serde(default)]
    pub bumped_for: Vec<String>,
}

/// How a deposit was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Stripe,
    Cash,
    Bank,
}

impl PaymentMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Stripe => "stripe",
            PaymentMethod::Cash => "cash",
            PaymentMethod::Bank => "bank",
        }
    }
}

/// Where the latest deposit attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepositStatus {
    /// Asked the payments worker for a Checkout Session.
    Requested,
    /// The link was created (and sent, when the bot owns the chat).
    Pending,
    Paid,
    Expired,
    /// Creating the session or a delayed payment failed.
    Failed,
    Refunded,
}

/// The latest deposit of a lead, as the engine remembers it (the `deposits` table has every
/// attempt with Stripe's ids). `deposit.rs` moves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// 1 for the first link, +1 for every new one; part of the Stripe idempotency key.
    pub attempt: u32,
    pub amount: Money,
    pub status: DepositStatus,
    pub requested_at: DateTime<Utc>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub method: Option<PaymentMethod>,
    #[serde(default)]
    pub paid_at: Option<DateTime<Utc>>,
    /// New links the client asked for themselves.
    #[serde(default)]
    pub client_requests: u8,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Currency, Region};

    #[test]
    fn answers_json_has_the_interfaces_shape() {
        let mut s = LeadState::new();
        s.answers.idea = Some("fine-line swallow".into());
        s.answers.dimensions = Some(Dimensions {
            width_cm: 10.0,
            height_cm: 15.0,
        });
        s.answers.budget = Some(Money::new(60_000, Currency::GBP));
        s.answers.location = Some(Location {
            city: Some("London".into()),
            country: Some("GB".into()),
            region: Some(Region::Uk),
            flexible: false,
        });
        s.answers.coverup = Some(false);
        let j = s.answers_json();
        assert_eq!(j["idea"], "fine-line swallow");
        assert_eq!(
            j["dimensions"],
            json!({"width_cm": 10.0, "height_cm": 15.0})
        );
        assert_eq!(
            j["budget"],
            json!({"amount_minor": 60000, "currency": "GBP"})
        );
        assert_eq!(
            j["location"],
            json!({"city": "London", "country": "GB", "region": "UK", "flexible": false})
        );
        assert_eq!(j["coverup"], false);
        assert!(j.get("style").is_none());
        assert_eq!(s.estimate_json(), None);
    }

    #[test]
    fn old_and_minimal_rows_still_load() {
        let s: LeadState = serde_json::from_value(json!({"status": "QUALIFYING"})).unwrap();
        assert_eq!(s.status, Status::Qualifying);
        let s: LeadState = serde_json::from_value(
            json!({"status": "NEW", "answers": {"idea": "rose"}, "extra": {}}),
        )
        .unwrap();
        assert_eq!(s.answers.idea.as_deref(), Some("rose"));
        let round: LeadState = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(round, s);
    }

    #[test]
    fn next_open_walks_the_catalog_order_and_respects_settled() {
        let mut a = Answers::default();
        assert_eq!(a.next_open(), Some(QuestionKey::Idea));
        a.idea = Some("rose".into());
        a.placement = Some("forearm".into());
        assert_eq!(a.next_open(), Some(QuestionKey::Dimensions));
        a.dimensions = Some(Dimensions {
            width_cm: 5.0,
            height_cm: 5.0,
        });
        a.settle(QuestionKey::Style);
        assert_eq!(a.next_open(), Some(QuestionKey::Complexity));
    }
}
