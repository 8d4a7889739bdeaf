import type { SourceDefinition } from '../source.js';
import { parseKroxyliciousLine } from './parse.js';
import { isOtherBrokersLine } from './prefilter.js';

export const kroxyliciousAuditLog: SourceDefinition = {
  name: 'proxy',
  role: 'proxy-requests',
  setting: {
    key: 'proxy.audit_log',
    flag: '--proxy-log',
    help: 'Kroxylicious audit-event log files or globs (dialects P1, P2, P3; JSON lines)',
    default: [],
  },
  createReader: (ctx) => ({
    parse(line) {
      // Every sidecar reads the whole proxy log: pass over other brokers' request traffic, and the
      // node-less events (authorizations) of sessions known to be another node's, unparsed.
      // (A forwarding proxy side, brokerNodeId < 0, serves every node and passes nothing over.)
      if (ctx.brokerNodeId >= 0 && isOtherBrokersLine(line, ctx.brokerNodeId, ctx.isForeignSession)) return { kind: 'skip', reason: 'other_broker' };
      return parseKroxyliciousLine(line);
    },
  }),
};
