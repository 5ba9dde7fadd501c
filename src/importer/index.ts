/**
 * The Educates importer: Educates `Workshop` and `TrainingPortal` resources in, a TypeScript module that builds the
 * equivalent with cdk8s-workshops out, with everything that could not be carried over listed.
 */
import { identifierFor } from './code.js';
import { emitModule } from './emit.js';
import { defaultPortal, mapPortal } from './map-portal.js';
import { DEFAULT_IMAGE_REPOSITORY, mapWorkshop } from './map-workshop.js';
import type { PortalModel, WorkshopModel } from './model.js';
import { type EducatesResource, parseResources } from './parse.js';
import { inDocumentOrder, Report } from './report.js';
import type { ImportOptions, ImportResult } from './types.js';

export { EDUCATES_API_VERSION } from './parse.js';
export type { ImportOptions, ImportResult, UnsupportedField } from './types.js';

/**
 * Turns Educates resources into a cdk8s-workshops module. Deterministic: the same input gives the same text.
 * Throws an Error naming the document, field and value when the input is not Educates YAML.
 */
export function importEducates(options: ImportOptions): ImportResult {
  const resources: EducatesResource[] = [
    ...parseResources(options.workshopYaml, 'workshopYaml'),
    ...(options.portalYaml !== undefined ? parseResources(options.portalYaml, 'portalYaml') : []),
  ];
  const workshopResources = resources.filter((r) => r.kind === 'Workshop');
  if (!workshopResources.length)
    throw new Error('workshopYaml: no Workshop resource found (kind: Workshop, apiVersion: training.educates.dev/v1beta1)');
  const names = new Set<string>();
  for (const resource of resources) {
    if (names.has(resource.label)) throw new Error(`${resource.label} appears twice in the input`);
    names.add(resource.label);
  }

  const portalResources = resources.filter((r) => r.kind === 'TrainingPortal');
  let built = build(workshopResources, portalResources, DEFAULT_IMAGE_REPOSITORY);
  // content published to $(image_repository) is filled in with the portal's registry when it has its own
  const repositories = [...new Set(built.portals.map((p) => p.props.imageRepository))];
  if (repositories.length === 1 && typeof repositories[0] === 'string' && repositories[0] !== DEFAULT_IMAGE_REPOSITORY) {
    built = build(workshopResources, portalResources, repositories[0]);
  }
  const { workshops, portals, report } = built;
  const listed = new Set(portals.flatMap((p) => p.entries.map((e) => e.workshop)));
  const unlisted = workshops.filter((w) => !listed.has(w.variable)).map((w) => w.name);
  const unsupported = inDocumentOrder(report.entries, resources);
  const todo = report.todo;
  return { source: emitModule({ sourceName: options.sourceName, workshops, portals, unsupported, todo, unlisted }), unsupported, todo };
}

/** Maps the resources with `$(image_repository)` standing for `imageRepository`. */
function build(workshopResources: EducatesResource[], portalResources: EducatesResource[], imageRepository: string) {
  const report = new Report();
  const variables = new Set<string>();
  const variableFor = (base: string) => {
    let name = base;
    for (let n = 2; variables.has(name); n++) name = `${base}${n}`;
    variables.add(name);
    return name;
  };
  const workshops: WorkshopModel[] = workshopResources.map((resource) =>
    mapWorkshop(resource, report, variableFor(identifierFor(resource.name)), imageRepository),
  );
  const portals: PortalModel[] = portalResources.length
    ? portalResources.map((resource) =>
        mapPortal(resource, report, variableFor(portalResources.length === 1 ? 'portal' : `${identifierFor(resource.name)}Portal`), workshops),
      )
    : [defaultPortal(workshops, variableFor('portal'))];
  return { workshops, portals, report };
}
