//! The ingress's answers: signatures, size limits, the handshake, and 503 when the broker is away.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fakes::payloads;
use harness::TestEnv;
use harness::env::{APP_SECRET, STRIPE_WEBHOOK_SECRET, VERIFY_TOKEN};
use infra::bus::topology::{INBOUND_STRIPE, INBOUND_WHATSAPP};
use infra::config::EnvReader;
use inkline_core::webhook::signature::{sign_stripe, sign_whatsapp};
use std::time::Duration;

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn bad_or_missing_whatsapp_signatures_are_403_and_nothing_is_published() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let body = payloads::text(&env.artist.phone_number_id, "4477", "S", "wamid.X", 1, "hi");
    let url = ingress.url("/webhooks/whatsapp");
    let good = sign_whatsapp(APP_SECRET.as_bytes(), &body);
    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "signature_missing"),
        (
            Some(sign_whatsapp(b"wrong secret", &body)),
            "signature_mismatch",
        ),
        (
            Some(good.trim_start_matches("sha256=").to_owned()),
            "signature_malformed",
        ),
        (Some(good.to_uppercase()), "signature_malformed"),
        (Some("sha256=".into()), "signature_malformed"),
    ];
    for (header, code) in cases {
        let mut req = client()
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone());
        if let Some(h) = &header {
            req = req.header("x-hub-signature-256", h);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 403, "{header:?}");
        let json: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(json["error"]["code"], code, "{header:?}");
    }
    let dup = client()
        .post(&url)
        .header("x-hub-signature-256", &good)
        .header("x-hub-signature-256", &good)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 403);
    let mut tampered = body.clone();
    tampered[20] ^= 1;
    let resp = client()
        .post(&url)
        .header("x-hub-signature-256", &good)
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(
        env.queue_depth(INBOUND_WHATSAPP).await,
        0,
        "nothing published"
    );

    let resp = env.post_whatsapp(&ingress, &body).await;
    assert_eq!(resp.status(), 200);
    harness::eventually("published", Duration::from_secs(5), || async {
        (env.queue_depth(INBOUND_WHATSAPP).await == 1).then_some(())
    })
    .await;
}

#[tokio::test]
async fn stale_or_bad_stripe_signatures_are_400() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let url = ingress.url("/webhooks/stripe");
    let body = br#"{"id":"evt_1","object":"event","type":"checkout.session.completed","livemode":false,"data":{"object":{}}}"#;
    let now = chrono::Utc::now().timestamp();
    let cases = vec![
        (None, "signature_missing"),
        (
            Some(sign_stripe(
                STRIPE_WEBHOOK_SECRET.as_bytes(),
                now - 301,
                body,
            )),
            "signature_stale",
        ),
        (
            Some(sign_stripe(
                STRIPE_WEBHOOK_SECRET.as_bytes(),
                now + 400,
                body,
            )),
            "signature_stale",
        ),
        (
            Some(sign_stripe(b"whsec_wrong", now, body)),
            "signature_mismatch",
        ),
        (Some(format!("t={now}")), "signature_no_v1"),
        (Some("garbage".to_owned()), "signature_no_timestamp"),
    ];
    for (header, code) in cases {
        let mut req = client()
            .post(&url)
            .header("content-type", "application/json")
            .body(body.to_vec());
        if let Some(h) = &header {
            req = req.header("stripe-signature", h);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 400, "{header:?}");
        let json: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(json["error"]["code"], code, "{header:?}");
    }
    assert_eq!(env.queue_depth(INBOUND_STRIPE).await, 0);
    let ok = client()
        .post(&url)
        .header("content-type", "application/json")
        .header(
            "stripe-signature",
            sign_stripe(STRIPE_WEBHOOK_SECRET.as_bytes(), now, body),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn oversized_bodies_are_413_and_the_handshake_echoes_the_challenge() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let big = vec![b' '; 1024 * 1024 + 1];
    let sig = sign_whatsapp(APP_SECRET.as_bytes(), &big);
    let resp = client()
        .post(ingress.url("/webhooks/whatsapp"))
        .header("x-hub-signature-256", sig)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);

    let ok = client()
        .get(ingress.url(&format!("/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444")))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "1158201444");
    for q in [
        "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1",
        "hub.mode=unsubscribe&hub.verify_token=verify-me&hub.challenge=1",
        "hub.mode=subscribe&hub.challenge=1",
        "hub.mode=subscribe&hub.verify_token=verify-me",
    ] {
        let r = client()
            .get(ingress.url(&format!("/webhooks/whatsapp?{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{q}");
    }
    let health = client().get(ingress.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = client().get(ingress.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics = client()
        .get(ingress.metrics_url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("inkline_webhooks_rejected_total"));
}

#[tokio::test]
async fn broker_unreachable_means_503_and_not_ready() {
    let env = TestEnv::new().await;
    let mut vars = env.env_vars();
    vars.insert(
        "AMQP_URL".into(),
        "amqp://guest:guest@127.0.0.1:1/%2f".into(),
    );
    let cfg = infra::config::IngressConfig::read(EnvReader::from_map(vars)).unwrap();
    let ingress = env.start_ingress_with(cfg, false).await;
    let body = payloads::text(&env.artist.phone_number_id, "4477", "S", "wamid.Y", 1, "hi");
    let resp = env.post_whatsapp(&ingress, &body).await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    let ready = client().get(ingress.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn connections_closed_under_the_ingress_mean_503_then_recovery() {
    let env = TestEnv::new().await;
    let ingress = env.start_ingress().await;
    let body = payloads::text(
        &env.artist.phone_number_id,
        "4477",
        "S",
        "wamid.Z1",
        1,
        "hi",
    );
    assert_eq!(env.post_whatsapp(&ingress, &body).await.status(), 200);
    let vhost = env.name.clone();
    tokio::task::spawn_blocking(move || {
        std::process::Command::new("rabbitmqctl")
            .args(["close_all_connections", "-p", &vhost, "test"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    // Right after the close the ingress is either still noticing (503) or already back (200);
    // never a 200 for a message that was not confirmed.
    let mut saw_503 = false;
    let mut recovered = false;
    for i in 0..100 {
        let b = payloads::text(
            &env.artist.phone_number_id,
            "4477",
            "S",
            &format!("wamid.Z{}", i + 2),
            1,
            "hi",
        );
        let status = env.post_whatsapp(&ingress, &b).await.status();
        if status == 503 {
            saw_503 = true;
        }
        if status == 200 && (saw_503 || i > 5) {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recovered, "the ingress reconnects by itself");
    let accepted_after: u32 = env.queue_depth(INBOUND_WHATSAPP).await;
    assert!(
        accepted_after >= 2,
        "every 200 is in the queue: {accepted_after}"
    );
}
