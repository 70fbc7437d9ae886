/**
 * A TCP proxy of the test's own on loopback, in front of an emulator, that a test can cut and
 * restore: Kinesis or DynamoDB becomes unreachable for the clients that go through the proxy,
 * while the emulator keeps running (and keeps its data) and everyone else still reaches it
 * directly. One proxy per test, so tests in one file can cut their own path without disturbing
 * the others.
 *
 * Two ways to cut:
 * - `'reset'`: every open connection is reset and every new one is reset as soon as it is
 *   accepted, as when the server process is down (the client sees ECONNRESET at once).
 * - `'blackhole'`: nothing is forwarded any more, in either direction, and new connections are
 *   accepted but never answered, as in a network partition: calls hang until the caller's own
 *   timeout. On restore, new connections work again, and the connections held during the cut are
 *   reset (the partition outlived them), or with `{ held: 'frozen' }` stay silent for good (a
 *   middlebox dropped their state without telling either end, so only a client-side timeout
 *   ends a call on them).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

/** How {@link TcpProxy.cut} makes the target unreachable. */
export type CutMode = 'reset' | 'blackhole';

/** A running proxy. */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`, to configure a client with. */
  readonly endpoint: string;
  /** Whether the proxy is cut now. */
  readonly isCut: boolean;
  /** Client connections accepted so far, also while cut. */
  readonly accepted: number;
  /** Makes the target unreachable through the proxy until {@link TcpProxy.restore}. */
  cut(mode?: CutMode): void;
  /** Forwards again. Connections held by a blackhole are reset, or stay silent with `held: 'frozen'`. */
  restore(options?: { held?: 'reset' | 'frozen' }): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket | undefined;
}

/**
 * Starts a proxy on a free loopback port that forwards every connection to `target`.
 *
 * ## Example
 * ```ts
 * import { startTcpProxy } from './tcp-proxy.js';
 * const proxy = await startTcpProxy({ port: kinesis.port });
 * // clients use proxy.endpoint; later:
 * proxy.cut('reset');
 * proxy.restore();
 * await proxy.close();
 * ```
 *
 * @param target Where to forward, `host` defaulting to `127.0.0.1`.
 * @returns The running proxy; close it in an `always` hook or a `finally`.
 */
export async function startTcpProxy(target: { host?: string; port: number }): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  const pairs = new Set<Pair>();
  /** Client sockets accepted or frozen during a blackhole cut, reset on restore. */
  const held = new Set<Socket>();
  /** Held connections left silent after a restore, closed with the proxy. */
  const frozen = new Set<Socket>();
  let mode: CutMode | undefined;
  let accepted = 0;

  const reset = (socket: Socket | undefined) => {
    if (socket === undefined || socket.destroyed) return;
    // resetAndDestroy sends a RST when the socket is connected; otherwise it just destroys.
    if (socket.readyState === 'open') socket.resetAndDestroy();
    else socket.destroy();
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    client.on('error', () => undefined);
    if (mode === 'reset') return reset(client);
    if (mode === 'blackhole') {
      client.pause();
      held.add(client);
      client.once('close', () => held.delete(client));
      return;
    }
    const pair: Pair = { client, upstream: undefined };
    pairs.add(pair);
    const upstream = connect(target.port, host);
    pair.upstream = upstream;
    upstream.on('error', () => reset(client));
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => {
      pairs.delete(pair);
      if (!held.has(client)) client.destroy();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('tcp-proxy: no address');
  const port = address.port;

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    get isCut() {
      return mode !== undefined;
    },
    get accepted() {
      return accepted;
    },
    cut(how: CutMode = 'reset') {
      mode = how;
      for (const pair of [...pairs]) {
        if (how === 'reset') {
          reset(pair.client);
          pair.upstream?.destroy();
        } else {
          // Freeze: no byte goes either way, and the server side gets nothing either.
          pair.client.unpipe();
          pair.upstream?.unpipe();
          pair.client.pause();
          pair.upstream?.pause();
          held.add(pair.client);
        }
      }
    },
    restore(options = {}) {
      mode = undefined;
      for (const socket of [...held]) (options.held === 'frozen' ? frozen.add(socket) : reset(socket));
      held.clear();
    },
    async close() {
      mode = 'reset';
      for (const pair of [...pairs]) {
        reset(pair.client);
        pair.upstream?.destroy();
      }
      for (const socket of [...held, ...frozen]) reset(socket);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
