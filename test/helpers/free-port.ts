// Free loopback ports for services a test starts itself (redis-server, nginx): the port is released
// before the service binds it, so a race with another process is possible but rare on loopback.
import { createServer, connect as netConnect } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Polls `ready` every `intervalMs` until it is true, at most `attempts` times. */
export async function waitUntil(
  ready: () => Promise<boolean> | boolean,
  attempts = 100,
  intervalMs = 50,
): Promise<boolean> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await ready()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}
