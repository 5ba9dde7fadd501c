/**
 * The learner's shells: one real PTY per terminal session id, outliving the browser connections to it. A page
 * reload, a second browser tab or a dropped connection attaches to the same shell and first gets what it printed
 * recently (a bounded scrollback), then everything new.
 *
 * Wire protocol on the WebSocket: the server sends the shell's output as text frames; the browser sends JSON
 * `{"type":"input","data":"…"}` and `{"type":"resize","cols":80,"rows":24}`.
 */
import * as pty from '@lydell/node-pty';
import type { WebSocket } from 'ws';

export interface TerminalsOptions {
  /** The shell to run, e.g. /bin/bash. */
  readonly shell: string;
  /** Where the shells start. */
  readonly cwd: string;
  /** The shells' environment. */
  readonly env: Record<string, string>;
  /** Called whenever the learner types, for the session's activity. */
  readonly onInput?: () => void;
  /** Output kept per terminal for late attachers, in characters. @default 256 KiB */
  readonly scrollbackChars?: number;
  /** Most terminal sessions at once (each is a process). @default 16 */
  readonly maxSessions?: number;
}

/** Terminal session ids: short names such as `1`, `2`, `build`. */
export const TERMINAL_ID = /^[A-Za-z0-9_-]{1,32}$/;

const OPEN = 1;

class TerminalSession {
  private process: pty.IPty | null = null;
  private readonly chunks: string[] = [];
  private buffered = 0;
  private readonly clients = new Set<WebSocket>();
  private size = { cols: 80, rows: 24 };

  constructor(
    private readonly id: string,
    private readonly options: TerminalsOptions,
  ) {}

  public attach(ws: WebSocket): void {
    this.ensureProcess();
    this.clients.add(ws);
    const history = this.chunks.join('');
    if (history) ws.send(history);
    ws.on('message', (raw, isBinary) => this.onMessage(isBinary ? raw.toString() : String(raw)));
    ws.on('close', () => this.clients.delete(ws));
  }

  public kill(): void {
    for (const ws of this.clients) ws.close(1001, 'the dashboard is stopping');
    this.clients.clear();
    this.process?.kill();
    this.process = null;
  }

  private onMessage(text: string): void {
    let message: { type?: unknown; data?: unknown; cols?: unknown; rows?: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return; // not ours: ignore rather than drop a learner's connection
    }
    if (message.type === 'input' && typeof message.data === 'string') {
      // A shell that exited comes back on the next key press, like a fresh terminal tab.
      this.ensureProcess();
      this.process!.write(message.data);
      this.options.onInput?.();
    } else if (message.type === 'resize' && isDimension(message.cols, 1000) && isDimension(message.rows, 500)) {
      this.size = { cols: message.cols, rows: message.rows };
      this.process?.resize(message.cols, message.rows);
    }
  }

  private ensureProcess(): void {
    if (this.process) return;
    const proc = pty.spawn(this.options.shell, [], {
      name: 'xterm-256color',
      cols: this.size.cols,
      rows: this.size.rows,
      cwd: this.options.cwd,
      env: { ...this.options.env, TERM: 'xterm-256color', WORKSHOP_TERMINAL: this.id },
    });
    this.process = proc;
    proc.onData((data) => this.output(data));
    proc.onExit(({ exitCode }) => {
      if (this.process !== proc) return;
      this.process = null;
      this.output(`\r\n[the shell exited with code ${exitCode}; press Enter for a new one]\r\n`);
    });
  }

  private output(data: string): void {
    this.chunks.push(data);
    this.buffered += data.length;
    const limit = this.options.scrollbackChars ?? 256 * 1024;
    while (this.buffered > limit && this.chunks.length > 1) this.buffered -= this.chunks.shift()!.length;
    for (const ws of this.clients) if (ws.readyState === OPEN) ws.send(data);
  }
}

export class Terminals {
  private readonly sessions = new Map<string, TerminalSession>();

  constructor(private readonly options: TerminalsOptions) {}

  /** Connects a browser to terminal session `id`, starting its shell if needed; false when no more may start. */
  public attach(id: string, ws: WebSocket): boolean {
    if (!TERMINAL_ID.test(id)) throw new Error(`terminal session id '${id}' must be 1 to 32 letters, digits, '-' or '_'`);
    let session = this.sessions.get(id);
    if (!session) {
      if (this.sessions.size >= (this.options.maxSessions ?? 16)) return false;
      session = new TerminalSession(id, this.options);
      this.sessions.set(id, session);
    }
    session.attach(ws);
    return true;
  }

  public closeAll(): void {
    for (const session of this.sessions.values()) session.kill();
    this.sessions.clear();
  }
}

function isDimension(value: unknown, max: number): value is number {
  return Number.isInteger(value) && (value as number) > 0 && (value as number) <= max;
}
