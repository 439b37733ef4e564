#!/usr/bin/env bash
# readme_main_job.sh: what README's "The main job" quotes is what the main job prints. The two
# output blocks quoted there (the turn table of MMLU against compute, the Chinchilla fit of the
# shipped own sweep with its bootstrap intervals) are read from README.md at test time and must
# appear, line for line and in order, in the output of the commands examples/main-job.sh runs;
# and the figures its prose gives for `scalefit optimal` on that fit (N at 1e13 FLOP with its
# band, tokens per parameter at 1e13 and 1e12 FLOP) must be the printed ones, to the digits
# quoted. So a doc edit or an output change that makes them disagree fails here, not in a
# reader's terminal. Blank lines are ignored, and so is the bootstrap's timing ("(200 resamples,
# 15.4 s)"), which README leaves out.
set -u
: "${SCALEFIT:?}" "${SF_SRC:?}"
# The sanitizer stage has nothing to find here that the other tests of turn, fit and optimal
# would not (and 200 bootstrap refits are slow under it).
[ "${SF_SANITIZED:-0}" = 1 ] && { echo "skip: sanitizer build"; exit 77; }
. "$(dirname "$0")/lib/common.sh"
cd "$SF_SRC" || exit 1

# The fenced blocks of README's "The main job" section, one file each (block1, block2, ...),
# without the fence's own indentation (they sit in a numbered list) and without blank lines.
awk -v dir="$tmp" '
  /^## / { sec = ($0 == "## The main job") }
  !sec { next }
  /^ *```/ {
    if (!inb) { inb = 1; n++; match($0, /^ */); ind = RLENGTH } else inb = 0
    next
  }
  inb && NF { print substr($0, ind + 1) > (dir "/block" n) }
' README.md
[ -s "$tmp/block1" ] || { echo "FAIL: no fenced block under README's '## The main job'"; exit 1; }

# block_in QUOTED OUTPUT: QUOTED's lines appear consecutively in OUTPUT (blank lines dropped).
block_in() {
  awk 'NR == FNR { q[++nq] = $0; next }
       NF { o[++no] = $0 }
       END {
         for (s = 1; s + nq - 1 <= no; s++) {
           for (i = 1; i <= nq && o[s + i - 1] == q[i]; i++);
           if (i > nq) exit 0
         }
         exit 1
       }' "$1" "$2"
}
# which: the quoted block holding a line that matches ERE
which_block() {
  local f
  for f in "$tmp"/block*; do grep -qE -- "$1" "$f" && { echo "$f"; return; }; done
}

# ---- step 2: does MMLU's growth with compute turn into a sigmoid? (as examples/main-job.sh runs it)
q=$(which_block '^verdict: ')
if [ -z "$q" ]; then
  fail "README's main job quotes no turn output (a block with 'verdict: ')"
else
  "$SCALEFIT" turn datasets/models.csv --x C --y mmlu --chance 0.25 --max 1 >"$tmp/turn.out" 2>"$tmp/turn.err" ||
    fail "turn exited $?: $(cat "$tmp/turn.err")"
  block_in "$q" "$tmp/turn.out" || {
    fail "README's turn block is not what 'scalefit turn' prints"
    diff <(cat "$q") <(grep -v '^$' "$tmp/turn.out")
  }
fi

# ---- step 5: the own sweep's Chinchilla fit with 200 bootstrap refits, then its optimum
q=$(which_block '^ *param +value +stderr')
if [ -z "$q" ]; then
  fail "README's main job quotes no fit output (a block with 'param value stderr')"
else
  "$SCALEFIT" fit datasets/sweep_default.h5 --law chinchilla --bootstrap 200 -o "$tmp/own.json" \
    >"$tmp/fit.raw" 2>"$tmp/fit.err" || fail "fit exited $?: $(cat "$tmp/fit.err")"
  sed -E 's/\(([0-9]+ resamples), [0-9.]+ s\)/(\1)/' "$tmp/fit.raw" >"$tmp/fit.out"
  block_in "$q" "$tmp/fit.out" || {
    fail "README's fit block is not what 'scalefit fit' prints"
    diff <(cat "$q") <(grep -v '^$' "$tmp/fit.out")
  }
  # "puts the optimum at 1e13 FLOP at 174k parameters [105k, 236k] ..., with 55 tokens per
  # parameter", "(124 tokens per parameter at 1e12 FLOP, ...)"
  text=$(awk '/^## /{s = ($0 == "## The main job")} s' README.md | tr '\n' ' ' | tr -s ' ')
  n13=$(grep -oE 'optimum at 1e13 FLOP at [0-9.]+[kMB]? parameters \[[0-9.]+[kMB]?, [0-9.]+[kMB]?\]' <<<"$text")
  t13=$(grep -oE 'with [0-9.]+ tokens per parameter' <<<"$text" | head -1 | awk '{print $2}')
  t12=$(grep -oE '\([0-9.]+ tokens per parameter at 1e12 FLOP' <<<"$text" | head -1 | tr -d '(' | awk '{print $1}')
  [ -n "$n13" ] && [ -n "$t13" ] && [ -n "$t12" ] ||
    fail "README's main job no longer gives N, its band and tokens per parameter at 1e13 and 1e12 FLOP as this test reads them"
  "$SCALEFIT" optimal "$tmp/own.json" --compute 1e12,1e13 >"$tmp/opt.out" 2>"$tmp/opt.err" ||
    fail "optimal exited $?: $(cat "$tmp/opt.err")"
  # rows: C N D tokens/param [lo, hi] loss [Nlo, Nhi] beyond
  row13=$(awk '$1 == "1.00e+13"' "$tmp/opt.out")
  row12=$(awk '$1 == "1.00e+12"' "$tmp/opt.out")
  read -r N lo hi <<<"$(sed -E 's/.*at ([^ ]+) parameters \[([^,]+), ([^]]+)\].*/\1 \2 \3/' <<<"$n13")"
  [ "$(awk '{print $2}' <<<"$row13")" = "$N" ] || fail "README: N at 1e13 FLOP $N; optimal prints: $row13"
  grep -qF "[$lo, $hi]" <<<"$row13" || fail "README: N band [$lo, $hi] at 1e13 FLOP; optimal prints: $row13"
  # tokens per parameter, quoted to the digits README gives (55 for 55.31)
  same_to_digits() { awk -v q="$1" -v v="$2" 'BEGIN { d = index(q, ".") ? length(q) - index(q, ".") : 0
                                                     exit !(sprintf("%." d "f", v) + 0 == q + 0) }'; }
  same_to_digits "$t13" "$(awk '{print $4}' <<<"$row13")" ||
    fail "README: $t13 tokens per parameter at 1e13 FLOP; optimal prints: $row13"
  same_to_digits "$t12" "$(awk '{print $4}' <<<"$row12")" ||
    fail "README: $t12 tokens per parameter at 1e12 FLOP; optimal prints: $row12"
fi

[ "$fails" = 0 ] || { echo "$fails checks failed"; exit 1; }
echo "README's main-job blocks match the output"
