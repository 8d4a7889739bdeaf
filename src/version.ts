import { readFileSync } from 'node:fs';

// Read once from package.json so `observer.version` and `--version` never drift from the release.
function readVersion(): string {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ktrail' && pkg.version) return pkg.version;
    } catch {
      // try the next location (src/ under vitest, dist/src/ when built)
    }
  }
  return '0.0.0';
}

export const VERSION = readVersion();
