/**
 * The command table is the single source: every command a module defines is in
 * COMMANDS (a forgotten entry would be silently unused), names and aliases are
 * unique, descriptions follow one style, every example parses with the shell's own
 * tokenizer and converter and names its command, and the README's command index is
 * what scripts/command-index.ts generates from the table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/api/commands.js';
import { convertArgs } from '../src/shell/convert.js';
import { commandHelp } from '../src/shell/help.js';
import { splitCommands, tokenize } from '../src/shell/tokenize.js';
import { commandFamilies, README, renderCommandIndex, withIndex } from '../scripts/command-index.js';

describe('the command table', () => {
  it('lists every command the src/api modules define, and nothing else', async () => {
    const defined = (await commandFamilies()).flatMap((f) => f.commands.map((c) => c.name)).sort();
    const listed = COMMANDS.map((c) => c.name).sort();
    expect(listed).toEqual(defined);
  });

  it('has unique names and aliases', () => {
    const names = COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    // libguestfs's few upper-case suffixes are flags (resize2fs-M, mkswap-L, mke2fs-JL).
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+|-[A-Z]{1,2})*$/);
  });

  it('describes each command in guestfish style: short description lower-case, no trailing period; a long description', () => {
    const bad = COMMANDS.filter((c) => !/^[a-z0-9]/.test(c.shortdesc) || /\.\s*$/.test(c.shortdesc) || c.longdesc.trim().length < 10);
    expect(bad.map((c) => c.name)).toEqual([]);
  });

  it('names existing commands as the replacements of deprecated ones (or libguestfs calls it has not)', () => {
    // libguestfs names these two, which guestkit does not have.
    const elsewhere = new Set(['internal-get-console-socket', 'selinux-relabel']);
    const bad = COMMANDS.filter((c) => typeof c.deprecatedBy === 'string' && !COMMANDS.some((d) => d.name === c.deprecatedBy) && !elsewhere.has(c.deprecatedBy));
    expect(bad.map((c) => `${c.name} -> ${c.deprecatedBy}`)).toEqual([]);
    // help CMD words the note as guestfish 1.48 does (captured from `guestfish help get-direct`).
    expect(commandHelp('get-direct')).toContain([
      '    *This function is deprecated.* In new code, use the',
      '    "internal-get-console-socket" call instead.',
      '',
      '    Deprecated functions will not be removed from the API, but the fact that',
      '    they are deprecated indicates that there are problems with correct use',
      '    of these functions.',
      '',
    ].join('\n'));
    expect(commandHelp('blockdev-setbsz')).toContain('    *This function is deprecated.* There is no replacement. Consult the API\n    documentation in guestfs(3) for further information.\n');
    // The note is rendered from the field, never written into the description as well.
    expect(COMMANDS.filter((c) => /deprecated/i.test(c.longdesc)).map((c) => c.name)).toEqual([]);
  });

  it('has examples that parse with the shell and convert to the command\'s arguments', () => {
    const problems: string[] = [];
    for (const c of COMMANDS) {
      for (const ex of c.examples ?? []) {
        try {
          for (const words of splitCommands(tokenize(ex))) {
            const [head, ...rest] = words;
            const name = head!.text.replace(/^-/, '');
            const def = COMMANDS.find((d) => d.name === name || d.aliases?.includes(name));
            if (!def) throw new Error(`unknown command ${name}`);
            // Key arguments are read apart from the words (stdin or the terminal), as guestfish does.
            convertArgs(def, rest, () => 'passphrase');
          }
          if (!ex.split(/\s+/).some((w) => w === c.name || c.aliases?.includes(w))) throw new Error('does not name the command');
        } catch (e) {
          problems.push(`${c.name}: ${JSON.stringify(ex)}: ${(e as Error).message.trim()}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('is what the README\'s command index says (npx tsx scripts/command-index.ts --write regenerates it)', async () => {
    const readme = readFileSync(README, 'utf8');
    expect(withIndex(readme, renderCommandIndex(await commandFamilies()))).toBe(readme);
  });
});
