import { describe, expect, it } from 'vitest';
import { apiKeyId, apiKeyMessageName, apiKeyName, normalizeApiName, pascalToUpperSnake } from './api-keys.js';

describe('api keys', () => {
  const known: Array<[number, string, string]> = [
    [0, 'PRODUCE', 'Produce'],
    [1, 'FETCH', 'Fetch'],
    [3, 'METADATA', 'Metadata'],
    [8, 'OFFSET_COMMIT', 'OffsetCommit'],
    [17, 'SASL_HANDSHAKE', 'SaslHandshake'],
    [18, 'API_VERSIONS', 'ApiVersions'],
    [22, 'INIT_PRODUCER_ID', 'InitProducerId'],
    [23, 'OFFSET_FOR_LEADER_EPOCH', 'OffsetForLeaderEpoch'],
    [36, 'SASL_AUTHENTICATE', 'SaslAuthenticate'],
    [51, 'ALTER_USER_SCRAM_CREDENTIALS', 'AlterUserScramCredentials'],
    [56, 'ALTER_PARTITION', 'AlterPartition'],
    [68, 'CONSUMER_GROUP_HEARTBEAT', 'ConsumerGroupHeartbeat'],
    [74, 'LIST_CONFIG_RESOURCES', 'ListConfigResources'],
    [75, 'DESCRIBE_TOPIC_PARTITIONS', 'DescribeTopicPartitions'],
    [78, 'SHARE_FETCH', 'ShareFetch'],
    [88, 'STREAMS_GROUP_HEARTBEAT', 'StreamsGroupHeartbeat'],
    [92, 'DELETE_SHARE_GROUP_OFFSETS', 'DeleteShareGroupOffsets'],
  ];
  it.each(known)('maps %i to %s / %s both ways', (id, snake, pascal) => {
    expect(apiKeyName(id)).toBe(snake);
    expect(apiKeyMessageName(id)).toBe(pascal);
    expect(apiKeyId(snake)).toBe(id);
    expect(apiKeyId(pascal)).toBe(id);
  });

  it('covers every id from 0 to 92 with names that convert into each other', () => {
    for (let id = 0; id <= 92; id++) {
      expect(apiKeyName(id)).not.toMatch(/^UNKNOWN_/);
      expect(pascalToUpperSnake(apiKeyMessageName(id))).toBe(apiKeyName(id));
    }
  });

  it('names unknown ids UNKNOWN_<id> without throwing', () => {
    expect(apiKeyName(93)).toBe('UNKNOWN_93');
    expect(apiKeyName(-1)).toBe('UNKNOWN_-1');
    expect(apiKeyMessageName(1000)).toBe('Unknown1000');
  });

  it('knows the pre-rename names older brokers log', () => {
    expect(apiKeyId('AlterIsr')).toBe(56);
    expect(apiKeyId('ALTER_ISR')).toBe(56);
    expect(apiKeyId('ListClientMetricsResources')).toBe(74);
  });

  it('returns undefined for names Kafka never used', () => {
    expect(apiKeyId('Produce ')).toBeUndefined();
    expect(apiKeyId('produce')).toBeUndefined();
  });
});

describe('pascalToUpperSnake', () => {
  it.each([
    ['OffsetCommit', 'OFFSET_COMMIT'],
    ['ClusterAction', 'CLUSTER_ACTION'],
    ['IdempotentWrite', 'IDEMPOTENT_WRITE'],
    ['Read', 'READ'],
    ['READ', 'READ'],
    ['CLUSTER_ACTION', 'CLUSTER_ACTION'],
    ['SCRAMCredential', 'SCRAM_CREDENTIAL'],
    ['Sha256Hash', 'SHA256_HASH'],
    ['', ''],
  ])('converts %j to %j', (input, expected) => {
    expect(pascalToUpperSnake(input)).toBe(expected);
  });
});

describe('normalizeApiName', () => {
  it('maps both spellings and old names to the current enum name', () => {
    expect(normalizeApiName('OffsetCommit')).toBe('OFFSET_COMMIT');
    expect(normalizeApiName('OFFSET_COMMIT')).toBe('OFFSET_COMMIT');
    expect(normalizeApiName('AlterIsr')).toBe('ALTER_PARTITION');
  });
  it('converts an api newer than the table mechanically', () => {
    expect(normalizeApiName('FutureThing')).toBe('FUTURE_THING');
  });
});
