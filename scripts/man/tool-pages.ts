/**
 * guestkit(1) and guestkit-TOOL(1), from each tool's commander definition
 * (tools/common/tool-specs.ts): synopsis, description, every visible option with
 * its help, the examples of its --help, exit status and the peer tools' pages.
 */
import type { OptionSpec, ToolSpec } from '../../tools/common/tool-specs.js';
import { bold, esc, header, italic, literal, paragraphs, section, tagged } from './roff.js';

const MANUAL = 'guestkit manual';

/** --help's after-text split into notes and the example command lines. */
export function splitAfterHelp(text: string): { notes: string; examples: string[] } {
  const notes: string[] = [];
  const examples: string[] = [];
  let inExamples = false;
  for (const line of text.split('\n')) {
    if (/^Examples?:\s*$/.test(line)) inExamples = true;
    else if (inExamples && /^\s+\S/.test(line)) examples.push(line.trim());
    else {
      inExamples = false;
      notes.push(line);
    }
  }
  return { notes: notes.join('\n').trim(), examples };
}

/** The programs a tool stands in for, named in parentheses in its description: "(virt-cat)". */
export function peerPages(description: string): string[] {
  const peers: string[] = [];
  for (const group of description.matchAll(/\(([^()]*)\)/g)) {
    for (const item of group[1]!.split(',')) {
      const word = item.trim().replace(/^like\s+/, '').split(/\s+/)[0]!;
      if (/^(virt-[a-z-]+|guestfish|qemu-[a-z-]+|nbd[a-z]+|libguestfs-test-tool)$/.test(word) && !peers.includes(word)) peers.push(word);
    }
  }
  return peers;
}

function optionItem(o: OptionSpec): string[] {
  const names = o.names.map(bold).join(', ');
  const value = o.valueName === undefined ? '' : o.valueOptional ? `[=${italic(o.valueName)}]` : ` ${italic(o.valueName)}`;
  return tagged(names + value, paragraphs(o.help || 'see the description.'));
}

const seeAlso = (pages: string[]): string[] => [section('SEE ALSO'), pages.map((p) => `${bold(p.replace(/\(\d\)$/, ''))}(${/\((\d)\)$/.exec(p)?.[1] ?? '1'})`).join(',\n')];

/** guestkit-TOOL(1); `extra` are sections added before EXIT STATUS (guestkit-fish's commands). */
export function toolPage(tool: ToolSpec, version: string, extra: string[] = []): string {
  const page = `guestkit-${tool.name}`;
  const { notes, examples } = splitAfterHelp(tool.afterHelp);
  const lines = [
    ...header(page, 1, version, MANUAL),
    section('NAME'), `${esc(page)} \\- ${esc(tool.description)}`,
    section('SYNOPSIS'), `${bold(`guestkit ${tool.name}`)} ${esc(tool.usage)}`,
    section('DESCRIPTION'), ...paragraphs(`${tool.description[0]!.toUpperCase()}${tool.description.slice(1)}.`),
  ];
  if (notes) lines.push('.PP', ...paragraphs(notes));
  if (tool.arguments.length) {
    lines.push(section('ARGUMENTS'));
    for (const a of tool.arguments) lines.push(...tagged(italic(a.name) + (a.variadic ? ' ...' : ''), paragraphs(a.help || a.name)));
  }
  lines.push(section('OPTIONS'));
  for (const o of tool.options) lines.push(...optionItem(o));
  if (tool.subcommands.length) {
    lines.push(section('COMMANDS'));
    for (const sub of tool.subcommands) {
      lines.push(...tagged(`${bold(`guestkit ${tool.name} ${sub.name}`)} ${esc(sub.usage)}`, paragraphs(sub.description)));
      for (const o of sub.options) lines.push('.RS 4', ...optionItem(o), '.RE');
    }
  }
  lines.push(...extra);
  if (examples.length) lines.push(section('EXAMPLES'), ...examples.flatMap((e) => literal([e])));
  lines.push(
    section('EXIT STATUS'),
    ...paragraphs(`0 when the tool succeeded; 1 when it failed, with the reason as one line on standard error
("guestkit ${tool.name}: error: ...").`),
    ...seeAlso(['guestkit', ...peerPages(tool.description)]),
  );
  return lines.join('\n') + '\n';
}

/** guestkit(1): the program and its tools. */
export function programPage(description: string, tools: ToolSpec[], version: string): string {
  const lines = [
    ...header('guestkit', 1, version, MANUAL),
    section('NAME'), `guestkit \\- ${esc(description)}`,
    section('SYNOPSIS'), `${bold('guestkit')} ${italic('tool')} [${italic('options')}] [${italic('arguments')}]`,
    '.br', `${bold('guestkit --version')}`,
    section('DESCRIPTION'),
    ...paragraphs(`guestkit ${description}. Each tool is a libguestfs tool (virt-cat, guestfish, ...) with the same
options and output; guestkit TOOL --help and guestkit-TOOL(1) describe each.`),
    section('TOOLS'),
  ];
  for (const t of tools) lines.push(...tagged(bold(t.name), paragraphs(t.description)));
  lines.push(
    section('OPTIONS'),
    ...tagged(`${bold('-V')}, ${bold('--version')}`, paragraphs('print the version and exit.')),
    ...tagged(`${bold('-h')}, ${bold('--help')}`, paragraphs('list the tools.')),
    section('ENVIRONMENT'),
    ...tagged(bold('GUESTKIT_BACKEND'), paragraphs('auto (the default), wasm or appliance: the backend tools use when --backend is not given.')),
    ...seeAlso(tools.map((t) => `guestkit-${t.name}`)),
  );
  return lines.join('\n') + '\n';
}
