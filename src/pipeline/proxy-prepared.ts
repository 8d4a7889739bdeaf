// A batch of proxy-log lines read, prefiltered and parsed on the parse thread (proxy-thread.ts),
// in a form that crosses to the main thread cheaply and that the main thread feeds exactly as
// `feed()` would have fed the raw lines: same events in the same order, same counters, same
// skip decisions (sources.ts, feedPrepared).
//
// What the parse thread cannot decide is kept for the main thread: whether a node-less line's
// session is already known to be another node's (prefilter.ts, `isForeignSession`) depends on the
// join, so such a line is parsed anyway and goes over with its session id; the main thread asks
// the join when it reaches it, in line order, as the single-thread prefilter would have.
//
// Hand-over forms (`HandoverMode`); what the main thread pays to take the 104k events of the 20k
// scenario's proxy log, alone (best of 3): JSON.parse of the raw lines 476 ms, of the events' JSON
// 183 ms, structured clone of the event objects 282-383 ms. In whole replays (20k, interleaved,
// main-thread CPU) `json` was the cheapest for the main thread, `lines` saved it least.
//  - `json` (the default): the batch's outcomes as one JSON text; a string is copied, not walked,
//    across threads. The events round-trip exactly: the parser never sets a member to undefined,
//    and its numbers are safe integers (a -0 comes back as 0, which every record form writes as 0).
//  - `clone`: the outcomes as objects, through structured clone (walked on both sides).
//  - `lines`: only the prefilter runs on the parse thread; the kept lines go over raw and the main
//    thread parses them.

import { parseKroxyliciousLine } from '../../parsers/kroxylicious-audit/parse.js';
import { actorSessionOfUnroutedLine, isOtherNodesTraffic } from '../../parsers/kroxylicious-audit/prefilter.js';
import type { NormalizedEvent } from '../events.js';
import type { LineBatch } from '../sources/file-reader.js';

export type HandoverMode = 'json' | 'clone' | 'lines';

/**
 * One outcome, in line order:
 *  - a number n: n lines passed over as another broker's (`skipped.proxy.other_broker`);
 *  - `F<session>`: the next outcome's line names no node and belongs to this session; if the join
 *    knows the session as another node's, the line is passed over instead;
 *  - `S<reason>` / `R<reason>`: a skipped / rejected line;
 *  - `L<line>` (`lines` mode): a line for the main thread's reader;
 *  - an event object, or an array of them (a line that names several).
 */
export type Outcome = number | string | NormalizedEvent | NormalizedEvent[];

export interface PreparedBatch {
  path: string;
  /** Lines read, and their UTF-16 length + 1 summed (as feed() counts bytes). */
  lines: number;
  bytes: number;
  oversize: number;
  partialTailBytes: number;
  errors: Record<string, number>;
  /** `json` mode: the outcomes as JSON text, parsed by the main thread when it takes the batch. */
  json?: string;
  outcomes?: Outcome[];
}

/** Parse-thread side: prefilter and parse one batch of the proxy audit log. */
export function prepareBatch(batch: LineBatch, brokerNodeId: number, mode: HandoverMode): PreparedBatch {
  const outcomes: Outcome[] = [];
  let bytes = 0;
  let passedOver = 0;
  for (const line of batch.lines) {
    bytes += line.length + 1;
    if (brokerNodeId >= 0 && isOtherNodesTraffic(line, brokerNodeId)) {
      passedOver++;
      continue;
    }
    if (passedOver) outcomes.push(passedOver);
    passedOver = 0;
    if (mode === 'lines') {
      outcomes.push('L' + line);
      continue;
    }
    const session = brokerNodeId >= 0 ? actorSessionOfUnroutedLine(line) : null;
    if (session !== null) outcomes.push('F' + session);
    const r = parseKroxyliciousLine(line);
    if (r.kind === 'event') outcomes.push(r.event);
    else if (r.kind === 'skip') outcomes.push('S' + r.reason);
    else outcomes.push('R' + r.reason);
  }
  if (passedOver) outcomes.push(passedOver);
  const { path, oversize, partialTailBytes, errors } = batch;
  const head = { path, lines: batch.lines.length, bytes, oversize, partialTailBytes, errors };
  return mode === 'json' ? { ...head, json: JSON.stringify(outcomes) } : { ...head, outcomes };
}

/** Main-thread side: the batch's outcomes (parses the JSON text of `json` mode when the batch is fed, not on arrival). */
export function outcomesOf(b: PreparedBatch): Outcome[] {
  return b.outcomes ?? (JSON.parse(b.json ?? '[]') as Outcome[]);
}
