'use strict';
// 20. listener.unref() lets the process exit on its own.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { useCleanup, withTimeout } = require('./helpers');

const PKG = path.resolve(__dirname, '..');
const EXIT_WITHIN_MS = 10000;

// The child writes its results to a file (stdout pipes are unreliable under Wine).
function childSource(variant) {
  return `
'use strict';
const fs = require('node:fs');
const afd = require(${JSON.stringify(PKG)});
const out = process.argv[process.argv.length - 1];
(async () => {
  const listener = await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 });
  const ret = listener.unref();
  if (ret !== listener) throw new Error('unref() must return this');
  ${variant === 'pending-accept'
    ? "listener.accept().then(() => fs.appendFileSync(out, 'accepted\\n'), () => fs.appendFileSync(out, 'rejected\\n'));"
    : ''}
  fs.writeFileSync(out, 'port=' + listener.address().port + '\\n');
})().catch((err) => {
  fs.writeFileSync(out, 'error=' + (err && err.stack || err) + '\\n');
  process.exitCode = 3;
});
`;
}

function runChild(track, variant) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'afd-unref-'));
  track(() => fs.rmSync(dir, { recursive: true, force: true }));
  const script = path.join(dir, 'child.js');
  const out = path.join(dir, 'out.txt');
  fs.writeFileSync(script, childSource(variant));
  const started = Date.now();
  const child = spawn(process.execPath, [script, out], { stdio: 'ignore', windowsHide: true });
  let exited = false;
  track(() => { if (!exited) child.kill(); });
  const done = new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => { exited = true; resolve({ code, signal, ms: Date.now() - started }); });
  });
  return { done, out };
}

describe('ref/unref', function () {
  const track = useCleanup();

  for (const variant of ['listening', 'pending-accept']) {
    it(`a child process with an unref()ed listener (${variant}) exits by itself`, async function () {
      this.timeout(EXIT_WITHIN_MS + 20000);
      const { done, out } = runChild(track, variant);
      const { code, signal, ms } = await withTimeout(done, EXIT_WITHIN_MS,
        'child with an unref()ed listener to exit on its own');
      const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      assert.equal(signal, null);
      assert.equal(code, 0, `child exit code ${code}, output: ${text}`);
      const m = /^port=(\d+)$/m.exec(text);
      assert.ok(m, `child did not report a port: ${JSON.stringify(text)}`);
      assert.ok(Number(m[1]) > 0);
      assert.doesNotMatch(text, /accepted/);
      assert.ok(ms < EXIT_WITHIN_MS);
    });
  }
});
