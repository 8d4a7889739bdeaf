// Node client for the real-stack workload (@platformatic/kafka, devDependency of the repo).
// node client.mjs <actions.jsonl>   -- appends one JSON line per action, like client/Workload.java.
import { appendFileSync } from 'node:fs';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';

const out = process.argv[2];
const PROXY = '127.0.0.1:19192';

async function action(label, { principal, mechanism, password, clientId, expect, via = 'proxy', bootstrap = PROXY }, fn) {
  const rec = { label, start: new Date().toISOString(), client: 'node @platformatic/kafka 1.35.0', via, bootstrap,
    principal: `User:${principal}`, mechanism, clientId, expect };
  const sasl = { mechanism, username: principal, password };
  try {
    Object.assign(rec, (await fn({ clientId, bootstrapBrokers: [bootstrap], sasl, retries: 0, timeout: 10000 })) ?? {});
    rec.outcome = 'ok';
  } catch (e) {
    rec.error = flatten(e).join(' | ').slice(0, 2000);
    rec.outcome = /SASL|authenticat|credential/i.test(rec.error) ? 'auth-failure'
      : /AUTHORIZATION_FAILED|not authorized|"errorCode":29|"errorCode":30/i.test(rec.error) ? 'denied' : 'error';
  }
  rec.end = new Date().toISOString();
  rec.asExpected = rec.outcome === expect;
  appendFileSync(out, JSON.stringify(rec) + '\n');
  console.log(JSON.stringify(rec));
}

// every message, cause, nested error and response payload of an error chain (for classification and the record)
function flatten(e, seen = new Set(), out = []) {
  if (!e || typeof e !== 'object' || seen.has(e)) return out;
  seen.add(e);
  out.push(`${e.name ?? 'Error'}: ${e.message ?? ''}${e.code ? ` (${e.code})` : ''}`);
  if (e.response) { try { out.push(JSON.stringify(e.response, (k, v) => (typeof v === 'bigint' ? String(v) : v))); } catch {} }
  for (const x of e.errors ?? []) flatten(x, seen, out);
  if (e.cause) flatten(e.cause, seen, out);
  return out;
}

const alice = { principal: 'alice', mechanism: 'SCRAM-SHA-512', password: 'alice-secret' };

await action('n01-node-alice-produce-orders', { ...alice, clientId: 'node-alice-producer', expect: 'ok' }, async (o) => {
  const producer = new Producer({ ...o, serializers: stringSerializers });
  let acked = 0;
  try {
    for (let i = 0; i < 5; i++) {
      await producer.send({ messages: [{ topic: 'orders', key: `node-k${i}`, value: `node-order-${i}` }], acks: -1 });
      acked++;
    }
  } finally {
    await producer.close();
  }
  return { action: 'produce', args: ['orders', 5], produceRequestsAcked: acked };
});

await action('n02-node-alice-consume-orders', { ...alice, clientId: 'node-alice-consumer', expect: 'ok' }, async (o) => {
  const consumer = new Consumer({ ...o, groupId: 'alice-node', deserializers: stringDeserializers });
  let got = 0;
  try {
    const stream = await consumer.consume({ topics: ['orders'], mode: 'earliest', autocommit: false, maxWaitTime: 500 });
    const deadline = Date.now() + 15000;
    for await (const m of stream) {
      got++;
      if (got >= 5 || Date.now() > deadline) { await m.commit(); break; }
    }
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return { action: 'consume', args: ['alice-node', 'orders', 5], recordsConsumed: got, committed: true };
});

await action('n03-node-alice-produce-payroll', { ...alice, clientId: 'node-alice-producer', expect: 'denied' }, async (o) => {
  const producer = new Producer({ ...o, serializers: stringSerializers });
  try {
    await producer.send({ messages: [{ topic: 'payroll', value: 'x' }], acks: -1 });
  } finally {
    await producer.close();
  }
  return { action: 'produce', args: ['payroll', 1] };
});

await action('n04-node-alice-wrong-password', { ...alice, password: 'wrong', clientId: 'node-alice-badpw', expect: 'auth-failure' }, async (o) => {
  const admin = new Admin(o);
  try {
    await admin.metadata({ topics: ['orders'] });
  } finally {
    await admin.close();
  }
  return { action: 'metadata', args: ['orders'] };
});
