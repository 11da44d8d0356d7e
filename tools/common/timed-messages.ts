/**
 * The progress lines virt-sparsify and virt-resize print on stdout:
 * "[  12.3] Text", seconds since the tool started; -q silences them.
 */
export type MessageSink = (text: string) => void;

export function timedMessages(quiet: boolean, out: (s: string) => void = (s) => process.stdout.write(s)): MessageSink {
  const start = process.hrtime.bigint();
  return (text) => {
    if (quiet) return;
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    out(`[${secs.toFixed(1).padStart(6)}] ${text}\n`);
  };
}
