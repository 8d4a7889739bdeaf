// Broker authorizer lines and the request lines they belong to (DESIGN.md "Broker authorizer
// lines"). An authorizer line carries no request id (broker-log-formats §8.8), so a request line
// claims the lines of the same principal, client host and API logged while it was handled that
// name one of its resources. The two files are read independently: a line that arrives first
// waits here to be claimed; a request line that arrives first stays indexed here (wherever it
// waits: matching, bypass or joined) so a late authorizer line still attaches to it. Unclaimed
// lines become `authorization` records once the request log is past them.

import type { BrokerAuthorizationEvent, BrokerRequestEvent } from '../events.js';
import { brokerAuthorizationRecord } from './records.js';
import { stableId } from '../records/id.js';
import type { JoinContext, Watermarks } from './context.js';
import { addToSet, push, remove, removeFromSet } from './multimap.js';
import type { PendingAuthorization, PendingBroker } from './state.js';

/**
 * Authorizer and request-log timestamps are whole milliseconds: allow two after the request's log
 * time, µs. Before its receive time (log time − totalTimeMs) much more: the request line is
 * written after the response was sent, by then several ms later than totalTimeMs accounts for (a
 * real Kafka 4.4 Produce decision came 7 ms before its line, whose totalTimeMs was 2.5). The
 * window only bounds the search: a request takes the *nearest* line per operation and resource.
 */
const AUTHZ_SLACK = 2000;
const AUTHZ_SLACK_BEFORE = 50_000;
/**
 * Request-log lines are written by several handler threads: a line can follow one logged a few
 * milliseconds later (3 ms in a real Kafka 4.4 capture: a forwarded CreateTopics after its broker
 * side). A request line's decisions wait until the log is this far past it, µs.
 */
const REQUEST_LOG_DISORDER = 100_000;

function authzKey(principal: string, host: string, api: string | null): string {
  return `${principal}|${host}|${api ?? ''}`;
}

/**
 * A forwarded request (the controller's line of a request a broker sent it inside an Envelope)
 * comes from the broker's socket, while its authorizer lines name the original client's host: it
 * is keyed by principal and API only, any host.
 */
const ANY_HOST = '\u0000any';

function authzKeyOf(ev: BrokerRequestEvent): string {
  return authzKey(ev.principal, ev.isForwarded ? ANY_HOST : ev.connection.remote.host, ev.apiKeyName);
}

/** Would this authorizer line have been logged while handling that request? (see Claims.claim) */
function authzFits(a: BrokerAuthorizationEvent, ev: BrokerRequestEvent): boolean {
  const t = a.logTime;
  if (t < ev.receiveTime - AUTHZ_SLACK_BEFORE || t > ev.logTime + AUTHZ_SLACK) return false;
  if (a.resourceType === 'cluster') return true;
  // The parser names no resource of that type (OffsetFetch's topics nest in its groups): the API,
  // principal, host and time are the evidence.
  if (!ev.resources.some((r) => r.type === a.resourceType)) return true;
  // Produce/Fetch v13+ name topics by id only: any topic decision may then be this request's.
  if (a.resourceType === 'topic' && ev.resources.some((r) => r.type === 'topic' && r.name === '')) return true;
  return ev.resources.some((r) => r.name === a.resourceName);
}

/** How far the line is from the time the request was handled (0 inside it), µs. */
function authzDistance(a: BrokerAuthorizationEvent, ev: BrokerRequestEvent): number {
  return Math.max(0, ev.receiveTime - a.logTime, a.logTime - ev.logTime);
}

/** The authorizer decides each operation on each resource of a request once. */
function decisionKey(a: BrokerAuthorizationEvent): string {
  return `${a.operation}|${a.resourceType}|${a.resourceName}`;
}

export class Claims {
  /** Authorizer lines waiting to be claimed, in log order. */
  private authz = new Map<string, PendingAuthorization>();
  private authzByKey = new Map<string, PendingAuthorization[]>();
  /** Every broker line not yet emitted, by authorizer key, so a late authorizer line still finds it. */
  private brokerByAuthzKey = new Map<string, Set<PendingBroker>>();
  /** Broker line id → the joined entry holding it (persisted again when a late line attaches). */
  private brokerJoinedId = new Map<string, string>();

  /** `touchBroker` persists a broker line again wherever it waits (its authorizations changed). */
  constructor(
    private readonly c: JoinContext,
    private readonly touchBroker: (b: PendingBroker) => void,
  ) {}

  get size(): number {
    return this.authz.size;
  }

  /** Unclaimed lines, oldest first. */
  all(): IterableIterator<PendingAuthorization> {
    return this.authz.values();
  }

  /**
   * The broker line's decisions are final: the authorizer log has delivered everything logged up to
   * it (its lines come first), and, when it holds decisions, the request log is past it by more than
   * its lines are out of order, so that the forwarded twin of a request (the controller's line, which takes the
   * decisions: takeFromBrokerSide) has been read even when it was written after a later line.
   */
  decisionsFinal(b: PendingBroker): boolean {
    const t = b.event.logTime;
    // Only a line holding decisions can lose them to its twin: the others wait for nothing more.
    const twinPast = b.event.isForwarded || b.authorizations.length === 0 || this.c.wm.brokerRequest > t + REQUEST_LOG_DISORDER;
    return this.c.wm.brokerAuthorizer > t + AUTHZ_SLACK && twinPast;
  }

  /**
   * An authorizer line: attach it to a waiting request line, or wait to be claimed by one. A
   * forwarded request waiting for lines of its principal and API comes first: on a combined node
   * the controller decides the requests the broker side forwards to it.
   */
  add(ev: BrokerAuthorizationEvent): void {
    const owner = this.waitingOwner(ev, authzKey(ev.principal, ANY_HOST, ev.api)) ?? this.waitingOwner(ev, authzKey(ev.principal, ev.host, ev.api));
    if (owner) {
      owner.authorizations.push(ev);
      this.touchBroker(owner);
      return;
    }
    // Identical lines (one millisecond, one decision: two consumers of one principal and host) each keep an entry.
    const base = stableId('authz', ev.logTime, ev.principal, ev.host, ev.operation, ev.resourceType, ev.resourceName, ev.api, ev.decision);
    let occurrence = 0;
    while (this.authz.has(occurrence ? `${base}#${occurrence}` : base)) occurrence++;
    const a: PendingAuthorization = {
      id: occurrence ? `${base}#${occurrence}` : base,
      key: authzKey(ev.principal, ev.host, ev.api),
      event: ev,
    };
    if (occurrence) a.occurrence = occurrence;
    this.authz.set(a.id, a);
    push(this.authzByKey, a.key, a);
    this.c.touch({ kind: 'authorization', id: a.id }, ev.logTime, a);
  }

  /**
   * The authorizer line has no request id: claim the lines of the same principal, client host and API
   * logged while this request was being handled, that name one of its resources (broker-log-formats §8.8).
   */
  claim(ev: BrokerRequestEvent): BrokerAuthorizationEvent[] {
    const list = ev.isForwarded ? this.ofPrincipalAndApi(ev) : this.authzByKey.get(authzKeyOf(ev));
    if (!list) return [];
    // One line per operation and resource: the nearest (a pipelining client's next request has its own).
    const nearest = new Map<string, PendingAuthorization>();
    for (const a of list) {
      if (!authzFits(a.event, ev)) continue;
      const k = decisionKey(a.event);
      const held = nearest.get(k);
      if (!held || authzDistance(a.event, ev) < authzDistance(held.event, ev)) nearest.set(k, a);
    }
    const claimed = [...nearest.values()].sort((x, y) => x.event.logTime - y.event.logTime);
    for (const a of claimed) this.forget(a);
    const out = claimed.map((a) => a.event);
    if (ev.isForwarded) this.takeFromBrokerSide(ev, out);
    return out;
  }

  /** The waiting request line nearest to the decision that does not hold one of that operation and resource yet. */
  private waitingOwner(ev: BrokerAuthorizationEvent, key: string): PendingBroker | undefined {
    const waiting = this.brokerByAuthzKey.get(key);
    if (!waiting) return undefined;
    const k = decisionKey(ev);
    let best: PendingBroker | undefined;
    for (const b of waiting) {
      if (!authzFits(ev, b.event) || b.authorizations.some((x) => decisionKey(x) === k)) continue;
      if (!best || authzDistance(ev, b.event) < authzDistance(ev, best.event)) best = b;
    }
    return best;
  }

  /**
   * A forwarded request's decisions are the controller's. On a combined node the broker side of
   * the same request is logged too, and may have been read first and taken them: take them back,
   * so the record holding them does not depend on which line was read first.
   */
  private takeFromBrokerSide(ev: BrokerRequestEvent, into: BrokerAuthorizationEvent[]): void {
    const prefix = `${ev.principal}|`;
    const suffix = `|${ev.apiKeyName}`;
    for (const [key, waiting] of this.brokerByAuthzKey) {
      if (!key.startsWith(prefix) || !key.endsWith(suffix) || key === authzKeyOf(ev)) continue;
      for (const b of waiting) {
        if (b.event.isForwarded) continue;
        const taken = b.authorizations.filter((a) => authzFits(a, ev) && !into.some((x) => decisionKey(x) === decisionKey(a)));
        if (!taken.length) continue;
        b.authorizations = b.authorizations.filter((a) => !taken.includes(a));
        into.push(...taken);
        this.touchBroker(b);
      }
    }
    into.sort((x, y) => x.logTime - y.logTime);
  }

  /** Unclaimed lines of a forwarded request's principal and API, whatever the host (few: admin requests). */
  private ofPrincipalAndApi(ev: BrokerRequestEvent): PendingAuthorization[] {
    const out: PendingAuthorization[] = [];
    for (const a of this.authz.values()) if (a.event.principal === ev.principal && a.event.api === ev.apiKeyName) out.push(a);
    return out;
  }

  /** The request log is past these lines: no request line can claim them any more. */
  expire(w: Watermarks): void {
    for (const a of this.authz.values()) {
      if (w.brokerRequest <= a.event.logTime + this.c.tolerance) break;
      this.release(a);
    }
  }

  /** An unclaimed line leaves the window as an `authorization` record of its own. */
  release(a: PendingAuthorization): void {
    this.forget(a);
    this.c.emit(brokerAuthorizationRecord(this.c.ctx, a.event, a.occurrence ?? 0));
  }

  /** A request line waits (anywhere in the window): late authorizer lines may attach to it. */
  index(b: PendingBroker): void {
    addToSet(this.brokerByAuthzKey, authzKeyOf(b.event), b);
  }

  /** The request line now waits inside the joined entry `joinedId`. */
  indexJoined(b: PendingBroker, joinedId: string): void {
    this.brokerJoinedId.set(b.id, joinedId);
  }

  joinedIdOf(b: PendingBroker): string | undefined {
    return this.brokerJoinedId.get(b.id);
  }

  /** The request line left the window: nothing attaches to it any more. */
  unindex(b: PendingBroker): void {
    removeFromSet(this.brokerByAuthzKey, authzKeyOf(b.event), b);
    this.brokerJoinedId.delete(b.id);
  }

  load(a: PendingAuthorization): void {
    this.authz.set(a.id, a);
    push(this.authzByKey, a.key, a);
  }

  private forget(a: PendingAuthorization): void {
    this.authz.delete(a.id);
    remove(this.authzByKey, a.key, a);
    this.c.drop({ kind: 'authorization', id: a.id }, a.event.logTime);
  }
}
