/**
 * The commands a fish script will run, read before it runs so that
 * --backend=auto can choose the appliance when one of them needs it
 * (`sh`, `command`, ...). Lines that do not parse are skipped: the shell
 * reports them when it reaches them.
 */
import { splitCommands, tokenize, type Word } from '../../src/shell/tokenize.js';

function commandName(words: Word[]): string | undefined {
  const first = words[0]?.text;
  return first?.startsWith('-') ? first.slice(1) : first;
}

export function scriptCommands(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n')) {
    let words: Word[];
    try {
      words = tokenize(line);
    } catch {
      continue;
    }
    const n = commandName(words);
    if (n) names.push(n);
  }
  return names;
}

export function chainCommands(commands: Word[][]): string[] {
  return commands.map(commandName).filter((n): n is string => !!n);
}
