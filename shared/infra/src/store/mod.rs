//! PostgreSQL access: one file per aggregate, SQL beside the function that runs it.

pub mod action_tokens;
pub mod artists;
pub mod db;
pub mod deposits;
pub mod failures;
pub mod funnel;
pub mod ids;
pub mod lead_view;
pub mod leads;
pub mod media;
pub mod messages;
pub mod outbound;
pub mod outbox;
pub mod parking;
pub mod processed;
pub mod reminders;
pub mod retention;
pub mod system_events;
pub mod text;

impl From<sqlx::Error> for leads::LeadError {
    fn from(e: sqlx::Error) -> Self {
        leads::LeadError::Db(e)
    }
}
