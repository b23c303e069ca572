//! The sender against the fake Graph API: message kinds, the 24 h window, each error class,
//! receipts, read receipts and media. Send jobs are written straight into the outbox (as the
//! engine would) and the real relay and sender roles carry them out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Utc;
use fakes::{Fault, payloads};
use harness::outbound::{enqueue, lead, message_requests, sent_texts, texts};
use harness::{TestEnv, eventually};
use infra::bus::topology::{OUTBOUND_WHATSAPP, dlq};
use inkline_core::conversation::Recipient;
use inkline_core::domain::{Choice, MessageBody};
use inkline_core::jobs::TemplateKind;
use std::time::Duration;
use uuid::Uuid;
use workers::Role;

const CLIENT: &str = "447700900300";
const OTHER: &str = "447700900301";

/// Paces the demo artist with `rate` msg/s and `spacing` s per recipient after `burst`.
async fn pacing(env: &mut TestEnv, rate: f64, spacing: f64, burst: u32) {
    env.artist.pacing.messages_per_second = rate;
    env.artist.pacing.pair_spacing_secs = spacing;
    env.artist.pacing.pair_burst = burst;
    infra::store::artists::upsert(&env.pool, &env.artist)
        .await
        .unwrap();
}

async fn row(env: &TestEnv, id: Uuid) -> (String, Option<i32>, String) {
    sqlx::query_as("SELECT status, error_code, kind FROM messages WHERE id = $1")
        .bind(id)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn text_buttons_list_and_template_go_out_in_order_in_meta_shape() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 80.0, 0.0, 3).await;
    let lead_id = lead(&env, CLIENT, 1).await;
    let buttons = MessageBody::Buttons {
        text: "Approve?".into(),
        buttons: vec![
            Choice::new("y", "Yes, a title far too long for Meta"),
            Choice::new("n", "No"),
        ],
    };
    let list = MessageBody::List {
        text: "Pick".into(),
        button: "Slots".into(),
        rows: vec![Choice::new("s1", "Tue 10:00")],
    };
    let template = MessageBody::Template {
        name: "inkline_booking_reminder".into(),
        language: "en_GB".into(),
        params: vec!["Sam".into()],
    };
    let ids = enqueue(
        &env,
        vec![
            (
                Some(lead_id),
                Recipient::Client,
                CLIENT,
                MessageBody::text("Hi Sam"),
                None,
            ),
            (Some(lead_id), Recipient::Client, CLIENT, buttons, None),
            (Some(lead_id), Recipient::Client, CLIENT, list, None),
            (Some(lead_id), Recipient::Client, CLIENT, template, None),
        ],
    )
    .await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let sent = env
        .graph
        .wait_for_sent(4, Duration::from_secs(20))
        .await
        .unwrap();
    let kinds: Vec<&str> = sent.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, ["text", "interactive", "interactive", "template"]);
    assert_eq!(
        sent[1].body["interactive"]["action"]["buttons"][0]["reply"]["title"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        20
    );
    assert_eq!(sent[2].body["interactive"]["type"], "list");
    eventually("every wamid recorded", Duration::from_secs(10), || async {
        (env.count(
            "SELECT count(*) FROM messages WHERE direction = 'out' AND provider_id IS NOT NULL",
        )
        .await
            == 4)
            .then_some(())
    })
    .await;
    for (id, s) in ids.iter().zip(&sent) {
        let wamid: Option<String> =
            sqlx::query_scalar("SELECT provider_id FROM messages WHERE id = $1")
                .bind(id)
                .fetch_one(&env.pool)
                .await
                .unwrap();
        assert_eq!(wamid.as_deref(), Some(s.wamid.as_str()));
    }
}

#[tokio::test]
async fn a_message_25_hours_after_the_clients_last_message_goes_out_as_the_template() {
    let env = TestEnv::new().await;
    let lead_id = lead(&env, CLIENT, 25).await;
    let ids = texts(&env, lead_id, CLIENT, &["Still keen on the swallow?"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let sent = env
        .graph
        .wait_for_sent(1, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(sent[0].kind, "template");
    assert_eq!(sent[0].body["template"]["name"], "inkline_follow_up");
    let params = &sent[0].body["template"]["components"][0]["parameters"];
    assert_eq!(
        (params[0]["text"].as_str(), params[1]["text"].as_str()),
        (Some("Sam"), Some("Still keen on the swallow?"))
    );
    eventually(
        "recorded as the template",
        Duration::from_secs(10),
        || async {
            (row(&env, ids[0]).await == ("sent".into(), None, "template".into())).then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn throughput_limits_back_off_as_meta_says_and_keep_the_order() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 80.0, 0.0, 5).await;
    for code in [130429, 80007, 4] {
        env.graph.inject(Fault::for_code(code).retry_after(1));
    }
    let lead_id = lead(&env, CLIENT, 1).await;
    texts(&env, lead_id, CLIENT, &["one", "two", "three"]).await;
    let started = std::time::Instant::now();
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    env.graph
        .wait_for_sent(3, Duration::from_secs(30))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(3),
        "each Retry-After of 1 s was respected"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        sent_texts(&env, CLIENT),
        ["one", "two", "three"],
        "order kept through three back-offs"
    );
    assert_eq!(
        message_requests(&env),
        6,
        "three throttled attempts and three sends, no duplicate"
    );
    let m = infra::metrics::metrics().render();
    assert!(
        m.contains("inkline_send_throttled_total{limit=\"number_rate\"}"),
        "{m}"
    );
}

#[tokio::test]
async fn the_pair_rate_limit_delays_only_that_recipient() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 80.0, 0.0, 5).await;
    env.graph.inject(
        Fault::for_code(131056)
            .times(2)
            .only_to(CLIENT)
            .retry_after(1),
    );
    let a = lead(&env, CLIENT, 1).await;
    let b = lead(&env, OTHER, 1).await;
    texts(&env, a, CLIENT, &["a1", "a2"]).await;
    texts(&env, b, OTHER, &["b1"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let sent = env
        .graph
        .wait_for_sent(3, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(sent[0].to, OTHER, "the other client was not held up");
    assert!(
        sent[2].received_at - sent[0].received_at >= Duration::from_millis(1900),
        "two pair-rate back-offs of 1 s"
    );
    assert_eq!(sent_texts(&env, CLIENT), ["a1", "a2"]);
    assert_eq!(message_requests(&env), 5);
}

#[tokio::test]
async fn re_engagement_error_131047_switches_to_the_template() {
    let env = TestEnv::new().await;
    env.graph.inject(Fault::for_code(131047));
    let lead_id = lead(&env, CLIENT, 1).await;
    let ids = texts(&env, lead_id, CLIENT, &["Here is your summary"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let sent = env
        .graph
        .wait_for_sent(1, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(sent[0].body["template"]["name"], "inkline_follow_up");
    eventually(
        "recorded as the template",
        Duration::from_secs(10),
        || async {
            (row(&env, ids[0]).await == ("sent".into(), None, "template".into())).then_some(())
        },
    )
    .await;
    assert_eq!(message_requests(&env), 2);
}

#[tokio::test]
async fn outside_the_window_without_a_template_the_message_is_undeliverable_and_the_artist_told_once()
 {
    let env = TestEnv::new().await;
    let lead_id = lead(&env, CLIENT, 30).await;
    let ids = enqueue(
        &env,
        vec![(
            Some(lead_id),
            Recipient::Client,
            CLIENT,
            MessageBody::text("Pick a slot"),
            Some(TemplateKind::NoTemplate),
        )],
    )
    .await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let artist_wa = env.artist.artist_wa_id.clone().unwrap();
    let sent = env
        .graph
        .wait_for_sent(1, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(sent[0].to, artist_wa, "only the artist got something");
    assert_eq!(
        sent[0].body["template"]["name"], "inkline_artist_notification",
        "the artist's own window is closed too"
    );
    assert_eq!(row(&env, ids[0]).await.0, "undeliverable");
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'message_undeliverable'")
            .await,
        1
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(env.graph.sent_to(CLIENT).is_empty());
}

#[tokio::test]
async fn undeliverable_131026_fails_with_its_code_without_retry_and_the_artist_is_told() {
    let env = TestEnv::new().await;
    env.graph.inject(Fault::for_code(131026).only_to(CLIENT));
    let lead_id = lead(&env, CLIENT, 1).await;
    let ids = texts(&env, lead_id, CLIENT, &["Your deposit link"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    let artist_wa = env.artist.artist_wa_id.clone().unwrap();
    let sent = env
        .graph
        .wait_for_sent(1, Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(sent[0].to, artist_wa);
    assert_eq!(
        row(&env, ids[0]).await,
        ("failed".into(), Some(131026), "text".into())
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'send_failed'")
            .await,
        1
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        message_requests(&env),
        2,
        "one refused send, one notification, no retry"
    );
}

#[tokio::test]
async fn an_expired_token_pauses_the_artist_keeps_every_message_and_resumes_in_order() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 80.0, 0.0, 3).await;
    env.graph.inject(Fault::for_code(190));
    let lead_id = lead(&env, CLIENT, 1).await;
    let ids = texts(&env, lead_id, CLIENT, &["one", "two", "three"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    eventually("all three parked", Duration::from_secs(15), || async {
        (env.count("SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'queued' AND parked_at IS NOT NULL").await == 3)
            .then_some(())
    })
    .await;
    assert_eq!(
        env.count("SELECT count(*) FROM artists WHERE sending_paused_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'sending_paused'")
            .await,
        1
    );
    assert!(
        infra::metrics::metrics()
            .render()
            .contains("inkline_sending_paused{artist=\"demo\"} 1")
    );
    assert!(env.graph.sent().is_empty());
    assert_eq!(
        message_requests(&env),
        1,
        "nothing else was tried while paused"
    );

    // The operator fixed the token and resumes from the command line: everything goes, in
    // order, once.
    let inkline = |args: &[&str]| {
        let out = env.inkline(args);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (ok, said) = inkline(&["artist", "resume-sending", "demo"]);
    assert!(ok, "{said}");
    assert!(said.contains("3 parked message(s) queued again"), "{said}");
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'sending_resumed'")
            .await,
        1
    );
    env.graph
        .wait_for_sent(3, Duration::from_secs(15))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sent_texts(&env, CLIENT), ["one", "two", "three"]);
    for id in ids {
        assert_eq!(row(&env, id).await.0, "sent");
    }
    // Again: not paused any more, nothing changes; an unknown artist is an error.
    let (ok, said) = inkline(&["artist", "resume-sending", "demo"]);
    assert!(ok && said.contains("was not paused"), "{said}");
    let (ok, said) = inkline(&["artist", "resume-sending", "nobody"]);
    assert!(!ok && said.contains("no artist"), "{said}");
}

#[tokio::test]
async fn an_unknown_error_code_is_retried_a_bounded_number_of_times_then_dead_lettered() {
    let mut env = TestEnv::new().await;
    pacing(&mut env, 80.0, 0.0, 3).await;
    env.graph.fail_always(400, 999_999);
    let lead_id = lead(&env, CLIENT, 1).await;
    let ids = texts(&env, lead_id, CLIENT, &["hello", "after"]).await;
    let _w = env.start_workers(&[Role::Relay, Role::Sender]).await;
    eventually(
        "the first job dead-lettered",
        Duration::from_secs(20),
        || async { (env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await >= 1).then_some(()) },
    )
    .await;
    let first = row(&env, ids[0]).await;
    assert_eq!(first.0, "queued", "kept for a replay, not failed");
    eventually(
        "the second one stops waiting and is dead-lettered too",
        Duration::from_secs(20),
        || async { (env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await == 2).then_some(()) },
    )
    .await;
    assert_eq!(message_requests(&env), 8, "MAX_ATTEMPTS=4 attempts each");
}

#[tokio::test]
async fn receipts_out_of_order_leave_the_final_status_right_and_a_failure_is_told_once() {
    let env = TestEnv::new().await;
    let lead_id = lead(&env, CLIENT, 1).await;
    let ids = texts(&env, lead_id, CLIENT, &["first", "second"]).await;
    let ingress = env.start_ingress().await;
    let _w = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let sent = env
        .graph
        .wait_for_sent(2, Duration::from_secs(15))
        .await
        .unwrap();
    let pn = env.artist.phone_number_id.clone();
    let t = Utc::now().timestamp();
    for status in ["read", "delivered", "sent"] {
        let body = payloads::status_to(&pn, CLIENT, &sent[0].wamid, status, t, None);
        assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    }
    for _ in 0..2 {
        let body = payloads::status_to(&pn, CLIENT, &sent[1].wamid, "failed", t, Some(131026));
        assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    }
    let artist_wa = env.artist.artist_wa_id.clone().unwrap();
    eventually(
        "the artist is told about the failure",
        Duration::from_secs(15),
        || async { (!env.graph.sent_to(&artist_wa).is_empty()).then_some(()) },
    )
    .await;
    eventually("receipts consumed", Duration::from_secs(10), || async {
        (env.queue_depth(infra::bus::topology::INBOUND_WHATSAPP)
            .await
            == 0)
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(row(&env, ids[0]).await.0, "read");
    assert_eq!(
        row(&env, ids[1]).await,
        ("failed".into(), Some(131026), "text".into())
    );
    assert_eq!(
        env.graph.sent_to(&artist_wa).len(),
        1,
        "one notification for two failed receipts"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'message_failed'")
            .await,
        1
    );
}

#[tokio::test]
async fn inbound_messages_are_marked_read_and_photos_downloaded_verified_and_recorded() {
    let mut env = TestEnv::new().await;
    let dir = std::env::temp_dir().join(format!("inkline-media-{}", Uuid::new_v4().simple()));
    env.extra_env
        .insert("MEDIA_DIR".into(), dir.display().to_string());
    let photo = b"\xff\xd8\xff\xe0 not really a jpeg".to_vec();
    env.graph.add_media("MEDIA1", photo.clone(), "image/jpeg");
    let ingress = env.start_ingress().await;
    let _w = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let pn = env.artist.phone_number_id.clone();
    let t = Utc::now().timestamp();
    let hi = payloads::text(&pn, CLIENT, "Sam", "wamid.IN1", t, "Hi, I'd like a tattoo");
    assert_eq!(env.post_whatsapp(&ingress, &hi).await.status(), 200);
    let pic = payloads::image(
        &pn,
        CLIENT,
        "Sam",
        "wamid.IN2",
        t + 1,
        "MEDIA1",
        Some("like this"),
    );
    assert_eq!(env.post_whatsapp(&ingress, &pic).await.status(), 200);
    eventually("both marked read", Duration::from_secs(15), || async {
        (env.graph.reads().len() == 2).then_some(())
    })
    .await;
    let mut read: Vec<String> = env
        .graph
        .reads()
        .iter()
        .map(|r| r.message_id.clone())
        .collect();
    read.sort();
    assert_eq!(read, ["wamid.IN1", "wamid.IN2"]);
    let (sha, size, path): (String, i64, String) =
        eventually("the photo is recorded", Duration::from_secs(15), || async {
            sqlx::query_as(
                "SELECT sha256, size_bytes, storage_path FROM media WHERE media_id = 'MEDIA1'",
            )
            .fetch_optional(&env.pool)
            .await
            .unwrap()
        })
        .await;
    assert_eq!(sha, infra::store::media::sha256_hex(&photo));
    assert_eq!(size as usize, photo.len());
    assert_eq!(std::fs::read(dir.join(path)).unwrap(), photo);
    let _ = std::fs::remove_dir_all(dir);
    // The bot answered in the open window with free-form messages, not templates.
    assert!(
        env.graph
            .sent_to(CLIENT)
            .iter()
            .all(|m| m.kind != "template")
    );
}
