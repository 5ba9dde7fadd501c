/**
 * The local loop's waiting page (src/cli/dev-front-door.ts waitingPage): polls the front door's /healthz and marks
 * the steps; opens the dashboard as soon as it answers; says why when starting it fails, and that the command is
 * gone when nothing answers three times in a row. The number of failures shown as "stuck" comes from the page
 * (data-stuck-after on #door).
 */

/** What the front door's /healthz answers while the dashboard is not up (dev-front-door.ts). */
interface DoorHealth {
  readonly status: 'waiting' | 'starting' | 'failed' | 'ended';
  readonly session?: string;
  readonly error?: string;
  readonly failures?: number;
  readonly retryAt?: string;
}

type Step = 'session' | 'dashboard';

/** Text for innerHTML: every character that could start markup or end an attribute as a numeric reference. */
const text = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function watch(door: HTMLElement): void {
  const problem = document.getElementById('problem') as HTMLElement;
  const title = document.getElementById('title') as HTMLElement;
  const steps: Record<Step, HTMLElement | null> = {
    session: document.querySelector<HTMLElement>('[data-step=session]'),
    dashboard: document.querySelector<HTMLElement>('[data-step=dashboard]'),
  };
  const stuckAfter = Number(door.dataset.stuckAfter ?? '3');
  let unreachable = 0;
  const set = (step: Step, state: string): void => {
    const element = steps[step];
    if (element) element.className = `step ${state}`;
  };
  const say = (markup: string): void => {
    problem.hidden = !markup;
    problem.innerHTML = markup;
  };
  const poll = async (): Promise<void> => {
    let next = 150;
    try {
      const response = await fetch('/healthz', { cache: 'no-store' });
      if (response.ok) {
        location.reload();
        return;
      }
      unreachable = 0;
      const health = (await response.json()) as DoorHealth;
      if (health.status === 'ended') {
        location.reload();
        return;
      }
      door.dataset.state = health.status;
      if (health.status === 'waiting') {
        set('session', 'current');
        set('dashboard', 'todo');
        say('');
      } else if (health.status === 'starting') {
        set('session', 'done');
        set('dashboard', 'current');
        say('');
      } else if (health.status === 'failed') {
        set('session', 'done');
        const failures = health.failures ?? 0;
        const stuck = failures >= stuckAfter;
        set('dashboard', stuck ? 'failed' : 'current');
        if (stuck) title.textContent = 'Your session\u2019s dashboard did not start';
        const retry = health.retryAt ? Math.max(0, Math.round((Date.parse(health.retryAt) - Date.now()) / 1000)) : 0;
        say(
          `<p><strong>Starting the dashboard of ${text(health.session)} failed${failures > 1 ? ` ${failures} times in a row` : ''}:</strong></p>` +
            `<p><code>${text(health.error)}</code></p>` +
            `<p>${stuck ? 'This needs the developer: fix it (the command\u2019s output says the same), and this page opens the dashboard once it starts. ' : ''}` +
            `The command tries again${retry ? ` in ${retry} s` : ' now'}.</p>`,
        );
        next = 1000;
      }
    } catch {
      unreachable += 1;
      if (unreachable >= 3) {
        door.dataset.state = 'unreachable';
        set('dashboard', 'failed');
        title.textContent = 'The local dashboard command is not running';
        say(
          '<p><code>workshops sessions dashboard</code> does not answer on this port any more. Start it again; this page opens the dashboard once it is up.</p>',
        );
      }
      next = 1000;
    }
    setTimeout(() => void poll(), next);
  };
  void poll();
}

const door = document.getElementById('door');
if (door) watch(door);
