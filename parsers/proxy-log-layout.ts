// Peels the application-logging wrapper off one Kroxylicious audit line, so the audit parser
// sees the bare `KROXYLICIOUS_JSON_V1` object (or a P3 typed event).
//
// Layouts (Kroxylicious `kroxylicious-app/src/main/resources/log4j2.yaml`, v0.21+; see
// ../docs/upstream/kroxylicious-audit-events.md §A5 and §B5):
//   bare      `{…}`: a dedicated appender with `PatternLayout "%m%n"`, or the proposal's JSON lines.
//   logstash  `{"@timestamp":…,"logger_name":"audit.Write","message":"{…}","mdc":{…}}`:
//             `JsonTemplateLayout` with `LogstashJsonEventLayoutV1.json` (`KROXYLICIOUS_LOG_FORMAT=json`).
//             log4j2's older `JsonLayout` (`loggerName`) and other templates (`logger`) are accepted too.
//   log4j2    `%d{yyyy-MM-dd HH:mm:ss} %-5p <%t> %c{2.} - %m%replace{ %mdc}{' $'}{}%n`, e.g.
//             `2026-08-21 09:15:02 INFO  <thread-1> au.Write - {…} {k=v}`: the JSON object that
//             starts at the first ` - {`. `%c{2.}` abbreviates `audit.Write` to `au.Write`.
//
// Not audit (skipped, counted, not errors): Logstash objects whose logger is not `audit.*`, text
// lines whose logger is not an (abbreviated) `audit.*` logger, and text lines with no JSON message
// (banners, stack traces). A Logstash/JSON-layout line carries the whole event as an escaped string,
// so client-chosen text inside it can never end the line early.

/** What the wrapper held: the event JSON, or why the line is not an audit event. */
export type UnwrapResult =
  | {
      json: string;
      wrapper: 'bare' | 'logstash' | 'log4j2';
      /** The already parsed event object, when unwrapping had to parse it anyway (saves a parse). */
      parsed?: Record<string, unknown>;
    }
  | { skip: UnwrapSkipReason }
  | { reject: UnwrapRejectReason };

/** `empty`: blank line. `no_json`: a text line without a JSON message. `not_audit_logger`: another logger. */
export type UnwrapSkipReason = 'empty' | 'no_json' | 'not_audit_logger';
/** `bad_json`: a JSON object that does not parse (cut off). `not_an_object`: JSON, but not an object. */
export type UnwrapRejectReason = 'bad_json' | 'not_an_object' | 'bad_field_type';

const LOGGER_KEYS = ['logger_name', 'loggerName', 'logger'] as const;

// `yyyy-MM-dd HH:mm:ss ` (with optional `,SSS`/`.SSS` for site-specific patterns).
const LOG4J2_PREFIX = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\s/;
// `audit.Write` as printed by `%c`, `%c{2.}` (`au.Write`) or `%c{1.}` (`a.Write`).
const AUDIT_LOGGER_TEXT = /^a(?:u(?:d(?:i(?:t)?)?)?)?\.[A-Za-z_]/;

export function unwrapProxyLine(line: string): UnwrapResult {
  let start = 0;
  let end = line.length;
  if (line.charCodeAt(0) === 0xfeff) start = 1; // a BOM at the start of a file
  while (end > start && isSpace(line.charCodeAt(end - 1))) end--; // trailing `\r`, `\n`, blanks
  while (start < end && isSpace(line.charCodeAt(start))) start++;
  if (start === end) return { skip: 'empty' };
  const text = start === 0 && end === line.length ? line : line.slice(start, end);

  const first = text.charCodeAt(0);
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) return unwrapJson(text);
  if (LOG4J2_PREFIX.test(text)) return unwrapLog4j2Text(text);
  return { skip: 'no_json' };
}

function unwrapJson(text: string): UnwrapResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reject: 'bad_json' };
  }
  if (!isObject(value)) return { reject: 'not_an_object' };
  if (!isLogstash(value)) return { json: text, wrapper: 'bare', parsed: value };

  const logger = loggerOf(value);
  if (logger !== undefined && !(logger === 'audit' || logger.startsWith('audit.'))) {
    return { skip: 'not_audit_logger' };
  }
  const message = value['message'];
  if (isObject(message)) {
    // A template that embeds the message as JSON (`"$resolver":"message"` with `stringified:false`).
    return { json: JSON.stringify(message), wrapper: 'logstash', parsed: message };
  }
  if (typeof message !== 'string') return { reject: 'bad_field_type' };
  const inner = message.trim();
  if (inner.charCodeAt(0) !== 0x7b) return { skip: 'no_json' };
  return { json: inner, wrapper: 'logstash' };
}

/** A JSON layout event, as opposed to an audit event: it has a `message` and a layout marker. */
function isLogstash(obj: Record<string, unknown>): boolean {
  if (!('message' in obj)) return false;
  return '@timestamp' in obj || loggerOf(obj) !== undefined;
}

function loggerOf(obj: Record<string, unknown>): string | undefined {
  for (const key of LOGGER_KEYS) {
    const v = obj[key];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

function unwrapLog4j2Text(text: string): UnwrapResult {
  const sep = text.indexOf(' - {');
  if (sep < 0) return { skip: 'no_json' };
  // The logger is the last blank-separated token before ` - `; the thread name is in `<…>` before it.
  const before = text.slice(0, sep);
  const logger = before.slice(before.lastIndexOf(' ') + 1);
  if (!AUDIT_LOGGER_TEXT.test(logger)) return { skip: 'not_audit_logger' };
  const jsonStart = sep + 3;
  const jsonEnd = endOfJsonObject(text, jsonStart);
  if (jsonEnd < 0) return { reject: 'bad_json' };
  // Whatever follows the object is the ` {k=v, …}` MDC suffix of `%replace{ %mdc}`: not ours.
  return { json: text.slice(jsonStart, jsonEnd), wrapper: 'log4j2' };
}

/**
 * Index just past the JSON object that starts at `from` (which holds `{`), or -1 if it never
 * closes. Braces inside strings (client-chosen text) do not count; `\"` does not end a string.
 */
export function endOfJsonObject(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
