//! `inkline dlq list|replay`: inspect dead letters and move them back to their queue (the work
//! itself is `infra::bus::dlq`, shared with the admin API and the console).

use infra::bus::Bus;
use infra::bus::dlq;
use infra::bus::topology;
use infra::config::{BusConfig, EnvReader};
use infra::shutdown::Shutdown;
use std::time::Duration;

async fn bus() -> anyhow::Result<(Bus, Shutdown)> {
    let mut env = EnvReader::from_env();
    let cfg = BusConfig::read(&mut env);
    env.finish()?;
    let shutdown = Shutdown::new();
    let bus = Bus::start(cfg, "cli", shutdown.clone());
    if !bus.wait_connected(Duration::from_secs(10)).await {
        anyhow::bail!("cannot connect to RabbitMQ (AMQP_URL)");
    }
    Ok((bus, shutdown))
}

pub async fn list() -> anyhow::Result<()> {
    let (bus, shutdown) = bus().await?;
    for (q, n) in dlq::counts(&bus).await? {
        println!("{q}\t{n}");
    }
    shutdown.trigger();
    Ok(())
}

pub async fn replay_cmd(queue: &str, limit: Option<u32>) -> anyhow::Result<()> {
    let (bus, shutdown) = bus().await?;
    let moved = dlq::replay(&bus, queue, limit).await?;
    println!(
        "replayed {moved} message(s) from {} to {queue}",
        topology::dlq(queue)
    );
    shutdown.trigger();
    Ok(())
}
