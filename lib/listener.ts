// AfdListener: a bound, listening endpoint that hands out AfdSockets.
import { State, native } from './binding';
import { Address, readAddress, writeAddress } from './address';
import { socketClosed } from './errors';
import { Endpoint, Role, backend, closeWhenUnreachable, counters, openEndpoint, scratch } from './io';
import { AfdSocket, acceptInto } from './socket';
import { Holder, explainAccess, portHolder } from './ports';
import * as check from './validate';

const SHARES = ['unique', 'reuse', 'wildcard', 'exclusive'] as const;
// Linux copies TCP_NODELAY from a listening socket to the sockets it accepts,
// so it is set once on the listener there, not once per connection.
const NODELAY_INHERITED = backend === 'linux';
export type Share = (typeof SHARES)[number];

export interface ListenOptions {
  host?: string;
  port?: number;
  backlog?: number;
  share?: Share;
  noDelay?: boolean;
  signal?: AbortSignal;
}

// EADDRINUSE names who holds the port; EACCES says why, where the library
// can tell. The lookups run on this error path only.
function explain(err: unknown, port: number): unknown {
  const e = err as Error & { code?: string; owner?: Holder };
  if (e.code === 'EADDRINUSE' && port !== 0) {
    const holder = portHolder(port);
    e.owner = { pid: holder.pid, name: holder.name };
    e.message += holder.pid !== null ? ` (held by pid ${holder.pid}, ${holder.name ?? 'unknown name'})` : ` (holder unknown: ${holder.reason})`;
  } else if (e.code === 'EACCES') {
    e.message += ` (${explainAccess(port)})`;
  }
  return e;
}

export class AfdListener {
  /** @internal */ readonly endpoint: Endpoint;
  private readonly noDelay: boolean;
  private readonly bound: Address;

  private constructor(endpoint: Endpoint, noDelay: boolean, bound: Address) {
    this.endpoint = endpoint;
    endpoint.setRole(Role.Listener);
    closeWhenUnreachable(this, endpoint);
    this.noDelay = noDelay;
    this.bound = bound;
  }

  static async listen(options: ListenOptions = {}): Promise<AfdListener> {
    const o = check.object('options', options, true);
    const { host, family } = check.host('options.host', o.host, '0.0.0.0');
    const port = check.port('options.port', o.port, 0);
    const backlog = check.integer('options.backlog', o.backlog, 511, 0, 0x7fffffff);
    const share = check.oneOf('options.share', o.share, SHARES, 'unique');
    const noDelay = check.boolean('options.noDelay', o.noDelay, true);
    check.signal('options.signal', o.signal);
    const endpoint = openEndpoint(family);
    try {
      writeAddress(scratch, host, port);
      endpoint.call('bind', native.bind(endpoint.ep, SHARES.indexOf(share)), { address: host, port });
      const bound = readAddress(scratch);
      endpoint.call('listen', native.listen(endpoint.ep, backlog), { address: host, port: bound.port });
      if (noDelay && NODELAY_INHERITED && native.setNoDelay(endpoint.ep, true) === State.Failed) counters.noDelayFailures++;
      return new AfdListener(endpoint, noDelay, bound);
    } catch (err) {
      await endpoint.close();
      throw explain(err, port);
    }
  }

  address(): Address {
    return { ...this.bound };
  }

  async accept(options?: { signal?: AbortSignal }): Promise<AfdSocket> {
    const signal = check.signal('options.signal', check.object('options', options, true).signal);
    return acceptInto(this.endpoint, this.noDelay && !NODELAY_INHERITED, { signal });
  }

  close(): Promise<void> {
    return this.endpoint.close();
  }

  ref(): this { this.endpoint.ref(); return this; }
  unref(): this { this.endpoint.unref(); return this; }

  /** Yields accepted sockets; ends when the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<AfdSocket> {
    for (;;) {
      let socket: AfdSocket;
      try {
        socket = await this.accept();
      } catch (err) {
        if ((err as { code?: string }).code === socketClosed().code) return;
        throw err;
      }
      yield socket;
    }
  }
}
