/**
 * The man pages, generated from the command table and the tools' own commander
 * definitions: guestkit(1), guestkit-TOOL(1) for every tool of tools/cli.ts's
 * TOOLS, and guestkit-fish(1) with every command. `npm run build` writes them
 * to man/ (git-ignored, shipped in the npm package).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../src/api/commands.js';
import type { CommandDef } from '../src/api/types.js';
import { FISH_COMMANDS } from '../src/shell/fish-commands.js';
import { TOOLS } from '../tools/cli.js';
import { guestkitProgram } from '../tools/cli-program.js';
import { toolSpec } from '../tools/common/tool-specs.js';
import { fishCommandSections } from './man/fish-page.js';
import { programPage, toolPage } from './man/tool-pages.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const MAN_DIR = join(ROOT, 'man');

/** File name → page text. */
export async function renderManPages(): Promise<Map<string, string>> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const tools = await Promise.all(TOOLS.map(async ([, load]) => toolSpec(await load())));
  const pages = new Map<string, string>();
  pages.set('guestkit.1', programPage(guestkitProgram().description(), tools, version));
  for (const t of tools) {
    const extra = t.name === 'fish' ? fishCommandSections(COMMANDS as readonly CommandDef[], FISH_COMMANDS) : [];
    pages.set(`guestkit-${t.name}.1`, toolPage(t, version, extra));
  }
  return pages;
}

/** Writes the pages to `dir`, replacing what was there (a page of a removed tool does not linger). */
export async function writeManPages(dir = MAN_DIR): Promise<string[]> {
  const pages = await renderManPages();
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [file, text] of pages) writeFileSync(join(tmp, file), text);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return [...pages.keys()];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await writeManPages();
  console.log(`man/: ${files.length} pages written`);
}
