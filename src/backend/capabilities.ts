/**
 * What each backend can do, declared in one place so that the automatic choice
 * (src/core/backend-choice.ts), the tools and the error messages ask the same
 * question the same way. Kept free of heavy imports: the chooser reads the
 * appliance's capabilities without loading the appliance code.
 */
import type { BackendName } from './backend.js';

export interface BackendCapabilities {
  readonly backend: BackendName;
  /** Filesystem types (as vfs-type names them) it mounts read-only. */
  readonly mountsReadOnly: ReadonlySet<string>;
  /** Filesystem types it mounts read-write (a subset of mountsReadOnly). */
  readonly mountsReadWrite: ReadonlySet<string>;
  /** Whether it runs guest programs (command, sh, customize --run). */
  readonly runsGuestPrograms: boolean;
  /** Whether it maps LVM LVs of every kind (thin, raid, snapshot), not only linear and striped ones. */
  readonly mapsEveryLvType: boolean;
  /** Filesystem types whose extended attributes it reads (XATTR_READ_COMMANDS). */
  readonly readsXattrs: ReadonlySet<string>;
}

/** The commands that read extended attributes: on the wasm backend only where readsXattrs says so. */
export const XATTR_READ_COMMANDS: ReadonlySet<string> = new Set(['getxattr', 'lgetxattr', 'getxattrs', 'lgetxattrs', 'lxattrlist']);

const WASM_RW = ['ext2', 'ext3', 'ext4', 'ntfs', 'vfat'];
/** Read in process but never written: a session that writes to these goes to the appliance. */
const WASM_RO_ONLY = ['xfs', 'btrfs', 'iso9660'];
/**
 * Formats no backend writes: a read-write mount of one mounts it read-only, as Linux's
 * mount(8) falls back to read-only for them, so a writable drive holding one needs no appliance.
 */
export const READ_ONLY_FORMATS: ReadonlySet<string> = new Set(['iso9660', 'squashfs']);
/** The appliance kernel's filesystem modules (appliance/modules.txt). */
const APPLIANCE_RW = ['ext2', 'ext3', 'ext4', 'vfat', 'ntfs', 'xfs', 'btrfs'];

export const CAPABILITIES: Readonly<Record<BackendName, BackendCapabilities>> = {
  wasm: {
    backend: 'wasm',
    mountsReadOnly: new Set([...WASM_RW, ...WASM_RO_ONLY]),
    mountsReadWrite: new Set(WASM_RW),
    runsGuestPrograms: false,
    mapsEveryLvType: false,
    readsXattrs: new Set(['btrfs']),
  },
  appliance: {
    backend: 'appliance',
    mountsReadOnly: new Set([...APPLIANCE_RW, 'iso9660', 'squashfs']),
    mountsReadWrite: new Set(APPLIANCE_RW),
    runsGuestPrograms: true,
    mapsEveryLvType: true,
    readsXattrs: new Set(APPLIANCE_RW),
  },
};
