#!/usr/bin/env bash
# Queues a prescale sweep on Slurm: an array job of N shards (sweep.sbatch), then a job
# that merges their parts once every shard has succeeded (--dependency=afterok).
#   deploy/slurm/submit.sh GRID DIR N
# Prints the two job ids ("ARRAY_ID MERGE_ID"). The merged sweep.csv, slo_table.csv and
# frontier plots land in DIR. The prescale binary is $PRESCALE, else `prescale` on PATH;
# both jobs inherit the environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
grid=${1:?usage: submit.sh GRID DIR N}
dir=${2:?usage: submit.sh GRID DIR N}
n=${3:?usage: submit.sh GRID DIR N}
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N must be a positive whole number, got $n" >&2; exit 2; }
mkdir -p "$dir"
grid=$(cd "$(dirname "$grid")" && pwd)/$(basename "$grid")
dir=$(cd "$dir" && pwd)
array=$(sbatch --parsable --array="1-$n" --output="$dir/slurm-%A_%a.out" \
    "$here/sweep.sbatch" "$grid" "$dir")
array=${array%%;*}
merge=$(sbatch --parsable --job-name=prescale-merge --dependency="afterok:$array" \
    --output="$dir/slurm-%j-merge.out" \
    --wrap "exec \"${PRESCALE:-prescale}\" merge \"$dir\"")
merge=${merge%%;*}
echo "$array $merge"
