#!/usr/bin/env bash
# Runs every test of anbiao: the Rust suites on SQLite and PostgreSQL, the browser test, and a
# bounded schemathesis run against the API on both databases.
# Installs what a fresh machine lacks (Debian chromium and fonts-wqy-microhei, playwright-core
# from e2e/package-lock.json, schemathesis and standardwebhooks from PyPI into target/). Needs PostgreSQL at TEST_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."

export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if ! fc-list 2>/dev/null | grep -qi "wqy-microhei"; then need_apt+=(fonts-wqy-microhei); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -d e2e/node_modules/playwright-core ]; then
  echo "== installing playwright-core"
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

# The partners' webhook receiver of the feed push test verifies deliveries with the
# standardwebhooks package, as a partner would.
WEBHOOK_VENV="target/webhook-venv"
SW_VERSION="1.3.0"
if ! "$WEBHOOK_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('standardwebhooks') != '$SW_VERSION')" 2>/dev/null; then
  echo "== installing standardwebhooks $SW_VERSION from PyPI"
  python3 -m venv "$WEBHOOK_VENV"
  "$WEBHOOK_VENV/bin/pip" install --quiet --disable-pip-version-check "standardwebhooks==$SW_VERSION"
fi
export ANBIAO_WEBHOOK_PYTHON="$PWD/$WEBHOOK_VENV/bin/python"

# PostgreSQL: the machine normally runs it; start the cluster if it is down.
if ! pg_isready -q -d "$TEST_POSTGRES_URL" 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "== starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -d "$TEST_POSTGRES_URL" && break; sleep 1; done
  fi
fi
pg_isready -q -d "$TEST_POSTGRES_URL" || { echo "PostgreSQL is not reachable at $TEST_POSTGRES_URL" >&2; exit 1; }

echo "== cargo fmt and clippy (warnings are errors)"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test (SQLite and PostgreSQL)"
cargo test --workspace --locked

echo "== fuzz targets: built on the stable toolchain, seed corpus replayed by libFuzzer itself"
# cargo-fuzz and a nightly toolchain are needed to fuzz (docs/security.md); building and replaying
# need neither, and keep the targets from rotting.
cargo build --manifest-path fuzz/Cargo.toml --locked --bins
for target in credit_code roster workbook; do
  fuzz/target/debug/"$target" -runs=0 "fuzz/seeds/$target" 2>&1 | tail -n 1
done

echo "== browser test"
# `cargo test` above built target/debug/anbiao for the CLI tests; the browser test drives it.
node e2e/run.mjs target/debug/anbiao

echo "== API schema test"
bash scripts/schemathesis.sh target/debug/anbiao
