//! Starting the real ingress and worker roles for a test, in-process or as child processes.

use crate::env::TestEnv;
use infra::bus::Bus;
use infra::shutdown::Shutdown;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use workers::Role;

/// Something running for a test; stopped on drop.
pub struct Running {
    pub shutdown: Shutdown,
    pub addr: Option<SocketAddr>,
    /// The ingress's internal port (`/metrics`, `/healthz`, `/readyz`).
    pub metrics_addr: Option<SocketAddr>,
    pub task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Graceful stop: trigger shutdown and wait for in-flight work.
    pub async fn stop(mut self) {
        self.shutdown.trigger();
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), t).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr.expect("has an address"))
    }

    /// A URL on the ingress's internal (metrics) port.
    pub fn metrics_url(&self, path: &str) -> String {
        format!(
            "http://{}{path}",
            self.metrics_addr.expect("has a metrics address")
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.trigger();
    }
}

impl TestEnv {
    /// Starts the ingress on a random port, waiting until it is connected to the broker.
    pub async fn start_ingress(&self) -> Running {
        self.start_ingress_with(self.ingress_config(), true).await
    }

    /// Starts an ingress with `cfg`; `wait` for the broker connection first (skip it to test a
    /// broker that is down).
    pub async fn start_ingress_with(
        &self,
        cfg: infra::config::IngressConfig,
        wait: bool,
    ) -> Running {
        let shutdown = Shutdown::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let internal = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let metrics_addr = internal.local_addr().unwrap();
        // As in `ingress::run`: the bus stops after the servers, so requests in flight get confirms.
        let bus_stop = Shutdown::new();
        let bus = Bus::start(cfg.bus.clone(), "ingress-test", bus_stop.clone());
        if wait {
            assert!(
                bus.wait_connected(Duration::from_secs(10)).await,
                "ingress connects to RabbitMQ"
            );
        }
        let s = shutdown.clone();
        let task = tokio::spawn(async move {
            let listeners = ingress::Listeners {
                public: listener,
                internal,
            };
            let _ = ingress::serve_on(listeners, cfg, bus, s).await;
            bus_stop.trigger();
        });
        Running {
            shutdown,
            addr: Some(addr),
            metrics_addr: Some(metrics_addr),
            task: Some(task),
        }
    }

    /// Starts worker roles in-process, waiting until the bus is connected.
    pub async fn start_workers(&self, roles: &[Role]) -> Running {
        let shutdown = Shutdown::new();
        let fleet = workers::Fleet::connect(self.worker_config(), &shutdown)
            .await
            .expect("fleet");
        fleet.bus.wait_connected(Duration::from_secs(10)).await;
        let roles = roles.to_vec();
        let s = shutdown.clone();
        let task = tokio::spawn(async move { workers::run_roles(fleet, &roles, s).await });
        Running {
            shutdown,
            addr: None,
            metrics_addr: None,
            task: Some(task),
        }
    }

    /// Posts a body to the ingress's WhatsApp webhook, signed with the app secret.
    pub async fn post_whatsapp(&self, ingress: &Running, body: &[u8]) -> reqwest::Response {
        let sig = inkline_core::webhook::signature::sign_whatsapp(
            crate::env::APP_SECRET.as_bytes(),
            body,
        );
        reqwest::Client::new()
            .post(ingress.url("/webhooks/whatsapp"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body.to_vec())
            .send()
            .await
            .expect("ingress reachable")
    }

    /// Runs the operator CLI `inkline ARGS…` against this environment and waits for it.
    pub fn inkline(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(TestEnv::binary("inkline"))
            .args(args)
            .envs(self.env_vars())
            .output()
            .expect("run inkline")
    }

    /// Path of a workspace binary (built by `cargo build --workspace` / nextest).
    pub fn binary(name: &str) -> PathBuf {
        let exe = std::env::current_exe().expect("test exe");
        let dir = exe.parent().and_then(|p| p.parent()).expect("target/debug");
        let path = dir.join(name);
        assert!(
            path.exists(),
            "{} is missing: run `cargo build --workspace --bins` first",
            path.display()
        );
        path
    }

    /// Spawns `inkline-worker ROLES` as a child process with this env (plus `extra`).
    pub fn spawn_worker_process(&self, roles: &[&str], extra: &[(&str, &str)]) -> Child {
        let mut cmd = Command::new(Self::binary("inkline-worker"));
        cmd.args(roles)
            .envs(self.env_vars())
            .env("LOG_FORMAT", "pretty")
            .env("RUST_LOG", "warn");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn inkline-worker")
    }
}

/// A child process killed (and reaped) when the test ends, pass or fail.
pub struct KillOnDrop(pub Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
