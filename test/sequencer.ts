// The order test files start in: the slowest first (test/slowest.txt, from a full run on a 2-core
// machine, slowest at the top), then the rest as vitest orders them. With two workers, a slow file
// that starts last runs alone at the end; started first, it runs beside the many short ones.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const slowest = readFileSync(new URL('./slowest.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rest = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const at = slowest.indexOf(relative(file.project.config.root, file.moduleId));
      return at === -1 ? slowest.length : at;
    };
    // Array.prototype.sort is stable: files not listed keep vitest's order after the listed ones.
    return [...rest].sort((a, b) => rank(a) - rank(b));
  }
}
