/** What make-fs prints: nothing on success (as virt-make-fs), a summary under -v. */
import type { MakeFsResult } from '../../src/imgtools/make-fs.js';

export function verboseSummary(r: MakeFsResult, output: string): void {
  process.stderr.write(`${output}: ${r.size} bytes (estimate ${r.estimate}), made ${r.route}\n`);
}
