#!/usr/bin/env python3
"""Renders the benchmark table from the result files deploy/bench/run.sh wrote.

    render.py OUT            the markdown document (header, table, how each figure is measured)
    render.py --ratios OUT   one line per figure for the terminal: measured, reference, ratio, verdict

Every row has: what, measured, the ceiling or reference it is compared with, the ratio, the
target, and whether the target was met. A figure whose run failed or did not happen says so.
"""
import json
import os
import re
import sys

RATIOS = sys.argv[1] == "--ratios"
OUT = sys.argv[-1]


def load(name):
    try:
        with open(os.path.join(OUT, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def text(name):
    try:
        with open(os.path.join(OUT, name)) as f:
            return f.read()
    except OSError:
        return ""


def mb(kb):
    return "n/a" if kb is None else f"{kb / 1024:.1f} MB"


def verdict(ok):
    if ok is None:
        return "—"
    if ok == "absent":
        return "**no result**"
    return "met" if ok else "**missed**"


def pct(x):
    return f"{x:.0%}"


rows = []


def row(what, measured, reference, ratio, target, ok):
    rows.append((what, measured, reference, ratio, target, verdict(ok)))


def absent(what, target, why="no result (the run failed; see the log)"):
    row(what, why, "—", "—", target, "absent")


def e2e_text(s):
    l = s["latency"]
    return (f"p50 {l['p50_ms']:.1f} ms, p99 {l['p99_ms']:.1f} ms, max {l['max_ms']:.0f} ms; "
            f"achieved {s['throughput_per_s']:.0f} msg/s; {s['missing']} missing, {s['duplicates']} duplicates")


def e2e_ok(s, p99_limit):
    return s["latency"]["p99_ms"] < p99_limit and s["missing"] == 0 and s["duplicates"] == 0


def proc(summary, prefix):
    for p in (summary or {}).get("processes", []):
        if p["name"].startswith(prefix):
            return p
    return None


ceiling, ingress, worker = load("ceiling.json"), load("ingress.json"), load("worker.json")
e200, e400, seeded = load("e2e_200.json"), load("e2e_400.json"), load("e2e_200_seeded.json")
flood, one30 = load("one_artist_flood.json"), load("one_artist_30.json")
best_rate = int((text("sustain_best.txt").strip() or "0"))
best = load(f"sustain_{best_rate}.json") if best_rate else None
search = [l.split() for l in text("search.txt").splitlines() if l.strip()]
pg = re.search(r"tps = ([0-9.]+) \(without", text("pgbench.txt"))
pg_tps = float(pg.group(1)) if pg else None
crit = re.search(r"thrpt:\s+\[\S+ \S+ (\S+) (\S+)", text("criterion.txt"))
crit_time = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+)", text("criterion.txt"))

# 1. Ingress vs the raw confirm ceiling.
what = "Ingress: signed webhooks vs raw publish-with-confirm"
if ceiling and ingress and ceiling.get("rate_per_s"):
    ratio = ingress["throughput_per_s"] / ceiling["rate_per_s"]
    a = ingress["ack_latency"]
    errors = ", ".join(f"{k} ×{v}" for k, v in (ingress.get("errors") or {}).items())
    row(what,
        f"{ingress['throughput_per_s']:.0f} msg/s (ack p50 {a['p50_ms']:.1f} ms, p99 {a['p99_ms']:.1f} ms; "
        f"{ingress.get('presigned', 0)} webhooks signed beforehand{'; errors: ' + errors if errors else ''})",
        f"{ceiling['rate_per_s']:.0f} msg/s ({ceiling['message_bytes']} B, {ceiling['concurrency']} in flight"
        f"{', ' + str(ceiling['failed']) + ' failed' if ceiling.get('failed') else ''})",
        pct(ratio), "≥ 80 %", ratio >= 0.8)
else:
    absent(what, "≥ 80 %")

# 2. Conversation worker vs pgbench.
what = "Conversation worker vs pgbench (same SQL transaction)"
if worker and pg_tps:
    ratio = worker["rate_per_s"] / pg_tps
    row(what, f"{worker['rate_per_s']:.0f} msg/s ({worker['messages']} messages drained)",
        f"{pg_tps:.0f} tx/s", pct(ratio), "≥ 70 %", ratio >= 0.7)
else:
    absent(what, "≥ 70 %")

# 3. E2E at fixed rates, 10 artists.
for rate, s, limit in (("200", e200, 150), ("400", e400, 500)):
    what = f"E2E at {rate} msg/s, 10 artists (open loop)"
    target = f"p99 < {limit} ms, 0 missing, 0 duplicates"
    if s:
        row(what, e2e_text(s), f"limit {limit} ms", f"p99 = {s['latency']['p99_ms'] / limit:.2f}× limit",
            target, e2e_ok(s, limit))
    else:
        absent(what, target)

# 4. Highest sustained rate vs the worker's drain rate.
what = "Highest rate sustained (≥ 95 % achieved, p99 < 250 ms, 0 missing)"
tried = ", ".join(f"{r} {'✓' if ok == 'ok' else '✗'}" for r, ok in search) or "none"
if worker and worker.get("rate_per_s"):
    ratio = best_rate / worker["rate_per_s"]
    detail = ""
    if best:
        l = best["latency"]
        detail = f" for {best['send_seconds']:.0f} s: p50 {l['p50_ms']:.1f} ms, p99 {l['p99_ms']:.1f} ms"
    row(what, f"{best_rate} msg/s{detail} (tried: {tried})",
        f"worker drain {worker['rate_per_s']:.0f} msg/s", pct(ratio), "≥ 60 % of the drain rate", ratio >= 0.6)
else:
    absent(what, "≥ 60 % of the drain rate")

# 5. One artist: paced reply rate when flooded, and latency at 30 msg/s.
what = "One artist flooded at 100 msg/s: replies sent on its number"
target = "≥ 90 % of 80 msg/s (72)"
rates = (flood or {}).get("send_rates") or []
if flood and rates:
    r = max(rates, key=lambda x: x["messages"])
    ratio = r["per_s"] / 80.0
    row(what,
        f"{r['per_s']:.1f} msg/s ({r['messages']} messages over {r['seconds']:.1f} s; inbound achieved "
        f"{flood['throughput_per_s']:.0f} msg/s; {flood['missing']} missing, {flood['duplicates']} duplicates)",
        "configured 80 msg/s, paced at 72", pct(ratio), target, r["per_s"] >= 72.0)
else:
    absent(what, target)
what = "E2E at 30 msg/s, one artist"
target = "p99 < 300 ms, 0 missing, 0 duplicates"
if one30:
    row(what, e2e_text(one30), "limit 300 ms", f"p99 = {one30['latency']['p99_ms'] / 300:.2f}× limit",
        target, e2e_ok(one30, 300))
else:
    absent(what, target)

# 6. Cost growth: the 200 msg/s run against a seeded database.
what = "E2E at 200 msg/s with a seeded database (cost growth)"
target = "p99 < 150 ms, 0 missing (as without the seed)"
if seeded and seeded.get("seeded"):
    sd = seeded["seeded"]
    ref = f"unseeded p99 {e200['latency']['p99_ms']:.1f} ms" if e200 else "unseeded run missing"
    ratio = (f"{seeded['latency']['p99_ms'] / e200['latency']['p99_ms']:.2f}× unseeded p99"
             if e200 and e200["latency"]["p99_ms"] else "—")
    row(what,
        f"{e2e_text(seeded)}; seed: {sd['leads']} leads, {sd['messages']} messages, {sd['artists']} artists "
        f"({sd['insert_seconds']:.0f} s + {sd['settle_seconds']:.0f} s vacuum)",
        ref, ratio, target, e2e_ok(seeded, 150))
else:
    absent(what, target)

# 7. Memory and the engine.
mem_src = e400 or best or e200
ing, wrk = proc(mem_src, "ingress"), proc(mem_src, "worker")
for what, p, limit in (("Ingress RSS under load (VmHWM)", ing, 30),
                       ("Worker RSS under load (VmHWM; conversation+relay+sender)", wrk, 60)):
    if p and p.get("vm_hwm_kb"):
        row(what, f"VmRSS {mb(p['vm_rss_kb'])}, peak {mb(p['vm_hwm_kb'])}", f"limit {limit} MB",
            pct(p["vm_hwm_kb"] / 1024 / limit), f"< {limit} MB", p["vm_hwm_kb"] < limit * 1024)
    else:
        absent(what, f"< {limit} MB")
what = "Conversation worker RSS while draining (VmHWM)"
if worker and worker.get("worker_vm_hwm_kb"):
    hwm = worker["worker_vm_hwm_kb"]
    row(what, f"peak {mb(hwm)}", "limit 60 MB", pct(hwm / 1024 / 60), "< 60 MB", hwm < 60 * 1024)
else:
    absent(what, "< 60 MB")
what = "Pure conversation core (criterion, full consultation)"
if crit and crit_time:
    unit = {"ns": 1e-3, "µs": 1.0, "us": 1.0, "ms": 1e3}.get(crit_time.group(2), 1.0)
    per_event_us = float(crit_time.group(1)) * unit / 14
    share = ""
    if worker and worker.get("rate_per_s"):
        share = f"{per_event_us / (1e6 / worker['rate_per_s']):.1%} of the worker's time per message"
    row(what, f"{crit_time.group(1)} {crit_time.group(2)} per 14-event consultation "
        f"({crit.group(1)} {crit.group(2)})", "worker time per message", share or "—", "reference only", None)
else:
    absent(what, "reference only")

if RATIOS:
    for what, measured, reference, ratio, target, ok in rows:
        print(f"{ok.strip('*'):>9}  {what}: {ratio} (target {target}; reference {reference})")
    sys.exit(0)

machine = text("machine.txt").strip().splitlines()
duration = text("duration.txt").split()
minutes = f"{int(duration[0]) / 60:.0f} minutes" if duration and duration[0].isdigit() else "?"
build = f" (+ {int(duration[1]) / 60:.0f} minutes of release build)" if len(duration) > 1 and duration[1].isdigit() and int(duration[1]) > 0 else ""
print("# Benchmarks\n")
print("Generated by `deploy/bench/run.sh` from one run: every figure with its ceiling or target beside it")
print("(method notes below the table).\n")
print(f"- command: `{text('command.txt').strip() or 'deploy/bench/run.sh'}` — the measurements took "
      f"**{minutes}**{build}")
print(f"- commit `{text('commit.txt').strip()}`; {machine[1] if len(machine) > 1 else '?'} cores; load before: "
      f"`{machine[0].split('load average:')[-1].strip() if machine else '?'}`, after: "
      f"`{machine[2].split('load average:')[-1].strip() if len(machine) > 2 else '?'}`")
print("- loopback PostgreSQL and RabbitMQ (the machine's own); the load generator, the fleet, the broker")
print("  and the database share the cores. Repeat on a quiet machine for figures to compare.\n")
print("| what | measured | ceiling / reference | ratio | target | |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print("""
## How each figure is measured

- **Ingress vs ceiling.** `inkline-bench confirm-ceiling` publishes the same webhook body with the
  same AMQP properties the ingress sets, persistent and mandatory, to the same quorum queue, on one
  confirm channel with 64 publishes in flight (the ingress's design). The ingress figure is
  `inkline-dev loadgen --spawn-fleet --worker-process none --no-replies --concurrency 64
  --messages-per-client 1`: signed webhooks, each answered 200 only after the broker's confirm. The
  generator builds and signs every body before its clock starts (enough for 1.5× the ceiling's rate)
  and posts them on a minimal keep-alive HTTP/1.1 client, so during the measurement it only does
  socket I/O. Both runs get `QUEUE_MAX_LENGTH=2000000` (nobody consumes; the default 100 000 would
  fill within seconds and turn the rest of the run into nacks).
- **Worker vs pgbench.** `inkline-bench worker-drain` preloads 9 000 messages into `inbound.whatsapp`
  of a fresh database, starts one `inkline-worker conversation` and divides the messages by the span
  between the first and last `processed_events` commit; `pgbench -c 10` runs
  `deploy/bench/worker_tx.sql` (the worker's statements for one answer turn) on that database.
- **E2E.** `inkline-dev loadgen --spawn-fleet --artists N --rate R` (open loop, 3 messages a client)
  against `inkline-ingress` + one `inkline-worker conversation relay sender`; latency = from the start
  of the inbound POST to the fake Graph API accepting the reply, every reply counted, 30 s drain.
- **Highest sustained rate.** Bisection over the rate (first try: 60 % of the worker's drain rate, the
  target), each try a full sustained run: sustained = ≥ 95 % of the rate achieved, no stalled tick,
  0 missing, 0 duplicates, p99 < 250 ms. The ratio is to the drain rate measured in the same run.
- **One artist.** Its number is paced by the sender at its configured rate (80 msg/s) minus 10 %
  headroom. Flood: 100 msg/s inbound to that one artist; the figure is the rate at which the fake
  Graph API accepted messages from that number (first to last, the drain included: the backlog keeps
  the sender busy to the end). Latency: 30 msg/s to one artist.
- **Cost growth.** The 200 msg/s run once more, against a database that loadgen seeds before the fleet
  starts (`--seed-leads --seed-artists --seed-messages-per-lead`: set-based SQL, then
  `VACUUM (ANALYZE)` and `CHECKPOINT`) with leads spread over all the artists, the run's among them.
- **RSS**: `VmRSS`/`VmHWM` from `/proc/PID/status` of each fleet process at the end of the 400 msg/s run.
- **Engine**: `cargo bench -p inkline-core --bench engine` (criterion): a 14-event consultation
  through the pure `step` function; the ratio is its per-event time against the worker's time per
  message (1 / drain rate).""")
