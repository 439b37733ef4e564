#!/usr/bin/env bash
# install.sh: `cmake --install` gives a working program, headers, the library and a relocatable
# pkg-config file that a C program compiles and links against.
set -u
: "${SCALEFIT:?}"
build=$(dirname "$SCALEFIT")
[ -f "$build/cmake_install.cmake" ] || { echo "skip: $build is not a CMake build folder"; exit 77; }
# a sanitized library needs the sanitizer runtimes at link time: checked in the release build only
[ "${SF_SANITIZED:-0}" = 1 ] && { echo "skip: sanitizer build"; exit 77; }
command -v pkg-config >/dev/null || { echo "skip: pkg-config not installed"; exit 77; }
. "$(dirname "$0")/lib/common.sh"
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null || { echo "FAIL: cmake --install"; exit 1; }
"$tmp/prefix/bin/scalefit" --version | grep -q '^scalefit [0-9]' || { echo "FAIL: installed binary"; exit 1; }
[ -f "$tmp/prefix/share/scalefit/datasets/accelerators.csv" ] || { echo "FAIL: datasets not installed"; exit 1; }
[ -f "$tmp/prefix/share/scalefit/datasets/sweeps/default.ini" ] || { echo "FAIL: sweep presets not installed"; exit 1; }
cat >"$tmp/use.c" <<'C'
#include <scalefit/sf_cost.h>
#include <scalefit/sf_store.h>
#include <stdio.h>
int main(void) {
  sf_table *t = sf_table_new("t");
  long r = sf_table_add_row(t, "a", "", "", "");
  sf_table_set(t, (size_t)r, "N", 1e9);
  sf_table_set(t, (size_t)r, "D", 2e10);
  sf_table_derive(t);
  printf("%.6g %.6g\n", sf_table_get(t, 0, "C"), sf_flops_train(1e9, 2e10, 0, 0, 0));
  sf_table_free(t);
  return 0;
}
C
# shellcheck disable=SC2046
cc "$tmp/use.c" -o "$tmp/use" $(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs --static scalefit) ||
  { echo "FAIL: compiling against the installed library"; exit 1; }
[ "$("$tmp/use")" = "1.2e+20 1.2e+20" ] || { echo "FAIL: installed library computes $("$tmp/use")"; exit 1; }
echo "install: ok"
