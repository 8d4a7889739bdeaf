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
