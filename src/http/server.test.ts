import { connect } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseListen, startHttpServer, type HttpServerHandle } from './server.js';

const open: HttpServerHandle[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function registry(): Registry {
  const r = new Registry();
  const c = new Counter({ name: 'ktrail_test_total', help: 'test', registers: [r] });
  c.inc(3);
  return r;
}

async function start(over: Partial<Parameters<typeof startHttpServer>[0]> = {}): Promise<{ s: HttpServerHandle; url: string }> {
  const s = await startHttpServer({ listen: '127.0.0.1:0', registry: registry(), ready: () => true, ...over });
  if (!s) throw new Error('server not started');
  open.push(s);
  return { s, url: `http://127.0.0.1:${s.port}` };
}

describe('startHttpServer', () => {
  it('starts nothing when the listen address is empty', async () => {
    expect(await startHttpServer({ listen: '', registry: registry(), ready: () => true })).toBeNull();
  });

  it('serves the registry in the Prometheus text format on GET /metrics, and headers only on HEAD', async () => {
    const { s, url } = await start();
    expect(s.address).toBe('127.0.0.1');
    expect(s.port).toBeGreaterThan(0);
    const r = await fetch(`${url}/metrics?name=x`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(await r.text()).toContain('# TYPE ktrail_test_total counter\nktrail_test_total 3\n');
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('answers /healthz with 200 "ok" while healthy and 503 otherwise', async () => {
    let healthy = true;
    const { url } = await start({ healthy: () => healthy });
    const ok = await fetch(`${url}/healthz`);
    expect([ok.status, await ok.text()]).toEqual([200, 'ok\n']);
    healthy = false;
    expect((await fetch(`${url}/healthz`)).status).toBe(503);
  });

  it('answers /readyz with 503 until ready() says so, then 200', async () => {
    let ready = false;
    const { url } = await start({ ready: () => ready });
    const before = await fetch(`${url}/readyz`);
    expect([before.status, await before.text()]).toEqual([503, 'not ready\n']);
    ready = true;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('returns 404 for other paths and 405 with Allow for methods other than GET and HEAD', async () => {
    const { url } = await start();
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/metrics/../admin`)).status).toBe(404);
    const post = await fetch(`${url}/metrics`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers 500 without details when collecting the metrics fails', async () => {
    const r = new Registry();
    new Counter({ name: 'ktrail_broken_total', help: 'x', registers: [r], collect: () => { throw new Error('secret detail'); } });
    const { url } = await start({ registry: r });
    const res = await fetch(`${url}/metrics`);
    expect([res.status, await res.text()]).toEqual([500, 'internal error\n']);
  });

  it('closes promptly while a client holds a connection with unfinished headers', async () => {
    const { s } = await start();
    const socket = connect(s.port, '127.0.0.1');
    socket.on('error', () => {}); // the reset from close() is what this test expects
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n'); // no final CRLF: headers never complete
    const socketClosed = new Promise((r) => socket.once('close', () => r('closed')));
    const timeout = new Promise((r) => setTimeout(() => r('timed out'), 2000));
    await s.close();
    expect(await Promise.race([socketClosed, timeout])).toBe('closed');
  });

  it('closes safely twice and then refuses connections', async () => {
    const { s, url } = await start();
    await s.close();
    await s.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('binds an IPv6 loopback given in brackets when the host has IPv6', async () => {
    let s: HttpServerHandle | null = null;
    try {
      s = await startHttpServer({ listen: '[::1]:0', registry: registry(), ready: () => true });
    } catch (e) {
      expect((e as Error).message).toMatch(/cannot bind \[::1\]:0/); // no IPv6 in this sandbox
      return;
    }
    if (!s) throw new Error('server not started');
    open.push(s);
    expect(s.address).toBe('::1');
    expect((await fetch(`http://[::1]:${s.port}/healthz`)).status).toBe(200);
  });

  it('reports a port already in use as a bind error naming the address', async () => {
    const { s } = await start();
    await expect(startHttpServer({ listen: `127.0.0.1:${s.port}`, registry: registry(), ready: () => true })).rejects.toThrow(
      `http listen: cannot bind 127.0.0.1:${s.port} (EADDRINUSE)`,
    );
  });
});

describe('parseListen', () => {
  it('accepts IPv4 and bracketed IPv6 addresses with a port', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListen('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
  });

  it('refuses an empty host, a host name, unbracketed IPv6 and a port out of range', () => {
    expect(() => parseListen(':9464')).toThrow(/the host is empty/);
    expect(() => parseListen('[]:9464')).toThrow(/the host is empty/);
    expect(() => parseListen('localhost:9464')).toThrow(/expected an IP address as host/);
    expect(() => parseListen('::1:9464')).toThrow(/expected host:port/);
    expect(() => parseListen('[127.0.0.1]:9464')).toThrow(/brackets are for IPv6/);
    expect(() => parseListen('127.0.0.1:70000')).toThrow(/port must be 0-65535/);
    expect(() => parseListen('127.0.0.1')).toThrow(/expected host:port/);
  });
});
