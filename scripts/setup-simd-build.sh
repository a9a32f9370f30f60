#!/usr/bin/env bash
# Installs the toolchain that rebuilds the kit's WebAssembly SIMD kernels (scripts/build-simd.sh):
# clang, wasm-ld (lld) and llvm-objdump (llvm), from Debian's packages. Only needed to change
# lib/runtime/simd/kernels.c or to run the rebuild check in tests/simd.test.ts: the built binaries
# ship in lib/runtime/simd/binary.ts.
set -euo pipefail
if ! command -v apt-get >/dev/null; then
  echo "no apt-get here: install clang, lld and llvm 14 or later some other way" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq clang lld llvm
echo "installed: clang lld llvm"
