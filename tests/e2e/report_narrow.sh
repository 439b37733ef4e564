#!/bin/bash
# report_narrow.sh: a report read on a phone. Headless Chromium lays out a report page and the
# batch index at 420 px: nothing may run past the right edge of the text column into the page's
# margin (a long data path, a long spec path or title: the page then scrolls sideways and cuts the
# text off). Tables scroll inside their own box and charts shrink, so the margin right of the
# column must be blank in the screenshot. Skips (77) without chromium.
set -u
. "$(dirname "$0")/lib/common.sh"
any_python
need_cmd chromium chromium gnuplot gnuplot-nox
fail_fast
w=$tmp
cd "$w" || fail "cd"
# a data file and a spec in folders with long names, as a cluster's paths are
d=runs_of_the_november_sweep_on_the_shared_cluster/evaluations_with_every_checkpoint_kept
mkdir -p "$d" specs_for_the_quarterly_scaling_review
cp "$SF_SRC/datasets/models.csv" "$d/published_models_with_their_compute_and_benchmark_scores.csv"
cat > specs_for_the_quarterly_scaling_review/narrow.ini <<SPEC
[report]
title = Benchmarks_of_published_models_against_their_training_compute_as_reported
[data]
file = ../$d/published_models_with_their_compute_and_benchmark_scores.csv
[turn]
y = mmlu
bootstrap = 20
SPEC
"$SCALEFIT" report specs_for_the_quarterly_scaling_review/narrow.ini -o out > /dev/null || fail "report: exit $?"
chrome() {
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$(mktemp -d -p "$w")" "$@"
}
for page in out/narrow/index.html out/index.html; do
  png="$w/$(echo "$page" | tr / _).png"
  chrome --screenshot="$png" --window-size=420,2400 "file://$w/$page" > chrome.log 2>&1 || { tail chrome.log; fail "chromium --screenshot $page"; }
  "$PY" - "$png" "$page" <<'PY' || fail "$page overflows at 420 px"
import os, sys
sys.path.insert(0, os.path.join(os.environ["SF_SRC"], "tests/e2e/lib"))
from png import read_rows
W, H, bpp, rows = read_rows(sys.argv[1])
assert W == 420, W
# main's padding is 28 px: the 20 px at the right edge hold nothing but white
bad = [y for y in range(H) if any(rows[y][x * bpp:x * bpp + 3] != b"\xff\xff\xff" for x in range(W - 20, W))]
print(f"{sys.argv[2]}: {W}x{H}, {len(bad)} rows with ink in the right margin" + (f" (first at y={bad[0]})" if bad else ""))
assert not bad
PY
done
echo "ok: the report and the index fit a 420 px screen"
