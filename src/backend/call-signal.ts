/**
 * The AbortSignal of the library call in progress (Guestfs.call's `signal`),
 * carried through the command's implementation to the backend without a
 * parameter on every operation. The appliance passes it to its agent call,
 * which is cancelled in the guest when it fires.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export const callSignal = new AsyncLocalStorage<AbortSignal>();
