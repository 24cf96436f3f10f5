#!/usr/bin/env bash
# The seed's way, for `make bench`: the same requests the matrix makes, one curl after another.
#
# The seed (scripts/release/validate-rust-cutover.sh) ran every check one after another, each
# HTTP request a curl process and each Google call a gcloud process. This makes the requests
# `cutover-probe run` makes against the same fleet (control health and smoke with the tokens,
# runtime smoke, the Cloud Run, Cloud Logging and domain mapping reads), in the seed's order,
# each a curl process that must answer the status the check expects, then runs the cargo lane
# (and the harness when RUN_CROSS_SURFACE=1), so the bench can compare its wall time with
# cutover-probe's on the same matrix.
#
# gcloud: `gcloud run …` cannot be pointed at a local emulator (it prefixes the region to the
# endpoint's host: us-central1-127.0.0.1), so the Cloud Run and domain mapping reads are curl to
# the emulator's REST paths, the requests the client library sends; that is cheaper than the
# seed's gcloud processes, so this is a lower bound of the seed's time. `gcloud logging read`
# can be pointed at it (CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING): with --gcloud, and gcloud on
# PATH, the two error-log reads are gcloud processes as in the seed.
#
#   . ./fleet.env && bash bench/seed_way.sh [--gcloud]      # from the checkout's root
#
# Exit 0 when every answer was the expected one, 1 otherwise (each miss on stderr).
set -u

use_gcloud=0
[[ "${1:-}" == "--gcloud" ]] && use_gcloud=1
project="${GCP_PROJECT:-openagentsgemini}"
region="${GCP_REGION:-us-central1}"
control_service="${CONTROL_SERVICE:-openagents-control-service}"
runtime_service="${RUNTIME_SERVICE:-runtime}"
migrate_job="${MIGRATE_JOB:-runtime-migrate}"
google_run="${CLOUD_RUN_EMULATOR_HOST:?source the fleet environment (fleet.env) first}"
google_logging="${CLOUD_LOGGING_EMULATOR_HOST:?source the fleet environment (fleet.env) first}"
run_v2="$google_run/v2/projects/$project/locations/$region"
misses=0
body=$(mktemp)
gcloud_config=$(mktemp -d)
trap 'rm -rf "$body" "$gcloud_config"' EXIT

# One request: curl -sS … -o $body; the status must be $1. The body stays in $body for the next.
expect() {
  local want=$1 status
  shift
  status=$(curl -sS --max-time 10 -o "$body" -w '%{http_code}' "$@") || status=000
  if [[ "$status" != "$want" ]]; then
    echo "seed way: ${*: -1} answered $status, expected $want" >&2
    misses=$((misses + 1))
  fi
}

# The value of the first "key": "value" in $body (the seed's scripts used jq; sed is enough here).
field() {
  grep -o "\"$1\": *\"[^\"]*\"" "$body" | head -n 1 | sed 's/.*: *"\(.*\)"/\1/'
}

control_health() {
  expect 200 "$1/readyz"
  expect 200 "$1/healthz"
}

control_smoke() {
  local base=$1 token=$2 entry
  control_health "$base"
  expect 200 -H "Authorization: Bearer $token" "$base/api/v1/control/status"
  expect 200 "$base/manifest.json"
  entry=$(field js)
  expect 200 -I "$base/${entry#/}"
  expect 200 "$base/sw.js"
  for route in /api/auth/session /api/v1/auth/session; do
    expect 200 -H "Authorization: Bearer $token" "$base$route"
  done
  for route in /api/sync/token /api/v1/sync/token; do
    expect 200 -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d '{"scopes": ["runtime.codex_worker_events"]}' "$base$route"
  done
}

runtime_smoke() {
  local base=$1 run
  expect 200 "$base/healthz"
  expect 200 "$base/readyz"
  expect 201 -X POST -H 'Content-Type: application/json' \
    -d '{"worker_id": "smoke:runtime", "metadata": {"source": "runtime-smoke"}}' \
    "$base/internal/v1/runs"
  run=$(field id)
  expect 200 -X POST -H 'Content-Type: application/json' \
    -d "{\"event_type\": \"run.started\", \"idempotency_key\": \"smoke-$RANDOM$RANDOM\", \"payload\": {\"smoke\": true}}" \
    "$base/internal/v1/runs/$run/events"
  expect 200 "$base/internal/v1/runs/$run"
}

error_log() {
  local service=$1 since filter
  since=$(date -u -d '-10 min' +%Y-%m-%dT%H:%M:%SZ)
  filter="resource.type=\"cloud_run_revision\" AND resource.labels.service_name=\"$service\" AND severity>=ERROR AND timestamp>=\"$since\""
  if ((use_gcloud)) && command -v gcloud >/dev/null; then
    if ! CLOUDSDK_CONFIG="$gcloud_config" CLOUDSDK_CORE_DISABLE_PROMPTS=1 \
      CLOUDSDK_AUTH_ACCESS_TOKEN=seed-way CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING="$google_logging/" \
      gcloud logging read "$filter" --project "$project" --limit 50 --format json >"$body"; then
      echo "seed way: gcloud logging read for $service failed" >&2
      misses=$((misses + 1))
    fi
    return
  fi
  expect 200 -X POST -H 'Content-Type: application/json' \
    -d "{\"resourceNames\": [\"projects/$project\"], \"filter\": \"${filter//\"/\\\"}\", \"orderBy\": \"timestamp desc\", \"pageSize\": 50}" \
    "$google_logging/v2/entries:list"
}

# A) control, B) runtime: the seed's order.
control_health "$STAGING_CONTROL_BASE_URL"
control_smoke "$STAGING_CONTROL_BASE_URL" "${STAGING_CONTROL_ACCESS_TOKEN:-}"
control_health "$PROD_CONTROL_BASE_URL"
control_smoke "$PROD_CONTROL_BASE_URL" "${PROD_CONTROL_ACCESS_TOKEN:-}"
runtime_smoke "$STAGING_RUNTIME_BASE_URL"
runtime_smoke "$PROD_RUNTIME_BASE_URL"
# runtime-migration-drift: the job, its executions, the service.
expect 200 "$run_v2/jobs/$migrate_job"
expect 200 "$run_v2/jobs/$migrate_job/executions"
expect 200 "$run_v2/services/$runtime_service"
# C) the cargo lane, D) the harness when switched on.
if [[ "${RUN_KHALA_CONTRACT_TESTS:-1}" == 1 ]]; then
  cargo test --manifest-path apps/runtime/Cargo.toml server::tests::khala_topic_messages \
    -- --nocapture >/dev/null || { echo "seed way: cargo test failed" >&2; misses=$((misses + 1)); }
fi
if [[ "${RUN_CROSS_SURFACE:-0}" == 1 ]]; then
  scripts/run-cross-surface-contract-harness.sh >/dev/null ||
    { echo "seed way: the harness failed" >&2; misses=$((misses + 1)); }
fi
# E) the error-log probes and the canary status.
error_log "$control_service"
error_log "$runtime_service"
expect 200 "$run_v2/services/$control_service"
expect 200 "$run_v2/services/$control_service/revisions"
# The domain mapping evidence cutover-probe reads beside its checks.
for domain in staging.openagents.com openagents.com; do
  expect 200 "$google_run/apis/domains.cloudrun.com/v1/namespaces/$project/domainmappings/$domain"
done
exit $((misses > 0))
