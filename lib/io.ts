// The JS half of the completion model. Every waiting operation gets a request
// id; it either finishes inline (no promise machinery beyond Promise.resolve)
// or is parked here until the addon delivers its completion in a batch, and
// every request of a batch settles in one pass.
//
// Parked requests hold no buffer. Reads and writes move data only inline
// (native.recv / native.send on this thread); when the kernel has nothing (or
// no room) they park a readiness wait, and its `again` continuation retries
// the inline call when the wait settles. Request ids are slots of one array.
import { native, State } from './binding';
import { AbortError, Peer, setWindows, socketClosed, systemError } from './errors';
import { traceSync } from './trace';

const slot = new Float64Array(2);
export const scratch = new Uint8Array(32);

/** The inline outcome's [status, value] of the last native call. */
export function lastStatus(): number { return slot[0]; }
export function lastValue(): number { return slot[1]; }

// What a parked request waits for; each maps to one native call. Reads and
// writes are issued by the socket itself (they move data when they can).
export const enum Wait { Accept, Connect, Shutdown }

// Live counters for stats(): one object, updated in place.
export const counters = {
  listeners: 0,
  sockets: 0,
  completions: 0, // requests settled from a batch
  wakeups: 0, // batches delivered to JS
  noDelayFailures: 0, // setNoDelay() calls the kernel refused (they do not throw, as in node:net)
  keepAliveFailures: 0, // likewise setKeepAlive() on streams
  pending: { accept: 0, connect: 0, read: 0, write: 0, shutdown: 0 },
};
type PendingKind = keyof typeof counters.pending;
const kindOf = (syscall: string): PendingKind =>
  syscall === 'recv' ? 'read' : syscall === 'send' ? 'write' : syscall === 'connect' ? 'connect'
    : syscall === 'shutdown' ? 'shutdown' : 'accept';

const NO_OPTIONS: Options = Object.freeze({});

// One request waiting in the kernel. Lean on purpose: an idle connection's
// pending read is one of these, so rarely used things (abort signal, peer,
// discard) stay in the shared options object.
export class Parked {
  req = 0;
  onAbort: (() => void) | undefined = undefined; // set only with a signal
  aborted = false;
  constructor(
    readonly owner: Endpoint,
    readonly syscall: string,
    readonly resolve: (value: any) => void, // eslint-disable-line @typescript-eslint/no-explicit-any
    readonly reject: (err: unknown) => void,
    readonly o: Options = NO_OPTIONS,
  ) {}

  get kind(): PendingKind { return kindOf(this.syscall); }

  // The wait settled with success: resolve, or (readiness waits) go on, by
  // o.again or by a subclass, which retries the inline operation and then
  // calls done()/fail() or parks again.
  ready(value: number): void {
    if (this.o.again) this.o.again(this);
    else this.done(value);
  }

  done(value: unknown): void {
    this.unlisten();
    this.resolve(value);
  }

  fail(err: unknown): void {
    this.unlisten();
    this.reject(err);
  }

  private unlisten(): void {
    if (this.onAbort) this.o.signal!.removeEventListener('abort', this.onAbort);
  }
}

const parked: (Parked | undefined)[] = [undefined]; // id 0 is never used
const freeIds: number[] = [];
let activeRefs = 0;

function addRef(n: number): void {
  const before = activeRefs;
  activeRefs += n;
  if (before === 0 && activeRefs > 0) native.ref();
  else if (before > 0 && activeRefs === 0) native.unref();
}

function onBatch(results: Float64Array, length: number): void {
  counters.wakeups++;
  counters.completions += length / 4;
  for (let i = 0; i < length; i += 4) {
    const id = results[i];
    const p = parked[id];
    if (p === undefined) continue;
    parked[id] = undefined;
    freeIds.push(id);
    settle(p, results[i + 1], results[i + 2], results[i + 3]);
  }
}

function settle(p: Parked, state: number, status: number, value: number): void {
  const owner = p.owner;
  owner.pending--;
  counters.pending[p.kind]--;
  p.req = 0;
  if (owner.refed) addRef(-1);
  if (owner.closed) {
    if (state === State.Done && p.o.discard) p.o.discard(value);
    p.fail(socketClosed());
  } else if (state === State.Done) {
    p.ready(value);
  } else if (p.aborted) {
    // Cancelled, or failed because aborting closed it (a pending connect)
    p.fail(new AbortError(p.o.signal!.reason));
  } else {
    p.fail(systemError(p.syscall, status, p.o.peer));
  }
  if (owner.pending === 0 && owner.drained) owner.drained();
}

export const backend: string = native.init(onBatch, slot, scratch);
setWindows(backend !== 'linux');

export interface Options {
  peer?: Peer;
  signal?: AbortSignal;
  discard?: (value: number) => void;
  again?: (p: Parked) => void;
}

// The native endpoint behind an AfdListener or AfdSocket.
export const enum Role { None, Socket, Listener }

export class Endpoint {
  closed = false;
  bigReads = false; // the last read without a buffer took a lot: read the next into a fresh one
  private role = Role.None;
  refed = true;
  pending = 0;
  drained: (() => void) | undefined = undefined;
  private closing: Promise<void> | undefined = undefined;

  constructor(readonly ep: number) {}

  // Counted in stats() as an open socket or listener until closed.
  setRole(role: Role): void {
    this.role = role;
    if (role === Role.Socket) counters.sockets++;
    else if (role === Role.Listener) counters.listeners++;
  }

  // Synchronous calls (bind, listen, addresses): throws a system error.
  call(syscall: string, state: State, peer?: Peer): number {
    if (state === State.Failed) throw systemError(syscall, slot[0], peer);
    return slot[1];
  }

  // Issues `wait` under a fresh request id; inline outcomes settle at once.
  run<T = number>(syscall: string, wait: Wait, o: Options = {}): Promise<T> {
    if (this.closed) return Promise.reject(socketClosed());
    traceSync();
    const req = takeId();
    const state = issue(this.ep, wait, req);
    if (state === State.Pending) return this.parked<T>(req, syscall, o);
    releaseId(req);
    if (state === State.Failed) return Promise.reject(systemError(syscall, slot[0], o.peer));
    return Promise.resolve(slot[1] as T);
  }

  // A request the addon has just parked under `req`: the promise of its result.
  parked<T>(req: number, syscall: string, o: Options): Promise<T> {
    return new Promise<T>((resolve, reject) => { this.wait(req, syscall, o, resolve, reject); });
  }

  // The same with callbacks, for callers that need no promise (streams).
  wait(req: number, syscall: string, o: Options, resolve: (value: any) => void, reject: (err: unknown) => void): void { // eslint-disable-line @typescript-eslint/no-explicit-any
    this.track(new Parked(this, syscall, resolve, reject, o), req);
  }

  // Files a new request p under `req`, listening to its abort signal.
  track(p: Parked, req: number): void {
    const signal = p.o.signal;
    if (signal) {
      p.onAbort = () => {
        p.aborted = true;
        if (p.req !== 0) native.cancel(this.ep, p.req);
      };
      signal.addEventListener('abort', p.onAbort, { once: true });
    }
    this.hold(p, req);
  }

  // Files p under `req`, which the addon has parked.
  hold(p: Parked, req: number): void {
    p.req = req;
    parked[req] = p;
    this.pending++;
    counters.pending[p.kind]++;
    if (this.refed) addRef(1);
  }

  // Releases the endpoint; pending requests settle (rejected) once the kernel
  // has let go of them, and the returned promise waits for that.
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    finalizer.unregister(this);
    if (this.role === Role.Socket) counters.sockets--;
    else if (this.role === Role.Listener) counters.listeners--;
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

function issue(ep: number, wait: Wait, req: number): State {
  switch (wait) {
    case Wait.Accept: return native.accept(ep, req);
    case Wait.Connect: return native.connect(ep, req);
    default: return native.shutdown(ep, req);
  }
}

/** A request id for a native call that may park; give it back unless it did. */
export function takeId(): number {
  return freeIds.length > 0 ? freeIds.pop()! : parked.push(undefined) - 1;
}

export function releaseId(req: number): void {
  freeIds.push(req);
}

// Sockets and listeners that become unreachable without close() are closed
// here. close() unregisters, and Endpoint.close() is idempotent, so nothing
// is closed twice. (A pending operation keeps its socket reachable.)
const finalizer = new FinalizationRegistry<Endpoint>((endpoint) => { endpoint.close().catch(() => {}); });

export function closeWhenUnreachable(owner: object, endpoint: Endpoint): void {
  finalizer.register(owner, endpoint, endpoint);
}

export function openEndpoint(family: 4 | 6): Endpoint {
  traceSync();
  const state = native.open(family);
  if (state === State.Failed) throw systemError('socket', slot[0]);
  return new Endpoint(slot[1]);
}
