#!/usr/bin/env bash
# Runs a prescale sweep or a fleet's backtest as a Slurm array job on this machine, for
# CI and for a laptop:
#   deploy/slurm/run-local.sh GRID OUTDIR [N [sweep|backtest [FLAG...]]]
# If a Slurm cluster answers (sinfo), the jobs go to it. Otherwise this script brings up
# a single-node cluster of its own: it installs munge and Slurm from the Debian packages
# where they are missing (as root), writes their configuration into a temporary folder,
# starts munged, slurmctld and slurmd there (ports 26817/26818), and on exit stops
# exactly the daemons it started, by their process ids, and removes the folder. Safe to
# run twice in a row. Then it submits the N-shard array job of the command (sweep by
# default; FLAGs go to every shard) and the merge (submit.sh),
# waits for both (at most $PRESCALE_SLURM_TIMEOUT seconds, default 600) and prints where
# the merged files are. N defaults to 4. The prescale binary is $PRESCALE, else
# target/release/prescale under $CARGO_TARGET_DIR or the repository, else `prescale`.
#
# With PRESCALE_SLURM_TRIAL=requeue it also cancels array task 2 while it runs, after
# its first unit (scancel JOB_2), requeues it (scontrol requeue JOB_2) and waits: the
# requeued task resumes its unit list. Slurm keeps the merge's afterok broken after the
# cancel, so once every task has succeeded (checked here, task by task) it releases the
# merge, which then runs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
usage="usage: run-local.sh GRID OUTDIR [N [sweep|backtest [FLAG...]]]"
grid=${1:?$usage}
out=${2:?$usage}
n=${3:-4}
command=${4:-sweep}
shift $(( $# < 4 ? $# : 4 ))
timeout_s=${PRESCALE_SLURM_TIMEOUT:-600}
say() { printf 'slurm: %s\n' "$*"; }

if [ -z "${PRESCALE:-}" ]; then
    for b in "${CARGO_TARGET_DIR:-$repo/target}/release/prescale" "$repo/target/release/prescale"; do
        if [ -x "$b" ]; then PRESCALE=$b; break; fi
    done
fi
PRESCALE=${PRESCALE:-prescale}
command -v "$PRESCALE" >/dev/null || { echo "run-local.sh: no prescale binary: build it (cargo build --release) or set PRESCALE" >&2; exit 2; }
PRESCALE=$(command -v "$PRESCALE")
export PRESCALE

started_pids=()
work=""
stop_daemons() {
    # Only the processes this script started, newest first; never by name.
    for ((k = ${#started_pids[@]} - 1; k >= 0; k--)); do
        pid=${started_pids[k]}
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${started_pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    [ ${#started_pids[@]} -eq 0 ] || say "stopped the daemons it started (pids ${started_pids[*]})"
    [ -z "$work" ] || rm -rf "$work"
}
trap stop_daemons EXIT

if timeout 5 sinfo >/dev/null 2>&1; then
    say "using the Slurm cluster that answers: $(sinfo -h -o '%P %D nodes %C cpus(A/I/O/T)' | head -1)"
else
    missing=()
    for bin in munged slurmctld slurmd sbatch; do command -v "$bin" >/dev/null || missing+=("$bin"); done
    if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" -eq 0 ] || { echo "run-local.sh: ${missing[*]} missing; run as root to install munge and Slurm" >&2; exit 2; }
        say "installing munge and Slurm (missing: ${missing[*]})"
        t0=$(date +%s)
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends munge slurmctld slurmd slurm-client >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends munge slurmctld slurmd slurm-client >/dev/null; }
        say "installed in $(( $(date +%s) - t0 )) s: $(slurmctld -V)"
    fi
    work=$(mktemp -d /tmp/prescale-slurm.XXXXXX)
    chmod 755 "$work"
    mkdir -p "$work/state" "$work/spool" "$work/munge"
    chmod 700 "$work/munge"
    # A fresh munge key for this cluster alone.
    dd if=/dev/urandom of="$work/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$work/munge/munge.key"
    host=$(hostname -s)
    cpus=$(nproc)
    cat > "$work/slurm.conf" <<CONF
ClusterName=prescale-local
SlurmctldHost=$host
SlurmctldPort=26817
SlurmdPort=26818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1
MinJobAge=300
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    export SLURM_CONF=$work/slurm.conf
    munged -F -f --socket="$work/munge/munge.socket" --key-file="$work/munge/munge.key" \
        --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
        --seed-file="$work/munge/munged.seed" >"$work/munge/munged.out" 2>&1 &
    started_pids+=($!)
    for _ in $(seq 50); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.1; done
    slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
    started_pids+=($!)
    slurmd -D -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
    started_pids+=($!)
    up=""
    for _ in $(seq 100); do
        if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then up=yes; break; fi
        sleep 0.2
    done
    if [ -z "$up" ]; then
        echo "run-local.sh: the local Slurm cluster did not come up; its logs:" >&2
        tail -n 5 "$work"/slurmctld.log "$work"/slurmd.log "$work/munge/munged.log" >&2 || true
        exit 1
    fi
    say "daemons up: munged, slurmctld, slurmd (pids ${started_pids[*]}) on $host with $cpus CPUs"
fi

mkdir -p "$out"
read -r array merge < <("$here/submit.sh" "$grid" "$out" "$n" "$command" "$@")
say "submitted array job $array (tasks 1-$n) and merge job $merge (afterok:$array)"

# Waits until job $1 (an array: all its tasks) is neither queued nor running; fails past
# the deadline. A merge whose afterok dependency can never be met (a shard failed or was
# cancelled) fails at once, except in the requeue trial once every shard is done.
deadline=$(( $(date +%s) + timeout_s ))
wait_for() {
    while true; do
        left=$(squeue -h -j "$1" -o '%i %T %r' 2>/dev/null || true)
        [ -z "$left" ] && return 0
        if grep -q DependencyNeverSatisfied <<<"$left"; then
            if [ "${PRESCALE_SLURM_TRIAL:-}" = requeue ] && [ -z "$(squeue -h -j "$array" 2>/dev/null || true)" ]; then
                # Slurm keeps the array's afterok broken after a cancelled task, even once
                # it was requeued and succeeded: check every task ourselves, then release.
                states=$(scontrol -o show job "$array" | grep -o 'JobState=[A-Z_]* .*ExitCode=[0-9:]*' | awk '{print $1, $NF}' | sort | uniq -c)
                if [ "$(scontrol -o show job "$array" | grep -c 'JobState=COMPLETED .*ExitCode=0:0')" -eq "$n" ]; then
                    scontrol update JobId="$1" Dependency=
                    say "every shard succeeded after the requeue ($(tr -s ' \n' ' ' <<<"$states")): released the merge, whose afterok the cancel had broken"
                else
                    echo "run-local.sh: not every shard succeeded: $(tr -s ' \n' ' ' <<<"$states")" >&2
                    return 1
                fi
            else
                echo "run-local.sh: a shard failed, so the merge can never run; see $out/slurm-${array}_*.out" >&2
                return 1
            fi
        fi
        [ "$(date +%s)" -lt "$deadline" ] || { echo "run-local.sh: still queued after $timeout_s s: $(tr '\n' ' ' <<<"$left")" >&2; return 1; }
        sleep 0.5
    done
}

if [ "${PRESCALE_SLURM_TRIAL:-}" = requeue ]; then
    task="${array}_2"
    # Cancel it mid-shard: once it runs and its first unit's part has landed.
    state=""
    for _ in $(seq 1200); do
        state=$(squeue -h -j "$task" -o '%T' 2>/dev/null || true)
        [ "$state" = RUNNING ] && [ -f "$out/$command.part-2-of-$n.json" ] && break
        [ -z "$state" ] && break
        sleep 0.05
    done
    [ "$state" = RUNNING ] || { echo "run-local.sh: task $task ended before it could be cancelled (state: ${state:-gone}); use a grid with more units per shard" >&2; exit 1; }
    scancel "$task"
    for _ in $(seq 100); do
        [ -z "$(squeue -h -j "$task" -o '%T' 2>/dev/null || true)" ] && break
        sleep 0.1
    done
    say "cancelled task $task while it ran, after its first unit"
    scontrol requeue "$task"
    # Slurm holds a requeued job back for a while (its BeginTime); let it start now.
    scontrol update JobId="$task" StartTime=now
    say "requeued task $task"
fi

wait_for "$merge"
if ! grep -q '^merge: ' "$out"/slurm-*-merge.out 2>/dev/null; then
    echo "run-local.sh: the merge job did not finish; its output:" >&2
    cat "$out"/slurm-*-merge.out >&2 2>/dev/null || true
    exit 1
fi
say "merge: $(grep '^merge: ' "$out"/slurm-*-merge.out | tail -1)"
if [ "${PRESCALE_SLURM_TRIAL:-}" = requeue ]; then
    say "task ${array}_2 after its requeue: $(grep -E "^$command:? shard" "$out/slurm-${array}_2.out" | tail -1)"
fi
if [ "$command" = sweep ]; then
    say "merged files in $out: sweep.csv slo_table.csv $(cd "$out" && ls frontier_*.png | tr '\n' ' ')"
elif [ -f "$out/fleet.csv" ]; then
    say "merged files in $out: fleet.csv fleet.md and a folder per trace: $(cd "$out" && ls -d -- */ | tr '\n' ' ')"
else
    say "merged files in $out: backtest.csv recommendation.md"
fi
