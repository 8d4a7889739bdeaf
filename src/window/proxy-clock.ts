// P3 (the first proposal's typed events) are deliberately not self-contained: wall-clock time is
// the process's ProxyStartup `currentTimeMillis` plus the event's `processAgeMicros`, and the
// process is known only through the session's ClientAccept (inputs.md, P3). This stage anchors
// them before the join. An event whose anchor has not arrived is held (bounded) and reported if
// the anchor never arrives; it is never given a guessed time.

import type { ProxyEvent } from '../events.js';

export class ProxyClock {
  private startupMillis = new Map<string, number>();
  private sessionProcess = new Map<string, string>();
  private held: ProxyEvent[] = [];
  /** Held events dropped because the bound was reached, or still unanchored at the end. */
  unanchored = 0;

  constructor(private readonly maxHeld = 100_000) {}

  /** Returns the events that are ready for the join, in order (the given one, maybe preceded by held ones it anchored). */
  accept(ev: ProxyEvent): ProxyEvent[] {
    if (ev.dialect !== 'P3' || !ev.timeAnchor) return [ev];
    const a = ev.timeAnchor;
    let released = false;
    if (a.processUuid && a.startupMillis !== undefined) {
      this.startupMillis.set(a.processUuid, a.startupMillis);
      released = true;
    }
    if (a.processUuid && ev.sessionId && !this.sessionProcess.has(ev.sessionId)) {
      this.sessionProcess.set(ev.sessionId, a.processUuid);
      released = true;
    }
    if (ev.kind === 'client-close' && ev.sessionId) {
      // Anchor first, then forget: a closed session's process binding is no longer needed.
      const out = this.resolve(ev);
      this.sessionProcess.delete(ev.sessionId);
      return out ? [out] : [];
    }
    const out: ProxyEvent[] = [];
    if (released && this.held.length) out.push(...this.retryHeld());
    const resolved = this.resolve(ev);
    if (resolved) out.push(resolved);
    else this.hold(ev);
    return out;
  }

  private resolve(ev: ProxyEvent): ProxyEvent | null {
    if (ev.time !== null) return ev;
    const a = ev.timeAnchor;
    if (!a) return null;
    const process = a.processUuid ?? (ev.sessionId ? this.sessionProcess.get(ev.sessionId) : undefined);
    const start = process === undefined ? undefined : this.startupMillis.get(process);
    if (start === undefined) return null;
    return { ...ev, time: start * 1000 + a.processAgeMicros, ...(process ? { executionId: ev.executionId ?? process } : {}) };
  }

  private hold(ev: ProxyEvent): void {
    if (this.held.length >= this.maxHeld) {
      this.held.shift();
      this.unanchored += 1;
    }
    this.held.push(ev);
  }

  private retryHeld(): ProxyEvent[] {
    const still: ProxyEvent[] = [];
    const out: ProxyEvent[] = [];
    for (const h of this.held) {
      const r = this.resolve(h);
      if (r) out.push(r);
      else still.push(h);
    }
    this.held = still;
    return out;
  }

  /** End of input: whatever is still held never got its anchor. */
  finish(): number {
    this.unanchored += this.held.length;
    this.held = [];
    return this.unanchored;
  }
}
