#!/usr/bin/env bash
# Creates tokenmeter's topics (BRIEF section 4) when they do not exist; safe to run again.
# Used by the plain-Kafka overlay's Job and by docker-compose.yml's kafka-init service.
#
# Reads the same environment as the app:
#   TOKENMETER_BOOTSTRAP_SERVERS            (required)
#   TOKENMETER_TOPIC_INPUT, _PRICING, ...   topic names (defaults: BRIEF section 4)
#   TOKENMETER_KAFKA_<NAME>                 client property <name> (lower-cased, _ -> .)
# and, for this script only:
#   TOPICS_PARTITIONS (default 6), TOPICS_REPLICATION_FACTOR (default 3),
#   TOPICS_MIN_INSYNC_REPLICAS (default: replication factor - 1, at least 1),
#   KAFKA_BIN (default /opt/kafka/bin, as in the apache/kafka image)
set -euo pipefail

bootstrap="${TOKENMETER_BOOTSTRAP_SERVERS:?TOKENMETER_BOOTSTRAP_SERVERS is required}"
kafka_bin="${KAFKA_BIN:-/opt/kafka/bin}"
partitions="${TOPICS_PARTITIONS:-6}"
replication="${TOPICS_REPLICATION_FACTOR:-3}"
min_isr="${TOPICS_MIN_INSYNC_REPLICAS:-$(( replication > 1 ? replication - 1 : 1 ))}"

# Client properties from TOKENMETER_KAFKA_* (the convention of the topology and the loader).
client_config="$(mktemp "${TMPDIR:-/tmp}/tokenmeter-client.XXXXXX.properties")"
trap 'rm -f "$client_config"' EXIT
while IFS= read -r name; do
  property="$(printf '%s' "${name#TOKENMETER_KAFKA_}" | tr '[:upper:]_' '[:lower:].')"
  printf '%s=%s\n' "$property" "${!name}" >> "$client_config"
done < <(compgen -e | grep '^TOKENMETER_KAFKA_' || true)

create() { # name partitions cleanup.policy [extra config ...]
  local topic="$1" count="$2" policy="$3"
  shift 3
  local configs=(--config "cleanup.policy=$policy" --config "min.insync.replicas=$min_isr")
  for extra in "$@"; do configs+=(--config "$extra"); done
  echo "topic $topic: partitions=$count replication=$replication cleanup.policy=$policy $*"
  "$kafka_bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --command-config "$client_config" \
    --create --if-not-exists --topic "$topic" --partitions "$count" \
    --replication-factor "$replication" "${configs[@]}"
}

echo "waiting for Kafka at $bootstrap"
for attempt in $(seq 1 60); do
  if "$kafka_bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --command-config "$client_config" \
      --list > /dev/null 2>&1; then
    break
  fi
  if [ "$attempt" -eq 60 ]; then
    echo "Kafka at $bootstrap not reachable" >&2
    exit 1
  fi
  sleep 5
done

three_days=259200000
create "${TOKENMETER_TOPIC_INPUT:-otlp_spans}"            "$partitions" delete "retention.ms=$three_days"
create "${TOKENMETER_TOPIC_PRICING:-llm-pricing}"         1             compact "min.compaction.lag.ms=3600000"
create "${TOKENMETER_TOPIC_ENRICHED:-llm-spans-enriched}" "$partitions" delete "retention.ms=$three_days"
create "${TOKENMETER_TOPIC_DOCS:-llm-span-docs}"          "$partitions" delete "retention.ms=$three_days"
create "${TOKENMETER_TOPIC_METRICS:-llm-metrics}"         "$partitions" delete "retention.ms=604800000"
create "${TOKENMETER_TOPIC_DEAD_LETTERS:-llm-dead-letters}" 3           delete "retention.ms=1209600000"
create "${TOKENMETER_TOPIC_UNPRICED:-llm-unpriced-models}" 1            compact
echo "topics ready"
