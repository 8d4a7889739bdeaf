import { statelessReader, type SourceDefinition } from '../source.js';
import { parseKafkaAuthorizerLine } from './parse.js';

export const kafkaAuthorizerLog: SourceDefinition = {
  name: 'broker-authorizer',
  role: 'broker-authorizer',
  setting: {
    key: 'broker.authorizer_log',
    flag: '--authorizer-log',
    help: 'kafka-authorizer.log files or globs',
    default: ['/var/log/kafka/kafka-authorizer.log*'],
  },
  createReader: (ctx) => statelessReader(parseKafkaAuthorizerLine, ctx),
};
