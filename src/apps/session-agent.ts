/**
 * The session agent process in the workshop pod's learner container (`workshop`, uid WORKSHOP_UID): serves the
 * learner's terminals, commands, examiner tests, session set-up and home-directory files to the dashboard over
 * the Unix socket WORKSHOP_AGENT_SOCKET (src/dashboard/agent/). Its environment is the learner's: the session
 * template gives this container no portal credentials, and anything named like one is dropped all the same.
 */
import * as os from 'node:os';

import { AGENT_SOCKET, createLocalAgent, serveAgent } from '../dashboard/agent/index.js';
import { learnerEnvironment } from '../dashboard/learner-environment.js';

const socketPath = process.env.WORKSHOP_AGENT_SOCKET ?? AGENT_SOCKET;
const homeDir = process.env.HOME ?? os.homedir();
const log = {
  info: (obj: object, msg: string) => console.log(JSON.stringify({ level: 'info', msg, ...obj })),
  warn: (obj: object, msg: string) => console.log(JSON.stringify({ level: 'warn', msg, ...obj })),
};

const env = learnerEnvironment(process.env);
delete env.WORKSHOP_AGENT_SOCKET;
const agent = createLocalAgent({ homeDir, env, shell: process.env.SHELL ?? '/bin/bash', log });
const server = await serveAgent(agent, socketPath, log);
log.info({ socket: socketPath, home: homeDir, uid: process.getuid?.() }, 'session agent ready');

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void Promise.all([agent.close(), server.close()]).finally(() => process.exit(0));
  });
}
