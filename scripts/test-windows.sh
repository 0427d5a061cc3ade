#!/usr/bin/env bash
# Build the Windows addon and run the mocha suite with the real Windows
# node.exe under Wine.
#
# Usage: scripts/test-windows.sh [mocha args...]     (e.g. --grep accept)
# Env:   AFD_SKIP_BUILD=1     reuse existing prebuilds/ and dist/ (no rebuild)
#        AFD_WINE_TIMEOUT=900 seconds before the Wine run is killed
#        AFD_WINE_STREAM=0    print mocha's stdout only at the end
#        AFD_WINE_BLOCKING_PASS=0  skip the second pass (dialect wine-blocking)
#
# Prints as last line:  wine: N passed, N failed (both passes)
# Exit code: the exit code of node.exe (mocha), 124 on timeout.
set -euo pipefail
# shellcheck source=scripts/windows-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/windows-common.sh"

bash "${REPO_ROOT}/scripts/setup-windows.sh"
find_wine || die "wine not found"

cd "${REPO_ROOT}"
if [ "${AFD_SKIP_BUILD:-0}" != 1 ]; then
  AFD_SKIP_SETUP=1 bash "${REPO_ROOT}/scripts/build-windows.sh"
  log "npm run build:ts"
  npm run build:ts || die "npm run build:ts failed"
fi

MOCHA_JS="node_modules/mocha/bin/mocha.js"
[ -f "${MOCHA_JS}" ] || die "${MOCHA_JS} missing; run 'npm install' first"
[ -f "${PREBUILD_DIR}/afd-socket.node" ] || die "no Windows prebuild; run scripts/build-windows.sh"

# Always stop this prefix's wineserver so no daemon keeps CI waiting.
trap 'stop_wineserver' EXIT

total_passed=0
total_failed=0
final_rc=0

# One mocha run under Wine; $1 names it, the rest are VAR=value settings.
run_pass() {
  local label="$1"; shift
  local OUT_FILE="${CACHE_DIR}/wine-mocha-${label}.stdout.txt"
  local ERR_FILE="${CACHE_DIR}/wine-mocha-${label}.stderr.txt"
  rm -f "${OUT_FILE}" "${ERR_FILE}"
  : >"${OUT_FILE}"
  log "running mocha under wine (node.exe ${NODE_WIN_VERSION}): ${label} pass"
  local t0 rc pid
  t0=$(time_now)
  # node.exe's stdout must be a regular file: with a pipe, the first console.log
  # fails with EBADF under Wine. stdin comes from /dev/null for the same reason.
  # PREBUILDS_ONLY=1 makes node-gyp-build ignore build/Release (the Linux ELF).
  # Environment variables pass through Wine into the Windows process.
  set +e
  env "$@" PREBUILDS_ONLY=1 FORCE_COLOR=0 NO_COLOR=1 \
    timeout --kill-after=10 "${AFD_WINE_TIMEOUT:-900}" \
    "${WINE_BIN}" "${NODE_WIN_EXE}" "${MOCHA_JS}" --no-color "${MOCHA_ARGS[@]}" \
    </dev/null >"${OUT_FILE}" 2>"${ERR_FILE}" &
  pid=$!
  if [ "${AFD_WINE_STREAM:-1}" = 1 ]; then
    # Stream the file while the run is in progress; tail exits with ${pid}.
    tail -n +1 -f --pid="${pid}" "${OUT_FILE}"
  fi
  wait "${pid}"
  rc=$?
  set -e
  [ "${AFD_WINE_STREAM:-1}" = 1 ] || cat "${OUT_FILE}"
  if [ -s "${ERR_FILE}" ]; then
    echo "----- stderr -----"
    cat "${ERR_FILE}"
  fi
  [ "${rc}" -ne 124 ] || log "wine run timed out after ${AFD_WINE_TIMEOUT:-900}s"
  log "wine ${label} pass finished in $(( $(time_now) - t0 ))s, exit code ${rc}"

  # Summary from the spec reporter ("  12 passing (1s)", "  1 failing").
  local clean passed failed
  clean="$(sed 's/\x1b\[[0-9;]*m//g' "${OUT_FILE}" | tr -d '\r')"
  passed="$(printf '%s\n' "${clean}" | sed -n 's/^[[:space:]]*\([0-9][0-9]*\) passing.*/\1/p' | tail -n1)"
  failed="$(printf '%s\n' "${clean}" | sed -n 's/^[[:space:]]*\([0-9][0-9]*\) failing.*/\1/p' | tail -n1)"
  passed="${passed:-0}"
  failed="${failed:-0}"
  # A crash / timeout / load error without a "failing" line still counts as a failure.
  if [ "${rc}" -ne 0 ] && [ "${failed}" -eq 0 ]; then failed=1; fi
  echo "wine ${label}: ${passed} passed, ${failed} failed"
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  [ "${rc}" -eq 0 ] || final_rc="${rc}"
}

MOCHA_ARGS=("$@")
run_pass default
# The fallback path for endpoints whose data calls pend, for real: the
# whole suite again with endpoints left blocking (dialect 'wine-blocking';
# the non-blocking byte checks skip themselves). AFD_WINE_BLOCKING_PASS=0 skips it.
if [ "${AFD_WINE_BLOCKING_PASS:-1}" = 1 ]; then
  run_pass blocking AFD_SOCKET_DIALECT=wine-blocking
fi
echo "wine: ${total_passed} passed, ${total_failed} failed"
exit "${final_rc}"
