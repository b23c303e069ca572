//! `--seed-leads`: a database that already holds a busy platform's history before the fleet
//! starts — many artists, a million leads and their transcripts — so a run shows whether the
//! fleet's cost grows with the data (it should not: every lookup is indexed). Set-based SQL
//! (`generate_series`), then `VACUUM (ANALYZE)` and a checkpoint so that no autovacuum or
//! checkpoint of the seed lands in the measured window.

use super::script::{self, answer_for};
use chrono::{DateTime, Utc};
use inkline_core::conversation::{Content, Event, Inbound, LeadState, step};
use inkline_core::domain::ArtistConfig;
use serde::Serialize;
use sqlx::PgPool;
use std::time::Instant;

/// At most this many seeded leads (and artists) per run.
pub const MAX_SEED_LEADS: usize = 10_000_000;
pub const MAX_SEED_ARTISTS: usize = 1_000;
pub const MAX_SEED_MESSAGES_PER_LEAD: usize = 20;

/// What to add to the fresh database (`--seed-leads`, `--seed-artists`, `--seed-messages-per-lead`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed {
    pub leads: usize,
    /// Artists in the database in all (the run's own included); the leads are spread over them.
    pub artists: usize,
    /// Transcript rows per lead, alternating inbound (with its processed-event row) and outbound.
    pub messages_per_lead: usize,
}

/// What the seed wrote, and how long it took.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Seeded {
    pub artists: i64,
    pub leads: i64,
    pub messages: i64,
    pub processed_events: i64,
    /// Inserting the rows.
    pub insert_seconds: f64,
    /// `VACUUM (ANALYZE)` and `CHECKPOINT` after it.
    pub settle_seconds: f64,
}

/// Seeded clients' numbers: `31` and 11 digits — loadgen's own clients are `49…` (15 digits) and
/// artists' notification numbers `44…`, so nothing the run sends can reach a seeded lead.
pub const SEED_WA_PREFIX: &str = "31";

/// The state a client has after playing `turns` messages of the script (what a seeded lead holds).
fn state_after(artist: &ArtistConfig, turns: usize, base: DateTime<Utc>) -> LeadState {
    let mut state = LeadState::new();
    for k in 0..turns {
        let at = script::turn_time(base, k);
        let event = Event::Inbound(Inbound {
            id: format!("seed.{k}"),
            at,
            profile_name: Some("Seeded Client".into()),
            content: Content::Text {
                body: answer_for(state.step.as_deref()).to_owned(),
            },
        });
        match step(&state, &event, artist, at) {
            Ok(d) => state = d.state,
            Err(_) => break,
        }
    }
    state
}

/// The columns a lead's state is mirrored into: (state, answers, status, step).
fn lead_columns(
    state: &LeadState,
) -> (serde_json::Value, serde_json::Value, String, Option<String>) {
    (
        serde_json::to_value(state).unwrap_or_default(),
        state.answers_json(),
        state.status.as_str().to_owned(),
        state.step.clone(),
    )
}

/// Adds the artists `existing..seed.artists` (variants of `base`), then the leads spread over every
/// artist, their messages and processed events; then settles the tables.
pub async fn run(
    pool: &PgPool,
    base: &ArtistConfig,
    existing: usize,
    seed: &Seed,
) -> Result<Seeded, sqlx::Error> {
    let started = Instant::now();
    for i in existing..seed.artists {
        infra::store::artists::upsert(pool, &script::artist_variant(base, i)).await?;
    }
    let now = script::base_time();
    // Half the leads mid-consultation, half done (their states as the engine leaves them).
    let (q_state, q_answers, q_status, q_step) = lead_columns(&state_after(base, 3, now));
    let (d_state, d_answers, d_status, d_step) =
        lead_columns(&state_after(base, script::MAX_MESSAGES, now));
    let leads = i64::try_from(seed.leads).unwrap_or(i64::MAX);
    let per_lead = i32::try_from(seed.messages_per_lead).unwrap_or(0);
    let mut conn = pool.acquire().await?;
    // One statement each, committed at once: durability of the seed is not what is measured.
    sqlx::raw_sql("SET synchronous_commit = off")
        .execute(&mut *conn)
        .await?;
    // Lead g: created 30 s after lead g-1, over the ~year before now; ids ordered by creation time
    // like the application's UUIDv7 (so the indexes look like production's, not random ones).
    sqlx::query(
        "WITH a AS (SELECT id, row_number() OVER (ORDER BY phone_number_id) - 1 AS i, count(*) OVER () AS n FROM artists),
              g AS (SELECT g, (extract(epoch FROM now()) * 1000)::bigint - ($1 - g + 1) * 30000 AS ms
                    FROM generate_series(1, $1) g)
         INSERT INTO leads (id, artist_id, wa_id, name, status, step, state, answers,
                            last_inbound_at, last_outbound_at, created_at, updated_at, qualifying_at, pending_approval_at)
         SELECT (lpad(to_hex(g.ms), 12, '0') || '7' || lpad(to_hex(g.g % 4096), 3, '0') || '8'
                 || lpad(to_hex(g.g), 15, '0'))::uuid,
                a.id, $2 || lpad(g.g::text, 11, '0'), 'Seeded Client ' || g.g,
                CASE WHEN g.g % 2 = 0 THEN $3 ELSE $7 END,
                CASE WHEN g.g % 2 = 0 THEN $4 ELSE $8 END,
                CASE WHEN g.g % 2 = 0 THEN $5 ELSE $9 END,
                CASE WHEN g.g % 2 = 0 THEN $6 ELSE $10 END,
                to_timestamp(g.ms / 1000.0) + interval '10 minutes',
                to_timestamp(g.ms / 1000.0) + interval '10 minutes',
                to_timestamp(g.ms / 1000.0),
                to_timestamp(g.ms / 1000.0) + interval '10 minutes',
                to_timestamp(g.ms / 1000.0),
                CASE WHEN g.g % 2 = 0 THEN NULL ELSE to_timestamp(g.ms / 1000.0) + interval '10 minutes' END
         FROM g JOIN a ON a.i = g.g % a.n",
    )
    .bind(leads)
    .bind(SEED_WA_PREFIX)
    .bind(&q_status)
    .bind(&q_step)
    .bind(&q_state)
    .bind(&q_answers)
    .bind(&d_status)
    .bind(&d_step)
    .bind(&d_state)
    .bind(&d_answers)
    .execute(&mut *conn)
    .await?;
    // Messages j = 0, 1, … of each lead, a minute apart: even ones from the client (with the
    // processed-event row of their wamid), odd ones the bot's answers, sent.
    sqlx::query(
        "INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, body,
                               provider_id, status, created_at, provider_at, sent_at)
         SELECT (left(replace(l.id::text, '-', ''), 12) || '7' || lpad(to_hex(j), 3, '0') || '9'
                 || right(replace(l.id::text, '-', ''), 15))::uuid,
                l.id, l.artist_id,
                CASE WHEN j % 2 = 0 THEN 'in' ELSE 'out' END, 'client', l.wa_id, 'text',
                CASE WHEN j % 2 = 0 THEN 'left forearm, about 10x15cm' ELSE 'Thanks! What style are you after?' END,
                CASE WHEN j % 2 = 0 THEN '{\"type\":\"text\",\"text\":{\"body\":\"left forearm, about 10x15cm\"}}'::jsonb
                     ELSE '{\"kind\":\"text\",\"text\":\"Thanks! What style are you after?\"}'::jsonb END,
                CASE WHEN j % 2 = 0 THEN 'wamid.SEED.' ELSE 'wamid.SEEDOUT.' END || l.wa_id || '.' || j,
                CASE WHEN j % 2 = 0 THEN 'received' ELSE 'sent' END,
                l.created_at + j * interval '1 minute',
                l.created_at + j * interval '1 minute',
                CASE WHEN j % 2 = 0 THEN NULL ELSE l.created_at + j * interval '1 minute' END
         FROM leads l CROSS JOIN generate_series(0, $2 - 1) j
         WHERE l.wa_id LIKE $1 || '%'",
    )
    .bind(SEED_WA_PREFIX)
    .bind(per_lead)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO processed_events (provider, id, processed_at)
         SELECT 'whatsapp', provider_id, created_at FROM messages
         WHERE direction = 'in' AND provider_id LIKE 'wamid.SEED.%'",
    )
    .execute(&mut *conn)
    .await?;
    let insert_seconds = started.elapsed().as_secs_f64();
    let settle = Instant::now();
    sqlx::raw_sql("VACUUM (ANALYZE) leads, messages, processed_events, artists")
        .execute(&mut *conn)
        .await?;
    // Needs superuser; without it the seed's WAL may be checkpointed during the run (said so).
    if let Err(e) = sqlx::raw_sql("CHECKPOINT").execute(&mut *conn).await {
        tracing::warn!(error = %e, "CHECKPOINT after the seed failed");
    }
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await }
    };
    Ok(Seeded {
        artists: count("SELECT count(*) FROM artists").await?,
        leads: count("SELECT count(*) FROM leads").await?,
        messages: count("SELECT count(*) FROM messages").await?,
        processed_events: count("SELECT count(*) FROM processed_events").await?,
        insert_seconds,
        settle_seconds: settle.elapsed().as_secs_f64(),
    })
}
