// stats(): counters a user would put on a dashboard, for this thread's
// instance of the library (each worker has its own).
import { native } from './binding';
import { counters } from './io';
import { SHARED_READ_BYTES } from './socket';

export interface Stats {
  /** Listeners and sockets not yet closed. */
  openListeners: number;
  openSockets: number;
  /** Requests waiting in the kernel, by kind (reads and writes wait without a buffer). */
  pending: { accept: number; connect: number; read: number; write: number; shutdown: number };
  /** Requests settled from completion batches, and batches delivered, since start. */
  completions: number;
  wakeups: number;
  /**
   * Bytes the library holds for reads: the one shared receive buffer. It does
   * not grow with connections or pending reads.
   */
  readBufferBytes: number;
  /** setNoDelay() calls the kernel refused; like node:net they do not throw (each is also in the trace). */
  noDelayFailures: number;
  /** Stream setKeepAlive() calls the kernel refused (they do not throw, as in node:net). */
  keepAliveFailures: number;
  /**
   * The process's open descriptors (Linux) or handles (Windows,
   * GetProcessHandleCount); null where the system does not say (Wine 8.0).
   */
  handles: number | null;
}

export function stats(): Stats {
  const handles = native.handleCount();
  return {
    openListeners: counters.listeners,
    openSockets: counters.sockets,
    pending: { ...counters.pending },
    completions: counters.completions,
    wakeups: counters.wakeups,
    readBufferBytes: SHARED_READ_BYTES,
    noDelayFailures: counters.noDelayFailures,
    keepAliveFailures: counters.keepAliveFailures,
    handles: handles >= 0 ? handles : null,
  };
}
