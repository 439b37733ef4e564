#!/usr/bin/env bash
# bench_fit.sh: scalefit against the scipy reference on the Chinchilla fit, side by side.
#
#   bash bench/bench_fit.sh [BUILD_DIR]        (default build/; data from $SF_SHARED or ../shared/datasets)
#
# 1. scipy (bench/scipy_chinchilla.py, Debian's /usr/bin/python3): Huber delta 1e-3 on log residuals,
#    summed, L-BFGS-B from each of the 4500 grid points, as Epoch AI's code does.
# 2. `scalefit fit DATA --law chinchilla`: the same objective, the same 4500 starts.
#    Prints both optima, both wall times and the ratio.
# 3. `scalefit fit --bootstrap K` with the full 4500-start grid per resample: K = $SF_BENCH_BOOT
#    (default 200) resamples timed, and the time for 4000 resamples (measured if K = 4000,
#    else extrapolated linearly, which the output says).
# Run it on an idle machine: both sides use the same cores, and other load skews the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scalefit=$build/scalefit
data=${SF_SHARED:-../shared/datasets}/chinchilla_svg_extracted.csv
K=${SF_BENCH_BOOT:-200}
[ -x "$scalefit" ] || { echo "bench_fit: build scalefit first ($scalefit missing)"; exit 1; }
[ -r "$data" ] || { echo "bench_fit: $data missing (set SF_SHARED)"; exit 1; }
now() { date +%s.%N; }

echo "== Chinchilla fit, 245 runs, 4500 starts, Huber 1e-3 on log-loss (summed), $(nproc) cores"
t0=$(now)
/usr/bin/python3 bench/scipy_chinchilla.py "$data"
t1=$(now)
"$scalefit" fit "$data" --law chinchilla
# scalefit's tenth of a second varies by 2x with how the 2 cores are shared at that moment, scipy's
# minute hardly: scalefit runs 5 more times (same command, output dropped) and the best and the
# median of the 6 are both compared with scipy's one run
times="$(awk -v a="$t1" -v b="$(now)" 'BEGIN {print b - a}')"
for _ in 1 2 3 4 5; do
  ta=$(now)
  "$scalefit" fit "$data" --law chinchilla >/dev/null 2>&1
  times="$times $(awk -v a="$ta" -v b="$(now)" 'BEGIN {print b - a}')"
done
/usr/bin/python3 - "$t0" "$t1" $times <<'PY'
import statistics, sys
t0, t1 = float(sys.argv[1]), float(sys.argv[2])
ts = sorted(map(float, sys.argv[3:]))
sp, best, med = t1 - t0, ts[0], statistics.median(ts)
print("scipy %.2f s; scalefit, wall from process start to exit over %d runs: best %.3f s, median %.3f s" % (sp, len(ts), best, med))
print("scalefit is %.0fx faster (best), %.0fx (median)" % (sp / best, sp / med))
PY

echo
echo "== bootstrap: $K resamples, each with the full 4500-start grid"
t3=$(now)
"$scalefit" fit "$data" --law chinchilla --bootstrap "$K" --seed 1 >/dev/null
t4=$(now)
/usr/bin/python3 - "$t3" "$t4" "$K" <<'PY'
import sys
t3, t4, K = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
s = t4 - t3
if K == 4000:
    print("4000 resamples: %.1f s measured (%.1f ms per resample; goal: under 600 s)" % (s, 1e3 * s / K))
else:
    print("%d resamples: %.1f s (%.1f ms per resample); 4000 resamples: ~%.0f s extrapolated linearly (goal: under 600 s)"
          % (K, s, 1e3 * s / K, s / K * 4000))
PY
