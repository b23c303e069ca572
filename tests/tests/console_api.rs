//! The admin JSON API over HTTP against a real database and broker: the key, the Lead JSON of
//! INTERFACES.md, pagination, filters, artist actions (200 / 409 / 404 / 422), artists, dead
//! letters, parked rows, the funnel and health.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod console_support;

use console_support::{ADMIN_KEY, client, seed_artist, seed_lead, start_console};
use harness::TestEnv;
use infra::bus::topology::{OUTBOUND_WHATSAPP, dlq};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn get(url: &str) -> (StatusCode, Value) {
    let r = client()
        .get(url)
        .header("X-Admin-API-Key", ADMIN_KEY)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn post(url: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = client().post(url).header("X-Admin-API-Key", ADMIN_KEY);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn put(url: &str, body: Value) -> (StatusCode, Value) {
    let r = client()
        .put(url)
        .header("X-Admin-API-Key", ADMIN_KEY)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn error_code(v: &Value) -> &str {
    v.pointer("/error/code")
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("not an error body: {v}"))
}

#[tokio::test]
async fn every_admin_call_needs_the_key_401_without_403_wrong() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let id = seed_lead(&env, env.artist_id, "447700900111", "Sam", "QUALIFYING", 1).await;
    for (method, path) in console::admin::routes() {
        let path = path
            .replace("{id}", &id.to_string())
            .replace("{slug}", "demo")
            .replace("{queue}", OUTBOUND_WHATSAPP)
            .replace("{loop}", "outbox");
        let url = console.url(&path);
        let req = |key: Option<&str>| {
            let mut r = client().request(method.to_uppercase().parse().unwrap(), &url);
            if let Some(k) = key {
                r = r.header("X-Admin-API-Key", k);
            }
            r.send()
        };
        let none = req(None).await.unwrap();
        assert_eq!(none.status(), 401, "{method} {path} without a key");
        let body: Value = none.json().await.unwrap();
        assert_eq!(error_code(&body), "unauthorized");
        assert!(
            body.pointer("/error/message")
                .and_then(Value::as_str)
                .is_some()
        );
        let wrong = req(Some("not-the-key")).await.unwrap();
        assert_eq!(wrong.status(), 403, "{method} {path} with a wrong key");
    }
    // Nothing changed on the way.
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'artist_action'")
            .await,
        0
    );
}

#[tokio::test]
async fn without_admin_api_key_every_call_is_refused_but_health_answers() {
    let env = TestEnv::new().await;
    let console = start_console(&env, None, &[]).await;
    let r = client()
        .get(console.url("/admin/leads"))
        .header("X-Admin-API-Key", "anything")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(&r.json().await.unwrap()), "admin_api_disabled");
    assert_eq!(
        client()
            .get(console.url("/admin/leads"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let h = client().get(console.url("/healthz")).send().await.unwrap();
    assert_eq!(
        (h.status(), h.text().await.unwrap()),
        (StatusCode::OK, "ok".to_owned())
    );
    let r = client().get(console.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"database": true, "broker": true})
    );
    let r = client()
        .get(console.url("/admin/nope"))
        .header("X-Admin-API-Key", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(&r.json().await.unwrap()), "not_found");
}

#[tokio::test]
async fn leads_are_listed_newest_first_with_a_cursor_and_filters() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let other = seed_artist(&env, "other", "100000000000009").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            seed_lead(
                &env,
                env.artist_id,
                &format!("4477009002{i:02}"),
                &format!("C{i}"),
                "QUALIFYING",
                50 - i,
            )
            .await,
        );
    }
    let pending = seed_lead(
        &env,
        env.artist_id,
        "447700900300",
        "Pat",
        "PENDING_APPROVAL",
        5,
    )
    .await;
    let elsewhere = seed_lead(&env, other, "447700900301", "Kim", "QUALIFYING", 1).await;

    // Newest first, two a page, until next_cursor is null.
    let mut seen = Vec::new();
    let mut url = console.url("/admin/leads?limit=2");
    loop {
        let (s, page) = get(&url).await;
        assert_eq!(s, 200, "{page}");
        let leads = page["leads"].as_array().unwrap();
        assert!(leads.len() <= 2);
        seen.extend(leads.iter().map(|l| l["id"].as_str().unwrap().to_owned()));
        assert!(
            leads
                .iter()
                .all(|l| l.get("history").is_none() && l.get("transcript").is_none()),
            "the list has no history"
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = console.url(&format!("/admin/leads?limit=2&cursor={c}")),
            None => break,
        }
    }
    let mut expected: Vec<String> = vec![elsewhere.to_string(), pending.to_string()];
    expected.extend(ids.iter().rev().map(ToString::to_string));
    assert_eq!(seen, expected, "every lead once, newest first");

    let (_, only) = get(&console.url("/admin/leads?status=PENDING_APPROVAL")).await;
    assert_eq!(only["leads"].as_array().unwrap().len(), 1);
    assert_eq!(only["leads"][0]["id"], json!(pending.to_string()));
    assert_eq!(only["next_cursor"], Value::Null);
    let (_, by_artist) = get(&console.url("/admin/leads?artist=other")).await;
    assert_eq!(by_artist["leads"].as_array().unwrap().len(), 1);
    assert_eq!(by_artist["leads"][0]["artist"], json!("other"));
    let (_, by_wa) = get(&console.url("/admin/leads?wa_id=447700900300")).await;
    assert_eq!(by_wa["leads"][0]["name"], json!("Pat"));

    for (q, code) in [
        ("status=SLEEPING", "invalid_status"),
        ("limit=0", "invalid_limit"),
        ("limit=201", "invalid_limit"),
        ("limit=abc", "invalid_limit"),
        ("cursor=not-a-cursor", "invalid_cursor"),
    ] {
        let (s, body) = get(&console.url(&format!("/admin/leads?{q}"))).await;
        assert_eq!(s, 400, "{q}");
        assert_eq!(error_code(&body), code, "{q}");
    }
}

#[tokio::test]
async fn one_lead_has_the_interfaces_shape_with_history_and_transcript() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let id = seed_lead(
        &env,
        env.artist_id,
        "447700900123",
        "Sam",
        "PENDING_APPROVAL",
        3,
    )
    .await;
    sqlx::query("INSERT INTO lead_status_history (lead_id, from_status, to_status, cause) VALUES ($1, 'NEW', 'QUALIFYING', 'inbound_message')")
        .bind(id)
        .execute(&env.pool)
        .await
        .unwrap();
    for (dir, status, text, provider) in [
        ("in", "received", "Hi", Some("wamid.IN1")),
        ("out", "read", "What would you like?", Some("wamid.OUT1")),
        ("out", "queued", "Next", None),
    ] {
        sqlx::query(
            "INSERT INTO messages (id, lead_id, artist_id, direction, recipient, wa_id, kind, text, provider_id, status)
             VALUES ($1, $2, $3, $4, 'client', '447700900123', 'text', $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(id)
        .bind(env.artist_id)
        .bind(dir)
        .bind(text)
        .bind(provider)
        .bind(status)
        .execute(&env.pool)
        .await
        .unwrap();
    }
    let (s, lead) = get(&console.url(&format!("/admin/leads/{id}"))).await;
    assert_eq!(s, 200);
    for key in [
        "id",
        "artist",
        "wa_id",
        "name",
        "status",
        "step",
        "answers",
        "estimate",
        "deposit",
        "references",
        "booking",
        "created_at",
        "updated_at",
        "history",
        "transcript",
    ] {
        assert!(lead.get(key).is_some(), "Lead JSON has {key}: {lead}");
    }
    assert_eq!(lead["artist"], json!("demo"));
    assert_eq!(lead["status"], json!("PENDING_APPROVAL"));
    assert_eq!(
        lead["answers"]["budget"],
        json!({"amount_minor": 60000, "currency": "GBP"})
    );
    assert_eq!(lead["estimate"]["deposit"]["amount_minor"], json!(15000));
    assert_eq!(lead["references"], json!([]));
    assert_eq!(
        lead["history"],
        json!([{"from": "NEW", "to": "QUALIFYING", "at": lead["history"][0]["at"], "cause": "inbound_message"}])
    );
    let t = lead["transcript"].as_array().unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(
        (t[0]["direction"].as_str(), t[0]["delivery"].clone()),
        (Some("in"), Value::Null)
    );
    assert_eq!(
        (
            t[1]["direction"].as_str(),
            t[1]["delivery"].as_str(),
            t[1]["text"].as_str()
        ),
        (Some("out"), Some("read"), Some("What would you like?"))
    );
    assert_eq!(t[2]["delivery"], Value::Null, "queued is not delivered yet");
    assert!(
        t.iter()
            .all(|m| m["kind"] == json!("text") && m["at"].is_string())
    );

    assert_eq!(
        get(&console.url(&format!("/admin/leads/{}", uuid::Uuid::now_v7())))
            .await
            .0,
        404
    );
    let (s, body) = get(&console.url("/admin/leads/not-a-uuid")).await;
    assert_eq!((s, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn actions_answer_200_with_the_lead_or_409_with_the_current_status() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let id = seed_lead(&env, env.artist_id, "447700900124", "Sam", "QUALIFYING", 3).await;
    let url = |a: &str| console.url(&format!("/admin/leads/{id}/{a}"));

    let (s, lead) = post(&url("handover"), None).await;
    assert_eq!(s, 200, "{lead}");
    assert_eq!(lead["status"], json!("NEEDS_ARTIST_REPLY"));
    assert!(
        lead["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["to"] == json!("NEEDS_ARTIST_REPLY"))
    );

    let (s, body) = post(&url("handover"), None).await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(error_code(&body), "invalid_transition");
    assert_eq!(body["error"]["status"], json!("NEEDS_ARTIST_REPLY"));

    let before = env.count("SELECT count(*) FROM outbox").await;
    let (s, lead) = post(&url("reply"), Some(json!({"text": "Hi Sam, Demo here"}))).await;
    assert_eq!(s, 200);
    assert_eq!(lead["status"], json!("NEEDS_ARTIST_REPLY"));
    assert_eq!(
        env.count("SELECT count(*) FROM outbox").await,
        before + 1,
        "the reply goes out through the outbox"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM messages WHERE text = 'Hi Sam, Demo here'")
            .await,
        1
    );

    let (s, lead) = post(&url("resume"), None).await;
    assert_eq!(s, 200, "{lead}");
    assert_ne!(lead["status"], json!("NEEDS_ARTIST_REPLY"));

    let (s, body) = post(&url("reply"), Some(json!({"text": "  "}))).await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input")
    );
    let r = client()
        .post(url("reply"))
        .header("X-Admin-API-Key", ADMIN_KEY)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(&r.json().await.unwrap()), "invalid_json");
    let (s, body) = post(&url("dance"), None).await;
    assert_eq!((s, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, _) = post(
        &console.url(&format!("/admin/leads/{}/handover", uuid::Uuid::now_v7())),
        None,
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn nothing_applies_to_an_opted_out_lead_and_nothing_is_sent() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let id = seed_lead(&env, env.artist_id, "447700900125", "Sam", "OPTOUT", 3).await;
    for (action, body) in [
        ("approve", Some(json!({"deposit_minor": 15000}))),
        ("reject", None),
        ("send-deposit", None),
        ("ask-more", None),
        ("mark-paid", Some(json!({"method": "cash"}))),
        ("resume", None),
        ("reply", Some(json!({"text": "hello?"}))),
    ] {
        let (s, b) = post(&console.url(&format!("/admin/leads/{id}/{action}")), body).await;
        assert_eq!(s, 409, "{action}: {b}");
        assert_eq!(b["error"]["status"], json!("OPTOUT"), "{action}");
    }
    assert_eq!(env.count("SELECT count(*) FROM outbox").await, 0);
    assert_eq!(env.count("SELECT count(*) FROM messages").await, 0);
}

#[tokio::test]
async fn approving_a_pending_lead_moves_it_to_awaiting_deposit() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let id = seed_lead(
        &env,
        env.artist_id,
        "447700900126",
        "Sam",
        "PENDING_APPROVAL",
        3,
    )
    .await;
    let (s, body) = post(
        &console.url(&format!("/admin/leads/{id}/approve")),
        Some(json!({"deposit_minor": 0})),
    )
    .await;
    assert_eq!(
        (s, error_code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_input"),
        "{body}"
    );
    let (s, lead) = post(
        &console.url(&format!("/admin/leads/{id}/approve")),
        Some(json!({"deposit_minor": 12000})),
    )
    .await;
    assert_eq!(s, 200, "{lead}");
    assert_eq!(lead["status"], json!("AWAITING_DEPOSIT"));
    assert_eq!(lead["deposit"]["amount_minor"], json!(12000));
    assert_eq!(lead["deposit"]["currency"], json!("GBP"));
    let (s, body) = post(&console.url(&format!("/admin/leads/{id}/reject")), None).await;
    assert_eq!(
        (s, body["error"]["status"].clone()),
        (StatusCode::CONFLICT, json!("AWAITING_DEPOSIT"))
    );
}

#[tokio::test]
async fn artists_are_listed_without_tokens_and_put_validates_like_the_toml() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let r = client()
        .get(console.url("/admin/artists"))
        .header("X-Admin-API-Key", ADMIN_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains(harness::env::ACCESS_TOKEN),
        "the WhatsApp token is never shown"
    );
    let list: Value = serde_json::from_str(&text).unwrap();
    let mut demo = list["artists"][0].clone();
    assert_eq!(demo["slug"], json!("demo"));
    assert_eq!(demo["phone_number_id"], json!(env.artist.phone_number_id));

    // What GET gives, PUT takes back (the stored token is kept).
    demo["name"] = json!("Demo Ink & Co");
    let (s, saved) = put(&console.url("/admin/artists/demo"), demo.clone()).await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["name"], json!("Demo Ink & Co"));
    let stored = infra::store::artists::by_slug(&env.pool, "demo")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.config.name, "Demo Ink & Co");
    assert_eq!(
        stored.config.whatsapp_access_token.as_deref(),
        Some(harness::env::ACCESS_TOKEN)
    );

    let (s, created) = put(
        &console.url("/admin/artists/newbie"),
        json!({"name": "Newbie", "phone_number_id": "100000000000077"}),
    )
    .await;
    assert_eq!(s, 201, "{created}");
    assert_eq!(created["slug"], json!("newbie"));
    assert_eq!(
        created["timezone"],
        json!("Europe/London"),
        "defaults filled in"
    );

    let cases = [
        (
            json!({"name": "X", "phone_number_id": "1", "timezone": "Mars/Olympus"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_config",
        ),
        (
            json!({"name": "X", "phone_number_id": "1", "surprise": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_config",
        ),
        (
            json!({"slug": "someone-else", "name": "X", "phone_number_id": "1"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "slug_mismatch",
        ),
        (
            json!({"name": "Copycat", "phone_number_id": env.artist.phone_number_id}),
            StatusCode::CONFLICT,
            "conflict",
        ),
        (json!([1, 2]), StatusCode::BAD_REQUEST, "invalid_json"),
    ];
    for (body, status, code) in cases {
        let (s, b) = put(&console.url("/admin/artists/copycat"), body.clone()).await;
        assert_eq!((s, error_code(&b)), (status, code), "{body}");
    }
    assert_eq!(env.count("SELECT count(*) FROM artists").await, 2);
}

#[tokio::test]
async fn resuming_sending_clears_the_pause_and_queues_the_parked_messages_again() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let url = |slug: &str| console.url(&format!("/admin/artists/{slug}/resume-sending"));
    let (s, b) = post(&url("nobody"), None).await;
    assert_eq!(s, 404, "{b}");
    let (s, b) = post(&url("demo"), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"artist": "demo", "was_paused": false, "requeued": 0})
    );

    // Paused by the sender (Meta said the token is bad) with one parked message.
    assert!(
        infra::store::artists::pause_sending(&env.pool, env.artist_id, "token expired (190)")
            .await
            .unwrap()
    );
    let lead_id = harness::outbound::lead(&env, "447700900123", 1).await;
    let parked = harness::outbound::texts(&env, lead_id, "447700900123", &["hello again"]).await[0];
    sqlx::query("UPDATE messages SET parked_at = now(), parked_reason = 'paused' WHERE id = $1")
        .bind(parked)
        .execute(&env.pool)
        .await
        .unwrap();
    let (s, b) = post(&url("demo"), None).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b,
        json!({"artist": "demo", "was_paused": true, "requeued": 1})
    );
    assert_eq!(
        env.count("SELECT count(*) FROM artists WHERE sending_paused_at IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM messages WHERE id = '{parked}' AND parked_at IS NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'sending_resumed'")
            .await,
        1
    );
}

#[tokio::test]
async fn dead_letters_are_counted_and_replayed() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let (s, body) = get(&console.url("/admin/dlq")).await;
    assert_eq!(s, 200, "{body}");
    let queues = body["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 6);
    assert!(
        queues
            .iter()
            .all(|q| q["dead_letters"] == json!(0) && q["dlq"].as_str().unwrap().ends_with(".dlq"))
    );

    // Two poison messages parked in the DLQ.
    let conn = lapin::Connection::connect(&env.amqp_url, lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    for n in 0..2 {
        ch.basic_publish(
            "".into(),
            dlq(OUTBOUND_WHATSAPP).as_str().into(),
            Default::default(),
            format!("{{\"n\":{n}}}").as_bytes(),
            Default::default(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    }
    harness::eventually(
        "two dead letters counted",
        std::time::Duration::from_secs(5),
        || async {
            let (_, body) = get(&console.url("/admin/dlq")).await;
            let q = body["queues"]
                .as_array()?
                .iter()
                .find(|q| q["queue"] == json!(OUTBOUND_WHATSAPP))?
                .clone();
            (q["dead_letters"] == json!(2)).then_some(())
        },
    )
    .await;
    let (s, r) = post(
        &console.url(&format!("/admin/dlq/{OUTBOUND_WHATSAPP}/replay?limit=1")),
        None,
    )
    .await;
    assert_eq!(
        (s, r),
        (
            StatusCode::OK,
            json!({"queue": OUTBOUND_WHATSAPP, "replayed": 1})
        )
    );
    let (_, r) = post(
        &console.url(&format!("/admin/dlq/{OUTBOUND_WHATSAPP}/replay")),
        None,
    )
    .await;
    assert_eq!(r["replayed"], json!(1));
    assert_eq!(env.queue_depth(&dlq(OUTBOUND_WHATSAPP)).await, 0);
    assert_eq!(
        env.queue_depth(OUTBOUND_WHATSAPP).await,
        2,
        "back on the work queue"
    );
    let _ = conn.close(200, "done".into()).await;

    let (s, b) = post(&console.url("/admin/dlq/no.such.queue/replay"), None).await;
    assert_eq!((s, error_code(&b)), (StatusCode::NOT_FOUND, "not_found"));
    let (s, b) = post(
        &console.url(&format!("/admin/dlq/{OUTBOUND_WHATSAPP}/replay?limit=-3")),
        None,
    )
    .await;
    assert_eq!(
        (s, error_code(&b)),
        (StatusCode::BAD_REQUEST, "invalid_limit")
    );
}

#[tokio::test]
async fn the_funnel_counts_each_step_from_the_lifecycle_timestamps() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    for i in 0..4 {
        seed_lead(
            &env,
            env.artist_id,
            &format!("4477009004{i:02}"),
            "F",
            "QUALIFYING",
            10,
        )
        .await;
    }
    sqlx::query("UPDATE leads SET pending_approval_at = now() WHERE wa_id IN ('447700900400', '447700900401')").execute(&env.pool).await.unwrap();
    sqlx::query("UPDATE leads SET approved_at = now(), deposit_paid_at = now() WHERE wa_id = '447700900400'").execute(&env.pool).await.unwrap();
    let (s, f) = get(&console.url("/admin/funnel?weeks=4")).await;
    assert_eq!(s, 200, "{f}");
    assert_eq!(
        f["total"]["counts"],
        json!({"enquiries": 4, "qualified": 2, "approved": 1, "paid": 1, "booked": 0})
    );
    assert_eq!(f["total"]["conversion"]["qualified"], json!(0.5));
    assert_eq!(f["per_artist"][0]["artist"], json!("demo"));
    assert_eq!(f["per_week"].as_array().unwrap().len(), 1);
    assert_eq!(get(&console.url("/admin/funnel?weeks=0")).await.0, 400);
}

#[tokio::test]
async fn parked_rows_are_listed_and_put_back() {
    let env = TestEnv::new().await;
    let console = start_console(&env, Some(ADMIN_KEY), &[]).await;
    let (s, body) = get(&console.url("/admin/parked")).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body, json!({"parked": []}));

    // An outbox row the relay gave up on (how it gets there: tests/tests/parking.rs).
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO outbox (id, topic, payload, attempts, last_error, parked_at, parked_reason)
         VALUES ($1, 'jobs.nowhere', '{}', 10, 'no queue jobs.nowhere to route to', now(), 'failed 10 times')",
    )
    .bind(id)
    .execute(&env.pool)
    .await
    .unwrap();
    let (s, body) = get(&console.url("/admin/parked?loop=outbox")).await;
    assert_eq!(s, 200, "{body}");
    let parked = body["parked"].as_array().unwrap();
    assert_eq!(parked.len(), 1, "{body}");
    assert_eq!(parked[0]["loop"], json!("outbox"));
    assert_eq!(parked[0]["id"], json!(id));
    assert_eq!(parked[0]["what"], json!("jobs.nowhere"));
    assert_eq!(parked[0]["attempts"], json!(10));
    let (s, body) = get(&console.url("/admin/parked?loop=reminders")).await;
    assert_eq!((s, body), (StatusCode::OK, json!({"parked": []})));
    let (s, body) = get(&console.url("/admin/parked?loop=cron")).await;
    assert_eq!(s, 400);
    assert_eq!(error_code(&body), "invalid_loop");

    let (s, body) = post(&console.url("/admin/parked/cron/retry"), None).await;
    assert_eq!(s, 404, "{body}");
    let other = uuid::Uuid::now_v7();
    let (s, _) = post(
        &console.url(&format!("/admin/parked/outbox/retry?id={other}")),
        None,
    )
    .await;
    assert_eq!(s, 404, "no such parked row");
    let (s, body) = post(
        &console.url(&format!("/admin/parked/outbox/retry?id={id}")),
        None,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(body, json!({"loop": "outbox", "retried": 1}));
    assert_eq!(
        env.count(&format!(
            "SELECT count(*) FROM outbox WHERE id = '{id}' AND parked_at IS NULL AND attempts = 0 AND published_at IS NULL"
        ))
        .await,
        1,
        "back in line for the relay"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'rows_unparked' AND detail->>'by' = 'admin-api'")
            .await,
        1
    );
    let (_, body) = get(&console.url("/admin/parked")).await;
    assert_eq!(body, json!({"parked": []}));
}
