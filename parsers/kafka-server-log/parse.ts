// server.log authentication failures → BrokerAuthFailureEvent.
//
// Format (INFO, logger org.apache.kafka.common.network.Selector):
//   3.2+:      [SocketServer listenerType=BROKER, nodeId=1] Failed authentication with /10.0.0.31
//              (channelId=10.0.0.11:9093-10.0.0.31:41990-16) (Authentication failed ...)
//   2.8 – 3.1: [SocketServer listenerType=ZK_BROKER, nodeId=1] Failed authentication with /10.0.0.31 (msg)
//   2.2 – 2.7: [SocketServer brokerId=1] Failed authentication with /10.0.0.31 (msg)
//   KIP-368:   `Failed re-authentication with …` in any of the above; 4.x channel ids.
// Written by Selector.pollSelectionKeys with the SocketServer's LogContext prefix:
// https://github.com/apache/kafka/blob/3.9/clients/src/main/java/org/apache/kafka/common/network/Selector.java
//
// Grammar: `[SocketServer ` (listenerType=T, nodeId=N | brokerId=N) `] Failed ` [`re-`]
//   `authentication with ` PEER ` ` [`(channelId=` ID `) `] `(` MESSAGE `)`
//
// Everything else in server.log is skipped, not rejected. Left out: ≤ 2.1 (only a DEBUG
// "disconnected due to authentication exception" line), the broker's own client-side failures
// (other LogContext prefixes), and connection-limit / HTTP-probe lines (not authentication).

import type { BrokerAuthFailureEvent, ParseContext, ParseResult } from '../../src/events.js';
import { parseConnectionId } from '../connection-id.js';
import { brokerRecord } from '../log4j-layout.js';

export const SELECTOR_LOGGER = 'org.apache.kafka.common.network.Selector';

type Result = ParseResult<BrokerAuthFailureEvent>;
const skip = (reason: string): Result => ({ kind: 'skip', reason });
const reject = (reason: string): Result => ({ kind: 'reject', reason });

const AUTH_FAILURE =
  /^\[SocketServer (?:listenerType=(\w+), nodeId=(-?\d+)|brokerId=(-?\d+))\] Failed (re-)?authentication with (\S+) (?:\(channelId=([^\s()]+)\) )?\((.*)\)$/s;

/** Parses one physical line of server.log. Pure; never throws. */
export function parseKafkaServerLine(line: string, ctx: ParseContext): Result {
  try {
    if (line.length === 0) return skip('empty');
    // server.log is busy; decide "not ours" before doing any work on the line.
    if (!line.includes('authentication with ')) {
      return line.charCodeAt(0) === 91 /* [ */ ? skip('not_auth_failure') : skip('continuation');
    }
    const rec = brokerRecord(line, ctx.brokerTimeZone, { logger: SELECTOR_LOGGER, prefix: '[SocketServer ', notOurs: 'not_auth_failure', multiLine: false });
    if ('kind' in rec) return rec;
    const m = AUTH_FAILURE.exec(rec.message);
    if (m === null) {
      return /\] Failed (?:re-)?authentication with\b/.test(rec.message) ? reject('bad_auth_failure_line') : skip('not_auth_failure');
    }
    const [, listenerType, nodeId, brokerId, re, peer, channelId, message] = m;
    const node = nodeId ?? brokerId;
    // `/ip`, or `host/ip` if something resolved the peer's name first.
    const peerHost = peer!.slice(peer!.lastIndexOf('/') + 1);
    return {
      kind: 'event',
      event: {
        type: 'broker-auth-failure',
        logTime: rec.time,
        level: rec.level,
        reauthentication: re !== undefined,
        peerHost,
        // An unparsable channel id keeps the event (the failure is what matters) without it.
        connection: channelId === undefined ? null : parseConnectionId(channelId),
        nodeId: node === undefined ? null : Number(node),
        listenerType: listenerType ?? null,
        message: message!,
      },
    };
  } catch {
    return reject('internal_error');
  }
}
