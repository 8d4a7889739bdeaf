// Posture findings: facts about *how* a request was made that a security reviewer flags, derived
// only from what the logs (and the few broker settings the logs cannot show) say. Stable lowercase
// strings; part of the record contract (docs/spec/record-v1.md, "Posture findings", where each tag
// names the threat-model position it comes from).

import type { BrokerRequestEvent } from '../events.js';

export const POSTURE = {
  plaintextListener: 'plaintext-listener', // no TLS between client (or proxy) and broker
  anonymousPrincipal: 'anonymous-principal', // User:ANONYMOUS reached the broker
  deprecatedApiVersion: 'deprecated-api-version', // KIP-896 deprecated request version
  credentialsInBrokerLog: 'credentials-in-broker-log', // broker DEBUG log carried credential bytes (dropped by ktrail)
  proxyBypass: 'proxy-bypass', // broker request from a peer that is not a known proxy
  saslOnNonSaslListener: 'sasl-on-non-sasl-listener', // SASL frame reached KafkaApis (misconfigured client)
  developmentOnly: 'development-only', // PLAINTEXT listener (no TLS, no authentication) or ANONYMOUS: a development-only posture
  saslPlainCleartext: 'sasl-plain-cleartext', // SASL/PLAIN over a listener without TLS: the password crossed the network in clear
  superUser: 'super-user', // a super.users principal: the authorizer allowed it without looking at any ACL
  forwardedRequest: 'forwarded-request', // decided by the controller for a principal a broker vouched for (Envelope)
  authFailureBurst: 'auth-failure-burst', // many failed authentications from one client address (a `finding` record)
} as const;

export type PostureTag = (typeof POSTURE)[keyof typeof POSTURE];

/** The broker settings a posture finding needs that no log line shows. */
export interface PostureSettings {
  /** `super.users`. */
  superUsers: ReadonlySet<string>;
  /** Listener names (upper case) whose `sasl.enabled.mechanisms` include PLAIN. */
  saslPlainListeners: ReadonlySet<string>;
}

export const NO_POSTURE_SETTINGS: PostureSettings = { superUsers: new Set(), saslPlainListeners: new Set() };

export function postureSettings(o: { superUsers?: readonly string[]; saslPlainListeners?: readonly string[] }): PostureSettings {
  return { superUsers: new Set(o.superUsers ?? []), saslPlainListeners: new Set((o.saslPlainListeners ?? []).map((l) => l.toUpperCase())) };
}

/** What else than the request line a request's posture depends on. */
export interface RequestFacts {
  /** The peer is not a known proxy (and the listener is not internal). */
  bypass: boolean;
  /** The broker authorizer's decisions on the request (`rule` SuperUser). */
  authorizations: readonly { rule?: string | null }[];
  /** The SASL mechanism the proxy saw this client use, when its credentials went on to the broker. */
  passthroughMechanism?: string | null;
}

const SASL_API_KEYS = new Set([17, 36]);

export function brokerPosture(ev: BrokerRequestEvent, facts: RequestFacts, settings: PostureSettings = NO_POSTURE_SETTINGS): string[] {
  const out: string[] = [];
  if (ev.securityProtocol === 'PLAINTEXT' || ev.securityProtocol === 'SASL_PLAINTEXT') out.push(POSTURE.plaintextListener);
  if (ev.principal === 'User:ANONYMOUS') out.push(POSTURE.anonymousPrincipal);
  if (ev.apiVersionDeprecated) out.push(POSTURE.deprecatedApiVersion);
  if (ev.credentialsRedacted) out.push(POSTURE.credentialsInBrokerLog);
  if (facts.bypass) out.push(POSTURE.proxyBypass);
  if (SASL_API_KEYS.has(ev.apiKey)) out.push(POSTURE.saslOnNonSaslListener);
  if (ev.securityProtocol === 'PLAINTEXT' || ev.principal === 'User:ANONYMOUS') out.push(POSTURE.developmentOnly);
  if (ev.securityProtocol === 'SASL_PLAINTEXT' && (facts.passthroughMechanism === 'PLAIN' || settings.saslPlainListeners.has(ev.listener.toUpperCase()))) {
    out.push(POSTURE.saslPlainCleartext);
  }
  if (settings.superUsers.has(ev.principal) || facts.authorizations.some((a) => a.rule === 'SuperUser')) out.push(POSTURE.superUser);
  if (ev.isForwarded) out.push(POSTURE.forwardedRequest);
  return out;
}

/** A broker authorizer line no request line claimed. */
export function authorizationPosture(a: { principal: string; rule: string | null; api: string | null }, settings: PostureSettings = NO_POSTURE_SETTINGS): string[] {
  const out: string[] = [];
  if (a.principal === 'User:ANONYMOUS') out.push(POSTURE.anonymousPrincipal, POSTURE.developmentOnly);
  if (a.rule === 'SuperUser' || settings.superUsers.has(a.principal)) out.push(POSTURE.superUser);
  // The controller's check that the forwarding broker may act for others (CLUSTER_ACTION).
  if (a.api === 'ENVELOPE') out.push(POSTURE.forwardedRequest);
  return out;
}

/**
 * The SASL mechanism a broker `Failed authentication` message names: PlainSaslServer's own
 * messages are PLAIN's; SaslServerAuthenticator's name the mechanism (broker-log-formats §5).
 */
export function failureMechanism(message: string): string | null {
  if (/^Authentication failed: (?:Invalid username or password|username not specified|password not specified|Client requested an authorization id that is different from username)/.test(message)) return 'PLAIN';
  const m = /with SASL mechanism ([A-Z0-9_-]+)/.exec(message);
  return m ? (m[1] as string) : null;
}

/** A failed authentication: PLAIN over a listener without TLS sent the password in clear anyway. */
export function authFailurePosture(mechanism: string | null, securityProtocol: string | null): string[] {
  const out: string[] = [];
  if (securityProtocol === 'SASL_PLAINTEXT') out.push(POSTURE.plaintextListener);
  if (mechanism === 'PLAIN' && securityProtocol === 'SASL_PLAINTEXT') out.push(POSTURE.saslPlainCleartext);
  return out;
}
