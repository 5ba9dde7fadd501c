import { Duration } from 'cdk8s';
import type { Construct } from 'constructs';

import { Registration, TrainingPortal } from '../src/index.js';
import { containerBuilds } from './container-builds/workshop.js';
import { helloTerminal } from './hello-terminal/workshop.js';
import { kubernetesFundamentals } from './k8s-fundamentals/workshop.js';

/** The examples: three workshops listed in one portal, `labs`. */
export function defineExamples(scope: Construct): TrainingPortal {
  const portal = new TrainingPortal(scope, 'labs', {
    title: 'cdk8s-workshops Labs',
    ingressDomain: 'workshops.127-0-0-1.test',
    maximumSessions: 200,
    registeredSessions: 1,
    registration: Registration.ANONYMOUS,
    workshopDefaults: {
      reserved: 1,
      expires: Duration.minutes(60),
      overtime: Duration.minutes(15),
      deadline: Duration.minutes(90),
      orphaned: Duration.minutes(15),
      overdue: Duration.minutes(5),
    },
  });
  portal.addWorkshop(kubernetesFundamentals(scope), { capacity: 100, initial: 5, reserved: 5 });
  portal.addWorkshop(containerBuilds(scope), { capacity: 40, reserved: 2 });
  portal.addWorkshop(helloTerminal(scope), {
    capacity: 60,
    expires: Duration.minutes(20),
    deadline: Duration.minutes(30),
    overtime: Duration.minutes(5),
  });
  return portal;
}
