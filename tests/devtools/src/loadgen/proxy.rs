//! `--graph-addr`: a fixed loopback address for loadgen's fake Graph API. The fake binds an
//! ephemeral port, so a plain TCP forwarder on the requested address lets an externally started
//! fleet be configured (`WHATSAPP_API_BASE=http://ADDR`) before loadgen runs.

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Connections served at once at most (each is a keep-alive HTTP connection of a sender).
const MAX_CONNECTIONS: usize = 1024;

/// Forwards every connection to `listen` on to `upstream` until `stop`.
pub async fn forward(
    listen: SocketAddr,
    upstream: SocketAddr,
    stop: CancellationToken,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(listen).await?;
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    Ok(tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stop.cancelled() => break,
            };
            let Ok((mut inbound, _)) = accepted else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                continue;
            };
            let stop = stop.clone();
            tokio::spawn(async move {
                if let Ok(mut out) = TcpStream::connect(upstream).await {
                    let _ = inbound.set_nodelay(true);
                    let _ = out.set_nodelay(true);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut out) => {}
                        _ = stop.cancelled() => {}
                    }
                }
                drop(permit);
            });
        }
    }))
}
