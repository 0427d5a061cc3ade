// The benchmark chart: throughput relative to the best net.createServer
// style, per scenario, for afd-socket (and the C epoll server as the
// ceiling). Drawn by vega-lite + vega, headless, as SVG.
import * as vega from 'vega';
import * as vl from 'vega-lite';

const LABEL = { afd: 'afd-socket', 'http-afd': 'afd-socket', epoll: 'C epoll (ceiling)' };

export async function render(results) {
  const values = [];
  for (const sc of results.scenarios) {
    for (const [name, r] of Object.entries(sc.servers)) {
      if (r.vsNet === undefined) continue;
      values.push({ scenario: sc.name, server: LABEL[name] ?? name, ratio: Number(r.vsNet.toFixed(3)),
        low: r.min / (r.median / r.vsNet), high: r.max / (r.median / r.vsNet) });
    }
  }
  const m = results.machine;
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `afd-socket vs net.createServer${results.wine ? ' (servers under Wine)' : ''}: throughput, net = 1`,
      subtitle: `${m.cpu}, ${m.cores} cores, ${m.kernel}, node ${m.node}; median of ${results.rounds} round${results.rounds === 1 ? '' : 's'}, lines show min-max`,
    },
    width: 520, height: 260,
    data: { values },
    encoding: {
      x: { field: 'scenario', type: 'nominal', sort: null, axis: { labelAngle: 0, title: null } },
      xOffset: { field: 'server' },
      color: { field: 'server', type: 'nominal', scale: { domain: ['afd-socket', 'C epoll (ceiling)'].filter((d) => values.some((v) => v.server === d)), range: ['#1f77b4', '#aaaaaa'] }, legend: { orient: 'top', title: null } },
    },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'ratio', type: 'quantitative', title: 'relative to net.createServer' } } },
      { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
      { mark: { type: 'text', dy: -8, fontSize: 10 }, encoding: { y: { field: 'ratio', type: 'quantitative' }, text: { field: 'ratio', format: '.2f' } } },
      { data: { values: [{ one: 1 }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#d62728' }, encoding: { y: { field: 'one', type: 'quantitative' }, xOffset: null, x: null, color: null } },
    ],
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
