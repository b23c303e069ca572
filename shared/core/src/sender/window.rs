//! The 24 h customer-service window (pure): inside it any message may go; outside it only an
//! approved template. Which template, and with which parameters, is decided here from the send
//! job's [`TemplateKind`] and the artist's configured templates (docs/templates.md).

use crate::conversation::Recipient;
use crate::domain::MessageBody;
use crate::domain::artist::{TemplateRef, Templates};
use crate::jobs::{SendJob, TemplateKind};
use chrono::{DateTime, Duration, Utc};

/// How long a client's message keeps the window open (Meta: 24 h).
pub const WINDOW: Duration = Duration::hours(24);

/// Sent as a template already this long before the window really closes: clocks differ and a
/// message may wait in a queue between the check and Meta.
pub const SAFETY_MARGIN: Duration = Duration::minutes(10);

/// Longest template parameter we send (Meta refuses very long ones).
pub const MAX_PARAM: usize = 300;

/// Whether a free-form message may go now, given the recipient's last inbound message. Unknown
/// (never wrote to this number) means closed.
pub fn is_open(last_inbound_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_inbound_at.is_some_and(|at| now - at < WINDOW - SAFETY_MARGIN)
}

/// The template kind that replaces `job` outside the window: the job's own, else follow-up for
/// clients and a notification for the artist's own number.
pub fn template_kind(job: &SendJob) -> TemplateKind {
    job.template.unwrap_or(match job.recipient {
        Recipient::Client => TemplateKind::FollowUp,
        Recipient::Artist => TemplateKind::ArtistNotification,
    })
}

/// What the template parameters are made of (besides the job's own explicit parameters).
#[derive(Debug, Clone, Default)]
pub struct TemplateFacts<'a> {
    pub client_name: Option<&'a str>,
    pub artist_name: &'a str,
}

/// Meta refuses parameters with new lines, tabs or more than four spaces in a row; this folds
/// them into one line and shortens it.
pub fn clean_param(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::graph::truncate(&one_line, MAX_PARAM)
}

/// The template message that replaces `job` outside the window, or None when the message has no
/// template equivalent (it is then undeliverable until the client writes again).
pub fn template_body(
    job: &SendJob,
    templates: &Templates,
    facts: &TemplateFacts<'_>,
) -> Option<MessageBody> {
    if let MessageBody::Template { .. } = job.body {
        return Some(job.body.clone());
    }
    let kind = template_kind(job);
    let text = job.body.preview();
    let client = facts
        .client_name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("there");
    let explicit = !job.template_params.is_empty();
    let (tpl, params): (&TemplateRef, Vec<String>) = match kind {
        TemplateKind::NoTemplate => return None,
        TemplateKind::DepositLink if explicit => {
            (&templates.deposit_link, job.template_params.clone())
        }
        TemplateKind::BookingReminder if explicit => {
            (&templates.booking_reminder, job.template_params.clone())
        }
        // Without the specific parameters the follow-up template carries the whole text.
        TemplateKind::FollowUp | TemplateKind::DepositLink | TemplateKind::BookingReminder => {
            (&templates.follow_up, vec![client.to_owned(), text])
        }
        TemplateKind::ArtistMessage => (
            &templates.artist_message,
            vec![facts.artist_name.to_owned(), text],
        ),
        TemplateKind::ArtistNotification => (&templates.artist_notification, vec![text]),
    };
    Some(MessageBody::Template {
        name: tpl.name.clone(),
        language: tpl.language.clone(),
        params: params.iter().map(|p| clean_param(p)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn job(recipient: Recipient, template: Option<TemplateKind>) -> SendJob {
        SendJob {
            message_id: Uuid::nil(),
            artist_id: Uuid::nil(),
            lead_id: None,
            recipient,
            to: "447700900123".into(),
            body: MessageBody::text("Your slot is\nFriday   10:00"),
            template,
            template_params: Vec::new(),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000)
    }

    #[test]
    fn the_window_closes_a_safety_margin_before_24_hours() {
        assert!(is_open(Some(now() - Duration::hours(1)), now()));
        assert!(is_open(
            Some(now() - Duration::hours(23) - Duration::minutes(49)),
            now()
        ));
        assert!(!is_open(
            Some(now() - Duration::hours(23) - Duration::minutes(51)),
            now()
        ));
        assert!(!is_open(Some(now() - Duration::hours(25)), now()));
        assert!(
            !is_open(None, now()),
            "a recipient who never wrote has no window"
        );
    }

    #[test]
    fn client_messages_fall_back_to_the_follow_up_with_name_and_text() {
        let facts = TemplateFacts {
            client_name: Some("Sam"),
            artist_name: "Demo Ink",
        };
        let body =
            template_body(&job(Recipient::Client, None), &Templates::default(), &facts).unwrap();
        assert_eq!(
            body,
            MessageBody::Template {
                name: "inkline_follow_up".into(),
                language: "en_GB".into(),
                params: vec!["Sam".into(), "Your slot is Friday 10:00".into()],
            }
        );
    }

    #[test]
    fn artist_messages_use_the_notification_and_explicit_kinds_their_own_template() {
        let facts = TemplateFacts {
            client_name: None,
            artist_name: "Demo Ink",
        };
        let t = Templates::default();
        let artist = template_body(&job(Recipient::Artist, None), &t, &facts).unwrap();
        assert!(
            matches!(&artist, MessageBody::Template { name, params, .. } if name == "inkline_artist_notification" && params.len() == 1)
        );
        let mut deposit = job(Recipient::Client, Some(TemplateKind::DepositLink));
        deposit.template_params = vec![
            "Sam".into(),
            "£150.00".into(),
            "https://pay.example/x".into(),
        ];
        let body = template_body(&deposit, &t, &facts).unwrap();
        assert!(
            matches!(&body, MessageBody::Template { name, params, .. } if name == "inkline_deposit_link" && params[2] == "https://pay.example/x")
        );
        let bare = template_body(
            &job(Recipient::Client, Some(TemplateKind::DepositLink)),
            &t,
            &facts,
        )
        .unwrap();
        assert!(
            matches!(&bare, MessageBody::Template { name, params, .. } if name == "inkline_follow_up" && params[0] == "there")
        );
        let said = template_body(
            &job(Recipient::Client, Some(TemplateKind::ArtistMessage)),
            &t,
            &facts,
        )
        .unwrap();
        assert!(matches!(&said, MessageBody::Template { params, .. } if params[0] == "Demo Ink"));
    }

    #[test]
    fn a_message_without_template_equivalent_has_none() {
        let facts = TemplateFacts::default();
        assert_eq!(
            template_body(
                &job(Recipient::Client, Some(TemplateKind::NoTemplate)),
                &Templates::default(),
                &facts
            ),
            None
        );
    }

    #[test]
    fn parameters_are_one_line_and_bounded() {
        assert_eq!(clean_param("a\n\tb     c"), "a b c");
        assert_eq!(clean_param(&"x".repeat(1000)).chars().count(), MAX_PARAM);
    }
}
