//! The artist actions the admin API and the console offer: a name from the URL plus the form or
//! JSON input, built into the core's one vocabulary, `ArtistAction` (whose serde names are the URL
//! names). The state machine decides whether it applies (an action it refuses answers 409).

use infra::actions::{self, ActionError, ActionOutcome};
use infra::store::ids::LeadId;
use inkline_core::conversation::{ArtistAction, PaymentMethod};
use inkline_core::domain::Status;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

/// Every action, as spelled in `POST /admin/leads/{id}/{action}`.
pub const NAMES: [&str; 8] = ArtistAction::NAMES;

/// What a caller may send with an action (JSON for the API, a form for the console).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ActionInput {
    /// Approve: the deposit in minor units (default: the estimate's).
    pub deposit_minor: Option<i64>,
    /// Approve (console form): the deposit in major units, e.g. `150` or `150.50`.
    pub deposit: Option<String>,
    /// Reject: why (shown to nobody but the audit trail unless the action sends it).
    pub reason: Option<String>,
    /// Reply: the message to the client.
    pub text: Option<String>,
    /// Ask-more: what the artist wants to know (the client reads it).
    pub note: Option<String>,
    /// Mark-paid: `cash` or `bank`.
    pub method: Option<String>,
}

/// Why an action request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("unknown action {0:?}")]
    Unknown(String),
    #[error("{0} is not available in this build yet")]
    NotAvailable(&'static str),
    #[error("{0}")]
    Invalid(String),
}

/// The action `name` with `input`.
pub fn build(name: &str, input: &ActionInput) -> Result<ArtistAction, BuildError> {
    match name {
        "handover" => Ok(ArtistAction::Handover),
        "resume" => Ok(ArtistAction::Resume),
        "reply" => {
            let text = input.text.as_deref().map(str::trim).unwrap_or_default();
            if text.is_empty() {
                return Err(BuildError::Invalid("reply needs a non-empty `text`".into()));
            }
            Ok(ArtistAction::Reply {
                text: text.to_owned(),
            })
        }
        "approve" => Ok(ArtistAction::Approve {
            deposit_minor: deposit_minor(input)?,
        }),
        "reject" => Ok(ArtistAction::Reject {
            reason: text_of(&input.reason),
        }),
        "send-deposit" => Ok(ArtistAction::SendDeposit),
        "ask-more" => Ok(ArtistAction::AskMore {
            note: text_of(&input.note).or_else(|| text_of(&input.text)),
        }),
        "mark-paid" => match input.method.as_deref().map(str::trim) {
            Some("cash") => Ok(ArtistAction::MarkPaid {
                method: PaymentMethod::Cash,
            }),
            Some("bank") => Ok(ArtistAction::MarkPaid {
                method: PaymentMethod::Bank,
            }),
            _ => Err(BuildError::Invalid(
                "mark-paid needs `method`: cash or bank".into(),
            )),
        },
        other => Err(BuildError::Unknown(other.to_owned())),
    }
}

/// A trimmed, non-empty text.
fn text_of(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Whether this build can perform `name` at all.
pub fn available(name: &str) -> bool {
    let probe = ActionInput {
        text: Some("probe".into()),
        ..ActionInput::default()
    };
    !matches!(
        build(name, &probe),
        Err(BuildError::NotAvailable(_) | BuildError::Unknown(_))
    )
}

/// The deposit an approval asks for: `deposit_minor`, or `deposit` in major units.
pub fn deposit_minor(input: &ActionInput) -> Result<Option<i64>, BuildError> {
    if let Some(m) = input.deposit_minor {
        return if m > 0 {
            Ok(Some(m))
        } else {
            Err(BuildError::Invalid("deposit_minor must be positive".into()))
        };
    }
    match input
        .deposit
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(text) => parse_major(text).map(Some).ok_or_else(|| {
            BuildError::Invalid(format!("{text:?} is not an amount such as 150 or 150.50"))
        }),
    }
}

/// `150`, `150.5`, `150.50`, `£150` → minor units (two decimals).
fn parse_major(text: &str) -> Option<i64> {
    let t: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || frac.len() > 2 || !text.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    let minor = whole.checked_mul(100)?.checked_add(frac)?;
    (minor > 0).then_some(minor)
}

/// The actions worth showing for a lead in `status` (the state machine still has the last word).
pub fn offered(status: Status) -> Vec<&'static str> {
    use Status::*;
    let mut out = Vec::new();
    if matches!(status, PendingApproval | NeedsArtistReply) {
        out.extend(["approve", "reject"]);
    }
    if status == PendingApproval {
        out.push("ask-more");
    }
    if matches!(status, AwaitingDeposit | DepositExpired) {
        out.extend(["send-deposit", "mark-paid"]);
    }
    if status == NeedsArtistReply {
        out.push("resume");
    } else if !matches!(status, Optout | Booked | Rejected | Cancelled | Refunded) {
        out.push("handover");
    }
    if status != Optout {
        out.push("reply");
    }
    out
}

/// Performs `name` on a lead for `actor`.
pub async fn perform(
    pool: &PgPool,
    lead_id: LeadId,
    name: &str,
    input: &ActionInput,
    actor: &str,
) -> Result<ActionOutcome, PerformError> {
    let action = build(name, input).map_err(PerformError::Build)?;
    let correlation_id = Uuid::now_v7().to_string();
    actions::perform(pool, lead_id, action, actor, &correlation_id)
        .await
        .map_err(PerformError::Action)
}

/// Why an action was not performed.
#[derive(Debug, thiserror::Error)]
pub enum PerformError {
    #[error(transparent)]
    Build(BuildError),
    #[error(transparent)]
    Action(ActionError),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn amounts_in_major_units() {
        assert_eq!(parse_major("150"), Some(15_000));
        assert_eq!(parse_major("£150.5"), Some(15_050));
        assert_eq!(parse_major("150.50"), Some(15_050));
        assert_eq!(parse_major("1.234"), None);
        assert_eq!(parse_major("0"), None);
        assert_eq!(parse_major("abc"), None);
        assert_eq!(parse_major("99999999999999999999"), None);
    }

    #[test]
    fn every_name_builds_or_says_why_not() {
        for name in NAMES {
            let r = build(
                name,
                &ActionInput {
                    text: Some("hi".into()),
                    ..ActionInput::default()
                },
            );
            assert!(!matches!(r, Err(BuildError::Unknown(_))), "{name}");
        }
        assert!(matches!(
            build("dance", &ActionInput::default()),
            Err(BuildError::Unknown(_))
        ));
        assert!(matches!(
            build("reply", &ActionInput::default()),
            Err(BuildError::Invalid(_))
        ));
        assert!(NAMES.iter().all(|n| available(n)));
        assert!(matches!(
            build("mark-paid", &ActionInput::default()),
            Err(BuildError::Invalid(_))
        ));
        assert_eq!(
            build(
                "approve",
                &ActionInput {
                    deposit: Some("120".into()),
                    ..ActionInput::default()
                }
            ),
            Ok(ArtistAction::Approve {
                deposit_minor: Some(12_000)
            })
        );
    }

    #[test]
    fn optout_offers_nothing_that_writes_to_the_client() {
        assert!(offered(Status::Optout).is_empty());
        assert!(offered(Status::PendingApproval).contains(&"approve"));
        assert!(offered(Status::NeedsArtistReply).contains(&"resume"));
    }
}
