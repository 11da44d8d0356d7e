/**
 * The guestfish shell over the command table: runs one command (a word list),
 * a script, or commands chained with ':' on the command line. A leading '-' on a
 * command name ignores its error; otherwise the first error stops the run.
 */
import { findCommand } from '../api/commands.js';
import type { Guestfs } from '../core/guestfs.js';
import { formatError } from '../errors/index.js';
import { convertArgs } from './convert.js';
import { commandHelp, helpIntro, helpList } from './help.js';
import { formatResult } from './print-result.js';
import { ParseError, tokenize, type Word } from './tokenize.js';

export interface FishIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export class QuitSignal extends Error {}

export class FishShell {
  /** Set by -x: echo each command to stderr before running it. */
  trace = false;
  constructor(readonly g: Guestfs, readonly io: FishIo) {}

  private write(s: string | Uint8Array): Promise<void> {
    if (s.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.io.out.write(s)) resolve();
      else this.io.out.once('drain', () => resolve());
    });
  }

  private error(command: string, e: unknown): void {
    const msg = formatError(e);
    this.io.err.write(`guestkit: error: ${msg.startsWith(command + ':') ? msg : `${command}: ${msg}`}\n`);
  }

  /** Runs one command; returns false when it failed (and was not ignored). */
  async runWords(words: Word[]): Promise<boolean> {
    if (words.length === 0) return true;
    let name = words[0]!.text;
    const args = words.slice(1);
    let ignoreErrors = false;
    if (name.startsWith('-') && name.length > 1) {
      ignoreErrors = true;
      name = name.slice(1);
    }
    if (this.trace) this.io.err.write(`${[name, ...args.map((a) => a.text)].join(' ')}\n`);
    try {
      await this.dispatch(name, args);
      return true;
    } catch (e) {
      if (e instanceof QuitSignal) throw e;
      this.error(name, e);
      return ignoreErrors;
    }
  }

  private async dispatch(name: string, args: Word[]): Promise<void> {
    switch (name) {
      case 'echo':
        await this.write(args.map((a) => a.text).join(' ') + '\n');
        return;
      case 'help':
        if (args.length === 0) await this.write(helpIntro());
        else if (args[0]!.text === '-l' || args[0]!.text === '--list') await this.write(helpList());
        else {
          const text = commandHelp(args[0]!.text);
          if (!text) throw new Error(`${args[0]!.text}: command not known, use -h to list all commands`);
          await this.write(text);
        }
        return;
      case 'quit':
      case 'exit':
      case 'q':
        throw new QuitSignal();
    }
    const def = findCommand(name);
    if (!def) throw new Error(`${name}: unknown command`);
    const { args: typed, optargs } = convertArgs(def, args);
    const result = await this.g.call(def.name, typed, optargs);
    await this.write(formatResult(def, result));
  }

  /** Runs a script (one command per line). Returns the exit status. */
  async runScript(text: string): Promise<number> {
    const lines = text.split('\n');
    for (const [i, raw] of lines.entries()) {
      let words: Word[];
      try {
        words = tokenize(raw);
      } catch (e) {
        this.io.err.write(`guestkit: line ${i + 1}: ${(e as ParseError).message}\n`);
        return 1;
      }
      try {
        if (!(await this.runWords(words))) return 1;
      } catch (e) {
        if (e instanceof QuitSignal) return 0;
        throw e;
      }
    }
    return 0;
  }

  /** Runs commands already split (command-line ':' chains). */
  async runCommands(commands: Word[][]): Promise<number> {
    for (const c of commands) {
      try {
        if (!(await this.runWords(c))) return 1;
      } catch (e) {
        if (e instanceof QuitSignal) return 0;
        throw e;
      }
    }
    return 0;
  }
}

export { tokenize };
