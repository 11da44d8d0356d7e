/**
 * The man pages (scripts/man-pages.ts) cover what the command table and the
 * tools define: a page per tool with every option it takes, guestkit-fish(1)
 * with every command, and groff reads each page without a warning. The tools'
 * examples parse with the tools' own option definitions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/api/commands.js';
import { FISH_COMMANDS } from '../src/shell/fish-commands.js';
import { synopsis } from '../src/shell/synopsis.js';
import { TOOLS } from '../tools/cli.js';
import { attachedOptionalValues } from '../tools/common/attached-values.js';
import { toolSpec, type ToolSpec } from '../tools/common/tool-specs.js';
import { renderManPages, writeManPages } from '../scripts/man-pages.js';
import { peerPages, splitAfterHelp } from '../scripts/man/tool-pages.js';
import { esc } from '../scripts/man/roff.js';

let pages: Map<string, string>;
let tools: [string, Command, ToolSpec][];

beforeAll(async () => {
  pages = await renderManPages();
  tools = await Promise.all(TOOLS.map(async ([name, load]) => {
    const cmd = await load();
    return [name, cmd, toolSpec(cmd)] as [string, Command, ToolSpec];
  }));
});

/** groff's warnings (-ww: all of them) on a page, '' when it has none. */
function groffWarnings(text: string): string {
  const r = spawnSync('groff', ['-ww', '-man', '-z'], { input: text, encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stderr;
}

describe('man pages', () => {
  it('has guestkit(1) and a guestkit-TOOL(1) for every tool of the CLI', () => {
    expect([...pages.keys()].sort()).toEqual(['guestkit.1', ...TOOLS.map(([n]) => `guestkit-${n}.1`)].sort());
  });

  it('groff reads every page without a warning', () => {
    for (const [file, text] of pages) expect(`${file}: ${groffWarnings(text)}`).toBe(`${file}: `);
  });

  it('documents every visible option of each tool, and names the peer tool', () => {
    for (const [name, , spec] of tools) {
      const page = pages.get(`guestkit-${name}.1`)!;
      expect(page).toContain(`.SH SYNOPSIS\n\\fB${esc(`guestkit ${name}`)}\\fR`);
      for (const o of [...spec.options, ...spec.subcommands.flatMap((s) => s.options)]) {
        for (const n of o.names) expect(page, `${name} ${n}`).toContain(`\\fB${esc(n)}\\fR`);
      }
      for (const peer of peerPages(spec.description)) expect(page).toContain(`\\fB${esc(peer)}\\fR(1)`);
    }
    expect(pages.get('guestkit-cat.1')).toContain('\\fBvirt\\-cat\\fR(1)');
    expect(pages.get('guestkit-fish.1')).toContain('\\fBguestfish\\fR(1)');
  });

  it('has a section for every table command and every shell command in guestkit-fish(1)', () => {
    const page = pages.get('guestkit-fish.1')!;
    const entries = new Set([...page.matchAll(/^\.SS (.+)$/gm)].map((m) => m[1]));
    const missing = [...COMMANDS, ...FISH_COMMANDS].filter((c) => !entries.has(esc(c.name))).map((c) => c.name);
    expect(missing).toEqual([]);
    expect(entries.size).toBe(COMMANDS.length + FISH_COMMANDS.length);
    // Synopsis with opt:value arguments, return, backends, examples.
    const mkfsBtrfs = page.slice(page.indexOf('.SS mkfs\\-btrfs\n'), page.indexOf('.SS', page.indexOf('.SS mkfs\\-btrfs\n') + 4));
    expect(mkfsBtrfs).toContain(esc(synopsis(COMMANDS.find((c) => c.name === 'mkfs-btrfs')!)));
    expect(mkfsBtrfs).toContain('[label:..]');
    expect(mkfsBtrfs).toContain('Backends: appliance.');
    expect(mkfsBtrfs).toContain('Returns: Nothing');
    const cat = page.slice(page.indexOf('.SS cat\n'), page.indexOf('.SS', page.indexOf('.SS cat\n') + 4));
    expect(cat).toContain('Backends: wasm, appliance.');
    expect(cat).toContain('Example:');
    const egrep = page.slice(page.indexOf('.SS egrep\n'), page.indexOf('.SS', page.indexOf('.SS egrep\n') + 4));
    expect(egrep).toContain('In new code, use the "grep" call instead.');
  });

  it('gives every tool an example, and each parses with the tool\'s own options', async () => {
    const problems: string[] = [];
    for (const [name, , spec] of tools) {
      const { examples } = splitAfterHelp(spec.afterHelp);
      if (examples.length === 0) problems.push(`${name}: no example`);
      for (const ex of examples) {
        // The command line before a pipe, a redirection or a comment, split as a shell splits these simple lines.
        const line = ex.replace(/\s+(\||#|>|<).*$/, '');
        const words = [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
        if (words[0] !== 'guestkit' || words[1] !== name) { problems.push(`${name}: ${ex}: not a guestkit ${name} command`); continue; }
        // A fresh definition whose actions do nothing: only the parse is checked.
        const cmd = await TOOLS.find(([n]) => n === name)![1]();
        attachedOptionalValues(cmd);
        for (const c of [cmd, ...cmd.commands]) c.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} }).action(() => {});
        try {
          await cmd.parseAsync(words.slice(2), { from: 'user' });
        } catch (e) {
          problems.push(`${name}: ${ex}: ${(e as Error).message}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('writes the pages to a directory, replacing what was there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'guestkit-man-'));
    try {
      const out = join(dir, 'man');
      await writeManPages(out);
      expect(readdirSync(out).sort()).toEqual([...pages.keys()].sort());
      const r = spawnSync('man', ['-l', join(out, 'guestkit-fish.1')], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', PAGER: 'cat' } });
      if (r.error === undefined) {
        expect(r.stderr).toBe('');
        expect(r.stdout).toContain('mount-ro');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
