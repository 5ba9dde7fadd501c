import { Duration } from 'cdk8s';
import { Budget, Terminal, TrainingPortal, Workshop, WorkshopApp } from 'cdk8s-workshops';

/**
 * The workshop and the training portal that lists it. main.ts synthesizes this app into dist/; the test
 * synthesizes it in memory and checks the result.
 */
export function defineApp(app: WorkshopApp = new WorkshopApp()): WorkshopApp {
  const workshop = new Workshop(app, '{{name}}', {
    title: '{{title}}',
    description: 'A hands-on workshop: instructions beside a terminal in a namespace of your own.',
    duration: Duration.minutes(30),
    budget: Budget.SMALL,
    capabilities: [new Terminal()],
  });

  // While writing the workshop: one session at a time, kept for two hours (Educates' authoring advice).
  const portal = new TrainingPortal(app, 'dev', { title: '{{title}} (development)', maximumSessions: 5 });
  portal.addWorkshop(workshop, { capacity: 5, reserved: 0, expires: Duration.minutes(120) });
  return app;
}
