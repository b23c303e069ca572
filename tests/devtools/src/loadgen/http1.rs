//! A minimal HTTP/1.1 client for the webhook posts: a presigned request written with one call on a
//! kept-alive loopback connection, the answer's status read back. No URL parsing, header maps or
//! per-connection task per request (a general client's costs), so the generator takes as little
//! CPU as it can from the fleet it measures on the same cores.

use bytes::{Buf, BytesMut};
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Idle connections kept for reuse at most.
const MAX_IDLE: usize = 1024;
/// The longest response head read (the ingress's are a few hundred bytes).
const MAX_HEAD: usize = 16 * 1024;

/// Why a post got no HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error("timed out")]
    Timeout,
    #[error("connect: {0}")]
    Connect(std::io::Error),
    #[error("transport: {0}")]
    Transport(std::io::Error),
    #[error("malformed response: {0}")]
    Malformed(&'static str),
}

/// Where the posts go: the socket address, and the `Host` and path the request head names.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub host: String,
    pub path: String,
}

impl Target {
    /// From an `http://IP:PORT/path` URL (loadgen only talks to loopback addresses).
    pub fn parse(url: &str) -> Result<Target, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        if parsed.scheme() != "http" {
            return Err(format!("{url}: only http:// is supported"));
        }
        let addr = parsed
            .socket_addrs(|| Some(80))
            .map_err(|e| format!("{url}: {e}"))?
            .into_iter()
            .next()
            .ok_or_else(|| format!("{url}: no address"))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => addr.to_string(),
        };
        Ok(Target {
            addr,
            host,
            path: parsed.path().to_owned(),
        })
    }

    /// The complete request: head (with `Content-Length`) and body, ready to write as is.
    pub fn request(&self, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut head = format!(
            "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-length: {}\r\n",
            self.path,
            self.host,
            body.len()
        );
        for (k, v) in headers {
            head.push_str(k);
            head.push_str(": ");
            head.push_str(v);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(body);
        out
    }
}

struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    /// Whether it answered before (a reused connection may have been closed by the server).
    reused: bool,
}

impl Conn {
    /// Reads what the server sent next into the buffer; the server closing is an error here (a
    /// response is still due).
    async fn read_more(&mut self) -> Result<(), PostError> {
        let n = self
            .stream
            .read_buf(&mut self.buf)
            .await
            .map_err(PostError::Transport)?;
        if n == 0 {
            return Err(PostError::Transport(
                std::io::ErrorKind::UnexpectedEof.into(),
            ));
        }
        Ok(())
    }
}

/// Posts complete requests to one target over a pool of kept-alive connections.
pub struct Client {
    target: Target,
    idle: Mutex<Vec<Conn>>,
    timeout: Duration,
    connect_timeout: Duration,
}

/// The parsed head of a response.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    /// Bytes of the head, the blank line included.
    len: usize,
    content_length: Option<usize>,
    keep_alive: bool,
}

/// Parses a complete response head at the start of `buf` (None: not complete yet).
fn parse_head(buf: &[u8]) -> Result<Option<Head>, PostError> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if buf.len() > MAX_HEAD {
            Err(PostError::Malformed("head too long"))
        } else {
            Ok(None)
        };
    };
    let head = std::str::from_utf8(buf.get(..end).unwrap_or_default())
        .map_err(|_| PostError::Malformed("head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(PostError::Malformed("no status code"))?;
    let mut keep_alive = version == "HTTP/1.1";
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(PostError::Malformed("header without a colon"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse()
                    .map_err(|_| PostError::Malformed("bad content-length"))?,
            );
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = true;
        }
    }
    // A body without a length (chunked, or until close) is not read: the connection is dropped.
    if chunked || content_length.is_none() {
        keep_alive = false;
    }
    Ok(Some(Head {
        status,
        len: end + 4,
        content_length,
        keep_alive,
    }))
}

impl Client {
    pub fn new(target: Target, timeout: Duration, connect_timeout: Duration) -> Client {
        Client {
            target,
            idle: Mutex::new(Vec::new()),
            timeout,
            connect_timeout,
        }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Writes `request` and returns the answer's status code. A reused connection the server had
    /// already closed (no answer at all) is retried once on a new one, as browsers and hyper do.
    pub async fn post(&self, request: &[u8]) -> Result<u16, PostError> {
        let (conn, (keep, status)) = tokio::time::timeout(self.timeout, async {
            let mut conn = self.checkout().await?;
            match Self::exchange(&mut conn, request).await {
                Err(PostError::Transport(_)) if conn.reused && conn.buf.is_empty() => {
                    let mut fresh = self.connect().await?;
                    let answer = Self::exchange(&mut fresh, request).await?;
                    Ok((fresh, answer))
                }
                Err(e) => Err(e),
                Ok(answer) => Ok((conn, answer)),
            }
        })
        .await
        .map_err(|_| PostError::Timeout)??;
        if keep {
            self.checkin(conn);
        }
        Ok(status)
    }

    async fn connect(&self) -> Result<Conn, PostError> {
        let stream =
            tokio::time::timeout(self.connect_timeout, TcpStream::connect(self.target.addr))
                .await
                .map_err(|_| PostError::Connect(std::io::ErrorKind::TimedOut.into()))?
                .map_err(PostError::Connect)?;
        stream.set_nodelay(true).map_err(PostError::Connect)?;
        Ok(Conn {
            stream,
            buf: BytesMut::with_capacity(1024),
            reused: false,
        })
    }

    async fn checkout(&self) -> Result<Conn, PostError> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(c) => Ok(c),
            None => self.connect().await,
        }
    }

    fn checkin(&self, mut conn: Conn) {
        conn.reused = true;
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    /// One request and its response on `conn`: the status, and whether the connection may be
    /// used again.
    async fn exchange(conn: &mut Conn, request: &[u8]) -> Result<(bool, u16), PostError> {
        conn.stream
            .write_all(request)
            .await
            .map_err(PostError::Transport)?;
        let head = loop {
            if let Some(h) = parse_head(&conn.buf)? {
                break h;
            }
            conn.read_more().await?;
        };
        if !head.keep_alive {
            conn.buf.clear();
            return Ok((false, head.status));
        }
        let total = head.len + head.content_length.unwrap_or(0);
        while conn.buf.len() < total {
            conn.read_more().await?;
        }
        conn.buf.advance(total);
        Ok((true, head.status))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn heads_are_parsed_whole_or_not_at_all() {
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n")
                .unwrap()
                .is_none()
        );
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nx: y\r\n\r\n{}")
            .unwrap()
            .unwrap();
        assert_eq!(
            (h.status, h.content_length, h.keep_alive),
            (200, Some(2), true)
        );
        assert_eq!(h.len, 44, "the head ends after the blank line");
        let closing = parse_head(
            b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!((closing.status, closing.keep_alive), (503, false));
        let chunked = parse_head(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!chunked.keep_alive, "a body without a length is not read");
        assert!(parse_head(b"garbage\r\n\r\n").is_err());
        assert!(parse_head(&vec![b'x'; MAX_HEAD + 1]).is_err());
    }

    #[test]
    fn targets_and_requests() {
        let t = Target::parse("http://127.0.0.1:8080/webhooks/whatsapp").unwrap();
        assert_eq!(
            (t.host.as_str(), t.path.as_str()),
            ("127.0.0.1:8080", "/webhooks/whatsapp")
        );
        let r = t.request(&[("x-a", "1")], b"{}");
        assert_eq!(
            r,
            b"POST /webhooks/whatsapp HTTP/1.1\r\nhost: 127.0.0.1:8080\r\ncontent-length: 2\r\nx-a: 1\r\n\r\n{}"
        );
        assert!(Target::parse("https://127.0.0.1/").is_err());
    }

    /// A server that answers each request with the next scripted response, split in two writes.
    async fn scripted(answers: Vec<&'static [u8]>, close_after_each: bool) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            let mut answers = answers.into_iter();
            'conns: loop {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = Vec::new();
                loop {
                    let mut chunk = [0u8; 1024];
                    let n = s.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        continue 'conns;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    // Requests in these tests carry a 2-byte body.
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        if buf.len() < end + 6 {
                            break;
                        }
                        buf.drain(..end + 6);
                        let Some(a) = answers.next() else { return };
                        let (x, y) = a.split_at(a.len() / 2);
                        s.write_all(x).await.unwrap();
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        s.write_all(y).await.unwrap();
                        if close_after_each {
                            continue 'conns;
                        }
                    }
                }
            }
        });
        addr
    }

    fn client(addr: SocketAddr) -> Client {
        let t = Target::parse(&format!("http://{addr}/hook")).unwrap();
        Client::new(t, Duration::from_secs(5), Duration::from_secs(1))
    }

    #[tokio::test]
    async fn keeps_the_connection_and_reads_split_answers() {
        let ok: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        let addr = scripted(
            vec![
                ok,
                ok,
                b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n",
            ],
            false,
        )
        .await;
        let c = client(addr);
        let req = c.target().request(&[], b"{}");
        assert_eq!(c.post(&req).await.unwrap(), 200);
        assert_eq!(c.post(&req).await.unwrap(), 200);
        assert_eq!(c.post(&req).await.unwrap(), 403);
        assert_eq!(
            c.idle.lock().unwrap().len(),
            1,
            "one connection served all three"
        );
    }

    #[tokio::test]
    async fn a_closed_connection_is_replaced() {
        let ok: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        let addr = scripted(vec![ok, ok], true).await;
        let c = client(addr);
        let req = c.target().request(&[], b"{}");
        assert_eq!(c.post(&req).await.unwrap(), 200);
        // The server closed after answering; the pooled connection fails and a new one is used.
        assert_eq!(c.post(&req).await.unwrap(), 200);
    }

    #[tokio::test]
    async fn connection_close_is_honoured_and_nobody_listening_is_a_connect_error() {
        let addr = scripted(
            vec![b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{}"],
            true,
        )
        .await;
        let c = client(addr);
        let req = c.target().request(&[], b"{}");
        assert_eq!(c.post(&req).await.unwrap(), 503);
        assert!(c.idle.lock().unwrap().is_empty());
        let free = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(matches!(
            client(free).post(&req).await,
            Err(PostError::Connect(_))
        ));
    }
}
