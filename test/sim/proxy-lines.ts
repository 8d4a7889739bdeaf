// Proxy audit lines: ktrail's P2 request-flow actions in the P1 envelope that Kroxylicious PR #3512
// writes (docs/upstream/kroxylicious-audit-events.md A2.2, docs/spec/inputs.md). Field order
// is fixed: time, action, status, reason, actor, objectRef[, correlation][, context]. objectRef and
// context keys are sorted, as the PR's TreeMaps write them; callers pass them pre-rendered.

import { instantString, isoMillis, jsonString } from './format.js';

const USER_PRINCIPAL = 'io.kroxylicious.proxy.authentication.User';

/** A Client actor. `srcAddr` is InetSocketAddress.toString() (`/ip:port`); principals once authenticated. */
export function clientActor(clientIp: string, clientPort: number, sessionId: string, user?: string): string {
  const base = `{"type":"Client","srcAddr":"/${clientIp}:${clientPort}","session":"${sessionId}"`;
  return user === undefined ? base + '}' : base + `,"principals":[{"type":"${USER_PRINCIPAL}","name":${jsonString(user)}}]}`;
}

export function proxyAuditLine(
  timeUs: number,
  action: string,
  status: string | null,
  actor: string,
  objectRef: string,
  correlation?: string,
  context?: string,
): string {
  return (
    `{"time":"${instantString(timeUs)}","action":"${action}","status":${status === null ? 'null' : jsonString(status)},"reason":null,` +
    `"actor":${actor},"objectRef":${objectRef}` +
    (correlation === undefined ? '' : `,"correlation":${correlation}`) +
    (context === undefined ? '' : `,"context":${context}`) +
    '}'
  );
}

/**
 * The same event as log4j2's JsonTemplateLayout with the Logstash template prints it: the audit
 * JSON becomes the escaped `message`, and the logger is `audit.<Action>` (Slf4jEmitter).
 */
export function logstashLine(timeUs: number, action: string, auditJson: string, thread: string): string {
  return (
    `{"@timestamp":"${isoMillis(timeUs)}","@version":1,"message":${jsonString(auditJson)},` +
    `"logger_name":"audit.${action}","level":"INFO","thread_name":"${thread}"}`
  );
}
