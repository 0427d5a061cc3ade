// The printed report: one table per scenario, then idle memory.
'use strict';

function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return n >= 1e4 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

const ratio = (r) => (r ? r.toFixed(2) + 'x' : '');

function table(results) {
  const wine = results.wine;
  const lines = [];
  const cols = [['server', 10], ['median', 11], ['min-max', 19], ['p50 us', 8], ['p99 us', 8], ['ctx/op', 9], ['cpu us/op', 11],
    ...(wine ? [['ws ctx/op', 11], ['ws us/op', 10]] : []), ['vs net', 8], ...(wine ? [] : [['vs C', 8]])];
  const row = (cells) => cells.map((c, i) => (i ? String(c).padStart(cols[i][1]) : String(c).padEnd(cols[i][1]))).join('');
  for (const sc of results.scenarios) {
    lines.push('', `${sc.name} (${sc.unit}${sc.perOp ? `; per op = per ${sc.perOp}` : ''}; median of ${results.rounds}, min-max)`);
    lines.push(row(cols.map(([h]) => h)));
    for (const [name, r] of Object.entries(sc.servers)) {
      lines.push(row([name, fmt(r.median, 1), `${fmt(r.min)}-${fmt(r.max)}`, fmt(r.p50us), fmt(r.p99us), fmt(r.ctxPerOp, 3), fmt(r.cpuUsPerOp, 1),
        ...(wine ? [fmt(r.wsCtxPerOp, 3), fmt(r.wsCpuUsPerOp, 1)] : []), ratio(r.vsNet), ...(wine ? [] : [ratio(r.vsC)])]));
    }
  }
  if (results.idle) {
    lines.push('', `idle connections (${results.idleConnections} asked, held by the client in another process): bytes per connection`);
    lines.push('server'.padEnd(10) + ['accepted', 'rss', 'heapUsed', 'external', 'arrayBuffers'].map((h) => h.padStart(13)).join(''));
    for (const [name, r] of Object.entries(results.idle)) {
      lines.push(name.padEnd(10) + [r.connections, r.rss, r.heapUsed, r.external, r.arrayBuffers].map((v) => fmt(v).padStart(13)).join(''));
    }
  }
  if (results.wine) lines.push('', 'ws: wineserver\'s context switches and CPU per op (shared by all Wine processes; the servers\' own figures exclude it)');
  return lines.join('\n');
}

module.exports = { table, fmt };
