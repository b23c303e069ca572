//! A TCP proxy the test controls, put between the fleet and a server (Postgres) to simulate an
//! outage (`cut` closes every open connection and refuses new ones until `restore`) or to count
//! the client's requests (`requests`: one per burst of bytes the client sends, i.e. per round
//! trip of a request/response protocol; a Postgres `Sync` alone — the ping sqlx's pool sends when
//! a connection is given back — is counted apart, in `pings`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A Postgres `Sync` message: `S` and its length.
const SYNC: [u8; 5] = [b'S', 0, 0, 0, 4];

/// A running proxy; stops when dropped.
pub struct Proxy {
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    requests: Arc<AtomicU64>,
    pings: Arc<AtomicU64>,
    cuts: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on a random loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let up = Arc::new(AtomicBool::new(true));
        let requests = Arc::new(AtomicU64::new(0));
        let pings = Arc::new(AtomicU64::new(0));
        let (cuts, _) = watch::channel(0u64);
        let (up2, cuts2) = (up.clone(), cuts.clone());
        let (requests2, pings2) = (requests.clone(), pings.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((inbound, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    // Down: the connection is closed at once (a refused/reset connection).
                    drop(inbound);
                    continue;
                }
                let mut cut = cuts2.subscribe();
                let (requests, pings) = (requests2.clone(), pings2.clone());
                tokio::spawn(async move {
                    let Ok(outbound) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut from_client, mut to_client) = inbound.into_split();
                    let (mut from_server, mut to_server) = outbound.into_split();
                    let up = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n) = from_client.read(&mut buf).await {
                            if n == 0 || to_server.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                            let counter = if buf[..n] == SYNC { &pings } else { &requests };
                            counter.fetch_add(1, Ordering::Relaxed);
                        }
                        let _ = to_server.shutdown().await;
                    };
                    let down = async {
                        let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
                        let _ = to_client.shutdown().await;
                    };
                    tokio::select! {
                        _ = async { tokio::join!(up, down) } => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            up,
            requests,
            pings,
            cuts,
            task,
        }
    }

    /// Bursts of bytes clients have sent so far (their requests), pings aside.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Bursts that were a Postgres `Sync` alone (a ping).
    pub fn pings(&self) -> u64 {
        self.pings.load(Ordering::Relaxed)
    }

    /// The outage begins: open connections are closed, new ones refused.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    /// The outage ends.
    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

/// The address of the Postgres server the tests use.
pub fn postgres_addr() -> SocketAddr {
    let url = url::Url::parse(&crate::env::pg_admin_url()).expect("PG admin URL");
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port().unwrap_or(5432);
    std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
        .expect("resolve Postgres")
        .next()
        .expect("a Postgres address")
}

/// `database_url` pointed at `proxy` instead of the server.
pub fn through(database_url: &str, proxy: &Proxy) -> String {
    let mut url = url::Url::parse(database_url).expect("database URL");
    url.set_port(Some(proxy.addr.port())).expect("port");
    url.set_host(Some("127.0.0.1")).expect("host");
    url.to_string()
}
