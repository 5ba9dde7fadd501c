/**
 * The dashboard's page tells its other scripts when a terminal's socket opens (events.ts reports it as
 * Terminal/Connect or Terminal/Reconnect): which terminal, never what it shows.
 */

export const TERMINAL_CONNECTED = 'dashboard:terminal-connected';

export interface TerminalConnected {
  /** The terminal's id (`data-terminal`). */
  readonly terminal: string;
  /** Whether it was connected before (the socket dropped and came back). */
  readonly reconnect: boolean;
}

declare global {
  interface DocumentEventMap {
    [TERMINAL_CONNECTED]: CustomEvent<TerminalConnected>;
  }
}
