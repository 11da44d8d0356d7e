/** A command's one-line usage as guestfish prints it in help and in argument errors. */
import type { CommandDef, OptArgKind } from '../api/types.js';

function optValue(kind: OptArgKind): string {
  if (kind === 'Bool') return 'true|false';
  if (kind === 'Int' || kind === 'Int64') return 'N';
  return '..';
}

export function synopsis(def: CommandDef): string {
  return [def.name, ...def.args.filter((a) => a.kind !== 'Key').map((a) => a.name), ...(def.optargs ?? []).map((o) => `[${o.name}:${optValue(o.kind)}]`)].join(' ');
}
