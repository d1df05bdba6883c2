import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP server on 127.0.0.1 that misbehaves the way a stuck upstream does, for timeout tests:
 *
 * - `silent`: accepts connections and reads whatever arrives, but never sends a byte (a hung HTTP or LDAP server);
 * - `stall-body`: answers the first HTTP request with a 200, its headers and the first bytes of a body whose announced
 *   length it never delivers.
 *
 * `connections` counts accepted connections (each retry of a client opens or reuses one). `close()` destroys every
 * socket and stops listening.
 */
export interface StuckServer {
  readonly port: number;
  readonly url: string;
  connections: number;
  close(): Promise<void>;
}

export async function startStuckServer(
  mode: 'silent' | 'stall-body',
  options: { contentType?: string } = {},
): Promise<StuckServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    state.connections++;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (mode === 'silent') {
      socket.resume();
      return;
    }
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('latin1');
      if (!seen.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.resume();
      socket.write(
        'HTTP/1.1 200 OK\r\n' +
          `content-type: ${options.contentType ?? 'application/json'}\r\n` +
          'content-length: 100000\r\n' +
          'etag: "stalled"\r\n' +
          '\r\n' +
          '[',
      );
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const state: StuckServer = {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: 0,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
