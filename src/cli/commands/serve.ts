/**
 * `workshops serve`: a local preview of the instructions, with sample session values, that reloads the page on
 * every save; it runs until Ctrl-C.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { Command, InvalidArgumentError } from 'commander';

import { CliError } from '../errors.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0 picks a free one)');
  return port;
}

export function serveCommand(): Command {
  return new Command('serve')
    .summary('preview the instructions locally, reloading on save')
    .description(
      'Preview the workshop instructions in a browser, with sample values for the session variables and actions that ' +
        'respond, reloading the page on every save; stops on Ctrl-C',
    )
    .argument('[dir]', 'the workshop folder (holding workshop/content/)', '.')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort, 10081)
    .option('--host <host>', 'address to listen on (127.0.0.1: only this machine)', '127.0.0.1')
    .action(async (dir: string, options: { port: number; host: string }) => {
      const workshopDir = path.resolve(dir);
      if (!fs.existsSync(path.join(workshopDir, 'workshop', 'content'))) {
        throw new CliError(`${dir} has no workshop/content/ folder: run this in a workshop folder, or name one`);
      }
      const { loadContent, startPreview } = await import('../../content/index.js');
      let preview: Awaited<ReturnType<typeof startPreview>>;
      try {
        preview = await startPreview({ workshopDir, host: options.host, port: options.port });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE')
          throw new CliError(`port ${options.port} on ${options.host} is in use: pass --port <another>, or --port 0 for any free one`);
        if (code === 'EADDRNOTAVAIL' || code === 'EACCES') throw new CliError(`cannot listen on ${options.host}:${options.port} (${code})`);
        throw error;
      }
      // Without a workshop/content/_index.md the site has no home page: point at the first page instead.
      const { pages } = await loadContent(workshopDir);
      const first = pages.some((p) => p.path === '') || !pages.length ? '' : `${pages[0].path.split('/').map(encodeURIComponent).join('/')}/`;
      process.stdout.write(
        `previewing ${path.relative(process.cwd(), workshopDir) || '.'} at ${new URL(first, preview.url)}\n(reloads on save; Ctrl-C stops)\n`,
      );
      const signal = await new Promise<string>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      await preview.close();
      process.stderr.write(`preview stopped (${signal})\n`);
    });
}
