/** -x: each API call on standard error as "PROG: trace: name args...", as the virt tools print libguestfs's trace. */
import type { Guestfs } from '../../src/core/guestfs.js';

export function traceCalls(g: Guestfs, prog: string): void {
  const call = g.call.bind(g);
  g.call = async (name, args, optargs) => {
    const shown = args.map((a) => (a instanceof Uint8Array ? `<${a.length} bytes>` : JSON.stringify(a)));
    process.stderr.write(`${prog}: trace: ${[name, ...shown].join(' ')}\n`);
    return call(name, args, optargs);
  };
}
