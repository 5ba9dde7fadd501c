import {
  type Capability,
  Console,
  Docker,
  Editor,
  Examiner,
  FileServer,
  GitServer,
  ImageRegistry,
  isQuantity,
  Slides,
  Terminal,
  TerminalLayout,
} from '../constructs/index.js';
import { Commented, construct, lib } from './code.js';
import { Fields } from './fields.js';

/** A capability of the generated workshop: the code that makes it, and an instance for checks at import time. */
export interface MappedCapability {
  readonly code: unknown;
  readonly instance: Capability;
  /** Tab names it adds to the dashboard. */
  readonly tabs: string[];
}

export interface MappedApplications {
  readonly capabilities: MappedCapability[];
  /** True when docker-in-docker is on: the environment namespace (where the workshop pods run) must then be privileged. */
  readonly docker: boolean;
}

const LAYOUTS: Record<string, keyof typeof TerminalLayout> = {
  default: 'DEFAULT',
  split: 'SPLIT',
  'split/2': 'SPLIT_2',
  lower: 'LOWER',
  none: 'NONE',
};

const NOT_AVAILABLE: Record<string, string> = {
  webdav: 'cdk8s-workshops has no WebDAV server; the files capability (FileServer) serves downloads and uploads',
  vcluster: 'cdk8s-workshops has no virtual clusters: sessions get namespaces of a shared cluster',
  sshd: 'cdk8s-workshops has no SSH access to sessions; learners use the browser terminals',
};

/**
 * Maps `spec.session.applications` to capabilities, in a fixed order (terminal, console, editor, slides, files,
 * examiner, git, docker, registry). Educates turns the terminal and the instructions on unless told otherwise;
 * everything else is off unless `enabled: true`.
 */
export function mapApplications(applications: Fields, kubernetesAccess: boolean): MappedApplications {
  const apps = new Map<string, Fields>();
  for (const name of Object.keys(applications.value)) {
    const app = applications.child(name);
    if (app) apps.set(name, app);
  }
  const enabled = (name: string, byDefault = false): Fields | undefined => {
    const app = apps.get(name);
    const on = app ? (app.boolean('enabled') ?? byDefault) : byDefault;
    if (!on) {
      // a switched-off application does nothing in Educates either: its settings have nothing to carry
      if (app) for (const key of Object.keys(app.value)) app.take(key);
      return undefined;
    }
    return app ?? new Fields({}, applications.pathOf(name), applications.resource, applications.report);
  };
  const capabilities: MappedCapability[] = [];
  let docker = false;

  const workshop = apps.get('workshop');
  if (workshop) {
    if (workshop.boolean('enabled') === false) {
      workshop.report.unsupported(workshop.resource, workshop.pathOf('enabled'), false, 'the session dashboard always shows the instructions');
    }
    for (const key of ['renderer', 'url', 'proxy', 'path', 'layout']) {
      workshop.unsupported(key, 'the session dashboard renders the Markdown content of the workshop itself');
    }
  }

  const terminal = enabled('terminal', true);
  if (terminal) {
    const layout = terminal.string('layout');
    let props: Record<string, unknown> | undefined;
    if (layout !== undefined && layout !== 'default') {
      if (LAYOUTS[layout]) props = { layout: lib('TerminalLayout', `TerminalLayout.${LAYOUTS[layout]}`) };
      else
        terminal.report.unsupported(
          terminal.resource,
          terminal.pathOf('layout'),
          layout,
          `not a terminal layout: allowed are ${Object.keys(LAYOUTS).join(', ')}`,
        );
    }
    const instanceLayout = layout && LAYOUTS[layout] ? TerminalLayout[LAYOUTS[layout]] : undefined;
    capabilities.push({
      code: construct('Terminal', props),
      instance: new Terminal({ layout: instanceLayout }),
      tabs: instanceLayout === TerminalLayout.NONE ? [] : ['Terminal'],
    });
  }

  const console = enabled('console');
  if (console) {
    const vendor = console.string('vendor');
    console.unsupported('octant', 'the console is the Kubernetes Dashboard');
    if (!kubernetesAccess) {
      console.report.unsupported(
        console.resource,
        console.path,
        console.value,
        'the console shows the cluster as the session ServiceAccount, and security.token.enabled is false',
      );
    } else {
      if (vendor !== undefined && vendor !== 'kubernetes') {
        console.report.unsupported(console.resource, console.pathOf('vendor'), vendor, 'the console is the Kubernetes Dashboard');
      }
      capabilities.push({ code: construct('Console'), instance: new Console(), tabs: ['Console'] });
    }
  }

  if (enabled('editor')) capabilities.push({ code: construct('Editor'), instance: new Editor(), tabs: ['Editor'] });

  const slides = enabled('slides');
  if (slides) {
    for (const key of ['reveal.js', 'impress.js'])
      slides.unsupported(key, 'the dashboard serves workshop/slides as a static site: bring the presentation library with the slides');
    capabilities.push({ code: construct('Slides'), instance: new Slides(), tabs: ['Slides'] });
  }

  const files = enabled('files');
  const uploads = enabled('uploads');
  if (files || uploads) {
    const directory = files ? relativeDirectory(files, 'directory') : undefined;
    const uploadDirectory = uploads ? relativeDirectory(uploads, 'directory') : undefined;
    const props = { directory, uploads: uploads ? undefined : false, uploadDirectory };
    const code = construct('FileServer', props);
    capabilities.push({
      code: files ? code : new Commented(code, 'Educates had uploads only; the files capability also serves downloads of the home directory'),
      instance: new FileServer(props),
      tabs: ['Files'],
    });
  }

  if (enabled('examiner')) capabilities.push({ code: construct('Examiner'), instance: new Examiner(), tabs: [] });
  if (enabled('git')) capabilities.push({ code: construct('GitServer'), instance: new GitServer(), tabs: [] });

  const dockerApp = enabled('docker');
  if (dockerApp) {
    docker = true;
    const props = { memory: quantityField(dockerApp, 'memory'), storage: quantityField(dockerApp, 'storage') };
    const socket = dockerApp.child('socket');
    if (socket) {
      if (socket.boolean('enabled') === false) {
        socket.report.unsupported(
          socket.resource,
          socket.pathOf('enabled'),
          false,
          "the Docker socket is always shared with the learner's terminals",
        );
      }
      socket.finish();
    }
    dockerApp.unsupported('compose', 'cdk8s-workshops runs no docker compose services: add them to the session as Deployments');
    capabilities.push({ code: construct('Docker', props), instance: new Docker(props), tabs: [] });
  }

  const registry = enabled('registry');
  if (registry) {
    const props = { memory: quantityField(registry, 'memory'), storage: quantityField(registry, 'storage') };
    registry.unsupported('volume', "the session registry keeps its images in the pod's own storage");
    capabilities.push({ code: construct('ImageRegistry', props), instance: new ImageRegistry(props), tabs: [] });
  }

  for (const [name, app] of apps) {
    if (['workshop', 'terminal', 'console', 'editor', 'slides', 'files', 'uploads', 'examiner', 'git', 'docker', 'registry'].includes(name)) {
      app.finish();
      continue;
    }
    const on = app.boolean('enabled') ?? false;
    if (!on) {
      for (const key of Object.keys(app.value)) app.take(key);
      continue;
    }
    app.unsupportedAll(
      NOT_AVAILABLE[name] ??
        `not an application this importer knows; allowed are terminal, console, editor, slides, files, uploads, examiner, git, docker, registry`,
    );
  }
  return { capabilities, docker };
}

function quantityField(app: Fields, key: string): string | undefined {
  const value = app.string(key);
  if (value === undefined || isQuantity(value)) return value;
  app.report.unsupported(app.resource, app.pathOf(key), value, 'not a Kubernetes quantity such as 768Mi or 5Gi');
  return undefined;
}

function relativeDirectory(app: Fields, key: string): string | undefined {
  const value = app.string(key);
  if (value === undefined) return undefined;
  if (value.startsWith('/') || value.split('/').includes('..')) {
    app.report.unsupported(app.resource, app.pathOf(key), value, 'must be relative to the home directory and stay inside it');
    return undefined;
  }
  return value;
}
