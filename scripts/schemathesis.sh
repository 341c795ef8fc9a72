#!/usr/bin/env bash
# A bounded schemathesis run against /api/v1/openapi.json of a running anbiao, signed in with
# a write token of a city officer, on SQLite and on PostgreSQL. Fails on any 5xx, any response
# that breaks the schema, an undocumented status code or a wrong content type.
# Usage: scripts/schemathesis.sh target/debug/anbiao
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/debug/anbiao}"
ST_VERSION="4.32.5"
VENV="target/schemathesis-venv"
PG_BASE="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if [ ! -x "$VENV/bin/schemathesis" ] || ! "$VENV/bin/schemathesis" --version | grep -q "$ST_VERSION"; then
  echo "== installing schemathesis $ST_VERSION from PyPI"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

run_against() {
  local name="$1" db="$2" port="$3"
  "$BIN" --db "$db" demo --port "$port" --enterprises 300 >"$work/$name.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    sleep 0.5
  done
  local token
  token="$("$BIN" --db "$db" token issue --user city --scope write --days 1 --name schemathesis 2>/dev/null)"
  echo "== schemathesis on $name"
  "$VENV/bin/schemathesis" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --max-examples 100 --generation-deterministic --no-color --warnings off \
    --request-timeout 30
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

run_against sqlite "sqlite://$work/st.db" 18190
pg_db="anbiao_st_$$"
pg_url="${PG_BASE%/*}/$pg_db"
run_against postgres "$pg_url" 18191
psql -q -d "$PG_BASE" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
