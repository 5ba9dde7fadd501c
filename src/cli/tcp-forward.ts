/**
 * A TCP forward: every connection to `host:port` is piped to `targetHost:targetPort`. The local loop puts one on
 * the real node's address in front of the loopback registry, so that pods (whose loopback is their own) pull
 * from it; the real-node tests do the same.
 */
import * as net from 'node:net';

export interface TcpForward {
  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  /** Stops listening and cuts every forwarded connection. */
  close(): Promise<void>;
}

/** Listens on `host:port` (0: any free port); rejects with the listen error (e.g. EADDRINUSE) as it is. */
export async function tcpForward(host: string, port: number, targetHost: string, targetPort: number): Promise<TcpForward> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((incoming) => {
    const outgoing = net.connect(targetPort, targetHost);
    for (const s of [incoming, outgoing]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    incoming.pipe(outgoing).pipe(incoming);
  });
  await new Promise<void>((resolve, reject) => server.listen(port, host, resolve).on('error', reject));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
