// Kafka broker connection ids, as in the request log's `"connection"` and server.log's `channelId=`.
//
//   ≤ 3.9: lhost:lport-rhost:rport-index
//   4.x:   lhost:lport-rhost:rport-processorId-index
//
// Written by core/src/main/scala/kafka/network/SocketServer.scala `ConnectionId.toString` (≤ 3.8),
// clients/.../common/network/Selector.java `generateConnectionId` (3.9) and
// clients/.../common/network/ServerConnectionId.java (4.0+, KAFKA-17776):
// https://github.com/apache/kafka/blob/4.0/clients/src/main/java/org/apache/kafka/common/network/ServerConnectionId.java
//
// Hosts are `InetAddress.getHostAddress()`: IPv4, or IPv6 as 8 uncompressed groups, never
// bracketed, optionally with a `%scope`. They contain `:` but never `-`, so the id splits on `-`
// and each endpoint splits at its LAST `:`, as Kafka's own `ServerConnectionId.fromString` does.
// Left out: a `%scope` that is an interface name containing `-` (e.g. `%br-1a2b`) makes the id
// ambiguous (Kafka cannot parse it either); such ids return null.

import type { BrokerConnectionId, Endpoint } from '../src/events.js';

const MAX_INT32 = 2147483647;

/** Parses a broker connection id; null if it is not one. Never throws. */
export function parseConnectionId(raw: string): BrokerConnectionId | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 256) return null;
  const parts = raw.split('-');
  if (parts.length !== 3 && parts.length !== 4) return null;
  const local = parseEndpoint(parts[0]!);
  const remote = parseEndpoint(parts[1]!);
  if (local === null || remote === null) return null;
  if (parts.length === 3) {
    const index = parseUint(parts[2]!, MAX_INT32);
    if (index < 0) return null;
    return { raw, local, remote, index };
  }
  const processorId = parseUint(parts[2]!, MAX_INT32);
  const index = parseUint(parts[3]!, MAX_INT32);
  if (processorId < 0 || index < 0) return null;
  return { raw, local, remote, processorId, index };
}

/** `10.0.0.11:9093` or `0:0:0:0:0:0:0:1:9092` or `fe80:0:0:0:0:0:0:1%eth0:9092`. */
export function parseEndpoint(text: string): Endpoint | null {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) return null;
  const host = text.slice(0, colon);
  const port = parseUint(text.slice(colon + 1), 65535);
  if (port < 0 || !isHostLiteral(host)) return null;
  return { host, port };
}

/** Decimal digits only, no sign, at most `max`; -1 otherwise. */
function parseUint(s: string, max: number): number {
  if (s.length === 0 || s.length > 10) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n <= max ? n : -1;
}

/** The characters Kafka's own pattern allows in a host (`[0-9a-zA-Z\-%._:]`), minus `-`. */
function isHostLiteral(host: string): boolean {
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 58) || // 0-9 and ':'
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 37 || // %
      c === 46 || // .
      c === 95; // _
    if (!ok) return false;
  }
  return true;
}
