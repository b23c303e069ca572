//! Artist action links: single use, time-limited, bound to one lead, one action and the status
//! they were issued for; a reused, expired, out-of-status or forged link is refused and changes
//! nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use harness::TestEnv;
use infra::actions::ActionError;
use infra::actions::links::{self, LinkError};
use inkline_core::conversation::ArtistAction;
use inkline_core::conversation::LeadState;
use inkline_core::domain::Status;
use uuid::Uuid;

async fn seed(env: &TestEnv, wa_id: &str, status: Status) -> Uuid {
    let mut state = LeadState::new();
    state.status = status;
    state.name = Some("Sam Smith".into());
    env.insert_lead(wa_id, &state).await
}

async fn mint(
    env: &TestEnv,
    lead: Uuid,
    action: ArtistAction,
    for_status: Status,
    ttl: Duration,
) -> String {
    let mut tx = env.pool.begin().await.unwrap();
    let token = links::issue(&mut tx, lead.into(), &action, for_status, ttl)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    token
}

async fn status(env: &TestEnv, lead: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM leads WHERE id = $1")
        .bind(lead)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

/// Everything an action could have changed.
async fn footprint(env: &TestEnv) -> (i64, i64, i64, i64) {
    (
        env.count("SELECT count(*) FROM outbox").await,
        env.count("SELECT count(*) FROM lead_status_history").await,
        env.count("SELECT count(*) FROM system_events").await,
        env.count("SELECT count(*) FROM action_tokens WHERE used_at IS NOT NULL")
            .await,
    )
}

#[tokio::test]
async fn a_link_acts_once_and_reused_expired_out_of_status_or_forged_links_are_refused() {
    let env = TestEnv::new().await;
    let lead = seed(&env, "447700900701", Status::PendingApproval).await;
    let hours = Duration::hours(env.artist.timeouts.action_link_hours);
    let approve = mint(
        &env,
        lead,
        ArtistAction::Approve {
            deposit_minor: None,
        },
        Status::PendingApproval,
        hours,
    )
    .await;
    let reject = mint(
        &env,
        lead,
        ArtistAction::Reject { reason: None },
        Status::PendingApproval,
        hours,
    )
    .await;
    let expired = mint(
        &env,
        lead,
        ArtistAction::Reject { reason: None },
        Status::PendingApproval,
        Duration::seconds(-1),
    )
    .await;
    assert_eq!(approve.len(), 43, "256 bits, URL-safe base64");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM action_tokens LIMIT 1")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32, "only the SHA-256 is stored");
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM action_tokens WHERE params::text LIKE '%{approve}%'"
        ))
        .await,
        0
    );

    // The confirmation page shows without acting (link previews must not act).
    let preview = links::peek(&env.pool, &approve, Utc::now()).await.unwrap();
    assert_eq!(
        (preview.lead_id.uuid(), preview.status),
        (lead, Status::PendingApproval)
    );
    assert_eq!(
        preview.action,
        ArtistAction::Approve {
            deposit_minor: None
        }
    );
    assert!(preview.description.contains("Approve"));
    assert_eq!(status(&env, lead).await, "PENDING_APPROVAL");

    let before = footprint(&env).await;
    let forged = "A".repeat(43);
    assert!(matches!(
        links::redeem(&env.pool, &forged, Utc::now(), "t").await,
        Err(LinkError::Unknown)
    ));
    assert!(matches!(
        links::redeem(&env.pool, "../../etc", Utc::now(), "t").await,
        Err(LinkError::Unknown)
    ));
    assert!(matches!(
        links::peek(&env.pool, &forged, Utc::now()).await,
        Err(LinkError::Unknown)
    ));
    assert!(matches!(
        links::redeem(&env.pool, &expired, Utc::now(), "t").await,
        Err(LinkError::Expired)
    ));
    assert_eq!(
        footprint(&env).await,
        before,
        "refused links change nothing"
    );

    let done = links::redeem(&env.pool, &approve, Utc::now(), "t")
        .await
        .unwrap();
    assert_eq!(
        (done.from, done.to),
        (Status::PendingApproval, Status::AwaitingDeposit)
    );
    let after = footprint(&env).await;
    assert!(matches!(
        links::redeem(&env.pool, &approve, Utc::now(), "t").await,
        Err(LinkError::Used)
    ));
    assert!(matches!(
        links::peek(&env.pool, &approve, Utc::now()).await,
        Err(LinkError::Used)
    ));
    let wrong = links::redeem(&env.pool, &reject, Utc::now(), "t").await;
    assert!(
        matches!(&wrong, Err(LinkError::WrongStatus { issued_for, current: Status::AwaitingDeposit }) if issued_for == "PENDING_APPROVAL"),
        "{wrong:?}"
    );
    assert_eq!(
        footprint(&env).await,
        after,
        "nothing changes after the one use"
    );
    assert_eq!(status(&env, lead).await, "AWAITING_DEPOSIT");
    let actor: String = sqlx::query_scalar(
        "SELECT detail->>'actor' FROM system_events WHERE kind = 'artist_action'",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(actor, "link");
}

#[tokio::test]
async fn two_clicks_at_once_act_once() {
    let env = TestEnv::new().await;
    let lead = seed(&env, "447700900702", Status::PendingApproval).await;
    let token = mint(
        &env,
        lead,
        ArtistAction::Approve {
            deposit_minor: Some(5_000),
        },
        Status::PendingApproval,
        Duration::hours(1),
    )
    .await;
    let (a, b) = tokio::join!(
        links::redeem(&env.pool, &token, Utc::now(), "a"),
        links::redeem(&env.pool, &token, Utc::now(), "b")
    );
    let ok = [a.is_ok(), b.is_ok()].iter().filter(|x| **x).count();
    assert_eq!(ok, 1, "{a:?} {b:?}");
    assert!(matches!(a.err().or(b.err()), Some(LinkError::Used)));
    let jobs = env
        .count("SELECT count(*) FROM outbox WHERE topic = 'jobs.payments'")
        .await;
    assert_eq!(jobs, 1, "one checkout job");
    let amount: i64 = sqlx::query_scalar(
        "SELECT (payload->>'amount_minor')::bigint FROM outbox WHERE topic = 'jobs.payments'",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(amount, 5_000);
}

#[tokio::test]
async fn a_link_whose_action_no_longer_applies_is_refused() {
    let env = TestEnv::new().await;
    let lead = seed(&env, "447700900703", Status::Optout).await;
    // Issued for the status the lead is in, but approving an opted-out lead is never allowed.
    let token = mint(
        &env,
        lead,
        ArtistAction::Approve {
            deposit_minor: None,
        },
        Status::Optout,
        Duration::hours(1),
    )
    .await;
    let r = links::redeem(&env.pool, &token, Utc::now(), "t").await;
    assert!(
        matches!(
            r,
            Err(LinkError::Refused(ActionError::NotAllowed {
                status: Status::Optout,
                ..
            }))
        ),
        "{r:?}"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM action_tokens WHERE used_at IS NOT NULL")
            .await,
        0
    );
}
