# forecast.sh: the forecast commands' paths under valgrind (sourced by tests/valgrind.sh; vg EXIT ARGS...).
FIT="$SF_SRC/tests/inputs/fit_epoch_cov.json"
vg 0 predict "$FIT" --at N=1e9,D=2e10 --at N=70e9,D=1.4e12 --json
vg 0 predict "$FIT" --at N=1e9,D=1 --grid D=1e9:1e12:5 -o "$tmp/p.json"
vg 0 predict "$SF_SRC/tests/inputs/fit_loss_of_c.json" --then "$SF_SRC/tests/inputs/fit_acc_of_loss.json" --at C=1e24
vg 0 optimal "$FIT" --compute 1e21:1e25:3 --numeric --gpu h100 --gpus 8 --price-per-hour 2
vg 0 optimal --published llama3_Dopt --compute 3.8e25 --gpu h100 --mfu 0.41 --gpus 16384 --json
vg 0 target "$FIT" --value 1.95 --gpu a100
vg 0 target "$FIT" --value 1.7
# met at 1e10 already: the search steps down below it, and stops where the law's minimiser fails
vg 0 target "$FIT" --value 50
vg 0 target --published kaplan2020_LND --value 50
# attention dearer than 1e10 FLOP a token: the search starts at 1000 tokens of it
vg 0 target "$FIT" --value 1.95 --attention 80:8192:8192
vg 1 optimal "$FIT" --compute 1e24 --gpu z9000
# repeated --compute add up; a repeat of an option naming one thing is refused
vg 0 optimal "$FIT" --compute 1e24 --compute 1e21:1e23:3 --json
vg 1 target "$FIT" --value 2 --value 1.9
vg 1 next "$FIT" --compute 1e24 --compute 1e25 --max-compute 1e20 --run-sd 0.02
# any option of one value given twice (the parser's rule); a flag twice is on
vg 1 optimal --published epoch2024_replication --compute 1e24 --gpu h100 --gpu a100
vg 1 fit "$SF_SRC/datasets/sweep_default.h5" --law power -o "$tmp/a.json" --output="$tmp/b.json"
vg 0 optimal "$FIT" --json --compute 1e24 --json
vg 1 optimal "$FIT" --compute 1e24 --gpu h100 --mfu 1.5
# --peak-flops, --peak-tflops's former name: one option with it (a repeat), and alone it works
vg 1 optimal "$FIT" --compute 1e24 --peak-tflops 300 --peak-flops 300
vg 0 optimal "$FIT" --compute 1e24 --peak-flops 300
# checked without a peak too; a good value alone only warns
vg 1 optimal "$FIT" --compute 1e24 --gpus 0
vg 1 target "$FIT" --value 2 --precision fp99
vg 0 predict "$FIT" --at N=1e9,D=2e10 --mfu 0.5 --precision fp16
vg 2 predict "$SF_SRC/tests/inputs/badmetric.csv" --at N=1
vg 1 predict "$FIT" --at C=1e25
# a budget that fails after a good one: the rows computed so far are freed, nothing printed
vg 3 optimal "$SF_SRC/tests/inputs/fit_own_sweep.json" --compute 1e13,1e300 --numeric
vg 0 predict "$SF_SRC/tests/inputs/fit_loss_of_c.json" --then "$SF_SRC/tests/inputs/fit_acc_of_loss.json" --at C=1e20 --at C=1e28 --json
vg 0 turn "$SF_SRC/datasets/models.csv" --y mmlu --bootstrap 5
vg 2 turn "$SF_SRC/datasets/models.csv" --y mmlu --max 0.5
# an inflection at the smallest runs (its own verdict), and a hold-out moved to keep a budget whole
vg 0 turn "$SF_SRC/datasets/models.csv" --x N --y mmlu --bootstrap 5
printf 'run,C,acc\na,1e20,0.26\nb,1e20,0.28\nc,1e20,0.3\nd,1e21,0.4\ne,1e21,0.42\nf,1e21,0.45\ng,1e22,0.7\nh,1e22,0.72\ni,1e22,0.75\n' > "$tmp/ties.csv"
vg 0 turn "$tmp/ties.csv" --y acc --bootstrap 5
# --where (sf_where_rows, sf_table_keep_rows): a selection, one that leaves too few, a bad expression and column
vg 0 turn "$SF_SRC/datasets/models.csv" --y mmlu --where 'C < 1e25' --bootstrap 5 --json
vg 2 turn "$SF_SRC/datasets/models.csv" --y mmlu --where 'C > 3e25'
vg 2 turn "$SF_SRC/datasets/models.csv" --y mmlu --where 'C <'
vg 2 turn "$SF_SRC/datasets/models.csv" --y mmlu --where 'Cx < 1'
# a law of C as the second stage of a loss: refused before any point is computed, both fits freed
vg 2 predict "$SF_SRC/tests/inputs/fit_loss_of_c.json" --then "$SF_SRC/tests/inputs/fit_loss_of_c.json" --at C=1e20
vg 0 predict "$FIT" --at N=1e9,D=1 --grid D=2e10:2e10:1
# next: greedy picks with costs, a law of C, and its refusals (no residual variance, a target inside the
# data, a published law without covariance, a largest budget below the data)
vg 0 next "$FIT" --compute 1e24 --max-compute 1e20 --run-sd 0.02 --count 3 --gpu h100 --json
vg 0 next "$SF_SRC/tests/inputs/fit_own_sweep.json" --compute 1e15 --max-compute 1e13 --rank total -o "$tmp/next.json"
vg 0 next "$SF_SRC/tests/inputs/fit_loss_of_c.json" --at C=1e25 --max-compute 1e22 --run-sd 0.01 --count 2
vg 2 next "$FIT" --compute 1e24 --max-compute 1e20
vg 1 next "$FIT" --at N=1e9,D=2e10 --max-compute 1e20 --run-sd 0.02
vg 2 next --published epoch2024_replication --compute 1e24 --max-compute 1e20
vg 1 next "$SF_SRC/tests/inputs/fit_loss_of_c.json" --at C=1e25 --max-compute 1e15 --run-sd 0.01
# too few runs: the error names the runs without a value (sf_turn_enough; sf_fit_table's where and skip lists)
vg 2 turn "$SF_SRC/datasets/models_rumoured.csv" --x C --y mmlu
vg 2 fit "$SF_SRC/datasets/models.csv" --law power --x C --y mmlu --where 'C > 3e24'
# bootstrap bands that leave out their own point estimate (six tiny runs do not identify chinchilla): warned
"$SCALEFIT" fit "$SF_SRC/tests/inputs/tiny_sweep.csv" --law chinchilla --bootstrap 8 --seed 1 -o "$tmp/tiny.json" > /dev/null 2>&1
vg 0 predict "$tmp/tiny.json" --at N=1e6,D=1e8 --json
vg 0 optimal "$tmp/tiny.json" --compute 1e15,1e18
vg 0 target "$tmp/tiny.json" --value 2 --json
# the floor of the search for a law of N and D (the optimum one parameter), and a delta band clipped there
"$SCALEFIT" fit "$SF_SRC/datasets/sweep_default.h5" --law chinchilla -o "$tmp/ch.json" > /dev/null 2>&1
vg 0 target "$tmp/ch.json" --value 200
vg 0 target "$tmp/ch.json" --value 20 --json
