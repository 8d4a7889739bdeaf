import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from './k8s-tools.js';

// The Strimzi + Kroxylicious example (deploy/examples/strimzi-kroxylicious-cross-node.yaml) and the
// two Helm role values (deploy/helm/ktrail/roles/) must name the same topic, users, namespaces and
// proxy pods, or an operator following them gets a silently empty audit trail.

type Obj = Record<string, any>;
const example = parseAllDocuments(readFileSync(join(repoRoot, 'deploy/examples/strimzi-kroxylicious-cross-node.yaml'), 'utf8')).map((d) => d.toJS() as Obj).filter(Boolean);
const role = (name: string) => parse(readFileSync(join(repoRoot, `deploy/helm/ktrail/roles/${name}.yaml`), 'utf8')) as Obj;
const find = (kind: string, name: string) => example.find((o) => o.kind === kind && o.metadata.name === name)!;

describe('the Strimzi + Kroxylicious cross-node example', () => {
  const proxy = role('proxy-nodes').config;
  const broker = role('broker-nodes').config;

  it('has the topic both roles use, with a partition per broker node the proxy side sends to', () => {
    const topic = find('KafkaTopic', proxy.output.forward.topic);
    expect(topic.metadata.labels['strimzi.io/cluster']).toBe('audit');
    expect(broker.proxy.forwarded).toEqual([topic.metadata.name]);
    expect(topic.spec.partitions).toBeGreaterThanOrEqual(proxy.output.forward.nodes.length);
    expect(Object.values(broker.broker.node_id_by_host).sort()).toEqual(proxy.output.forward.nodes);
  });

  it('gives each role its own principal with only the ACLs it needs, on the audit cluster both bootstrap from', () => {
    const acls = (user: string) => find('KafkaUser', user).spec.authorization.acls.map((a: Obj) => `${a.resource.type}:${a.resource.name}:${a.operations.sort().join('+')}`);
    expect(acls(proxy.output.forward.client.sasl.username)).toEqual(['topic:ktrail-proxy-events:Describe+Write']);
    expect(acls(broker.proxy.forwarded_from.client.sasl.username)).toEqual(['topic:ktrail-proxy-events:Describe+Read']);
    for (const b of [...proxy.output.forward.bootstrap, ...broker.proxy.forwarded_from.bootstrap]) expect(b).toMatch(/^audit-kafka-bootstrap\.kafka-audit\.svc:9093$/);
  });

  it("points the proxy role at the Kroxylicious operator's proxy pods", () => {
    const kp = find('KafkaProxy', 'my-proxy');
    expect(proxy.proxy.kroxylicious_log).toEqual([`/var/log/pods/${kp.metadata.namespace}_${kp.metadata.name}-*/proxy/*.log`]);
    expect(find('VirtualKafkaCluster', 'my-cluster').spec.proxyRef.name).toBe(kp.metadata.name);
  });
});
