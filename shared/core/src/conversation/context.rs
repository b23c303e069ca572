//! The decision under construction: the next state plus the effects and transitions gathered while
//! one event is handled. Every status change goes through `move_to`, i.e. `Status::transition`.

use super::copy::Phrases;
use super::questions::QuestionKey;
use super::state::{InfoNote, LeadState};
use super::timers::{self, TICK_REMINDER};
use super::types::{ActionLink, Decision, Effect, Recipient, Severity};
use crate::domain::{ArtistConfig, IllegalTransition, MessageBody, Status, Transition};
use crate::jobs::{Job, SheetJob};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One event's worth of decisions.
#[derive(Debug)]
pub struct Ctx<'a> {
    pub state: LeadState,
    pub artist: &'a ArtistConfig,
    pub now: DateTime<Utc>,
    before: &'a LeadState,
    effects: Vec<Effect>,
    transitions: Vec<Transition>,
}

impl<'a> Ctx<'a> {
    pub fn new(before: &'a LeadState, artist: &'a ArtistConfig, now: DateTime<Utc>) -> Self {
        Ctx {
            state: before.clone(),
            artist,
            now,
            before,
            effects: Vec::new(),
            transitions: Vec::new(),
        }
    }

    /// The copy for this artist and client.
    pub fn copy(&self) -> Phrases<'_> {
        Phrases::new(self.artist, self.state.name.as_deref())
    }

    pub fn status(&self) -> Status {
        self.state.status
    }

    /// Moves the lead to `to`, checked against the transition table.
    pub fn move_to(&mut self, to: Status, cause: &str) -> Result<(), IllegalTransition> {
        let t = self.state.status.transition(to, cause)?;
        self.transitions.push(t);
        self.state.status = to;
        self.state.status_since = Some(self.now);
        self.state.last_info = None;
        Ok(())
    }

    /// Refuses an action that does not apply in the lead's status: a transition to the status it
    /// is already in, which the table never allows (the console answers 409).
    pub fn refuse(&self, cause: &str) -> Result<(), IllegalTransition> {
        let from = self.status();
        from.transition(from, cause).map(|_| ())
    }

    /// Sends a message to the client.
    pub fn say(&mut self, body: MessageBody) {
        self.effects.push(Effect::Send {
            to: Recipient::Client,
            body,
            links: Vec::new(),
        });
    }

    /// Sends a text to the client.
    pub fn say_text(&mut self, text: String) {
        self.say(MessageBody::text(text));
    }

    /// Sends an informational reply unless the same one went out within the handover cooldown,
    /// so a client who keeps writing while they wait is not answered with the same line each time.
    pub fn inform(&mut self, key: &str, text: String) {
        let cooldown = chrono::Duration::hours(self.artist.timeouts.handover_cooldown_hours);
        let repeat = self
            .state
            .last_info
            .as_ref()
            .is_some_and(|n| n.key == key && self.now - n.at < cooldown);
        if !repeat {
            self.state.last_info = Some(InfoNote {
                key: key.to_owned(),
                at: self.now,
            });
            self.say_text(text);
        }
    }

    /// Adds any other effect.
    pub fn push(&mut self, effect: Effect) {
        self.effects.push(effect);
    }

    /// Notifies the artist on their own number.
    pub fn notify_artist(&mut self, text: String) {
        self.notify_artist_with_links(text, Vec::new());
    }

    /// Notifies the artist with single-use action links under the text.
    pub fn notify_artist_with_links(&mut self, text: String, links: Vec<ActionLink>) {
        self.effects.push(Effect::Send {
            to: Recipient::Artist,
            body: MessageBody::text(text),
            links,
        });
    }

    /// Records an answer in the history (latest wins).
    pub fn record(&mut self, key: QuestionKey, value: Value, raw: Option<&str>) {
        self.effects.push(Effect::RecordAnswer {
            key: key.as_str().to_owned(),
            value,
            raw: raw.map(str::to_owned),
        });
    }

    pub fn system_event(&mut self, kind: &str, severity: Severity, detail: Value) {
        self.effects.push(Effect::SystemEvent {
            kind: kind.to_owned(),
            severity,
            detail,
        });
    }

    /// Asks `key` (fresh), making it the current step.
    pub fn ask(&mut self, key: QuestionKey, prefix: Option<String>) {
        if self.state.question() != Some(key) {
            self.state.reasks = 0;
        }
        self.state.step = Some(key.as_str().to_owned());
        let copy = self.copy();
        let body = key.prompt(&copy, self.state.reasks);
        let body = match prefix {
            Some(p) => prepend(body, &p),
            None => body,
        };
        self.say(body);
    }

    /// Finishes: logs status changes to the sheet and (re)schedules the next tick.
    pub fn finish(mut self) -> Decision {
        if !self.transitions.is_empty() {
            self.effects
                .push(Effect::Job(Job::Sheets(SheetJob::UpsertLead {
                    status: self.state.status,
                    name: self.state.name.clone(),
                    answers: self.state.answers_json(),
                    estimate: self.state.estimate_json(),
                    references: self.state.references.len(),
                })));
        }
        let (was, will) = (
            timers::wake_at(self.before, self.artist),
            timers::wake_at(&self.state, self.artist),
        );
        if was != will {
            if was.is_some() {
                self.effects.push(Effect::CancelReminders {
                    kind: Some(TICK_REMINDER.into()),
                });
            }
            if let Some(at) = will {
                self.effects.push(Effect::ScheduleReminder {
                    kind: TICK_REMINDER.into(),
                    at,
                });
            }
        }
        Decision {
            state: self.state,
            effects: self.effects,
            transitions: self.transitions,
        }
    }
}

/// Puts `prefix` in front of a message's text (a short acknowledgement before a question).
pub fn prepend(body: MessageBody, prefix: &str) -> MessageBody {
    let join = |t: String| {
        if prefix.is_empty() {
            t
        } else {
            format!("{prefix}\n\n{t}")
        }
    };
    match body {
        MessageBody::Text { text } => MessageBody::Text { text: join(text) },
        MessageBody::Buttons { text, buttons } => MessageBody::Buttons {
            text: join(text),
            buttons,
        },
        MessageBody::List { text, button, rows } => MessageBody::List {
            text: join(text),
            button,
            rows,
        },
        t @ MessageBody::Template { .. } => t,
    }
}
