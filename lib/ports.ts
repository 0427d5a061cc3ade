// Port diagnostics: the system's TCP table with owning processes, who holds a
// port, the port ranges, and why a bind is refused. Nothing here runs on a hot
// path: the EADDRINUSE/EACCES error paths and the CLI call it.
//   Linux: /proc/net/tcp{,6}, and the socket inodes under /proc/<pid>/fd.
//   Windows: GetExtendedTcpTable (iphlpapi, not Winsock) through the addon,
//   and netsh for the ranges. Wine 8.0 lists ports with owning pid 0: unknown.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { native } from './binding';

export interface TcpEntry {
  family: 'IPv4' | 'IPv6';
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: string;
  pid: number | null;
  name: string | null;
}

export interface Holder {
  pid: number | null;
  name: string | null;
  /** Why the holder is not known, when it is not. */
  reason?: string;
}

const LINUX_STATES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
  'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'];
const MIB_STATES = ['', 'CLOSED', 'LISTEN', 'SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2',
  'CLOSE_WAIT', 'CLOSING', 'LAST_ACK', 'TIME_WAIT', 'DELETE_TCB'];

function ipText(bytes: Buffer): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) { // the longest run of zero groups becomes '::'
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j > i ? j : i + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

// /proc/net/tcp writes addresses as 32-bit words in host (little-endian) order.
function procAddress(hex: string): Buffer {
  const b = Buffer.alloc(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) b.writeUInt32LE(parseInt(hex.slice(w * 8, w * 8 + 8), 16), w * 4);
  return b;
}

// inode -> pid, for the sockets this user may see.
function socketOwners(wanted: Set<number>): Map<number, number> {
  const owners = new Map<number, number>();
  if (wanted.size === 0) return owners;
  for (const dir of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(dir)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${dir}/fd`);
    } catch {
      continue; // another user's process, or gone
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${dir}/fd/${fd}`));
        if (m && wanted.has(Number(m[1]))) owners.set(Number(m[1]), Number(dir));
      } catch {
        // closed meanwhile
      }
    }
    if (owners.size === wanted.size) break;
  }
  return owners;
}

function processName(pid: number): string | null {
  try {
    if (process.platform === 'linux') return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return native.processName(pid) || null;
  } catch {
    return null;
  }
}

/** The system's TCP sockets; `port` narrows them to those with that local or remote port. */
export function tcpTable(port?: number): TcpEntry[] {
  const rows = native.tcpTable();
  if (rows !== null) {
    return rows.filter((r) => port === undefined || r.localPort === port || r.remotePort === port).map((r) => ({
      family: r.family === 6 ? 'IPv6' : 'IPv4', localAddress: ipText(r.local), localPort: r.localPort,
      remoteAddress: ipText(r.remote), remotePort: r.remotePort, state: MIB_STATES[r.state] ?? String(r.state),
      pid: r.pid > 0 ? r.pid : null, name: r.pid > 0 ? processName(r.pid) : null,
    }));
  }
  const found: Array<TcpEntry & { inode: number }> = [];
  for (const [file, family] of [['/proc/net/tcp', 'IPv4'], ['/proc/net/tcp6', 'IPv6']] as const) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [la, lp] = f[1].split(':');
      const [ra, rp] = f[2].split(':');
      const localPort = parseInt(lp, 16);
      const remotePort = parseInt(rp, 16);
      if (port !== undefined && localPort !== port && remotePort !== port) continue;
      found.push({ family, localAddress: ipText(procAddress(la)), localPort, remoteAddress: ipText(procAddress(ra)),
        remotePort, state: LINUX_STATES[parseInt(f[3], 16)] ?? f[3], pid: null, name: null, inode: Number(f[9]) });
    }
  }
  const owners = socketOwners(new Set(found.filter((e) => e.inode > 0).map((e) => e.inode)));
  return found.map(({ inode, ...e }) => {
    const pid = owners.get(inode) ?? null;
    return { ...e, pid, name: pid === null ? null : processName(pid) };
  });
}

/** Who listens on (or else holds) `port`: a pid and process name, or why that is not known. */
export function portHolder(port: number): Holder {
  let rows: TcpEntry[];
  try {
    rows = tcpTable(port).filter((r) => r.localPort === port);
  } catch (err) {
    return { pid: null, name: null, reason: `the TCP table could not be read (${(err as Error).message})` };
  }
  const best = rows.find((r) => r.state === 'LISTEN' && r.pid !== null) ?? rows.find((r) => r.pid !== null);
  if (best) return { pid: best.pid, name: best.name };
  if (rows.length === 0) return { pid: null, name: null, reason: 'no TCP socket on this port is listed' };
  return {
    pid: null, name: null,
    reason: process.platform === 'linux'
      ? 'the socket is listed, but no process this user can inspect holds it (another user\'s process?)'
      : 'the system lists the port but reports no owning process (Wine reports pid 0)',
  };
}

/** The text that explains an EACCES bind, where the library can tell. */
export function explainAccess(port: number): string {
  if (process.platform === 'linux') {
    const start = readNumber('/proc/sys/net/ipv4/ip_unprivileged_port_start');
    if (start !== null && port < start) {
      return `port ${port} is below net.ipv4.ip_unprivileged_port_start (${start}) and the process lacks CAP_NET_BIND_SERVICE; `
        + 'see: sysctl net.ipv4.ip_unprivileged_port_start';
    }
    return 'see: sysctl net.ipv4.ip_unprivileged_port_start, and the security modules in force';
  }
  return 'the port may be in an excluded range (Hyper-V, WinNAT) or reserved; '
    + 'see: netsh interface ipv4 show excludedportrange protocol=tcp';
}

function readNumber(file: string): number | null {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return null;
  }
}

export interface PortRange { first: number; last: number }
export interface PortRanges {
  ephemeral: { range: PortRange | null; source: string };
  reserved: { ranges: PortRange[]; source: string };
  unprivilegedStart?: { port: number | null; source: string };
  inUse: { ephemeral: number; timeWait: number; source: string };
}

function netsh(args: string[]): string {
  return execFileSync('netsh', args, { encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The ephemeral range, reserved or excluded ranges, and how much of the ephemeral range is in use. */
export function portRanges(): PortRanges {
  let ephemeral: PortRanges['ephemeral'];
  let reserved: PortRanges['reserved'];
  const out: Partial<PortRanges> = {};
  if (process.platform === 'linux') {
    const file = '/proc/sys/net/ipv4/ip_local_port_range';
    const [first, last] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    ephemeral = { range: { first, last }, source: file };
    const rfile = '/proc/sys/net/ipv4/ip_local_reserved_ports';
    const text = fs.existsSync(rfile) ? fs.readFileSync(rfile, 'utf8').trim() : '';
    reserved = {
      ranges: text ? text.split(',').map((p) => { const [a, b] = p.split('-').map(Number); return { first: a, last: b ?? a }; }) : [],
      source: rfile,
    };
    const ufile = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
    out.unprivilegedStart = { port: readNumber(ufile), source: ufile };
  } else {
    try {
      const text = netsh(['interface', 'ipv4', 'show', 'dynamicport', 'protocol=tcp']);
      const start = /Start Port\s*:\s*(\d+)/i.exec(text);
      const count = /Number of Ports\s*:\s*(\d+)/i.exec(text);
      if (!start || !count) throw new Error('no Start Port / Number of Ports in its answer');
      ephemeral = { range: { first: Number(start[1]), last: Number(start[1]) + Number(count[1]) - 1 },
        source: 'netsh interface ipv4 show dynamicport protocol=tcp' };
    } catch (err) {
      ephemeral = { range: null, source: `unknown: netsh interface ipv4 show dynamicport failed (${firstLine(err)})` };
    }
    try {
      const text = netsh(['interface', 'ipv4', 'show', 'excludedportrange', 'protocol=tcp']);
      if (!/Start Port/i.test(text)) throw new Error('no table of ranges in its answer');
      const ranges = [...text.matchAll(/^\s*(\d+)\s+(\d+)/gm)].map((m) => ({ first: Number(m[1]), last: Number(m[2]) }));
      reserved = { ranges, source: 'netsh interface ipv4 show excludedportrange protocol=tcp' };
    } catch (err) {
      reserved = { ranges: [], source: `unknown: netsh interface ipv4 show excludedportrange failed (${firstLine(err)})` };
    }
  }
  const rows = tcpTable();
  const r = ephemeral.range;
  const inRange = r ? rows.filter((e) => e.state !== 'LISTEN' && e.localPort >= r.first && e.localPort <= r.last) : [];
  return {
    ephemeral, reserved, ...out,
    inUse: {
      ephemeral: inRange.length, timeWait: inRange.filter((e) => e.state === 'TIME_WAIT').length,
      source: process.platform === 'linux' ? '/proc/net/tcp, /proc/net/tcp6' : 'GetExtendedTcpTable',
    },
  };
}

function firstLine(err: unknown): string {
  return String((err as Error).message ?? err).split('\n')[0];
}
