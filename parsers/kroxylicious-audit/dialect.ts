// Which of the three proxy dialects of ../../docs/spec/inputs.md a parsed JSON object is written in.
//
//   P1  `{"time":…,"action":"<Action>",…}` — Kroxylicious audit actions (`KROXYLICIOUS_JSON_V1`).
//   P2  the P1 envelope with a request-flow action: RequestIngress, RequestEgress, RequestInject,
//       RequestShortCircuit, ResponseEgress, or Part B's ServerRequest / ShortCircuitResponse.
//   P3  `{"event":"<Type>","processAgeMicros":…}` — typed events of the proposal's first version.
//
// Rule: a non-empty string `action` decides P1/P2 (by the action name); an `action` key holding
// anything else is no dialect (null: the parser says `missing_action`); without an `action` key a
// non-empty string `event` means P3; anything else is null. `action` wins over `event`, so a P1
// object with a stray `event` key is never read as P3.

export type ProxyDialect = 'P1' | 'P2' | 'P3';

/** Request-flow actions: their presence makes a P1-envelope object P2. */
export const REQUEST_FLOW_ACTIONS: ReadonlySet<string> = new Set([
  'RequestIngress',
  'RequestEgress',
  'RequestInject',
  'RequestShortCircuit',
  'ResponseEgress',
  'ServerRequest',
  'ShortCircuitResponse',
]);

export function detectDialect(obj: Record<string, unknown>): ProxyDialect | null {
  const action = obj['action'];
  if (typeof action === 'string' && action !== '') return REQUEST_FLOW_ACTIONS.has(action) ? 'P2' : 'P1';
  if ('action' in obj) return null; // an envelope whose action is null, empty or not a string
  const event = obj['event'];
  if (typeof event === 'string' && event !== '') return 'P3';
  return null;
}
