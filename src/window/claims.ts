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

/** Authorizer timestamps are whole milliseconds: allow one either side, µs. */
const AUTHZ_SLACK = 1000;

function authzKey(principal: string, host: string, api: string | null): string {
  return `${principal}|${host}|${api ?? ''}`;
}

function authzKeyOf(ev: BrokerRequestEvent): string {
  return authzKey(ev.principal, ev.connection.remote.host, ev.apiKeyName);
}

/** Would this authorizer line have been logged while handling that request? (see Claims.claim) */
function authzFits(a: BrokerAuthorizationEvent, ev: BrokerRequestEvent): boolean {
  const t = a.logTime;
  if (t < ev.receiveTime - AUTHZ_SLACK || t > ev.logTime + AUTHZ_SLACK) return false;
  if (a.resourceType === 'cluster') return true;
  if (ev.resources.length === 0) return true;
  // Produce/Fetch v13+ name topics by id only: any topic decision may then be this request's.
  if (a.resourceType === 'topic' && ev.resources.some((r) => r.type === 'topic' && r.name === '')) return true;
  return ev.resources.some((r) => r.name === a.resourceName);
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

  /** The authorizer log has delivered everything logged up to this broker line (its lines come first). */
  authorizerPast(b: PendingBroker): boolean {
    return this.c.wm.brokerAuthorizer > b.event.logTime + AUTHZ_SLACK;
  }

  /** An authorizer line: attach it to a waiting request line, or wait to be claimed by one. */
  add(ev: BrokerAuthorizationEvent): void {
    const waiting = this.brokerByAuthzKey.get(authzKey(ev.principal, ev.host, ev.api));
    let owner: PendingBroker | undefined;
    if (waiting) for (const b of waiting) if (authzFits(ev, b.event)) { owner = b; break; }
    if (owner) {
      owner.authorizations.push(ev);
      this.touchBroker(owner);
      return;
    }
    const a: PendingAuthorization = {
      id: stableId('authz', ev.logTime, ev.principal, ev.host, ev.operation, ev.resourceType, ev.resourceName, ev.api, ev.decision),
      key: authzKey(ev.principal, ev.host, ev.api),
      event: ev,
    };
    this.authz.set(a.id, a);
    push(this.authzByKey, a.key, a);
    this.c.touch({ kind: 'authorization', id: a.id }, ev.logTime, a);
  }

  /**
   * The authorizer line has no request id: claim the lines of the same principal, client host and API
   * logged while this request was being handled, that name one of its resources (broker-log-formats §8.8).
   */
  claim(ev: BrokerRequestEvent): BrokerAuthorizationEvent[] {
    const list = this.authzByKey.get(authzKeyOf(ev));
    if (!list) return [];
    const claimed: BrokerAuthorizationEvent[] = [];
    for (const a of [...list]) {
      if (!authzFits(a.event, ev)) continue;
      claimed.push(a.event);
      this.forget(a);
    }
    return claimed;
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
    this.c.emit(brokerAuthorizationRecord(this.c.ctx, a.event));
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
