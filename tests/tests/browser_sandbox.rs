//! The sandbox in a real (headless) Chromium, as a new user would use it: chat as a client through
//! a whole consultation (text, a photo, button taps), see the artist's notification, sign in to the
//! console, approve with a deposit, pay on the fake checkout, and see the lead reach
//! BOOKING_PENDING. Chromium is Debian's, driven over the W3C WebDriver protocol through
//! `chromedriver` with plain HTTP calls. Screenshots of every step (and of a failure) go to
//! `target/browser-screenshots/`. Fails when Chromium cannot be installed
//! (`deploy/local/install-chromium.sh`, which the test command runs first).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use devtools::sandbox::start::{self, Options};
use harness::TestEnv;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN_KEY: &str = "browser-admin-key";
const CLIENT_WA: &str = "447700900777";
const CLIENT_NAME: &str = "Robin";
/// WebDriver's key for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Fails the test at the current step with a screenshot and the page's text.
macro_rules! fail {
    ($b:expr, $($arg:tt)*) => {{
        let report = $b.failure(&format!($($arg)*)).await;
        panic!("{report}")
    }};
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn screenshots_dir() -> PathBuf {
    workspace().join("target/browser-screenshots")
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

/// Chromium and chromedriver, installed from Debian if missing; None when that is impossible.
fn chromium() -> Option<(PathBuf, PathBuf)> {
    let found = || Some((which("chromium")?, which("chromedriver")?));
    if let Some(f) = found() {
        return Some(f);
    }
    let script = workspace().join("deploy/local/install-chromium.sh");
    let status = Command::new("bash")
        .arg(&script)
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .status();
    if !status.is_ok_and(|s| s.success()) {
        return None;
    }
    found()
}

/// A chromedriver process and one browser session, both ended on drop.
struct Browser {
    http: reqwest::Client,
    base: String,
    driver: Child,
    step: String,
    shots: u32,
    _profile: PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Chromium is chromedriver's child and outlives it: end the browser of this profile too.
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(self._profile.as_os_str())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}

impl Browser {
    async fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let root = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = async {
                http.get(format!("{root}/status"))
                    .send()
                    .await
                    .ok()?
                    .json::<Value>()
                    .await
                    .ok()
            }
            .await;
            if ready.is_some_and(|v| v["value"]["ready"] == json!(true)) {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!(
            "inkline-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=430,1000",
        ];
        let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let resp: Value = http
            .post(format!("{root}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {resp}"));
        Browser {
            http,
            base: format!("{root}/session/{id}"),
            driver,
            step: "start".into(),
            shots: 0,
            _profile: profile,
        }
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let ok = resp.status().is_success();
        let v: Value = resp.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v["value"]["message"]
                .as_str()
                .unwrap_or("webdriver error")
                .to_owned())
        }
    }

    async fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url}))
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    async fn js(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
            .unwrap_or(Value::Null)
    }

    async fn find(&self, css: &str) -> Option<String> {
        let v = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await
            .ok()?;
        v[ELEMENT].as_str().map(str::to_owned)
    }

    async fn click(&self, element: &str) -> Result<Value, String> {
        self.post(&format!("/element/{element}/click"), json!({}))
            .await
    }

    async fn type_into(&self, element: &str, text: &str) -> Result<Value, String> {
        self.post(&format!("/element/{element}/value"), json!({"text": text}))
            .await
    }

    async fn page_text(&self) -> String {
        self.js(
            "return document.body ? document.body.innerText : ''",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Saves a PNG of the page under target/browser-screenshots/.
    async fn screenshot(&mut self, name: &str) -> Option<PathBuf> {
        let b64 = self
            .call(reqwest::Method::GET, "/screenshot", None)
            .await
            .ok()?;
        let bytes = base64_decode(b64.as_str()?)?;
        self.shots += 1;
        let dir = screenshots_dir();
        std::fs::create_dir_all(&dir).ok()?;
        let path = dir.join(format!("{:02}-{name}.png", self.shots));
        std::fs::write(&path, bytes).ok()?;
        Some(path)
    }

    /// The failure report for the current step, after a screenshot of the page.
    async fn failure(&mut self, why: &str) -> String {
        let step = self.step.clone();
        let shot = self.screenshot(&format!("FAILED-{step}")).await;
        let text = self.page_text().await;
        format!(
            "browser test failed at step {step:?}: {why}\nscreenshot: {shot:?}\npage text:\n{text}"
        )
    }

    /// Polls `check` (a JS expression returning a truthy value when done) up to `timeout`.
    async fn wait_js(&mut self, what: &str, expr: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.js(&format!("return ({expr});"), json!([])).await;
            if !(v.is_null() || v == json!(false) || v == json!(0) || v == json!("")) {
                return v;
            }
            if Instant::now() > deadline {
                let report = self
                    .failure(&format!("timed out after {timeout:?} waiting for {what}"))
                    .await;
                panic!("{report}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|c| *c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= val(*c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// What the client answers to the bot's latest question (by what the question says).
enum Reply {
    Text(&'static str),
    Tap(&'static str),
    Photo,
}

fn answer_for(question: &str) -> Option<Reply> {
    let q = question.to_lowercase();
    let rules: [(&str, Reply); 14] = [
        ("send any more", Reply::Text("done")),
        (
            "like to get tattooed",
            Reply::Text("A fine-line swallow with a small banner"),
        ),
        ("where on your body", Reply::Text("left forearm")),
        ("how big", Reply::Text("10x15cm")),
        ("how detailed", Reply::Tap("2")),
        ("particular style", Reply::Text("fine line")),
        ("cover-up", Reply::Tap("no")),
        ("reference images", Reply::Photo),
        ("budget", Reply::Text("£600")),
        ("would you travel", Reply::Tap("skip")),
        ("which city are you based", Reply::Text("London")),
        ("which country", Reply::Text("UK")),
        ("instagram handle", Reply::Text("@robin.ink")),
        (
            "when are you hoping",
            Reply::Text("in the next couple of months"),
        ),
    ];
    rules
        .into_iter()
        .find(|(k, _)| q.contains(k))
        .map(|(_, r)| r)
}

async fn lead_status(pool: &sqlx::PgPool) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM leads WHERE wa_id = $1")
        .bind(CLIENT_WA)
        .fetch_optional(pool)
        .await
        .ok()
        .flatten()
}

/// Polls the lead's status until it is `want`.
async fn wait_status(b: &mut Browser, pool: &sqlx::PgPool, want: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let now = lead_status(pool).await;
        if now.as_deref() == Some(want) {
            return;
        }
        if Instant::now() > deadline {
            fail!(b, "the lead is {now:?}, expected {want}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const RECEIVED: &str = "Number(document.body.dataset.received || 0)";

#[tokio::test]
async fn a_new_user_reaches_a_paid_deposit_in_the_sandbox_browser() {
    let Some((chromium, chromedriver)) = chromium() else {
        panic!(
            "Chromium/chromedriver are not installed and could not be installed: run \
             deploy/local/install-chromium.sh as root (deploy/local/test.sh does)"
        );
    };
    let started = Instant::now();
    let env = TestEnv::new().await;
    let console_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ingress_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox = start::start(Options {
        database_url: env.database_url.clone(),
        recreate_database: false,
        amqp_url: env.amqp_url.clone(),
        purge_queues: false,
        console: console_listener,
        ingress: ingress_listener,
        admin_api_key: Some(ADMIN_KEY.into()),
    })
    .await
    .expect("the sandbox starts");
    let site = sandbox.console_url.clone();
    let pool = sandbox.pool.clone();
    let _ = std::fs::remove_dir_all(screenshots_dir());
    let mut b = Browser::start(&chromium, &chromedriver).await;

    // 1. The client phone: a whole consultation, answering whatever the bot asks.
    b.step = "consultation".into();
    b.goto(&format!(
        "{site}/sandbox/phone?wa={CLIENT_WA}&name={CLIENT_NAME}"
    ))
    .await;
    let photo = workspace().join("target/browser-reference.png");
    std::fs::write(&photo, base64_decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==").unwrap()).unwrap();
    let mut next = Reply::Text("Hi");
    for turn in 0..25 {
        let before = b
            .js(&format!("return {RECEIVED};"), json!([]))
            .await
            .as_i64()
            .unwrap_or(0);
        match &next {
            Reply::Text(t) => {
                let Some(input) = b.find("#text").await else {
                    fail!(b, "no message box")
                };
                if let Err(e) = b.type_into(&input, t).await {
                    fail!(b, "cannot type: {e}");
                }
                let Some(send) = b.find("#send").await else {
                    fail!(b, "no send button")
                };
                b.click(&send).await.ok();
            }
            Reply::Tap(label) => {
                let button = b
                    .js(
                        "const last = [...document.querySelectorAll('#chat .bubble.in')].pop();
                         return last ? [...last.querySelectorAll('button')].find(x => x.innerText.toLowerCase().startsWith(arguments[0])) || null : null;",
                        json!([label]),
                    )
                    .await;
                let Some(id) = button[ELEMENT].as_str().map(str::to_owned) else {
                    fail!(b, "no {label:?} button to tap")
                };
                b.click(&id).await.ok();
            }
            Reply::Photo => {
                let Some(summary) = b.find(".attach summary").await else {
                    fail!(b, "no photo button")
                };
                if let Err(e) = b.click(&summary).await {
                    fail!(b, "cannot open the photo form: {e}")
                }
                let Some(file) = b.find(".attach input[type=file]").await else {
                    fail!(b, "no file input")
                };
                if let Err(e) = b.type_into(&file, photo.to_str().unwrap()).await {
                    fail!(b, "cannot choose the photo: {e}")
                }
                let Some(go) = b.find(".attach button[type=submit]").await else {
                    fail!(b, "no send-photo button")
                };
                if let Err(e) = b.click(&go).await {
                    fail!(b, "cannot send the photo: {e}")
                }
            }
        }
        b.wait_js(
            "the bot's answer",
            &format!("{RECEIVED} > {before}"),
            Duration::from_secs(20),
        )
        .await;
        // A reply can be more than one message: let the burst land.
        tokio::time::sleep(Duration::from_millis(700)).await;
        if lead_status(&pool).await.as_deref() == Some("PENDING_APPROVAL") {
            break;
        }
        let question = b.js("const l = [...document.querySelectorAll('#chat .bubble.in')].pop(); return l ? l.innerText : '';", json!([])).await;
        let question = question.as_str().unwrap_or_default().to_owned();
        next = match answer_for(&question) {
            Some(r) => r,
            None => fail!(b, "turn {turn}: no answer for {question:?}"),
        };
    }
    wait_status(&mut b, &pool, "PENDING_APPROVAL", Duration::from_secs(10)).await;
    b.screenshot("client-consultation-done").await;
    let refs: i32 = sqlx::query_scalar(
        "SELECT jsonb_array_length(state->'references') FROM leads WHERE wa_id = $1",
    )
    .bind(CLIENT_WA)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(refs, 1, "the uploaded photo is a reference");

    // 2. The artist phone: the new request, with action links.
    b.step = "artist-phone".into();
    b.goto(&format!("{site}/sandbox/artist")).await;
    b.wait_js(
        "the artist's notification",
        "document.querySelectorAll('#chat .bubble').length > 0",
        Duration::from_secs(15),
    )
    .await;
    b.screenshot("artist-phone").await;
    // Its action links open a confirmation first (previews must not act). The links carry
    // PUBLIC_BASE_URL (the process's, default :8090), so only their path is used on this port.
    let link = b
        .wait_js("an action link", "[...document.querySelectorAll('#chat a')].map(a => a.getAttribute('href')).find(h => h.includes('/a/'))", Duration::from_secs(5))
        .await;
    let path = link
        .as_str()
        .and_then(|l| l.find("/a/").map(|i| l[i..].to_owned()))
        .unwrap_or_default();
    b.goto(&format!("{site}{path}")).await;
    b.wait_js("the action link's confirmation", "document.querySelector('#confirm') && document.body.innerText.includes('Approve the request')", Duration::from_secs(5))
        .await;
    b.screenshot("action-link-confirm").await;

    // 3. The console: sign in with the admin key, open the lead, approve with a deposit.
    b.step = "console-approve".into();
    b.goto(&format!("{site}/login")).await;
    let Some(key) = b.find("#key").await else {
        fail!(b, "no key field")
    };
    b.type_into(&key, ADMIN_KEY).await.ok();
    let Some(go) = b.find("form[action='/login'] button").await else {
        fail!(b, "no sign-in button")
    };
    b.click(&go).await.ok();
    b.wait_js(
        "the leads list",
        "document.querySelector('a[href^=\"/leads/\"]')",
        Duration::from_secs(10),
    )
    .await;
    b.screenshot("console-leads").await;
    let Some(lead_link) = b.find("td a[href^='/leads/']").await else {
        fail!(b, "no lead in the list")
    };
    b.click(&lead_link).await.ok();
    b.wait_js(
        "the lead page",
        "document.querySelector('form[action$=\"/actions/approve\"]')",
        Duration::from_secs(10),
    )
    .await;
    b.screenshot("console-lead").await;
    let Some(deposit) = b.find("#deposit").await else {
        fail!(b, "no deposit field")
    };
    b.post(&format!("/element/{deposit}/clear"), json!({}))
        .await
        .ok();
    b.type_into(&deposit, "120").await.ok();
    let Some(approve) = b.find("form[action$='/actions/approve'] button").await else {
        fail!(b, "no approve button")
    };
    b.click(&approve).await.ok();
    b.wait_js(
        "the approval",
        "document.body.innerText.includes('Done: approve.')",
        Duration::from_secs(10),
    )
    .await;
    wait_status(&mut b, &pool, "AWAITING_DEPOSIT", Duration::from_secs(5)).await;

    // 4. The deposit link reaches the client (payments worker → Stripe fake → sender).
    b.step = "deposit-link".into();
    b.goto(&format!(
        "{site}/sandbox/phone?wa={CLIENT_WA}&name={CLIENT_NAME}"
    ))
    .await;
    let href = b
        .wait_js(
            "the deposit link in the chat",
            "(document.querySelector('#chat a[href*=\"/sandbox/checkout/\"]') || {}).href",
            Duration::from_secs(30),
        )
        .await;
    b.screenshot("client-deposit-link").await;

    // 5. The fake checkout: pay; Stripe's signed event goes to the ingress.
    b.step = "checkout".into();
    b.goto(href.as_str().unwrap()).await;
    let Some(pay) = b.find("#pay").await else {
        fail!(b, "no pay button")
    };
    b.screenshot("checkout").await;
    b.click(&pay).await.ok();
    b.wait_js(
        "the payment",
        "document.body.innerText.includes('Payment complete')",
        Duration::from_secs(15),
    )
    .await;
    let delivery = b.page_text().await;
    assert!(
        delivery.contains("accepted (HTTP 200)"),
        "the ingress accepted the Stripe event: {delivery}"
    );
    b.screenshot("checkout-paid").await;

    // 6. The lead is paid and waits for a booking.
    b.step = "booking-pending".into();
    wait_status(&mut b, &pool, "BOOKING_PENDING", Duration::from_secs(30)).await;
    b.goto(&format!(
        "{site}/sandbox/phone?wa={CLIENT_WA}&name={CLIENT_NAME}"
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.screenshot("client-after-payment").await;

    // 7. The console shows the paid lead (reference photo included), the funnel and the queues.
    b.step = "console-after".into();
    let lead_id: uuid::Uuid = sqlx::query_scalar("SELECT id FROM leads WHERE wa_id = $1")
        .bind(CLIENT_WA)
        .fetch_one(&pool)
        .await
        .unwrap();
    b.goto(&format!("{site}/leads/{lead_id}")).await;
    b.wait_js(
        "the reference photo",
        "[...document.querySelectorAll('.refs img')].some(i => i.complete && i.naturalWidth > 0)",
        Duration::from_secs(10),
    )
    .await;
    b.wait_js(
        "the paid status",
        "document.body.innerText.includes('BOOKING_PENDING')",
        Duration::from_secs(5),
    )
    .await;
    b.screenshot("console-lead-paid").await;
    // Usable on a phone: nothing wider than the 430 px window.
    for page in [
        format!("/leads/{lead_id}"),
        "/leads".into(),
        "/funnel".into(),
        "/queues".into(),
        format!("/sandbox/phone?wa={CLIENT_WA}"),
    ] {
        b.goto(&format!("{site}{page}")).await;
        let wide = b
            .js(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                json!([]),
            )
            .await;
        if wide.as_i64().unwrap_or(0) > 0 {
            fail!(b, "{page} is {wide} px wider than a phone screen");
        }
    }
    b.goto(&format!("{site}/funnel")).await;
    b.wait_js(
        "the funnel",
        "document.body.innerText.includes('Per week')",
        Duration::from_secs(5),
    )
    .await;
    b.screenshot("console-funnel").await;
    b.goto(&format!("{site}/queues")).await;
    b.wait_js(
        "queue health",
        "document.body.innerText.includes('outbound.whatsapp')",
        Duration::from_secs(5),
    )
    .await;
    b.screenshot("console-queues").await;

    eprintln!(
        "browser test: consultation → approval → payment → BOOKING_PENDING in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    drop(b);
    sandbox.stop().await;
}
