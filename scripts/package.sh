#!/usr/bin/env bash
# Builds both prebuilds and packs the npm tarball that installs without a
# compiler:
#   prebuilds/linux-x64/   prebuildify (node-gyp, N-API, stripped)
#   prebuilds/win32-x64/   the mingw-w64 cross build (scripts/build-windows.sh)
# Output: .cache/package/afd-socket-<version>.tgz (its path is the last line).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log() { printf '[package] %s\n' "$*" >&2; }

log "linux-x64 prebuild (prebuildify)"
npx prebuildify --napi --strip --name afd-socket >&2
log "win32-x64 prebuild (cross build)"
bash scripts/build-windows.sh >&2
for f in prebuilds/linux-x64/*.node prebuilds/win32-x64/*.node; do
  [ -f "$f" ] || { log "missing prebuild: $f"; exit 1; }
done
out=".cache/package"
rm -rf "${out}"; mkdir -p "${out}"
log "npm pack (prepare builds dist/)"
npm pack --pack-destination "${out}" --loglevel=error >&2
tgz="$(ls "${out}"/afd-socket-*.tgz)"
log "contents: $(tar tzf "${tgz}" | grep -c .) files, prebuilds: $(tar tzf "${tgz}" | grep '\.node$' | tr '\n' ' ')"
echo "$(pwd)/${tgz}"
