//! The sandbox's pages over plain HTTP (no JavaScript): the home page, the client phone's forms and
//! live feed, the artist phone, and the fake checkout's "let it expire" path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use devtools::sandbox::start::{self, Options, Running};
use harness::{TestEnv, eventually};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::json;
use std::time::Duration;

async fn sandbox(env: &TestEnv) -> Running {
    start::start(Options {
        database_url: env.database_url.clone(),
        recreate_database: false,
        amqp_url: env.amqp_url.clone(),
        purge_queues: true,
        console: tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        ingress: tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        admin_api_key: None,
    })
    .await
    .expect("the sandbox starts")
}

const BOUNDARY: &str = "inkline-test-boundary";

/// A multipart/form-data body: (name, file mime type, bytes) per part.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, mime, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match mime {
            Some(m) => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"f\"\r\nContent-Type: {m}\r\n\r\n").as_bytes()),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_phone_works_without_javascript_and_the_feed_streams_the_bot() {
    let env = TestEnv::new().await;
    let sb = sandbox(&env).await;
    let site = sb.console_url.clone();

    let home = http()
        .get(format!("{site}/sandbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Open the client phone") && home.contains(&sb.admin_api_key),
        "a made-up admin key is shown"
    );
    assert!(sb.sandbox.admin_key_hint.is_some());

    let r = http()
        .post(format!("{site}/sandbox/phone/send"))
        .form(&[("wa", "447700900888"), ("name", "Jo"), ("text", "Hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/sandbox/phone?wa=447700900888&name=Jo"
    );
    // The live feed replays what arrived, with ids to resume from.
    let feed = http()
        .get(format!(
            "{site}/sandbox/phone/events?wa=447700900888&name=Jo&after=0"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.headers()["content-type"], "text/event-stream");
    let mut feed = feed;
    let mut got = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !got.contains("data:") {
        match tokio::time::timeout_at(deadline, feed.chunk()).await {
            Ok(Ok(Some(c))) => got.push_str(&String::from_utf8_lossy(&c)),
            other => panic!("no event from the feed: {other:?} {got}"),
        }
    }
    assert!(
        got.contains("id: 1") && got.contains("What would you like to get tattooed"),
        "{got}"
    );
    drop(feed);
    let page = http()
        .get(format!("{site}/sandbox/phone?wa=447700900888&name=Jo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("What would you like to get tattooed") && page.contains("bubble out"),
        "the chat is drawn on reload"
    );

    // A photo (multipart) becomes a media item and an image webhook.
    let form = multipart(&[
        ("wa", None, b"447700900888"),
        ("name", None, b"Jo"),
        ("caption", None, b"like this"),
        ("file", Some("image/png"), b"\x89PNG fake"),
    ]);
    let r = http()
        .post(format!("{site}/sandbox/phone/image"))
        .header("accept", "application/json")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["ok"], json!(true));
    eventually(
        "the image message stored",
        Duration::from_secs(15),
        || async {
            (env.count("SELECT count(*) FROM messages WHERE direction = 'in' AND kind = 'image'")
                .await
                == 1)
                .then_some(())
        },
    )
    .await;
    let r = http()
        .post(format!("{site}/sandbox/phone/image"))
        .header("accept", "application/json")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&[("wa", None, b"1")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "no file");
    let r = http()
        .post(format!("{site}/sandbox/phone/tap"))
        .form(&[("wa", "447700900888"), ("id", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a tap names its choice"
    );

    let artist = http()
        .get(format!("{site}/sandbox/artist"))
        .send()
        .await
        .unwrap();
    assert_eq!(artist.status(), 200);
    assert!(
        artist
            .text()
            .await
            .unwrap()
            .contains("Notifications to Demo Ink")
    );
    sb.stop().await;
}

#[tokio::test]
async fn letting_a_checkout_expire_sends_the_signed_event_and_the_lead_follows() {
    let env = TestEnv::new().await;
    let sb = sandbox(&env).await;
    let site = sb.console_url.clone();
    assert_eq!(
        http()
            .get(format!("{site}/sandbox/checkout/cs_nope"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let lead_id = uuid::Uuid::now_v7();
    sqlx::query("INSERT INTO leads (id, artist_id, wa_id, name, status) SELECT $1, id, '447700900889', 'Al', 'PENDING_APPROVAL' FROM artists WHERE slug = 'demo'")
        .bind(lead_id)
        .execute(&sb.pool)
        .await
        .unwrap();
    let r = http()
        .post(format!("{site}/admin/leads/{lead_id}/approve"))
        .header("X-Admin-API-Key", &sb.admin_api_key)
        .json(&json!({"deposit_minor": 9000}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let session = eventually("a checkout session", Duration::from_secs(20), || async {
        sb.sandbox.stripe.sessions().into_iter().next()
    })
    .await;
    assert!(
        session
            .url
            .starts_with(&format!("{site}/sandbox/checkout/")),
        "the deposit link opens the sandbox's checkout: {}",
        session.url
    );
    let page = http()
        .get(&session.url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("£90.00") && page.contains("Let it expire"));
    let r = http()
        .post(format!("{site}/sandbox/checkout/{}/expire", session.id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("checkout.session.expired") && page.contains("accepted (HTTP 200)"),
        "{page}"
    );
    assert!(
        page.contains("/sandbox/phone?wa=447700900889"),
        "back to the client's chat"
    );
    eventually(
        "the lead's deposit expired",
        Duration::from_secs(20),
        || async {
            let s: String = sqlx::query_scalar("SELECT status FROM leads WHERE id = $1")
                .bind(lead_id)
                .fetch_one(&sb.pool)
                .await
                .ok()?;
            (s == "DEPOSIT_EXPIRED").then_some(())
        },
    )
    .await;
    let r = http()
        .post(format!("{site}/sandbox/checkout/{}/pay", session.id))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "an expired session cannot be paid"
    );
    sb.stop().await;
}
