/**
 * Server-Sent Events to the preview's open pages: one long-lived response per page, and a `change` event to all
 * of them when the workshop's files change. EventSource reconnects on its own, so nothing here retries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Comment lines keep idle connections from being closed by proxies and let a dead client be noticed. */
const HEARTBEAT_MS = 15_000;
/** How soon a browser reconnects after the preview restarts. */
const RECONNECT_MS = 500;

export class LiveReloadHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;

  public constructor() {
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Takes over a request as an event stream until the browser goes away. */
  public connect(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(`retry: ${RECONNECT_MS}\n\n`);
    this.clients.add(response);
    request.on('close', () => this.clients.delete(response));
  }

  /** Tells every open page that files changed; the pages fetch themselves again. */
  public announceChange(generation: number, files: readonly string[]): void {
    this.write(`event: change\ndata: ${JSON.stringify({ generation, files })}\n\n`);
  }

  public get connectedClients(): number {
    return this.clients.size;
  }

  public close(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }

  private write(chunk: string): void {
    for (const client of this.clients) client.write(chunk);
  }
}
