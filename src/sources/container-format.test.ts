import { describe, expect, it } from 'vitest';
import { ContainerLineAssembler, type AssembleResult, type ContainerFormat } from './container-format.js';

const TS = '2025-06-12T14:04:10.006123456Z';
const cri = (stream: string, tag: string, content: string) => `${TS} ${stream} ${tag} ${content}`;
const docker = (log: string, stream = 'stdout') => JSON.stringify({ log, stream, time: '2025-06-12T14:04:10.006123456Z' });
const kafka = '[2025-06-12 14:04:10,006] DEBUG Completed request:{"requestHeader":{"correlationId":5}} (kafka.request.logger)';
const proxy = '{"time":"2026-03-23T01:02:03Z","action":"Write","status":"denied"}';

/** Push physical lines with offsets as if each were followed by a newline, starting at 0. */
function feed(format: ContainerFormat, lines: string[], max = 1 << 20) {
  const a = new ContainerLineAssembler(format, max, 0);
  let off = 0;
  const out: AssembleResult[] = [];
  const committed: number[] = [];
  for (const l of lines) {
    off += Buffer.byteLength(l) + 1;
    out.push(a.push(l, off));
    committed.push(a.committedOffset);
  }
  return { a, out, committed, ends: lines.map((_, i) => lines.slice(0, i + 1).reduce((s, l) => s + Buffer.byteLength(l) + 1, 0)) };
}

describe('ContainerLineAssembler', () => {
  const cases: Array<{ name: string; format: ContainerFormat; lines: string[]; expect: Array<AssembleResult> }> = [
    { name: 'passes bare lines through unchanged with format none', format: 'none', lines: [kafka, cri('stdout', 'F', 'x')], expect: [{ line: kafka, endOffset: 0 }, { line: cri('stdout', 'F', 'x'), endOffset: 1 }] },
    { name: 'unwraps a full CRI line', format: 'cri', lines: [cri('stdout', 'F', kafka)], expect: [{ line: kafka, endOffset: 0 }] },
    { name: 'keeps spaces inside CRI content', format: 'cri', lines: [cri('stderr', 'F', '  a  b ')], expect: [{ line: '  a  b ', endOffset: 0 }] },
    { name: 'reads an empty CRI line with or without its trailing space', format: 'cri', lines: [`${TS} stdout F `, `${TS} stdout F`], expect: [{ line: '', endOffset: 0 }, { line: '', endOffset: 1 }] },
    { name: 'accepts extra CRI tags after the P or F tag', format: 'cri', lines: [cri('stdout', 'F:x', 'a')], expect: [{ line: 'a', endOffset: 0 }] },
    {
      name: 'joins CRI P pieces and the final F piece into one line that ends after the F piece',
      format: 'cri',
      lines: [cri('stdout', 'P', 'abc'), cri('stdout', 'P', 'def'), cri('stdout', 'F', 'ghi')],
      expect: [null, null, { line: 'abcdefghi', endOffset: 2 }],
    },
    {
      name: 'reassembles stdout and stderr pieces separately when they interleave',
      format: 'cri',
      lines: [cri('stdout', 'P', 'out1-'), cri('stderr', 'F', 'err'), cri('stdout', 'F', 'out2')],
      expect: [null, { line: 'err', endOffset: 1 }, { line: 'out1-out2', endOffset: 2 }],
    },
    { name: 'rejects a line that is not CRI in cri mode', format: 'cri', lines: [kafka, `${TS} stdin F x`, `${TS} stdout X x`], expect: [{ error: 'cri_bad_line' }, { error: 'cri_bad_line' }, { error: 'cri_bad_tag' }] },
    { name: 'unwraps a Docker json-file entry and drops its newline', format: 'docker', lines: [docker(`${kafka}\n`)], expect: [{ line: kafka, endOffset: 0 }] },
    { name: 'removes a carriage return before the newline of a Docker entry', format: 'docker', lines: [docker('a\r\n')], expect: [{ line: 'a', endOffset: 0 }] },
    {
      name: 'joins Docker entries split at 16 KiB until one ends with a newline',
      format: 'docker',
      lines: [docker('{"a":'), docker('"b\\"c"'), docker('}\n')],
      expect: [null, null, { line: '{"a":"b\\"c"}', endOffset: 2 }],
    },
    { name: 'rejects Docker lines that are not JSON or have no log string', format: 'docker', lines: ['{"log":"x', '{"stream":"stdout"}', '[1]'], expect: [{ error: 'docker_bad_json' }, { error: 'docker_bad_line' }, { error: 'docker_bad_line' }] },
    {
      name: 'detects the wrapper per line in auto mode and passes bare Kafka and proxy lines through',
      format: 'auto',
      lines: [kafka, proxy, cri('stdout', 'F', 'c'), docker('d\n'), '2025-06-12 not cri'],
      expect: [{ line: kafka, endOffset: 0 }, { line: proxy, endOffset: 1 }, { line: 'c', endOffset: 2 }, { line: 'd', endOffset: 3 }, { line: '2025-06-12 not cri', endOffset: 4 }],
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { out, ends } = feed(c.format, c.lines);
      // Table endOffsets are indices of the physical line the logical line ends with.
      const expected = c.expect.map((e) => (e && 'line' in e ? { line: e.line, endOffset: ends[e.endOffset] } : e));
      expect(out).toEqual(expected);
    });
  }

  it('never commits an offset inside an open P group', () => {
    const { committed, ends } = feed('cri', [cri('stdout', 'F', 'a'), cri('stdout', 'P', 'b'), cri('stdout', 'P', 'c'), cri('stdout', 'F', 'd')]);
    expect(committed).toEqual([ends[0], ends[0], ends[0], ends[3]]);
  });

  it('holds the commit at the oldest open group while another stream completes lines', () => {
    const { committed, ends } = feed('cri', [cri('stdout', 'P', 'a'), cri('stderr', 'F', 'e'), cri('stdout', 'F', 'b')]);
    expect(committed).toEqual([0, 0, ends[2]]);
  });

  it('resumes before the group when restarted at the committed offset', () => {
    const lines = [cri('stdout', 'F', 'x'), cri('stdout', 'P', 'ab'), cri('stdout', 'P', 'cd')];
    const { a, ends } = feed('cri', lines);
    const resume = a.committedOffset;
    expect(resume).toBe(ends[0]);
    const b = new ContainerLineAssembler('cri', 1 << 20, resume);
    let off = resume;
    const out: AssembleResult[] = [];
    for (const l of [...lines.slice(1), cri('stdout', 'F', 'ef')]) {
      off += Buffer.byteLength(l) + 1;
      out.push(b.push(l, off));
    }
    expect(out).toEqual([null, null, { line: 'abcdef', endOffset: off }]);
  });

  it('skips and counts a reassembled line over the cap, and continues with the next line', () => {
    const { a, out, committed, ends } = feed('cri', [cri('stdout', 'P', 'x'.repeat(60)), cri('stdout', 'P', 'x'.repeat(60)), cri('stdout', 'F', 'x'), cri('stdout', 'F', 'ok')], 100);
    expect(out).toEqual([null, null, null, { line: 'ok', endOffset: ends[3] }]);
    expect(a.oversize).toBe(1);
    expect(committed[2]).toBe(ends[2]);
  });

  it('skips and counts a single full line over the cap measured in UTF-8 bytes', () => {
    const { a, out } = feed('none', ['é'.repeat(60), 'e'.repeat(60)], 100);
    expect(out[0]).toBeNull();
    expect(out[1]).toEqual({ line: 'e'.repeat(60), endOffset: 182 });
    expect(a.oversize).toBe(1);
  });

  it('moves the commit past a physical line dropped by the splitter', () => {
    const a = new ContainerLineAssembler('cri', 100, 0);
    a.skip(500);
    expect(a.committedOffset).toBe(500);
  });

  it('keeps an open group when a junk line arrives in the middle of it', () => {
    const { out } = feed('cri', [cri('stdout', 'P', 'a'), '\u0000\u0001junk', cri('stdout', 'F', 'b')]);
    expect(out).toEqual([null, { error: 'cri_bad_line' }, expect.objectContaining({ line: 'ab' })]);
  });
});
