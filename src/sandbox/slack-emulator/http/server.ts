/** The emulator's HTTP server: listening on a port, and closing with every connection. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorContext } from './context.js';
import { route } from './router.js';

/**
 * Listens and resolves with the server and its origin (`http://host:port`).
 * WebSocket upgrades go to the Socket Mode server (the URLs `apps.connections.open` hands out).
 */
export async function listen(ctx: EmulatorContext, port: number, host: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    route(ctx, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`emulator error: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  server.on('upgrade', (req, socket, head) => {
    if (!ctx.socket.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, origin: `http://${hostPart}:${address.port}` };
}

export async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
