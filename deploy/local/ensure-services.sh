#!/usr/bin/env bash
# Makes sure PostgreSQL and RabbitMQ are installed (Debian packages) and running on 127.0.0.1,
# with the local trust access Inkline's defaults expect. Idempotent: run it as often as you like.
set -euo pipefail

log() { printf '\033[1;34m[inkline]\033[0m %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need_install=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_install+=(postgresql postgresql-client)
command -v rabbitmq-server >/dev/null 2>&1 || need_install+=(rabbitmq-server)
if [ ${#need_install[@]} -gt 0 ]; then
  log "installing ${need_install[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
fi

pg_ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! pg_ready; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { log "PostgreSQL did not come up on 127.0.0.1:5432"; exit 1; }

# Inkline's default DATABASE_URL connects as postgres without a password over TCP: allow that
# from the loopback address only (development machines; production sets its own DATABASE_URL).
if ! psql -h 127.0.0.1 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  hba=/etc/postgresql/$version/main/pg_hba.conf
  log "allowing local trust access for user postgres on 127.0.0.1 ($hba)"
  as_root sed -i '1i host all postgres 127.0.0.1/32 trust  # added by inkline deploy/local' "$hba"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  sleep 1
fi

rabbit_ready() { as_root rabbitmqctl -q status >/dev/null 2>&1; }
if ! rabbit_ready; then
  log "starting RabbitMQ"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  for _ in $(seq 1 60); do rabbit_ready && break; sleep 1; done
fi
rabbit_ready || { log "RabbitMQ did not come up"; exit 1; }
as_root rabbitmqctl -q await_startup >/dev/null 2>&1 || true

log "PostgreSQL and RabbitMQ are running"
