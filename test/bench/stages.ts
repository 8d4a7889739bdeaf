// Where a replay's time goes, stage by stage (#16 asks for it when the targets are not met): the
// CPU profile of one `replay_to_file` run (`node --cpu-prof`), its self time summed per pipeline
// stage by the script each sample was in. V8 charges a builtin (JSON.parse, JSON.stringify,
// String.prototype.indexOf) to the function that called it, so "proxy parse" includes the
// JSON.parse of proxy lines and "chain & serialization" the JSON.stringify of each record.

import { readFileSync } from 'node:fs';

export const STAGES = [
  'read & split lines',
  'proxy parse',
  'request-log parse',
  'other parsers',
  'pipeline (batches, counters)',
  'join & window',
  'record building',
  'chain & serialization',
  'sink & write',
  'state (SQLite)',
  'report tally',
  'garbage collection',
  'naive loop (JSON.parse + JSON.stringify)',
  'startup (modules, config schema)',
  'other',
] as const;
export type Stage = (typeof STAGES)[number];

/** A profile node's call frame, as V8 writes it. */
export interface CallFrame {
  url: string;
  functionName: string;
}

// First match wins: specific modules before their folders.
const BY_PATH: Array<[RegExp, Stage]> = [
  [/\/src\/sources\/|^node:internal\/fs\/|^node:fs$|^node:buffer$|^node:internal\/buffer$|^node:string_decoder$/, 'read & split lines'],
  [/\/parsers\/(kroxylicious-audit|kroxylicious-log)\/|\/parsers\/proxy-log-layout\./, 'proxy parse'],
  [/\/parsers\/kafka-request-log\//, 'request-log parse'],
  [/\/parsers\//, 'other parsers'],
  [/\/src\/window\/records\.|\/src\/records\/(record|id|actor)\./, 'record building'],
  [/\/src\/window\/tally\.|\/src\/report\//, 'report tally'],
  [/\/src\/window\/store\.|\/better-sqlite3\//, 'state (SQLite)'],
  [/\/src\/window\/|\/src\/pipeline\/diagnose\./, 'join & window'],
  [/\/src\/records\/|^node:internal\/crypto\//, 'chain & serialization'],
  [/\/src\/sinks\/|^node:internal\/streams\/|^node:internal\/fs\/streams|^node:net$|^node:stream$/, 'sink & write'],
  [/\/src\/pipeline\//, 'pipeline (batches, counters)'],
  [/\/test\/bench\/child\./, 'naive loop (JSON.parse + JSON.stringify)'],
  [/^node:internal\/(modules|bootstrap)\/|\/node_modules\/(ajv|commander|yaml)\//, 'startup (modules, config schema)'],
];

// Native frames without a script, by V8's name for them.
const BY_NATIVE: Record<string, Stage> = {
  '(garbage collector)': 'garbage collection',
  read: 'read & split lines',
  readSync: 'read & split lines',
  utf8Slice: 'read & split lines',
  latin1Slice: 'read & split lines',
  writeBuffer: 'sink & write',
  writeString: 'sink & write',
  writeUtf8String: 'sink & write',
  hash: 'chain & serialization',
  digest: 'chain & serialization',
};

/** The stage a frame's self time belongs to; null for idle time (not work). */
export function stageOf(frame: CallFrame): Stage | null {
  if (frame.functionName === '(idle)') return null;
  if (!frame.url) return BY_NATIVE[frame.functionName] ?? 'other';
  for (const [re, stage] of BY_PATH) if (re.test(frame.url)) return stage;
  return 'other';
}

interface Profile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  timeDeltas: number[];
}

/** Seconds of self time per stage in a `.cpuprofile` (main thread), and their total. */
export function stageSeconds(profilePath: string): { total: number; byStage: Map<Stage, number> } {
  const p = JSON.parse(readFileSync(profilePath, 'utf8')) as Profile;
  const stageById = new Map(p.nodes.map((n) => [n.id, stageOf(n.callFrame)]));
  const byStage = new Map<Stage, number>(STAGES.map((s) => [s, 0]));
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const stage = stageById.get(p.samples[i] as number);
    if (!stage) continue;
    // timeDeltas[i] is the time since the previous sample: charged to this one, as DevTools does.
    const s = (p.timeDeltas[i] ?? 0) / 1e6;
    byStage.set(stage, (byStage.get(stage) ?? 0) + s);
    total += s;
  }
  return { total, byStage };
}
