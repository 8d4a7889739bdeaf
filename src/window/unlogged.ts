// Upstream requests the broker never writes to its request log. SASL frames exchanged during
// authentication are handled by the broker's network thread and never reach kafka.request.logger
// (broker-log-formats §2.5); neither does the ApiVersions a client sends before them. Such a
// request waiting for its broker line is not a gap (`unlogged by design`), and it must not take a
// logged line of a later connection on the same port.
//
// Api ids come from the one table in ../kafka/api-keys.ts.

import { apiKeyId } from '../kafka/api-keys.js';
import type { PendingEgress } from './state.js';

function idOf(name: string): number {
  const id = apiKeyId(name);
  if (id === undefined) throw new Error(`api-keys.ts has no ${name}`);
  return id;
}

export const API_VERSIONS = idOf('ApiVersions');
const SASL_HANDSHAKE = idOf('SaslHandshake');
const SASL_AUTHENTICATE = idOf('SaslAuthenticate');

/** A SaslHandshake or SaslAuthenticate frame. */
export function isSaslFrame(apiKey: number): boolean {
  return apiKey === SASL_HANDSHAKE || apiKey === SASL_AUTHENTICATE;
}

/** A SASL frame, or the ApiVersions that opened a SASL exchange on its connection. */
export function unloggedByBroker(e: PendingEgress): boolean {
  return isSaslFrame(e.apiKey) || e.saslStart === true;
}
