/** What resize prints: the summary block, the closing line, --machine-readable's features. */
import type { ResizePlan } from '../../src/imgtools/resize-plan.js';

const PREFIX = 'guestkit resize: ';

/** The summary block; `info` (--machine-readable) gives the JSON line printed before each change's line. */
export function summaryText(plan: ResizePlan, info: (text: string) => string = () => ''): string {
  return `**********\n\nSummary of changes:\n\n${plan.summary.map((l) => `${info(`${l}\n`)}${PREFIX}${l}\n\n`).join('')}**********\n`;
}

export const COMPLETED_TEXT = 'Resize operation completed with no errors.  Before deleting the old disk, carefully check that the resized disk boots and works correctly.';

/** The closing lines; `info` as for summaryText. */
export function completedText(info: (text: string) => string = () => ''): string {
  return `\n${info(COMPLETED_TEXT)}${PREFIX}${COMPLETED_TEXT}\n`;
}

/** virt-resize --machine-readable: the program, then the features (the grow methods guestkit has). */
export function machineReadableFeatures(): string {
  return ['virt-resize', 'ntfsresize-force', '32bitok', '128-sector-alignment', 'alignment', 'align-first', 'infile-uri', 'ntfs', 'btrfs', 'xfs', 'f2fs'].join('\n') + '\n';
}
