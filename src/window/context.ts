// What every part of the join shares: its options, the records finalized since the last
// takeRecords(), the window changes since the last takeChanges(), the counters and the latest
// watermarks. The parts (sessions, matching, claims, joins, deadlines) each own their maps but
// write through this one object, so records and window changes keep one order across all of them
// — the order a live run persists and emits them in.

import type { AuditRecord } from '../records/record.js';
import type { RecordContext } from './records.js';
import { emptyJoinStats, type JoinStats } from './join-stats.js';
import { encodeWindowKey, type WindowKey } from './window-keys.js';

export interface JoinOptions {
  brokerNodeId: number;
  /** IP literals of the proxy hosts, as the broker writes them in connection ids. */
  proxyAddresses: string[];
  /** How far apart the two sides' clocks and logging points may be, µs. */
  toleranceMicros: number;
  /** `report`: broker requests from non-proxy peers are `bypass` gaps; `allow`: plain request records. */
  bypassPolicy: 'report' | 'allow';
  /** Proxy events of sessions that cannot be tied to any broker: emit them here, or leave them to another sidecar. */
  unattributedSessions: 'emit' | 'drop';
  /** Upper bound of events held in the window; past it the oldest are evicted and reported. */
  maxWindowEvents: number;
  /** Listener endpoints (`ip:port`) of this broker, when known up front; others are learned from the request log. */
  brokerEndpoints?: string[];
  /**
   * Listener names that carry only cluster-internal traffic (controller, replication): their
   * requests are records, never gaps, whoever the peer is. Compared case-insensitively.
   */
  internalListeners?: string[];
  /** The broker's `super.users` (posture `super-user`). */
  superUsers?: string[];
  /** Listener names with SASL/PLAIN enabled (posture `sasl-plain-cleartext`). Compared case-insensitively. */
  saslPlainListeners?: string[];
  /** Failed authentications from one address that make a burst finding: `threshold` within `windowMicros`. */
  authFailureBurst?: { threshold: number; windowMicros: number };
  /** Track window changes for the durable store (live runs). A replay starts over anyway: off. Default on. */
  durable?: boolean;
}

export interface Watermarks {
  proxy: number;
  brokerRequest: number;
  brokerAuthorizer: number;
}

/** One change to the durable window: `value` null means delete. */
export interface WindowChange {
  key: string;
  time: number;
  value: unknown | null;
}

export class JoinContext {
  readonly stats: JoinStats = emptyJoinStats();
  /** The latest watermarks given to advance(). */
  wm: Watermarks = { proxy: -Infinity, brokerRequest: -Infinity, brokerAuthorizer: -Infinity };
  readonly proxyAddresses: Set<string>;
  private out: AuditRecord[] = [];
  private dirty = new Map<string, WindowChange>();
  private readonly durable: boolean;

  constructor(
    readonly opts: JoinOptions,
    readonly ctx: RecordContext,
  ) {
    this.proxyAddresses = new Set(opts.proxyAddresses);
    this.durable = opts.durable ?? true;
  }

  get tolerance(): number {
    return this.opts.toleranceMicros;
  }

  /** Sees every record emitted, after it (the burst finding watches authentication failures). */
  onEmit: ((r: AuditRecord) => void) | null = null;

  emit(r: AuditRecord): void {
    this.stats.records[r.kind] = (this.stats.records[r.kind] ?? 0) + 1;
    for (const tag of r.posture) this.stats.posture[tag] = (this.stats.posture[tag] ?? 0) + 1;
    this.out.push(r);
    this.onEmit?.(r);
  }

  /** The entry `k` of the durable window now holds `value`. */
  touch(k: WindowKey, time: number, value: unknown): void {
    if (!this.durable) return;
    const key = encodeWindowKey(k);
    this.dirty.set(key, { key, time, value });
  }

  /** The entry `k` of the durable window is gone. */
  drop(k: WindowKey, time: number): void {
    if (!this.durable) return;
    const key = encodeWindowKey(k);
    this.dirty.set(key, { key, time, value: null });
  }

  takeRecords(): AuditRecord[] {
    const r = this.out;
    this.out = [];
    return r;
  }

  takeChanges(): WindowChange[] {
    const c = [...this.dirty.values()];
    this.dirty.clear();
    return c;
  }
}
