#!/usr/bin/env bash
# bench_sweep.sh: how long a scaling law on real text takes to make from scratch on this machine.
#
#   bash bench/bench_sweep.sh [BUILD_DIR] [PRESET] [SWEEP OPTIONS...]   (default build/, preset default, -j 2)
#
# 1. measures this machine's sgemm peak in the same process as the trainer (`scalefit sweep` does,
#    once per thread count) and trains the preset's runs (the shipped default: 15 runs on Python's
#    documentation) into a fresh run file;
# 2. fits L(N, D) = E + A/N^alpha + B/D^beta to them with a 100-resample bootstrap;
# 3. prints the wall time against the 15-minute goal, the runs' MFU against the sgemm peak they measured
#    (the trainer's peer: the machine's own BLAS, on the run's thread count), weighted by FLOPs, and the
#    share of the wall time the jobs spent training (the rest: validation, setup, waiting).
# Run it on an idle machine: other load on the 2 cores slows the trainer's threads disproportionately.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
preset=${2:-default}
shift $(($# < 2 ? $# : 2))
opts=("$@")
[ ${#opts[@]} -gt 0 ] || opts=(-j 2)
scalefit=$build/scalefit
[ -x "$scalefit" ] || { echo "bench_sweep: build scalefit first ($scalefit missing)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== scalefit sweep --preset $preset ${opts[*]} on $(nproc) cores"
t0=$(date +%s.%N)
"$scalefit" sweep --preset "$preset" "${opts[@]}" -o "$tmp/runs.h5"
t1=$(date +%s.%N)
echo
echo "== scalefit fit --law chinchilla --bootstrap 100"
"$scalefit" fit "$tmp/runs.h5" --law chinchilla --bootstrap 100
t2=$(date +%s.%N)
/usr/bin/python3 - "$tmp/runs.h5" "$t0" "$t1" "$t2" <<'PY'
import h5py, sys
c = h5py.File(sys.argv[1], "r")["tables/runs/columns"]
t0, t1, t2 = map(float, sys.argv[2:5])
C, sec, mfu = c["C"][:], c["seconds"][:], c["mfu"][:]
wall = t1 - t0
print()
print(f"runs {len(C)}, {C.sum():.3g} FLOP, sweep {wall:.0f} s, fit {t2 - t1:.1f} s: "
      f"{(t2 - t0) / 60:.1f} min in all (goal: under 15 min)")
print(f"MFU while training {C.sum() / (C / mfu).sum():.2f} of the measured sgemm peak (FLOP-weighted; "
      f"runs {mfu.min():.2f} to {mfu.max():.2f}); training took {sec.sum():.0f} s of run time "
      f"in {wall:.0f} s of wall time")
PY
