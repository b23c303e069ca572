//! The load generator behind `inkline loadgen` (see `docs/loadgen.md`): simulated WhatsApp
//! clients post signed webhooks to the ingress and answer the bot's questions; a fake Graph API
//! inside the generator receives the replies, matches them to clients and times them.

pub mod config;
pub mod driver;
pub mod fleet;
pub mod http1;
pub mod presign;
pub mod proxy;
pub mod report;
pub mod script;
pub mod seed;
pub mod tracker;

pub use config::{Config, FleetOptions, Pacing, Storm, Target};
pub use report::Summary;
pub use seed::Seed;

use fakes::FakeGraph;
use inkline_core::domain::ArtistConfig;
use tokio_util::sync::CancellationToken;

/// One whole run: start the fake Graph API (and the `--graph-addr` forwarder, and the fleet when
/// asked), drive the clients, sample process memory, tear down.
pub async fn run(cfg: &Config) -> anyhow::Result<Summary> {
    cfg.validate()?;
    let base = ArtistConfig::demo();
    let artists: Vec<ArtistConfig> = (0..cfg.artists)
        .map(|i| script::artist_variant(&base, i))
        .collect();
    let graph = FakeGraph::try_start().await?;
    let stop = CancellationToken::new();
    let graph_base = match cfg.graph_addr {
        Some(addr) => {
            proxy::forward(addr, graph.addr(), stop.clone())
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on --graph-addr {addr}: {e}"))?;
            format!("http://{addr}")
        }
        None => graph.base_url(),
    };
    let result = match &cfg.target {
        Target::External { ingress_url } => {
            if cfg.progress {
                eprintln!("loadgen: replies expected at WHATSAPP_API_BASE={graph_base}");
            }
            driver::drive(cfg, ingress_url, &graph, &artists).await
        }
        Target::Spawn(opts) => {
            let fleet =
                fleet::SpawnedFleet::start(opts, &graph_base, &cfg.app_secret, &artists).await?;
            if cfg.progress {
                eprintln!(
                    "loadgen: fleet {} up (ingress {}, logs {})",
                    fleet.name,
                    fleet.ingress_url,
                    fleet.log_dir.display()
                );
            }
            let ingress_url = fleet.ingress_url.clone();
            let r = tokio::select! {
                r = driver::drive(cfg, &ingress_url, &graph, &artists) => r,
                () = fleet::interrupted() => Err(anyhow::anyhow!("interrupted")),
            };
            let memory = fleet.memory();
            let seeded = fleet.seeded.clone();
            fleet.teardown().await;
            r.map(|mut s| {
                s.processes = memory;
                s.seeded = seeded;
                s
            })
        }
    };
    stop.cancel();
    result.map(|mut s| {
        s.graph_base_url = graph_base;
        s
    })
}

/// Drives an already running fleet whose workers send to `graph` (used by the e2e tests).
pub async fn run_against(
    cfg: &Config,
    ingress_url: &str,
    graph: &FakeGraph,
) -> anyhow::Result<Summary> {
    cfg.validate()?;
    driver::drive(cfg, ingress_url, graph, &[ArtistConfig::demo()]).await
}
