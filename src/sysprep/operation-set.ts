/**
 * Which operations a run performs: the defaults, or the set --enable or
 * --operations build (virt-sysprep's rules: --enable once, a plain list;
 * --operations repeatable, each name optionally prefixed with '-' to remove
 * it, 'defaults' and 'all' standing for those groups).
 */
import { ErrnoError } from '../errors/index.js';
import { OPERATIONS, findOperation } from './operations.js';
import type { SysprepOperation } from './operation.js';

export class OperationSelection {
  /** undefined: the defaults (no --enable/--operations given). */
  private names: Set<string> | undefined;

  /** --enable OPS */
  enable(list: string): void {
    if (this.names !== undefined) throw new ErrnoError('EINVAL', '--enable option can only be given once');
    if (list === '') throw new ErrnoError('EINVAL', 'you cannot pass an empty argument to --enable');
    const set = new Set<string>();
    for (const name of list.split(',')) {
      if (!findOperation(name)) throw new ErrnoError('EINVAL', `--enable: ‘${name}’ is not a known operation`);
      set.add(name);
    }
    this.names = set;
  }

  /** --operations OPS (also --operation) */
  operations(list: string): void {
    const set = this.names ?? new Set<string>();
    for (const word of list.split(',')) {
      const remove = word.startsWith('-');
      const name = remove ? word.slice(1) : word;
      if (name === '') throw new ErrnoError('EINVAL', '--operations: empty operation name');
      const group = name === 'defaults' ? OPERATIONS.filter((o) => o.enabledByDefault) : name === 'all' ? OPERATIONS : undefined;
      const members = group ? group.map((o) => o.name) : [name];
      if (!group && !findOperation(name)) throw new ErrnoError('EINVAL', `--operations: ‘${name}’ is not a known operation`);
      for (const m of members) {
        if (remove) set.delete(m);
        else set.add(m);
      }
    }
    this.names = set;
  }

  has(name: string): boolean {
    return this.names ? this.names.has(name) : findOperation(name)?.enabledByDefault === true;
  }

  /** The selected operations in run order: by `order`, then by name. */
  selected(): SysprepOperation[] {
    return OPERATIONS.filter((o) => this.has(o.name))
      .sort((a, b) => (a.order ?? 0) - (b.order ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
