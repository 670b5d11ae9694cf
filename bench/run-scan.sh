#!/usr/bin/env bash
# Scanning-engine microbenchmarks (bench/scan_bench.c): builds the core library, compiles
# the benchmark against it and runs it pinned to one CPU. See docs/benchmarks.md,
# "Scanning engine microbenchmarks".
#
# Environment:
#   SCAN_BENCH_SECONDS=0.5   target seconds per repetition (5 repetitions per figure)
#   SCAN_BENCH_ONLY=         subset of sections: url text raw compile (comma-separated)
#   SCAN_BENCH_CASE=         a single URL/text case key (e.g. registry, json10k), to profile
#   SCAN_BENCH_NO_PEER=1     skip the PCRE2 peer
#   SCAN_BENCH_CPU=0         CPU to pin to with taskset (empty: no pinning)
#   CC=gcc                   compiler; flags as meson's debugoptimized build (-O2 -g)
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CC=${CC:-gcc}
CPU=${SCAN_BENCH_CPU-0}

if ! ninja -C "$BUILD" >/dev/null; then
    # The tree may be mid-change elsewhere; the objects of the last good build are still there.
    [ -e "$BUILD/libpipelock_core.a" ] || { echo "ninja failed and no library to link" >&2; exit 2; }
    echo "warning: ninja -C $BUILD failed; linking the existing $BUILD/libpipelock_core.a" >&2
fi

libs=$(pkg-config --libs libhs libpcre2-8 libutf8proc libpsl libxml-2.0 zlib libbrotlidec jansson libcurl openssl libfyaml libevent)
# shellcheck disable=SC2086
"$CC" -std=gnu11 -O2 -g -Wall -Wextra -Isrc -I"$BUILD" bench/scan_bench.c \
    "$BUILD/libpipelock_core.a" $libs -levent_core -levent_pthreads -levent_extra \
    -levent_openssl -lm -lpthread -o "$BUILD/scan_bench"

echo "machine: $(uname -srm); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) online"
echo "compiler: $("$CC" --version | head -1); vectorscan: $(pkg-config --modversion libhs); pcre2: $(pkg-config --modversion libpcre2-8)"

if [ -n "$CPU" ] && command -v taskset >/dev/null 2>&1; then
    echo "pinned: taskset -c $CPU"
    exec taskset -c "$CPU" "$BUILD/scan_bench"
fi
echo "pinned: no"
exec "$BUILD/scan_bench"
