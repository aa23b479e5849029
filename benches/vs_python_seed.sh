#!/usr/bin/env bash
# Side by side with the Python seed: the seed's experiment (../shared/bench/python_seed/,
# a measuring stick, never a dependency) and `prescale run-all` on the same trace, back to
# back, N rounds (default 3), then the medians of wall time and peak memory and the ratio.
# Run on demand, on an otherwise idle machine:
#
#   bash benches/vs_python_seed.sh [ROUNDS]
#
# Environment: PYSEED_VENV, a virtual environment with the seed's packages (default
# /tmp/pyseed; created here if missing, about 3 GB with torch, as the seed's README says);
# SEED_DIR, the seed's folder (default ../shared/bench/python_seed beside the project);
# WORK, a scratch folder (default a new temporary one). prescale is built in release first.
set -euo pipefail

rounds="${1:-3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
seed_dir="${SEED_DIR:-$root/../shared/bench/python_seed}"
venv="${PYSEED_VENV:-/tmp/pyseed}"
work="${WORK:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/prescale-target}"

if [ ! -f "$seed_dir/run_reference.py" ]; then
    echo "error: no run_reference.py in $seed_dir (set SEED_DIR)" >&2
    exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
    echo "setting up the seed's environment in $venv (once)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet prophet torch pandas numpy matplotlib
fi
(cd "$root" && cargo build --release --quiet)
prescale="$CARGO_TARGET_DIR/release/prescale"
py="$venv/bin/python"
seed="$seed_dir/run_reference.py"

cd "$work"
[ -f workload.csv ] || "$py" "$seed" --generate workload.csv > generate.log 2>&1

# One timed run: wall seconds and peak RSS in KiB, appended to $1.
timed() {
    local out="$1"
    shift
    /usr/bin/time -f "%e %M" -o time.txt "$@" > run.log 2>&1 || {
        echo "error: $* failed; its log: $work/run.log" >&2
        exit 1
    }
    cat time.txt >> "$out"
}

: > seed.txt
: > prescale.txt
for i in $(seq "$rounds"); do
    rm -rf py d r
    timed seed.txt "$py" "$seed" --trace workload.csv --out py --threads 2
    timed prescale.txt "$prescale" run-all --trace workload.csv --data-dir d --reports-dir r
    echo "round $i: seed $(tail -1 seed.txt | cut -d' ' -f1) s, prescale $(tail -1 prescale.txt | cut -d' ' -f1) s" >&2
done

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
seed_s=$(cut -d' ' -f1 seed.txt | median)
ours_s=$(cut -d' ' -f1 prescale.txt | median)
seed_mb=$(cut -d' ' -f2 seed.txt | median)
ours_mb=$(cut -d' ' -f2 prescale.txt | median)
awk -v a="$seed_s" -v b="$ours_s" -v ma="$seed_mb" -v mb="$ours_mb" -v n="$rounds" 'BEGIN {
    printf "medians of %d, same trace, back to back:\n", n
    printf "  Python seed        %6.1f s  %5.0f MiB peak\n", a, ma / 1024
    printf "  prescale run-all   %6.1f s  %5.0f MiB peak\n", b, mb / 1024
    printf "  ratio              %6.2fx\n", a / b
}'
