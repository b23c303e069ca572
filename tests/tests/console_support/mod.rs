//! Shared by the console tests: start the real console on a random port against a `TestEnv`,
//! seed leads straight into the database, and a tiny cookie-keeping browser over reqwest.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use console::server::{self, AppState};
use harness::{Running, TestEnv};
use infra::bus::Bus;
use infra::config::{ConsoleConfig, EnvReader};
use infra::shutdown::Shutdown;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use std::time::Duration;
use uuid::Uuid;

pub const ADMIN_KEY: &str = "test-admin-key";

/// Starts the console for `env` with `ADMIN_API_KEY` (None: unset) and extra settings.
pub async fn start_console(
    env: &TestEnv,
    admin_key: Option<&str>,
    extra: &[(&str, &str)],
) -> Running {
    let mut vars = env.env_vars();
    if let Some(k) = admin_key {
        vars.insert("ADMIN_API_KEY".into(), k.into());
    }
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    let cfg = ConsoleConfig::read(EnvReader::from_map(vars)).expect("console config");
    let shutdown = Shutdown::new();
    let bus = Bus::start(cfg.bus.clone(), "console-test", shutdown.child());
    assert!(
        bus.wait_connected(Duration::from_secs(10)).await,
        "console connects to RabbitMQ"
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(env.pool.clone(), bus, &cfg);
    let s = shutdown.clone();
    let task = tokio::spawn(async move {
        let _ = server::serve(listener, state, s).await;
    });
    Running {
        shutdown,
        addr: Some(addr),
        metrics_addr: None,
        task: Some(task),
    }
}

/// An HTTP client that does not follow redirects (tests look at them).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Inserts a lead as the workers would leave it; returns its id.
pub async fn seed_lead(
    env: &TestEnv,
    artist_id: Uuid,
    wa_id: &str,
    name: &str,
    status: &str,
    minutes_ago: i64,
) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO leads (id, artist_id, wa_id, name, status, step, answers, estimate, created_at, updated_at, last_inbound_at)
         VALUES ($1, $2, $3, $4, $5, 'placement', $6, $7, now() - make_interval(mins => $8), now(), now())",
    )
    .bind(id)
    .bind(artist_id)
    .bind(wa_id)
    .bind(name)
    .bind(status)
    .bind(serde_json::json!({"idea": "fine-line swallow", "budget": {"amount_minor": 60000, "currency": "GBP"}}))
    .bind(serde_json::json!({"category": "MEDIUM", "days": null, "deposit": {"amount_minor": 15000, "currency": "GBP"}}))
    .bind(minutes_ago as i32)
    .execute(&env.pool)
    .await
    .unwrap();
    id
}

/// A second artist, for scoping tests.
pub async fn seed_artist(env: &TestEnv, slug: &str, phone_number_id: &str) -> Uuid {
    let mut cfg = inkline_core::domain::ArtistConfig::demo();
    cfg.slug = slug.into();
    cfg.name = format!("{slug} studio");
    cfg.phone_number_id = phone_number_id.into();
    infra::store::artists::upsert(&env.pool, &cfg)
        .await
        .unwrap()
        .0
}

/// A browser that keeps the console's session cookie.
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: Option<String>,
}

impl Browser {
    pub fn new(console: &Running) -> Browser {
        Browser {
            base: console.url(""),
            http: client(),
            cookie: None,
        }
    }

    fn keep(&mut self, resp: &reqwest::Response) {
        for v in resp.headers().get_all(SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            if pair.ends_with('=') {
                self.cookie = None;
            } else {
                self.cookie = Some(pair.to_owned());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header(COOKIE, c);
        }
        let resp = req.send().await.unwrap();
        self.keep(&resp);
        resp
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(c) = &self.cookie {
            req = req.header(COOKIE, c);
        }
        let resp = req.send().await.unwrap();
        self.keep(&resp);
        resp
    }

    /// The CSRF token in the page at `path` (the first hidden `csrf` field).
    pub async fn csrf(&mut self, path: &str) -> String {
        let html = self.get(path).await.text().await.unwrap();
        csrf_in(&html).unwrap_or_else(|| panic!("no csrf field in {path}: {html}"))
    }

    /// Signs in with `key`; returns the answer to the POST.
    pub async fn login(&mut self, key: &str) -> reqwest::Response {
        let csrf = self.csrf("/login").await;
        self.post(
            "/login",
            &[("csrf", &csrf), ("key", key), ("next", "/leads")],
        )
        .await
    }
}

pub fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")?;
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}
