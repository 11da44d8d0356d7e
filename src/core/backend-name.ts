/** The backend a caller asks for: a name, or 'auto'. */
import type { BackendName } from '../backend/backend.js';
import { GuestkitError } from '../errors/index.js';

/** `requested`, else $GUESTKIT_BACKEND, else 'auto'; anything else is refused. */
export function resolveBackendName(requested?: string): BackendName | 'auto' {
  const name = requested ?? process.env.GUESTKIT_BACKEND ?? 'auto';
  if (name === 'auto' || name === 'wasm' || name === 'appliance') return name;
  throw new GuestkitError('EINVAL', `unknown backend '${name}' (expected auto, wasm or appliance)`);
}
