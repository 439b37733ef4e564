#!/usr/bin/env bash
# h5py.sh: files written by scalefit read correctly in Python (h5py, numpy, pandas) using only
# docs/FORMAT.md: the numbers equal the CSV's, units and sources are where the document says, the
# code blocks of FORMAT.md run as printed; and a file written by h5py (fixed-length strings,
# curves) reads in scalefit and survives a copy through scalefit's writer.
set -eu
: "${SCALEFIT:?path to the scalefit binary}" "${SF_INPUTS:?tests/inputs}" "${SF_SRC:?source root}"
. "$(dirname "$0")/lib/common.sh"
if ! "$py" -c 'import h5py, numpy' 2>/dev/null; then
  echo "h5py.sh: $py cannot import h5py and numpy (apt-get install python3-h5py); skipped" >&2
  exit 77
fi

chin=${SF_SHARED:-}/chinchilla_svg_extracted.csv
inputs=("$SF_INPUTS/valid_mixed.csv" "$SF_INPUTS/bom_crlf.csv")
[ -r "$chin" ] && inputs+=("$chin")
"$SCALEFIT" import "${inputs[@]}" -o "$tmp/runs.h5" >/dev/null 2>&1

"$py" - "$tmp/runs.h5" "$SF_SRC/docs/FORMAT.md" "${inputs[@]}" <<'PY'
import csv, math, os, re, sys
import h5py, numpy as np

h5, fmt_md, csvs = sys.argv[1], sys.argv[2], sys.argv[3:]
doc = open(fmt_md, encoding="utf-8").read()
blocks = re.findall(r"<!-- tested by tests/e2e/h5py.sh[^>]*-->\s*```python\n(.*?)```", doc, re.S)
assert len(blocks) == 2, f"expected 2 tested blocks in FORMAT.md, found {len(blocks)}"
try:
    import pandas  # noqa: F401
    have_pandas = True
except ImportError:
    have_pandas = False
    print("h5py.sh: note: pandas missing (apt-get install python3-pandas); pandas block not run", file=sys.stderr)

def close(a, b):
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) <= 1e-12 * max(abs(a), abs(b))

# Independent reading of the CSVs: only the headers these files use.
def expected(path):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    def num(row, *keys):
        for k, scale in keys:
            if k in row:
                return float(row[k]) * scale if row[k].strip() else math.nan
        return math.nan
    out = []
    for row in rows:
        N = num(row, ("N", 1), ("Model Size", 1), ("Params", 1), ("Model Size (B)", 1e9))
        D = num(row, ("Tokens", 1), ("Pretraining Data Size (T)", 1e12))
        C = num(row, ("Training FLOP", 1))
        loss = num(row, ("loss", 1), ("Final Loss", 1))
        if math.isnan(C) and not math.isnan(D): C = 6 * N * D
        if math.isnan(D) and not math.isnan(C): D = C / (6 * N)
        out.append(dict(N=N, D=D, C=C, loss=loss, run=row.get("Run", row.get("Model", ""))))
    return out

with h5py.File(h5, "r") as f:
    assert f.attrs["format"] == b"scalefit-runs" and f.attrs["format_version"] == 1
    tables = list(f["tables"])
# The block on a run file the trainer wrote: its curves hold val_loss and train_loss, no loss.
ns = {"path": os.path.join(os.path.dirname(fmt_md), "..", "datasets", "sweep_default.h5"), "table": "runs"}
exec(blocks[1], ns)
assert len(ns["curve"]) == len(ns["N"]) == 15 and ns["ycol"] == "val_loss", ns.get("ycol")
assert all(len(c) > 1 for c in ns["curve"]) and sum(map(len, ns["curve"])) == 1532
for path in csvs:
    table = re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.splitext(os.path.basename(path))[0])
    assert table in tables, (table, tables)
    ns = {"path": h5, "table": table}
    exec(blocks[1], ns)                                   # the h5py/numpy block, as printed
    want = expected(path)
    assert len(ns["N"]) == len(want)
    assert ns["units"]["N"] == "parameters" and ns["units"]["D"] == "tokens"
    assert ns["units"]["C"] == "FLOP" and ns["units"]["loss"] == "nats/token", ns["units"]
    with h5py.File(h5, "r") as f:
        g = f[f"tables/{table}"]
        cols = {k: g["columns"][k][()] for k in ("N", "D", "C", "loss") if k in g["columns"]}
        src = g["columns/source"].asstr()[()]
        assert g.attrs["nrows"] == len(want)
        assert g.attrs["created_by"].decode().startswith("scalefit ")
        assert all(s == os.path.basename(path) for s in src), set(src)
        if "derived" in g:
            for k in g["derived"]:
                flags = g["derived"][k][()]
                assert flags.dtype == np.uint8 and len(flags) == len(want)
    for i, w in enumerate(want):
        for k in ("N", "D", "C", "loss"):
            got = cols[k][i] if k in cols else math.nan
            assert close(got, w[k]), (path, i, k, got, w[k])
        assert ns["runs"][i] == w["run"], (ns["runs"][i], w["run"])
    if have_pandas:
        exec(blocks[0], ns)                               # the pandas one-liner, as printed
        df = ns["df"]
        assert len(df) == len(want) and list(df.columns[:4]) == ["run", "family", "source", "notes"]
        assert all(close(a, w["N"]) for a, w in zip(df["N"], want))
        assert isinstance(df["run"][0], str)
    print(f"h5py.sh: {table}: {len(want)} runs match the CSV")

# A file written by h5py the way a Python user would, with curves.
py_file = os.path.join(os.path.dirname(h5), "py.h5")
with h5py.File(py_file, "w") as f:
    f.attrs["format"] = "scalefit-runs"
    f.attrs["format_version"] = 1
    g = f.create_group("tables/pysweep")
    c = g.create_group("columns")
    c["run"] = np.array([b"a", b"bb", b"ccc"])           # fixed-length bytes
    c["N"] = np.array([1e6, 2e6, 4e6]); c["N"].attrs["units"] = "parameters"
    c["D"] = np.array([2e7, 4e7, 8e7])
    c["loss"] = np.array([4.0, 3.5, np.nan])
    c["acc"] = np.array([1, 2, 3], dtype=np.int32)
    cv = g.create_group("curves")
    cv["offsets"] = np.array([0, 2, 2, 5], dtype=np.int64)
    cv["step"] = np.arange(5, dtype=np.float64)
    cv["loss"] = np.array([5.0, 4.0, 6.0, 5.5, 5.25]); cv["loss"].attrs["units"] = "nats/token"
PY

# scalefit reads the h5py file and copies it through its own writer, curves included.
"$SCALEFIT" info "$tmp/py.h5" --json >"$tmp/info.json"
grep -q '"runs": *2' "$tmp/info.json" || { echo "FAIL: curves runs: $(cat "$tmp/info.json")" >&2; exit 1; }
grep -q '"points": *5' "$tmp/info.json" || { echo "FAIL: curves points" >&2; exit 1; }
"$SCALEFIT" import "$tmp/py.h5" -o "$tmp/copy.h5" >/dev/null 2>&1
"$py" - "$tmp/copy.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    g = f["tables/pysweep"]
    # h5py did not track creation order, so scalefit read the columns in name order
    assert list(g["columns"]) == ["run", "family", "source", "notes", "D", "N", "acc", "loss", "C"], list(g["columns"])
    assert list(g["columns/run"].asstr()[()]) == ["a", "bb", "ccc"]
    assert np.array_equal(g["columns/C"][()], 6 * np.array([1e6, 2e6, 4e6]) * np.array([2e7, 4e7, 8e7]))
    assert list(g["derived/C"][()]) == [1, 1, 1] and "D" not in g["derived"]
    assert np.isnan(g["columns/loss"][2])
    assert list(g["curves/offsets"][()]) == [0, 2, 2, 5]
    assert list(g["curves"]) == ["offsets", "loss", "step"]
    assert np.array_equal(g["curves/loss"][()], [5.0, 4.0, 6.0, 5.5, 5.25])
    assert g["curves/loss"].attrs["units"] == b"nats/token" and g["curves/step"].attrs["units"] == b""
print("h5py.sh: h5py-written file with curves reads and copies intact")
PY
# Files a Python user writes, in the many ways h5py allows: each either reads with exactly the
# values written (checked through 'scalefit export' and pandas) or fails with exit 2 and a message
# naming the file, the dataset and what was expected. Never a crash, a hang or "out of memory".
"$py" - "$SCALEFIT" "$tmp" <<'PY'
import io, math, os, re, subprocess, sys, time
import h5py, numpy as np
sf, tmp = sys.argv[1], sys.argv[2]
d = os.path.join(tmp, "variants"); os.makedirs(d)
N = np.array([1e6, 2e6, 4e6]); D = np.array([2e7, 4e7, 8e7]); L = np.array([4.0, 3.5, np.nan])

def new(name, **kw):
    f = h5py.File(os.path.join(d, name), "w", **kw)
    f.attrs["format"] = "scalefit-runs"; f.attrs["format_version"] = 1
    return f

def std(c, **kw):
    c.create_dataset("run", data=np.array([b"a", b"bb", b"ccc"]), **kw)
    for k, v in (("N", N), ("D", D), ("loss", L)): c.create_dataset(k, data=v, **kw)

def run(*args, env=None, cwd=None):
    t0 = time.time()
    p = subprocess.run([sf, *args], capture_output=True, text=True, timeout=60, env=env, cwd=cwd)
    assert time.time() - t0 < 30, (args, "slow")
    return p

def export(name, cwd=None):
    p = run("export", os.path.join(d, name) if cwd is None else name, cwd=cwd)
    return p.returncode, p.stdout, p.stderr

def ok(name, cwd=None, **want):
    """Reads, and each column in want comes back bit for bit (NaN as empty)."""
    rc, out, err = export(name, cwd)
    assert rc == 0, (name, rc, err)
    import csv
    rows = list(csv.DictReader(io.StringIO(out)))
    for col, vals in want.items():
        got = [r[col] for r in rows]
        if isinstance(vals[0], str):
            assert got == list(vals), (name, col, got, vals)
        else:
            got = np.array([float(g) if g else np.nan for g in got])
            ref = np.asarray(vals, dtype=np.float64)          # numpy's own widening
            assert np.array_equal(got, ref, equal_nan=True), (name, col, got, ref)
    return rows

def bad(name, *needles, cwd=None):
    rc, out, err = export(name, cwd)
    assert rc == 2 and out == "", (name, rc, out, err)
    assert err.startswith("scalefit: error: ") and name in err, (name, err)
    for s in needles: assert s in err, (name, s, err)
    assert "out of memory" not in err and err.count("\n") == 1, (name, err)

# column names that the CSV header rule reads otherwise: export refuses them, naming the column and what
# its header would become ('Notes' came back from the CSV as the notes text, 'size (B)' as N times 1e9,
# 'Acc' beside 'acc' made a CSV that import refused); a name that only changes spelling is written
for name, extra, needle in (("notes_num", {"Notes": [1., 2., 3.]}, "'Notes' would read back as the text field 'notes'"),
                            ("scaled", {"size (B)": [1., 2., 3.]}, "'size (B)' would read back scaled, as 'N'"),
                            ("alias", {"val_loss": [1., 2., 3.]}, "'val_loss' would read back as the column 'loss'"),
                            ("cases", {"Acc": [1., 2., 3.], "acc": [4., 5., 6.]}, "columns 'Acc' and 'acc' cannot both")):
    with new(f"{name}.h5", track_order=True) as f:
        c = f.create_group("tables/t/columns", track_order=True); std(c)
        for k, v in extra.items(): c[k] = np.array(v)
    bad(f"{name}.h5", needle)
with new("spelling.h5", track_order=True) as f:
    c = f.create_group("tables/t/columns", track_order=True); std(c); c["Acc"] = np.array([1., 2., 3.])
ok("spelling.h5", Acc=[1., 2., 3.])

# numeric types: read exactly as numpy widens them
for dt in ("int8", "int32", "int64", "uint64", "float16", "float32", ">f8", ">i4"):
    vals = np.array([1.1, -2.5, 3.75]) if dt[-2] in "atf" or dt.startswith("float") else np.array([7, -5, 2**31 - 1])
    if dt.startswith("u"): vals = np.array([0, 5, 2**40])
    with new(f"t_{dt}.h5") as f:
        c = f.create_group("tables/t/columns"); std(c); c["m"] = vals.astype(dt)
    ok(f"t_{dt}.h5", m=vals.astype(dt).astype(np.float64), N=N, loss=L)
with new("int64big.h5") as f:                       # beyond 2^53: the nearest float64
    c = f.create_group("tables/t/columns"); std(c); c["m"] = np.array([2**53 + 1, -3, 0], dtype=np.int64)
ok("int64big.h5", m=np.array([2**53 + 1, -3, 0], dtype=np.int64).astype(np.float64))
# storage: chunked, gzip, shuffle + fletcher32, scaleoffset, resizable, big-endian, userblock, latest format
for name, kw in (("gzip", dict(compression="gzip", chunks=(2,))), ("shuffle", dict(shuffle=True, fletcher32=True, chunks=(1,))),
                 ("resizable", dict(maxshape=(None,), chunks=True))):
    with new(f"s_{name}.h5") as f: std(f.create_group("tables/t/columns"), **kw)
    ok(f"s_{name}.h5", run=["a", "bb", "ccc"], N=N, D=D, loss=L)
with new("s_latest.h5", libver="latest") as f:
    c = f.create_group("tables/t/columns", track_order=True); c["z"] = np.arange(3.0); std(c)
assert list(ok("s_latest.h5", z=[0, 1, 2], N=N)[0])[:2] == ["run", "z"]     # creation order kept
with h5py.File(os.path.join(d, "s_userblock.h5"), "w", userblock_size=512) as f:
    f.attrs["format"] = "scalefit-runs"; f.attrs["format_version"] = np.int32(1); std(f.create_group("tables/t/columns"))
ok("s_userblock.h5", N=N, loss=L)
# lzf (h5py's own filter, not in libhdf5): named in the message, with what to do
with new("lzf.h5") as f:
    c = f.create_group("tables/t/columns"); std(c); c.create_dataset("m", data=np.arange(300.0), compression="lzf")
    del c["N"], c["D"], c["loss"], c["run"]; c["N"] = np.full(300, 1e6); c["D"] = np.full(300, 1e7)
bad("lzf.h5", "dataset '/tables/t/columns/m'", "lzf filter", "gzip")
# strings: variable-length str, fixed-length UTF-8, ASCII, space-padded; attributes as bytes or str
with new("vlen.h5") as f:
    c = f.create_group("tables/t/columns"); std(c); del c["run"]
    c["run"] = ["a", "Qwen·2 ü", ""]; c["family"] = np.array(["x", "y", "z"], dtype=h5py.string_dtype("ascii"))
ok("vlen.h5", run=["a", "Qwen·2 ü", ""], family=["x", "y", "z"])
with new("fixed_utf8.h5") as f:
    c = f.create_group("tables/t/columns"); std(c); del c["run"]
    ds = c.create_dataset("run", shape=(3,), dtype=h5py.string_dtype("utf-8", 12))
    ds.id.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([s.encode() for s in ("a", "Qwen·2", "ccc")], dtype="S12"), mtype=ds.id.get_type())
    tid = h5py.h5t.C_S1.copy(); tid.set_size(4); tid.set_strpad(h5py.h5t.STR_SPACEPAD)
    sp = h5py.h5d.create(c.id, b"notes", tid, h5py.h5s.create_simple((3,)))
    sp.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([b"x   ", b"yy  ", b"zzzz"], dtype="S4"), mtype=tid)
ok("fixed_utf8.h5", run=["a", "Qwen·2", "ccc"], notes=["x", "yy", "zzzz"])
with h5py.File(os.path.join(d, "attrs.h5"), "w") as f:
    f.attrs["format"] = np.bytes_(b"scalefit-runs"); f.attrs["format_version"] = np.uint8(1)
    g = f.create_group("tables/t"); g.attrs["description"] = "Qwen·2 runs"; g.attrs["nrows"] = np.int32(3)
    g.attrs["unknown"] = 1.5; c = g.create_group("columns"); std(c)
    c["N"].attrs["units"] = np.bytes_(b"parameters"); c["loss"].attrs["units"] = "nats/token"
    c["m"] = np.array([1.0, 2, 3]); c["m"].attrs["units"] = "µs"; c["m"].attrs["long_name"] = "extra"
    f.create_group("other").create_dataset("x", data=[1, 2])      # unknown groups are ignored
    g.create_dataset("weird", data=[1]); c.create_group("sub")
ok("attrs.h5", **{"m [µs]": [1, 2, 3], "N": N})
p = run("info", os.path.join(d, "attrs.h5"))
assert p.returncode == 0 and "Qwen·2 runs" in p.stdout and "µs" in p.stdout, p
with h5py.File(os.path.join(d, "noversion.h5"), "w") as f:
    f.attrs["format"] = "scalefit-runs"; std(f.create_group("tables/t/columns"))
bad("noversion.h5", "'format_version' on '/' is missing")
# units of the fixed columns must be theirs: loss in bits was read as nats
with new("bits.h5") as f:
    c = f.create_group("tables/t/columns"); std(c); c["loss"].attrs["units"] = "bits"
bad("bits.h5", "dataset '/tables/t/columns/loss' has units 'bits', expected 'nats/token'")
# all NaN, empty table, missing optional text fields
with new("allnan.h5") as f:
    c = f.create_group("tables/t/columns"); std(c); c["m"] = np.full(3, np.nan)
ok("allnan.h5", m=[np.nan] * 3)
with new("empty.h5") as f:
    c = f.create_group("tables/t/columns"); c["N"] = np.zeros(0); c["run"] = np.zeros(0, "S1")
rc, out, err = export("empty.h5"); assert rc == 0 and out == "run,N\n", (out, err)
# a column as a 2-D dataset with one side 1: pandas' df[["loss"]].values is (n, 1); (1, n) reads too
with new("column2d.h5") as f:
    g = f.create_group("tables/t"); c = g.create_group("columns")
    c["run"] = np.array([[b"a"], [b"bb"], [b"ccc"]]); c["N"] = N.reshape(3, 1); c["D"] = D.astype(np.int64).reshape(1, 3)
    c["loss"] = L.reshape(3, 1); g["derived/D"] = np.array([[0], [1], [0]], np.uint8)
    cv = g.create_group("curves"); cv["offsets"] = np.array([[0], [2], [2], [3]]); cv["step"] = np.arange(3.0).reshape(1, 3)
ok("column2d.h5", run=["a", "bb", "ccc"], N=N.reshape(3, 1)[:, 0], D=D.astype(np.int64).reshape(1, 3)[0],
   loss=L.reshape(3, 1)[:, 0], derived=["C", "D;C", "C"])
p = run("info", os.path.join(d, "column2d.h5"), "--json")
assert p.returncode == 0 and re.search(r'"points": *3\b', p.stdout), (p.stdout, p.stderr)
# shapes: scalar, two columns in one dataset, a length that differs
for name, val, needle in (("scalar.h5", 5.0, "has 0 dimensions, expected 1"),
                          ("twod.h5", np.ones((3, 2)), "has shape (3, 2), expected a single column"),
                          ("threed.h5", np.ones((3, 1, 1)), "has shape (3, 1, 1)"),
                          ("long.h5", np.ones(4), "has 4 values, expected 3 (one per run)")):
    with new(name) as f:
        c = f.create_group("tables/t/columns"); std(c); c["m"] = val
    bad(name, "dataset '/tables/t/columns/m'", needle)
# bools (h5py: an enum FALSE/TRUE): a metric or a derived flag reads as 0/1, as numpy converts them;
# N, D, C, loss and curve offsets cannot be bools and say so
B = np.array([True, False, True])
with new("bool.h5") as f:
    g = f.create_group("tables/t"); c = g.create_group("columns"); std(c); c["m"] = B; g["derived/D"] = ~B
    cv = g.create_group("curves"); cv["offsets"] = np.array([0, 1, 1, 3]); cv["eval"] = B
ok("bool.h5", m=B, D=D, derived=["C", "D;C", "C"])
p = run("info", os.path.join(d, "bool.h5"), "--json")
assert p.returncode == 0, p.stderr
for name, where, needle in (("bool_N.h5", "columns/N", "N must be a positive number in parameters"),
                            ("bool_loss.h5", "columns/loss", "loss must be a positive number in nats/token"),
                            ("bool_offsets.h5", "curves/offsets", "expected whole numbers")):
    with new(name) as f:
        g = f.create_group("tables/t"); std(g.create_group("columns"))
        if where == "curves/offsets": g["curves/step"] = np.arange(3.0)
        else: del g[where]
        g[where] = np.array([True, True, True, True][: 4 if "offsets" in where else 3])
    bad(name, f"dataset '/tables/t/{where}' holds bools (True/False)", needle)
with new("bool_bad.h5") as f:                # a stored value that is neither member
    c = f.create_group("tables/t/columns"); std(c)
    c.create_dataset("m", data=np.array([0, 2, 1], "i1"), dtype=h5py.enum_dtype({"FALSE": 0, "TRUE": 1}, basetype="i1"))
bad("bool_bad.h5", "dataset '/tables/t/columns/m' (bool) holds a value that is neither FALSE nor TRUE at row 2")
# types that are not numbers
colors = h5py.enum_dtype({"RED": 0, "GREEN": 1, "BLUE": 2}, basetype="i1")     # an enum that is not a bool
for name, val in (("enum.h5", np.array([0, 2, 1], colors)), ("complex.h5", np.ones(3) * 1j),
                  ("compound.h5", np.zeros(3, dtype=[("a", "i4"), ("b", "f8")]))):
    with new(name) as f:
        c = f.create_group("tables/t/columns"); std(c); c.create_dataset("m", data=val, dtype=val.dtype)
    bad(name, "dataset '/tables/t/columns/m' is not numeric")
# groups nested otherwise
with new("flat.h5") as f: std(f.create_group("tables/t"))
bad("flat.h5", "table '/tables/t' has no 'columns' group")
with new("rootcols.h5") as f: std(f.create_group("t/columns"))
bad("rootcols.h5", "has no tables")
# links: soft and external links read through; dangling ones fail naming the column
with new("soft.h5") as f:
    c = f.create_group("tables/t/columns"); std(c); f["data/m"] = np.array([7.0, 8, 9]); c["m"] = h5py.SoftLink("/data/m")
ok("soft.h5", m=[7, 8, 9])
with h5py.File(os.path.join(d, "target.h5"), "w") as f: f["m"] = np.array([7.0, 8, 9])
with new("external.h5") as f:
    c = f.create_group("tables/t/columns"); std(c); c["m"] = h5py.ExternalLink("target.h5", "/m")
ok("external.h5", m=[7, 8, 9])
# external raw storage (h5py external=): a relative name is looked for beside the run file, so it reads
# from any folder; the current directory, where h5py puts it when the file is written from elsewhere,
# still works; a missing or truncated raw file is named (HDF5 would read zeros for the missing part)
ext = os.path.join(d, "ext"); os.makedirs(ext)
def external(name, cwd, raw, vals):
    here = os.getcwd(); os.chdir(cwd)                   # h5py writes the raw file relative to the cwd
    try:
        with new(name) as f:
            c = f.create_group("tables/t/columns"); std(c)
            c.create_dataset("m", data=vals, external=[(raw, 0, h5py.h5f.UNLIMITED)])
    finally:
        os.chdir(here)
external("ext/beside.h5", ext, "beside.raw", N)
assert os.path.getsize(os.path.join(ext, "beside.raw")) == N.nbytes
for cwd, path in ((ext, "beside.h5"), (d, "ext/beside.h5"), ("/", os.path.join(ext, "beside.h5"))):
    ok(path, cwd=cwd, m=N, N=N)
external("ext/cwd.h5", d, "cwd.raw", 2 * N)               # raw file in d, the run file in d/ext
ok("ext/cwd.h5", cwd=d, m=2 * N)
bad("cwd.h5", "dataset '/tables/t/columns/m' keeps its values in external files, and 'cwd.raw' is missing", cwd=ext)
with open(os.path.join(ext, "beside.raw"), "r+b") as fh: fh.truncate(20)
bad("beside.h5", "dataset '/tables/t/columns/m' keeps its values in external files, and 'beside.raw' holds 20 bytes "
    "where 24 from byte 0 are needed (truncated?)", cwd=ext)
with new("dangling.h5") as f:
    c = f.create_group("tables/t/columns"); std(c); c["m"] = h5py.SoftLink("/nowhere")
bad("dangling.h5", "'/tables/t/columns/m'")
# curves with int32 offsets and int64 points; derived flags as float 0/1 (numpy's default)
with new("curves.h5") as f:
    g = f.create_group("tables/t"); c = g.create_group("columns"); std(c); c["C"] = 6 * N * D
    g["derived/C"] = np.ones(3)
    cv = g.create_group("curves"); cv["offsets"] = np.array([0, 2, 2, 5], np.int32); cv["step"] = np.arange(5, dtype=np.int64)
ok("curves.h5", C=6 * N * D, derived=["C", "C", "C"])
# pandas DataFrame.to_hdf (PyTables): refused, saying what it is and how to convert it
try:
    import pandas as pd, tables  # noqa: F401
    pd.DataFrame({"run": ["a"], "N": [1e6]}).to_hdf(os.path.join(d, "pandas.h5"), key="runs")
except ImportError:                         # the same marks PyTables and pandas leave, by hand
    with h5py.File(os.path.join(d, "pandas.h5"), "w") as f:
        f.attrs["PYTABLES_FORMAT_VERSION"] = b"2.1"; f.create_group("runs").attrs["pandas_type"] = b"frame"
bad("pandas.h5", "written by pandas (DataFrame.to_hdf", "key 'runs'", "read_hdf('", "scalefit import")
# ... and the conversion it prints, run as printed, gives the frame's runs: names kept as pandas' index
# (df.set_index("run"), which to_csv(index=False) dropped without a word) or as a column beside the
# default index 0, 1, 2, in both of to_hdf's formats; file names with a quote and a backslash
try:
    import pandas as pd, tables  # noqa: F401
except ImportError:
    pd = None
for fmt in ("table", "fixed") if pd is not None else ():
    for indexed in (True, False):
        name = f"pandas_{fmt}_{int(indexed)}{chr(39) if indexed else chr(92)}.h5"; conv = os.path.join(d, name + ".conv"); os.makedirs(conv)
        df = pd.DataFrame({"run": ["a", "bb", "ccc"], "N": N, "D": D, "loss": L})
        (df.set_index("run") if indexed else df).to_hdf(os.path.join(conv, name), key="runs", format=fmt)
        rc, out, err = export(name, cwd=conv)
        m = re.search(r"convert it with (pandas\.read_hdf\(.*?\)\.to_csv\(.*?\)) and '(scalefit import [^']*)'", err)
        assert rc == 2 and m, (name, err)
        here = os.getcwd(); os.chdir(conv)
        try: exec(m.group(1), {"pandas": pd})              # the printed line, in the printed folder
        finally: os.chdir(here)
        p = run(*m.group(2).split()[1:], cwd=conv); assert p.returncode == 0, (name, p.stderr)
        ok("runs.h5", cwd=conv, run=["a", "bb", "ccc"], N=N, D=D, loss=L, C=6 * N * D)
# truncated, not HDF5, a CSV named .h5
data = open(os.path.join(d, "s_gzip.h5"), "rb").read()
open(os.path.join(d, "trunc.h5"), "wb").write(data[: len(data) - 100])
bad("trunc.h5", "truncated")
open(os.path.join(d, "csv.h5"), "w").write("run,N,D\na,1e6,2e7\n")
bad("csv.h5", "is not an HDF5 file: it looks like CSV ('run,N,D')")
# A file open for writing in h5py is locked by HDF5 1.10+: a clear message at once, no hang;
# HDF5_USE_FILE_LOCKING=FALSE reads it anyway.
path = os.path.join(d, "s_gzip.h5")
with h5py.File(path, "a") as f:
    f["tables/t/columns/m"] = np.arange(3.0); f.flush()
    if h5py.version.hdf5_version_tuple >= (1, 10, 0):
        bad("s_gzip.h5", "open for writing in another program", "HDF5_USE_FILE_LOCKING")
    p = run("export", path, env=dict(os.environ, HDF5_USE_FILE_LOCKING="FALSE"))
    assert p.returncode == 0 and p.stdout.splitlines()[1].startswith("a,"), p
print("h5py.sh: Python-written variants read exactly or fail with the dataset named")
PY

# The other direction: what scalefit writes, read in Python without surprises. Numeric columns
# are float64 with a units attribute, text is fixed-length UTF-8 (cset UTF-8, so .asstr() gives
# str), NaN payloads and -0.0 survive an HDF5 copy bit for bit, and export's CSV reads in pandas to
# the same doubles (NaN as an empty cell), UTF-8 text intact.
"$py" - "$SCALEFIT" "$tmp" <<'PY'
import io, os, subprocess, sys
import h5py, numpy as np
sf, tmp = sys.argv[1], sys.argv[2]
src, dst = os.path.join(tmp, "bits.h5"), os.path.join(tmp, "bits_copy.h5")
nan_bits = np.array([0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001, 0x7FF4000000000ABC], np.uint64)
m = np.concatenate([nan_bits.view(np.float64), [-0.0, 5e-324, 1.7976931348623157e308, 0.1]])
n = len(m)
runs = [f"r{i} Qwen·2" for i in range(n)]
with h5py.File(src, "w") as f:
    f.attrs["format"] = "scalefit-runs"; f.attrs["format_version"] = 1
    c = f.create_group("tables/t/columns")
    c["run"] = runs; c["family"] = ["Qwen·2"] * n
    c["N"] = np.full(n, 7e9); c["D"] = np.full(n, 2e12); c["m"] = m
p = subprocess.run([sf, "import", src, "-o", dst], capture_output=True, text=True)
assert p.returncode == 0, p.stderr
with h5py.File(dst, "r") as f:
    assert f.attrs["format"] == b"scalefit-runs" and f.attrs["format_version"].dtype.kind == "i"
    c = f["tables/t/columns"]
    for k in ("N", "D", "C", "m"):
        assert c[k].dtype == np.float64, (k, c[k].dtype)
    assert {k: c[k].attrs["units"] for k in ("N", "D", "C", "m")} == {"N": b"parameters", "D": b"tokens", "C": b"FLOP", "m": b""}
    for k in ("run", "family", "source", "notes"):
        assert h5py.check_string_dtype(c[k].dtype).encoding == "utf-8" and c[k].dtype.kind == "S", (k, c[k].dtype)
    assert list(c["run"].asstr()[()]) == runs and c["family"].asstr()[0] == "Qwen·2"
    assert np.array_equal(c["m"][()].view(np.uint64), m.view(np.uint64))       # NaN payloads, -0.0: bit for bit
    assert np.array_equal(c["C"][()], 6 * np.full(n, 7e9) * np.full(n, 2e12))
    assert f["tables/t/derived/C"].dtype == np.uint8
try:
    import pandas as pd
except ImportError:
    pd = None
if pd is not None:
    out = subprocess.run([sf, "export", dst], capture_output=True, text=True, check=True).stdout
    # Integral values are written plainly (7000000000), so pandas makes int64 columns of N and D,
    # and 6*N*D in int64 overflows: docs/FORMAT.md says to read them as float, as done here.
    df = pd.read_csv(io.StringIO(out), dtype={"N": float, "D": float, "C": float}, keep_default_na=False, na_values=[""])
    assert list(df["run"]) == runs and list(df["family"]) == ["Qwen·2"] * n
    assert all(df[k].dtype == np.float64 for k in ("N", "D", "C", "m"))
    want = np.where(np.isnan(m), np.nan, m)
    assert np.array_equal(df["m"].to_numpy(), want, equal_nan=True) and np.signbit(df["m"][4])
    assert np.array_equal(df["C"].to_numpy(), 6 * df["N"].to_numpy() * df["D"].to_numpy())
print("h5py.sh: scalefit's HDF5 and CSV read in h5py and pandas bit for bit")
PY

echo "h5py.sh: ok"
