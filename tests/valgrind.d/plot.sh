# plot.sh (sourced by tests/valgrind.sh): the plot command's paths under valgrind: a chart of
# each kind that needs only data, and failures before and after gnuplot runs.
if command -v gnuplot >/dev/null 2>&1 && [ -f "${SF_SHARED:-}/chinchilla_svg_extracted.csv" ]; then
  vg 0 plot scaling "$SF_SHARED/chinchilla_svg_extracted.csv" --color-by N --script -o "$tmp/vg.svg"
  vg 0 plot scaling "$SF_SRC/datasets/models.csv" --y mmlu --linear-y -o "$tmp/vg.png"
  vg 0 plot curves "$SF_SRC/tests/inputs/curves.h5" -o "$tmp/vgc.png"
  vg 2 plot scaling "$SF_SHARED/chinchilla_svg_extracted.csv" --y nope -o "$tmp/vg.png"
  vg 4 plot scaling "$SF_SHARED/chinchilla_svg_extracted.csv" -o "$tmp/no/such/dir.png"
fi
vg 1 plot scatter x.csv
# the runs a chart leaves out, named (sf_chart_left_out): scaling, turn
if command -v gnuplot >/dev/null 2>&1; then
  vg 0 plot scaling "$SF_SRC/datasets/models.csv" --x C --y mmlu -o "$tmp/vg_left.svg"
  vg 0 plot turn "$SF_SRC/datasets/models.csv" --x C --y mmlu -o "$tmp/vg_turn.svg"
  # --where without a fit: the rows kept (curves too), one that keeps none, --where beside a saved fit
  vg 0 plot curves "$SF_SRC/tests/inputs/curves.h5" --where 'N > 2e6' -o "$tmp/vgcw.png"
  vg 0 plot scaling "$SF_SRC/datasets/models.csv" --y mmlu --where 'C < 1e25' -o "$tmp/vg_where.svg"
  vg 2 plot scaling "$SF_SRC/datasets/models.csv" --y mmlu --where 'C > 1e30' -o "$tmp/vg_where.svg"
  vg 1 plot scaling "$SF_SRC/datasets/models.csv" --fit "$SF_SRC/tests/inputs/fit_loss_of_c.json" --where 'C < 1' -o "$tmp/vg_where.svg"
fi
# a saved fit's --where re-selected by the library's call: the runs it excluded drawn, and a where
# naming a column the plotted data lack (refused, with the near name)
if command -v gnuplot >/dev/null 2>&1; then
  "$SCALEFIT" fit "$SF_SRC/datasets/models.csv" --law power --y mmlu --where 'C < 1e24' -o "$tmp/vg_fw.json" >/dev/null 2>&1
  vg 0 plot scaling "$SF_SRC/datasets/models.csv" --fit "$tmp/vg_fw.json" -o "$tmp/vg_fw.svg"
  printf 'run,Cx,mmlu\na,1e20,0.3\nb,1e21,0.4\n' > "$tmp/vg_fw.csv"
  vg 2 plot scaling "$tmp/vg_fw.csv" --fit "$tmp/vg_fw.json" -o "$tmp/vg_fw.svg"
fi
