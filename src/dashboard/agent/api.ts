/**
 * The session agent: everything that runs as the learner or touches the learner's home, behind one interface.
 *
 * In the workshop pod the agent is its own process in the learner's container (`workshop`, uid WORKSHOP_UID, the
 * session ServiceAccount's token, no portal credentials) and the dashboard, in a container of its own under another
 * uid, reaches it over a Unix socket on a volume the two share (`connectAgent()`, src/dashboard/agent/client.ts;
 * the server is src/dashboard/agent/server.ts, started by src/apps/session-agent.ts). On a developer's machine
 * (`workshops sessions dashboard`, the local loop, the tests that run the dashboard as a host process) the same
 * interface runs inside the dashboard process (`createLocalAgent()`, src/dashboard/agent/local.ts).
 *
 * The agent is the learner's: it holds nothing the learner may not have, and the dashboard treats whatever it
 * answers as the learner's words (it may be the learner's own program on the socket).
 */
import type { Readable } from 'node:stream';

import type { WebSocket } from 'ws';

/** What one file or directory of the learner's home is. */
export interface AgentFileInfo {
  /** Relative to the home directory, '/'-separated ('' is the home itself). */
  readonly path: string;
  readonly name: string;
  readonly type: 'file' | 'directory' | 'symlink' | 'other';
  readonly size: number;
  /** Permission bits, e.g. 0o644. */
  readonly mode: number;
  readonly mtimeMs: number;
}

export interface AgentExecRequest {
  /** The program and its arguments (no shell unless you name one: `['bash', '-lc', '…']`). */
  readonly command: readonly string[];
  /** Working directory, relative to the home or absolute. @default the home directory */
  readonly cwd?: string;
  /** Added to (and overriding) the learner's environment. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Given on standard input. @default nothing (stdin is closed) */
  readonly input?: string;
  /** Killed (its whole process group) after this many seconds. @default 60, at most 3600 */
  readonly timeoutSeconds?: number;
}

export interface AgentExecResult {
  /** null when killed by a signal or on time-out. */
  readonly exitCode: number | null;
  /** stdout and stderr interleaved; the last 64 KiB when longer. */
  readonly output: string;
  readonly timedOut: boolean;
}

export interface AgentTestRequest {
  /** The workshop content directory (as the dashboard's ContentSync names it; the same path in both containers). */
  readonly contentDir: string;
  /** The test's file name in the tests directory (TEST_NAME of src/dashboard/examiner.ts). */
  readonly name: string;
  readonly args?: readonly string[];
  /** Relative to contentDir. @default 'workshop/examiner/tests' */
  readonly testsDirectory?: string;
  /** The workshop's limit. @default 15 */
  readonly timeoutSeconds?: number;
  /** What the action asked for, capped by timeoutSeconds. */
  readonly requestedTimeoutSeconds?: number;
}

export interface AgentTestResult {
  readonly success: boolean;
  readonly output: string;
  readonly timedOut: boolean;
}

export interface AgentSetupResult {
  /** Files copied into ~/exercises. */
  readonly copiedExercises: string[];
  readonly scripts: Array<{ name: string; exitCode: number | null; timedOut: boolean }>;
  /** The profile script written for the shells (absolute path in the learner's container). */
  readonly profile: string;
}

export interface AgentWriteOptions {
  /** Permission bits of a new file. @default 0o644 */
  readonly mode?: number;
  /** Replace an existing file. @default true (false: AgentError 'exists') */
  readonly overwrite?: boolean;
  /** Create missing parent directories. @default true */
  readonly mkdirs?: boolean;
}

export interface SessionAgent {
  /** The learner's home directory (absolute, in the learner's container). */
  readonly homeDir: string;

  /**
   * Connects a browser's WebSocket to terminal session `id` (TERMINAL_ID: 1–32 letters, digits, '-', '_'),
   * starting its shell if needed, with the browser protocol of src/dashboard/terminals.ts. The agent closes the
   * socket itself: 1013 when no more terminals may start, 1008 for a bad id, 1011 when the agent is gone.
   */
  attachTerminal(id: string, socket: WebSocket): Promise<void>;

  /** Runs a program as the learner, in the learner's environment. Never throws for a failing program. */
  exec(request: AgentExecRequest): Promise<AgentExecResult>;

  /** Runs an examiner test (examiner.ts); AgentError 'not_found' when the workshop has no such test. */
  runTest(request: AgentTestRequest): Promise<AgentTestResult>;

  /** Educates' session set-up for this content (session-setup.ts): exercises, setup.d, the shells' profile. */
  sessionSetup(contentDir: string): Promise<AgentSetupResult>;

  /**
   * Files of the learner's home. `path` is relative to the home (or absolute inside it); anything that leaves the
   * home, lexically or through a symbolic link, is AgentError 'outside_home'.
   */
  stat(path: string): Promise<AgentFileInfo | null>;
  /** A directory's entries (hidden ones too), sorted by name. AgentError 'not_found' / 'not_a_directory'. */
  list(path: string): Promise<AgentFileInfo[]>;
  /** A file's bytes as a stream. AgentError 'not_found' / 'not_a_file'. */
  readFile(path: string): Promise<Readable>;
  /** Writes a file as the learner (owned by WORKSHOP_UID); returns what is there afterwards. */
  writeFile(path: string, data: Uint8Array | Readable, options?: AgentWriteOptions): Promise<AgentFileInfo>;
  /** Creates a directory and its parents. */
  mkdir(path: string): Promise<AgentFileInfo>;
  /** Removes a file or (recursively) a directory; no error when absent. */
  remove(path: string): Promise<void>;

  /** Stops the terminals the dashboard opened (local agent) or the connection (remote agent). */
  close(): Promise<void>;
}

export type AgentErrorCode = 'bad_request' | 'not_found' | 'not_a_file' | 'not_a_directory' | 'exists' | 'outside_home' | 'too_large' | 'unavailable';

/** An error the agent answers with; `code` says which, the message names the path or field and what is allowed. */
export class AgentError extends Error {
  constructor(
    public readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }

  /** The HTTP status of the transport for this code. */
  public get status(): number {
    return AGENT_ERROR_STATUS[this.code];
  }
}

export const AGENT_ERROR_STATUS: Record<AgentErrorCode, number> = {
  bad_request: 400,
  outside_home: 403,
  not_found: 404,
  not_a_file: 409,
  not_a_directory: 409,
  exists: 409,
  too_large: 413,
  unavailable: 503,
};

/** Where the agent's socket is in the workshop pod (a volume shared by the `dashboard` and `workshop` containers). */
export const AGENT_SOCKET_DIR = '/var/run/workshop-agent';
export const AGENT_SOCKET = `${AGENT_SOCKET_DIR}/agent.sock`;
/** Longest file the transport takes in one write. */
export const AGENT_MAX_WRITE_BYTES = 1024 * 1024 * 1024;
