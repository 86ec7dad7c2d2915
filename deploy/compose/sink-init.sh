#!/bin/sh
# One-shot of the local stack: installs tokenmeter's OpenSearch index template (tokens long, cost
# double: before the first document, or the first value fixes the type), then registers the
# OpenSearch sink connector with Kafka Connect. Both files come from connectors/ as they are.
# POSIX sh: runs in the curl image.
set -eu

OPENSEARCH_URL="${OPENSEARCH_URL:-http://opensearch:9200}"
CONNECT_URL="${CONNECT_URL:-http://kafka-connect:8083}"
TEMPLATE_FILE="${TEMPLATE_FILE:?TEMPLATE_FILE is required}"
TEMPLATE_NAME="${TEMPLATE_NAME:-tokenmeter-spans}"
CONNECTOR_FILE="${CONNECTOR_FILE:?CONNECTOR_FILE is required}"
CONNECTOR_NAME="${CONNECTOR_NAME:-tokenmeter-opensearch-sink}"

wait_for() {
  attempts=0
  until curl -fsS -o /dev/null "$1"; do
    attempts=$((attempts + 1))
    if [ "$attempts" -ge 120 ]; then
      echo "gave up waiting for $1" >&2
      exit 1
    fi
    echo "waiting for $1"
    sleep 5
  done
}

wait_for "$OPENSEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=5s"
echo "index template $TEMPLATE_NAME <- $TEMPLATE_FILE"
curl -fsS -X PUT "$OPENSEARCH_URL/_index_template/$TEMPLATE_NAME" \
  -H 'Content-Type: application/json' --data-binary "@$TEMPLATE_FILE"
echo

wait_for "$CONNECT_URL/connectors"
if grep -q '"config"[[:space:]]*:' "$CONNECTOR_FILE"; then
  # {"name": ..., "config": {...}}: create; 409 means it exists already (a restart of the stack).
  status=$(curl -sS -o /tmp/connect-response -w '%{http_code}' -X POST "$CONNECT_URL/connectors" \
    -H 'Content-Type: application/json' --data-binary "@$CONNECTOR_FILE")
  cat /tmp/connect-response; echo
  case "$status" in
    2??|409) ;;
    *) echo "Kafka Connect answered $status" >&2; exit 1 ;;
  esac
else
  # A bare config map: create or update under CONNECTOR_NAME.
  curl -fsS -X PUT "$CONNECT_URL/connectors/$CONNECTOR_NAME/config" \
    -H 'Content-Type: application/json' --data-binary "@$CONNECTOR_FILE"
  echo
fi
echo "sink ready"
