/** guestkit: inspect and edit virtual-machine disk images without mounting them. */
export { Guestfs, type GuestfsOptions } from './core/guestfs.js';
export { COMMANDS, findCommand } from './api/commands.js';
export type { CommandDef, ArgDef, OptArgDef, RetKind } from './api/types.js';
export { GuestkitError, NotSupportedError, ImageError, NbdError, StateError, ErrnoError, formatError, type GuestkitCode } from './errors/index.js';
export { causeChain } from './errors/error-record.js';
export type { BlockDevice, Extent } from './block/block-device.js';
export type { Backend, DriveConfig } from './backend/backend.js';
export { FishRemoteClient } from './shell/remote/client.js';
