#!/usr/bin/env bash
# Installs everything scalefit needs to build, run and test, from Debian 12 packages.
# Used by README's Quick start and by tests/run.sh; safe to run again (apt skips what is there).
set -euo pipefail

packages=(
  build-essential cmake pkg-config        # toolchain
  libgsl-dev libopenblas-dev              # fitting (GSL) and BLAS behind GSL's CBLAS interface
  libhdf5-dev                             # run store
  gnuplot-nox poppler-utils               # charts (pdfinfo checks the PDFs in tests)
  chromium                                # tests: reports open in headless Chromium (skipped without it)
  libcmocka-dev clang libclang-rt-14-dev valgrind  # tests: unit tests, fuzzing (libFuzzer runtime), leak checks
  python3 python3-h5py python3-numpy python3-pandas python3-scipy  # files readable from Python; scipy peer bench
  python3.11-doc                          # the trainer's natural-text corpus (Python documentation sources)
  openmpi-bin libopenmpi-dev              # optional at build time: `mpirun -np K scalefit sweep` (tests skip without)
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
