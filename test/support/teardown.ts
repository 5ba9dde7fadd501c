/**
 * Teardown that cannot hang a run: each step gets its own time limit, a step that fails or overruns does not stop
 * the ones after it, and the error names every step that did (a stuck step is otherwise only "a hook timed out").
 */
export async function tearDown(steps: Array<[name: string, step: () => unknown]>, msEach = 30_000): Promise<void> {
  const problems: string[] = [];
  for (const [name, step] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running after ${msEach / 1000} s`)), msEach);
      timer.unref();
    });
    try {
      await Promise.race([Promise.resolve().then(step), overrun]);
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (problems.length) throw new Error(`teardown: ${problems.join('; ')}`);
}
