#!/usr/bin/env bash
# Installs the toolchain that rebuilds the kit's WebAssembly SIMD module (scripts/build-simd.sh):
# clang 16, its wasm-ld (lld) and llvm-objdump (llvm), from Debian 12's packages. clang 16 or later
# is needed: clang 14 (Debian's default `clang`) emits relaxed SIMD's old prototype opcodes, which
# V8 rejects. Only needed to change lib/runtime/wasm/simd/kernels.c or gemm.c, or to run the rebuild
# check in tests/simd.test.ts: the built binaries ship in lib/runtime/wasm/simd/binary.ts.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"
apt_install "install clang, lld and llvm 16 or later some other way, and set CLANG=/path/to/clang" clang-16 lld-16 llvm-16
