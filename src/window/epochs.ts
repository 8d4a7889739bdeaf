// Connection epochs (DESIGN.md "Port reuse"). A proxy ephemeral port can be reused by a later
// connection whose upstream correlation ids restart at 0, so an endpoint pair alone does not name
// a connection. The proxy side counts epochs per endpoint pair — a new one on ServerConnect, or
// when the upstream id steps back without an int32 wrap — and the first exact match binds an epoch
// to the broker's connection id. Later candidates must agree with the binding, so a stale request
// of the old connection cannot steal a line of the new one.

import type { Endpoint } from '../events.js';
import type { JoinContext } from './context.js';
import { epochKey, pairKey, splitEpoch } from './match-keys.js';

/** The epochs of one endpoint pair; persisted as `p:<key>`. */
export interface PairState {
  key: string;
  epoch: number;
  lastCorr: number;
  /** epoch number → broker connection id it was bound to by an exact match. */
  bindings: Record<string, string>;
}

const INT32_MAX = 2147483647;
/** Broker connection ids whose last correlation id is remembered (the newest; a broker holds far fewer open). */
const MAX_BROKER_CONNECTIONS = 50_000;

export class Epochs {
  private pairs = new Map<string, PairState>();
  /** broker connection id → the epoch it is bound to. */
  private connToEpoch = new Map<string, string>();
  /** broker connection id as logged → its last correlation id and lifetime (brokerConnection). */
  private brokerLives = new Map<string, { corr: number; life: number }>();

  constructor(private readonly c: JoinContext) {}

  /** ServerConnect: the pair's next upstream request belongs to a new connection. */
  newEpoch(remote: Endpoint, local: Endpoint): void {
    const p = this.pairState(remote, local);
    p.epoch += 1;
    p.lastCorr = -1;
    this.prune(p);
    this.touch(p);
  }

  /**
   * The epoch an upstream request with this id belongs to. Upstream ids count up from 0 per
   * connection (CorrelationManager); a step back means the ephemeral port now belongs to a new
   * connection, unless the int32 counter wrapped. The caller persists the pair (touch) after.
   */
  step(remote: Endpoint, local: Endpoint, corr: number): PairState {
    const p = this.pairState(remote, local);
    const wrapped = p.lastCorr > INT32_MAX - 100_000 && corr < -INT32_MAX + 100_000;
    if (corr <= p.lastCorr && !wrapped) {
      p.epoch += 1;
      this.prune(p);
    }
    p.lastCorr = corr;
    return p;
  }

  /**
   * The broker side's epochs: a restarted broker numbers its connections from the start again, so
   * one connection id can name a connection before the restart and another after it (a real Kafka
   * 3.9 capture: the proxy's ephemeral port reused a minute later). One connection's requests are
   * logged in correlation-id order, so an id that steps back starts a new lifetime, named
   * `<id>#<n>` from the second on. Decided by the request log's own order, so the same whatever is
   * read first. (Not kept across a restart of ktrail: a lifetime that began before it counts from
   * the id as logged again.)
   */
  brokerConnection(raw: string, corr: number): string {
    const seen = this.brokerLives.get(raw);
    const wrapped = seen !== undefined && seen.corr > INT32_MAX - 100_000 && corr < -INT32_MAX + 100_000;
    const life = seen === undefined ? 0 : corr <= seen.corr && !wrapped ? seen.life + 1 : seen.life;
    this.brokerLives.delete(raw);
    this.brokerLives.set(raw, { corr, life });
    if (this.brokerLives.size > MAX_BROKER_CONNECTIONS) this.brokerLives.delete(this.brokerLives.keys().next().value as string);
    return life === 0 ? raw : `${raw}#${life}`;
  }

  epochOf(p: PairState): string {
    return epochKey(p.key, p.epoch);
  }

  touch(p: PairState): void {
    this.c.touch({ kind: 'pair', id: p.key }, 0, p);
  }

  /** An exact match: bind the epoch to the broker connection, unless it is bound already. */
  bind(epoch: string, connection: string): void {
    const [key, n] = splitEpoch(epoch);
    const p = this.pairs.get(key);
    if (p && p.bindings[n] === undefined) {
      p.bindings[n] = connection;
      this.connToEpoch.set(connection, epoch);
      this.touch(p);
    }
  }

  /** Do the bindings allow a request of `epoch` to be the request on broker `connection`? */
  agrees(epoch: string | null, connection: string): boolean {
    const bound = this.connToEpoch.get(connection);
    if (bound !== undefined && bound !== epoch) return false;
    if (epoch) {
      const [key, n] = splitEpoch(epoch);
      const conn = this.pairs.get(key)?.bindings[n];
      if (conn !== undefined && conn !== connection) return false;
    }
    return true;
  }

  load(p: PairState): void {
    this.pairs.set(p.key, p);
    for (const [n, conn] of Object.entries(p.bindings)) this.connToEpoch.set(conn, epochKey(p.key, n));
  }

  private pairState(remote: Endpoint, local: Endpoint): PairState {
    const key = pairKey(remote, local);
    let p = this.pairs.get(key);
    if (!p) {
      p = { key, epoch: 0, lastCorr: -1, bindings: {} };
      this.pairs.set(key, p);
    }
    return p;
  }

  /** Keep bindings of the last few epochs only: older connections on this port are long closed. */
  private prune(p: PairState): void {
    for (const k of Object.keys(p.bindings)) {
      if (Number(k) < p.epoch - 2) {
        const conn = p.bindings[k] as string;
        this.connToEpoch.delete(conn);
        delete p.bindings[k];
      }
    }
  }
}
