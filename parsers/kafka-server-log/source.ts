import { statelessReader, type SourceDefinition } from '../source.js';
import { parseKafkaServerLine } from './parse.js';

export const kafkaServerLog: SourceDefinition = {
  name: 'broker-server',
  role: 'context',
  setting: {
    key: 'broker.server_log',
    flag: '--server-log',
    help: 'server.log files or globs (authentication failures)',
    default: ['/var/log/kafka/server.log*'],
  },
  createReader: (ctx) => statelessReader(parseKafkaServerLine, ctx),
};
