// The only place that loads the addon, and the declared native surface.
// Native methods report an inline outcome as their return value (State) with
// [status, value] in the shared slot; addresses travel through the scratch buffer.
import path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const load: (dir: string) => Native = require('node-gyp-build');
// AFD_SOCKET_ADDON names a build to load instead (the sanitizer build of `npm run test:asan`).
const override = process.env.AFD_SOCKET_ADDON;

export const enum State { Done = 0, Pending = 1, Failed = 2 }

export interface Native {
  init(onBatch: (results: Float64Array, length: number) => void, slot: Float64Array, scratch: Uint8Array): string;
  open(family: 4 | 6): State;
  bind(ep: number, share: number): State;
  listen(ep: number, backlog: number): State;
  accept(ep: number, req: number): State;
  connect(ep: number, req: number): State;
  recv(ep: number, into: Uint8Array, req: number): State;
  send(ep: number, data: Uint8Array, offset: number, req: number): State;
  sendv(ep: number, chunks: Uint8Array[], first: number, offset: number, req: number): State;
  shutdown(ep: number, req: number): State;
  peek(ep: number): State;
  setNoDelay(ep: number, on: boolean): State;
  setKeepAlive(ep: number, on: boolean, idleSeconds: number): State;
  localAddress(ep: number): State;
  remoteAddress(ep: number): State;
  cancel(ep: number, req: number): void;
  close(ep: number): void;
  ref(): void;
  unref(): void;
  errorName(status: number): string;
  handleCount(): number;
  tcpTable(): Array<{ family: 4 | 6; local: Buffer; localPort: number; remote: Buffer; remotePort: number; state: number; pid: number }> | null;
  processName(pid: number): string;
  setTrace(fn: ((message: object) => void) | null): void;
  setDialect(name: string): boolean;
  dialect(): string;
  abiLayout: Record<string, number>;
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const native: Native = override ? require(path.resolve(override)) : load(path.join(__dirname, '..'));
