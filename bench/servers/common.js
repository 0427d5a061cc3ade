// Shared by the benchmark's Node servers: where to report the port, and a
// control port that answers one JSON line of memory figures per connection.
'use strict';
const fs = require('node:fs');
const net = require('node:net');

// `report({ port })`: prints {"port","control","pid"} to stdout, or writes it
// to the file named by --out (node.exe under Wine needs a file, not a pipe).
async function report(info, counters) {
  const control = net.createServer((c) => {
    if (global.gc) global.gc();
    const m = process.memoryUsage();
    c.end(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, ...counters() }) + '\n');
  });
  control.unref();
  await new Promise((resolve) => control.listen(0, '127.0.0.1', resolve));
  const line = JSON.stringify({ ...info, control: control.address().port, pid: process.pid }) + '\n';
  const i = process.argv.indexOf('--out');
  if (i > 0) fs.writeFileSync(process.argv[i + 1], line);
  else process.stdout.write(line);
}

module.exports = { report };
