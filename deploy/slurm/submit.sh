#!/usr/bin/env bash
# Queues a prescale sweep or a fleet's backtest on Slurm: an array job of N shards
# (shard.sbatch), then a job that merges their parts once every shard has succeeded
# (--dependency=afterok).
#   deploy/slurm/submit.sh GRID DIR N [sweep|backtest [FLAG...]]
# COMMAND defaults to sweep; FLAGs go to every shard (a backtest's `--folds 5`). Prints
# the two job ids ("ARRAY_ID MERGE_ID"). The merged reports land in DIR: a sweep's
# sweep.csv, slo_table.csv and frontier plots; a backtest's fleet.csv, fleet.md and a
# folder per trace. The prescale binary is $PRESCALE, else `prescale` on PATH; both jobs
# inherit the environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: submit.sh GRID DIR N [sweep|backtest [FLAG...]]"
grid=${1:?$usage}
dir=${2:?$usage}
n=${3:?$usage}
command=${4:-sweep}
shift $(( $# < 4 ? $# : 4 ))
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N must be a positive whole number, got $n" >&2; exit 2; }
case "$command" in
    sweep | backtest) ;;
    *) echo "submit.sh: the command must be sweep or backtest, got $command" >&2; exit 2 ;;
esac
mkdir -p "$dir"
grid=$(cd "$(dirname "$grid")" && pwd)/$(basename "$grid")
dir=$(cd "$dir" && pwd)
array=$(sbatch --parsable --array="1-$n" --job-name="prescale-$command" \
    --output="$dir/slurm-%A_%a.out" "$here/shard.sbatch" "$command" "$grid" "$dir" "$@")
array=${array%%;*}
merge=$(sbatch --parsable --job-name=prescale-merge --dependency="afterok:$array" \
    --output="$dir/slurm-%j-merge.out" \
    --wrap "exec \"${PRESCALE:-prescale}\" merge \"$dir\"")
merge=${merge%%;*}
echo "$array $merge"
