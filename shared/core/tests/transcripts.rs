//! Transcript tests: every `tests/transcripts/*.txt` is a chat the conversation engine must hold.
//!
//! Format, one directive per line (blank lines and `#` comments are ignored):
//!
//! ```text
//! name Sam                      the client's WhatsApp profile name from now on
//! set STATUS                    put the lead in a status another worker drives (payments, booking)
//! artist {"tour": []}           merge these fields into the demo artist's JSON config
//! start 2026-11-25T10:00:00Z    the clock (each message advances it 30 s)
//! > I want a rose               the client types
//! [image] / [image a caption]   the client sends a photo
//! [tap id]                      the client taps a button/list row with this id
//! [sticker] [audio] [video] [document] [reaction] [location Leeds, UK]
//! < substring                   the bot's reply to the last event contains it (case-insensitive)
//! <! substring                  ...and does not contain this
//! - silent                      the bot sent the client nothing for the last event
//! << substring                  the artist was notified with a text containing it
//! <<- none                      the artist was not notified for the last event
//! = STATUS                      the lead's status now
//! ? key <json>                  answers_json()[key] equals this JSON (`? key null`: absent)
//! ~ CATEGORY [days]             the estimate's category (and days)
//! step key                      the current question
//! @ +25h / @ +30m               advance the clock, then Tick
//! ! artist resume|takeover      an artist action (append `-> error` when it must be refused);
//!   also approve [minor], reject [reason], ask_more [note], send_deposit, paid cash|bank
//! $ created|paid|expired|payment_failed|refunded|refunded_partly [attempt]   a payments event
//! $ failed ATTEMPT reason       the Checkout Session could not be created
//! job create_checkout [attempt] the last event asked the payments worker for a session
//! effect kind                   the last event produced an effect of this kind (e.g. system_event;
//!                               `links`: a message carrying action links)
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, Utc};
use inkline_core::conversation::{
    ArtistAction, Content, Decision, Effect, Event, ExpiryReason, Inbound, LeadState, PaymentEvent,
    PaymentMethod, step,
};
use inkline_core::domain::{ArtistConfig, Currency, MessageBody, Money, Status};
use inkline_core::jobs::Job;
use std::path::{Path, PathBuf};

struct Run {
    artist: ArtistConfig,
    state: LeadState,
    now: DateTime<Utc>,
    name: Option<String>,
    last: Option<Decision>,
    seq: u32,
    log: Vec<String>,
}

fn body_text(b: &MessageBody) -> String {
    b.preview()
}

impl Run {
    fn new() -> Self {
        Run {
            artist: ArtistConfig::demo(),
            state: LeadState::new(),
            now: "2026-11-25T10:00:00Z".parse().unwrap(),
            name: Some("Sam Smith".into()),
            last: None,
            seq: 0,
            log: Vec::new(),
        }
    }

    fn send(&mut self, content: Content) -> Result<(), String> {
        self.now += Duration::seconds(30);
        self.seq += 1;
        let msg = Inbound {
            id: format!("wamid.{}", self.seq),
            at: self.now,
            profile_name: self.name.clone(),
            content,
        };
        self.apply(Event::Inbound(msg), false)
    }

    fn apply(&mut self, event: Event, may_fail: bool) -> Result<(), String> {
        let before = self.state.status;
        match step(&self.state, &event, &self.artist, self.now) {
            Ok(d) => {
                if may_fail {
                    return Err(format!(
                        "expected an illegal transition, got {:?}",
                        d.state.status
                    ));
                }
                let mut at = before;
                for t in &d.transitions {
                    if t.from != at {
                        return Err(format!("transition chain broken: {t:?} after {at}"));
                    }
                    at = t.to;
                }
                if at != d.state.status {
                    return Err(format!(
                        "transitions end in {at}, state says {}",
                        d.state.status
                    ));
                }
                if before == Status::Optout
                    && d.state.status == Status::Optout
                    && d.client_messages().count() > 0
                {
                    return Err("sent a message to an opted-out client".into());
                }
                for m in d.client_messages() {
                    self.log.push(format!("    bot: {}", body_text(m)));
                }
                for m in d.artist_messages() {
                    self.log.push(format!(
                        "    artist<-: {}",
                        body_text(m).replace('\n', " / ")
                    ));
                }
                self.log.push(format!(
                    "    [{}{}]",
                    d.state.status,
                    d.state
                        .step
                        .as_deref()
                        .map(|s| format!(" step={s}"))
                        .unwrap_or_default()
                ));
                self.state = d.state.clone();
                // Persisting and loading must not change the state.
                let json = serde_json::to_value(&self.state).unwrap();
                let back: LeadState = serde_json::from_value(json).unwrap();
                if back != self.state {
                    return Err("state does not round-trip through JSON".into());
                }
                self.last = Some(d);
                Ok(())
            }
            Err(e) if may_fail => {
                self.log.push(format!("    refused: {e}"));
                self.last = None;
                Ok(())
            }
            Err(e) => Err(format!("illegal transition: {e}")),
        }
    }

    fn client_texts(&self) -> Vec<String> {
        self.last
            .as_ref()
            .map(|d| d.client_messages().map(body_text).collect())
            .unwrap_or_default()
    }

    fn artist_texts(&self) -> Vec<String> {
        self.last
            .as_ref()
            .map(|d| d.artist_messages().map(body_text).collect())
            .unwrap_or_default()
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        let (head, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        match head {
            "set" => {
                self.state.status = rest.parse().map_err(|e| format!("{e}"))?;
                self.state.step = None;
            }
            "name" => self.name = (!rest.is_empty()).then(|| rest.to_owned()),
            "start" => self.now = rest.parse().map_err(|e| format!("bad time: {e}"))?,
            "artist" => {
                let mut cfg = serde_json::to_value(&self.artist).unwrap();
                let patch: serde_json::Value =
                    serde_json::from_str(rest).map_err(|e| e.to_string())?;
                for (k, v) in patch.as_object().ok_or("artist takes a JSON object")? {
                    cfg[k] = v.clone();
                }
                self.artist = ArtistConfig::from_json(cfg).map_err(|e| e.to_string())?;
            }
            ">" => {
                self.log.push(format!("client: {rest}"));
                self.send(Content::Text {
                    body: rest.to_owned(),
                })?;
            }
            "<" => {
                let all = self.client_texts().join("\n");
                if !all.to_lowercase().contains(&rest.to_lowercase()) {
                    return Err(format!("bot reply lacks {rest:?}; got {all:?}"));
                }
            }
            "<!" => {
                let all = self.client_texts().join("\n");
                if all.to_lowercase().contains(&rest.to_lowercase()) {
                    return Err(format!("bot reply must not contain {rest:?}; got {all:?}"));
                }
            }
            "-" => {
                let all = self.client_texts();
                if !all.is_empty() {
                    return Err(format!("expected silence, bot said {all:?}"));
                }
            }
            "<<" => {
                let all = self.artist_texts().join("\n");
                if !all.to_lowercase().contains(&rest.to_lowercase()) {
                    return Err(format!("artist notification lacks {rest:?}; got {all:?}"));
                }
            }
            "<<-" => {
                let all = self.artist_texts();
                if !all.is_empty() {
                    return Err(format!("expected no artist notification, got {all:?}"));
                }
            }
            "=" => {
                let want: Status = rest.parse().map_err(|e| format!("{e}"))?;
                if self.state.status != want {
                    return Err(format!("status is {}, expected {want}", self.state.status));
                }
            }
            "step" => {
                let got = self.state.step.as_deref().unwrap_or("none");
                if got != rest {
                    return Err(format!("step is {got}, expected {rest}"));
                }
            }
            "?" => {
                let (key, want) = rest.split_once(' ').ok_or("? key json")?;
                let want: serde_json::Value =
                    serde_json::from_str(want).map_err(|e| format!("{e}: {want}"))?;
                let answers = self.state.answers_json();
                let got = answers.get(key).cloned().unwrap_or(serde_json::Value::Null);
                if got != want {
                    return Err(format!("answer {key} is {got}, expected {want}"));
                }
            }
            "~" => {
                let e = self.state.estimate_json().ok_or("no estimate")?;
                let mut parts = rest.split_whitespace();
                let cat = parts.next().unwrap_or_default();
                if e["category"] != cat {
                    return Err(format!("estimate {e}, expected {cat}"));
                }
                if let Some(days) = parts.next()
                    && e["days"]
                        != days
                            .parse::<u32>()
                            .map_err(|_| format!("bad days {days}"))?
                {
                    return Err(format!("estimate {e}, expected {days} days"));
                }
            }
            "@" => {
                let d = rest.trim_start_matches('+');
                let (n, unit) = d.split_at(d.len() - 1);
                let n: i64 = n.parse().map_err(|_| format!("bad duration {rest}"))?;
                self.now += match unit {
                    "h" => Duration::hours(n),
                    "m" => Duration::minutes(n),
                    "d" => Duration::days(n),
                    _ => return Err(format!("bad unit in {rest}")),
                };
                self.log.push(format!("(clock {rest}, tick)"));
                self.apply(Event::Tick, false)?;
            }
            "!" => {
                let (action, fail) = match rest.split_once("->") {
                    Some((a, _)) => (a.trim(), true),
                    None => (rest, false),
                };
                let (verb, arg) = action
                    .strip_prefix("artist ")
                    .ok_or_else(|| format!("unknown artist action {action}"))?
                    .split_once(' ')
                    .map_or((action.trim_start_matches("artist "), None), |(v, a)| {
                        (v, Some(a.trim().to_owned()))
                    });
                let action = match verb {
                    "resume" => ArtistAction::Resume,
                    "takeover" => ArtistAction::Handover,
                    "approve" => ArtistAction::Approve {
                        deposit_minor: arg
                            .map(|a| a.parse().map_err(|_| format!("bad amount {a}")))
                            .transpose()?,
                    },
                    "reject" => ArtistAction::Reject { reason: arg },
                    "ask_more" => ArtistAction::AskMore { note: arg },
                    "send_deposit" => ArtistAction::SendDeposit,
                    "paid" => ArtistAction::MarkPaid {
                        method: match arg.as_deref() {
                            Some("bank") => PaymentMethod::Bank,
                            _ => PaymentMethod::Cash,
                        },
                    },
                    other => return Err(format!("unknown artist action {other}")),
                };
                self.log.push(format!("(artist {action:?})"));
                self.apply(Event::Artist(action), fail)?;
            }
            "$" => {
                let mut parts = rest.splitn(3, ' ');
                let kind = parts.next().unwrap_or_default();
                let attempt: u32 = parts.next().and_then(|a| a.parse().ok()).unwrap_or(1);
                let extra = parts.next().unwrap_or_default().to_owned();
                let amount = self
                    .state
                    .deposit
                    .as_ref()
                    .map_or(Money::new(15_000, Currency::GBP), |d| d.amount);
                let event = match kind {
                    "created" => PaymentEvent::CheckoutCreated {
                        attempt,
                        session_id: format!("cs_test_{attempt}"),
                        url: format!("https://pay.test/cs_test_{attempt}"),
                        amount,
                        expires_at: self.now + Duration::hours(23),
                    },
                    "failed" => PaymentEvent::CheckoutFailed {
                        attempt,
                        reason: extra,
                    },
                    "paid" => PaymentEvent::Paid { attempt, amount },
                    "expired" => PaymentEvent::Expired {
                        attempt,
                        reason: ExpiryReason::LinkExpired,
                    },
                    "payment_failed" => PaymentEvent::Expired {
                        attempt,
                        reason: ExpiryReason::PaymentFailed,
                    },
                    "refunded" => PaymentEvent::Refunded {
                        amount_refunded: amount,
                        full: true,
                    },
                    "refunded_partly" => PaymentEvent::Refunded {
                        amount_refunded: Money::new(amount.amount_minor / 2, amount.currency),
                        full: false,
                    },
                    other => return Err(format!("unknown payment event {other}")),
                };
                self.log.push(format!("(payment {kind} {attempt})"));
                self.apply(Event::Payment(event), false)?;
            }
            "job" => {
                let jobs: Vec<serde_json::Value> = self
                    .last
                    .iter()
                    .flat_map(|d| d.effects.iter())
                    .filter_map(|e| match e {
                        Effect::Job(Job::Payments(j)) => serde_json::to_value(j).ok(),
                        _ => None,
                    })
                    .collect();
                let (kind, attempt) = rest.split_once(' ').unwrap_or((rest, ""));
                let found = jobs.iter().any(|j| {
                    j["kind"] == kind
                        && (attempt.is_empty()
                            || attempt.parse::<u64>().ok() == j["attempt"].as_u64())
                });
                if !found {
                    return Err(format!("no payments job {rest} in {jobs:?}"));
                }
            }
            "effect" => {
                let kinds: Vec<String> = self
                    .last
                    .iter()
                    .flat_map(|d| d.effects.iter())
                    .flat_map(|e| {
                        let kind = serde_json::to_value(e).unwrap()["effect"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                        // A message carrying action links also counts as `links`.
                        let links = matches!(e, Effect::Send { links, .. } if !links.is_empty());
                        std::iter::once(kind).chain(links.then(|| "links".to_owned()))
                    })
                    .collect();
                if !kinds.iter().any(|k| k == rest) {
                    return Err(format!("no {rest} effect in {kinds:?}"));
                }
            }
            _ if line.starts_with('[') && line.ends_with(']') => {
                self.log.push(format!("client: {line}"));
                let inner = &line[1..line.len() - 1];
                let (kind, arg) = inner
                    .split_once(' ')
                    .map_or((inner, None), |(k, a)| (k, Some(a.trim().to_owned())));
                let content = match kind {
                    "image" => Content::Image {
                        media_id: format!("media{}", self.seq),
                        mime_type: Some("image/jpeg".into()),
                        caption: arg,
                    },
                    "tap" => {
                        let id = arg.ok_or("[tap id]")?;
                        Content::Choice {
                            title: id.clone(),
                            id,
                        }
                    }
                    "reaction" => Content::Reaction {
                        emoji: Some("👍".into()),
                    },
                    "location" => Content::Location {
                        latitude: 53.8,
                        longitude: -1.5,
                        name: None,
                        address: arg,
                    },
                    other => Content::Other {
                        kind: other.to_owned(),
                    },
                };
                self.send(content)?;
            }
            other => return Err(format!("unknown directive {other:?}")),
        }
        Ok(())
    }
}

fn transcripts() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    files
}

fn run_file(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let mut run = Run::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Err(e) = run.line(line) {
            let tail: Vec<&String> = run
                .log
                .iter()
                .rev()
                .take(12)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let tail: Vec<&str> = tail.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "line {}: `{line}`: {e}\n  ...\n{}",
                i + 1,
                tail.join("\n")
            ));
        }
    }
    Ok(())
}

#[test]
fn every_transcript_holds() {
    let files = transcripts();
    let only = std::env::var("TRANSCRIPT").ok();
    let mut failures = Vec::new();
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        if let Err(e) = run_file(f) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} transcripts failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn there_are_at_least_thirty_transcripts() {
    assert!(
        transcripts().len() >= 30,
        "only {} transcripts",
        transcripts().len()
    );
}
