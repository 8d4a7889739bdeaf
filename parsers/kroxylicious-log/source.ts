import type { SourceDefinition } from '../source.js';
import { createKroxyliciousLogReader } from './bind.js';

export const kroxyliciousLog: SourceDefinition = {
  name: 'kroxylicious-log',
  role: 'proxy-requests',
  setting: {
    key: 'proxy.kroxylicious_log',
    flag: '--kroxylicious-log',
    help: "released Kroxylicious's own log (stdout; codec and session loggers at DEBUG), text or JSON layout (dialect P4)",
    default: [],
  },
  createReader(ctx) {
    const reader = createKroxyliciousLogReader();
    const parseCtx = { proxyTimeZone: ctx.proxyTimeZone ?? 'UTC' };
    return {
      parse: (line) => reader.parse(line, parseCtx),
      snapshot: () => reader.snapshot(),
      restore: (state) => reader.restore(state),
    };
  },
};
