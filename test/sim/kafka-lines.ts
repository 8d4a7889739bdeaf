// Broker log lines, byte-for-byte in the shapes of docs/upstream/kafka-broker-log-formats.md:
// `Completed request:` lines of kafka.request.logger (§2.3 key order, §2.4 number rendering),
// StandardAuthorizer audit lines (§4.2) and SocketServer authentication failures (§5).
// Bodies follow the message JSON specs of Kafka 3.9 / 4.1 as the generated converters write them.

import { javaMillis, jsonString } from './format.js';

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  Metadata: 3,
  OffsetCommit: 8,
  SaslHandshake: 17,
  ApiVersions: 18,
  CreateTopics: 19,
  InitProducerId: 22,
  SaslAuthenticate: 36,
} as const;

/** `requestApiKeyName` (ApiKeys enum) and the authorizer's `for request =` (ApiKeys.name). */
export const API_NAMES: Record<number, { enumName: string; name: string }> = {
  0: { enumName: 'PRODUCE', name: 'Produce' },
  1: { enumName: 'FETCH', name: 'Fetch' },
  3: { enumName: 'METADATA', name: 'Metadata' },
  8: { enumName: 'OFFSET_COMMIT', name: 'OffsetCommit' },
  17: { enumName: 'SASL_HANDSHAKE', name: 'SaslHandshake' },
  18: { enumName: 'API_VERSIONS', name: 'ApiVersions' },
  19: { enumName: 'CREATE_TOPICS', name: 'CreateTopics' },
  22: { enumName: 'INIT_PRODUCER_ID', name: 'InitProducerId' },
  36: { enumName: 'SASL_AUTHENTICATE', name: 'SaslAuthenticate' },
  58: { enumName: 'ENVELOPE', name: 'Envelope' },
};

/** What differs between the two broker generations the simulator writes. */
export interface KafkaProfile {
  kafka: '3.9' | '4.1';
  /** Java client version that matches: the client's software name/version and request versions. */
  clientVersion: string;
  versions: Record<'produce' | 'fetch' | 'metadata' | 'offsetCommit' | 'apiVersions' | 'createTopics' | 'initProducerId' | 'saslHandshake' | 'saslAuthenticate', number>;
  /** Produce v13+ names topics by id only. */
  produceByTopicId: boolean;
  /** Kafka 4.0+ connection ids carry the processor id (`…-processor-index`). */
  processorInConnectionId: boolean;
}

export const PROFILES: Record<'3.9' | '4.1', KafkaProfile> = {
  '4.1': {
    kafka: '4.1',
    clientVersion: '4.1.0',
    versions: { produce: 13, fetch: 18, metadata: 13, offsetCommit: 9, apiVersions: 4, createTopics: 7, initProducerId: 5, saslHandshake: 1, saslAuthenticate: 2 },
    produceByTopicId: true,
    processorInConnectionId: true,
  },
  '3.9': {
    kafka: '3.9',
    clientVersion: '3.9.0',
    versions: { produce: 11, fetch: 17, metadata: 12, offsetCommit: 9, apiVersions: 4, createTopics: 7, initProducerId: 5, saslHandshake: 1, saslAuthenticate: 2 },
    produceByTopicId: false,
    processorInConnectionId: false,
  },
};

export interface Topic {
  name: string;
  /** Kafka Uuid.toString(): 22 chars of URL-safe base64. */
  id: string;
  partitions: number;
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

export interface ClusterShape {
  clusterId: string;
  controllerId: number;
  /** Node ids and advertised host names, in node id order. */
  brokers: { nodeId: number; host: string; port: number }[];
  topics: Topic[];
}

/** Partition p is led by the broker at index p mod n; replicas follow round-robin. */
export function leaderOf(cluster: ClusterShape, partition: number): number {
  const broker = cluster.brokers[partition % cluster.brokers.length];
  if (broker === undefined) throw new Error('cluster has no brokers');
  return broker.nodeId;
}

export interface Timing {
  requestQueueUs: number;
  localUs: number;
  remoteUs: number;
  throttleMs: number;
  responseQueueUs: number;
  sendUs: number;
}

export function totalUs(t: Timing): number {
  return t.requestQueueUs + t.localUs + t.remoteUs + t.responseQueueUs + t.sendUs;
}

export interface RequestLine {
  /** Formatted `%d` timestamp. */
  timestamp: string;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Rendered request body (JSON) or `""`. */
  request: string;
  /** Rendered response body (JSON), or `""` for acks=0 produce. */
  response: string;
  connection: string;
  timing: Timing;
  securityProtocol: string;
  principal: string;
  listener: string;
  /** Rendered `clientInformation` object. */
  clientInformation: string;
  temporaryMemoryBytes?: number;
  /** The controller's line of a request a broker forwarded inside an Envelope. */
  isForwarded?: boolean;
}

export function clientInformation(softwareName: string, softwareVersion: string): string {
  return `{"softwareName":${jsonString(softwareName)},"softwareVersion":${jsonString(softwareVersion)}}`;
}

export const UNKNOWN_CLIENT = clientInformation('unknown', 'unknown');

/** One `Completed request:` line (RequestChannel.updateRequestMetrics via RequestConvertToJson). */
export function requestLogLine(r: RequestLine): string {
  const names = API_NAMES[r.apiKey];
  if (names === undefined) throw new Error(`no name for api key ${r.apiKey}`);
  const t = r.timing;
  return (
    `[${r.timestamp}] DEBUG Completed request:{"isForwarded":${r.isForwarded === true},"requestHeader":{"requestApiKey":${r.apiKey},` +
    `"requestApiVersion":${r.apiVersion},"correlationId":${r.correlationId},"clientId":${r.clientId === null ? 'null' : jsonString(r.clientId)},` +
    `"requestApiKeyName":"${names.enumName}"},"request":${r.request},"response":${r.response},"connection":"${r.connection}",` +
    `"totalTimeMs":${javaMillis(totalUs(t))},"requestQueueTimeMs":${javaMillis(t.requestQueueUs)},"localTimeMs":${javaMillis(t.localUs)},` +
    `"remoteTimeMs":${javaMillis(t.remoteUs)},"throttleTimeMs":${t.throttleMs},"responseQueueTimeMs":${javaMillis(t.responseQueueUs)},` +
    `"sendTimeMs":${javaMillis(t.sendUs)},"securityProtocol":"${r.securityProtocol}","principal":${jsonString(r.principal)},` +
    `"listener":"${r.listener}","clientInformation":${r.clientInformation}` +
    (r.temporaryMemoryBytes !== undefined && r.temporaryMemoryBytes > 0 ? `,"temporaryMemoryBytes":${r.temporaryMemoryBytes}` : '') +
    `} (kafka.request.logger)`
  );
}

/** StandardAuthorizerData.logAuditMessage (3.3 – 4.1 rendering). */
export function authorizerLine(a: {
  timestamp: string;
  principal: string;
  allowed: boolean;
  operation: string;
  host: string;
  resourceType: 'Topic' | 'Group' | 'TransactionalId' | 'Cluster';
  resourceName: string;
  /** 58 (Envelope) is named here too. */
  apiKey: number;
  refCount: number;
  rule: string;
}): string {
  const api = API_NAMES[a.apiKey]?.name ?? 'Unknown';
  return (
    `[${a.timestamp}] ${a.allowed ? 'DEBUG' : 'INFO'} Principal = ${a.principal} is ${a.allowed ? 'Allowed' : 'Denied'} ` +
    `operation = ${a.operation} from host = ${a.host} on resource = ${a.resourceType}:LITERAL:${a.resourceName} ` +
    `for request = ${api} with resourceRefCount = ${a.refCount} based on rule ${a.rule} (kafka.authorizer.logger)`
  );
}

/** Selector.pollSelectionKeys on an AuthenticationException (3.2+ form with channelId). */
export function authFailureLine(timestamp: string, nodeId: number, peerHost: string, channelId: string, mechanism: string): string {
  // PlainSaslServer throws its own message; SaslServerAuthenticator's names the mechanism.
  const message = mechanism === 'PLAIN' ? 'Authentication failed: Invalid username or password' : `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
  return (
    `[${timestamp}] INFO [SocketServer listenerType=BROKER, nodeId=${nodeId}] Failed authentication with /${peerHost} ` +
    `(channelId=${channelId}) (${message}) ` +
    `(org.apache.kafka.common.network.Selector)`
  );
}

// ---------------------------------------------------------------------------------------------
// Request and response bodies. Field order is the message spec's; tagged fields are left at their
// defaults and so omitted, as the converters do.

/** ApiVersions v0 (SaslClientAuthenticator) has no fields; v3+ names the client software (KIP-511). */
export function apiVersionsRequest(version: number, softwareName: string, softwareVersion: string): string {
  return version >= 3 ? `{"clientSoftwareName":${jsonString(softwareName)},"clientSoftwareVersion":${jsonString(softwareVersion)}}` : '{}';
}

// The APIs a 4.1 broker advertises on a client listener. Representative, not verbatim: the real
// list depends on broker config (see the reference, sample #1).
const API_RANGES: [number, number, number][] = [
  [0, 3, 13], [1, 4, 18], [2, 1, 10], [3, 0, 13], [8, 2, 9], [9, 1, 9], [10, 0, 6], [11, 2, 9], [12, 0, 4],
  [13, 0, 5], [14, 0, 5], [15, 0, 6], [16, 0, 5], [17, 0, 1], [18, 0, 4], [19, 2, 7], [20, 1, 6], [21, 0, 2],
  [22, 0, 5], [23, 2, 4], [24, 0, 5], [25, 0, 4], [26, 0, 5], [27, 0, 1], [28, 0, 4], [29, 1, 3], [30, 1, 3],
  [31, 1, 3], [32, 1, 4], [33, 0, 2], [34, 1, 2], [35, 1, 4], [36, 0, 2], [37, 0, 3], [38, 1, 3], [39, 1, 2],
  [40, 1, 2], [41, 1, 3], [42, 0, 2], [43, 0, 2], [44, 0, 1], [45, 0, 0], [46, 0, 0], [47, 0, 0], [48, 0, 1],
  [49, 0, 1], [50, 0, 0], [51, 0, 0], [55, 0, 2], [57, 0, 2], [60, 0, 1], [61, 0, 0], [64, 0, 0], [65, 0, 0],
  [66, 0, 1], [68, 0, 0], [69, 0, 0], [71, 0, 0], [72, 0, 0], [74, 0, 0], [75, 0, 0],
];
const API_KEYS_JSON = '[' + API_RANGES.map(([k, lo, hi]) => `{"apiKey":${k},"minVersion":${lo},"maxVersion":${hi}}`).join(',') + ']';

export function apiVersionsResponse(version: number, featuresEpoch: number): string {
  if (version < 3) return `{"errorCode":0,"apiKeys":${API_KEYS_JSON}}`;
  return (
    `{"errorCode":0,"apiKeys":${API_KEYS_JSON},"throttleTimeMs":0,` +
    `"supportedFeatures":[{"name":"kraft.version","minVersion":0,"maxVersion":1},{"name":"metadata.version","minVersion":7,"maxVersion":27}],` +
    `"finalizedFeaturesEpoch":${featuresEpoch},` +
    `"finalizedFeatures":[{"name":"kraft.version","maxVersionLevel":1,"minVersionLevel":1},{"name":"metadata.version","maxVersionLevel":27,"minVersionLevel":27}]}`
  );
}

/** Metadata by name (clients) or by id (the proxy's topic-name lookup, which sets no name). */
export function metadataRequest(topics: { name: string | null; id: string }[], allowAutoTopicCreation: boolean): string {
  const t = topics.map((x) => `{"topicId":"${x.id}","name":${x.name === null ? 'null' : jsonString(x.name)}}`).join(',');
  return `{"topics":[${t}],"allowAutoTopicCreation":${allowAutoTopicCreation},"includeTopicAuthorizedOperations":false}`;
}

const metadataCache = new Map<string, string>();

/**
 * Metadata response; a denied topic hides its existence (errorCode 29, zero id, no partitions).
 * Responses repeat, so they are cached by their inputs.
 */
export function metadataResponse(profile: KafkaProfile, cluster: ClusterShape, topics: { topic: Topic; denied: boolean }[], leaderEpoch: number): string {
  const key = `${profile.kafka}|${leaderEpoch}|` + topics.map((t) => (t.denied ? '!' : '') + t.topic.name).join(',');
  const cached = metadataCache.get(key);
  if (cached !== undefined) return cached;
  const brokers = cluster.brokers.map((b) => `{"nodeId":${b.nodeId},"host":"${b.host}","port":${b.port},"rack":null}`).join(',');
  const n = cluster.brokers.length;
  const body = topics
    .map(({ topic, denied }) => {
      if (denied) {
        return `{"errorCode":29,"name":${jsonString(topic.name)},"topicId":"${ZERO_UUID}","isInternal":false,"partitions":[],"topicAuthorizedOperations":-2147483648}`;
      }
      const parts: string[] = [];
      for (let p = 0; p < topic.partitions; p++) {
        const replicas: number[] = [];
        for (let r = 0; r < Math.min(3, n); r++) replicas.push(cluster.brokers[(p + r) % n]?.nodeId ?? 0);
        const list = replicas.join(',');
        parts.push(
          `{"errorCode":0,"partitionIndex":${p},"leaderId":${replicas[0]},"leaderEpoch":${leaderEpoch},"replicaNodes":[${list}],"isrNodes":[${list}],"offlineReplicas":[]}`,
        );
      }
      return `{"errorCode":0,"name":${jsonString(topic.name)},"topicId":"${topic.id}","isInternal":false,"partitions":[${parts.join(',')}],"topicAuthorizedOperations":-2147483648}`;
    })
    .join(',');
  const tail = profile.versions.metadata >= 13 ? ',"errorCode":0' : '';
  const json = `{"throttleTimeMs":0,"brokers":[${brokers}],"clusterId":"${cluster.clusterId}","controllerId":${cluster.controllerId},"topics":[${body}]${tail}}`;
  if (metadataCache.size > 1024) metadataCache.clear();
  metadataCache.set(key, json);
  return json;
}

export interface ProducePartition {
  topic: Topic;
  partition: number;
  recordsSize: number;
  errorCode: number;
  baseOffset: number;
}

function topicRef(profile: KafkaProfile, topic: Topic): string {
  return profile.produceByTopicId ? `"topicId":"${topic.id}"` : `"name":${jsonString(topic.name)}`;
}

function groupByTopic<T extends { topic: Topic }>(items: T[]): [Topic, T[]][] {
  const out = new Map<Topic, T[]>();
  for (const item of items) {
    const list = out.get(item.topic);
    if (list === undefined) out.set(item.topic, [item]);
    else list.push(item);
  }
  return [...out];
}

export function produceRequest(profile: KafkaProfile, transactionalId: string | null, acks: number, parts: ProducePartition[]): string {
  const data = groupByTopic(parts)
    .map(([topic, ps]) => `{${topicRef(profile, topic)},"partitionData":[${ps.map((p) => `{"index":${p.partition},"recordsSizeInBytes":${p.recordsSize}}`).join(',')}]}`)
    .join(',');
  return `{"transactionalId":${transactionalId === null ? 'null' : jsonString(transactionalId)},"acks":${acks},"timeoutMs":30000,"topicData":[${data}]}`;
}

export function produceResponse(profile: KafkaProfile, parts: ProducePartition[]): string {
  const responses = groupByTopic(parts)
    .map(([topic, ps]) => {
      const pr = ps
        .map((p) =>
          p.errorCode === 0
            ? `{"index":${p.partition},"errorCode":0,"baseOffset":${p.baseOffset},"logAppendTimeMs":-1,"logStartOffset":0,"recordErrors":[],"errorMessage":null}`
            : `{"index":${p.partition},"errorCode":${p.errorCode},"baseOffset":-1,"logAppendTimeMs":-1,"logStartOffset":-1,"recordErrors":[],"errorMessage":null}`,
        )
        .join(',');
      return `{${topicRef(profile, topic)},"partitionResponses":[${pr}]}`;
    })
    .join(',');
  return `{"responses":[${responses}],"throttleTimeMs":0}`;
}

export interface FetchPartition {
  topic: Topic;
  partition: number;
  leaderEpoch: number;
  fetchOffset: number;
  highWatermark: number;
  recordsSize: number;
}

export function fetchRequest(sessionId: number, sessionEpoch: number, parts: FetchPartition[]): string {
  const topics = groupByTopic(parts)
    .map(
      ([topic, ps]) =>
        `{"topicId":"${topic.id}","partitions":[${ps
          .map((p) => `{"partition":${p.partition},"currentLeaderEpoch":${p.leaderEpoch},"fetchOffset":${p.fetchOffset},"lastFetchedEpoch":-1,"logStartOffset":-1,"partitionMaxBytes":1048576}`)
          .join(',')}]}`,
    )
    .join(',');
  return `{"maxWaitMs":500,"minBytes":1,"maxBytes":52428800,"isolationLevel":0,"sessionId":${sessionId},"sessionEpoch":${sessionEpoch},"topics":[${topics}],"forgottenTopicsData":[],"rackId":""}`;
}

export function fetchResponse(sessionId: number, parts: FetchPartition[]): string {
  const responses = groupByTopic(parts)
    .map(
      ([topic, ps]) =>
        `{"topicId":"${topic.id}","partitions":[${ps
          .map(
            (p) =>
              `{"partitionIndex":${p.partition},"errorCode":0,"highWatermark":${p.highWatermark},"lastStableOffset":${p.highWatermark},"logStartOffset":0,"abortedTransactions":null,"preferredReadReplica":-1,"recordsSizeInBytes":${p.recordsSize}}`,
          )
          .join(',')}]}`,
    )
    .join(',');
  return `{"throttleTimeMs":0,"errorCode":0,"sessionId":${sessionId},"responses":[${responses}]}`;
}

export interface CommitPartition {
  topic: Topic;
  partition: number;
  offset: number;
  leaderEpoch: number;
}

export function offsetCommitRequest(groupId: string, generation: number, memberId: string, parts: CommitPartition[]): string {
  const topics = groupByTopic(parts)
    .map(
      ([topic, ps]) =>
        `{"name":${jsonString(topic.name)},"partitions":[${ps
          .map((p) => `{"partitionIndex":${p.partition},"committedOffset":${p.offset},"committedLeaderEpoch":${p.leaderEpoch},"committedMetadata":""}`)
          .join(',')}]}`,
    )
    .join(',');
  return `{"groupId":${jsonString(groupId)},"generationIdOrMemberEpoch":${generation},"memberId":${jsonString(memberId)},"groupInstanceId":null,"topics":[${topics}]}`;
}

export function offsetCommitResponse(parts: CommitPartition[], errorCode: number): string {
  const topics = groupByTopic(parts)
    .map(([topic, ps]) => `{"name":${jsonString(topic.name)},"partitions":[${ps.map((p) => `{"partitionIndex":${p.partition},"errorCode":${errorCode}}`).join(',')}]}`)
    .join(',');
  return `{"throttleTimeMs":0,"topics":[${topics}]}`;
}

const CREATED_TOPIC_CONFIGS =
  '[{"name":"cleanup.policy","value":"delete","readOnly":false,"configSource":5,"isSensitive":false},' +
  '{"name":"compression.type","value":"producer","readOnly":false,"configSource":5,"isSensitive":false},' +
  '{"name":"min.insync.replicas","value":"2","readOnly":false,"configSource":4,"isSensitive":false},' +
  '{"name":"retention.bytes","value":"-1","readOnly":false,"configSource":5,"isSensitive":false},' +
  '{"name":"retention.ms","value":"604800000","readOnly":false,"configSource":1,"isSensitive":false},' +
  '{"name":"segment.bytes","value":"1073741824","readOnly":false,"configSource":5,"isSensitive":false}]';

export function createTopicsRequest(name: string, partitions: number, timeoutMs: number): string {
  return (
    `{"topics":[{"name":${jsonString(name)},"numPartitions":${partitions},"replicationFactor":3,"assignments":[],` +
    `"configs":[{"name":"retention.ms","value":"604800000"}]}],"timeoutMs":${timeoutMs},"validateOnly":false}`
  );
}

export function createTopicsResponse(name: string, topicId: string, partitions: number): string {
  return (
    `{"throttleTimeMs":0,"topics":[{"name":${jsonString(name)},"topicId":"${topicId}","errorCode":0,"errorMessage":null,` +
    `"numPartitions":${partitions},"replicationFactor":3,"configs":${CREATED_TOPIC_CONFIGS}}]}`
  );
}

export function initProducerIdRequest(transactionalId: string): string {
  return `{"transactionalId":${jsonString(transactionalId)},"transactionTimeoutMs":60000,"producerId":-1,"producerEpoch":-1}`;
}

export function initProducerIdResponse(producerId: number, epoch: number): string {
  return `{"throttleTimeMs":0,"errorCode":0,"producerId":${producerId},"producerEpoch":${epoch}}`;
}

/** A Kafka Uuid in its 22-character URL-safe base64 form, from 128 random bits. */
export function kafkaUuid(words: [number, number, number, number]): string {
  const buf = Buffer.alloc(16);
  words.forEach((w, i) => buf.writeUInt32BE(w >>> 0, i * 4));
  return buf.toString('base64url');
}
