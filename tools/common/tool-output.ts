/** Output helpers the listing tools share. */

/** Now, for --time-relative and --time-days; GUESTKIT_NOW (seconds) fixes it for reproducible output. */
export function nowSeconds(): number {
  const fixed = Number(process.env.GUESTKIT_NOW);
  return Number.isInteger(fixed) && fixed > 0 ? fixed : Math.floor(Date.now() / 1000);
}

/** Writes to stdout, waiting for it to drain when its buffer is full. */
export function writeOut(s: string | Uint8Array): Promise<void> {
  return new Promise((r) => (process.stdout.write(s) ? r() : process.stdout.once('drain', () => r())));
}

/** The listing flags virt-ls and virt-diff share, as commander parses them. */
export interface ListingFlags {
  checksum?: string | boolean;
  csv?: boolean;
  extraStats?: boolean;
  humanReadable?: boolean;
  times?: boolean;
  timeT?: boolean;
  timeRelative?: boolean;
  timeDays?: boolean;
  uids?: boolean;
}

export type TimeFormat = false | 'local' | 't' | 'relative' | 'days';

/** Which time columns the flags ask for: the most specific flag wins, as in the virt tools. */
export function timeFormat(o: ListingFlags): TimeFormat {
  return o.timeDays ? 'days' : o.timeRelative ? 'relative' : o.timeT ? 't' : o.times ? 'local' : false;
}
