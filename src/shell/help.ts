/** `help` and `help CMD`, generated from the command table. */
import { COMMANDS, findCommand } from '../api/commands.js';
import type { CommandDef } from '../api/types.js';
import { FISH_COMMANDS, findFishCommand } from './fish-commands.js';
import { synopsis } from './synopsis.js';

function indent(text: string, by: string): string {
  return text.split('\n').map((l) => (l ? by + l : '')).join('\n');
}

/** Words filled into lines of at most `width` columns (with the indent), as guestfish's help wraps its text. */
function fill(text: string, by: string, width = 76): string[] {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && by.length + line.length + 1 + w.length > width) {
      lines.push(by + line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(by + line);
  return lines;
}

/** guestfish's note on a deprecated command, paragraphs of text. */
export function deprecationNote(def: CommandDef): string[] {
  if (def.deprecatedBy === undefined) return [];
  return [
    def.deprecatedBy === null
      ? '*This function is deprecated.* There is no replacement. Consult the API documentation in guestfs(3) for further information.'
      : `*This function is deprecated.* In new code, use the "${def.deprecatedBy}" call instead.`,
    'Deprecated functions will not be removed from the API, but the fact that they are deprecated indicates that there are problems with correct use of these functions.',
  ];
}

/** Which backends implement the command, from its record: "any" is every backend. */
export function backendsOf(def: CommandDef): string {
  if (def.impl.any) return 'wasm, appliance';
  return (['wasm', 'appliance'] as const).filter((b) => def.impl[b]).join(', ');
}

export function commandHelp(name: string): string | undefined {
  const def = findCommand(name);
  if (def) {
    const lines = [
      'NAME', `    ${def.name} - ${def.shortdesc}`, '', 'SYNOPSIS', `     ${synopsis(def)}`, '',
      'DESCRIPTION', indent(def.longdesc, '    '), '',
      ...deprecationNote(def).flatMap((p) => [...fill(p, '    '), '']),
    ];
    if (def.aliases?.length) lines.push(`    You can use '${def.aliases.join("' or '")}' as an alias for this command.`, '');
    if (def.phase !== 'config') lines.push('BACKENDS', `    ${backendsOf(def)}`, '');
    if (def.examples?.length) lines.push('EXAMPLES', ...def.examples.map((e) => `    ${e}`), '');
    return lines.join('\n');
  }
  const f = findFishCommand(name);
  if (f) {
    const lines = ['NAME', `    ${f.name} - ${f.shortdesc}`, '', 'DESCRIPTION', `     ${f.usage}`, '', indent(f.longdesc, '    '), ''];
    if (f.aliases?.length) lines.push(`    You can use '${f.aliases.join("' or '")}' as an alias for this command.`, '');
    return lines.join('\n');
  }
  return undefined;
}

export function helpList(): string {
  const all = [...(COMMANDS as readonly CommandDef[]).map((c) => [c.name, c.shortdesc] as const), ...FISH_COMMANDS.flatMap((f) => [[f.name, f.shortdesc] as const, ...(f.aliases ?? []).map((a) => [a, `alias for '${f.name}'`] as const)])]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const width = Math.max(...all.map(([n]) => n.length));
  return all.map(([n, d]) => `${n.padEnd(width)} ${d}\n`).join('');
}

export function helpIntro(): string {
  return [
    'Add disk images to examine using the -a option, then run, mount and look inside:',
    '',
    "  guestkit fish -a disk.img run : list-filesystems : mount /dev/sda1 / : ls /",
    '',
    'For a list of commands:             help -l',
    'To show help on a command:          help CMD',
    'To quit:                            quit',
    '',
  ].join('\n');
}
