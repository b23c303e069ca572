//! The bad-input catalogue: everything hostile or broken we could think of, posted to the real
//! ingress (and, for what it accepts, the real workers). Each case asserts the HTTP answer, that
//! nothing was published or changed when it is refused, that what is stored is stored verbatim,
//! and that no secret appears in any answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::payloads;
use harness::env::{ACCESS_TOKEN, APP_SECRET, STRIPE_WEBHOOK_SECRET, VERIFY_TOKEN};
use harness::{Running, TestEnv, eventually};
use infra::bus::topology::{INBOUND_STRIPE, INBOUND_WHATSAPP, OUTBOUND_WHATSAPP, dlq};
use inkline_core::webhook::signature::{sign_stripe, sign_whatsapp};
use std::time::Duration;
use workers::Role;

const T: i64 = 1_764_064_800;

/// One request as sent: a name for failure messages, headers and body.
struct Case {
    name: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    want: u16,
}

fn wa(name: &'static str, headers: Vec<(&'static str, String)>, body: Vec<u8>, want: u16) -> Case {
    Case {
        name,
        path: "/webhooks/whatsapp",
        headers,
        body,
        want,
    }
}

fn signed_headers(body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".into()),
        (
            "x-hub-signature-256",
            sign_whatsapp(APP_SECRET.as_bytes(), body),
        ),
    ]
}

fn stripe_headers(body: &[u8], t: i64) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".into()),
        (
            "stripe-signature",
            sign_stripe(STRIPE_WEBHOOK_SECRET.as_bytes(), t, body),
        ),
    ]
}

/// Sends `case` and checks the status and that the answer leaks no secret.
async fn send(ingress: &Running, case: &Case) -> String {
    let mut req = reqwest::Client::new().post(ingress.url(case.path));
    for (k, v) in &case.headers {
        req = req.header(*k, v.as_str());
    }
    let resp = req.body(case.body.clone()).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = format!("{:?}", resp.headers());
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(status, case.want, "{}: {text}", case.name);
    for secret in [
        APP_SECRET,
        STRIPE_WEBHOOK_SECRET,
        ACCESS_TOKEN,
        VERIFY_TOKEN,
    ] {
        assert!(
            !text.contains(secret) && !headers.contains(secret),
            "{} leaks a secret: {text}",
            case.name
        );
    }
    if status >= 400 {
        let json: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: error answers are JSON ({e}): {text}", case.name));
        assert!(json["error"]["code"].is_string(), "{}: {text}", case.name);
    }
    text
}

fn text_body(wa_id: &str, wamid: &str, body: &str) -> Vec<u8> {
    payloads::text("100000000000001", wa_id, "Mallory", wamid, T, body)
}

#[tokio::test]
async fn refused_webhooks_publish_nothing_and_leak_nothing() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let good = text_body("447700900300", "wamid.BAD1", "hi");
    let sig = sign_whatsapp(APP_SECRET.as_bytes(), &good);
    let ct = || ("content-type", "application/json".to_string());
    let mut cases = vec![
        wa("no signature", vec![ct()], good.clone(), 403),
        wa(
            "empty signature",
            vec![ct(), ("x-hub-signature-256", String::new())],
            good.clone(),
            403,
        ),
        wa(
            "signature without sha256= prefix",
            vec![
                ct(),
                (
                    "x-hub-signature-256",
                    sig.trim_start_matches("sha256=").into(),
                ),
            ],
            good.clone(),
            403,
        ),
        wa(
            "sha1 scheme",
            vec![
                ct(),
                ("x-hub-signature-256", sig.replace("sha256=", "sha1=")),
            ],
            good.clone(),
            403,
        ),
        wa(
            "not hex",
            vec![
                ct(),
                ("x-hub-signature-256", format!("sha256={}", "z".repeat(64))),
            ],
            good.clone(),
            403,
        ),
        wa(
            "truncated signature",
            vec![ct(), ("x-hub-signature-256", sig[..sig.len() - 2].into())],
            good.clone(),
            403,
        ),
        wa(
            "signature of another body",
            vec![
                ct(),
                (
                    "x-hub-signature-256",
                    sign_whatsapp(APP_SECRET.as_bytes(), b"{}"),
                ),
            ],
            good.clone(),
            403,
        ),
        wa(
            "signed with another secret",
            vec![
                ct(),
                ("x-hub-signature-256", sign_whatsapp(b"guess", &good)),
            ],
            good.clone(),
            403,
        ),
        wa(
            "signed with the verify token",
            vec![
                ct(),
                (
                    "x-hub-signature-256",
                    sign_whatsapp(VERIFY_TOKEN.as_bytes(), &good),
                ),
            ],
            good.clone(),
            403,
        ),
        wa(
            "duplicated signature header",
            vec![
                ct(),
                ("x-hub-signature-256", sig.clone()),
                ("x-hub-signature-256", sig.clone()),
            ],
            good.clone(),
            403,
        ),
        wa(
            "body changed after signing (one byte)",
            vec![ct(), ("x-hub-signature-256", sig.clone())],
            {
                let mut b = good.clone();
                let last = b.len() - 2;
                b[last] ^= 1;
                b
            },
            403,
        ),
        wa(
            "body re-serialised after signing",
            vec![ct(), ("x-hub-signature-256", sig.clone())],
            {
                let v: serde_json::Value = serde_json::from_slice(&good).unwrap();
                serde_json::to_vec_pretty(&v).unwrap()
            },
            403,
        ),
    ];
    // Signed, but broken bodies.
    let truncated = good[..good.len() / 2].to_vec();
    cases.push(wa(
        "truncated JSON",
        signed_headers(&truncated),
        truncated,
        400,
    ));

    cases.push(wa("empty body", signed_headers(b""), Vec::new(), 400));
    cases.push(wa(
        "NUL bytes",
        signed_headers(b"\0\0\0"),
        b"\0\0\0".to_vec(),
        400,
    ));
    cases.push(wa(
        "text/plain",
        vec![
            ("content-type", "text/plain".into()),
            ("x-hub-signature-256", sig.clone()),
        ],
        good.clone(),
        415,
    ));
    cases.push(wa(
        "form encoded",
        vec![
            ("content-type", "application/x-www-form-urlencoded".into()),
            ("x-hub-signature-256", sig.clone()),
        ],
        good.clone(),
        415,
    ));
    // Signed, but the workers could not decode them: refused at the edge, never queued.
    let not_utf8 = [
        b"{\"object\":\"".as_slice(),
        &[0xff, 0xfe, 0xc3, 0x28],
        b"\"}",
    ]
    .concat();
    cases.push(wa(
        "non-UTF-8 inside a string",
        signed_headers(&not_utf8),
        not_utf8,
        400,
    ));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    cases.push(wa("deeply nested JSON", signed_headers(&deep), deep, 400));
    let huge = vec![b' '; 1024 * 1024 + 1];
    // Unsigned is refused before the body (and so its size) is looked at.
    cases.push(wa(
        "body over 1 MiB (unsigned)",
        vec![ct()],
        huge.clone(),
        403,
    ));
    cases.push(wa(
        "body over 1 MiB (signed)",
        signed_headers(&huge),
        huge,
        413,
    ));
    // Stripe.
    let evt = br#"{"id":"evt_bad_1","object":"event","type":"checkout.session.completed","created":1764064800,"livemode":false,"data":{"object":{"id":"cs_1","object":"checkout.session","amount_total":5000,"currency":"gbp","payment_status":"paid","status":"complete","metadata":{"lead_id":"x"}}}}"#.to_vec();
    let now = chrono::Utc::now().timestamp();
    let st = |name, headers, want| Case {
        name,
        path: "/webhooks/stripe",
        headers,
        body: evt.clone(),
        want,
    };
    cases.push(st("stripe: no signature", vec![ct()], 400));
    cases.push(st(
        "stripe: stale timestamp (301 s)",
        stripe_headers(&evt, now - 301),
        400,
    ));
    cases.push(st(
        "stripe: timestamp from the future",
        stripe_headers(&evt, now + 3600),
        400,
    ));
    cases.push(st(
        "stripe: wrong secret",
        vec![
            ct(),
            ("stripe-signature", sign_stripe(b"whsec_guess", now, &evt)),
        ],
        400,
    ));
    cases.push(st(
        "stripe: v0 only",
        vec![ct(), ("stripe-signature", format!("t={now},v0=abc"))],
        400,
    ));
    cases.push(st(
        "stripe: garbage header",
        vec![ct(), ("stripe-signature", "t=,v1=,=,,".into())],
        400,
    ));
    cases.push(st(
        "stripe: duplicated header",
        {
            let h = stripe_headers(&evt, now);
            let sig = h[1].1.clone();
            vec![
                ct(),
                ("stripe-signature", sig.clone()),
                ("stripe-signature", sig),
            ]
        },
        400,
    ));
    cases.push(st(
        "stripe: signed with the WhatsApp secret",
        vec![
            ct(),
            (
                "stripe-signature",
                sign_stripe(APP_SECRET.as_bytes(), now, &evt),
            ),
        ],
        400,
    ));
    for case in &cases {
        send(&ingress, case).await;
    }
    // Wrong methods and paths.
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(ingress.url("/webhooks/stripe"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        client
            .put(ingress.url("/webhooks/whatsapp"))
            .send()
            .await
            .unwrap()
            .status(),
        405
    );
    assert_eq!(
        client
            .post(ingress.url("/webhooks/../admin"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let hs = client
        .get(ingress.url(
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=<script>",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(hs.status(), 403);
    assert!(
        !hs.text().await.unwrap().contains("<script>"),
        "the challenge is not echoed without the token"
    );

    // Nothing reached the broker.
    assert_eq!(env.queue_depth(INBOUND_WHATSAPP).await, 0);
    assert_eq!(env.queue_depth(INBOUND_STRIPE).await, 0);
    let metrics = client
        .get(ingress.metrics_url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for secret in [APP_SECRET, STRIPE_WEBHOOK_SECRET] {
        assert!(!metrics.contains(secret));
    }
}

#[tokio::test]
async fn stripe_replays_are_accepted_at_the_edge_and_queued_once_each() {
    // The payments worker (which deduplicates by event id) is not in this build; the edge accepts
    // a correctly signed replay (Stripe does replay) and the dedup is the consumer's job.
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let evt = br#"{"id":"evt_replay","object":"event","type":"checkout.session.completed","created":1764064800,"livemode":false,"data":{"object":{"id":"cs_1","object":"checkout.session"}}}"#.to_vec();
    let now = chrono::Utc::now().timestamp();
    for _ in 0..2 {
        let case = Case {
            name: "stripe replay",
            path: "/webhooks/stripe",
            headers: stripe_headers(&evt, now),
            body: evt.clone(),
            want: 200,
        };
        send(&ingress, &case).await;
    }
    assert_eq!(env.queue_depth(INBOUND_STRIPE).await, 2);
}

#[tokio::test]
async fn accepted_but_odd_webhooks_change_nothing_they_should_not() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let odd: Vec<(&str, Vec<u8>)> = vec![
        ("JSON array", b"[]".to_vec()),
        ("another object kind", br#"{"object":"page","entry":[]}"#.to_vec()),
        ("entry is a string", br#"{"object":"whatsapp_business_account","entry":"x"}"#.to_vec()),
        ("unknown field change", br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{}}]}]}"#.to_vec()),
        ("unknown phone number id", payloads::text("999999999", "447700900301", "X", "wamid.BAD.UNK", T, "hi")),
        ("status for an unknown message", payloads::status("100000000000001", "wamid.NOPE", "read", T, None)),
    ];
    for (name, body) in &odd {
        let case = wa("odd", signed_headers(body), body.clone(), 200);
        let text = send(&ingress, &case).await;
        assert!(text.contains("accepted"), "{name}: {text}");
    }
    eventually(
        "the odd webhooks are consumed",
        Duration::from_secs(15),
        || async { (env.queue_depth(INBOUND_WHATSAPP).await == 0).then_some(()) },
    )
    .await;
    env.wait_quiescent(Duration::from_secs(15)).await;
    assert_eq!(
        env.count("SELECT count(*) FROM leads").await,
        0,
        "no lead from any of them"
    );
    assert_eq!(env.count("SELECT count(*) FROM messages").await, 0);
    assert!(env.graph.sent().is_empty(), "nobody was messaged");
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'unknown_phone_number_id'")
            .await,
        1
    );
    // Whatever could not be decoded is parked, visible, not retried forever.
    let parked = env.queue_depth(&dlq(INBOUND_WHATSAPP)).await;
    assert!(
        parked <= 5,
        "at most the five non-WhatsApp shapes are dead-lettered: {parked}"
    );
}

#[tokio::test]
async fn unknown_message_types_get_a_polite_reply_and_are_recorded() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let pn = env.artist.phone_number_id.clone();
    for (i, kind) in [
        "sticker",
        "audio",
        "video",
        "document",
        "contacts",
        "order",
        "system",
        "unsupported",
        "brand_new_type",
    ]
    .iter()
    .enumerate()
    {
        let body = serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "W", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp", "metadata": {"display_phone_number": "1", "phone_number_id": pn},
            "contacts": [{"profile": {"name": "Odd"}, "wa_id": format!("4477009004{i:02}")}],
            "messages": [{"from": format!("4477009004{i:02}"), "id": format!("wamid.ODD{i}"), "timestamp": T.to_string(), "type": kind, *kind: {"id": "x"}}]
        }}]}]});
        let body = serde_json::to_vec(&body).unwrap();
        send(
            &ingress,
            &wa("unknown type", signed_headers(&body), body.clone(), 200),
        )
        .await;
    }
    eventually(
        "every odd message stored",
        Duration::from_secs(20),
        || async {
            (env.count("SELECT count(*) FROM messages WHERE direction = 'in'")
                .await
                == 9)
                .then_some(())
        },
    )
    .await;
    eventually("consumed", Duration::from_secs(10), || async {
        (env.queue_depth(INBOUND_WHATSAPP).await == 0).then_some(())
    })
    .await;
    assert_eq!(
        env.queue_depth(&dlq(INBOUND_WHATSAPP)).await,
        0,
        "none is poison"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM system_events WHERE kind = 'illegal_transition'")
            .await,
        0
    );
}

#[tokio::test]
async fn sql_and_html_in_answers_are_stored_verbatim_and_the_database_is_intact() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let nasty = [
        "Robert'); DROP TABLE leads;--",
        "1; DELETE FROM messages WHERE '1'='1",
        "$1 $2 $$ ; SELECT pg_sleep(10) --",
        "<script>alert('x')</script>",
        "<img src=x onerror=alert(1)> & &amp; \"quoted\"",
        "{{7*7}} ${jndi:ldap://127.0.0.1/a} %s%s%n",
        "💀 ﷽ \u{202e}gnp.exe \u{200b}zero-width",
        "line one\nline two\r\n\ttabbed \\ backslash",
    ];
    let wa_id = "447700900500";
    for (i, text) in nasty.iter().enumerate() {
        let body = text_body(wa_id, &format!("wamid.NASTY{i}"), text);
        send(
            &ingress,
            &wa("nasty text", signed_headers(&body), body.clone(), 200),
        )
        .await;
        eventually("stored", Duration::from_secs(15), || async {
            (env.count("SELECT count(*) FROM messages WHERE direction = 'in'")
                .await
                == i as i64 + 1)
                .then_some(())
        })
        .await;
    }
    let stored: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT provider_id, text FROM messages WHERE direction = 'in' ORDER BY provider_at, created_at").fetch_all(&env.pool).await.unwrap();
    for (i, text) in nasty.iter().enumerate() {
        let row = stored
            .iter()
            .find(|(id, _)| *id == format!("wamid.NASTY{i}"))
            .unwrap();
        assert_eq!(row.1.as_deref(), Some(*text), "stored verbatim");
    }
    // The schema and the other rows are intact.
    assert_eq!(env.count("SELECT count(*) FROM leads").await, 1);
    assert_eq!(env.count("SELECT count(*) FROM artists").await, 1);
    assert_eq!(env.count("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('leads', 'messages', 'artists')").await, 3);
    // Whatever was recorded as an answer is the client's text, not something it made us run.
    let raws: Vec<Option<String>> = sqlx::query_scalar("SELECT raw FROM lead_answers")
        .fetch_all(&env.pool)
        .await
        .unwrap();
    for raw in raws.into_iter().flatten() {
        assert!(
            nasty.contains(&raw.as_str()),
            "recorded answer {raw:?} is one of the texts sent"
        );
    }
    eventually("replies sent", Duration::from_secs(15), || async {
        (env.queue_depth(OUTBOUND_WHATSAPP).await == 0 && !env.graph.sent().is_empty())
            .then_some(())
    })
    .await;
    assert_eq!(env.queue_depth(&dlq(INBOUND_WHATSAPP)).await, 0);
}

#[tokio::test]
async fn a_nul_character_in_a_text_is_handled_without_poisoning_the_queue() {
    // JSON allows \u0000 in strings; PostgreSQL text columns do not.
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let _workers = env
        .start_workers(&[Role::Conversation, Role::Relay, Role::Sender])
        .await;
    let body = text_body("447700900501", "wamid.NUL1", "left\u{0}forearm");
    send(
        &ingress,
        &wa("NUL in text", signed_headers(&body), body.clone(), 200),
    )
    .await;
    // Never lost: either stored, or (after its bounded retries) visibly parked in the DLQ. Today it
    // is parked: PostgreSQL refuses U+0000 in text and jsonb (see docs/reliability.md).
    let (stored, parked) = eventually("stored or parked", Duration::from_secs(30), || async {
        let stored = env
            .count("SELECT count(*) FROM messages WHERE provider_id = 'wamid.NUL1'")
            .await;
        let parked = env.queue_depth(&dlq(INBOUND_WHATSAPP)).await;
        (stored == 1 || parked == 1).then_some((stored, parked))
    })
    .await;
    assert_eq!(
        stored + i64::from(parked),
        1,
        "exactly one place, never both, never none"
    );
    assert_eq!(
        env.count("SELECT count(*) FROM leads WHERE status <> 'QUALIFYING' AND status <> 'NEW'")
            .await,
        0
    );
}
