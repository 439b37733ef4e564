#!/usr/bin/env bash
# store.sh: scalefit import / export / info on real files. Bad CSVs under tests/inputs must
# exit 2 with a message naming the file, line and column, and leave no output file behind; the
# Chinchilla CSV must import as 245 runs with N, D, C and loss; export must round-trip.
set -eu
: "${SCALEFIT:?path to the scalefit binary}" "${SF_INPUTS:?tests/inputs}"
. "$(dirname "$0")/lib/common.sh"
fail_fast stderr

# expect_bad FILE.csv NEEDLE...: import exits 2, stderr names file + needles, no output left.
expect_bad() {
  local csv=$1; shift
  local rc=0
  "$SCALEFIT" import "$SF_INPUTS/$csv" -o "$tmp/bad.h5" 2>"$tmp/err" >/dev/null || rc=$?
  [ "$rc" -eq 2 ] || fail "$csv: exit $rc, expected 2 ($(cat "$tmp/err"))"
  grep -q "^scalefit: error: .*$csv" "$tmp/err" || fail "$csv: message does not name the file: $(cat "$tmp/err")"
  for needle in "$@"; do
    grep -qF -- "$needle" "$tmp/err" || fail "$csv: message lacks '$needle': $(cat "$tmp/err")"
  done
  [ -z "$(ls -A "$tmp" | grep -v '^err$' || true)" ] || fail "$csv: left files behind: $(ls "$tmp")"
  # info and export read CSVs through the same loader and fail the same way
  rc=0; "$SCALEFIT" info "$SF_INPUTS/$csv" >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || fail "info $csv: exit $rc, expected 2"
  rc=0; "$SCALEFIT" export "$SF_INPUTS/$csv" -o "$tmp/out.csv" >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 2 ] || fail "export $csv: exit $rc, expected 2"
  [ ! -e "$tmp/out.csv" ] || fail "export $csv left out.csv"
  rm -f "$tmp/err"
}

expect_bad ragged.csv "line 3" "3 fields, expected 4"
expect_bad nonnumeric.csv "line 3, column 4 ('loss')" "'abc' is not a number"
expect_bad nan.csv "line 3, column 4 ('loss')" "'nan' is not allowed"
expect_bad inf.csv "line 3, column 2 ('N')" "'inf' is not allowed"
expect_bad negative.csv "line 3, column 3 ('D')" "not positive"
expect_bad zero.csv "line 3, column 2 ('N')" "not positive"
expect_bad dupheader.csv "line 1" "duplicate column 'N'"
expect_bad dupalias.csv "line 1" "both mean 'N'"
expect_bad emptyheader.csv "line 1, column 3" "empty header"
expect_bad empty.csv "is empty"
expect_bad headeronly.csv "has a header but no rows"
expect_bad unclosed.csv "line 2, column 1" "not closed"
expect_bad overflow.csv "line 2, column 3 ('D')" "out of range"
expect_bad badmetric.csv "line 3, column 2 ('mmlu')" "is not a number"
expect_bad no-such-file.csv "cannot open" "No such file"
# Latin-1 text (Excel's "CSV" on Windows) went into the run file as it was, labelled UTF-8: h5py's
# .asstr() then failed with UnicodeDecodeError on the file (FORMAT.md's recipe)
expect_bad latin1.csv "line 3, column 1 ('run')" "byte 0xE8 at byte 4 of the cell is not UTF-8" "iconv -f latin1"
printf 'run,N,D,loss,acc [\265s]\na,1e6,2e7,3,1\n' >"$tmp/latin1h.csv"
rc=0; "$SCALEFIT" info "$tmp/latin1h.csv" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "line 1, column 5: byte 0xB5 at byte 6 of the cell is not UTF-8" "$tmp/err" ||
  fail "Latin-1 header: exit $rc, $(cat "$tmp/err")"
rm -f "$tmp/latin1h.csv" "$tmp/err"

# A valid file with BOM, CRLF, quotes and scales.
"$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" "$SF_INPUTS/valid_mixed.csv" -o "$tmp/ok.h5" >"$tmp/out" 2>"$tmp/err" \
  || fail "import bom_crlf.csv: $(cat "$tmp/err")"
grep -q "imported 2 runs into table 'bom_crlf'" "$tmp/out" || fail "import summary: $(cat "$tmp/out")"
grep -q "imported 3 runs into table 'valid_mixed'" "$tmp/out" || fail "import summary: $(cat "$tmp/out")"
grep -q "C derived for 2 of 3 runs" "$tmp/err" || fail "derived note: $(cat "$tmp/err")"
"$SCALEFIT" info "$tmp/ok.h5" --table bom_crlf --json >"$tmp/info.json"
grep -q '"rows": *2' "$tmp/info.json" || fail "info --json rows: $(cat "$tmp/info.json")"
grep -q '"name": *"Llama"' "$tmp/info.json" || fail "info --json families"
"$SCALEFIT" export "$tmp/ok.h5" --table bom_crlf >"$tmp/bom.csv"
grep -qF '"llama, 7b",Llama,bom_crlf.csv,7000000000,2000000000000,2.1,8.4e+22,C' "$tmp/bom.csv" \
  || fail "export: $(cat "$tmp/bom.csv")"

# Two tables in one file without --table: export and info --table need a choice.
rc=0; "$SCALEFIT" export "$tmp/ok.h5" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "2 tables (bom_crlf, valid_mixed)" "$tmp/err" || fail "export without --table: $rc $(cat "$tmp/err")"
rc=0; "$SCALEFIT" info "$tmp/ok.h5" --table nope >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "no table 'nope' (tables: bom_crlf, valid_mixed)" "$tmp/err" || fail "info --table nope"
# a CSV holds one table: another name is the same bad input (exit 2), as for an HDF5 file
rc=0; "$SCALEFIT" info "$SF_INPUTS/bom_crlf.csv" --table nope >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "holding one table, 'bom_crlf', not 'nope'" "$tmp/err" || fail "info CSV --table nope: $rc $(cat "$tmp/err")"

# Importing a table that exists fails and leaves the file alone; --replace replaces it.
cp "$tmp/ok.h5" "$tmp/ok.copy"
rc=0; "$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" -o "$tmp/ok.h5" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "already has a table 'bom_crlf'" "$tmp/err" || fail "import over existing table: $rc"
cmp -s "$tmp/ok.h5" "$tmp/ok.copy" || fail "failed import changed the file"
"$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" -o "$tmp/ok.h5" --replace --family F --source S >/dev/null 2>&1
"$SCALEFIT" export "$tmp/ok.h5" --table bom_crlf | grep -q '^"say ""hi""",Other,S,' || fail "--replace/--source"
"$SCALEFIT" info "$tmp/ok.h5" | grep -q "table 'valid_mixed'" || fail "--replace lost the other table"
ls "$tmp" | grep -q '\.tmp\.' && fail "temporary files left: $(ls "$tmp")"
chmod 600 "$tmp/ok.h5"
"$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" -o "$tmp/ok.h5" --replace >/dev/null 2>&1
[ "$(stat -c %a "$tmp/ok.h5")" = 600 ] || fail "rewriting changed the file's permissions"

# Usage errors exit 1.
rc=0; "$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "import without -o: exit $rc"
rc=0; "$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" -o "$tmp/x.h5" --table 'bad name' >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "import --table 'bad name': exit $rc"

# Several CSVs with --table make one table; without it, two files of the same base name clash.
"$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" "$SF_INPUTS/valid_mixed.csv" -o "$tmp/cat.h5" --table all >"$tmp/out" 2>/dev/null
grep -q "imported 5 runs into table 'all'" "$tmp/out" || fail "--table concatenation: $(cat "$tmp/out")"
mkdir "$tmp/sub" && cp "$SF_INPUTS/bom_crlf.csv" "$tmp/sub/"
rc=0; "$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" "$tmp/sub/bom_crlf.csv" -o "$tmp/clash.h5" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 1 ] && grep -q "both make table 'bom_crlf'" "$tmp/err" && [ ! -e "$tmp/clash.h5" ] || fail "name clash: $rc"
rm -rf "$tmp/sub"

# An HDF5 input of several tables gives them all under their names (it was refused with "choose one
# (--table ...)", and import's --table names the table made, so nothing could choose); with --table,
# one table of all their runs.
"$SCALEFIT" import "$tmp/ok.h5" -o "$tmp/copy.h5" >"$tmp/out" 2>"$tmp/err" || fail "import of a 2-table file: $(cat "$tmp/err")"
"$SCALEFIT" info "$tmp/copy.h5" >"$tmp/info"
grep -q "^table 'bom_crlf' in '.*copy.h5': 2 runs$" "$tmp/info" && grep -q "^table 'valid_mixed' in '.*copy.h5': 3 runs$" "$tmp/info" ||
  fail "import of a 2-table file: $(cat "$tmp/info")"
"$SCALEFIT" import "$tmp/ok.h5" "$SF_INPUTS/curves.h5" -o "$tmp/copy.h5" --table merged >"$tmp/out" 2>"$tmp/err" ||
  fail "import of 2 HDF5 files into one table: $(cat "$tmp/err")"
"$SCALEFIT" info "$tmp/copy.h5" --table merged >"$tmp/info"
grep -q "^table 'merged' in '.*copy.h5': 9 runs$" "$tmp/info" && grep -q "^  curves: 90 points over 3 runs" "$tmp/info" ||
  fail "import of 2 HDF5 files into one table: $(cat "$tmp/info")"
rm -f "$tmp/copy.h5" "$tmp/info" "$tmp/out" "$tmp/err"

# export writes each number as the first of %.15g, %.16g, %.17g that reads back (docs/FORMAT.md), the
# rule written again in Python: 2^-24 takes 17 digits (its %.16g tie rounds to even and reads back as
# another double), though 16 would give it back, so "the fewest digits" is not the rule's name
printf 'run,x\na,5.9604644775390625e-08\nb,0.1\nc,7e9\nd,8.4e22\ne,6795600349.289497\nf,0.3333333333333333\n' >"$tmp/num.csv"
"$SCALEFIT" export "$tmp/num.csv" -o "$tmp/num_out.csv" 2>/dev/null || fail "export num.csv"
/usr/bin/python3 - "$tmp/num.csv" "$tmp/num_out.csv" <<'PY' || fail "export's digits: $(cat "$tmp/num_out.csv")"
import csv, sys
def rule(v):
    return next(s for s in ("%.*g" % (p, v) for p in (15, 16, 17)) if float(s) == v)
want = [rule(float(r["x"])) for r in csv.DictReader(open(sys.argv[1]))]
got = [r["x"] for r in csv.DictReader(open(sys.argv[2]))]
assert got == want, (got, want)
assert want[0] == "5.9604644775390625e-08" and repr(2.0 ** -24) == "5.960464477539063e-08", want
PY

# info reads CSVs directly, deriving on the way.
"$SCALEFIT" info "$SF_INPUTS/valid_mixed.csv" >"$tmp/info"
grep -q "table 'valid_mixed' in '.*valid_mixed.csv': 3 runs" "$tmp/info" || fail "info csv: $(cat "$tmp/info")"
grep -qE "^  C +FLOP +2 +1\.20e\+18 +1\.92e\+19 +2$" "$tmp/info" || fail "info csv C row: $(cat "$tmp/info")"
grep -qE "^  mmlu +fraction +2 +0.25 +0.31 *$" "$tmp/info" || fail "info csv mmlu row: $(cat "$tmp/info")"

# Output errors exit 4 and leave nothing: a directory that does not exist, a full device.
rc=0; "$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" -o "$tmp/nodir/x.h5" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 4 ] && grep -q "cannot write '.*nodir/x.h5'" "$tmp/err" || fail "import into missing dir: $rc $(cat "$tmp/err")"
rc=0; "$SCALEFIT" export "$tmp/ok.h5" --table valid_mixed -o "$tmp/nodir/x.csv" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 4 ] || fail "export into missing dir: exit $rc"
if [ -w /dev/full ]; then
  rc=0; "$SCALEFIT" export "$tmp/ok.h5" --table valid_mixed >/dev/full 2>/dev/null || rc=$?
  [ "$rc" -eq 4 ] || fail "export to /dev/full: exit $rc"
fi

# A run file or CSV reached through a symbolic link (a relative one, a dangling one) is written where
# the link points, and the link stays: the rename replaced the link with a new file, so 'import -o
# link.h5' left the real file without the table and the link no longer pointed at it.
mkdir "$tmp/real"
"$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" -o "$tmp/real/runs.h5" >/dev/null 2>&1
ln -s real/runs.h5 "$tmp/link.h5"
"$SCALEFIT" import "$SF_INPUTS/valid_mixed.csv" -o "$tmp/link.h5" >/dev/null 2>&1 || fail "import through a link"
[ -L "$tmp/link.h5" ] || fail "import replaced the symbolic link with a file"
"$SCALEFIT" info "$tmp/real/runs.h5" | grep -q "^table 'valid_mixed'" || fail "import through a link: the real file lacks the table"
ln -s real/out.csv "$tmp/link.csv"
"$SCALEFIT" export "$tmp/real/runs.h5" --table valid_mixed -o "$tmp/link.csv" 2>/dev/null || fail "export through a link"
[ -L "$tmp/link.csv" ] && [ "$(grep -c "^r[123]," "$tmp/real/out.csv")" -eq 3 ] || fail "export through a dangling link: $(ls -l "$tmp" "$tmp/real")"
[ "$(ls -A "$tmp/real" | sort | tr '\n' ' ')" = "out.csv runs.h5 " ] || fail "temporary files left: $(ls -A "$tmp/real")"
rm -rf "$tmp/real" "$tmp/link.h5" "$tmp/link.csv"

# info on a CSV names the columns it skipped (import did, info said nothing), and a UTF-8 unit
# or name takes its width in characters, not bytes (the row of 'µs' was shifted by one).
printf 'run,family,N,D,time [\302\265s],color\na,Qwen\302\2672,1e6,2e7,3,red\n' >"$tmp/utf8.csv"
"$SCALEFIT" info "$tmp/utf8.csv" >"$tmp/info" || fail "info utf8.csv"
grep -q "^  skipped (no number in any cell): 'color'$" "$tmp/info" || fail "info skipped: $(cat "$tmp/info")"
grep -q "families: Qwen·2 (1)" "$tmp/info" || fail "info family: $(cat "$tmp/info")"
# every row of the column table is as wide, in characters, as its header line
want=$(grep '^  column' "$tmp/info" | LC_ALL=C.UTF-8 wc -m)
got=$(grep '^  time ' "$tmp/info" | LC_ALL=C.UTF-8 wc -m)
[ "$got" -eq "$want" ] || fail "info: the 'time' row is not aligned ($got, $want): $(cat "$tmp/info")"
rm -f "$tmp/utf8.csv" "$tmp/info"

# A wide table (2000 metric columns, a 19 kB header line) imports and reads back in well under
# a second: libhdf5 re-sorted a group's link table on every lookup by index and grew the columns
# group's header one link at a time, and this took 17 s (8000 columns: minutes).
{
  printf 'run,N,D'; for i in $(seq 2000); do printf ',m%d' "$i"; done; printf '\n'
  printf 'a,1e6,2e7'; for i in $(seq 2000); do printf ',%d' "$i"; done; printf '\n'
} >"$tmp/wide.csv"
start=$(date +%s%N)
"$SCALEFIT" import "$tmp/wide.csv" -o "$tmp/wide.h5" >/dev/null 2>&1 || fail "wide import"
"$SCALEFIT" export "$tmp/wide.h5" -o "$tmp/wide_out.csv" 2>/dev/null || fail "wide export"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -lt 6000 ] || fail "2000 columns: import + export took $ms ms"
[ "$(head -1 "$tmp/wide_out.csv")" = "$(head -1 "$tmp/wide.csv" | sed 's/^run,/run,source,/'),C,derived" ] \
  || fail "wide header order"
tail -1 "$tmp/wide_out.csv" | grep -q '^a,wide.csv,1000000,20000000,1,2,3,.*,1999,2000,120000000000000,C$' || fail "wide values"
rm -f "$tmp/wide.csv" "$tmp/wide.h5" "$tmp/wide_out.csv"

# A garbage .h5 and an HDF5 file of another layout.
echo "not hdf5" >"$tmp/junk.h5"
rc=0; "$SCALEFIT" info "$tmp/junk.h5" 2>"$tmp/err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] && grep -q "is not an HDF5 file" "$tmp/err" || fail "info junk.h5: $rc $(cat "$tmp/err")"
rc=0; "$SCALEFIT" import "$SF_INPUTS/bom_crlf.csv" -o "$tmp/junk.h5" 2>"$tmp/err" >/dev/null || rc=$?
[ "$rc" -eq 2 ] && [ "$(cat "$tmp/junk.h5")" = "not hdf5" ] || fail "import into junk.h5: $rc"

# The issue's acceptance: the Chinchilla CSV.
# An output or input that is a directory is said to be one (it was "'d.h5' is not an HDF5 file" and
# "cannot rename into 'd.csv': Is a directory"): exit 4 for an output, 2 for an input, the folder untouched.
mkdir "$tmp/d.h5" "$tmp/d.csv"
for args in "import $SF_INPUTS/valid_mixed.csv -o $tmp/d.h5" "export $SF_INPUTS/valid_mixed.csv -o $tmp/d.csv" \
            "export $SF_INPUTS/valid_mixed.csv -o $tmp/d.h5"; do
  rc=0; "$SCALEFIT" $args >/dev/null 2>"$tmp/err" || rc=$?
  [ "$rc" -eq 4 ] && grep -q "^scalefit: error: cannot write '$tmp/d\.[a-z0-9]*': it is a directory$" "$tmp/err" ||
    fail "$args: exit $rc, $(cat "$tmp/err")"
done
rc=0; "$SCALEFIT" info "$tmp/d.h5" >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "'$tmp/d.h5' is a directory, not an HDF5 file" "$tmp/err" || fail "info DIR.h5: exit $rc, $(cat "$tmp/err")"
[ -z "$(find "$tmp/d.h5" "$tmp/d.csv" -mindepth 1)" ] || fail "the directories were written into"
rmdir "$tmp/d.h5" "$tmp/d.csv"
chin=${SF_SHARED:-}/chinchilla_svg_extracted.csv
if [ ! -r "$chin" ]; then
  echo "store.sh: $chin absent; Chinchilla checks skipped" >&2
  exit 77
fi
"$SCALEFIT" import "$chin" -o "$tmp/c.h5" >"$tmp/out" 2>"$tmp/err"
grep -q "imported 245 runs into table 'chinchilla_svg_extracted'" "$tmp/out" || fail "chinchilla import: $(cat "$tmp/out")"
grep -q "skipped non-numeric columns 'color', 'hex_color'" "$tmp/err" || fail "skipped note: $(cat "$tmp/err")"
"$SCALEFIT" info "$tmp/c.h5" >"$tmp/info"
grep -q "245 runs" "$tmp/info" || fail "info: $(cat "$tmp/info")"
for col in N D C loss; do
  grep -qE "^  $col +[a-zA-Z/]+ +245 " "$tmp/info" || fail "info lacks 245 values of $col: $(cat "$tmp/info")"
done
grep -qE "^  D +tokens +245 +.* 245$" "$tmp/info" || fail "info: D should be derived for 245 runs"
grep -qE "^  N +parameters +245 +57.3M +16.2B" "$tmp/info" || fail "info: N range"
# CSV -> h5 -> CSV -> h5 -> CSV: the two exports are identical
"$SCALEFIT" export "$tmp/c.h5" -o "$tmp/c1.csv"
"$SCALEFIT" import "$tmp/c1.csv" -o "$tmp/c2.h5" --table again >/dev/null 2>&1
"$SCALEFIT" export "$tmp/c2.h5" -o "$tmp/c2.csv"
cmp -s "$tmp/c1.csv" "$tmp/c2.csv" || fail "export/import/export differs"
[ "$(wc -l <"$tmp/c1.csv")" -eq 246 ] || fail "export row count"
# Families and their counts, against an independent count of the CSV (no quoted fields in it).
obs=${SF_SHARED:-}/obsscaling_base_llm_benchmark_eval.csv
if [ -r "$obs" ]; then
  "$SCALEFIT" info "$obs" --json >"$tmp/obs.json"
  want=$(awk -F, 'NR > 1 && $2 == "Qwen1.5"' "$obs" | wc -l)
  tr -d ' \n' <"$tmp/obs.json" | grep -q "{\"name\":\"Qwen1.5\",\"count\":$want}" || fail "Qwen1.5 count $want"
  want=$(awk -F, 'NR > 1 && $4 != ""' "$obs" | wc -l)
  tr -d ' \n' <"$tmp/obs.json" | grep -q "{\"name\":\"D\",\"unit\":\"tokens\",\"count\":$want," || fail "D count $want"
fi
# A full disk while the run file is written (here a file-size limit, which fails the same
# write(2)): exit 4 naming the file and the cause, the file as it was, nothing half-written beside
# it. HDF5 cannot survive a failed flush of its own (its exit handler crashed, SIGSEGV), so the
# file is built in memory and written by scalefit.
mkdir "$tmp/full"
"$SCALEFIT" import "$SF_INPUTS/../../datasets/models.csv" -o "$tmp/full/runs.h5" >/dev/null 2>&1
cp "$tmp/full/runs.h5" "$tmp/before.h5"
rows=""; for i in $(seq 1 3000); do rows="$rows
r$i,$i.5e6,2e9,1e17,3.25"; done
printf 'name,N,D,C,loss%s\n' "$rows" >"$tmp/big.csv"
rc=0; ( trap '' XFSZ; ulimit -f 64; exec "$SCALEFIT" import "$tmp/big.csv" -o "$tmp/full/runs.h5" --table big ) \
  >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 4 ] || fail "import past the file-size limit: exit $rc, expected 4 ($(cat "$tmp/err"))"
grep -q "cannot write '.*full/runs.h5': File too large" "$tmp/err" || fail "file-size limit message: $(cat "$tmp/err")"
cmp -s "$tmp/full/runs.h5" "$tmp/before.h5" || fail "a failed write changed the run file"
[ "$(ls -A "$tmp/full")" = runs.h5 ] || fail "a failed write left $(ls -A "$tmp/full")"
# One run is "1 run", not "1 runs".
printf 'name,N,D,C,loss\nr1,1e6,2e7,1.2e14,3.1\n' >"$tmp/one.csv"
"$SCALEFIT" import "$tmp/one.csv" -o "$tmp/one.h5" >"$tmp/out" 2>/dev/null
grep -q "^imported 1 run into" "$tmp/out" || fail "one-run import summary: $(cat "$tmp/out")"
"$SCALEFIT" info "$tmp/one.h5" | grep -q "^table 'one' in '.*one.h5': 1 run$" || fail "one-run info: $("$SCALEFIT" info "$tmp/one.h5")"
# Combining files with --table where one column has two units: the refusal names the two inputs
# the units came from (it named the table being built, 'ab', which no file is called), the column
# and both units; the column's unit came from the second file here, not the first; an HDF5 input
# is named with its table. Nothing is written.
mkdir "$tmp/units"
printf 'run,N\nz,1e6\n' >"$tmp/units/Z.csv"
printf 'run,N,D,loss,acc\na,1e6,1e9,2,0.5\n' >"$tmp/units/A.csv"
printf 'run,N,D,loss,acc [fraction]\nb,1e6,1e9,2,0.5\n' >"$tmp/units/B2.csv"
rc=0; "$SCALEFIT" import "$tmp/units/Z.csv" "$tmp/units/A.csv" "$tmp/units/B2.csv" -o "$tmp/units/x.h5" --table ab \
  >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] || fail "unit clash: exit $rc ($(cat "$tmp/err"))"
grep -q "column 'acc' has no unit in '[^']*/A.csv' but unit 'fraction' in '[^']*/B2.csv'" "$tmp/err" ||
  fail "unit clash message: $(cat "$tmp/err")"
[ ! -e "$tmp/units/x.h5" ] || fail "unit clash wrote x.h5"
"$SCALEFIT" import "$tmp/units/B2.csv" -o "$tmp/units/b.h5" >/dev/null 2>&1
rc=0; "$SCALEFIT" import "$tmp/units/b.h5" "$tmp/units/A.csv" -o "$tmp/units/x.h5" --table ab >/dev/null 2>"$tmp/err" || rc=$?
[ "$rc" -eq 2 ] && grep -q "unit 'fraction' in '[^']*/b.h5' (table 'B2') but no unit in '[^']*/A.csv'" "$tmp/err" ||
  fail "unit clash from HDF5: $rc $(cat "$tmp/err")"
echo "store.sh: ok"
