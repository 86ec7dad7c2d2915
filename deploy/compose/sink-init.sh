#!/bin/sh
# One-shot of the local stack: installs tokenmeter's OpenSearch templates and lifecycle policy
# (tokens long, cost double: before the first document, or the first value fixes the type), then
# registers the OpenSearch sink connector with Kafka Connect. The files are connectors/'s, mounted
# as they are under /assets; the connector config gets the local stack's OpenSearch address (plain
# HTTP, security plugin off, so no credentials). POSIX sh; installs curl and jq when missing (alpine).
set -eu

OPENSEARCH_URL="${OPENSEARCH_URL:-http://opensearch:9200}"
CONNECT_URL="${CONNECT_URL:-http://kafka-connect:8083}"
ASSETS="${ASSETS:-/assets}"

if ! command -v curl > /dev/null 2>&1 || ! command -v jq > /dev/null 2>&1; then
  apk add --no-cache curl jq > /dev/null
fi

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

put() { # path file
  echo "PUT $1 <- $2"
  curl -fsS -X PUT "$OPENSEARCH_URL$1" -H 'Content-Type: application/json' --data-binary "@$2"
  echo
}

wait_for "$OPENSEARCH_URL/_cluster/health?wait_for_status=yellow&timeout=5s"
# Names follow the files: component-template-<name>.json, index-template-<name>.json, ism-policy-<name>.json.
for f in "$ASSETS"/component-template-*.json; do
  name=$(basename "$f" .json); put "/_component_template/${name#component-template-}" "$f"
done
for f in "$ASSETS"/index-template-*.json; do
  name=$(basename "$f" .json); put "/_index_template/${name#index-template-}" "$f"
done
for f in "$ASSETS"/ism-policy-*.json; do
  name=$(basename "$f" .json)
  policy="${name#ism-policy-}"
  if curl -fsS -o /dev/null "$OPENSEARCH_URL/_plugins/_ism/policies/$policy"; then
    echo "ISM policy $policy exists"
  else
    put "/_plugins/_ism/policies/$policy" "$f"
  fi
done

wait_for "$CONNECT_URL/connectors"
connector="$ASSETS/connector.json"
name=$(jq -r '.name' "$connector")
echo "connector $name <- $connector (connection.url=$OPENSEARCH_URL, no credentials)"
jq --arg url "$OPENSEARCH_URL" \
  '.config + {"connection.url": $url} | del(."connection.username", ."connection.password")' "$connector" \
  | curl -fsS -X PUT "$CONNECT_URL/connectors/$name/config" -H 'Content-Type: application/json' --data-binary @-
echo
echo "sink ready"
