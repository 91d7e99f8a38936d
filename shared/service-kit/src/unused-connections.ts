import type { Socket } from 'node:net';
import type { HttpApp } from './http.js';

/**
 * On close, ends the connections that never carried a request. fastify closes idle keep-alive
 * connections, but Node does not count one that has sent nothing yet as idle, so `server.close`
 * would wait for it until `headersTimeout` (60 s): a client's pool leaves such a connection when
 * a request is given up while it connects. Nothing is in flight on it, so ending it loses nothing.
 */
export function endUnusedConnectionsOnClose(app: HttpApp): void {
  const unused = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  app.server.on('request', (request: { socket: Socket }) => unused.delete(request.socket));
  // preClose runs just before fastify closes the server (onClose hooks only after it has closed).
  app.addHook('preClose', async () => {
    for (const socket of unused) socket.destroy();
  });
}
