/**
 * Teardown that cannot hang a run: each step gets its own time limit, and a step that fails or overruns does not
 * stop the ones after it. A step of ours (a dashboard, a portal) that fails or overruns fails the file, named; a
 * step of a tool the test only drives (Chromium, podman) marked 'tool' is reported on stderr instead, since its slow
 * exit says nothing about the product and Jest exits after its summary anyway (jest.config.js, forceExit).
 */
type Step = [name: string, step: () => unknown, kind?: 'tool'];

export async function tearDown(steps: Step[], msEach = 30_000): Promise<void> {
  const problems: string[] = [];
  for (const [name, step, kind] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running after ${msEach / 1000} s`)), msEach);
      timer.unref();
    });
    try {
      await Promise.race([Promise.resolve().then(step), overrun]);
    } catch (error) {
      const problem = `${name}: ${(error as Error).message}`;
      if (kind === 'tool') process.stderr.write(`teardown (left to end with the run): ${problem}\n`);
      else problems.push(problem);
    } finally {
      clearTimeout(timer);
    }
  }
  if (problems.length) throw new Error(`teardown: ${problems.join('; ')}`);
}
