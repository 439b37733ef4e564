#!/usr/bin/env bash
# The main job of README's Quick start: scalefit over the data it ships (datasets/).
#   1. what the published-models table holds                        (scalefit info)
#   2. does MMLU's growth with training compute turn into a sigmoid?   (scalefit turn)
#   3. compute-optimal N, D and the cost of three budgets, from Epoch AI's
#      replication of Chinchilla's Approach 3                         (scalefit optimal)
#   4. charts under plots/                                            (scalefit plot)
#   5. scalefit's own runs: the shipped default sweep (datasets/sweep_default.h5, made by the
#      trainer on Python's documentation): L(N, D) fitted and its compute-optimal allocation
#                                                                      (scalefit fit, optimal, plot)
#   6. every report spec in examples/ into reports/                   (scalefit report)
# Run from anywhere; SCALEFIT overrides the binary (default: build/scalefit of this tree).
set -euo pipefail
cd "$(dirname "$0")/.."
sf=${SCALEFIT:-build/scalefit}
[ -x "$sf" ] || { echo "main-job: $sf not found: build first (cmake -S . -B build && cmake --build build)" >&2; exit 1; }
mkdir -p plots

echo "== 1. the shipped published models"
"$sf" info datasets/models.csv

echo
echo "== 2. MMLU against training compute: growth law or sigmoid?"
"$sf" turn datasets/models.csv --x C --y mmlu --chance 0.25 --max 1

echo
echo "== 3. compute-optimal allocation (Epoch AI's refit of Chinchilla) and cost on 16,384 H100 at 40% MFU"
"$sf" optimal --published epoch2024_replication --compute 8.4e23,6.3e24,3.8e25 \
  --gpu h100 --mfu 0.4 --gpus 16384 --price-per-hour 2.5

echo
echo "== 4. charts"
"$sf" plot turn datasets/models.csv --y mmlu --chance 0.25 -o plots/mmlu-turn.svg
"$sf" plot scaling datasets/models.csv --x C --y mmlu --linear-y -o plots/mmlu-vs-compute.svg

echo
echo "== 5. own runs: 15 small GPTs trained by 'scalefit sweep --preset default' on Python's documentation"
"$sf" fit datasets/sweep_default.h5 --law chinchilla --bootstrap 200 -o plots/own-chinchilla.json
"$sf" optimal plots/own-chinchilla.json --compute 1e13,1e14,1e15
"$sf" plot isoflop datasets/sweep_default.h5 -o plots/own-isoflop.svg

echo
echo "== 6. reports"
"$sf" report examples/*.ini -o reports -j 2
echo
echo "main job done: charts in plots/, reports in reports/ (open reports/index.html)"
