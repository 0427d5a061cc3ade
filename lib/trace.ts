// The `afd-socket:syscall` diagnostics channel, and strace-like trace lines.
// The addon publishes only while the channel has subscribers; each public
// call first syncs that state, which costs one property read when nobody
// listens. trace.enable() (or AFD_SOCKET_TRACE=1) subscribes a printer that
// writes one line per kernel call to stderr:
//   bind(17, 127.0.0.1:8080) = 0  3us
//   NtDeviceIoControlFile(0x1a4, IOCTL_AFD_BIND, {share=unique, 127.0.0.1:8080}) = STATUS_SUCCESS  14us
import dc from 'node:diagnostics_channel';
import fs from 'node:fs';
import os from 'node:os';
import { native } from './binding';

export const channel = dc.channel('afd-socket:syscall');
let on = false;
const publish = (message: object): void => channel.publish(message);

export function traceSync(): void {
  const want = channel.hasSubscribers;
  if (want === on) return;
  on = want;
  native.setTrace(want ? publish : null);
}

/** One kernel call, as the channel publishes it. */
export interface TraceMessage {
  syscall: string;
  // Linux
  fd?: number; result?: number; errno?: number; detail?: string;
  // Windows
  ioctl?: string | null; code?: number; handle?: number; status?: number; input?: Buffer; information?: number;
  us?: number;
}

const STATUS_NAMES: Record<number, string> = {
  0x0: 'STATUS_SUCCESS', 0x103: 'STATUS_PENDING', 0x8000000A: 'STATUS_HANDLES_CLOSED',
  0xC0000008: 'STATUS_INVALID_HANDLE', 0xC000000D: 'STATUS_INVALID_PARAMETER', 0xC0000010: 'STATUS_INVALID_DEVICE_REQUEST',
  0xC0000022: 'STATUS_ACCESS_DENIED', 0xC0000023: 'STATUS_BUFFER_TOO_SMALL', 0xC0000043: 'STATUS_SHARING_VIOLATION',
  0xC00000A3: 'STATUS_DEVICE_NOT_READY', 0xC00000B5: 'STATUS_IO_TIMEOUT', 0xC00000BB: 'STATUS_NOT_SUPPORTED',
  0xC00000BE: 'STATUS_BAD_NETWORK_PATH', 0xC00000CB: 'STATUS_BAD_DEVICE_TYPE', 0xC0000120: 'STATUS_CANCELLED',
  0xC000013B: 'STATUS_LOCAL_DISCONNECT', 0xC000013C: 'STATUS_REMOTE_DISCONNECT', 0xC0000140: 'STATUS_INVALID_CONNECTION',
  0xC0000207: 'STATUS_INVALID_ADDRESS_COMPONENT', 0xC0000209: 'STATUS_TOO_MANY_ADDRESSES',
  0xC000020A: 'STATUS_ADDRESS_ALREADY_EXISTS', 0xC000020C: 'STATUS_CONNECTION_DISCONNECTED',
  0xC000020D: 'STATUS_CONNECTION_RESET', 0xC000020F: 'STATUS_REMOTE_NOT_LISTENING',
  0xC0000225: 'STATUS_NOT_FOUND', 0xC0000236: 'STATUS_CONNECTION_REFUSED', 0xC0000237: 'STATUS_GRACEFUL_DISCONNECT',
  0xC0000238: 'STATUS_ADDRESS_ALREADY_ASSOCIATED', 0xC000023C: 'STATUS_NETWORK_UNREACHABLE',
  0xC000023D: 'STATUS_HOST_UNREACHABLE', 0xC000023F: 'STATUS_PORT_UNREACHABLE', 0xC0000241: 'STATUS_CONNECTION_ABORTED',
};
const SHARE_NAMES = ['unique', 'reuse', 'wildcard', 'exclusive'];
const ERRNO_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(os.constants.errno)) if (!ERRNO_NAMES.has(n)) ERRNO_NAMES.set(n, name); // EAGAIN, not EWOULDBLOCK
const POLL_BITS: Array<[number, string]> = [[0x1, 'RECEIVE'], [0x4, 'SEND'], [0x8, 'DISCONNECT'], [0x10, 'ABORT'],
  [0x20, 'LOCAL_CLOSE'], [0x40, 'CONNECT'], [0x80, 'ACCEPT'], [0x100, 'CONNECT_FAIL']];

export function statusName(status: number): string {
  return STATUS_NAMES[status >>> 0] ?? `0x${(status >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

// A Winsock SOCKADDR_IN / SOCKADDR_IN6 (AF_INET6 is 23 on Windows).
function sockaddr(b: Buffer, at: number): string {
  if (b.length < at + 16) return '?';
  const family = b.readUInt16LE(at);
  const port = b.readUInt16BE(at + 2);
  if (family === 23 && b.length >= at + 24) {
    const groups = [];
    for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(at + 8 + 2 * i).toString(16));
    return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]:${port}`;
  }
  return `${b[at + 4]}.${b[at + 5]}.${b[at + 6]}.${b[at + 7]}:${port}`;
}

// The input of the IOCTLs the library issues, in words.
function decode(ioctl: string, b: Buffer): string {
  const u32 = (at: number): number => (b.length >= at + 4 ? b.readUInt32LE(at) : NaN);
  switch (ioctl) {
    case 'IOCTL_AFD_BIND': return `{share=${SHARE_NAMES[u32(0)] ?? u32(0)}, ${sockaddr(b, 4)}}`;
    case 'IOCTL_AFD_CONNECT': return `{${sockaddr(b, 24)}}`;
    case 'IOCTL_AFD_WINE_CONNECT': return `{${sockaddr(b, 8)}}`;
    case 'IOCTL_AFD_START_LISTEN': return `{backlog=${u32(4)}}`;
    case 'IOCTL_AFD_RECEIVE':
    case 'IOCTL_AFD_SEND': return `{bufs=${u32(8)}, afd_flags=0x${u32(12).toString(16)}, tdi_flags=0x${u32(16).toString(16)}}`;
    case 'IOCTL_AFD_WINE_SENDMSG': return `{bufs=${u32(20)}, force_async=${u32(16)}}`;
    case 'IOCTL_AFD_POLL': return `{${POLL_BITS.filter(([bit]) => u32(24) & bit).map(([, n]) => n).join('|')}}`;
    case 'IOCTL_AFD_PARTIAL_DISCONNECT': return `{mode=${u32(0) === 1 ? 'send' : u32(0)}}`;
    case 'IOCTL_AFD_WINE_SHUTDOWN': return `{how=${['receive', 'send', 'both'][u32(0)] ?? u32(0)}}`;
    case 'IOCTL_AFD_WINE_CREATE': return `{family=${u32(0) === 23 ? 'AF_INET6' : 'AF_INET'}, type=${u32(4)}, protocol=${u32(8)}}`;
    case 'IOCTL_AFD_SET_INFORMATION': return `{type=0x${u32(0).toString(16)}, value=${b.length > 8 ? b[8] : '?'}}`;
    case 'IOCTL_AFD_TRANSPORT_IOCTL': return `{level=${u32(4)}, option=${u32(8)}, value=?}`;
    case 'IOCTL_AFD_WINE_FIONBIO':
    case 'IOCTL_AFD_WINE_SET_TCP_NODELAY': return `{${u32(0)}}`;
    default: return b.length ? `{${b.length} bytes}` : '{}';
  }
}

/** One strace-like line for a channel message. */
export function formatTrace(m: TraceMessage): string {
  const took = m.us === undefined ? '' : `  ${Math.round(m.us)}us`;
  if (m.fd !== undefined) {
    const args = [m.fd >= 0 ? String(m.fd) : '', m.detail ?? ''].filter(Boolean).join(', ');
    const result = m.result! < 0 ? `-1 ${ERRNO_NAMES.get(m.errno!) ?? m.errno}` : String(m.result);
    return `${m.syscall}(${args}) = ${result}${took}`;
  }
  const handle = `0x${(m.handle ?? 0).toString(16)}`;
  const status = statusName(m.status ?? 0);
  if (m.syscall === 'NtDeviceIoControlFile') {
    const bytes = m.information ? ` (${m.information} bytes)` : '';
    return `${m.syscall}(${handle}, ${m.ioctl}, ${decode(m.ioctl ?? '', m.input ?? Buffer.alloc(0))}) = ${status}${bytes}${took}`;
  }
  if (m.syscall === 'NtCreateFile') {
    const family = m.input && m.input.length >= 36 ? (m.input.readInt32LE(32) === 23 ? 'AF_INET6' : 'AF_INET') : '?';
    return `${m.syscall}(\\Device\\Afd\\Endpoint, AfdOpenPacketXX {${family}, SOCK_STREAM, IPPROTO_TCP}) = ${status}, handle ${handle}${took}`;
  }
  return `${m.syscall}(${handle}) = ${status}${took}`;
}

const print = (message: unknown): void => {
  try {
    fs.writeSync(2, formatTrace(message as TraceMessage) + '\n');
  } catch {
    // stderr gone: tracing must never break the program
  }
};
let printing = false;

/** Trace lines on stderr: on with enable() or AFD_SOCKET_TRACE=1 in the environment. */
export const trace = {
  enable(): void {
    if (printing) return;
    printing = true;
    dc.subscribe('afd-socket:syscall', print);
  },
  disable(): void {
    if (!printing) return;
    printing = false;
    dc.unsubscribe('afd-socket:syscall', print);
  },
  get enabled(): boolean { return printing; },
  format: formatTrace,
};

if (process.env.AFD_SOCKET_TRACE && process.env.AFD_SOCKET_TRACE !== '0') trace.enable();
