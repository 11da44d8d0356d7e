/**
 * The loader entries of the image tools (image-tool-names.ts), defined once: the
 * full CLI's TOOLS (cli.ts) and the lean bundle's entry (image-tools-cli.ts) both
 * take them from here. Nothing else is imported, so a bundle of the lean entry
 * holds these three tools and what they import, and no other tool.
 */
import type { Command } from 'commander';
import { IMAGE_TOOL_NAMES, type ImageToolName } from './image-tool-names.js';
import type { ToolEntry } from './tool-entry.js';

const LOADERS: Record<ImageToolName, () => Promise<Command>> = {
  info: async () => (await import('./info/info-tool.js')).infoCommand(),
  copy: async () => (await import('./copy/copy-tool.js')).copyCommand(),
  serve: async () => (await import('./serve/serve-tool.js')).serveCommand(),
};

export function imageTool(name: ImageToolName): ToolEntry {
  return [name, LOADERS[name]];
}

/** The lean bundle's tools, in the order of IMAGE_TOOL_NAMES. */
export const IMAGE_TOOLS: readonly ToolEntry[] = IMAGE_TOOL_NAMES.map(imageTool);
