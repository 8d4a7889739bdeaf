import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../src/records/record.js';
import { jsonLines, runCli } from './helpers/cli.js';

describe('ktrail demo', () => {
  it('replays the bundled logs with no flags, printing records and a summary of joins and gaps', async () => {
    const r = await runCli(['demo']);
    expect(r.code, r.stderr).toBe(0);
    const records = jsonLines<AuditRecord>(r.stdout);
    const kinds = new Set(records.map((x) => x.kind));
    for (const k of ['request', 'gap', 'authentication', 'connection'] as const) expect(kinds.has(k)).toBe(true);
    const gapKinds = new Set(records.filter((x) => x.kind === 'gap').map((x) => x.reason));
    expect([...gapKinds].sort()).toEqual(['broker-only', 'bypass', 'orphan-session', 'proxy-only']);
    expect(r.stderr).toContain('ktrail summary');
    expect(r.stderr).toMatch(/joined\s+\d+ \(exact \d+/);
    expect(r.stderr.split('\n').length).toBeLessThan(40); // one screen
  });
});
