// An ECS document checked against Elastic's own field catalogue: `EcsFlat` of the `@elastic/ecs`
// package (ecs_flat.yml of the ECS release the package is named after), not a hand-written list.
//
// Rules, all from the catalogue's entries:
//   - every leaf is an ECS field, or sits under a custom namespace (ktrail's: `kafka`) that is
//     neither an ECS field set nor a prefix of any ECS field (so it can never shadow one);
//   - the value fits the field's `type` (keyword family → string, long/integer → integer,
//     float family → number, ip → an IP literal, date → an ISO 8601 date, boolean, object);
//   - `normalize: [array]` fields are arrays, the others are not;
//   - values of fields with `allowed_values` are among them, and each `event.type` is one of
//     the `expected_event_types` of every `event.category` of the document;
//   - `@timestamp` and `ecs.version` are present (ECS's required fields).

import { isIP } from 'node:net';
import { EcsFlat, EcsVersion } from '@elastic/ecs';

export const ECS_CATALOGUE_VERSION: string = EcsVersion;

/** Namespaces ktrail fills with its own fields (docs/formats.md says why `kafka`). */
export const CUSTOM_NAMESPACES = ['kafka'] as const;

interface EcsField {
  type: string;
  normalize?: string[];
  allowed_values?: { name: string; expected_event_types?: string[] }[];
}

const catalogue = EcsFlat as unknown as Record<string, EcsField>;

// A custom namespace must not be ECS's: no ECS field is, or starts with, `<ns>.`.
for (const ns of CUSTOM_NAMESPACES) {
  const clash = Object.keys(catalogue).find((k) => k === ns || k.startsWith(`${ns}.`));
  if (clash) throw new Error(`custom namespace "${ns}" collides with the ECS ${EcsVersion} field ${clash}`);
}

/** Nested objects → dotted keys, the way ecs_flat names fields; arrays are leaves. */
export function flattenEcs(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v) && !(key in catalogue && catalogue[key]?.type === 'object')) flattenEcs(v as Record<string, unknown>, key, out);
    else out[key] = v;
  }
  return out;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function fitsType(type: string, v: unknown): boolean {
  switch (type) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'match_only_text':
    case 'text':
      return typeof v === 'string';
    case 'long':
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'float':
    case 'double':
    case 'scaled_float':
      return typeof v === 'number' && Number.isFinite(v);
    case 'ip':
      return typeof v === 'string' && isIP(v) !== 0;
    case 'date':
      return typeof v === 'string' && ISO_DATE.test(v) && !Number.isNaN(Date.parse(v));
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
    case 'flattened':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'nested':
      return Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object');
    default:
      return false; // geo_point and others ktrail never writes
  }
}

/** The violations of one ECS document (empty when it conforms). */
export function ecsViolations(doc: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const flat = flattenEcs(doc);
  for (const required of ['@timestamp', 'ecs.version']) if (!(required in flat)) errors.push(`${required}: missing (required by ECS)`);
  for (const [key, value] of Object.entries(flat)) {
    const ns = key.split('.')[0] as string;
    if ((CUSTOM_NAMESPACES as readonly string[]).includes(ns)) continue;
    const field = catalogue[key];
    if (!field) {
      errors.push(`${key}: not an ECS ${EcsVersion} field, nor under a custom namespace (${CUSTOM_NAMESPACES.join(', ')})`);
      continue;
    }
    if (value === null) {
      errors.push(`${key}: null (leave the field out instead)`);
      continue;
    }
    const isArrayField = field.normalize?.includes('array') ?? false;
    if (field.type !== 'nested' && Array.isArray(value) !== isArrayField) {
      errors.push(`${key}: ${isArrayField ? 'must be an array (normalize: array)' : 'must not be an array'}`);
      continue;
    }
    const values = field.type !== 'nested' && Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (!fitsType(field.type, v)) errors.push(`${key}: ${JSON.stringify(v).slice(0, 80)} is not of ECS type ${field.type}`);
      if (field.allowed_values && !field.allowed_values.some((a) => a.name === v)) {
        errors.push(`${key}: ${JSON.stringify(v)} is not an allowed value (${field.allowed_values.map((a) => a.name).join(', ')})`);
      }
    }
  }
  const categories = (flat['event.category'] ?? []) as string[];
  const types = (flat['event.type'] ?? []) as string[];
  const allowed = catalogue['event.category']?.allowed_values ?? [];
  for (const c of Array.isArray(categories) ? categories : []) {
    const expected = allowed.find((a) => a.name === c)?.expected_event_types;
    if (!expected) continue;
    for (const t of Array.isArray(types) ? types : []) {
      if (!expected.includes(t)) errors.push(`event.type ${t} is not an expected type of event.category ${c} (${expected.join(', ')})`);
    }
  }
  return errors;
}
