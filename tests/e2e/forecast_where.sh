#!/bin/bash
# forecast_where.sh: `fit --where` finds its columns as --x and --y do (any letter case, a header's
# spelling), and a formula's parse error points at the character of the text typed. The counts
# come from h5py on the same run file.
set -u
. "$(dirname "$0")/lib/common.sh"
need_py h5py
fail_fast
out=$tmp
RUNS="$SF_SRC/datasets/sweep_default.h5"

want=$("$PY" -c "import h5py; N=h5py.File('$RUNS')['tables/runs/columns/N'][()]; print(int((N > 5e4).sum()))")
for w in 'N > 5e4' 'n > 5e4' 'Params > 5e4 and LOSS > 0'; do
  "$SCALEFIT" fit "$RUNS" --law chinchilla --where "$w" --json > "$out/f.json" 2> "$out/err" \
    || fail "fit --where '$w' exit $?: $(cat "$out/err")"
  got=$("$PY" -c "import json; print(json.load(open('$out/f.json'))['data']['n_rows'])")
  [ "$got" = "$want" ] || fail "--where '$w' fitted $got runs, h5py counts $want with N > 5e4"
done
# a name that is no column lists the columns
"$SCALEFIT" fit "$RUNS" --law chinchilla --where 'q > 1' > /dev/null 2> "$out/err"; rc=$?
[ $rc -eq 2 ] || fail "--where 'q > 1' exit $rc"
grep -q "'q' is not a column of .*(it has N, D, C, loss" "$out/err" \
  || fail "no column list: $(cat "$out/err")"

# a formula's error column counts from the first character typed (it counted from after the '=')
"$SCALEFIT" fit "$RUNS" --law 'loss = E + A*N^-alpha + B*D^-beta)' > /dev/null 2> "$out/err"; rc=$?
[ $rc -eq 2 ] || fail "bad formula exit $rc"
grep -q "cannot parse 'loss = E + A\*N^-alpha + B\*D^-beta)': unexpected text at column 34 (')')" "$out/err" \
  || fail "formula error position: $(cat "$out/err")"
# two columns that differ only in case (a file written by h5py): 'acc' is an error naming both,
# in turn as in --where; the exact names work
"$PY" - "$out/amb.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["format"] = "scalefit-runs"; f.attrs["format_version"] = 1
    g = f.create_group("tables/runs/columns")
    g["run"] = np.array([b"r%d" % i for i in range(12)])
    g["C"] = np.logspace(20, 25, 12); g["Acc"] = np.linspace(0.3, 0.8, 12); g["ACC"] = np.linspace(0.3, 0.8, 12)
PY
for cmd in "turn $out/amb.h5 --y acc" "fit $out/amb.h5 --law power --x C --y Acc --where acc>0.4"; do
  # shellcheck disable=SC2086
  "$SCALEFIT" $cmd > /dev/null 2> "$out/err"; rc=$?
  [ $rc -eq 2 ] || fail "$cmd: exit $rc"
  grep -q "column 'acc' is ambiguous in table 'runs': it could be 'ACC' or 'Acc'" "$out/err" || fail "$cmd: $(cat "$out/err")"
done
"$SCALEFIT" turn "$out/amb.h5" --y Acc --bootstrap 5 > /dev/null 2>&1 || fail "turn --y Acc exit $?"
echo ok
