/**
 * The guestfish shell over the command tables: runs one command (a word list),
 * lines as they arrive (a pipe, a -f file, a remote client), or commands chained
 * with ':' on the command line. A leading '-' on a command name ignores its error;
 * otherwise the first error stops a non-interactive run. Each command's output is
 * written before the next line is read, so a program can drive the shell line by line.
 */
import { findCommand } from '../api/commands.js';
import type { Guestfs } from '../core/guestfs.js';
import { formatError } from '../errors/index.js';
import { convertArgs } from './convert.js';
import { terminalKeyReader, type KeyReader } from './key-reader.js';
import { findFishCommand, type FishContext } from './fish-commands.js';
import { HostCommandFailed, hostCommandOutput, openPipe, runHostCommand } from './host-command.js';
import { formatResult } from './print-result.js';
import { ParseError, tokenize, tokenizeLine, type Word } from './tokenize.js';
import { UsageError } from './usage-error.js';

export interface FishIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export interface FishShellOptions {
  /** A fresh handle like the first one (for `reopen`). */
  newHandle?: () => Guestfs;
  /** Where Key arguments come from (default: asked on the terminal). */
  readKey?: KeyReader;
}

/**
 * Runs a command somewhere else (`--remote`): returns whether it succeeded.
 * exitOnError is false for a command written `-cmd`.
 */
export type CommandForwarder = (name: string, args: string[], exitOnError: boolean) => Promise<boolean>;

export class QuitSignal extends Error {}

/** How one line ended. */
type LineStatus = 'ok' | 'failed' | 'quit';

export class FishShell implements FishContext {
  /** Set by -x: echo each command to stderr before running it. */
  trace = false;
  /** The host directory local paths are relative to (`lcd`). */
  localDir = process.cwd();
  /** The environment host commands, editors and pagers run with (`setenv`, `unsetenv`). */
  readonly env: NodeJS.ProcessEnv = { ...process.env };
  /** Set by --pipe-error: a failed write to a `| command` fails the command. */
  pipeError = false;
  /** Set by --remote: commands run in the listening shell instead of here. */
  forward: CommandForwarder | undefined;

  /** io changes per remote call (each client's output goes back to that client) and during a `| command`. */
  constructor(public g: Guestfs, public io: FishIo, readonly options: FishShellOptions = {}) {}

  write(s: string | Uint8Array): Promise<void> {
    if (s.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // The callback fires once the chunk is handed to the OS: the output is out before the next line is read.
      this.io.out.write(s, (e) => (e ? reject(e) : resolve()));
    });
  }

  private error(command: string, e: unknown): void {
    if (e instanceof UsageError) {
      this.io.err.write(e.message);
      return;
    }
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
    if (this.forward) return (await this.forward(name, args.map((a) => a.text), !ignoreErrors)) || ignoreErrors;
    return (await this.runCommand(name, args)) || ignoreErrors;
  }

  /** Runs one command here, its error reported; returns whether it succeeded (QuitSignal passes through). */
  async runCommand(name: string, args: Word[]): Promise<boolean> {
    if (this.trace) this.io.err.write(`${[name, ...args.map((a) => a.text)].join(' ')}\n`);
    try {
      await this.dispatch(name, args);
      return true;
    } catch (e) {
      if (e instanceof QuitSignal) throw e;
      this.error(name, e);
      return false;
    }
  }

  /** Runs the command with its output going into a host command's input (`cmd | host-command`). */
  private async runPiped(words: Word[], script: string): Promise<boolean> {
    const io = this.io;
    const pipe = openPipe(this, script);
    this.io = { out: pipe.sink, err: io.err };
    let ok: boolean;
    try {
      ok = await this.runWords(words);
    } finally {
      this.io = io;
      await pipe.finish();
    }
    if (pipe.writeFailed && this.pipeError) {
      io.err.write('guestfish: write error on pipe\n');
      return false;
    }
    return ok;
  }

  /** Runs a command by name: the shell's own commands first, then the API's. */
  async dispatch(name: string, args: Word[]): Promise<void> {
    const fish = findFishCommand(name);
    if (fish) {
      const [min, max] = fish.arity;
      if (args.length < min || args.length > max) throw new UsageError(fish.arityMessage.replaceAll('NAME', name));
      await fish.run(this, args.map((a) => a.text), name);
      return;
    }
    const def = findCommand(name);
    if (!def) throw new UsageError(`${name}: unknown command\n`);
    const { args: typed, optargs } = convertArgs(def, args, this.options.readKey ?? terminalKeyReader());
    // A download to '-' writes where this command's output goes now (a remote client, a | pipe).
    this.g.stdout = this.io.out;
    const result = await this.g.call(def.name, typed, optargs);
    await this.write(formatResult(def, result));
  }

  /** Runs one line: `!cmd` on the host, `<!cmd` for the commands a host command prints, else a fish command. */
  async runLine(raw: string): Promise<LineStatus> {
    const line = raw.replace(/^\s+/, '');
    try {
      if (line.startsWith('!')) {
        await runHostCommand(this, line.slice(1));
        return 'ok';
      }
      if (line.startsWith('<!')) {
        const text = await hostCommandOutput(this, line.slice(2));
        return await this.runLines(text.split('\n'), { stopOnError: true }) === 0 ? 'ok' : 'failed';
      }
    } catch (e) {
      if (e instanceof QuitSignal) return 'quit';
      // A failing `!cmd` said why on its own stderr, as with guestfish.
      if (!(e instanceof HostCommandFailed && line.startsWith('!'))) this.error(line.startsWith('<!') ? '<!' : '!', e);
      return 'failed';
    }
    let parsed: ReturnType<typeof tokenizeLine>;
    try {
      parsed = tokenizeLine(line);
    } catch (e) {
      this.io.err.write(`guestfish: ${(e as ParseError).message}\n`);
      return 'failed';
    }
    try {
      const ok = parsed.pipe === undefined ? await this.runWords(parsed.words) : await this.runPiped(parsed.words, parsed.pipe);
      return ok ? 'ok' : 'failed';
    } catch (e) {
      if (e instanceof QuitSignal) return 'quit';
      throw e;
    }
  }

  /**
   * Runs lines as they come (an async iterable reads a pipe or file lazily).
   * Returns the exit status: 1 at the first unignored error when stopOnError, else 0.
   */
  async runLines(lines: AsyncIterable<string> | Iterable<string>, opts: { stopOnError?: boolean } = {}): Promise<number> {
    const stop = opts.stopOnError ?? true;
    let status = 0;
    for await (const raw of lines) {
      const r = await this.runLine(raw);
      if (r === 'quit') return status;
      if (r === 'failed') {
        status = 1;
        if (stop) return 1;
      }
    }
    return status;
  }

  /** Runs a script held in memory (one command per line). */
  runScript(text: string): Promise<number> {
    return this.runLines(text.split('\n'));
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

  quit(): never {
    throw new QuitSignal();
  }
}

export { tokenize };
