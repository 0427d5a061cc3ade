// What the runner reads about a server process from /proc: CPU time and
// context switches (all threads), resident memory, open descriptors.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');

let usPerTick;
function tickUs() {
  if (usPerTick === undefined) {
    let hz = 100; // USER_HZ, 100 on every usual Linux
    try { hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100; } catch { /* keep 100 */ }
    usPerTick = 1e6 / hz;
  }
  return usPerTick;
}

// { cpuUs: utime + stime of every thread, ctx: voluntary + nonvoluntary switches of every thread }
function procStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuUs = (Number(f[11]) + Number(f[12])) * tickUs(); // fields 14 and 15
  let ctx = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8');
      for (const m of st.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)/gm)) ctx += Number(m[1]);
    } catch { /* the thread is gone */ }
  }
  return { cpuUs, ctx };
}

// Resident set size in bytes (VmRSS).
function rssBytes(pid) {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function fdCount(pid) {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

module.exports = { procStats, rssBytes, fdCount };
