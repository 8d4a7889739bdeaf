// When the join rate collapses, is the cluster at fault or the configuration? A wrong time zone, a
// wrong proxy address, a wrong node id or a wrong file each turn every request into a gap, and the
// gaps alone look like an attack. The diagnoser watches the events as they are fed (before the
// join decides anything) and says what it suspects, naming the setting, once per finding: as a
// `health` record ahead of the gaps it explains, a warning, and a line of the replay summary.
//
// Each check needs evidence the join itself cannot use, so none of them can change a record:
//  - time zone: proxy and broker lines that agree on the exact join key (both endpoints, upstream
//    correlation id, api key) but sit a whole number of hours apart;
//  - proxy address: the proxy's own log names the address it connects to the broker from, and it is
//    not in proxy.addresses; or, where no proxy line names it, no broker request comes from any
//    configured proxy address while one other address carries most of them;
//  - node id: proxy events name broker node ids, never this one;
//  - wrong file: a source with many lines of which none parsed.

import type { BrokerRequestEvent, NormalizedEvent, ProxyEvent } from '../events.js';
import { healthRecord, type RecordContext } from '../window/records.js';
import type { AuditRecord } from '../records/record.js';
import type { JoinOptions } from '../window/join.js';
import type { Counters } from './counters.js';
import type { OpenSource } from './sources.js';

export interface Finding {
  /** Stable key: each finding is reported once per run. */
  key: string;
  /** The setting it points at, e.g. `broker.time_zone`. */
  setting: string;
  message: string;
}

export interface DiagnoserOptions {
  brokerNodeId: number;
  proxyAddresses: readonly string[];
  internalListeners: readonly string[];
  brokerTimeZone: string;
  toleranceMicros: number;
}

const HOUR = 3_600_000_000;
/** How far from a whole number of hours an offset may be (logging delay, whole-second proxy times). */
const HOUR_SLACK = 5_000_000;
/** Requests matched on their exact key before a time-zone verdict. */
const MIN_KEY_MATCHES = 20;
/** Broker requests before an address verdict. */
const MIN_BROKER_REQUESTS = 100;
/** Proxy events naming a node before a node-id verdict. */
const MIN_NODE_EVENTS = 50;
/** Lines of a source before a wrong-file verdict. */
const MIN_LINES = 50;
/** Keys remembered per side; a bounded sample is enough for a verdict. */
const MAX_KEYS = 20_000;
/**
 * After this many requests (both sides), only requests whose correlation id is a multiple of
 * KEY_SAMPLE are keyed: the two sides of one request agree on it, so pairs still meet, and the
 * key strings and map updates (~4% of a replay's CPU for every request) drop to a sixteenth. A
 * wrong time zone shows from the first requests; later evidence only confirms it.
 */
const KEY_SAMPLE_AFTER = 10_000;
const KEY_SAMPLE = 16;

export function diagnoserFor(join: JoinOptions, brokerTimeZone: string): Diagnoser {
  return new Diagnoser({
    brokerNodeId: join.brokerNodeId,
    proxyAddresses: join.proxyAddresses,
    internalListeners: join.internalListeners ?? [],
    brokerTimeZone,
    toleranceMicros: join.toleranceMicros,
  });
}

/** A finding as the `health` record that goes out ahead of the gaps it explains. */
export function findingRecord(ctx: RecordContext, time: number, f: Finding): AuditRecord {
  return healthRecord(ctx, time, 'misconfiguration-suspected', 'failure', { setting: f.setting, finding: f.message }, [f.key]);
}

/** The newest event time any source delivered (a finding's time), or 0 before the first. */
export function newestWatermark(sources: readonly OpenSource[]): number {
  let w = 0;
  for (const s of sources) if (Number.isFinite(s.watermark) && s.watermark > w) w = s.watermark;
  return w;
}

export class Diagnoser {
  private readonly proxyAddresses: Set<string>;
  private readonly internal: Set<string>;
  private readonly brokerByKey = new Map<string, number>();
  private readonly egressByKey = new Map<string, number>();
  private keyMatchesInTolerance = 0;
  private readonly offsetHours = new Map<number, number>();
  private brokerRequests = 0;
  private proxyRequests = 0;
  private readonly brokerByHost = new Map<string, number>();
  private readonly proxyUpstreamHosts = new Map<string, number>();
  private readonly nodeIds = new Map<number, number>();
  private readonly reported = new Set<string>();
  private readonly pending: Finding[] = [];

  constructor(private readonly opts: DiagnoserOptions) {
    this.proxyAddresses = new Set(opts.proxyAddresses);
    this.internal = new Set(opts.internalListeners.map((l) => l.toUpperCase()));
  }

  observe(ev: NormalizedEvent): void {
    if (ev.type === 'broker-request') this.observeBroker(ev);
    else if (ev.type === 'proxy') this.observeProxy(ev);
  }

  /** New findings since the last call, each once per run. */
  take(counters: Counters, sources: readonly OpenSource[]): Finding[] {
    this.checkTimeZone();
    this.checkProxyAddress();
    this.checkNodeId();
    for (const s of sources) this.checkParsed(counters, s.def.name, s.def.setting.key);
    return this.pending.splice(0);
  }

  private observeBroker(ev: BrokerRequestEvent): void {
    if (this.internal.has(ev.listener.toUpperCase())) return;
    this.brokerRequests += 1;
    const host = ev.connection.remote.host;
    this.brokerByHost.set(host, (this.brokerByHost.get(host) ?? 0) + 1);
    if (!this.keyed(ev.correlationId)) return;
    const key = joinKey(ev.connection.local, ev.connection.remote, ev.correlationId, ev.apiKey);
    const egress = this.egressByKey.get(key);
    if (egress !== undefined) this.compare(egress, ev.receiveTime);
    remember(this.brokerByKey, key, ev.receiveTime);
  }

  private observeProxy(ev: ProxyEvent): void {
    if (ev.nodeId !== undefined) this.nodeIds.set(ev.nodeId, (this.nodeIds.get(ev.nodeId) ?? 0) + 1);
    if ((ev.kind !== 'request-egress' && ev.kind !== 'request-inject') || ev.time === null) return;
    this.proxyRequests += 1;
    const local = ev.upstream?.local;
    const remote = ev.upstream?.remote;
    if (!local || !remote || ev.upstreamCorrelationId === undefined || ev.apiKey === undefined) return;
    this.proxyUpstreamHosts.set(local.host, (this.proxyUpstreamHosts.get(local.host) ?? 0) + 1);
    if (!this.keyed(ev.upstreamCorrelationId)) return;
    const key = joinKey(remote, local, ev.upstreamCorrelationId, ev.apiKey);
    const broker = this.brokerByKey.get(key);
    if (broker !== undefined) this.compare(ev.time, broker);
    remember(this.egressByKey, key, ev.time);
  }

  private keyed(correlationId: number): boolean {
    return this.brokerRequests + this.proxyRequests < KEY_SAMPLE_AFTER || correlationId % KEY_SAMPLE === 0;
  }

  /** Offset = proxy time − broker receive time, for one pair that agrees on the exact key. */
  private compare(proxyTime: number, brokerTime: number): void {
    const offset = proxyTime - brokerTime;
    if (Math.abs(offset) <= this.opts.toleranceMicros) {
      this.keyMatchesInTolerance += 1;
      return;
    }
    const hours = Math.round(offset / HOUR);
    if (hours !== 0 && Math.abs(offset - hours * HOUR) <= HOUR_SLACK) this.offsetHours.set(hours, (this.offsetHours.get(hours) ?? 0) + 1);
  }

  private checkTimeZone(): void {
    for (const [hours, n] of this.offsetHours) {
      const all = n + this.keyMatchesInTolerance;
      if (n < MIN_KEY_MATCHES || n < 0.8 * all) continue;
      const which = hours > 0 ? 'lag' : 'lead';
      this.report('time-offset', 'broker.time_zone', `broker times ${which} proxy times by exactly ${Math.abs(hours)} h on ${n} of ${all} requests that agree on connection and correlation id: is broker.time_zone (${this.opts.brokerTimeZone}) right? (for a text-layout Kroxylicious log, also proxy.time_zone)`);
    }
  }

  private checkProxyAddress(): void {
    for (const [host, n] of this.proxyUpstreamHosts) {
      if (this.proxyAddresses.has(host) || n < MIN_KEY_MATCHES || (this.brokerByHost.get(host) ?? 0) < MIN_KEY_MATCHES) continue;
      this.report(`proxy-address:${host}`, 'proxy.addresses', `the proxy's log shows its broker connections coming from ${host}, which is not in proxy.addresses (${[...this.proxyAddresses].join(', ')}): its ${this.brokerByHost.get(host)} requests are reported as bypass`);
    }
    // The proxy's own log naming its upstream address is the better evidence: guess by traffic only
    // once the proxy has logged requests, none of which names it.
    if (this.proxyUpstreamHosts.size > 0 || this.proxyRequests < MIN_KEY_MATCHES || this.brokerRequests < MIN_BROKER_REQUESTS) return;
    let fromProxies = 0;
    let top: [string, number] | null = null;
    for (const [host, n] of this.brokerByHost) {
      if (this.proxyAddresses.has(host)) fromProxies += n;
      else if (!top || n > top[1]) top = [host, n];
    }
    if (fromProxies === 0 && top && top[1] >= this.brokerRequests / 2) {
      this.report('proxy-address-traffic', 'proxy.addresses', `no broker request came from a configured proxy address (${[...this.proxyAddresses].join(', ')}), while ${top[0]} sent ${top[1]} of ${this.brokerRequests}: is it the proxy?`);
    }
  }

  private checkNodeId(): void {
    let total = 0;
    for (const n of this.nodeIds.values()) total += n;
    if (total < MIN_NODE_EVENTS || this.nodeIds.has(this.opts.brokerNodeId)) return;
    const named = [...this.nodeIds.keys()].sort((a, b) => a - b).slice(0, 10);
    this.report('node-id', 'broker.node_id', `proxy events name broker node ${named.length > 1 ? 'ids' : 'id'} ${named.join(', ')} only, never ${this.opts.brokerNodeId}: is broker.node_id right for this broker?`);
  }

  private checkParsed(counters: Counters, source: string, key: string): void {
    const c = counters.sources[source];
    if (!c || c.lines < MIN_LINES || c.events > 0) return;
    const reasons = Object.entries({ ...c.rejected, ...c.skipped })
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
    this.report(`unparsed:${source}`, key, `none of the ${c.lines} lines of ${source} parsed (${reasons}): does ${key} point at the right file, in the right format?`);
  }

  private report(key: string, setting: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.pending.push({ key, setting, message });
  }
}

function joinKey(broker: { host: string; port: number }, proxy: { host: string; port: number }, correlationId: number, apiKey: number): string {
  return `${broker.host}:${broker.port}|${proxy.host}:${proxy.port}|${correlationId}|${apiKey}`;
}

/** Keep the newest MAX_KEYS keys (a Map iterates in insertion order: delete and re-insert to refresh). */
function remember(map: Map<string, number>, key: string, time: number): void {
  map.delete(key);
  map.set(key, time);
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value as string);
}
