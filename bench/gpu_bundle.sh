#!/usr/bin/env bash
# gpu_bundle.sh: packs what a GPU validation session needs into .gpu/ (run it HERE, on the development
# machine; bench/gpu_validate.sh runs the checks THERE, on a borrowed GPU machine).
#
#   bash bench/gpu_bundle.sh [BUILD_DIR]      (default build-gpu)
#
# The GPU machine has a CUDA toolkit but none of scalefit's libraries (GSL, HDF5, OpenBLAS, cmocka), no
# network, and minutes of device time, so nothing can be built there. This script
#  1. configures and builds BUILD_DIR in Release with the GPU trainer, with -march=x86-64-v3 (AVX2, FMA;
#     $SF_BUNDLE_MARCH) instead of -march=native (the GPU machine's CPU differs) and without MPI (not
#     installed there), only the targets the checks run:
#     scalefit, tests/test_train_cuda, bench_train_cuda, bench_train (the CPU trainer, for ratios on the
#     same host);
#  2. collects every shared library they load (ldd) except glibc's own (libc, libm, libmvec, ...: the target
#     has a glibc at least as new as the one the binaries need, which it checks); libstdc++ and libgcc_s go
#     to lib/compat, used only when the target lacks them (the binaries need no GLIBCXX symbol version,
#     so the target's own, newer or older, serves; ours would only shadow it);
#  3. copies the text corpus of the default sweep (python3.11-doc's sources, 11 MB) so that the GPU sweep
#     trains on the same bytes as the shipped CPU sweep (datasets/sweep_default.h5);
#  4. writes wrappers (scalefit, test_train_cuda, ...) that run the binaries with lib/ first on the
#     loader's path, and packs everything into .gpu/scalefit-gpu.tar.xz (OpenBLAS alone is 36 MB;
#     xz takes the bundle to about a fifth) with .gpu/MANIFEST.txt beside it.
# gpu_validate.sh unpacks the archive into .gpu-run/ (never inside .gpu/, so carrying .gpu stays small).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
# the CPU code (the CPU trainer the tests and bench_train compare with): AVX2 and FMA, which every
# x86-64 host of an A100/H100/H200 has, instead of this machine's -march=native
march=${SF_BUNDLE_MARCH:-x86-64-v3}
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
command -v "$nvcc" >/dev/null || nvcc=$(command -v nvcc || true)
[ -n "$nvcc" ] || { echo "gpu_bundle: nvcc not found (set CUDACXX)" >&2; exit 1; }
command -v xz >/dev/null || { echo "gpu_bundle: xz not found" >&2; exit 1; }

echo "== configure and build $build (Release, CUDA, -march=$march, no MPI)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DSCALEFIT_CUDA=ON -DSCALEFIT_NATIVE=OFF -DSCALEFIT_MPI=OFF \
  -DCMAKE_C_FLAGS="-march=$march" \
  -DCMAKE_CUDA_COMPILER="$nvcc" >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
gpu_line=$(grep -o "scalefit: GPU trainer with CUDA.*" "$build.configure.log") ||
  { cat "$build.configure.log"; echo "gpu_bundle: CMake did not enable the GPU trainer" >&2; exit 1; }
rm -f "$build.configure.log"
cmake --build "$build" -j2 --target scalefit_cli test_train_cuda bench_train_cuda bench_train
bins=("$build/scalefit" "$build/tests/test_train_cuda" "$build/bench_train_cuda" "$build/bench_train")

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib/compat" "$stage/corpus"

echo "== binaries (stripped) and their libraries"
for b in "${bins[@]}"; do strip --strip-unneeded -o "$stage/bin/$(basename "$b")" "$b"; done
# glibc's libraries: the target's own must be used (they go with its ld.so)
glibc='^(linux-vdso|ld-linux-x86-64|libc|libm|libmvec|libdl|libpthread|librt|libresolv|libutil|libnsl|libanl|libBrokenLocale|libthread_db)\.so'
ldd "${bins[@]}" | awk '/=> \//{print $1, $3}' | sort -u | while read -r soname path; do
  if [[ $soname =~ $glibc ]]; then continue; fi
  case $soname in
    libstdc++.so.*|libgcc_s.so.*) dest=$stage/lib/compat ;;
    *) dest=$stage/lib ;;
  esac
  cp -L "$path" "$dest/$soname" # the soname the loader asks for, as a plain file
done
if ldd "${bins[@]}" | grep -q "not found"; then
  ldd "${bins[@]}" | grep "not found" >&2
  echo "gpu_bundle: a library is missing here" >&2
  exit 1
fi
# Every library the carried ones need must be carried or glibc's: a second pass over lib/ finds what the
# binaries' ldd already resolved (ldd lists the whole tree), so this only guards against dlopen-free gaps.
for f in "$stage"/lib/*.so*; do
  for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [[ $n =~ $glibc ]] || [ -e "$stage/lib/$n" ] || [ -e "$stage/lib/compat/$n" ] ||
      { echo "gpu_bundle: $(basename "$f") needs $n, not collected" >&2; exit 1; }
  done
done

echo "== corpus of the default sweep"
corpus=/usr/share/doc/python3.11/html/_sources
[ -d "$corpus" ] || { echo "gpu_bundle: corpus '$corpus' missing (apt-get install python3.11-doc)" >&2; exit 1; }
cp -r "$corpus" "$stage/corpus/_sources"

# Wrappers: the binaries with lib/ first on the loader's path, lib/compat only when the system lacks
# libstdc++/libgcc_s, and $SF_GPU_LDPATH (where gpu_validate.sh found cuBLAS) after them. Only the bundled
# programs get this path: python3, nvidia-smi and the shell keep the system's libraries. SF_BUNDLE_LDD=1
# prints ldd's view instead of running the program.
for b in "${bins[@]}"; do
  name=$(basename "$b")
  cat >"$stage/$name" <<EOF
#!/bin/sh
# $name from scalefit's GPU bundle (bench/gpu_bundle.sh): the binary in bin/, the libraries in lib/.
d=\$(cd "\$(dirname "\$0")" && pwd)
p=\$d/lib
ldc=\$(command -v ldconfig || echo /sbin/ldconfig)
for l in libstdc++.so.6 libgcc_s.so.1; do
  "\$ldc" -p 2>/dev/null | grep -q "^[[:space:]]*\$l " || { p=\$p:\$d/lib/compat; break; }
done
LD_LIBRARY_PATH=\$p\${SF_GPU_LDPATH:+:\$SF_GPU_LDPATH}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
[ -z "\${SF_BUNDLE_LDD:-}" ] || exec ldd "\$d/bin/$name" # where each library comes from, under this path
exec "\$d/bin/$name" "\$@"
EOF
  chmod +x "$stage/$name"
done

# What the target must have: the newest glibc symbol version any carried file asks for.
newest_glibc() { for f in "$@"; do objdump -T "$f"; done 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1; }
need_glibc=$(newest_glibc "$stage"/bin/* "$stage"/lib/*.so*)
need_glibc_compat=$(newest_glibc "$stage"/lib/compat/*)
need_cxx=$(for f in "$stage"/bin/* "$stage"/lib/*.so*; do objdump -T "$f"; done 2>/dev/null |
  { grep -o "GLIBCXX_[0-9][0-9.]*" || true; } | sort -uV | tail -1)
{
  echo "scalefit GPU bundle, built $(date -u '+%Y-%m-%d %H:%M UTC') on $(hostname)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built with: ${gpu_line#scalefit: GPU trainer with }"
  echo "cpu: -march=$march"
  echo "cuda runtime: static, needs a driver for CUDA $("$nvcc" --version | sed -n 's/.*release \([0-9]*\.[0-9]*\).*/\1/p') or newer"
  echo "cublas: libcublas.so.$("$nvcc" --version | sed -n 's/.*release \([0-9]*\)\..*/\1/p') at run time (dlopen), from the target's toolkit"
  echo "needs glibc: $need_glibc ($need_glibc_compat where lib/compat is used)"
  echo "needs GLIBCXX: ${need_cxx:-none} (libstdc++/libgcc_s in lib/compat, used only when absent)"
  echo "build glibc: $(getconf GNU_LIBC_VERSION)"
} >"$stage/BUILDINFO"

echo "== pack"
rm -rf .gpu
mkdir -p .gpu
tar -C "$stage" -cf - . | xz -6 -T2 >.gpu/scalefit-gpu.tar.xz
{
  cat "$stage/BUILDINFO"
  echo
  echo "sha256 of the archive: $(sha256sum .gpu/scalefit-gpu.tar.xz | cut -d' ' -f1)"
  echo
  echo "contents (bytes, path):"
  (cd "$stage" && find . -path ./corpus -prune -o -type f -printf '%s %P\n' | sort -k2)
  echo "$(du -sb "$stage/corpus" | cut -f1) corpus/ ($(find "$stage/corpus" -type f | wc -l) files)"
} >.gpu/MANIFEST.txt

unpacked=$(du -sb "$stage" | cut -f1)
packed=$(du -cb .gpu/* | tail -1 | cut -f1)
tree=$(git ls-files -z | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
cat "$stage/BUILDINFO"
libs=("$stage"/lib/*.so*) compat=("$stage"/lib/compat/*)
printf 'libraries: %d in lib/, %d in lib/compat\n' "${#libs[@]}" "${#compat[@]}"
awk -v p="$packed" -v u="$unpacked" -v t="$tree" 'BEGIN {
  printf "bundle .gpu/: %.1f MiB (unpacked %.1f MiB); tracked tree: %.1f MiB; carry limit 64 MiB in all\n", p / 2^20, u / 2^20, t / 2^20 }'
