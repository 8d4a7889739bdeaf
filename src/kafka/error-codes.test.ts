import { describe, expect, it } from 'vitest';
import { errorCodeByName, errorName } from './error-codes.js';

describe('error codes', () => {
  it.each([
    [0, 'NONE'],
    [-1, 'UNKNOWN_SERVER_ERROR'],
    [1, 'OFFSET_OUT_OF_RANGE'],
    [6, 'NOT_LEADER_OR_FOLLOWER'],
    [29, 'TOPIC_AUTHORIZATION_FAILED'],
    [30, 'GROUP_AUTHORIZATION_FAILED'],
    [31, 'CLUSTER_AUTHORIZATION_FAILED'],
    [34, 'ILLEGAL_SASL_STATE'],
    [53, 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'],
    [58, 'SASL_AUTHENTICATION_FAILED'],
    [65, 'DELEGATION_TOKEN_AUTHORIZATION_FAILED'],
    [89, 'THROTTLING_QUOTA_EXCEEDED'],
    [100, 'UNKNOWN_TOPIC_ID'],
    [133, 'SHARE_SESSION_LIMIT_REACHED'],
  ])('names code %i %s and finds it back', (code, name) => {
    expect(errorName(code)).toBe(name);
    expect(errorCodeByName(name)).toBe(code);
  });

  it('has a distinct name for every code from -1 to 133', () => {
    const names = new Set<string>();
    for (let code = -1; code <= 133; code++) {
      const name = errorName(code);
      expect(name).not.toMatch(/^UNKNOWN_ERROR_/);
      names.add(name);
    }
    expect(names.size).toBe(135);
  });

  it('names unknown codes UNKNOWN_ERROR_<code>', () => {
    expect(errorName(134)).toBe('UNKNOWN_ERROR_134');
    expect(errorName(-2)).toBe('UNKNOWN_ERROR_-2');
  });

  it('returns undefined for an unknown name', () => {
    expect(errorCodeByName('NOT_A_KAFKA_ERROR')).toBeUndefined();
  });
});
