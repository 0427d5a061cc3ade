#!/usr/bin/env bash
# Cross-compile the addon for Windows x64 with mingw-w64, cmake-js and CMake.
# Output: prebuilds/win32-x64/afd-socket.node
#
# Usage: scripts/build-windows.sh [extra cmake-js args, e.g. --CDNAME=VALUE...]
# Env:   JOBS (default 2), AFD_BUILD_TYPE (default Release),
#        AFD_SKIP_SETUP=1 (do not check/install apt packages)
#
# The import libraries for node.exe (libnode_api.a, libjs_native_api.a) are
# produced by CMake with dlltool from node-api-headers' .def files, as part of
# the build (see CMakeLists.txt), so plain cmake invocations work too.
set -euo pipefail
# shellcheck source=scripts/windows-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/windows-common.sh"

if [ "${AFD_SKIP_SETUP:-0}" != 1 ]; then
  bash "${REPO_ROOT}/scripts/setup-windows.sh" --toolchain-only
fi

cd "${REPO_ROOT}"
for mod in node-api-headers node-addon-api; do
  node -e "require.resolve('${mod}')" 2>/dev/null \
    || die "npm module ${mod} not found; run 'npm install' first"
done

t0=$(time_now)
# cmake-js drives CMake (it configures offline: Node's headers come from npm's
# nodedir, and CMakeLists.txt takes the Node-API headers and import libraries
# from node-api-headers). Plain CMake is the generator under it.
log "cmake-js build (${BUILD_DIR#"${REPO_ROOT}/"})"
mkdir -p "${BUILD_DIR}"
npx cmake-js build --out "${BUILD_DIR}" --generator "Unix Makefiles" \
  --parallel "${JOBS:-2}" $([ "${AFD_BUILD_TYPE:-Release}" = Debug ] && echo --debug) \
  --CDCMAKE_TOOLCHAIN_FILE="${REPO_ROOT}/cmake/mingw-w64-x86_64.cmake" \
  --CDAFD_OUTPUT_DIR="${PREBUILD_DIR}" \
  "$@" >"${BUILD_DIR}/cmake-js.log" 2>&1 || {
    tail -40 "${BUILD_DIR}/cmake-js.log" >&2 || true
    die "cmake-js build failed"
  }

OUT="${PREBUILD_DIR}/afd-socket.node"
[ -f "${OUT}" ] || die "${OUT} was not produced"

# The addon must import only node.exe and Windows system DLLs: no Winsock
# (the whole point of AFD) and no mingw runtime DLLs.
dlls="$(x86_64-w64-mingw32-objdump -p "${OUT}" | sed -n 's/^[[:space:]]*DLL Name: //p')"
log "imports: $(echo ${dlls})"
bad=""
while read -r dll; do
  [ -n "${dll}" ] || continue
  lc="$(printf '%s' "${dll}" | tr '[:upper:]' '[:lower:]')"
  case "${lc}" in
    ws2_32.dll|mswsock.dll|wsock32.dll|libgcc_s*|libstdc++*|libwinpthread*|libatomic*|libssp*)
      bad="${bad} ${dll}" ;;
    kernel32.dll|ntdll.dll|msvcrt.dll|ucrtbase.dll|api-ms-win-*|node.exe) ;;
    *) log "warning: unexpected import ${dll}" ;;
  esac
done <<<"${dlls}"
[ -z "${bad}" ] || die "forbidden DLL imports in ${OUT}:${bad}"

log "built ${OUT#"${REPO_ROOT}/"} ($(stat -c %s "${OUT}") bytes) in $(( $(time_now) - t0 ))s"
