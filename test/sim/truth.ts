// The ground truth a scenario records: what a correct sidecar for the broker under test must
// report. Shapes follow docs/spec/join.md; `expected.json` is exactly `ExpectedTruth`.

/** A proxied request to the broker under test that both the proxy and the broker logged. */
export interface JoinedEntry {
  /** The broker's connection id as logged. */
  connection: string;
  /** Upstream correlation id: the one in the broker line. */
  correlationId: number;
  apiKey: number;
  sessionId: string;
  /** Downstream id; null for filter-injected requests. */
  clientCorrelationId: number | null;
  origin: 'client' | 'filter';
  clientId: string;
}

export type Gap =
  | { kind: 'proxy-only'; sessionId: string; upstreamLocal: string; upstreamRemote: string; upstreamCorrelationId: number; apiKey: number }
  | { kind: 'broker-only'; connection: string; correlationId: number; apiKey: number }
  | { kind: 'bypass'; connection: string; correlationId: number; apiKey: number }
  | { kind: 'orphan-session'; sessionId: string };

export type GapKind = Gap['kind'];

/** Answered by the proxy itself: never reaches the broker, and is not a gap. */
export interface ShortCircuitEntry {
  sessionId: string;
  clientCorrelationId: number;
  apiKey: number;
  errorCode: number;
}

/** Sent upstream before the broker's SASL handshake completed: the broker never logs these (§2.5). */
export interface UnloggedEntry {
  sessionId: string;
  upstreamCorrelationId: number;
  apiKey: number;
}

/**
 * The hard port-reuse case: a proxy-only gap whose upstream socket was later reused by another
 * session that sent the same upstream correlation id and apiKey, which did reach the broker.
 */
export interface PortReuseCase {
  upstreamLocal: string;
  upstreamRemote: string;
  upstreamCorrelationId: number;
  apiKey: number;
  /** Session whose broker line is missing. */
  droppedSessionId: string;
  /** Later session on the same socket whose line joins. */
  reusingSessionId: string;
  reusingConnection: string;
}

export interface TruthCounts {
  joined: number;
  joinedFromFilter: number;
  'proxy-only': number;
  'broker-only': number;
  bypass: number;
  'orphan-session': number;
  shortCircuited: number;
  unloggedByDesign: number;
}

/** A broker request line whose record must carry exactly these posture tags and this many authorizer decisions. */
export interface PostureRequestEntry {
  connection: string;
  correlationId: number;
  apiKey: number;
  posture: string[];
  decisions: number;
}

/** An authorizer line no request line owns (the controller's Envelope check): a record of its own. */
export interface PostureAuthorizationEntry {
  principal: string;
  operation: string;
  posture: string[];
}

/** One failed authentication: exactly one `authentication` record, with this client and these tags. */
export interface AuthFailureEntry {
  timeUs: number;
  address: string;
  port: number;
  /** The proxy session behind it (its SASL frames named the upstream socket), when proxied. */
  sessionId: string | null;
  posture: string[];
}

/** A burst of failed authentications from one address: one `finding` record citing these failures. */
export interface BurstEntry {
  address: string;
  /** Indexes into `authFailures` of the failures the finding cites. */
  failures: number[];
}

/** ktrail's default burst rule (config posture.auth_failure_burst), which the truth applies. */
export const BURST_THRESHOLD = 5;
export const BURST_WINDOW_US = 60_000_000;

export interface PostureTruth {
  requests: PostureRequestEntry[];
  authorizations: PostureAuthorizationEntry[];
  authFailures: AuthFailureEntry[];
  bursts: BurstEntry[];
  /** Listener names the scenario enables SASL/PLAIN on (pass as broker.sasl_plain_listeners). */
  saslPlainListeners: string[];
}

/**
 * The bursts the rule makes of these failures: per address, a finding when `threshold` of them
 * fall within the window (citing those), none again until a window passes without a failure.
 */
export function burstsOf(failures: AuthFailureEntry[], threshold = BURST_THRESHOLD, windowUs = BURST_WINDOW_US): BurstEntry[] {
  const order = failures.map((f, i) => i).sort((a, b) => (failures[a] as AuthFailureEntry).timeUs - (failures[b] as AuthFailureEntry).timeUs || a - b);
  const state = new Map<string, { recent: number[]; open: boolean; last: number }>();
  const out: BurstEntry[] = [];
  for (const i of order) {
    const f = failures[i] as AuthFailureEntry;
    let s = state.get(f.address);
    if (!s || f.timeUs - s.last > windowUs) s = { recent: [], open: false, last: f.timeUs };
    s.recent.push(i);
    s.last = f.timeUs;
    s.recent = s.recent.filter((j) => (failures[j] as AuthFailureEntry).timeUs >= f.timeUs - windowUs).slice(-threshold);
    if (!s.open && s.recent.length >= threshold) {
      s.open = true;
      out.push({ address: f.address, failures: [...s.recent] });
    }
    state.set(f.address, s);
  }
  return out;
}

export interface ExpectedTruth {
  schema: 'ktrail.sim.expected/v1';
  seed: number | string;
  brokerNodeId: number;
  brokerEndpoint: string;
  counts: TruthCounts;
  hostileClientIds: string[];
  portReuseCases: PortReuseCase[];
  gaps: Gap[];
  shortCircuited: ShortCircuitEntry[];
  unloggedByDesign: UnloggedEntry[];
  joined: JoinedEntry[];
  /** Posture findings and authentication records (docs/spec/record-v1.md); empty lists unless the scenario has postureCases. */
  posture: PostureTruth;
}
