# parallel.sh: commands run N at a time, each with its output in a log of its own; the logs are printed
# afterwards in the order the commands started, so that parallel output reads as a serial run's.
# Sourced by tests/run.sh (fuzz targets) and tests/valgrind.sh (its scripts).
#
#   par_start MAX LOG COMMAND...   waits until fewer than MAX jobs of this shell run, then starts
#                                  COMMAND (a program or a function) in the background into LOG
#   par_finish                     waits for every command started, prints their logs in order;
#                                  fails if any command failed
par_pids=()
par_logs=()

par_start() {
  local max=$1 log=$2
  shift 2
  while [ "$(jobs -rp | wc -l)" -ge "$max" ]; do wait -n; done
  "$@" >"$log" 2>&1 &
  par_pids+=($!)
  par_logs+=("$log")
}

par_finish() {
  local i rc=0
  for i in "${!par_pids[@]}"; do
    wait "${par_pids[$i]}" || rc=1
    cat "${par_logs[$i]}"
  done
  par_pids=()
  par_logs=()
  return $rc
}
