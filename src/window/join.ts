// The join of ../../docs/spec/join.md. See DESIGN.md beside this file for the steps, the cases
// handled and the trade-offs, and for which module implements which step.
//
// Joiner is the façade: the pipeline feeds it events and watermarks and takes records and window
// changes; the parts below do the work, each owning its own maps and writing records and window
// changes through one shared JoinContext (so both keep one order). Matching runs in memory (hash
// maps keyed by the join keys), so an event that finds its partner never costs a SQLite round
// trip; the window's durable copy is written in batches by WindowStore from the changes kept here.

import type { BrokerAuthFailureEvent, BrokerAuthorizationEvent, BrokerEvent, BrokerRequestEvent, ProxyEvent } from '../events.js';
import type { RecordContext } from './records.js';
import type { AuditRecord } from '../records/record.js';
import { postureSettings } from '../records/posture.js';
import { AuthBursts } from './auth-bursts.js';
import { AuthFailures } from './auth-failures.js';
import { Bypass } from './bypass.js';
import { Claims } from './claims.js';
import { JoinContext, type JoinOptions, type Watermarks, type WindowChange } from './context.js';
import { Deadlines } from './deadlines.js';
import { Epochs, type PairState } from './epochs.js';
import { restoreJoinStats, type JoinStats } from './join-stats.js';
import { Joins } from './joins.js';
import { Matcher } from './matching.js';
import { Sessions } from './sessions.js';
import type { BurstState, JoinedPending, PendingAuthFailure, PendingAuthorization, PendingBroker, PendingEgress, PendingProxyAuthFailure, ProxyUnit, SaslHops, SessionState } from './state.js';
import { WindowBound } from './window-bound.js';
import { decodeWindowKey, unitKeyOf } from './window-keys.js';

export type { JoinOptions, Watermarks, WindowChange } from './context.js';
export { emptyJoinStats, type JoinStats } from './join-stats.js';
export { SAME_LIFETIME_MICROS } from './nearness.js';

export class Joiner {
  private readonly c: JoinContext;
  private readonly sessions: Sessions;
  private readonly epochs: Epochs;
  private readonly claims: Claims;
  private readonly bypass: Bypass;
  private readonly joins: Joins;
  private readonly matcher: Matcher;
  private readonly deadlines: Deadlines;
  private readonly authFailures: AuthFailures;
  private readonly bursts: AuthBursts;

  constructor(opts: JoinOptions, ctx: RecordContext) {
    const c = (this.c = new JoinContext(opts, { ...ctx, posture: postureSettings(opts) }));
    this.sessions = new Sessions(c);
    this.authFailures = new AuthFailures(c, this.sessions);
    this.sessions.holdAuthFailure = (s, d) => this.authFailures.holdProxy(s, d);
    this.bursts = new AuthBursts(c);
    c.onEmit = (r) => {
      const finding = this.bursts.observe(r, c.ctx);
      if (finding) c.emit(finding);
    };
    this.epochs = new Epochs(c);
    this.claims = new Claims(c, (b) => this.touchBroker(b));
    this.bypass = new Bypass(c, this.claims);
    this.joins = new Joins(c, this.sessions, this.claims);
    this.matcher = new Matcher(c, this.sessions, this.epochs, this.claims, this.bypass, this.joins);
    const bound = new WindowBound(c, this.sessions, this.matcher, this.claims, () => this.windowSize);
    this.deadlines = new Deadlines(c, this.sessions, this.matcher, this.claims, this.bypass, this.joins, bound);
  }

  get stats(): JoinStats {
    return this.c.stats;
  }

  get brokerNodeId(): number {
    return this.c.opts.brokerNodeId;
  }

  /** Records finalized since the last call, in finalization order. */
  takeRecords(): AuditRecord[] {
    return this.c.takeRecords();
  }

  /** Window changes since the last call, for the durable store. */
  takeChanges(): WindowChange[] {
    return this.c.takeChanges();
  }

  get windowSize(): number {
    const { matcher, sessions } = this;
    return matcher.egressCount + matcher.brokerCount + sessions.unitCount + this.joins.size + this.bypass.size + this.claims.size + sessions.sessionCount + this.authFailures.size;
  }

  // ---------------------------------------------------------------- proxy side (steps 3–5)

  addProxy(ev: ProxyEvent): void {
    const time = ev.time;
    if (time === null) return; // unanchored P3 events are held upstream of the join
    const session = ev.sessionId ? this.sessions.session(ev, time) : undefined;
    switch (ev.kind) {
      case 'server-connect':
        if (ev.upstream?.local && ev.upstream.remote) this.epochs.newEpoch(ev.upstream.remote, ev.upstream.local);
        return;
      case 'request-egress':
        this.authFailures.saslFrame(ev, time, session);
        this.matcher.addEgress(ev, time, session);
        return;
      case 'request-inject':
        this.matcher.addEgress(ev, time, session);
        return;
      case 'response-egress':
        if (session && ev.clientCorrelationId !== undefined) this.joins.respond(this.sessions.unit(session.sessionId, ev.clientCorrelationId, time), ev, time);
        return;
      default:
        // client-connect/authenticate/close, authorization, request-ingress, short-circuit; the
        // rest (proxy-start/stop, server-close, data-access, other) has no record of its own.
        if (session) this.sessions.add(session, ev, time);
        return;
    }
  }

  /**
   * A session known to belong to another node that never sent this node anything: its events
   * without a node id (authorizations, short-circuits) would only be read to be discarded, so the
   * replay may pass over them before parsing (prefilter.ts).
   */
  isForeignSession(sessionId: string): boolean {
    return this.sessions.isForeign(sessionId);
  }

  // ---------------------------------------------------------------- broker side (steps 5–6, claims)

  /** A broker event of any of the three broker logs. */
  addBroker(ev: BrokerEvent): void {
    if (ev.type === 'broker-request') this.addBrokerRequest(ev);
    else if (ev.type === 'broker-authorization') this.addBrokerAuthorization(ev);
    else this.addBrokerAuthFailure(ev);
  }

  addBrokerRequest(ev: BrokerRequestEvent): void {
    this.authFailures.learnListener(ev);
    this.matcher.addBrokerRequest(ev);
  }

  addBrokerAuthorization(ev: BrokerAuthorizationEvent): void {
    this.claims.add(ev);
  }

  addBrokerAuthFailure(ev: BrokerAuthFailureEvent): void {
    this.authFailures.addBroker(ev);
  }

  /** A late authorizer line attached to `b`: persist `b` again wherever it waits. */
  private touchBroker(b: PendingBroker): void {
    if (this.matcher.hasBroker(b.id)) this.matcher.touchBroker(b);
    else if (this.bypass.has(b.id)) this.bypass.touch(b);
    else {
      const jid = this.claims.joinedIdOf(b);
      const j = jid === undefined ? undefined : this.joins.get(jid);
      if (j) this.c.touch({ kind: 'joined', id: j.id }, b.event.logTime, j);
    }
  }

  // ---------------------------------------------------------------- watermarks (steps 7–8)

  /**
   * Finalize everything the watermarks make certain: an event becomes a gap only when every source
   * it could match has delivered events past its time plus the tolerance.
   */
  advance(w: Watermarks): void {
    this.deadlines.advance(w);
    this.authFailures.expire(w);
  }

  /** End of input: every source is done, so everything still waiting is decided now. */
  finish(): void {
    this.advance({ proxy: Infinity, brokerRequest: Infinity, brokerAuthorizer: Infinity });
  }

  /** Continue the counters of a previous run of the same state database (see flatStats). */
  restoreStats(flat: Record<string, number>): void {
    restoreJoinStats(this.c.stats, flat);
  }

  // ---------------------------------------------------------------- durability (step 9)

  /** Rebuild the in-memory window from the durable copy (restart). Values come from takeChanges(). */
  load(entries: { key: string; value: unknown }[]): void {
    for (const { key, value } of entries) {
      switch (decodeWindowKey(key)?.kind) {
        case 'session':
          this.sessions.loadSession(value as SessionState);
          break;
        case 'unit':
          this.sessions.loadUnit(value as ProxyUnit);
          break;
        case 'egress':
          this.matcher.loadEgress(value as PendingEgress);
          break;
        case 'broker':
          this.matcher.loadBroker(value as PendingBroker);
          break;
        case 'bypass':
          this.bypass.load(value as PendingBroker);
          break;
        case 'authorization':
          this.claims.load(value as PendingAuthorization);
          break;
        case 'pair':
          this.epochs.load(value as PairState);
          break;
        case 'endpoints':
          this.matcher.loadEndpoints(value as string[]);
          break;
        case 'authFailure':
          this.authFailures.loadFailure(value as PendingAuthFailure);
          break;
        case 'proxyAuthFailure':
          this.authFailures.loadProxyFailure(value as PendingProxyAuthFailure);
          break;
        case 'saslHop':
          this.authFailures.loadHops(value as SaslHops);
          break;
        case 'burst':
          this.bursts.load(value as BurstState);
          break;
        default:
          break;
      }
    }
    // Joined entries reference units; restore them after units exist.
    for (const { key, value } of entries) {
      if (decodeWindowKey(key)?.kind !== 'joined') continue;
      const j = value as JoinedPending;
      this.joins.load(j, unitKeyOf(j.egress));
    }
  }
}
