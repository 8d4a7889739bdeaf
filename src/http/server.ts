// The sidecar's small HTTP endpoint: /metrics (Prometheus text format), /healthz and /readyz for the
// kubelet. It serves three fixed GET paths and nothing else: no request body is ever read, headers
// and whole requests time out quickly, and it binds exactly the configured address (loopback unless
// the operator names another), because the metrics carry principals' activity.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';

export interface HttpServerOptions {
  /** `127.0.0.1:9464`, `[::1]:9464`, `0.0.0.0:9464`; empty string: no server. */
  listen: string;
  registry: Registry;
  ready: () => boolean;
  /** Why not ready, one line each, shown in the /readyz body. */
  notReadyBecause?: () => string[];
  /** Defaults to always healthy. */
  healthy?: () => boolean;
}

export interface HttpServerHandle {
  address: string;
  port: number;
  close(): Promise<void>;
}

export const DEFAULT_LISTEN = '127.0.0.1:9464';

// A scraper or probe sends a few hundred bytes of headers; anything slower is a stuck or hostile
// client holding a socket.
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** `host:port` or `[ipv6]:port` → parts; the host must be an IP literal, never empty. */
export function parseListen(listen: string): { host: string; port: number } {
  const t = listen.trim();
  const m = /^\[([^\]]*)\]:(\d{1,5})$/.exec(t) ?? /^([^:[\]]*):(\d{1,5})$/.exec(t);
  if (!m) throw new Error(`http listen: expected host:port or [ipv6]:port (e.g. ${DEFAULT_LISTEN}), got ${JSON.stringify(listen)}`);
  const host = m[1] as string;
  const port = Number(m[2]);
  if (host === '') {
    throw new Error(`http listen: the host is empty in ${JSON.stringify(listen)}; name the address to bind (127.0.0.1 for this host only, 0.0.0.0 for all interfaces)`);
  }
  const family = isIP(host);
  if (family === 0) throw new Error(`http listen: expected an IP address as host, got ${JSON.stringify(host)}`);
  if (family === 4 && t.startsWith('[')) throw new Error(`http listen: brackets are for IPv6 addresses, got ${JSON.stringify(listen)}`);
  if (family === 6 && !t.startsWith('[')) throw new Error(`http listen: write an IPv6 address in brackets ([${host}]:port), got ${JSON.stringify(listen)}`);
  if (port > 65535) throw new Error(`http listen: port must be 0-65535, got ${port}`);
  return { host, port };
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServerHandle | null> {
  if (opts.listen.trim() === '') return null;
  const { host, port } = parseListen(opts.listen);
  const healthy = opts.healthy ?? (() => true);

  const server = createServer(
    { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, maxHeaderSize: 8 * 1024 },
    (req, res) => {
      handle(req, res, opts.registry, opts.ready, healthy, opts.notReadyBecause ?? (() => [])).catch(() => {
        if (!res.headersSent) text(res, 500, 'internal error\n');
        else res.destroy();
      });
    },
  );
  server.maxHeadersCount = 64;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // ipv6Only: `[::]` means IPv6 only, exactly what was configured.
    server.listen({ host, port, ipv6Only: isIP(host) === 6 }, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`http listen: cannot bind ${opts.listen} (${e.code ?? e.message})`);
  });

  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('http listen: server has no TCP address');
  let closed: Promise<void> | null = null;
  return {
    address: addr.address,
    port: addr.port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  registry: Registry,
  ready: () => boolean,
  healthy: () => boolean,
  notReadyBecause: () => string[],
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    // Do not read a body we will not use: close the connection instead of draining it.
    res.setHeader('Allow', 'GET, HEAD');
    res.setHeader('Connection', 'close');
    text(res, 405, 'method not allowed\n');
    return;
  }
  const path = (req.url ?? '/').split('?')[0];
  switch (path) {
    case '/metrics': {
      const body = await registry.metrics();
      res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
      res.end(body);
      return;
    }
    case '/healthz':
      return healthy() ? text(res, 200, 'ok\n') : text(res, 503, 'unhealthy\n');
    case '/readyz':
      // Reasons name sources and paths from the config: no client-controlled text.
      return ready() ? text(res, 200, 'ok\n') : text(res, 503, ['not ready', ...notReadyBecause()].join('\n') + '\n');
    default:
      return text(res, 404, 'not found\n');
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}
