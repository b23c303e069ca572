//! The loopback fakes of the WhatsApp Graph API and Stripe, exercised over real HTTP the way the
//! sender, the payments worker and the sandbox use them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use fakes::{FakeGraph, FakeStripe, Fault, StripeFault, payloads};
use inkline_core::webhook::signature::{sign_whatsapp, verify_stripe};
use serde_json::{Value, json};

const PNID: &str = "106540352242922";
const CLIENT: &str = "447700900123";
const WAIT: Duration = Duration::from_secs(5);

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn send(
    graph: &FakeGraph,
    token: Option<&str>,
    body: &Value,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = http()
        .post(format!("{}/v21.0/{PNID}/messages", graph.base_url()))
        .json(body);
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    let response = request.send().await.expect("fake graph reachable");
    let status = StatusCode::from_u16(response.status().as_u16()).expect("valid status");
    let headers = response.headers().clone();
    let json = response.json().await.unwrap_or(Value::Null);
    (status, headers, json)
}

fn text_to(to: &str, body: &str) -> Value {
    json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
           "text": {"preview_url": false, "body": body}})
}

fn buttons(titles: &[&str]) -> Value {
    let buttons: Vec<Value> = titles
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"type": "reply", "reply": {"id": format!("b{i}"), "title": t}}))
        .collect();
    json!({"messaging_product": "whatsapp", "to": CLIENT, "type": "interactive",
           "interactive": {"type": "button", "body": {"text": "Approve?"}, "action": {"buttons": buttons}}})
}

fn list(rows: usize, row_title: &str, button: &str) -> Value {
    let rows: Vec<Value> = (0..rows)
        .map(|i| json!({"id": format!("r{i}"), "title": row_title}))
        .collect();
    json!({"messaging_product": "whatsapp", "to": CLIENT, "type": "interactive",
           "interactive": {"type": "list", "body": {"text": "Pick a slot"},
                           "action": {"button": button, "sections": [{"title": "This week", "rows": rows}]}}})
}

#[tokio::test]
async fn graph_accepts_a_text_records_it_and_streams_it() {
    let graph = FakeGraph::start().await;
    let mut live = graph.subscribe();
    let (status, _, answer) = send(&graph, Some("tok"), &text_to(CLIENT, "Hi Sam")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["messaging_product"], "whatsapp");
    assert_eq!(
        answer["contacts"][0],
        json!({"input": CLIENT, "wa_id": CLIENT})
    );
    let wamid = answer["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_string();
    assert!(wamid.starts_with("wamid.FAKE"));

    let sent = graph.wait_for_sent(1, WAIT).await.expect("one message");
    assert_eq!(sent[0].wamid, wamid);
    assert_eq!(
        (
            sent[0].phone_number_id.as_str(),
            sent[0].to.as_str(),
            sent[0].kind.as_str()
        ),
        (PNID, CLIENT, "text")
    );
    assert_eq!(sent[0].text(), Some("Hi Sam"));
    assert_eq!(sent[0].token, "tok");
    assert_eq!(live.recv().await.expect("live copy").wamid, wamid);

    let (_, _, second) = send(&graph, Some("tok"), &text_to("447700900999", "Hello")).await;
    assert_ne!(
        second["messages"][0]["id"], answer["messages"][0]["id"],
        "wamids are unique"
    );
    assert_eq!(graph.sent_to(CLIENT).len(), 1);
    assert_eq!(graph.sent().len(), 2);
    assert_eq!(graph.requests_count(), 2);
    let err = graph
        .wait_for_sent(3, Duration::from_millis(100))
        .await
        .expect_err("only two were sent");
    assert_eq!(err.sent.len(), 2);
}

#[tokio::test]
async fn graph_checks_the_bearer_token() {
    let graph = FakeGraph::start().await;
    let (status, _, body) = send(&graph, None, &text_to(CLIENT, "x")).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (StatusCode::UNAUTHORIZED, Some(190))
    );
    assert_eq!(body["error"]["type"], "OAuthException");
    assert_eq!(
        send(&graph, Some("anything"), &text_to(CLIENT, "x"))
            .await
            .0,
        StatusCode::OK
    );

    graph.expect_token(PNID, "right");
    let (status, _, body) = send(&graph, Some("wrong"), &text_to(CLIENT, "x")).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (StatusCode::UNAUTHORIZED, Some(190))
    );
    assert_eq!(
        send(&graph, Some("right"), &text_to(CLIENT, "x")).await.0,
        StatusCode::OK
    );
    assert_eq!(graph.sent().len(), 2);
    assert_eq!(graph.requests_count(), 4, "refused attempts count too");
}

#[tokio::test]
async fn graph_validates_bodies_like_meta() {
    let graph = FakeGraph::start().await;
    let long = "x".repeat(4097);
    let cases: Vec<(&str, Value, i64)> = vec![
        ("4 buttons", buttons(&["a", "b", "c", "d"]), 131009),
        ("21-char title", buttons(&["abcdefghijklmnopqrstu"]), 131009),
        ("duplicate titles", buttons(&["Yes", "Yes"]), 131009),
        ("11 rows", list(11, "Tue 10:00", "See slots"), 131009),
        (
            "25-char row title",
            list(2, "abcdefghijklmnopqrstuvwxy", "See slots"),
            131009,
        ),
        (
            "21-char list button",
            list(2, "Tue", "abcdefghijklmnopqrstu"),
            131009,
        ),
        ("text too long", text_to(CLIENT, &long), 100),
        (
            "no messaging_product",
            json!({"to": CLIENT, "type": "text", "text": {"body": "x"}}),
            100,
        ),
        (
            "wrong messaging_product",
            json!({"messaging_product": "sms", "to": CLIENT, "text": {"body": "x"}}),
            100,
        ),
        (
            "no to",
            json!({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}),
            100,
        ),
        (
            "unknown type",
            json!({"messaging_product": "whatsapp", "to": CLIENT, "type": "video", "video": {}}),
            100,
        ),
        (
            "template without language",
            json!({"messaging_product": "whatsapp", "to": CLIENT, "type": "template", "template": {"name": "booking_reminder"}}),
            100,
        ),
        (
            "image without id or link",
            json!({"messaging_product": "whatsapp", "to": CLIENT, "type": "image", "image": {}}),
            100,
        ),
    ];
    for (name, body, code) in cases {
        let (status, _, answer) = send(&graph, Some("t"), &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}");
        assert_eq!(
            answer["error"]["code"].as_i64(),
            Some(code),
            "{name}: {answer}"
        );
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&format!("(#{code})"))),
            "{name}"
        );
        assert!(
            answer["error"]["error_data"]["details"].is_string(),
            "{name}"
        );
    }
    let raw = http()
        .post(format!("{}/v21.0/{PNID}/messages", graph.base_url()))
        .bearer_auth("t")
        .body("{not json")
        .send()
        .await
        .expect("reachable");
    assert_eq!(raw.status().as_u16(), 400);
    assert!(graph.sent().is_empty());

    let template = json!({"messaging_product": "whatsapp", "to": CLIENT, "type": "template",
        "template": {"name": "booking_reminder", "language": {"code": "en_US"}, "components": []}});
    let image = json!({"messaging_product": "whatsapp", "to": CLIENT, "type": "image", "image": {"link": "https://x/y.jpg"}});
    for ok in [
        buttons(&["Yes", "No", "Later"]),
        list(10, "abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrst"),
        template,
        image,
    ] {
        let (status, _, answer) = send(&graph, Some("t"), &ok).await;
        assert_eq!(status, StatusCode::OK, "{ok}: {answer}");
    }
    let kinds: Vec<String> = graph.sent().into_iter().map(|m| m.kind).collect();
    assert_eq!(kinds, ["interactive", "interactive", "template", "image"]);
}

#[tokio::test]
async fn graph_records_read_receipts_apart_and_accepts_any_version() {
    let graph = FakeGraph::start().await;
    let read =
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN2"});
    let response = http()
        .post(format!("{}/v99.9/{PNID}/messages", graph.base_url()))
        .bearer_auth("t")
        .json(&read)
        .send()
        .await
        .expect("reachable");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"success": true})
    );
    assert_eq!(graph.reads().len(), 1);
    assert_eq!(graph.reads()[0].message_id, "wamid.IN2");
    assert!(graph.sent().is_empty());
}

#[tokio::test]
async fn graph_injected_faults_are_consumed_in_order() {
    let graph = FakeGraph::start().await;
    graph.inject(Fault::for_code(130429).retry_after(7).times(2));
    graph.inject(Fault::new(500, 131000));
    // Read receipts never eat a fault meant for a send.
    let read =
        json!({"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.IN2"});
    assert_eq!(send(&graph, Some("t"), &read).await.0, StatusCode::OK);
    for _ in 0..2 {
        let (status, headers, body) = send(&graph, Some("t"), &text_to(CLIENT, "x")).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            headers.get("retry-after").and_then(|v| v.to_str().ok()),
            Some("7")
        );
        assert_eq!(body["error"]["code"], 130429);
        assert_eq!(body["error"]["error_data"]["messaging_product"], "whatsapp");
        assert!(body["error"]["fbtrace_id"].is_string());
    }
    let (status, headers, body) = send(&graph, Some("t"), &text_to(CLIENT, "x")).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some(131000))
    );
    assert!(headers.get("retry-after").is_none());
    assert_eq!(
        send(&graph, Some("t"), &text_to(CLIENT, "x")).await.0,
        StatusCode::OK
    );

    graph.inject(Fault::for_code(131056).only_to(CLIENT));
    assert_eq!(
        send(&graph, Some("t"), &text_to("447700900999", "x"))
            .await
            .0,
        StatusCode::OK
    );
    let (status, _, body) = send(&graph, Some("t"), &text_to(CLIENT, "x")).await;
    assert_eq!(
        (status, body["error"]["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(131056))
    );

    graph.fail_always(400, 999_999);
    for _ in 0..3 {
        let (status, _, body) = send(&graph, Some("t"), &text_to(CLIENT, "x")).await;
        assert_eq!(
            (status, body["error"]["code"].as_i64()),
            (StatusCode::BAD_REQUEST, Some(999_999))
        );
    }
    graph.clear_faults();
    assert_eq!(
        send(&graph, Some("t"), &text_to(CLIENT, "x")).await.0,
        StatusCode::OK
    );
    assert_eq!(graph.sent().len(), 3);
    assert_eq!(graph.requests_count(), 11);
    assert_eq!(Fault::for_code(190).http_status, 401);
    assert_eq!(Fault::for_code(80007).http_status, 429);
}

#[tokio::test]
async fn graph_delay_trips_client_timeouts() {
    let graph = FakeGraph::start().await;
    graph.set_delay(Duration::from_millis(400));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let attempt = client
        .post(format!("{}/v21.0/{PNID}/messages", graph.base_url()))
        .bearer_auth("t")
        .json(&text_to(CLIENT, "slow"))
        .send()
        .await;
    assert!(attempt.is_err_and(|e| e.is_timeout()));
    graph.set_delay(Duration::ZERO);
    assert_eq!(
        send(&graph, Some("t"), &text_to(CLIENT, "fast")).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn graph_serves_media_behind_the_bearer_token() {
    let graph = FakeGraph::start().await;
    let jpeg = b"\xff\xd8\xff\xe0fake jpeg".to_vec();
    graph.add_media("MEDIA1", jpeg.clone(), "image/jpeg");
    let info: Value = http()
        .get(format!("{}/v21.0/MEDIA1", graph.base_url()))
        .bearer_auth("t")
        .send()
        .await
        .expect("reachable")
        .json()
        .await
        .expect("json");
    assert_eq!(info["id"], "MEDIA1");
    assert_eq!(info["mime_type"], "image/jpeg");
    assert_eq!(info["file_size"], jpeg.len().to_string());
    let url = info["url"].as_str().expect("url");
    assert!(url.starts_with(&graph.base_url()));
    assert_eq!(
        http()
            .get(url)
            .send()
            .await
            .expect("reachable")
            .status()
            .as_u16(),
        401
    );
    let bytes = http()
        .get(url)
        .bearer_auth("t")
        .send()
        .await
        .expect("reachable")
        .bytes()
        .await
        .expect("bytes");
    assert_eq!(bytes.as_ref(), jpeg.as_slice());
    use sha2::Digest;
    assert_eq!(info["sha256"], hex::encode(sha2::Sha256::digest(&jpeg)));
    let missing = http()
        .get(format!("{}/v21.0/NOPE", graph.base_url()))
        .bearer_auth("t")
        .send()
        .await
        .expect("reachable");
    assert_eq!(missing.status().as_u16(), 400);
}

#[test]
fn payloads_match_metas_envelope_byte_for_byte() {
    // external-apis.md 6.a
    let expected = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.TEST0001","timestamp":"1764064800","type":"text","text":{"body":"Hi, I want a tattoo"}}]},"field":"messages"}]}]}"#;
    let body = payloads::text(
        PNID,
        "16505551234",
        "Sheena Nelson",
        "wamid.TEST0001",
        1764064800,
        "Hi, I want a tattoo",
    );
    assert_eq!(String::from_utf8_lossy(&body), expected);
    let (body, header) = payloads::signed("test_app_secret", body);
    assert_eq!(
        header,
        "sha256=2aa2d047e5212d8b1f182c6336ad7f3c46d18f4e3b33f6728de38751cb432a57"
    );
    assert_eq!(header, sign_whatsapp(b"test_app_secret", &body));
}

#[test]
fn payload_batches_decode_into_every_item() {
    use inkline_core::webhook::whatsapp::{Delivery, Item, decode};
    use payloads::Change;
    let other = "100000000000001";
    let body = payloads::batch(vec![
        Change::text(PNID, CLIENT, "Sam", "wamid.A", 1764064800, "hello"),
        Change::button_reply(
            other,
            "447700900222",
            "Alex",
            "wamid.B",
            1764064801,
            "approve_yes",
            "Yes",
        )
        .in_reply_to("wamid.OUT1"),
        Change::image(
            PNID,
            "447700900333",
            "Kim",
            "wamid.C",
            1764064802,
            "MEDIA1",
            Some("ref"),
        ),
        Change::list_reply(
            other,
            "447700900222",
            "Alex",
            "wamid.D",
            1764064803,
            "slot_1",
            "Tue 10:00",
        ),
        Change::status(
            PNID,
            Some(CLIENT),
            "wamid.OUT2",
            "failed",
            1764064804,
            Some(131047),
        ),
    ]);
    let json: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(json["entry"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        json["entry"][0]["changes"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(
        json["entry"][1]["changes"][0]["value"]["messages"][0]["context"]["id"],
        "wamid.OUT1"
    );
    let items = decode(&body, chrono::Utc::now()).expect("decodes");
    assert_eq!(items.len(), 5);
    let failed = items.iter().find_map(|i| match i {
        Item::Status(s) => Some(s),
        _ => None,
    });
    let failed = failed.expect("a status");
    assert_eq!(
        (failed.delivery, failed.error_code),
        (Delivery::Failed, Some(131047))
    );

    let read = payloads::status(PNID, "wamid.OUT2", "read", 1764064805, None);
    assert_eq!(decode(&read, chrono::Utc::now()).expect("decodes").len(), 1);
}

/// A tiny webhook receiver that checks `Stripe-Signature` like ingress does.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    async fn start(secret: &'static str) -> (Receiver, String) {
        let receiver = Receiver::default();
        let got = receiver.got.clone();
        let app = axum::Router::new().route(
            "/webhooks/stripe",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let got = got.clone();
                async move {
                    let header = headers
                        .get("stripe-signature")
                        .and_then(|v| v.to_str().ok());
                    let now = chrono::Utc::now().timestamp();
                    if verify_stripe(secret.as_bytes(), header, &body, now, 300).is_err() {
                        return StatusCode::BAD_REQUEST;
                    }
                    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    got.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(event);
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!(
            "http://{}/webhooks/stripe",
            listener.local_addr().expect("addr")
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, url)
    }

    fn events(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

const SK: &str = "sk_test_fake";
const WHSEC: &str = "whsec_test_secret";

fn session_form(amount: &str, expires_in: i64) -> Vec<(String, String)> {
    let expires_at = chrono::Utc::now().timestamp() + expires_in;
    [
        ("mode", "payment"),
        ("line_items[0][price_data][currency]", "EUR"),
        ("line_items[0][price_data][unit_amount]", amount),
        (
            "line_items[0][price_data][product_data][name]",
            "Tattoo deposit - Inkline",
        ),
        ("line_items[0][quantity]", "1"),
        (
            "success_url",
            "https://example.com/paid?session_id={CHECKOUT_SESSION_ID}",
        ),
        ("cancel_url", "https://example.com/cancelled"),
        ("client_reference_id", "lead_42"),
        ("metadata[lead_id]", "lead_42"),
        ("metadata[artist]", "demo"),
        ("payment_intent_data[metadata][lead_id]", "lead_42"),
        ("customer_email", "client@example.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([("expires_at".to_string(), expires_at.to_string())])
    .collect()
}

async fn stripe_post(
    stripe: &FakeStripe,
    path: &str,
    key: Option<&str>,
    form: &[(String, String)],
) -> (u16, HeaderMap, Value) {
    let mut request = http()
        .post(format!("{}{path}", stripe.base_url()))
        .bearer_auth(SK)
        .form(form);
    if let Some(k) = key {
        request = request.header("Idempotency-Key", k);
    }
    let response = request.send().await.expect("fake stripe reachable");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn stripe_requires_the_secret_key() {
    let stripe = FakeStripe::start(None, WHSEC.into(), SK.into()).await;
    let url = format!("{}/v1/checkout/sessions", stripe.base_url());
    let form = session_form("5000", 3600);
    let none = http()
        .post(&url)
        .form(&form)
        .send()
        .await
        .expect("reachable");
    assert_eq!(none.status().as_u16(), 401);
    let wrong = http()
        .post(&url)
        .bearer_auth("sk_test_other")
        .form(&form)
        .send()
        .await
        .expect("reachable");
    assert_eq!(wrong.status().as_u16(), 401);
    let body: Value = wrong.json().await.expect("json");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let basic = http()
        .post(&url)
        .basic_auth(SK, Some(""))
        .form(&form)
        .send()
        .await
        .expect("reachable");
    assert_eq!(basic.status().as_u16(), 200);
    assert_eq!(stripe.requests_count(), 3);
    assert_eq!(stripe.sessions().len(), 1);
}

#[tokio::test]
async fn stripe_creates_sessions_and_validates_like_stripe() {
    let stripe = FakeStripe::start(None, WHSEC.into(), SK.into()).await;
    let (status, headers, session) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        None,
        &session_form("5000", 1800),
    )
    .await;
    assert_eq!(status, 200, "{session}");
    assert!(headers.get("request-id").is_some());
    let id = session["id"].as_str().expect("id");
    assert!(id.starts_with("cs_test_"));
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(
        (
            session["status"].as_str(),
            session["payment_status"].as_str()
        ),
        (Some("open"), Some("unpaid"))
    );
    assert_eq!(
        (
            session["amount_total"].as_i64(),
            session["currency"].as_str()
        ),
        (Some(5000), Some("eur"))
    );
    assert_eq!(
        session["metadata"],
        json!({"lead_id": "lead_42", "artist": "demo"})
    );
    assert_eq!(session["client_reference_id"], "lead_42");
    assert_eq!(session["payment_intent"], Value::Null);
    assert_eq!(session["livemode"], false);
    assert_eq!(session["url"], format!("{}/pay/{id}", stripe.base_url()));

    let fetched: Value = http()
        .get(format!("{}/v1/checkout/sessions/{id}", stripe.base_url()))
        .bearer_auth(SK)
        .send()
        .await
        .expect("reachable")
        .json()
        .await
        .expect("json");
    assert_eq!(fetched["id"], session["id"]);

    let edit = |key: &str, value: &str| {
        let mut form = session_form("5000", 3600);
        form.retain(|(k, _)| k != key);
        if !value.is_empty() {
            form.push((key.to_string(), value.to_string()));
        }
        form
    };
    let now = chrono::Utc::now().timestamp();
    let bad = [
        edit("mode", ""),
        edit("mode", "subscription"),
        edit("line_items[0][price_data][unit_amount]", "abc"),
        edit("line_items[0][price_data][unit_amount]", "0"),
        edit("line_items[0][price_data][currency]", "euro"),
        edit("expires_at", &(now + 600).to_string()),
        edit("expires_at", &(now + 90_000).to_string()),
    ];
    for form in bad {
        let (status, _, body) = stripe_post(&stripe, "/v1/checkout/sessions", None, &form).await;
        assert_eq!(status, 400, "{form:?}");
        assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
    }
    stripe.set_checkout_page_base("http://127.0.0.1:8090/checkout/");
    let (_, _, later) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        None,
        &session_form("100", 3600),
    )
    .await;
    assert_eq!(
        later["url"],
        format!(
            "http://127.0.0.1:8090/checkout/{}",
            later["id"].as_str().expect("id")
        )
    );
    assert_eq!(stripe.sessions().len(), 2);
}

#[tokio::test]
async fn stripe_idempotency_replays_and_refuses_other_params() {
    let stripe = FakeStripe::start(None, WHSEC.into(), SK.into()).await;
    let form = session_form("5000", 3600);
    let (_, _, first) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        Some("deposit-lead_42-attempt-1"),
        &form,
    )
    .await;
    let (status, headers, replay) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        Some("deposit-lead_42-attempt-1"),
        &form,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(replay["id"], first["id"]);
    assert_eq!(
        headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let (status, _, mismatch) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        Some("deposit-lead_42-attempt-1"),
        &session_form("6000", 3600),
    )
    .await;
    assert_eq!(
        (status, mismatch["error"]["type"].as_str()),
        (400, Some("idempotency_error"))
    );
    assert_eq!(stripe.sessions().len(), 1);
    let recorded = stripe.requests();
    assert_eq!(recorded.len(), 3);
    assert_eq!(
        recorded[0].idempotency_key.as_deref(),
        Some("deposit-lead_42-attempt-1")
    );
    assert_eq!(recorded[0].param("metadata[lead_id]"), Some("lead_42"));
    assert_eq!(recorded[2].status, 400);
}

#[tokio::test]
async fn stripe_faults_answer_before_running_and_are_not_stored() {
    let stripe = FakeStripe::start(None, WHSEC.into(), SK.into()).await;
    stripe.inject(StripeFault::rate_limited().should_retry(true));
    stripe.inject(StripeFault::api_error().should_retry(false));
    let form = session_form("5000", 3600);
    let (status, headers, body) =
        stripe_post(&stripe, "/v1/checkout/sessions", Some("k1"), &form).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("rate_limit"))
    );
    assert_eq!(
        headers
            .get("stripe-should-retry")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let (status, headers, body) =
        stripe_post(&stripe, "/v1/checkout/sessions", Some("k1"), &form).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (500, Some("api_error"))
    );
    assert_eq!(
        headers
            .get("stripe-should-retry")
            .and_then(|v| v.to_str().ok()),
        Some("false")
    );
    let (status, _, _) = stripe_post(&stripe, "/v1/checkout/sessions", Some("k1"), &form).await;
    assert_eq!(status, 200);
    assert_eq!(stripe.sessions().len(), 1);
}

#[tokio::test]
async fn stripe_completed_event_is_signed_and_delivered() {
    let (receiver, url) = Receiver::start(WHSEC).await;
    let stripe = FakeStripe::start(Some(url), WHSEC.into(), SK.into()).await;
    let (_, _, session) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        None,
        &session_form("5000", 3600),
    )
    .await;
    let id = session["id"].as_str().expect("id");

    let delivery = stripe.complete(id).await.expect("open session completes");
    assert_eq!(delivery.status, Some(200));
    let event = &delivery.event;
    assert!(event["id"].as_str().is_some_and(|e| e.starts_with("evt_")));
    assert_eq!(
        (event["type"].as_str(), event["api_version"].as_str()),
        (Some("checkout.session.completed"), Some("2024-06-20"))
    );
    assert_eq!(event["livemode"], false);
    let object = &event["data"]["object"];
    assert_eq!(
        (
            object["id"].as_str(),
            object["payment_status"].as_str(),
            object["status"].as_str()
        ),
        (Some(id), Some("paid"), Some("complete"))
    );
    assert!(
        object["payment_intent"]
            .as_str()
            .is_some_and(|p| p.starts_with("pi_test_"))
    );
    assert_eq!(object["metadata"]["lead_id"], "lead_42");
    assert_eq!(receiver.events(), vec![event.clone()]);
    let now = chrono::Utc::now().timestamp();
    assert!(
        verify_stripe(
            WHSEC.as_bytes(),
            Some(&delivery.signature),
            &delivery.body,
            now,
            300
        )
        .is_ok()
    );
    assert!(
        stripe.complete(id).await.is_err(),
        "a complete session cannot complete again"
    );

    // Hand-made events: a stale signature is refused, a replay of the real one is accepted again.
    let (body, _) = stripe.build_event("checkout.session.completed", object.clone());
    let stale = stripe.sign(&body, now - 3600);
    assert_eq!(stripe.send_event(body, stale).await.status, Some(400));
    assert_eq!(
        stripe
            .send_event(delivery.body.clone(), delivery.signature.clone())
            .await
            .status,
        Some(200)
    );
    let mut live = stripe.event("checkout.session.completed", object.clone());
    live["livemode"] = json!(true);
    let live_body = serde_json::to_vec(&live).expect("json");
    let header = stripe.sign(&live_body, now);
    assert_eq!(stripe.send_event(live_body, header).await.status, Some(200));
    assert_eq!(stripe.deliveries().len(), 4);
}

#[tokio::test]
async fn stripe_expire_rules_and_refunds_emit_events() {
    let (receiver, url) = Receiver::start(WHSEC).await;
    let stripe = FakeStripe::start(Some(url), WHSEC.into(), SK.into()).await;
    let (_, _, a) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        None,
        &session_form("5000", 3600),
    )
    .await;
    let a = a["id"].as_str().expect("id").to_string();
    let expire = format!("/v1/checkout/sessions/{a}/expire");
    let (status, _, expired) = stripe_post(&stripe, &expire, Some("expire-a"), &[]).await;
    assert_eq!((status, expired["status"].as_str()), (200, Some("expired")));
    let event = stripe
        .wait_for_event("checkout.session.expired", WAIT)
        .await
        .expect("expired event");
    assert_eq!(event.event["request"]["idempotency_key"], "expire-a");
    let (status, _, again) = stripe_post(&stripe, &expire, None, &[]).await;
    assert_eq!(
        (status, again["error"]["type"].as_str()),
        (400, Some("invalid_request_error"))
    );
    assert!(
        stripe.complete(&a).await.is_err(),
        "an expired session cannot be paid"
    );

    let (_, _, b) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        None,
        &session_form("5000", 3600),
    )
    .await;
    let b = b["id"].as_str().expect("id").to_string();
    stripe.complete_unpaid(&b).await.expect("delayed payment");
    assert_eq!(
        stripe.session(&b).map(|s| s.payment_status.as_str()),
        Some("unpaid")
    );
    stripe.async_succeeded(&b).await.expect("settles");
    let pi = stripe
        .session(&b)
        .and_then(|s| s.payment_intent)
        .expect("payment intent");

    let refund = [
        ("payment_intent".to_string(), pi.clone()),
        ("amount".to_string(), "2000".to_string()),
    ];
    let (status, _, re) = stripe_post(&stripe, "/v1/refunds", Some("refund-1"), &refund).await;
    assert_eq!(
        (
            status,
            re["object"].as_str(),
            re["status"].as_str(),
            re["amount"].as_i64()
        ),
        (200, Some("refund"), Some("succeeded"), Some(2000))
    );
    assert!(re["id"].as_str().is_some_and(|r| r.starts_with("re_")));
    let (_, _, replay) = stripe_post(&stripe, "/v1/refunds", Some("refund-1"), &refund).await;
    assert_eq!(replay["id"], re["id"]);
    let partial = stripe
        .wait_for_event("charge.refunded", WAIT)
        .await
        .expect("refund event");
    let charge = &partial.event["data"]["object"];
    assert_eq!(
        (
            charge["amount_refunded"].as_i64(),
            charge["refunded"].as_bool()
        ),
        (Some(2000), Some(false))
    );
    let too_much = [
        ("payment_intent".to_string(), pi.clone()),
        ("amount".to_string(), "9000".to_string()),
    ];
    assert_eq!(
        stripe_post(&stripe, "/v1/refunds", None, &too_much).await.0,
        400
    );

    let rest = stripe.refund(&pi).await.expect("refund the rest");
    let charge = &rest.event["data"]["object"];
    assert_eq!(
        (
            charge["amount"].as_i64(),
            charge["amount_refunded"].as_i64()
        ),
        (Some(5000), Some(5000))
    );
    assert_eq!(
        (charge["refunded"].as_bool(), charge["currency"].as_str()),
        (Some(true), Some("eur"))
    );
    assert_eq!(
        (
            charge["payment_intent"].as_str(),
            charge["metadata"]["lead_id"].as_str()
        ),
        (Some(pi.as_str()), Some("lead_42"))
    );
    assert!(stripe.refund(&pi).await.is_err(), "nothing left to refund");
    let types: Vec<String> = receiver
        .events()
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_string))
        .collect();
    for wanted in [
        "checkout.session.expired",
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "charge.refunded",
    ] {
        assert!(types.iter().any(|t| t == wanted), "{wanted} in {types:?}");
    }
}

#[tokio::test]
async fn stripe_checkout_page_pays_and_expires() {
    let (receiver, url) = Receiver::start(WHSEC).await;
    let stripe = FakeStripe::start(Some(url), WHSEC.into(), SK.into()).await;
    let (_, _, session) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        None,
        &session_form("15000", 3600),
    )
    .await;
    let page_url = session["url"].as_str().expect("url").to_string();
    let page = http()
        .get(&page_url)
        .send()
        .await
        .expect("reachable")
        .text()
        .await
        .expect("html");
    assert!(
        page.contains("150.00 EUR") && page.contains(">Pay<") && page.contains("Let it expire"),
        "{page}"
    );
    let done = http()
        .post(format!("{page_url}/complete"))
        .send()
        .await
        .expect("reachable");
    assert_eq!(done.status().as_u16(), 200);
    let html = done.text().await.expect("html");
    assert!(
        html.contains("Payment complete") && html.contains("HTTP 200"),
        "{html}"
    );
    assert!(
        html.contains("session_id=cs_test_"),
        "success link filled in: {html}"
    );
    assert_eq!(receiver.events().len(), 1);

    let (_, _, other) = stripe_post(
        &stripe,
        "/v1/checkout/sessions",
        None,
        &session_form("15000", 3600),
    )
    .await;
    let other_url = other["url"].as_str().expect("url");
    let expired = http()
        .post(format!("{other_url}/expire"))
        .send()
        .await
        .expect("reachable")
        .text()
        .await
        .expect("html");
    assert!(expired.contains("expired"), "{expired}");
    let missing = http()
        .get(format!("{}/pay/cs_test_nope", stripe.base_url()))
        .send()
        .await
        .expect("reachable");
    assert_eq!(missing.status().as_u16(), 404);
}
