// Posture findings: facts about *how* a request was made that a security reviewer flags, derived
// only from what the logs say. Stable lowercase strings; part of the record contract.

import type { BrokerRequestEvent } from '../events.js';

export const POSTURE = {
  plaintextListener: 'plaintext-listener', // no TLS between client (or proxy) and broker
  anonymousPrincipal: 'anonymous-principal', // User:ANONYMOUS reached the broker
  deprecatedApiVersion: 'deprecated-api-version', // KIP-896 deprecated request version
  credentialsInBrokerLog: 'credentials-in-broker-log', // broker DEBUG log carried credential bytes (dropped by ktrail)
  proxyBypass: 'proxy-bypass', // broker request from a peer that is not a known proxy
  saslOnNonSaslListener: 'sasl-on-non-sasl-listener', // SASL frame reached KafkaApis (misconfigured client)
} as const;

const SASL_API_KEYS = new Set([17, 36]);

export function brokerPosture(ev: BrokerRequestEvent, bypass: boolean): string[] {
  const out: string[] = [];
  if (ev.securityProtocol === 'PLAINTEXT' || ev.securityProtocol === 'SASL_PLAINTEXT') out.push(POSTURE.plaintextListener);
  if (ev.principal === 'User:ANONYMOUS') out.push(POSTURE.anonymousPrincipal);
  if (ev.apiVersionDeprecated) out.push(POSTURE.deprecatedApiVersion);
  if (ev.credentialsRedacted) out.push(POSTURE.credentialsInBrokerLog);
  if (bypass) out.push(POSTURE.proxyBypass);
  if (SASL_API_KEYS.has(ev.apiKey)) out.push(POSTURE.saslOnNonSaslListener);
  return out;
}
