# store.sh (sourced by tests/valgrind.sh): the run store's CLI paths under valgrind, good files
# and bad ones (each error path must free what it took). Uses vg, $tmp, $SF_SRC, $SF_SHARED.
inputs="$SF_SRC/tests/inputs"
vg 0 import "$inputs/valid_mixed.csv" "$inputs/bom_crlf.csv" -o "$tmp/runs.h5"
vg 0 import "$inputs/valid_mixed.csv" -o "$tmp/runs.h5" --table again --family F --source S
vg 0 import "$inputs/valid_mixed.csv" -o "$tmp/runs.h5" --table again --replace
vg 2 import "$inputs/valid_mixed.csv" -o "$tmp/runs.h5"
vg 0 import "$tmp/runs.h5" -o "$tmp/copy.h5"
vg 0 info "$tmp/runs.h5"
vg 0 info "$tmp/runs.h5" --json
vg 0 info "$inputs/valid_mixed.csv"
vg 2 info "$tmp/runs.h5" --table nope
vg 0 export "$tmp/runs.h5" --table bom_crlf
vg 0 export "$tmp/runs.h5" --table again -o "$tmp/again.csv"
vg 2 export "$tmp/runs.h5"
vg 4 import "$inputs/valid_mixed.csv" -o "$tmp/no-such-dir/x.h5"
for bad in ragged nonnumeric nan inf negative zero dupheader dupalias emptyheader empty headeronly unclosed \
  overflow badmetric latin1; do
  vg 2 import "$inputs/$bad.csv" -o "$tmp/bad.h5"
done
# two BOMs (an error naming the header); --table over files whose column has two units
printf '\357\273\277\357\273\277run,N\na,1e6\n' >"$tmp/bom2.csv"
vg 2 info "$tmp/bom2.csv"
printf 'run,N,acc\na,1e6,0.5\n' >"$tmp/A.csv"
printf 'run,N,acc [fraction]\nb,1e6,0.5\n' >"$tmp/B2.csv"
vg 0 import "$tmp/A.csv" "$tmp/A.csv" -o "$tmp/ab.h5" --table ab
vg 2 import "$tmp/A.csv" "$tmp/B2.csv" -o "$tmp/ab.h5" --table ab --replace
vg 2 import "$tmp/ab.h5" "$tmp/B2.csv" -o "$tmp/ab2.h5" --table ab
printf 'not hdf5\n' >"$tmp/junk.h5"
vg 2 info "$tmp/junk.h5"
head -c 2000 "$tmp/runs.h5" >"$tmp/trunc.h5"
vg 2 info "$tmp/trunc.h5"
if [ -r "${SF_SHARED:-}/chinchilla_svg_extracted.csv" ]; then
  vg 0 import "$SF_SHARED/chinchilla_svg_extracted.csv" -o "$tmp/c.h5"
  vg 0 info "$tmp/c.h5"
  vg 0 export "$tmp/c.h5" -o "$tmp/c.csv"
fi
