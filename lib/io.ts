// The JS half of the completion model. Every operation gets a request id; it
// either finishes inline (no promise machinery beyond Promise.resolve) or is
// parked here until the addon delivers its completion in a batch, and every
// request of a batch settles in one pass. A parked request keeps its buffer
// referenced, so the memory the kernel writes stays alive until it settles.
import { native, State } from './binding';
import { AbortError, Peer, setWindows, socketClosed, systemError } from './errors';
import { traceSync } from './trace';

const slot = new Float64Array(2);
export const scratch = new Uint8Array(32);

interface Parked {
  owner: Endpoint;
  syscall: string;
  resolve: (value: number) => void;
  reject: (err: unknown) => void;
  keep: Uint8Array | undefined;
  peer: Peer | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  aborted: boolean;
  // A success that arrives after the owner closed (an accepted endpoint, say)
  // is handed here so nothing leaks.
  discard: ((value: number) => void) | undefined;
}

const parked = new Map<number, Parked>();
let nextRequest = 1;
let activeRefs = 0;

function addRef(n: number): void {
  const before = activeRefs;
  activeRefs += n;
  if (before === 0 && activeRefs > 0) native.ref();
  else if (before > 0 && activeRefs === 0) native.unref();
}

function onBatch(results: Float64Array): void {
  for (let i = 0; i < results.length; i += 4) {
    const id = results[i];
    const p = parked.get(id);
    if (p === undefined) continue;
    parked.delete(id);
    settle(p, results[i + 1], results[i + 2], results[i + 3]);
  }
}

function settle(p: Parked, state: number, status: number, value: number): void {
  const owner = p.owner;
  owner.pending--;
  if (owner.refed) addRef(-1);
  if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort);
  if (owner.closed) {
    if (state === State.Done && p.discard) p.discard(value);
    p.reject(socketClosed());
  } else if (state === State.Done) {
    p.resolve(value);
  } else if (p.aborted && native.errorName(status) === 'ECANCELED') {
    p.reject(new AbortError(p.signal!.reason));
  } else {
    p.reject(systemError(p.syscall, status, p.peer));
  }
  if (owner.pending === 0 && owner.drained) owner.drained();
}

export const backend: string = native.init(onBatch, slot, scratch);
setWindows(backend !== 'linux');

export interface Options {
  keep?: Uint8Array;
  peer?: Peer;
  signal?: AbortSignal;
  discard?: (value: number) => void;
}

// The native endpoint behind an AfdListener or AfdSocket.
export class Endpoint {
  closed = false;
  refed = true;
  pending = 0;
  drained: (() => void) | undefined = undefined;
  private closing: Promise<void> | undefined = undefined;

  constructor(readonly ep: number) {}

  // Synchronous calls (bind, listen, addresses): throws a system error.
  call(syscall: string, state: State, peer?: Peer): number {
    if (state === State.Failed) throw systemError(syscall, slot[0], peer);
    return slot[1];
  }

  // Asynchronous calls: `start` issues the native op for request id `req`.
  run(syscall: string, start: (req: number) => State, o: Options = {}): Promise<number> {
    if (this.closed) return Promise.reject(socketClosed());
    traceSync();
    const req = nextRequest;
    nextRequest = nextRequest >= 0xfffffff0 ? 1 : nextRequest + 1;
    const state = start(req);
    if (state === State.Done) return Promise.resolve(slot[1]);
    if (state === State.Failed) return Promise.reject(systemError(syscall, slot[0], o.peer));
    return new Promise<number>((resolve, reject) => {
      const p: Parked = {
        owner: this, syscall, resolve, reject, keep: o.keep, peer: o.peer,
        signal: o.signal, onAbort: undefined, aborted: false, discard: o.discard,
      };
      if (o.signal) {
        p.onAbort = () => {
          p.aborted = true;
          native.cancel(this.ep, req);
        };
        o.signal.addEventListener('abort', p.onAbort, { once: true });
      }
      parked.set(req, p);
      this.pending++;
      if (this.refed) addRef(1);
    });
  }

  // Releases the endpoint; pending requests settle (rejected) once the kernel
  // has let go of them, and the returned promise waits for that.
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    traceSync();
    native.close(this.ep);
    this.closing = this.pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => { this.drained = resolve; });
    return this.closing;
  }

  ref(): void {
    if (!this.refed) { this.refed = true; addRef(this.pending); }
  }

  unref(): void {
    if (this.refed) { this.refed = false; addRef(-this.pending); }
  }
}

export function openEndpoint(family: 4 | 6): Endpoint {
  traceSync();
  const state = native.open(family);
  if (state === State.Failed) throw systemError('socket', slot[0]);
  return new Endpoint(slot[1]);
}
