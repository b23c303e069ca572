//! Every webhook a run can send, built, signed and rendered as a complete HTTP request before the
//! clock starts, so that during the measurement the generator only writes and reads sockets — no
//! JSON, HMAC or request building competing with the fleet for the cores.

use super::config::{Config, Pacing};
use super::http1;
use super::script::{Plan, turn_time};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use fakes::payloads;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most webhooks one run builds ahead (under 1 kB each: 1 GB at most).
pub const MAX_PRESIGNED: usize = 1_000_000;

/// One signed webhook as the request that posts it (head with `X-Hub-Signature-256`, then body).
#[derive(Debug, Clone)]
pub struct SignedWebhook {
    pub request: Bytes,
    body_at: usize,
}

impl SignedWebhook {
    /// The exact bytes that were signed.
    pub fn body(&self) -> &[u8] {
        self.request.get(self.body_at..).unwrap_or_default()
    }
}

/// The signed webhooks of the first `clients` clients, turn by turn (`stride` turns a client).
#[derive(Debug, Default)]
pub struct Presigned {
    webhooks: Vec<Option<SignedWebhook>>,
    stride: usize,
    /// How long building them took.
    pub took: Duration,
}

/// How many clients a run can reach: open loop, at most one new client per tick; closed loop, all.
pub fn reachable_clients(cfg: &Config) -> usize {
    match cfg.pacing {
        Pacing::Rate(r) => {
            let ticks = (r * cfg.duration.as_secs_f64()).ceil();
            // Bounded by MAX_RATE × MAX_DURATION, far inside usize.
            cfg.clients.min(ticks as usize + 1)
        }
        Pacing::Concurrency(_) => cfg.clients,
    }
}

/// The number of webhooks [`Presigned::build`] makes for `cfg` (every turn of every reachable client).
pub fn count(cfg: &Config) -> usize {
    reachable_clients(cfg).saturating_mul(cfg.messages_per_client.min(super::script::MAX_MESSAGES))
}

/// What a client's webhooks are built from.
pub struct Inputs<'a> {
    pub cfg: &'a Config,
    pub plans: &'a [Arc<Plan>],
    pub wa_ids: &'a [String],
    /// The phone number id of each artist (client c writes to artist c mod len).
    pub numbers: &'a [String],
    pub base: DateTime<Utc>,
    /// Where the requests go (their `Host` and path).
    pub target: &'a http1::Target,
}

impl Inputs<'_> {
    /// Turn `k` of `client`, as Meta would post it (None past the client's plan).
    fn webhook(&self, client: usize, k: usize) -> Option<SignedWebhook> {
        let turn = self.plans.get(client)?.turns.get(k)?;
        let wa_id = self.wa_ids.get(client)?;
        let number = self
            .numbers
            .get(client % self.numbers.len().max(1))
            .map_or("", String::as_str);
        let body = payloads::text(
            number,
            wa_id,
            &format!("Load Client {client}"),
            &format!("wamid.LG{}.{client}.{k}", self.cfg.run_tag),
            turn_time(self.base, k).timestamp(),
            turn.text,
        );
        let sig =
            inkline_core::webhook::signature::sign_whatsapp(self.cfg.app_secret.as_bytes(), &body);
        let request = self.target.request(
            &[
                ("content-type", "application/json"),
                ("x-hub-signature-256", &sig),
            ],
            &body,
        );
        Some(SignedWebhook {
            body_at: request.len() - body.len(),
            request: Bytes::from(request),
        })
    }
}

impl Presigned {
    /// Builds every webhook of the reachable clients, on all cores (nothing else runs yet).
    pub fn build(inputs: &Inputs<'_>) -> Presigned {
        let started = Instant::now();
        let clients = reachable_clients(inputs.cfg).min(inputs.plans.len());
        let stride = inputs
            .plans
            .iter()
            .take(clients)
            .map(|p| p.turns.len())
            .max()
            .unwrap_or(0);
        let threads = std::thread::available_parallelism()
            .map(usize::from)
            .unwrap_or(1)
            .clamp(1, 16);
        let per_thread = clients.div_ceil(threads).max(1);
        let chunks: Vec<Vec<Option<SignedWebhook>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..clients)
                .step_by(per_thread)
                .map(|from| {
                    let to = (from + per_thread).min(clients);
                    s.spawn(move || {
                        (from..to)
                            .flat_map(|c| (0..stride).map(move |k| (c, k)))
                            .map(|(c, k)| inputs.webhook(c, k))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        let webhooks = chunks.into_iter().flatten().collect();
        Presigned {
            webhooks,
            stride,
            took: started.elapsed(),
        }
    }

    /// Turn `k` of `client` (None: not built, i.e. beyond what the run can reach).
    pub fn get(&self, client: usize, k: usize) -> Option<&SignedWebhook> {
        if k >= self.stride {
            return None;
        }
        self.webhooks
            .get(client.checked_mul(self.stride)?.checked_add(k)?)?
            .as_ref()
    }

    /// How many webhooks were built.
    pub fn len(&self) -> usize {
        self.webhooks.iter().filter(|w| w.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::loadgen::script::{base_time, plan};
    use inkline_core::domain::ArtistConfig;

    fn cfg(clients: usize, messages: usize, pacing: Pacing) -> Config {
        Config {
            app_secret: "secret".into(),
            clients,
            messages_per_client: messages,
            pacing,
            duration: Duration::from_secs(2),
            ..Config::sample("http://127.0.0.1:1")
        }
    }

    #[test]
    fn builds_what_the_run_can_reach_signed_like_meta() {
        let c = cfg(1000, 3, Pacing::Rate(10.0));
        assert_eq!(
            reachable_clients(&c),
            21,
            "10 msg/s for 2 s: at most 20 + 1 clients"
        );
        assert_eq!(count(&c), 63);
        let base = base_time();
        let one = Arc::new(plan(&ArtistConfig::demo(), "Load Client", 3, base));
        let plans: Vec<_> = (0..c.clients).map(|_| one.clone()).collect();
        let wa_ids: Vec<_> = (0..c.clients).map(|i| c.wa_id(i)).collect();
        let numbers = vec!["100000000000001".to_owned(), "100000000000002".to_owned()];
        let target = http1::Target::parse("http://127.0.0.1:9/webhooks/whatsapp").unwrap();
        let p = Presigned::build(&Inputs {
            cfg: &c,
            plans: &plans,
            wa_ids: &wa_ids,
            numbers: &numbers,
            base,
            target: &target,
        });
        assert_eq!(p.len(), 63);
        assert!(p.get(21, 0).is_none() && p.get(0, 3).is_none());
        let w = p.get(5, 2).unwrap();
        let body = std::str::from_utf8(w.body()).unwrap();
        assert!(body.contains("wamid.LG7.5.2") && body.contains("100000000000002"));
        assert!(body.contains(&c.wa_id(5)));
        let head = std::str::from_utf8(&w.request[..w.request.len() - w.body().len()]).unwrap();
        assert!(
            head.starts_with("POST /webhooks/whatsapp HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(head.contains(&format!("content-length: {}\r\n", w.body().len())));
        let sig = head
            .lines()
            .find_map(|l| l.strip_prefix("x-hub-signature-256: "))
            .unwrap();
        assert!(
            inkline_core::webhook::signature::verify_whatsapp(b"secret", Some(sig), w.body())
                .is_ok()
        );
    }

    #[test]
    fn closed_loop_reaches_every_client() {
        let c = cfg(50, 14, Pacing::Concurrency(4));
        assert_eq!(reachable_clients(&c), 50);
        assert_eq!(count(&c), 700);
    }
}
