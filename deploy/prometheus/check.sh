#!/usr/bin/env bash
# CI's Prometheus check: a real Prometheus (Debian's package, installed where missing)
# holding a 14-day per-minute trace that promtool backfilled, started on a free loopback
# port; `prescale import --prometheus` must read the trace back equal to the original
# (in 3 requests, each under the server's 11,000-point limit), a bad query must fail in
# one line; `prescale serve --replay` of the last 3 days must decide, step for step,
# what `simulate` decides on the CSV (three policies); the live `prescale serve` must
# answer /healthz and /desired and its /metrics pass `promtool check metrics`; and
# exactly the processes started here are stopped. Prints what it ran.
set -euo pipefail
t0=$(date +%s)
prescale=${PRESCALE:-${CARGO_TARGET_DIR:-$(dirname "$0")/../../target}/release/prescale}
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    echo "prometheus check: installing Debian's prometheus package"
    # Its service must not start on its own (it would listen on every interface): a
    # policy-rc.d that denies it, for the install only, where none is in place.
    guard=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        guard=1
    fi
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
    [ -z "$guard" ] || rm -f /usr/sbin/policy-rc.d
fi
work=$(mktemp -d)
pid=
serve_pid=
stop() {
    if [ -n "$serve_pid" ]; then
        kill "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
        echo "prometheus check: stopped the scaler it started (pid $serve_pid)"
    fi
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        echo "prometheus check: stopped the server it started (pid $pid)"
    fi
    rm -rf "$work"
}
trap stop EXIT

# The trace (the default synthetic one: 20,160 minutes from 2026-01-05) as OpenMetrics.
"$prescale" generate --data-dir "$work/gen" >/dev/null 2>&1
first=$(sed -n 2p "$work/gen/workload.csv" | cut -d, -f1)
t0s=$(date -u -d "$first" +%s)
# The generated trace is regular: step i is at t0 + 60 i.
awk -F, -v t0="$t0s" 'BEGIN { print "# TYPE prescale_requests gauge" }
    NR > 1 { printf "prescale_requests{job=\"api\"} %s %d\n", $2, t0 + 60 * (NR - 2) }
    END { print "# EOF" }' "$work/gen/workload.csv" >"$work/trace.om"
promtool tsdb create-blocks-from openmetrics "$work/trace.om" "$work/tsdb" >/dev/null
echo "prometheus check: backfilled $(($(wc -l <"$work/trace.om") - 2)) samples with promtool"

# A free loopback port: one nothing answers on.
free_port() {
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    echo "prometheus check: no free port" >&2
    exit 1
}
# GET $2 from 127.0.0.1:$1: the body, or nothing where the answer is not 200.
get() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3 &&
        awk 'NR == 1 && $2 != 200 { exit 1 } body { print } /^\r?$/ { body = 1 }' <&3) 2>/dev/null
}
port=$(free_port)
printf 'global:\n  scrape_interval: 1h\n' >"$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --storage.tsdb.retention.time=100y --web.listen-address="127.0.0.1:$port" \
    >"$work/prometheus.log" 2>&1 &
pid=$!
ready=
for _ in $(seq 60); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /-/ready HTTP/1.0\r\n\r\n' >&3 && grep -q "200 OK" <&3) 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.5
done
[ -n "$ready" ] || { echo "prometheus check: the server did not come up" >&2; tail -5 "$work/prometheus.log" >&2; exit 1; }
echo "prometheus check: Prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') up on 127.0.0.1:$port (pid $pid)"

url="http://127.0.0.1:$port"
range=(--start 2026-01-05T00:00:00Z --end 2026-01-18T23:59:00Z)
"$prescale" import --prometheus "$url" --query prescale_requests "${range[@]}" \
    --out "$work/pulled.csv" >"$work/import.out" 2>"$work/import.err"
grep -o 'in [0-9]* requests of at most [0-9]* points each' "$work/import.out" |
    sed 's/^/prometheus check: read /'
sed 's/^/prometheus check: /' "$work/import.err"
cut -d, -f1,2 "$work/gen/workload.csv" | cmp -s - "$work/pulled.csv" ||
    { echo "prometheus check: the trace read back differs from the original" >&2; exit 1; }
echo "prometheus check: $(($(wc -l <"$work/pulled.csv") - 1)) minutes read back equal to the original"
if "$prescale" import --prometheus "$url" --query 'rate(' "${range[@]}" \
    --out "$work/bad.csv" >/dev/null 2>"$work/bad.err"; then
    echo "prometheus check: a bad query succeeded" >&2
    exit 1
fi
[ "$(wc -l <"$work/bad.err")" -eq 1 ] && grep -q 'refused query "rate("' "$work/bad.err" ||
    { echo "prometheus check: a bad query's error is not one line naming it:" >&2; cat "$work/bad.err" >&2; exit 1; }
echo "prometheus check: a bad query fails in one line: $(cat "$work/bad.err")"

# serve --replay of the last 3 days against simulate on the CSV: the same targets.
"$prescale" run-all --trace "$work/gen/workload.csv" --model seasonal-naive \
    --policy predictive-hpa,slo-targeted,reactive-hpa --data-dir "$work/run" \
    --reports-dir "$work/reports" >/dev/null 2>"$work/run-all.err"
for pick in seasonal-naive:predictive-hpa seasonal-naive:slo-targeted none:reactive-hpa; do
    model=${pick%%:*} policy=${pick#*:}
    with_model=()
    [ "$model" = none ] || with_model=(--model "$model")
    # reactive-hpa's replay finds the data's end itself (its last sample); the others are
    # told it.
    clock=(--clock 2026-01-19T00:00:00Z)
    [ "$policy" != reactive-hpa ] || clock=()
    "$prescale" serve --prometheus "$url" --query prescale_requests "${with_model[@]}" \
        --policy "$policy" "${clock[@]}" --replay --out "$work/replay.csv" \
        2>"$work/replay.err"
    sed 's/^/prometheus check: /' "$work/replay.err"
    cmp -s <(cut -d, -f1,3 "$work/reports/timelines/${model}_$policy.csv") \
        <(cut -d, -f1,2 "$work/replay.csv") ||
        { echo "prometheus check: the replay of $model x $policy differs from simulate" >&2; exit 1; }
    echo "prometheus check: $model x $policy: $(($(wc -l <"$work/replay.csv") - 1)) replayed targets equal simulate's"
done

# The live scaler, its clock 30 s into the step after the data's last: it decides from
# the history, then serves.
serve_port=$(free_port)
"$prescale" serve --prometheus "$url" --query prescale_requests --model seasonal-naive \
    --policy predictive-hpa --clock 2026-01-19T00:00:30Z --listen "127.0.0.1:$serve_port" \
    --actual-query 'count(prescale_requests)' >/dev/null 2>"$work/serve.log" &
serve_pid=$!
healthy=
for _ in $(seq 120); do
    if [ "$(get "$serve_port" /healthz)" = ok ]; then healthy=1; break; fi
    sleep 0.5
done
[ -n "$healthy" ] || { echo "prometheus check: serve did not become healthy" >&2; cat "$work/serve.log" >&2; exit 1; }
echo "prometheus check: serve /desired: $(get "$serve_port" /desired)"
get "$serve_port" /metrics >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt" ||
    { echo "prometheus check: serve's /metrics fails promtool check metrics" >&2; exit 1; }
echo "prometheus check: serve's /metrics ($(grep -c '^prescale_' "$work/metrics.txt") samples) passes promtool check metrics; $(grep -E '^prescale_(tick_duration_seconds|resident_memory_bytes)' "$work/metrics.txt" | sed 's/{[^}]*}//' | tr '\n' ' ')"
sed 's/^/prometheus check: /' "$work/serve.log"
echo "prometheus check: OK in $(($(date +%s) - t0)) s"
