// A cheap look at a proxy line before it is parsed: does it name only OTHER broker nodes?
//
// One sidecar sees one broker, but every sidecar reads the whole proxy log; with N brokers,
// (N-1)/N of its lines are other brokers' traffic, which the join ignores anyway. Parsing them
// was about half of all proxy work (BENCHMARKS.md). A line is passed over only when every
// `"nodeId":` it holds names another node: objectRef.nodeId (the proxy endpoint's node under
// port-per-broker routing), context.nodeId / correlation.nodeId (the upstream broker).
//
// Why a substring cannot be forged by a client: inside a JSON string every `"` is escaped (`\"`),
// so the bytes `"nodeId":` with a bare quote can only be a key of the JSON document itself. A
// Logstash-wrapped line carries the event as an escaped string, so it never matches and is parsed
// normally. Checked against the full parser by parsers/kroxylicious-audit/prefilter.test.ts.

const KEY = '"nodeId":';
// Session events are kept whatever node they name: a session known to belong to another node
// keeps its later events (authorizations, short-circuits without a node id) out of this sidecar.
const SESSION_EVENT = '"action":"Client';

/** The line can be passed over: it is another node's request traffic. */
export function isOtherNodesTraffic(line: string, nodeId: number): boolean {
  return namesOnlyOtherNodes(line, nodeId) && !line.includes(SESSION_EVENT);
}

/** True when the line names at least one broker node and none of them is `nodeId`. */
export function namesOnlyOtherNodes(line: string, nodeId: number): boolean {
  let at = line.indexOf(KEY);
  if (at === -1) return false;
  const mine = String(nodeId);
  let other = false;
  while (at !== -1) {
    let i = at + KEY.length;
    while (line.charCodeAt(i) === 32) i++; // tolerate `"nodeId": 1`
    const quoted = line.charCodeAt(i) === 34; /* " */
    if (quoted) i++;
    let j = i;
    if (line.charCodeAt(j) === 45 /* - */) j++;
    while (j < line.length && line.charCodeAt(j) >= 48 && line.charCodeAt(j) <= 57) j++;
    if (j === i || (quoted && line.charCodeAt(j) !== 34)) return false; // not a plain node id: let the parser decide
    if (line.slice(i, j) === mine) return false;
    other = true;
    at = line.indexOf(KEY, j);
  }
  return other;
}

// A second look, for lines that name no node: the authorization events (Read, Write, Describe…)
// and other session-scoped actions carry only the actor's session. Once the join knows a session
// belongs to another node (its ClientConnect named that node), such a line is that node's traffic
// too; the join would read it only to discard it (see Joiner.isForeignSession).

const ACTOR = '"actor":{';
const SESSION_KEY = '"session":"';

/**
 * The actor's session id of a P1/P2 line that names no node and is not a session event; null when
 * the line is anything else or the answer is not certain. Certain means: `"session":"` occurs once,
 * inside the actor object before any nested brace, `"sessionId":` does not occur (the parser would
 * weigh both), and the id holds no backslash (so the raw text is the decoded value). As in
 * namesOnlyOtherNodes, a bare-quoted key cannot come from inside a client-chosen string.
 */
export function actorSessionOfUnroutedLine(line: string): string | null {
  if (line.includes(KEY) || line.includes(SESSION_EVENT) || line.includes('"sessionId":')) return null;
  const k = line.indexOf(SESSION_KEY);
  if (k === -1 || line.indexOf(SESSION_KEY, k + 1) !== -1) return null;
  const a = line.indexOf(ACTOR);
  if (a === -1 || a > k) return null;
  const inner = a + ACTOR.length;
  const open = line.indexOf('{', inner);
  const close = line.indexOf('}', inner);
  if ((open !== -1 && open < k) || (close !== -1 && close < k)) return null;
  const start = k + SESSION_KEY.length;
  const end = line.indexOf('"', start);
  if (end <= start) return null;
  const id = line.slice(start, end);
  return id.includes('\\') ? null : id;
}
