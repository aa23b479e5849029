#!/usr/bin/env bash
# CI's Slurm check: the grid deploy/slurm/ci-grid.toml swept as a 4-task array job on a
# local single-node cluster (run-local.sh) must merge to the bytes of an unsharded sweep
# of the same grid; then again with array task 2 cancelled mid-shard and requeued; then
# the fleet deploy/slurm/ci-fleet.toml backtested as a 3-task array job must merge to
# the bytes of its unsharded backtest (fleet.csv, fleet.md, every trace's two files).
# Prints what it ran and its wall time. Needs root where Slurm is not installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
grid="$here/ci-grid.toml"
t0=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prescale=${PRESCALE:-${CARGO_TARGET_DIR:-$here/../../target}/release/prescale}
export PRESCALE=$prescale
"$PRESCALE" sweep --grid "$grid" --reports-dir "$work/whole" >/dev/null 2>&1
echo "slurm check: unsharded sweep of $(basename "$grid") done"
same() {
    for f in sweep.csv slo_table.csv; do
        cmp -s "$work/whole/$f" "$1/$f" || { echo "slurm check: $1/$f differs from the unsharded sweep's" >&2; exit 1; }
    done
    echo "slurm check: $2: merged sweep.csv and slo_table.csv equal the unsharded sweep's, byte for byte"
}
"$here/run-local.sh" "$grid" "$work/array" 4
same "$work/array" "4-task array job"
PRESCALE_SLURM_TRIAL=requeue "$here/run-local.sh" "$grid" "$work/requeue" 4
same "$work/requeue" "task 2 cancelled mid-shard and requeued"
fleet="$here/ci-fleet.toml"
"$PRESCALE" backtest --grid "$fleet" --folds 2 --reports-dir "$work/fleet-whole" >/dev/null 2>&1
echo "slurm check: unsharded backtest of $(basename "$fleet") done"
"$here/run-local.sh" "$fleet" "$work/fleet" 3 backtest --folds 2
files=$(cd "$work/fleet-whole" && find . -name '*.csv' ! -name '*.part-*' -o -name '*.md' | sort)
[ "$(echo "$files" | wc -l)" -ge 8 ] || { echo "slurm check: the fleet backtest wrote only: $files" >&2; exit 1; }
for f in $files; do
    cmp -s "$work/fleet-whole/$f" "$work/fleet/$f" || { echo "slurm check: fleet $f differs from the unsharded backtest's" >&2; exit 1; }
done
echo "slurm check: 3-task fleet array job: $(echo "$files" | wc -l) merged files (fleet.csv, fleet.md, each trace's backtest.csv and recommendation.md) equal the unsharded backtest's, byte for byte"
echo "slurm check: the fleet's recommendations: $(grep '^The recommendations held' "$work/fleet/fleet.md")"
echo "slurm check: OK in $(( $(date +%s) - t0 )) s"
