/**
 * The tools the lean bundle (dist/bundle/image-tools.cjs) holds: they work on a
 * drive's blocks, not its files, and are timed against qemu-img and qemu-nbd, whose
 * start-up is ~10 ms. No imports: the launcher (guestkit.ts) reads these names,
 * and anything it imports is in every run's start-up.
 */
export const IMAGE_TOOL_NAMES = ['info', 'copy', 'serve'] as const;

export type ImageToolName = (typeof IMAGE_TOOL_NAMES)[number];

/** Whether `name` (the command line's first word) is one of the lean bundle's tools. */
export function isImageTool(name: string | undefined): name is ImageToolName {
  return (IMAGE_TOOL_NAMES as readonly string[]).includes(name ?? '');
}
