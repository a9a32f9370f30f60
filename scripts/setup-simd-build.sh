#!/usr/bin/env bash
# Installs the toolchain that rebuilds the kit's WebAssembly SIMD kernels (scripts/build-simd.sh):
# clang, wasm-ld (lld) and llvm-objdump (llvm), from Debian's packages. Only needed to change
# lib/runtime/wasm/simd/kernels.c or to run the rebuild check in tests/simd.test.ts: the built binaries
# ship in lib/runtime/wasm/simd/binary.ts.
set -euo pipefail
source "$(dirname "$0")/apt-install.sh"
apt_install "install clang, lld and llvm 14 or later some other way" clang lld llvm
