//! The run's summary: counts, throughput, latency percentiles, errors, process memory; as text for
//! people and JSON (`--json`) for scripts.

use serde::Serialize;
use std::collections::BTreeMap;

/// Reply latency in milliseconds (inbound POST started → reply accepted by the fake Graph API).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latency {
    pub count: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Latency {
    pub fn from_us(mut v: Vec<u64>) -> Latency {
        v.sort_unstable();
        let mean = if v.is_empty() {
            0.0
        } else {
            v.iter().map(|x| *x as f64).sum::<f64>() / v.len() as f64 / 1000.0
        };
        Latency {
            count: v.len(),
            p50_ms: super::tracker::percentile_ms(&v, 50.0),
            p90_ms: super::tracker::percentile_ms(&v, 90.0),
            p99_ms: super::tracker::percentile_ms(&v, 99.0),
            max_ms: super::tracker::percentile_ms(&v, 100.0),
            mean_ms: mean,
        }
    }
}

/// Memory of one fleet process (from `/proc/PID/status`), sampled at the end of the run.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessMemory {
    pub name: String,
    pub pid: u32,
    pub vm_rss_kb: Option<u64>,
    pub vm_hwm_kb: Option<u64>,
}

/// How fast the fake Graph API accepted messages from one sending number: from its first to its
/// last accepted message (with the sender backlogged, the number's paced rate).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SendRate {
    pub phone_number_id: String,
    pub messages: u64,
    pub seconds: f64,
    pub per_s: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub mode: String,
    pub target_rate: Option<f64>,
    pub concurrency: Option<usize>,
    pub clients_planned: usize,
    pub clients_started: usize,
    pub clients_finished: usize,
    /// Clients that stopped early because a turn's replies did not come in time.
    pub clients_abandoned: usize,
    /// Inbound webhooks posted (each counted once, however many attempts it took).
    pub sent: u64,
    /// Of those, answered 200 by the ingress.
    pub acknowledged: u64,
    /// HTTP attempts, including retries.
    pub attempts: u64,
    pub unacknowledged: u64,
    pub replies_expected: u64,
    pub replies_received: u64,
    pub missing: u64,
    pub duplicates: u64,
    pub unexpected: u64,
    pub text_mismatches: u64,
    pub artist_replies_expected: u64,
    pub artist_replies_received: u64,
    pub unknown_recipient: u64,
    /// Open loop: ticks at which no client was ready (the schedule slipped).
    pub stalled_ticks: u64,
    pub live_feed_lagged: u64,
    pub send_seconds: f64,
    pub total_seconds: f64,
    /// Acknowledged webhooks per second of the sending phase.
    pub throughput_per_s: f64,
    pub replies_per_s: f64,
    /// Per sending number (busiest first).
    pub send_rates: Vec<SendRate>,
    pub latency: Latency,
    /// Ingress answer time (POST → 200), ms.
    pub ack_latency: Latency,
    pub errors: BTreeMap<String, u64>,
    pub processes: Vec<ProcessMemory>,
    /// Webhooks built and signed before the clock started, and how long that took.
    pub presigned: usize,
    pub presign_seconds: f64,
    /// What `--seed-leads` put in the database before the run.
    pub seeded: Option<super::seed::Seeded>,
    pub graph_base_url: String,
    pub ingress_url: String,
}

impl Summary {
    /// Whether every acknowledged message got exactly its replies.
    pub fn clean(&self) -> bool {
        self.missing == 0
            && self.duplicates == 0
            && self.unexpected == 0
            && self.unacknowledged == 0
    }

    /// The human-readable report.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let pacing = match (self.target_rate, self.concurrency) {
            (Some(r), _) => format!("open loop at {r} msg/s"),
            (_, Some(c)) => format!("closed loop, concurrency {c}"),
            _ => self.mode.clone(),
        };
        s.push_str(&format!(
            "inkline loadgen — {pacing} → {}\n",
            self.ingress_url
        ));
        s.push_str(&format!(
            "  clients      {} planned, {} started, {} finished, {} abandoned\n",
            self.clients_planned,
            self.clients_started,
            self.clients_finished,
            self.clients_abandoned
        ));
        s.push_str(&format!(
            "  inbound      {} sent, {} acknowledged, {} unacknowledged ({} HTTP attempts)\n",
            self.sent, self.acknowledged, self.unacknowledged, self.attempts
        ));
        s.push_str(&format!(
            "  replies      {} expected, {} received, {} missing, {} duplicates, {} unexpected, {} text mismatches\n",
            self.replies_expected, self.replies_received, self.missing, self.duplicates, self.unexpected, self.text_mismatches
        ));
        s.push_str(&format!(
            "  artist       {} expected, {} received\n",
            self.artist_replies_expected, self.artist_replies_received
        ));
        s.push_str(&format!(
            "  throughput   {:.1} msg/s acknowledged, {:.1} replies/s ({:.1}s sending, {:.1}s total)\n",
            self.throughput_per_s, self.replies_per_s, self.send_seconds, self.total_seconds
        ));
        let l = &self.latency;
        s.push_str(&format!(
            "  latency      p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms (inbound → reply, {} replies)\n",
            l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.count
        ));
        // The busiest numbers (a flooded one is the figure); the rest summed up.
        for r in self.send_rates.iter().take(3) {
            s.push_str(&format!(
                "  sent from    {}: {} messages in {:.1} s, {:.1} msg/s\n",
                r.phone_number_id, r.messages, r.seconds, r.per_s
            ));
        }
        if let Some(rest) = self.send_rates.get(3..).filter(|r| !r.is_empty()) {
            s.push_str(&format!(
                "  sent from    {} more numbers: {} messages\n",
                rest.len(),
                rest.iter().map(|r| r.messages).sum::<u64>()
            ));
        }
        let a = &self.ack_latency;
        s.push_str(&format!(
            "  ingress ack  p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
            a.p50_ms, a.p99_ms, a.max_ms
        ));
        if self.stalled_ticks > 0 {
            s.push_str(&format!(
                "  schedule     {} ticks found no ready client\n",
                self.stalled_ticks
            ));
        }
        if self.errors.is_empty() {
            s.push_str("  errors       none\n");
        } else {
            let e: Vec<String> = self
                .errors
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            s.push_str(&format!("  errors       {}\n", e.join(", ")));
        }
        s.push_str(&format!(
            "  presigned    {} webhooks in {:.1} s, before the clock started\n",
            self.presigned, self.presign_seconds
        ));
        if let Some(d) = &self.seeded {
            s.push_str(&format!(
                "  seeded       {} artists, {} leads, {} messages, {} processed events ({:.0} s + {:.0} s settling)\n",
                d.artists, d.leads, d.messages, d.processed_events, d.insert_seconds, d.settle_seconds
            ));
        }
        for p in &self.processes {
            s.push_str(&format!(
                "  process      {} (pid {}): VmRSS {} kB, VmHWM {} kB\n",
                p.name,
                p.pid,
                p.vm_rss_kb.map_or("?".into(), |v| v.to_string()),
                p.vm_hwm_kb.map_or("?".into(), |v| v.to_string())
            ));
        }
        s.push_str(if self.clean() {
            "  verdict      OK: every acknowledged message got exactly its replies\n"
        } else {
            "  verdict      NOT CLEAN\n"
        });
        s
    }
}

/// Reads VmRSS and VmHWM (kB) of `pid` from `/proc`.
pub fn process_memory(name: &str, pid: u32) -> ProcessMemory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
    };
    ProcessMemory {
        name: name.to_owned(),
        pid,
        vm_rss_kb: field("VmRSS:"),
        vm_hwm_kb: field("VmHWM:"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn text_and_json_render() {
        let s = Summary {
            sent: 3,
            acknowledged: 3,
            latency: Latency::from_us(vec![3000, 1000, 2000]),
            ..Summary::default()
        };
        assert!(s.clean());
        assert!(s.render_text().contains("p50 2.0 ms"));
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["latency"]["max_ms"], 3.0);
        let me = process_memory("self", std::process::id());
        assert!(me.vm_rss_kb.unwrap() > 0);
    }
}
