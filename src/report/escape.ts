// Escaping for the report page. Principals, client addresses, actions and resource names come from
// log lines a client may have chosen: in the page they are text, never markup, never script.

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an element's content or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML[c] as string);
}

const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

/**
 * Control characters, line breaks and bidi overrides shown as `\xNN` / `\uNNNN` (as `ktrail gaps`
 * does in a terminal), so a hostile value can neither hide nor reorder what is around it; long
 * values cut with `…`.
 */
export function visible(value: string | null, max = 200): string {
  if (value === null) return '(none)';
  if (value === '') return '(empty)';
  const shown = value.replace(INVISIBLE, (c) => {
    const cp = c.codePointAt(0) as number;
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
  });
  const chars = [...shown];
  return chars.length <= max ? shown : `${chars.slice(0, max - 1).join('')}…`;
}

/** `visible` then HTML-escaped: what a table cell holds. */
export function cell(value: string | null, max?: number): string {
  return escapeHtml(visible(value, max));
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` as \u escapes, so no value
 * can close the block (`</script>`) or open a comment (`<!--`); U+2028/2029 escaped as well.
 */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
