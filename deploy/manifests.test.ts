import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { parseConfigText } from '../src/config/load.js';
import { K8S_VERSIONS, kubeValidate, TOOL_TIMEOUT_MS, tool } from './k8s-tools.js';

// The deploy/ manifests: valid for Kubernetes under strict field validation, secure by default,
// and carrying a config that ktrail accepts. The Dockerfile cannot be built here (no Docker engine
// in CI), so its structure is linted instead.

const here = fileURLToPath(new URL('.', import.meta.url));
const k8sDir = join(here, 'kubernetes');

// Manifests are free-form YAML; the assertions below give them their shape.
type Obj = Record<string, any>;

const docs: Array<{ file: string; obj: Obj }> = readdirSync(k8sDir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .flatMap((file) =>
    parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0]!.message}`);
      return { file, obj: d.toJS() as Obj };
    }),
  );

function only(kind: string): Obj {
  const found = docs.filter((d) => d.obj.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!.obj;
}

const isLoopback = (host: string) => host.startsWith('127.') || host === 'localhost' || host === '::1' || host === '0:0:0:0:0:0:0:1';

describe('deploy/kubernetes', () => {
  it('holds a Namespace, a NetworkPolicy, a ServiceAccount, a ConfigMap, a DaemonSet and a kustomization listing them', () => {
    expect(docs.map((d) => d.obj.kind).sort()).toEqual(['ConfigMap', 'DaemonSet', 'Kustomization', 'Namespace', 'NetworkPolicy', 'ServiceAccount']);
    const k = only('Kustomization');
    expect([...k.resources].sort()).toEqual(docs.filter((d) => d.obj.kind !== 'Kustomization').map((d) => d.file).sort());
    for (const r of k.resources as string[]) expect(existsSync(join(k8sDir, r)), r).toBe(true);
    expect(k.namespace).toBe(only('Namespace').metadata.name);
  });

  // Strict validation: the official Kubernetes schemas with additionalProperties: false
  // (kubernetes-validate --strict), for each version in K8S_VERSIONS. Duplicate keys, which strict
  // field validation rejects too, already fail the YAML parse above.
  describe(`strict schema validation (Kubernetes ${K8S_VERSIONS.join(' and ')})`, () => {
    beforeAll(() => void tool('install-kubernetes-validate.sh'), TOOL_TIMEOUT_MS);

    for (const { file, obj } of docs.filter((d) => d.obj.kind !== 'Kustomization')) {
      it(`accepts ${file} (${obj.kind})`, () => {
        const r = kubeValidate(readFileSync(join(k8sDir, file), 'utf8'));
        expect(r.ok, r.output).toBe(true);
        expect(r.output).toMatch(new RegExp(`passed for resource ${obj.kind.toLowerCase()}/${obj.metadata.name}`));
      });
    }

    it('rejects a misspelt field (securityContxt), which the API server\'s strict field validation rejects', () => {
      const broken = structuredClone(only('DaemonSet'));
      const c = broken.spec.template.spec.containers[0];
      c.securityContxt = c.securityContext;
      delete c.securityContext;
      const r = kubeValidate(stringify(broken));
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/'securityContxt' was unexpected/);
      // The same object passes the schemas without --strict: what strictness adds.
      const lax = kubeValidate(stringify(broken), K8S_VERSIONS, { strict: false });
      expect(lax.ok, lax.output).toBe(true);
    });

    it('rejects a misspelt field in metadata and in the NetworkPolicy too', () => {
      const ns = structuredClone(only('Namespace'));
      ns.metadata.lables = ns.metadata.labels;
      delete ns.metadata.labels;
      expect(kubeValidate(stringify(ns)).output).toMatch(/'lables' was unexpected/);
      const np = structuredClone(only('NetworkPolicy'));
      np.spec.ingres = np.spec.ingress;
      delete np.spec.ingress;
      const r = kubeValidate(stringify(np));
      expect(r.ok).toBe(false);
      expect(r.output).toMatch(/'ingres' was unexpected/);
    });

    it('rejects a DaemonSet with a wrong field type', () => {
      const broken = structuredClone(only('DaemonSet'));
      broken.spec.template.spec.containers[0].resources.limits = 'lots';
      expect(kubeValidate(stringify(broken)).ok).toBe(false);
    });
  });

  // The pod template evaluated by k8s.io/pod-security-admission, the code of the API server's
  // PodSecurity admission (deploy/tools/psa-check, built by scripts/build-psa-check.sh).
  describe('the Namespace', () => {
    type Verdict = { level: string; allowed: boolean; violations: Array<{ reason: string; detail: string }> };
    let verdicts: Verdict[] = [];
    beforeAll(() => {
      const r = spawnSync(tool('build-psa-check.sh'), { input: readFileSync(join(k8sDir, 'daemonset.yaml'), 'utf8'), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      verdicts = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Verdict);
    }, TOOL_TIMEOUT_MS);
    const level = (l: string) => verdicts.find((v) => v.level === l)!;

    it('enforces privileged, the one level the pod meets: baseline forbids only its hostPath volumes', () => {
      expect(only('Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
      expect(level('baseline').allowed).toBe(false);
      expect(level('baseline').violations).toEqual([{ reason: 'hostPath volumes', detail: 'volumes "kafka-logs", "pod-logs", "state"' }]);
    });

    it('fails restricted only through the hostPath volumes and the root CHOWN init container, never the main container', () => {
      const v = level('restricted').violations;
      expect(v.map((x) => x.reason).sort()).toEqual(['restricted volume types', 'runAsNonRoot != true', 'runAsUser=0', 'unrestricted capabilities']);
      for (const x of v.filter((x) => x.reason !== 'restricted volume types')) expect(x.detail).toMatch(/^container "state-owner" /);
    });
  });

  describe('the NetworkPolicy', () => {
    const np = only('NetworkPolicy');
    const pod = only('DaemonSet').spec.template as Obj;
    const cfg = parseConfigText(only('ConfigMap').data['config.yaml'], 'configmap.yaml', { env: { NODE_NAME: 'kafka-node-1' }, hostname: 'h' });

    it("selects the DaemonSet's pods and governs both directions", () => {
      for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels as Record<string, string>)) expect(pod.metadata.labels[k]).toBe(v);
      expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    });

    it('lets in only the metrics port, only from namespaces labelled as metrics scrapers', () => {
      expect(np.spec.ingress).toEqual([
        { from: [{ namespaceSelector: { matchLabels: { 'ktrail.io/metrics-scraper': 'true' } } }], ports: [{ port: cfg.http.listen!.port, protocol: 'TCP' }] },
      ]);
    });

    it('lets nothing out: the stdout sink needs no network, not even DNS', () => {
      expect(cfg.output.sink).toBe('stdout');
      expect(np.spec.egress).toEqual([]);
    });

    it('exists whenever /metrics listens beyond the loopback (the ConfigMap listens on 0.0.0.0 for the probes)', () => {
      expect(isLoopback(cfg.http.listen!.host)).toBe(false);
      expect(only('Kustomization').resources).toContain('networkpolicy.yaml');
    });
  });

  describe('the DaemonSet', () => {
    const ds = only('DaemonSet');
    const pod = ds.spec.template.spec as Obj;
    const main = (pod.containers as Obj[]).find((c) => c.name === 'ktrail') as Obj;
    const volume = (name: string) => (pod.volumes as Obj[]).find((v) => v.name === name) as Obj;
    const mount = (path: string) => (main.volumeMounts as Obj[]).find((m) => m.mountPath === path) as Obj | undefined;

    it('runs only on nodes labelled as Kafka brokers', () => {
      expect(pod.nodeSelector).toEqual({ 'ktrail.io/kafka-broker': 'true' });
    });

    it('runs the main container as a non-root user that cannot gain privileges', () => {
      const sc = main.securityContext as Obj;
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(sc.runAsNonRoot).toBe(true);
      expect(sc.runAsUser).toBeGreaterThan(0);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.capabilities).toEqual({ drop: ['ALL'] });
      expect(sc.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      expect(sc.privileged ?? false).toBe(false);
    });

    it('gives the state init container only the CHOWN capability', () => {
      for (const c of (pod.initContainers ?? []) as Obj[]) {
        expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
        expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
        expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['CHOWN'] });
        expect((c.volumeMounts as Obj[]).map((m) => m.mountPath)).toEqual(['/var/lib/ktrail']);
      }
    });

    it('mounts the broker log directory, the pod log directory and the config read-only', () => {
      for (const [path, vol] of [['/var/log/kafka', 'kafka-logs'], ['/var/log/pods', 'pod-logs'], ['/etc/ktrail', 'config']] as const) {
        expect(mount(path), path).toMatchObject({ name: vol, readOnly: true });
      }
      expect(volume('kafka-logs').hostPath.path).toBe('/var/log/kafka');
      expect(volume('pod-logs').hostPath.path).toBe('/var/log/pods');
    });

    it('writes only to the state directory and an emptyDir /tmp', () => {
      const writable = (main.volumeMounts as Obj[]).filter((m) => !m.readOnly).map((m) => m.mountPath).sort();
      expect(writable).toEqual(['/tmp', '/var/lib/ktrail']);
      expect(volume('state').hostPath.path).toBe('/var/lib/ktrail');
      expect(volume('tmp').emptyDir).toBeDefined();
    });

    it('sets resource requests and limits, with the memory limit above the request', () => {
      const r = main.resources as Obj;
      expect(r.requests).toEqual({ cpu: '100m', memory: '256Mi' });
      expect(r.limits).toEqual({ cpu: '1', memory: '512Mi' });
    });

    it('caps the V8 heap below the memory limit', () => {
      const opts = (main.env as Obj[]).find((e) => e.name === 'NODE_OPTIONS')?.value as string;
      const heapMi = Number(/--max-old-space-size=(\d+)/.exec(opts)?.[1]);
      expect(heapMi).toBeGreaterThan(0);
      expect(heapMi).toBeLessThan(512);
    });

    it("keeps the image's heap and young-generation caps: the pod's NODE_OPTIONS replaces the image's", () => {
      const opts = (main.env as Obj[]).find((e) => e.name === 'NODE_OPTIONS')?.value as string;
      const image = /NODE_OPTIONS="([^"]+)"/.exec(readFileSync(join(here, 'Dockerfile'), 'utf8'))?.[1] ?? '';
      expect(image.split(' ').sort()).toEqual(['--max-old-space-size=256', '--max-semi-space-size=16']);
      expect(opts.split(' ').sort()).toEqual(image.split(' ').sort());
    });

    it('takes NODE_NAME from the downward API', () => {
      expect((main.env as Obj[]).find((e) => e.name === 'NODE_NAME')).toEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    });

    it('probes /healthz for liveness and /readyz for readiness on the http port', () => {
      expect(main.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
      expect(main.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
      expect((main.ports as Obj[]).find((p) => p.name === 'http')?.containerPort).toBe(9464);
    });

    it('runs the config file the ConfigMap mounts', () => {
      expect(main.args).toEqual(['run', '--config', '/etc/ktrail/config.yaml']);
      expect(volume('config').configMap.name).toBe(only('ConfigMap').metadata.name);
      expect(Object.keys(only('ConfigMap').data)).toEqual(['config.yaml']);
    });

    it('does not mount a service account token', () => {
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(only('ServiceAccount').automountServiceAccountToken).toBe(false);
      expect(pod.serviceAccountName).toBe(only('ServiceAccount').metadata.name);
    });
  });

  describe("the ConfigMap's config", () => {
    const text = only('ConfigMap').data['config.yaml'] as string;
    const cfg = parseConfigText(text, 'configmap.yaml', { env: { NODE_NAME: 'kafka-node-1' }, hostname: 'test-node' });

    it('passes ktrail validation', () => {
      expect(cfg.sources['broker-request']?.length).toBeGreaterThan(0);
    });

    it('finds each broker node id by the Kubernetes node name', () => {
      expect(cfg.broker.nodeId).toBe(1);
      expect(() => parseConfigText(text, 'configmap.yaml', { env: { NODE_NAME: 'not-a-broker-node' }, hostname: 'h' })).toThrow(/node_id_by_host: no entry for this host "not-a-broker-node"/);
    });

    it('reads CRI container logs under /var/log/pods', () => {
      expect(cfg.input.containerFormat).toBe('cri');
      for (const g of [...(cfg.sources['broker-request'] ?? []), ...(cfg.sources.proxy ?? [])]) expect(g.startsWith('/var/log/pods/')).toBe(true);
    });

    it('listens where the kubelet can probe, on the port the DaemonSet exposes', () => {
      expect(cfg.http.listen).toEqual({ host: '0.0.0.0', port: 9464 });
    });

    it('keeps state under the mounted state directory', () => {
      expect(cfg.state.db).toBe('/var/lib/ktrail/state.db');
    });
  });
});

describe('deploy/Dockerfile', () => {
  const text = readFileSync(join(here, 'Dockerfile'), 'utf8');
  // Instructions with continuation lines joined and comments dropped.
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: Array<{ name: string; from: string; lines: string[] }> = [];
  for (const l of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(l);
    if (from) stages.push({ from: from[1]!, name: from[2] ?? '', lines: [] });
    else stages.at(-1)?.lines.push(l);
  }
  const stage = (name: string) => stages.find((s) => s.name === name)!;
  const runs = (name: string) => stage(name).lines.filter((l) => l.startsWith('RUN ')).join('\n');
  const final = stages.at(-1)!;

  it('builds in stages on the active Node.js LTS (26; Node 20 is out of support since April 2026)', () => {
    expect(stages.map((s) => s.name)).toEqual(['toolchain', 'build', 'deps', 'runtime']);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:26-trixie-slim$/m);
    expect(text).not.toMatch(/node:(1\d|20|21|23|25)\b/);
    expect(stage('toolchain').from).toBe('${NODE_IMAGE}');
    expect(final.from).toBe('${NODE_IMAGE}');
  });

  it('installs the compilers better-sqlite3 needs in the toolchain stage only', () => {
    expect(runs('toolchain')).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
    expect(stage('build').from).toBe('toolchain');
    expect(stage('deps').from).toBe('toolchain');
    expect(final.lines.join('\n')).not.toMatch(/apt-get|g\+\+|python3/);
  });

  it('compiles better-sqlite3 from source with local node headers', () => {
    expect(stage('toolchain').lines.join(' ')).toMatch(/npm_config_build_from_source=true/);
    expect(stage('toolchain').lines.join(' ')).toMatch(/npm_config_nodedir=\/usr\/local/);
  });

  it('builds with npm ci and npm run build, and never npm install', () => {
    expect(runs('build')).toMatch(/npm ci\b/);
    expect(runs('build')).toMatch(/npm run build/);
    expect(text).not.toMatch(/npm (install|i)\b/);
  });

  it('installs production dependencies without scripts, then rebuilds better-sqlite3', () => {
    expect(runs('deps')).toMatch(/npm ci --omit=dev --ignore-scripts\s+&& npm rebuild better-sqlite3/);
  });

  it('copies only what runs into the final stage', () => {
    const copies = final.lines.filter((l) => l.startsWith('COPY ')).map((l) => l.split(/\s+/).slice(-1)[0]);
    expect(copies.sort()).toEqual(['./', './bin', './config', './dist', './node_modules']);
    expect(final.lines).toContain('COPY package.json ./');
    expect(final.lines).toContain('COPY --from=deps /src/node_modules ./node_modules');
    expect(final.lines).toContain('COPY --from=build /src/dist ./dist');
  });

  it('runs as a numeric non-root user with the ktrail entrypoint', () => {
    const user = final.lines.filter((l) => l.startsWith('USER '));
    expect(user).toEqual(['USER 65532:65532']);
    expect(final.lines.at(-2)).toBe('ENTRYPOINT ["node", "bin/ktrail.js"]');
    expect(final.lines.at(-1)).toBe('CMD ["run", "--config", "/etc/ktrail/config.yaml"]');
  });

  it('has a .dockerignore at the build context root that keeps host output and secrets out', () => {
    const ignore = readFileSync(join(here, '..', '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', '.git', '.cache', 'coverage', 'bench-results', '**/*.db', '**/*.db-wal', '**/*.db-shm']) expect(ignore, p).toContain(p);
    // What the Dockerfile copies must not be ignored.
    for (const copied of ['package.json', 'package-lock.json', 'tsconfig.json', 'bin', 'src', 'parsers', 'test', 'config']) expect(ignore).not.toContain(copied);
  });

  it('fetches nothing with ADD and pins no latest tag', () => {
    expect(text).not.toMatch(/^ADD\s/m);
    expect(text).not.toMatch(/:latest\b/);
  });
});
