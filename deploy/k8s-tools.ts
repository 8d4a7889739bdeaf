// The real tools the deploy tests run: kubernetes-validate (strict Kubernetes JSON schemas, PyPI),
// helm and kustomize (built from source through the Go module proxy). Each comes from an
// idempotent script under scripts/ that caches it in .cache/tools/ and prints its path; the first
// run installs or builds it (helm: several minutes on 2 cores), later runs only print the path.
// .ci/run runs the scripts before the tests, so their time is not spent inside a test hook.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../', import.meta.url));

/**
 * Kubernetes versions the manifests are validated against: the oldest and the newest minor that
 * upstream supports on 2026-12-06 (1.35 to 1.37), both shipped by kubernetes-validate 1.37.0.
 */
export const K8S_VERSIONS = ['1.35.0', '1.37.0'] as const;

/** Time a test hook may spend getting the tools the first time (a helm build, on 2 busy cores). */
export const TOOL_TIMEOUT_MS = 30 * 60_000;

const cached = new Map<string, string>();
/** Runs scripts/<script> (idempotent) and returns the tool's path; throws with its output if it fails. */
export function tool(script: string): string {
  const hit = cached.get(script);
  if (hit) return hit;
  const r = spawnSync('bash', [join(repo, 'scripts', script)], { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS });
  const path = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !path) {
    throw new Error(`scripts/${script} failed (exit ${r.status ?? r.signal}): the deploy tests need the tool it provides.\n${r.stderr}`);
  }
  cached.set(script, path);
  return path;
}

export interface Run {
  ok: boolean;
  output: string;
}

/**
 * Validates Kubernetes objects (YAML, one or more documents) with kubernetes-validate --strict
 * against every version in K8S_VERSIONS: the official OpenAPI schemas with additionalProperties:
 * false, so an unknown field fails as under the API server's strict field validation.
 */
export function kubeValidate(yamlText: string, versions: readonly string[] = K8S_VERSIONS, opts: { strict?: boolean } = {}): Run {
  const bin = tool('install-kubernetes-validate.sh');
  const dir = mkdtempSync(join(tmpdir(), 'ktrail-kv-'));
  try {
    const file = join(dir, 'objects.yaml');
    writeFileSync(file, yamlText);
    let ok = true;
    let output = '';
    for (const v of versions) {
      const r = spawnSync(bin, [...(opts.strict === false ? [] : ['--strict']), '--kubernetes-version', v, file], { encoding: 'utf8' });
      if (r.error) throw r.error;
      ok &&= r.status === 0;
      output += r.stdout + r.stderr;
    }
    return { ok, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a built tool with arguments; the repository root is the working directory. */
export function run(bin: string, args: string[]): Run & { stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd: repo, env: { ...process.env, HELM_CACHE_HOME: join(repo, '.cache', 'helm'), HELM_CONFIG_HOME: join(repo, '.cache', 'helm'), HELM_DATA_HOME: join(repo, '.cache', 'helm') } });
  if (r.error) throw r.error;
  return { ok: r.status === 0, output: r.stdout + r.stderr, stdout: r.stdout, stderr: r.stderr };
}

export const repoRoot = repo;
