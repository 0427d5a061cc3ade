'use strict';
// Trace lines: one strace-like line per kernel call, with decoded arguments,
// the status by name and the time taken; from trace.enable() or
// AFD_SOCKET_TRACE=1.

const assert = require('node:assert/strict');
const path = require('node:path');
const { execFile } = require('node:child_process');
const { afd, useCleanup, captureTrace } = require('./helpers');

const linux = afd.backend === 'linux';

describe('trace lines', function () {
  const track = useCleanup();

  it('a bind to 127.0.0.1 reads with its decoded address, status and duration', async function () {
    const trace = captureTrace();
    let listener;
    try {
      listener = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0, backlog: 77 }));
    } finally {
      trace.stop();
    }
    const lines = trace.messages.map((m) => afd.trace.format(m));
    if (linux) {
      assert.ok(lines.some((l) => /^bind\(\d+, 127\.0\.0\.1:0\) = 0  \d+us$/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /^listen\(\d+, backlog=77\) = 0  \d+us$/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /^socket\(AF_INET\) = \d+  \d+us$/.test(l)), lines.join('\n'));
    } else {
      assert.ok(lines.some((l) => /^NtDeviceIoControlFile\(0x[0-9a-f]+, IOCTL_AFD_BIND, \{share=unique, 127\.0\.0\.1:0\}\) = STATUS_SUCCESS \(16 bytes\)  \d+us$/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /^NtDeviceIoControlFile\(0x[0-9a-f]+, IOCTL_AFD_START_LISTEN, \{backlog=77\}\) = STATUS_SUCCESS  \d+us$/.test(l)), lines.join('\n'));
      assert.ok(lines.some((l) => /^NtCreateFile\(\\Device\\Afd\\Endpoint, AfdOpenPacketXX \{AF_INET, SOCK_STREAM, IPPROTO_TCP\}\) = STATUS_SUCCESS, handle 0x[0-9a-f]+  \d+us$/.test(l)), lines.join('\n'));
    }
    assert.ok(listener.address().port > 0);
  });

  it('a refused bind shows the error by name', async function () {
    const holder = track(await afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }));
    const { port } = holder.address();
    const trace = captureTrace();
    try {
      await assert.rejects(afd.AfdListener.listen({ host: '127.0.0.1', port }), (e) => e.code === 'EADDRINUSE');
    } finally {
      trace.stop();
    }
    const lines = trace.messages.map((m) => afd.trace.format(m));
    const want = linux ? new RegExp(`^bind\\(\\d+, 127\\.0\\.0\\.1:${port}\\) = -1 EADDRINUSE  \\d+us$`)
      : new RegExp(`IOCTL_AFD_BIND, \\{share=unique, 127\\.0\\.0\\.1:${port}\\}\\) = STATUS_(ADDRESS_ALREADY_EXISTS|SHARING_VIOLATION)`);
    assert.ok(lines.some((l) => want.test(l)), lines.join('\n'));
  });

  it('AFD_SOCKET_TRACE=1 prints the lines to stderr', async function () {
    this.timeout(30000);
    const script = `const afd = require(${JSON.stringify(path.resolve(__dirname, '..'))});
      afd.AfdListener.listen({ host: '127.0.0.1', port: 0 }).then((l) => l.close());`;
    const { err, stderr } = await new Promise((resolve) => execFile(process.execPath, ['-e', script],
      { env: { ...process.env, AFD_SOCKET_TRACE: '1' } }, (e, so, se) => resolve({ err: e, stderr: se })));
    assert.equal(err, null);
    const bind = linux ? /^bind\(\d+, 127\.0\.0\.1:0\) = 0  \d+us$/m : /IOCTL_AFD_BIND, \{share=unique, 127\.0\.0\.1:0\}\) = STATUS_SUCCESS/m;
    assert.match(stderr, bind);
    assert.equal(afd.trace.enabled, false, 'off in this process');
  });
});
