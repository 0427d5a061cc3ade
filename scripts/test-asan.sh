#!/usr/bin/env bash
# The native suite against an AddressSanitizer + UndefinedBehaviorSanitizer
# build of the addon (Linux). The build goes to .cache/asan/ and is loaded
# through AFD_SOCKET_ADDON; build/Release stays as it is.
#
# Usage: scripts/test-asan.sh [mocha args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
dir="${root}/.cache/asan"
mkdir -p "${dir}"
# A private copy of the build inputs, so node-gyp's build/ lands there.
rm -rf "${dir}/src-native"
cp -r binding.gyp src-native "${dir}/"
ln -sfn "${root}/node_modules" "${dir}/node_modules"
san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
echo "[asan] building the addon with ${san}"
( cd "${dir}" && CFLAGS="${san}" CXXFLAGS="${san}" LDFLAGS="${san}" node-gyp rebuild >build.log 2>&1 ) \
  || { tail -40 "${dir}/build.log"; exit 1; }
npx tsc -p tsconfig.json
# node itself is not instrumented: the runtime is preloaded, and leak checking
# is off (node keeps memory until exit by design).
export AFD_SOCKET_ADDON="${dir}/build/Release/afd-socket.node"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
echo "[asan] mocha with ${AFD_SOCKET_ADDON}"
exec node node_modules/mocha/bin/mocha.js "$@"
