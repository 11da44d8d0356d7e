/**
 * Which 32-byte entry slots of a directory are free (never used, or
 * deleted), and where each slot is on the device, so that the driver can
 * place a new file's entries without a scan per create. Slots are found the
 * way FatFs's dir_alloc() finds them: the first run of enough consecutive
 * free slots from the start of the directory. The map covers the clusters
 * the directory has; when no run fits, FatFs does the create (and grows the
 * directory), and the map is built again.
 */
export class DirSlots {
  /** Lowest slot that may be free (every slot before it is used). */
  private firstFree = 0;

  /**
   * @param free 1 per free slot
   * @param base device offset of each run of `perRun` slots (one cluster, or the whole fixed root)
   */
  constructor(private readonly free: Uint8Array, private readonly base: number[], private readonly perRun: number) {}

  offsetOf(slot: number): number {
    return this.base[Math.floor(slot / this.perRun)]! + (slot % this.perRun) * 32;
  }

  /** First slot of the first run of `n` free slots, or -1. */
  findRun(n: number): number {
    const f = this.free;
    while (this.firstFree < f.length && !f[this.firstFree]) this.firstFree++;
    let run = 0;
    for (let s = this.firstFree; s < f.length; s++) {
      run = f[s] ? run + 1 : 0;
      if (run === n) return s - n + 1;
    }
    return -1;
  }

  take(first: number, n: number): void {
    this.free.fill(0, first, first + n);
  }

  /**
   * Contiguous device ranges of slots [first, first + n): one, or more when
   * the run crosses into a cluster that does not follow on the device.
   */
  ranges(first: number, n: number): { offset: number; slots: number }[] {
    const out: { offset: number; slots: number }[] = [];
    for (let s = first; s < first + n; s++) {
      const off = this.offsetOf(s);
      const last = out[out.length - 1];
      if (last && last.offset + last.slots * 32 === off) last.slots++;
      else out.push({ offset: off, slots: 1 });
    }
    return out;
  }

  /** The map of a directory's raw bytes, read in `parts` (each a whole number of runs). */
  static of(parts: { data: Uint8Array; offset: number }[], runBytes: number): DirSlots {
    const base: number[] = [];
    let total = 0;
    for (const p of parts) {
      for (let o = 0; o < p.data.length; o += runBytes) base.push(p.offset + o);
      total += p.data.length / 32;
    }
    const free = new Uint8Array(total);
    let s = 0;
    for (const p of parts) {
      for (let o = 0; o + 32 <= p.data.length; o += 32, s++) {
        const c = p.data[o]!;
        free[s] = c === 0 || c === 0xe5 ? 1 : 0;
      }
    }
    return new DirSlots(free, base, runBytes / 32);
  }
}
