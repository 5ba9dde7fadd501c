/**
 * Every page's problems, for the preview's "elsewhere in the workshop" list and the flags in its table of
 * contents. A save changes one or two files, so each page's problems are remembered with the text they came
 * from and only pages whose text changed are rendered again: a reload stays fast in a workshop of hundreds of pages.
 */
import type { WorkshopContent } from '../model.js';
import { type ContentProblem, sortProblems } from '../problems.js';
import { FILE_GONE, readPageSource, renderPageSource } from '../render-page.js';

export class WorkshopProblems {
  private readonly byFile = new Map<string, { source: string; problems: ContentProblem[] }>();

  public constructor(private readonly variables: Readonly<Record<string, string>>) {}

  /** Problems of loading plus those of every page, sorted; pages whose text is unchanged are not rendered again. */
  public async of(content: WorkshopContent): Promise<ContentProblem[]> {
    const problems = [...content.problems];
    const seen = new Set<string>();
    for (const page of content.pages) {
      seen.add(page.file);
      const source = await readPageSource(content, page);
      if (source === undefined) {
        problems.push({ file: page.file, line: 1, message: FILE_GONE });
        continue;
      }
      let cached = this.byFile.get(page.file);
      if (cached?.source !== source) {
        cached = { source, problems: renderPageSource(page, source, this.variables).problems };
        this.byFile.set(page.file, cached);
      }
      problems.push(...cached.problems);
    }
    for (const file of this.byFile.keys()) if (!seen.has(file)) this.byFile.delete(file);
    return sortProblems(problems);
  }
}
