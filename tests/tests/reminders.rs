//! The reminders role drives time: a due `tick` reminder moves a silent client to ABANDONED.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::payloads;
use harness::{TestEnv, eventually};
use std::time::Duration;
use workers::Role;

#[tokio::test]
async fn a_silent_qualifying_client_is_abandoned_with_one_template_nudge() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let wa = "447700900500";
    let body = payloads::text(
        &env.artist.phone_number_id,
        wa,
        "Sam",
        "wamid.R1",
        chrono::Utc::now().timestamp(),
        "Hi",
    );
    assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    env.graph
        .wait_for_sent(1, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(env.count("SELECT count(*) FROM reminders WHERE kind = 'tick' AND fired_at IS NULL AND cancelled_at IS NULL").await, 1);

    // Three days of silence: move the lead's clock back and make its tick due.
    let past = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    sqlx::query(
        "UPDATE leads SET state = jsonb_set(jsonb_set(state, '{last_inbound_at}', to_jsonb($1::text)), '{status_since}', to_jsonb($1::text)),
            last_inbound_at = $1::timestamptz",
    )
    .bind(&past)
    .execute(&env.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE reminders SET due_at = now() WHERE kind = 'tick' AND fired_at IS NULL AND cancelled_at IS NULL")
        .execute(&env.pool)
        .await
        .unwrap();
    let _reminders = env.start_workers(&[Role::Reminders]).await;
    eventually("the lead is abandoned", Duration::from_secs(15), || async {
        (env.count("SELECT count(*) FROM leads WHERE status = 'ABANDONED'")
            .await
            == 1)
            .then_some(())
    })
    .await;
    let nudge = env
        .graph
        .wait_for_sent(2, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(
        nudge[1].kind, "template",
        "outside the 24 h window the nudge is a template"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM reminders WHERE fired_at IS NOT NULL")
            .await,
        1
    );
}
