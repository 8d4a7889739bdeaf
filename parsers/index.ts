// The parsers by source: a new format is a new folder here and one line below (STYLE.md).

import type { NormalizedEvent, ParseContext, ParseResult } from '../src/events.js';
import type { SourceKind } from '../src/pipeline/counters.js';
import { parseKafkaAuthorizerLine } from './kafka-authorizer-log/parse.js';
import { parseKafkaRequestLine } from './kafka-request-log/parse.js';
import { parseKafkaServerLine } from './kafka-server-log/parse.js';
import { parseKroxyliciousLine } from './kroxylicious-audit/parse.js';

export type LineParser = (line: string, ctx: ParseContext) => ParseResult<NormalizedEvent>;

export const PARSERS: Record<SourceKind, LineParser> = {
  'broker-request': parseKafkaRequestLine,
  'broker-authorizer': parseKafkaAuthorizerLine,
  'broker-server': parseKafkaServerLine,
  proxy: (line) => parseKroxyliciousLine(line),
};
