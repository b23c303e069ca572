//! The contracts between producers and consumers: every queue named once ([`Queue`]), and one
//! type per queue for what travels on it, shared by the engine, the outbox and the worker that
//! decodes it. Their JSON is the wire format (kept compatible with messages already queued).

pub mod partitions;
pub mod payments;
pub mod sheets;
pub mod whatsapp;

pub use payments::PaymentJob;
pub use sheets::SheetJob;
pub use whatsapp::{MediaJob, OutboundJob, SendJob, TemplateKind, WhatsAppJob};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every work queue (INTERFACES.md, "Queues"); each has `.retry` and `.dlq` companions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Queue {
    /// Raw WhatsApp webhook bodies, published by the ingress.
    InboundWhatsapp,
    /// Raw Stripe event bodies, published by the ingress.
    InboundStripe,
    /// [`OutboundJob`]s for the sender.
    OutboundWhatsapp,
    /// [`LeadJob<PaymentJob>`]s for the payments role.
    JobsPayments,
    /// [`LeadJob<SheetJob>`]s for the sheets role.
    JobsSheets,
    /// Calendar jobs (the calendar role).
    JobsCalendar,
}

impl Queue {
    /// In INTERFACES.md order.
    pub const ALL: [Queue; 6] = [
        Queue::InboundWhatsapp,
        Queue::InboundStripe,
        Queue::OutboundWhatsapp,
        Queue::JobsPayments,
        Queue::JobsSheets,
        Queue::JobsCalendar,
    ];

    /// The queue's name at the broker.
    pub const fn name(self) -> &'static str {
        match self {
            Queue::InboundWhatsapp => "inbound.whatsapp",
            Queue::InboundStripe => "inbound.stripe",
            Queue::OutboundWhatsapp => "outbound.whatsapp",
            Queue::JobsPayments => "jobs.payments",
            Queue::JobsSheets => "jobs.sheets",
            Queue::JobsCalendar => "jobs.calendar",
        }
    }

    /// The queue called `name`, if it is one of ours.
    pub fn from_name(name: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.name() == name)
    }
}

impl std::fmt::Display for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A job the engine decides about a lead, for another role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Job {
    Payments(PaymentJob),
    Sheets(SheetJob),
}

impl Job {
    /// Where this job goes.
    pub fn queue(&self) -> Queue {
        match self {
            Job::Payments(_) => Queue::JobsPayments,
            Job::Sheets(_) => Queue::JobsSheets,
        }
    }
}

impl From<PaymentJob> for Job {
    fn from(j: PaymentJob) -> Self {
        Job::Payments(j)
    }
}

impl From<SheetJob> for Job {
    fn from(j: SheetJob) -> Self {
        Job::Sheets(j)
    }
}

/// What travels on a `jobs.*` queue: the engine's job plus the lead and artist it is about (the
/// shell adds them; the pure engine does not know ids). Flattened: `{"kind", ..., "lead_id",
/// "artist"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeadJob<J> {
    pub lead_id: Uuid,
    /// The artist's slug.
    pub artist: String,
    #[serde(flatten)]
    pub job: J,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn queue_names_round_trip_and_are_unique() {
        for q in Queue::ALL {
            assert_eq!(Queue::from_name(q.name()), Some(q));
        }
        let mut names: Vec<_> = Queue::ALL.iter().map(|q| q.name()).collect();
        names.dedup();
        assert_eq!(names.len(), 6);
        assert_eq!(Queue::from_name("jobs.unknown"), None);
    }

    #[test]
    fn a_lead_job_has_the_wire_shape_the_payments_role_reads() {
        let job = LeadJob {
            lead_id: Uuid::nil(),
            artist: "demo".into(),
            job: PaymentJob::ExpireCheckout {
                checkout_session_id: "cs_1".into(),
            },
        };
        let v = serde_json::to_value(&job).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"kind": "expire_checkout", "checkout_session_id": "cs_1",
                "lead_id": Uuid::nil(), "artist": "demo"})
        );
        let back: LeadJob<PaymentJob> = serde_json::from_value(v).unwrap();
        assert_eq!(back, job);
        assert_eq!(Job::from(back.job).queue(), Queue::JobsPayments);
    }
}
