// The keys of the durable window, in one place. Every entry the Joiner persists (WindowStore's
// `window` table) is named `<letter>:<id>`; the letter says which part of the window the value
// belongs to, and load() needs it to put the value back. These strings are a storage format: a
// state database written by an earlier version must still load, so the letters and the shape of
// each id never change. Everything else names entries with the typed WindowKey below.
//
// The unit key (`sessionId|clientCorrelationId`) is here too: it names a downstream unit in the
// window (`u:<unitKey>`) and inside persisted values (ProxyUnit.id), so it is a format as well.

/** Which part of the window an entry belongs to, and its id within that part. */
export type WindowKey =
  /** A proxy session (SessionState), id = sessionId. */
  | { kind: 'session'; id: string }
  /** A downstream unit (ProxyUnit), id = unitKey(sessionId, clientCorrelationId). */
  | { kind: 'unit'; id: string }
  /** An upstream request waiting for its broker line (PendingEgress), id = egressEventKey. */
  | { kind: 'egress'; id: string }
  /** A broker request line on a proxy connection waiting for its egress (PendingBroker). */
  | { kind: 'broker'; id: string }
  /** A broker line that nothing can match (bypass, internal), waiting for its authorizer lines. */
  | { kind: 'bypass'; id: string }
  /** A joined request waiting to be finalized (JoinedPending), id = its broker line's id. */
  | { kind: 'joined'; id: string }
  /** A broker authorizer line not yet claimed by a request line (PendingAuthorization). */
  | { kind: 'authorization'; id: string }
  /** Connection epochs of one proxy→broker endpoint pair (PairState), id = `remote|local`. */
  | { kind: 'pair'; id: string }
  /** The broker endpoints learned so far (a string array); a single entry, id `endpoints`. */
  | { kind: 'endpoints'; id: string }
  /** A broker `Failed authentication` line held for the proxy's side (PendingAuthFailure). */
  | { kind: 'authFailure'; id: string }
  /** A failed authentication the proxy logged, held for the broker's line (PendingProxyAuthFailure). */
  | { kind: 'proxyAuthFailure'; id: string }
  /** The recent SASL frames on one proxy upstream socket (SaslHops), id = the socket. */
  | { kind: 'saslHop'; id: string }
  /** Failed authentications of one client address (BurstState), id = the address. */
  | { kind: 'burst'; id: string };

export type WindowKind = WindowKey['kind'];

/** The persisted letter of each kind. Never change one: old state databases use them. */
const LETTER: Record<WindowKind, string> = {
  session: 's',
  unit: 'u',
  egress: 'e',
  broker: 'b',
  bypass: 'y',
  joined: 'j',
  authorization: 'a',
  pair: 'p',
  endpoints: 'm',
  authFailure: 'f',
  proxyAuthFailure: 'q',
  saslHop: 'h',
  burst: 'g',
};

const KIND_BY_LETTER = new Map<string, WindowKind>(Object.entries(LETTER).map(([kind, letter]) => [letter, kind as WindowKind]));

/** The one key of the learned broker endpoints. */
export const ENDPOINTS_KEY: WindowKey = { kind: 'endpoints', id: 'endpoints' };

/** `{kind: 'session', id: 'abc'}` → `s:abc`. */
export function encodeWindowKey(k: WindowKey): string {
  return `${LETTER[k.kind]}:${k.id}`;
}

/** `s:abc` → `{kind: 'session', id: 'abc'}`; undefined for a key no part of the window owns. */
export function decodeWindowKey(key: string): WindowKey | undefined {
  if (key[1] !== ':') return undefined;
  const kind = KIND_BY_LETTER.get(key[0] as string);
  return kind === undefined ? undefined : { kind, id: key.slice(2) };
}

/** The id of a downstream unit: one client request of one session. */
export function unitKey(sessionId: string, clientCorrelationId: number): string {
  return `${sessionId}|${clientCorrelationId}`;
}

/** The unit an upstream request carries, if it carries one (injected requests do not). */
export function unitKeyOf(e: { sessionId: string | null; clientCorrelationId: number | null }): string | null {
  return e.sessionId !== null && e.clientCorrelationId !== null ? unitKey(e.sessionId, e.clientCorrelationId) : null;
}
