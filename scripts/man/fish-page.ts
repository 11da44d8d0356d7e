/**
 * guestkit-fish(1)'s command sections: every command of the table (synopsis with
 * its arguments and opt:value optional arguments, description, what it returns,
 * the backends that serve it, aliases, examples) and the shell's own commands.
 * Everything comes from the records; `help CMD` reads the same records.
 */
import type { CommandDef } from '../../src/api/types.js';
import type { FishCommand } from '../../src/shell/fish-commands.js';
import { backendsOf, deprecationNote } from '../../src/shell/help.js';
import { synopsis } from '../../src/shell/synopsis.js';
import { bold, esc, literal, paragraphs, section } from './roff.js';

/** What a command prints, by return kind (as the fish shell prints it: src/shell/print-result.ts). */
export function returnText(def: CommandDef): string {
  const fields = def.fields?.length ? ` (${def.fields.join(', ')})` : '';
  switch (def.ret) {
    case 'void': return 'Nothing; an error ends a script.';
    case 'string': return 'A string, printed on one line.';
    case 'strings': return 'A list of strings, one per line.';
    case 'bool': return 'true or false.';
    case 'int':
    case 'int64': return def.fishOutput === 'hex' ? 'An integer, printed in hexadecimal (0x...).' : 'An integer.';
    case 'buffer': return 'Bytes, written as they are.';
    case 'struct': return `A structure, one "field: value" line per field${fields}.`;
    case 'structs': return `A list of structures, each printed as "[N] = { field: value ... }"${fields}.`;
    case 'hash': return 'A table, one "key: value" line per entry.';
  }
}

function commandEntry(def: CommandDef): string[] {
  const lines = [`.SS ${esc(def.name)}`, ...literal([synopsis(def)]), '.PP', ...paragraphs(def.longdesc)];
  if (def.aliases?.length) lines.push('.PP', `Aliases: ${def.aliases.map(bold).join(', ')}.`);
  for (const p of deprecationNote(def)) lines.push('.PP', esc(p));
  lines.push('.PP', `Returns: ${esc(returnText(def))}`);
  lines.push('.PP', def.phase === 'config'
    ? 'Backends: any; a handle setting, used before launch.'
    : `Backends: ${esc(backendsOf(def))}.`);
  if (def.examples?.length) lines.push('.PP', 'Example:', ...literal(def.examples));
  return lines;
}

function fishEntry(f: FishCommand): string[] {
  const lines = [`.SS ${esc(f.name)}`, ...literal([f.usage]), '.PP', esc(f.shortdesc) + '.', '.PP', ...paragraphs(f.longdesc)];
  if (f.aliases?.length) lines.push('.PP', `Aliases: ${f.aliases.map(bold).join(', ')}.`);
  return lines;
}

export function fishCommandSections(commands: readonly CommandDef[], fishCommands: readonly FishCommand[]): string[] {
  const byName = <T extends { name: string }>(list: readonly T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
  return [
    section('COMMANDS'),
    ...paragraphs(`${commands.length} commands, each also a library method (camelCase). Required arguments come
first; optional arguments follow as name:value words. A command only the appliance backend implements
answers "not supported by the wasm backend" there.`),
    ...byName(commands).flatMap(commandEntry),
    section('SHELL COMMANDS'),
    ...paragraphs('Commands of the shell itself: they act on the shell, the host or several commands at once.'),
    ...byName(fishCommands).flatMap(fishEntry),
  ];
}
