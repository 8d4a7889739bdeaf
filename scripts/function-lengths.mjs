// Lengths of function bodies in TypeScript files (declarations, methods, accessors, arrows with a
// block body): lines from the header's first line to the closing brace. Comments, strings and
// template literals are blanked first so their braces do not count. TypeScript 7 ships no JS
// compiler API, hence this small scanner. Used by test/architecture.test.ts.
// usage: node scripts/function-lengths.mjs file.ts... [--top N] [--json]
import { readFileSync } from 'node:fs';
const args = process.argv.slice(2);
const jsonI = args.indexOf('--json');
const asJson = jsonI >= 0;
if (asJson) args.splice(jsonI, 1);
const topI = args.indexOf('--top');
const top = topI >= 0 ? Number(args.splice(topI, 2)[1]) : 10;
const KW = new Set(['if', 'for', 'while', 'switch', 'catch', 'with', 'return', 'typeof']);
const rows = [];
for (const file of args) {
  const src = readFileSync(file, 'utf8');
  let s = '';
  for (let i = 0; i < src.length; i++) {
    const c = src[i], n = src[i + 1];
    if (c === '/' && n === '/') { while (i < src.length && src[i] !== '\n') { s += ' '; i++; } s += '\n'; continue; }
    if (c === '/' && n === '*') { while (i < src.length && !(src[i] === '*' && src[i + 1] === '/')) { s += src[i] === '\n' ? '\n' : ' '; i++; } s += '  '; i++; continue; }
    if (c === "'" || c === '"' || c === '`') {
      s += ' '; i++;
      while (i < src.length && src[i] !== c) { if (src[i] === '\\') { s += ' '; i++; } s += src[i] === '\n' ? '\n' : ' '; i++; }
      s += ' '; continue;
    }
    s += c;
  }
  const lineAt = (i) => { let l = 1; for (let k = 0; k < i; k++) if (s[k] === '\n') l++; return l; };
  const match = (i, open, close, dir) => { let d = 0; for (let k = i; k >= 0 && k < s.length; k += dir) { if (s[k] === open) d++; else if (s[k] === close) { d--; if (d === 0) return k; } } return -1; };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '{') continue;
    let k = i - 1; while (k >= 0 && /\s/.test(s[k])) k--;
    let name = null, headStart = -1;
    if (s[k] === '>' && s[k - 1] === '=') {
      // arrow: name from `const x =` / `x:` / call argument
      let p = k - 2; while (p >= 0 && /\s/.test(s[p])) p--;
      if (s[p] === ')') p = match(p, ')', '(', -1);
      headStart = p;
      const before = s.slice(Math.max(0, p - 80), p);
      const m = before.match(/(\w+)\s*(?::[^=]*)?=\s*(?:async\s*)?(?:<[^>]*>)?\s*$/);
      name = m ? m[1] : '(arrow)';
    } else {
      // `) {` or `): Type {`
      let p = k, depth = 0;
      // scan back over a return type to the `)` at depth 0
      while (p >= 0) {
        const ch = s[p];
        if (ch === '{' || ch === '}' || ch === '\n' || ch === ';') break;
        if (ch === ']' || ch === '>') depth++;
        else if (ch === '[' || ch === '<') depth--;
        if (depth === 0 && ch === ')') break;
        if (depth < 0) break;
        p--;
      }
      if (p < 0 || s[p] !== ')') continue;
      const between = s.slice(p + 1, i).trim();
      if (between !== '' && !between.startsWith(':')) continue;
      const open = match(p, ')', '(', -1);
      if (open < 0) continue;
      const m = s.slice(Math.max(0, open - 120), open).match(/(\w+)\s*(?:<[^()]*>)?\s*$/);
      if (!m || KW.has(m[1])) continue;
      name = m[1];
      headStart = open - m[0].length;
    }
    const end = match(i, '{', '}', 1);
    if (end < 0) continue;
    rows.push({ file, name, start: lineAt(headStart), lines: lineAt(end) - lineAt(headStart) + 1 });
  }
}
rows.sort((a, b) => b.lines - a.lines);
if (asJson) {
  console.log(JSON.stringify(rows));
  process.exit(0);
}
for (const r of rows.slice(0, top)) console.log(`${String(r.lines).padStart(4)}  ${r.file}:${r.start}  ${r.name}`);
console.log(`functions: ${rows.length}, over 80 lines: ${rows.filter((r) => r.lines > 80).length}`);
