import type { Server } from 'node:http';

export interface ConnectionLimits {
  /** Time a client has to send the request line and every header. */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  keepAliveTimeoutMs: number;
  /** Open connections one peer address may hold at once; 0 turns the cap off. */
  maxConnectionsPerIp: number;
}

/**
 * Slow clients cannot hold the gateway's sockets: a request that is not in within its time is
 * answered 408 and its connection closed, and a peer address holding its share of connections
 * has any further one closed at once. The cap counts the TCP peer: behind a load balancer that is
 * the balancer, so set it above the balancer's pool (or 0) there.
 */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  server.headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Node enforces both timeouts on a sweep (every 30 s by default); sweep often enough that a
  // timeout means its number. Node reads it when the server starts listening (untyped in @types/node).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    100,
    Math.min(1000, Math.floor(server.headersTimeout / 4)),
  );
  closeSilentConnections(server, server.headersTimeout);
  if (limits.maxConnectionsPerIp > 0) capConnectionsPerAddress(server, limits.maxConnectionsPerIp);
}

/** Node's header clock starts at a request's first byte: a connection that sends none gets the same time. */
function closeSilentConnections(server: Server, timeoutMs: number): void {
  server.on('connection', (socket) => {
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.once('data', () => socket.setTimeout(0));
  });
}

function capConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress;
    if (!address) {
      socket.destroy();
      return;
    }
    const count = (open.get(address) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left);
      else open.delete(address);
    });
  });
}
