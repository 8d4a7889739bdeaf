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

// Searched for without their opening quote, which is then checked by hand: V8's indexOf is 2–3×
// faster on a pattern that does not start with `"`, the most frequent character of these lines.
const KEY = 'nodeId":';
// Session events are kept whatever node they name: a session known to belong to another node
// keeps its later events (authorizations, short-circuits without a node id) out of this sidecar.
const SESSION_EVENT = 'action":"Client';

/** Index of the first `"<tail>` at or after `from` (`tail` without its opening quote), or -1. */
function indexOfQuoted(line: string, tail: string, from = 0): number {
  let at = line.indexOf(tail, from + 1);
  while (at !== -1 && line.charCodeAt(at - 1) !== 34 /* " */) at = line.indexOf(tail, at + 1);
  return at === -1 ? -1 : at - 1;
}

/**
 * feed()'s question for a proxy line: can it be passed over unparsed as another broker's? Either
 * check below, with the node-id key searched once: a line that names nodes is decided by them
 * (isOtherNodesTraffic), a line that names none by its actor's session (actorSessionOfUnroutedLine
 * and the join's `isForeignSession`).
 */
export function isOtherBrokersLine(line: string, nodeId: number, isForeignSession: (sessionId: string) => boolean): boolean {
  const at = indexOfQuoted(line, KEY);
  if (at !== -1) return namesOnlyOtherNodesFrom(line, at, nodeId) && indexOfQuoted(line, SESSION_EVENT) === -1;
  const session = actorSessionOfNodelessLine(line);
  return session !== null && isForeignSession(session);
}

/** The line can be passed over: it is another node's request traffic. */
export function isOtherNodesTraffic(line: string, nodeId: number): boolean {
  return namesOnlyOtherNodes(line, nodeId) && indexOfQuoted(line, SESSION_EVENT) === -1;
}

/**
 * True when the line names at least one broker node and none of them is `nodeId`. A node id is
 * read as the parser reads it (a JSON integer or a string of digits, so `"01"` is node 1); anything
 * else is not a plain node id and the parser decides.
 */
export function namesOnlyOtherNodes(line: string, nodeId: number): boolean {
  const at = indexOfQuoted(line, KEY);
  return at !== -1 && namesOnlyOtherNodesFrom(line, at, nodeId);
}

/** namesOnlyOtherNodes from the first node-id key, found at `at`. */
function namesOnlyOtherNodesFrom(line: string, first: number, nodeId: number): boolean {
  let at = first;
  let other = false;
  while (at !== -1) {
    let i = at + 1 + KEY.length;
    while (line.charCodeAt(i) === 32) i++; // tolerate `"nodeId": 1`
    const quoted = line.charCodeAt(i) === 34; /* " */
    if (quoted) i++;
    const negative = line.charCodeAt(i) === 45; /* - */
    if (negative) i++;
    let j = i;
    let value = 0;
    for (let c = line.charCodeAt(j); c >= 48 && c <= 57; c = line.charCodeAt(++j)) value = value * 10 + (c - 48);
    const end = line.charCodeAt(j);
    const plain = quoted ? end === 34 : end === 44 /* , */ || end === 125 /* } */ || end === 93 /* ] */ || end === 32;
    if (j === i || j - i > 15 || !plain) return false;
    if ((negative ? -value : value) === nodeId) return false;
    other = true;
    at = indexOfQuoted(line, KEY, j);
  }
  return other;
}

// A second look, for lines that name no node: the authorization events (Read, Write, Describe…)
// and other session-scoped actions carry only the actor's session. Once the join knows a session
// belongs to another node (its ClientConnect named that node), such a line is that node's traffic
// too; the join would read it only to discard it (see Joiner.isForeignSession).

const ACTOR = 'actor":{'; // each after its opening quote (see indexOfQuoted)
const SESSION_KEY = 'session":"';

/**
 * The actor's session id of a P1/P2 line that names no node and is not a session event; null when
 * the line is anything else or the answer is not certain. Certain means: `"session":"` occurs once,
 * inside the actor object before any nested brace, `"sessionId":` does not occur (the parser would
 * weigh both), and the id holds no backslash (so the raw text is the decoded value). As in
 * namesOnlyOtherNodes, a bare-quoted key cannot come from inside a client-chosen string.
 */
export function actorSessionOfUnroutedLine(line: string): string | null {
  return indexOfQuoted(line, KEY) === -1 ? actorSessionOfNodelessLine(line) : null;
}

/** actorSessionOfUnroutedLine for a line already known to hold no node-id key. */
function actorSessionOfNodelessLine(line: string): string | null {
  if (indexOfQuoted(line, SESSION_EVENT) !== -1 || indexOfQuoted(line, 'sessionId":') !== -1) return null;
  const k = indexOfQuoted(line, SESSION_KEY);
  if (k === -1 || indexOfQuoted(line, SESSION_KEY, k + 1) !== -1) return null;
  const a = indexOfQuoted(line, ACTOR);
  if (a === -1 || a > k) return null;
  const inner = a + 1 + ACTOR.length;
  const open = line.indexOf('{', inner);
  const close = line.indexOf('}', inner);
  if ((open !== -1 && open < k) || (close !== -1 && close < k)) return null;
  const start = k + 1 + SESSION_KEY.length;
  const end = line.indexOf('"', start);
  if (end <= start) return null;
  const id = line.slice(start, end);
  return id.includes('\\') ? null : id;
}
