// How upstream requests and broker lines find each other (DESIGN.md step 5). The proxy names a
// request by its upstream connection (broker endpoint, its own local endpoint) and upstream
// correlation id; the broker names the same request by its connection id's two endpoints and the
// correlation id. Both sides build the same strings here. The keys and epochs are stored inside
// persisted window values (PendingEgress.fullKey/partialKey/epoch, PairState.key), so their
// shapes are a storage format too.

import type { Endpoint } from '../events.js';

/** `ip:port`. */
export function endpoint(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}

/** The *full key*: `brokerEndpoint|proxyEndpoint|upstreamId|apiKey`. */
export function fullKey(broker: Endpoint, proxy: Endpoint, correlationId: number, apiKey: number): string {
  return `${endpoint(broker)}|${endpoint(proxy)}|${correlationId}|${apiKey}`;
}

/** The *partial key*, for dialects that do not name the proxy's local port: `brokerEndpoint|upstreamId|apiKey`. */
export function partialKey(broker: Endpoint, correlationId: number, apiKey: number): string {
  return `${endpoint(broker)}|${correlationId}|${apiKey}`;
}

/** One proxy→broker endpoint pair, whose connections are counted in epochs: `brokerEndpoint|proxyEndpoint`. */
export function pairKey(broker: Endpoint, proxy: Endpoint): string {
  return `${endpoint(broker)}|${endpoint(proxy)}`;
}

/** The `n`th connection on an endpoint pair: `pairKey#n`. */
export function epochKey(pair: string, n: number | string): string {
  return `${pair}#${n}`;
}

/** `pairKey#n` → [pairKey, n]. */
export function splitEpoch(epoch: string): [string, string] {
  return epoch.split('#') as [string, string];
}
