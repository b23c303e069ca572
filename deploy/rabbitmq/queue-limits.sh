#!/usr/bin/env bash
# Bounds Inkline's queues with RabbitMQ policies. This is the upgrade step for queues an older Inkline
# declared without `x-max-length` (queue arguments cannot change; a policy can): see
# docs/decisions.md, "Queue limits on an existing deployment". Safe to run again; RabbitMQ applies the
# lower of a policy's and a queue argument's max-length, so on new queues it changes nothing.
#
# Usage: deploy/rabbitmq/queue-limits.sh [VHOST]   (default "/"; runs rabbitmqctl on this host)
# QUEUE_MAX_LENGTH and DLQ_MAX_LENGTH are read like the binaries read them (same defaults).
set -euo pipefail
vhost="${1:-/}"
work="${QUEUE_MAX_LENGTH:-100000}"
dead="${DLQ_MAX_LENGTH:-1000000}"
rabbitmqctl set_policy -p "$vhost" --apply-to queues inkline-queue-limits \
  '^(inbound|outbound|jobs)\.[a-z]+(\.retry)?$' \
  "{\"max-length\": $work, \"overflow\": \"reject-publish\"}"
rabbitmqctl set_policy -p "$vhost" --apply-to queues inkline-dlq-limits \
  '^(inbound|outbound|jobs)\.[a-z]+\.dlq$' \
  "{\"max-length\": $dead, \"overflow\": \"reject-publish\"}"
