#!/usr/bin/env python3
"""ncu_table.py: Nsight Compute's CSV (--csv --print-units base) as a table per kernel, for
bench/gpu_validate.sh's profile stage.

  ncu_table.py time LOG STEPS COUNT_FILE   gpu__time_duration.sum of every launch over STEPS identical
                                           steps: ms per step, share, launches per step, largest first;
                                           writes "LAUNCHES LAUNCHES_PER_STEP" to COUNT_FILE
  ncu_table.py sol LOG                     one step's launches with DRAM bytes and speed of light
                                           (gpu__compute_memory_throughput, sm__throughput, % of peak
                                           sustained): ms, DRAM GB and GB/s, memory % and SM %
                                           (time-weighted over a kernel's launches), largest first
"""
import collections
import csv
import sys

TIME = "gpu__time_duration.sum"
READ, WRITE = "dram__bytes_read.sum", "dram__bytes_write.sum"
MEM = "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed"
SM = "sm__throughput.avg.pct_of_peak_sustained_elapsed"


def rows(path):
    """the CSV's rows (ncu prints its own lines, and the program's, around them)"""
    with open(path, errors="replace") as f:
        return list(csv.DictReader(line for line in f if line.startswith('"')))


def value(r):
    return float(r["Metric Value"].replace(",", ""))


def name(r):
    return r["Kernel Name"].split("(")[0][:90]  # without the parameter list


def launches(path):
    """[(kernel name, {metric: value})] in launch order: rows grouped by ncu's launch ID, or where a
    CSV lacks that column, a new launch wherever the kernel changes or a metric comes again"""
    out, ids = [], {}
    for r in rows(path):
        if "Metric Name" not in r or "Kernel Name" not in r:
            continue
        k, metric = r.get("ID"), r["Metric Name"]
        if k is not None:
            if k not in ids:
                ids[k] = len(out)
                out.append((name(r), {}))
            launch = out[ids[k]]
        else:
            if not out or out[-1][0] != name(r) or metric in out[-1][1]:
                out.append((name(r), {}))
            launch = out[-1]
        launch[1][metric] = value(r)
    return out


def time_table(path, steps, count_file):
    ls = [v for v in launches(path) if TIME in v[1]]
    agg = collections.defaultdict(lambda: [0, 0.0])
    for kname, m in ls:
        agg[kname][0] += 1
        agg[kname][1] += m[TIME] / 1e6  # ns -> ms
    total = sum(v[1] for v in agg.values())
    with open(count_file, "w") as f:
        f.write(f"{len(ls)} {len(ls) // steps}\n")
    if not ls:
        print("\nprofile: no kernel timed")
        return
    print(f"\nprofile: {len(ls) // steps} kernels, {total / steps:.2f} ms a step (kernels serialised)")
    print(f"{'ms/step':>9} {'share':>6} {'calls':>6}  kernel")
    for k, (n, t) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
        print(f"{t / steps:9.3f} {100 * t / total:5.1f}% {n // steps:6d}  {k}")


def sol_table(path):
    ls = launches(path)
    agg = collections.defaultdict(lambda: [0, 0.0, 0.0, 0.0, 0.0])  # calls, ms, bytes, ms*mem%, ms*sm%
    for kname, m in ls:
        t = m.get(TIME, 0.0) / 1e6
        a = agg[kname]
        a[0] += 1
        a[1] += t
        a[2] += m.get(READ, 0.0) + m.get(WRITE, 0.0)
        a[3] += t * m.get(MEM, 0.0)
        a[4] += t * m.get(SM, 0.0)
    total = sum(a[1] for a in agg.values())
    if not ls or total <= 0:
        print("\nspeed of light: no kernel measured")
        return
    gb = sum(a[2] for a in agg.values()) / 1e9
    print(f"\nspeed of light, one step: {len(ls)} launches, {total:.2f} ms, {gb:.2f} GB through DRAM "
          f"({gb / total * 1e3:.0f} GB/s over the step)")
    print(f"{'ms':>8} {'DRAM GB':>8} {'GB/s':>7} {'mem %':>6} {'SM %':>6} {'calls':>6}  kernel")
    for k, (n, t, b, tm, ts) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
        bw = b / 1e9 / (t / 1e3) if t > 0 else 0.0
        print(f"{t:8.3f} {b / 1e9:8.3f} {bw:7.0f} {tm / t if t else 0:6.1f} {ts / t if t else 0:6.1f} {n:6d}  {k}")


def main(argv):
    if len(argv) == 5 and argv[1] == "time":
        time_table(argv[2], int(argv[3]), argv[4])
    elif len(argv) == 3 and argv[1] == "sol":
        sol_table(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
