import { describe, expect, it } from 'vitest';
import { orderRotatedFiles } from './file-order.js';

describe('orderRotatedFiles', () => {
  it.each([
    ['puts Kafka hourly files in hour order before the active file', ['/l/kafka-request.log', '/l/kafka-request.log.2026-11-22-10', '/l/kafka-request.log.2026-11-22-09'], ['/l/kafka-request.log.2026-11-22-09', '/l/kafka-request.log.2026-11-22-10', '/l/kafka-request.log']],
    ['puts logrotate numbered copies oldest (highest) first', ['/l/audit.log', '/l/audit.log.1', '/l/audit.log.3', '/l/audit.log.2'], ['/l/audit.log.3', '/l/audit.log.2', '/l/audit.log.1', '/l/audit.log']],
    ['puts kubelet rotated container logs in time order before 0.log', ['/p/0.log', '/p/0.log.20261122-101500', '/p/0.log.20261122-091500'], ['/p/0.log.20261122-091500', '/p/0.log.20261122-101500', '/p/0.log']],
    ['drops duplicate paths', ['/l/a.log', '/l/a.log'], ['/l/a.log']],
  ])('%s', (_name, input, expected) => {
    expect(orderRotatedFiles(input)).toEqual(expected);
  });
});
