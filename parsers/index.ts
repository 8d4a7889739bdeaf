// The sources ktrail reads, in a fixed order (the order of counters, checkpoints and help). A new
// log is a new folder here with a `source.ts`, and one line below (STYLE.md).

import { kafkaAuthorizerLog } from './kafka-authorizer-log/source.js';
import { kafkaRequestLog } from './kafka-request-log/source.js';
import { kafkaServerLog } from './kafka-server-log/source.js';
import { kroxyliciousAuditLog } from './kroxylicious-audit/source.js';
import { kroxyliciousLog } from './kroxylicious-log/source.js';
import { proxyForwarded } from './proxy-forwarded/source.js';
import type { SourceDefinition } from './source.js';

export const SOURCES: readonly SourceDefinition[] = [kafkaRequestLog, kafkaAuthorizerLog, kafkaServerLog, kroxyliciousAuditLog, kroxyliciousLog, proxyForwarded];

export type { SourceDefinition, SourceReader, SourceRole, ParseOutcome, ReaderContext } from './source.js';

export function sourceNamed(name: string): SourceDefinition {
  const s = SOURCES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown source ${JSON.stringify(name)}`);
  return s;
}
