import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfigText } from '../src/config/load.js';
import { kubeValidate, repoRoot, run, TOOL_TIMEOUT_MS, tool } from './k8s-tools.js';

// The Helm chart (deploy/helm/ktrail), rendered by the real helm CLI (scripts/build-helm.sh builds
// it from source), against the plain manifests rendered by the real kustomize
// (scripts/build-kustomize.sh), as `kubectl apply -k deploy/kubernetes` would apply them.

type Obj = Record<string, any>;
let helm = '';
let kustomize = '';
const chart = 'deploy/helm/ktrail';

function objects(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(d.errors[0]!.message);
      return d.toJS() as Obj | null;
    })
    .filter((o): o is Obj => o !== null);
}

/** helm template with the given extra arguments; the release is "ktrail" in namespace "ktrail". */
function render(...args: string[]) {
  const r = run(helm, ['template', 'ktrail', chart, '--namespace', 'ktrail', ...args]);
  return { ...r, objs: r.ok ? objects(r.stdout) : [] };
}
function renderOk(...args: string[]): Obj[] {
  const r = render(...args);
  expect(r.ok, r.stderr).toBe(true);
  return r.objs;
}
const byKind = (objs: Obj[], kind: string) => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const podOf = (objs: Obj[]) => byKind(objs, 'DaemonSet').spec.template.spec as Obj;
const mainOf = (objs: Obj[]) => (podOf(objs).containers as Obj[]).find((c) => c.name === 'ktrail')!;
const configOf = (objs: Obj[]) => byKind(objs, 'ConfigMap').data['config.yaml'] as string;
const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

/** The embedded config compared as YAML data: the chart renders it with toYaml (no comments). */
function comparable(o: Obj): Obj {
  if (o.kind !== 'ConfigMap') return o;
  const c = structuredClone(o);
  c.data['config.yaml'] = parse(c.data['config.yaml']);
  return c;
}

describe('deploy/helm/ktrail', () => {
  beforeAll(() => {
    helm = tool('build-helm.sh');
    kustomize = tool('build-kustomize.sh');
  }, TOOL_TIMEOUT_MS);

  it('passes helm lint --strict', () => {
    const r = run(helm, ['lint', '--strict', chart, '--namespace', 'ktrail']);
    expect(r.ok, r.output).toBe(true);
  });

  describe('with default values', () => {
    it('renders the same objects as deploy/kubernetes, object by object', () => {
      const plainRun = run(kustomize, ['build', 'deploy/kubernetes']);
      expect(plainRun.ok, plainRun.stderr).toBe(true);
      const plain = new Map(objects(plainRun.stdout).map((o) => [key(o), o]));
      const rendered = new Map(renderOk().map((o) => [key(o), o]));
      expect([...rendered.keys()].sort()).toEqual([...plain.keys()].sort());
      expect(plain.size).toBe(5);
      for (const [k, o] of plain) expect(comparable(rendered.get(k)!), k).toEqual(comparable(o));
    });

    it('renders objects that pass strict Kubernetes schema validation', () => {
      const r = kubeValidate(render().stdout);
      expect(r.ok, r.output).toBe(true);
    });
  });

  describe('values', () => {
    it('overrides the image name and tag of both containers, with a pull secret for a private registry', () => {
      const objs = renderOk('--set', 'image.repository=registry.example.com/team/ktrail', '--set-string', 'image.tag=0.2.0-rc1', '--set', 'image.pullPolicy=Always', '--set', 'imagePullSecrets[0].name=regcred');
      const pod = podOf(objs);
      expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
      for (const c of [...pod.containers, ...pod.initContainers] as Obj[]) expect(c.image, c.name).toBe('registry.example.com/team/ktrail:0.2.0-rc1');
      expect(mainOf(objs).imagePullPolicy).toBe('Always');
    });

    it('sets node selector, tolerations, priority class and resources', () => {
      const dir = mkdtempSync(join(tmpdir(), 'ktrail-helm-'));
      try {
        const values = join(dir, 'values.yaml');
        writeFileSync(values, [
          // Helm merges maps with the defaults: null removes the default key.
          'nodeSelector: {ktrail.io/kafka-broker: null, node-role.kubernetes.io/kafka: ""}',
          'tolerations: [{key: dedicated, operator: Equal, value: kafka, effect: NoSchedule}]',
          'priorityClassName: system-node-critical',
          'resources: {requests: {cpu: 200m, memory: 600Mi}, limits: {cpu: "2", memory: 1Gi}}',
          'heapMaxMiB: 640',
        ].join('\n'));
        const objs = renderOk('-f', values);
        const pod = podOf(objs);
        expect(pod.nodeSelector).toEqual({ 'node-role.kubernetes.io/kafka': '' });
        expect(pod.tolerations).toEqual([{ key: 'dedicated', operator: 'Equal', value: 'kafka', effect: 'NoSchedule' }]);
        expect(pod.priorityClassName).toBe('system-node-critical');
        expect(mainOf(objs).resources).toEqual({ requests: { cpu: '200m', memory: '600Mi' }, limits: { cpu: '2', memory: '1Gi' } });
        expect(mainOf(objs).env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=640 --max-semi-space-size=16' });
        const r = kubeValidate(render('-f', values).stdout);
        expect(r.ok, r.output).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('renders a config that ktrail accepts, and a changed one too', () => {
      const opts = { env: { NODE_NAME: 'kafka-node-1' }, hostname: 'h' };
      expect(parseConfigText(configOf(renderOk()), 'chart', opts).broker.nodeId).toBe(1);
      const cfg = parseConfigText(configOf(renderOk('--set', 'config.broker.node_id_by_host.kafka-node-1=7', '--set', 'config.join.tolerance=10s')), 'chart', opts);
      expect(cfg.broker.nodeId).toBe(7);
      expect(cfg.join.toleranceMicros).toBe(10_000_000);
    });

    it('moves http.listen, the container port, the probes, the annotation and the NetworkPolicy port together', () => {
      const objs = renderOk('--set', 'metrics.listen=0.0.0.0:9500');
      expect(parse(configOf(objs)).http).toEqual({ listen: '0.0.0.0:9500' });
      expect(mainOf(objs).ports).toEqual([{ name: 'http', containerPort: 9500, protocol: 'TCP' }]);
      expect(mainOf(objs).livenessProbe.httpGet.port).toBe('http');
      expect(byKind(objs, 'DaemonSet').spec.template.metadata.annotations['prometheus.io/port']).toBe('9500');
      expect(byKind(objs, 'NetworkPolicy').spec.ingress[0].ports).toEqual([{ port: 9500, protocol: 'TCP' }]);
    });

    it('leaves out the Namespace or the NetworkPolicy when asked', () => {
      expect(renderOk('--set', 'namespace.create=false').map((o) => o.kind)).not.toContain('Namespace');
      expect(renderOk('--set', 'networkPolicy.create=false', '--set', 'metrics.allowWithoutNetworkPolicy=true').map((o) => o.kind)).not.toContain('NetworkPolicy');
    });

    it('refuses /metrics on a pod-reachable address without a NetworkPolicy, unless told so', () => {
      const r = render('--set', 'networkPolicy.create=false');
      expect(r.ok).toBe(false);
      expect(r.stderr).toMatch(/metrics.listen 0.0.0.0:9464 is reachable from other pods, and networkPolicy.create is false/);
    });

    it('on a loopback listen address, exposes no port and probes from inside the container', () => {
      const objs = renderOk('--set', 'metrics.listen=127.0.0.1:9464', '--set', 'networkPolicy.create=false');
      const main = mainOf(objs);
      expect(main.ports).toBeUndefined();
      expect(main.livenessProbe.exec.command.slice(0, 2)).toEqual(['node', '-e']);
      expect(byKind(objs, 'DaemonSet').spec.template.metadata.annotations).toBeUndefined();
      expect(kubeValidate(render('--set', 'metrics.listen=127.0.0.1:9464').stdout).ok).toBe(true);
      expect(byKind(renderOk('--set', 'metrics.listen=127.0.0.1:9464'), 'NetworkPolicy').spec.ingress).toEqual([]);
    });

    it('refuses an otlp sink whose collector the NetworkPolicy would block, and allows DNS and the collector when named', () => {
      const otlp = ['--set', 'config.output.sink=otlp', '--set', 'config.output.otlp.endpoint=http://otel-collector.observability:4318/v1/logs'];
      const blocked = render(...otlp);
      expect(blocked.ok).toBe(false);
      expect(blocked.stderr).toMatch(/networkPolicy.otlp.to is empty/);
      const objs = renderOk(...otlp, '--set', 'networkPolicy.otlp.to[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=observability');
      const egress = byKind(objs, 'NetworkPolicy').spec.egress as Obj[];
      expect(egress).toHaveLength(2);
      expect(egress[0]!.ports).toEqual([{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }]);
      expect(egress[1]).toEqual({ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }], ports: [{ port: 4318, protocol: 'TCP' }] });
      expect(kubeValidate(render(...otlp, '--set', 'networkPolicy.otlp.to[0].namespaceSelector.matchLabels.team=obs').stdout).ok).toBe(true);
    });

    it('rejects a misspelt value (values.schema.json) and config.http (set by metrics.listen)', () => {
      const typo = render('--set-string', 'image.tagg=0.2.0');
      expect(typo.ok).toBe(false);
      expect(typo.stderr).toMatch(/tagg/);
      const http = render('--set', 'config.http.listen=0.0.0.0:1');
      expect(http.ok).toBe(false);
      expect(http.stderr).toMatch(/config.http: set metrics.listen instead/);
    });
  });

  describe('the two cross-node roles (roles/*.yaml, docs/cross-node.md)', () => {
    const role = (name: string, ...more: string[]) => ['-f', `${chart}/roles/${name}.yaml`, ...more];
    const kafkaEgress = { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kafka-audit' } }, podSelector: { matchLabels: { 'strimzi.io/cluster': 'audit', 'strimzi.io/kind': 'Kafka' } } }], ports: [{ port: 9093, protocol: 'TCP' }] };

    it('proxy nodes: a forwarding config ktrail accepts, on proxy nodes only, with egress to the audit cluster', () => {
      const objs = renderOk(...role('proxy-nodes'));
      expect(podOf(objs).nodeSelector).toEqual({ 'ktrail.io/kroxylicious-proxy': 'true' });
      const cfg = parseConfigText(configOf(objs), 'chart', { env: { NODE_NAME: 'proxy-node-a' }, hostname: 'h' });
      expect(cfg.output.sink).toBe('forward');
      expect(cfg.output.forward).toMatchObject({ topic: 'ktrail-proxy-events', nodes: [0, 1, 2], sender: '' });
      expect(cfg.observer.host).toBe('proxy-node-a'); // the sender's name
      expect(cfg.output.forward.client).toMatchObject({ tls: { rejectUnauthorized: true }, sasl: { mechanism: 'SCRAM-SHA-512' } });
      expect(cfg.state.db).toBe('/var/lib/ktrail/forward.db');
      expect((byKind(objs, 'NetworkPolicy').spec.egress as Obj[])[1]).toEqual(kafkaEgress);
      const r = kubeValidate(render(...role('proxy-nodes')).stdout);
      expect(r.ok, r.output).toBe(true);
    });

    it('broker nodes: the forwarded source, its allowed senders, and egress to the audit cluster', () => {
      const objs = renderOk(...role('broker-nodes'));
      expect(podOf(objs).nodeSelector).toEqual({ 'ktrail.io/kafka-broker': 'true' });
      const cfg = parseConfigText(configOf(objs), 'chart', { env: { NODE_NAME: 'kafka-node-2' }, hostname: 'h' });
      expect(cfg.broker.nodeId).toBe(2);
      expect(cfg.sources['proxy-forwarded']).toEqual(['ktrail-proxy-events']);
      expect(cfg.proxy.forwardedFrom).toMatchObject({ bootstrap: ['audit-kafka-bootstrap.kafka-audit.svc:9093'], allowedSenders: ['proxy-node-a', 'proxy-node-b'] });
      expect(cfg.sources.proxy).toEqual([]);
      expect((byKind(objs, 'NetworkPolicy').spec.egress as Obj[])[1]).toEqual(kafkaEgress);
      const r = kubeValidate(render(...role('broker-nodes')).stdout);
      expect(r.ok, r.output).toBe(true);
    });

    it('refuses either role when the NetworkPolicy would block Kafka', () => {
      for (const name of ['proxy-nodes', 'broker-nodes']) {
        const r = render(...role(name, '--set', 'networkPolicy.kafka.to=null'));
        expect(r.ok, name).toBe(false);
        expect(r.stderr).toMatch(/networkPolicy.kafka.to is empty/);
      }
    });
  });

  describe('the loopback exec probes, run against a real ktrail', () => {
    let child: ReturnType<typeof spawn> | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'ktrail-probe-'));
    afterAll(() => {
      child?.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    });

    it('pass while ktrail serves /healthz and /readyz on the loopback, and fail when nothing listens', async () => {
      const port = await new Promise<number>((res) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => res(p));
        });
      });
      const main = mainOf(renderOk('--set', `metrics.listen=127.0.0.1:${port}`));
      const probe = (cmd: string[]) =>
        new Promise<number>((res) => spawn(cmd[0] === 'node' ? process.execPath : cmd[0]!, cmd.slice(1), { stdio: 'ignore' }).on('exit', (c) => res(c ?? -1)));
      expect(await probe(main.livenessProbe.exec.command)).not.toBe(0);

      // One line each: an empty request log keeps /readyz failing (nothing was ever logged).
      for (const f of ['broker.log', 'proxy.log']) writeFileSync(join(dir, f), 'a line\n');
      child = spawn(process.execPath, [join(repoRoot, 'bin/ktrail.js'), 'run', '--broker-log', join(dir, 'broker.log'), '--proxy-log', join(dir, 'proxy.log'),
        '--broker-timezone', 'UTC', '--broker-node-id', '1', '--proxy-address', '10.0.0.5', '--db', join(dir, 'state.db'), '--http-listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
      const deadline = Date.now() + 30_000;
      let live = -1;
      while (Date.now() < deadline && (live = await probe(main.livenessProbe.exec.command)) !== 0) await new Promise((r) => setTimeout(r, 250));
      expect(live).toBe(0);
      let ready = -1;
      while (Date.now() < deadline && (ready = await probe(main.readinessProbe.exec.command)) !== 0) await new Promise((r) => setTimeout(r, 250));
      expect(ready).toBe(0);
    });
  });
});
