/**
 * `--context <name>` on every command that talks to a cluster (those with `--kubeconfig`): the kubeconfig context
 * to use instead of the current one, as with kubectl. It is set before the command's action runs, so every
 * connect() of that run uses it.
 */
import type { Command } from 'commander';

import { useContext } from '../kube.js';

export function addContextOptions(program: Command): void {
  const visit = (command: Command) => {
    if (command.options.some((o) => o.long === '--kubeconfig') && !command.options.some((o) => o.long === '--context')) {
      command.option('--context <name>', 'kubeconfig context to use (default: its current context)');
    }
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
  program.hook('preAction', (_program, action) => {
    useContext((action.opts() as { context?: string }).context);
  });
}
