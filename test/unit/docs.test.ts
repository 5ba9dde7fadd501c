/**
 * README.md is the entry point (what this is, how to start, links) and the guides live in docs/: the README stays
 * short, every guide is linked from it, every relative link in the README and the guides leads to a file of the
 * repository, and no page carries a path of one machine (a checkout's absolute path, a home directory).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// jest runs from the repository's root (as the other tests that read files assume)
const ROOT = process.cwd();
const README = 'README.md';
const GUIDES = fs
  .readdirSync(path.join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .sort()
  .map((f) => `docs/${f}`);
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** Markdown links `[text](target)` of a page, without web addresses, mail links and in-page anchors. */
function relativeLinks(file: string): string[] {
  const targets = [...read(file).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  return targets.filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'));
}

test('the README is an entry point: short, with a guides table', () => {
  const readme = read(README);
  expect(Buffer.byteLength(readme)).toBeLessThanOrEqual(12_000);
  expect(readme).toMatch(/^## Guides$/m);
});

test('every guide in docs/ is linked from the README', () => {
  const linked = new Set(relativeLinks(README).map((t) => path.normalize(t.split('#')[0])));
  expect(GUIDES.filter((guide) => !linked.has(guide))).toEqual([]);
});

test('every relative link of the README and the guides leads to a file of the repository', () => {
  const broken = [README, ...GUIDES].flatMap((file) =>
    relativeLinks(file)
      .filter((target) => !fs.existsSync(path.join(ROOT, path.dirname(file), target.split('#')[0])))
      .map((target) => `${file}: ${target}`),
  );
  expect(broken).toEqual([]);
});

test("no page carries a path of one machine (this checkout's absolute path, a home directory)", () => {
  // /home/workshop is the learner's home in the workshop pod, not a machine's
  const home = os.homedir();
  const machinePaths = [ROOT, '/work/', ...(home.length > 1 ? [home + '/'] : [])];
  const found = [README, ...GUIDES].flatMap((file) =>
    read(file)
      .split('\n')
      .flatMap((line, i) => (machinePaths.some((p) => line.includes(p)) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
  expect(found).toEqual([]);
});
