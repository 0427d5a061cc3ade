#!/usr/bin/env bash
# Runs a script with the pinned Windows node.exe under Wine, loading the
# Windows prebuild: `bash scripts/wine-node.sh examples/echo.js`.
# Sets up Wine and builds the Windows addon and dist/ first when missing.
set -euo pipefail
# shellcheck source=scripts/windows-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/windows-common.sh"

bash "${REPO_ROOT}/scripts/setup-windows.sh" >&2
find_wine || die "wine not found"
cd "${REPO_ROOT}"
[ -f "${PREBUILD_DIR}/afd-socket.node" ] || AFD_SKIP_SETUP=1 bash scripts/build-windows.sh >&2
[ -f dist/index.js ] || npm run build:ts >&2

out="$(mktemp)"; err="$(mktemp)"
trap 'rm -f "$out" "$err"; stop_wineserver' EXIT
# node.exe's stdout must be a file under Wine (a pipe gives EBADF).
set +e
PREBUILDS_ONLY=1 "${WINE_BIN}" "${NODE_WIN_EXE}" "$@" </dev/null >"$out" 2>"$err"
rc=$?
set -e
cat "$out"
cat "$err" >&2
exit "$rc"
