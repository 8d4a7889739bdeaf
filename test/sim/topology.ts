// The sockets of a scenario: the proxy's ephemeral ports towards each broker (a deliberately small
// pool, so ports are reused across sessions) and the broker's connection ids.

import type { Rng } from './rng.js';

const EPHEMERAL_LOW = 32768; // Linux net.ipv4.ip_local_port_range default
const EPHEMERAL_HIGH = 60999;

interface Pool {
  ports: number[];
  /** µs until which each port is taken (close time + reuse delay); -Infinity when never used. */
  busyUntil: Map<number, number>;
}

/**
 * Ephemeral ports per (proxy IP, broker). Linux picks a local port per destination, so the same
 * port may be open to two brokers at once; towards one broker it is unique while in use. The
 * pool starts small and grows only when every port is taken, which keeps reuse frequent.
 */
export class PortPool {
  private readonly pools = new Map<string, Pool>();
  private readonly reserved = new Set<string>();

  constructor(
    private readonly rng: Rng,
    private readonly initialSize: number,
    private readonly reuseDelayUs: number,
  ) {}

  private pool(key: string): Pool {
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = { ports: [], busyUntil: new Map() };
      this.pools.set(key, pool);
      for (let i = 0; i < this.initialSize; i++) this.grow(pool);
    }
    return pool;
  }

  private grow(pool: Pool): number {
    for (;;) {
      const port = this.rng.between(EPHEMERAL_LOW, EPHEMERAL_HIGH);
      if (pool.busyUntil.has(port)) continue;
      pool.ports.push(port);
      pool.busyUntil.set(port, -Infinity);
      return port;
    }
  }

  /** Takes a free port at `atUs` (or exactly `forced`, which must be free). */
  acquire(proxyIp: string, nodeId: number, atUs: number, forced?: number): number {
    const key = `${proxyIp}|${nodeId}`;
    const pool = this.pool(key);
    if (forced !== undefined) {
      const until = pool.busyUntil.get(forced);
      if (until === undefined || until > atUs) throw new Error(`port ${forced} is not free at ${atUs}`);
      this.reserved.delete(`${key}|${forced}`);
      pool.busyUntil.set(forced, Infinity);
      return forced;
    }
    const free = pool.ports.filter((p) => (pool.busyUntil.get(p) ?? Infinity) <= atUs && !this.reserved.has(`${key}|${p}`));
    const port = free.length > 0 ? this.rng.pick(free) : this.grow(pool);
    pool.busyUntil.set(port, Infinity);
    return port;
  }

  /** Frees a port as of its close time; `reserve` holds it back for a later `acquire(…, forced)`. */
  release(proxyIp: string, nodeId: number, port: number, closedUs: number, reserve = false): void {
    const key = `${proxyIp}|${nodeId}`;
    this.pool(key).busyUntil.set(port, closedUs + this.reuseDelayUs);
    if (reserve) this.reserved.add(`${key}|${port}`);
  }

  /** When a released port becomes free again. */
  freeAt(proxyIp: string, nodeId: number, port: number): number {
    return this.pool(`${proxyIp}|${nodeId}`).busyUntil.get(port) ?? Infinity;
  }
}

/**
 * The broker's connection ids (`SocketServer` / `ServerConnectionId`): the acceptor hands new
 * connections round-robin to the listener's network processors, each counting its own index
 * from 0. Kafka 4.x prints `…-processor-index`, 3.x only `…-index`.
 */
export class ConnectionIds {
  private next = 0;
  private readonly indexes: number[];

  constructor(
    private readonly processorIds: number[],
    private readonly withProcessor: boolean,
  ) {
    this.indexes = processorIds.map(() => 0);
  }

  /** The id of a new connection from `remote` (`ip:port`) to `local` (`ip:port`). */
  open(local: string, remote: string): string {
    const slot = this.next++ % this.processorIds.length;
    const index = this.indexes[slot] ?? 0;
    this.indexes[slot] = index + 1;
    const processor = this.processorIds[slot] ?? 0;
    return this.withProcessor ? `${local}-${remote}-${processor}-${index}` : `${local}-${remote}-${index}`;
  }
}
