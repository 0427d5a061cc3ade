// The Wine side of `npm run bench:windows`: the repo's Wine prefix, the
// Windows node.exe and addon (set up and built by scripts/ when missing), and
// a wineserver pinned to core 0 with the servers. A wineserver this runner
// starts is stopped at the end; one already running for the prefix (another
// Wine run) is only pinned for the duration, then its CPU mask restored.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

// The pid of the wineserver serving `prefix`: its working directory is
// <tmp>/server-<dev>-<inode of the prefix>, both in hex.
function findWineserver(prefix) {
  const st = fs.statSync(prefix);
  const dir = `server-${st.dev.toString(16)}-${st.ino.toString(16)}`;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('wineserver')) continue;
      if (path.basename(fs.readlinkSync(`/proc/${pid}/cwd`)) === dir) return Number(pid);
    } catch { /* gone, or not ours to read */ }
  }
  return null;
}

function setup(log) {
  const sh = (script, ...args) => execFileSync('bash', [path.join(ROOT, 'scripts', script), ...args],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  log('wine: checking the setup (scripts/setup-windows.sh)');
  sh('setup-windows.sh');
  if (!fs.existsSync(path.join(ROOT, 'prebuilds', 'win32-x64', 'afd-socket.node'))) {
    log('wine: building the Windows addon (scripts/build-windows.sh)');
    sh('build-windows.sh');
  }
  const vars = ['WINE_BIN', 'WINESERVER_BIN', 'NODE_WIN_EXE', 'WINEPREFIX', 'WINEDEBUG', 'WINEDLLOVERRIDES'];
  const out = execFileSync('bash', ['-c', `. "${ROOT}/scripts/windows-common.sh"; find_wine || exit 1; `
    + vars.map((v) => `echo "$${v}"`).join('; ')], { encoding: 'utf8' }).trim().split('\n');
  const v = Object.fromEntries(vars.map((k, i) => [k, out[i]]));
  const env = { ...process.env, WINEPREFIX: v.WINEPREFIX, WINEDEBUG: v.WINEDEBUG, WINEDLLOVERRIDES: v.WINEDLLOVERRIDES, PREBUILDS_ONLY: '1' };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const wine = { bin: v.WINE_BIN, node: v.NODE_WIN_EXE, prefix: v.WINEPREFIX, env };
  wine.version = execFileSync(wine.bin, ['--version'], { env, encoding: 'utf8' }).trim();

  // wineserver takes part in every socket call under Wine: core 0, with the servers.
  let restore = null;
  const running = findWineserver(wine.prefix);
  if (running) {
    const mask = /:\s*([0-9a-f]+)\s*$/.exec(execFileSync('taskset', ['-p', String(running)], { encoding: 'utf8' }))[1];
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(running)], { stdio: 'ignore' });
    restore = () => execFileSync('taskset', ['-a', '-p', mask, String(running)], { stdio: 'ignore' });
    log(`wine: wineserver ${running} was already running for ${wine.prefix}: pinned to core 0 for this run`);
  } else {
    execFileSync('taskset', ['-c', '0', v.WINESERVER_BIN, '-p'], { env, stdio: 'ignore' });
    if (!findWineserver(wine.prefix)) throw new Error(`wineserver for ${wine.prefix} did not start`);
    // Ours: stopped at the end, as scripts/wine-node.sh does with its own.
    restore = () => execFileSync(v.WINESERVER_BIN, ['-k'], { env, stdio: 'ignore', timeout: 10000 });
  }
  // Its pid, looked up again when the one we knew is gone.
  let pid = null;
  wine.wineserverPid = () => {
    if (!pid || !fs.existsSync(`/proc/${pid}`)) pid = findWineserver(wine.prefix);
    return pid;
  };
  // Synchronous, so it can run from process.on('exit').
  wine.cleanup = () => { try { restore?.(); } catch { /* already gone */ } restore = null; };
  return wine;
}

module.exports = { setup, findWineserver };
