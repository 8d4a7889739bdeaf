import { statelessReader, type SourceDefinition } from '../source.js';
import { parseKafkaRequestLine } from './parse.js';

export const kafkaRequestLog: SourceDefinition = {
  name: 'broker-request',
  role: 'broker-requests',
  setting: {
    key: 'broker.request_log',
    flag: '--broker-log',
    help: 'kafka-request.log files or globs (kafka.request.logger at DEBUG; rotated files are read first)',
    default: [],
    required: true,
  },
  createReader: (ctx) => statelessReader(parseKafkaRequestLine, ctx),
};
