/**
 * The tools' progress display on a fake terminal: drawn only on a TTY, at most
 * once per interval (the last step always), never wider than the terminal,
 * redrawn on resize, erased by interrupt() and end(); -q and non-terminals get
 * nothing; --machine-readable gets "POS/TOTAL" lines.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { barText, progressBar } from '../../../../tools/common/progress-bar.js';

class FakeTerminal extends EventEmitter {
  out = '';
  constructor(
    public isTTY: boolean,
    public columns: number,
  ) {
    super();
  }
  write(s: string): boolean {
    this.out += s;
    return true;
  }
}

const asStream = (t: FakeTerminal) => t as unknown as NodeJS.WriteStream;
/** The frames drawn: each starts with \r and ends with "erase to end of line". */
const frames = (out: string) => out.split('\r').filter((f) => f.length > 0);

describe('barText', () => {
  it('fits the terminal (one column spare) and shows the percentage', () => {
    for (const cols of [32, 80, 200]) {
      const t = barText(50, 100, cols, 0, 1000, false);
      expect(t.length).toBe(cols - 1);
      expect(t).toMatch(/^\/ 50% \[#+-+\] --:--$/);
    }
    expect(barText(100, 100, 40, 3, 5000, false)).toMatch(/^ 100% \[#+\] 00:00$/);
  });

  it('a narrow terminal gets the percentage only; an unknown total pulses', () => {
    expect(barText(1, 4, 20, 1, 0, false)).toBe('- 25%');
    expect(barText(0, 0, 40, 0, 0, false)).toMatch(/^\/ --- \[#{4}-+\] --:--$/);
  });

  it('estimates the time left after 3 s', () => {
    expect(barText(25, 100, 60, 0, 10_000, false)).toMatch(/ 00:30$/);
  });
});

describe('progressBar', () => {
  it('redraws at most once per interval, always the last step, and erases itself at the end', () => {
    let now = 0;
    const term = new FakeTerminal(true, 60);
    const bar = progressBar({ terminal: asStream(term), now: () => now });
    bar.update(0, 1000);
    for (let i = 1; i < 10; i++) {
      now += 10;
      bar.update(i * 10, 1000);
    }
    expect(frames(term.out)).toHaveLength(1);
    now += 100;
    bar.update(500, 1000);
    bar.update(1000, 1000);
    const drawn = frames(term.out);
    expect(drawn).toHaveLength(3);
    expect(drawn.every((f) => f.endsWith('\x1b[K'))).toBe(true);
    expect(drawn[2]).toMatch(/^ 100% /);
    bar.end();
    expect(term.out.endsWith('\r\x1b[K')).toBe(true);
    const before = term.out;
    bar.end();
    bar.update(5, 10);
    expect(term.out).toBe(before);
  });

  it('redraws at the new width when the terminal is resized, and stops listening at the end', () => {
    const term = new FakeTerminal(true, 80);
    const bar = progressBar({ terminal: asStream(term) });
    bar.update(1, 2);
    term.columns = 40;
    term.emit('resize');
    const last = frames(term.out).at(-1)!.replace('\x1b[K', '');
    expect(last.length).toBe(39);
    bar.end();
    expect(term.listenerCount('resize')).toBe(0);
  });

  it('interrupt() erases the bar so a message line starts clean; the next update draws again', () => {
    let now = 0;
    const term = new FakeTerminal(true, 60);
    const bar = progressBar({ terminal: asStream(term), now: () => now });
    bar.update(1, 10);
    bar.interrupt();
    expect(term.out.endsWith('\r\x1b[K')).toBe(true);
    now += 1;
    bar.update(2, 10);
    expect(frames(term.out).at(-1)).toMatch(/20%/);
    bar.end();
  });

  it('writes nothing when the stream is not a terminal, or with quiet', () => {
    for (const opts of [{ terminal: new FakeTerminal(false, 80) }, { terminal: new FakeTerminal(true, 80), quiet: true }]) {
      const bar = progressBar({ ...opts, terminal: asStream(opts.terminal) });
      bar.update(1, 2);
      bar.interrupt();
      bar.update(2, 2);
      bar.end();
      expect(opts.terminal.out).toBe('');
    }
  });

  it('--machine-readable: POS/TOTAL lines, one per whole percent, the last one always', () => {
    const lines: string[] = [];
    const term = new FakeTerminal(true, 80);
    const bar = progressBar({ machineReadable: true, machineOut: (l) => lines.push(l), terminal: asStream(term) });
    for (let i = 0; i <= 1000; i++) bar.update(i * 7, 7000);
    bar.end();
    expect(lines).toHaveLength(101);
    expect(lines[0]).toBe('0/7000\n');
    expect(lines.at(-1)).toBe('7000/7000\n');
    expect(term.out).toBe('');
    const cut: string[] = [];
    const partial = progressBar({ machineReadable: true, machineOut: (l) => cut.push(l) });
    partial.update(3, 10);
    partial.end();
    expect(cut).toEqual(['3/10\n', '10/10\n']);
  });
});
