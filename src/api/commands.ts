/** The command table: every command guestkit has, in one list. */
import * as handle from './handle-commands.js';
import * as device from './device-commands.js';
import * as mount from './mount-commands.js';
import * as part from './partition-commands.js';
import * as lvm from './lvm-commands.js';
import * as hivex from './hivex-commands.js';
import * as augeas from './augeas-commands.js';
import * as guest from './guest-commands.js';
import * as read from './read-commands.js';
import * as write from './write-commands.js';
import * as inspect from './inspect-commands.js';
import * as deviceRead from './device-read-commands.js';
import * as partWrite from './part-write-commands.js';
import * as fsAdmin from './fs-admin-commands.js';
import * as tar from './tar-commands.js';
import * as bulk from './bulk-read-commands.js';
import * as btrfs from './btrfs-commands.js';
import { FILE_CONTENT_COMMANDS } from './file-content-commands.js';
import { FILE_MAKE_COMMANDS } from './file-make-commands.js';
import { XATTR_COMMANDS } from './xattr-commands.js';
import { MOUNTABLE_COMMANDS } from './mountable-commands.js';
import { PART_EDIT_COMMANDS } from './part-edit-commands.js';
import { FS_TUNE_COMMANDS, NTFS_BTRFS_COMMANDS } from './fs-tune-commands.js';
import { FILE_INFO_COMMANDS } from './file-info-commands.js';
import { COMPAT_COMMANDS } from './compat-commands.js';
import { FS_EXTRA_COMMANDS } from './fs-extra-commands.js';
import { COPY_RANGE_COMMANDS } from './copy-range-commands.js';
import { BTRFS_ADMIN_COMMANDS } from './btrfs-admin-commands.js';
import { XFS_COMMANDS } from './xfs-commands.js';
import { MD_LUKS_COMMANDS } from './md-luks-commands.js';
import { BLOCK_TOOL_COMMANDS } from './block-tool-commands.js';
import { LDM_COMMANDS } from './ldm-commands.js';
import * as settings from './handle-settings-commands.js';
import * as info from './appliance-info-commands.js';
import * as lvmWrite from './lvm-write-commands.js';
import * as blockdev from './blockdev-commands.js';
import * as diskImage from './disk-image-commands.js';
import type { CommandDef, MethodsOf } from './types.js';

export const COMMANDS = [
  handle.addDrive, handle.addDriveRo, handle.launch, handle.shutdown,
  device.listDevices, device.listPartitions, device.listFilesystems, device.vfsType, device.vfsLabel, device.vfsUuid,
  device.blockdevGetsize64,
  part.partGetParttype, part.partList, part.partGetName, part.partGetGptGuid, part.partGetGptType, part.partGetMbrId,
  part.partGetBootable, part.partToDev, part.partToPartnum,
  lvm.pvs, lvm.vgs, lvm.lvs, lvm.pvsFull, lvm.vgsFull, lvm.lvsFull, lvm.lvuuid, lvm.vgpvuuids,
  btrfs.btrfsSubvolumeCreate, btrfs.btrfsSubvolumeList, btrfs.btrfsSubvolumeGetDefault, btrfs.btrfsSubvolumeSetDefault,
  mount.mount, mount.mountRo, mount.umount, mount.umountAll, mount.mounts, mount.mountpoints,
  read.ls, read.ll, read.cat, read.readFile, read.head, read.headN, read.tail, read.tailN, read.statns, read.lstatns,
  read.isFile, read.isDir, read.isSymlink, read.exists, read.readlink, read.find, read.checksum, read.statvfs,
  read.download,
  write.write, write.writeAppend, write.upload, write.touch, write.mkdir, write.mkdirP, write.rm, write.rmF,
  write.rmRf, write.rmdir, write.scrubFile, write.chmod, write.chown, write.lnS, write.ln, write.cp, write.mv, write.sync,
  hivex.hivexOpen, hivex.hivexClose, hivex.hivexRoot, hivex.hivexNodeName, hivex.hivexNodeChildren,
  hivex.hivexNodeGetChild, hivex.hivexNodeParent, hivex.hivexNodeValues, hivex.hivexNodeGetValue, hivex.hivexValueKey,
  hivex.hivexValueType, hivex.hivexValueString, hivex.hivexValueUtf8, hivex.hivexValueValue, hivex.hivexNodeAddChild,
  hivex.hivexNodeDeleteChild, hivex.hivexNodeSetValue, hivex.hivexCommit,
  augeas.augInit, augeas.augClose, augeas.augGet, augeas.augSet, augeas.augSetm, augeas.augRm, augeas.augMatch,
  augeas.augLs, augeas.augInsert, augeas.augMv, augeas.augLabel, augeas.augClear, augeas.augDefvar, augeas.augDefnode,
  augeas.augLoad, augeas.augSave, augeas.augTransform,
  guest.command, guest.sh, guest.mountOptions, guest.mountVfs,
  inspect.inspectOsCommand, inspect.inspectGetRoots, inspect.inspectGetType, inspect.inspectGetDistro,
  inspect.inspectGetProductName, inspect.inspectGetProductVariant, inspect.inspectGetMajorVersion,
  inspect.inspectGetMinorVersion, inspect.inspectGetArch, inspect.inspectGetHostname, inspect.inspectGetPackageFormat,
  inspect.inspectGetPackageManagement, inspect.inspectGetFormat, inspect.inspectIsLive, inspect.inspectGetOsinfo,
  inspect.inspectGetBuildId, inspect.inspectGetMountpoints, inspect.inspectGetFilesystems, inspect.inspectGetDriveMappings,
  inspect.inspectGetWindowsSystemroot, inspect.inspectGetWindowsCurrentControlSet, inspect.inspectGetWindowsSoftwareHive,
  inspect.inspectGetWindowsSystemHive, inspect.inspectListApplications2,
  deviceRead.preadDevice, deviceRead.caseSensitivePath,
  partWrite.partInit, partWrite.partAdd, partWrite.partDisk, fsAdmin.mkfs, fsAdmin.blkid, fsAdmin.df, fsAdmin.dfH,
  guest.commandLines, guest.shLines, tar.tarIn, tar.tarOut,
  bulk.readdir, bulk.lstatnslist, bulk.readlinklist, bulk.lgetxattrs, bulk.lxattrlist,
  ...FILE_CONTENT_COMMANDS, ...FILE_MAKE_COMMANDS, ...XATTR_COMMANDS, ...MOUNTABLE_COMMANDS,
  settings.getMemsize, settings.setMemsize, settings.getSmp, settings.setSmp, settings.getAppend, settings.setAppend, settings.getHv, settings.setHv, settings.getQemu, settings.setQemu, settings.getBackend, settings.setBackend, settings.getAttachMethod, settings.setAttachMethod, settings.getBackendSettings, settings.setBackendSettings, settings.getBackendSetting, settings.setBackendSetting, settings.clearBackendSetting, settings.getCachedir, settings.setCachedir, settings.getTmpdir, settings.setTmpdir, settings.getSockdir, settings.getIdentifier, settings.setIdentifier, settings.getProgram, settings.setProgram, settings.getTrace, settings.setTrace, settings.getVerbose, settings.setVerbose, settings.getAutosync, settings.setAutosync, settings.getDirect, settings.setDirect, settings.getRecoveryProc, settings.setRecoveryProc, settings.getSelinux, settings.setSelinux, settings.getPgroup, settings.setPgroup, settings.getNetwork, settings.setNetwork, settings.getPid,
  info.version, info.pingDaemon, info.sleep, info.dmesg, info.utsname, info.dropCaches, info.modprobe, info.featureAvailable, info.available, info.availableAllGroups, info.getState, info.isConfig, info.isReady, info.isLaunching, info.isBusy,
  lvmWrite.pvcreate, lvmWrite.pvremove, lvmWrite.pvresize, lvmWrite.pvresizeSize, lvmWrite.pvchangeUuid, lvmWrite.pvchangeUuidAll, lvmWrite.vgcreate, lvmWrite.vgremove, lvmWrite.vgrename, lvmWrite.vgActivate, lvmWrite.vgActivateAll, lvmWrite.vgchangeUuid, lvmWrite.vgchangeUuidAll, lvmWrite.lvcreate, lvmWrite.lvcreateFree, lvmWrite.lvremove, lvmWrite.lvrename, lvmWrite.lvresize, lvmWrite.lvresizeFree, lvmWrite.lvmRemoveAll, lvmWrite.lvmScan, lvmWrite.vgscan, lvmWrite.lvmCanonicalLvName, lvmWrite.isLv, lvmWrite.listDmDevices, lvmWrite.vgmeta, lvmWrite.pvuuid, lvmWrite.vguuid, lvmWrite.vglvuuids,
  blockdev.blockdevGetss, blockdev.blockdevGetbsz, blockdev.blockdevSetbsz, blockdev.blockdevGetsz, blockdev.blockdevGetro, blockdev.blockdevSetro, blockdev.blockdevSetrw, blockdev.blockdevFlushbufs, blockdev.blockdevRereadpt, blockdev.blockdevSetra, blockdev.zeroDevice, blockdev.zero, blockdev.isZeroDevice, blockdev.pwriteDevice, blockdev.wipefs, blockdev.blkdiscard, blockdev.blkdiscardzeroes, blockdev.nrDevices, blockdev.deviceIndex, blockdev.isWholeDevice, blockdev.listDiskLabels,
  diskImage.diskFormat, diskImage.diskVirtualSize, diskImage.diskHasBackingFile, diskImage.diskCreate,
  ...PART_EDIT_COMMANDS, ...FS_TUNE_COMMANDS, ...NTFS_BTRFS_COMMANDS, ...FILE_INFO_COMMANDS, ...COMPAT_COMMANDS, ...FS_EXTRA_COMMANDS, ...COPY_RANGE_COMMANDS,
  ...BTRFS_ADMIN_COMMANDS, ...XFS_COMMANDS, ...MD_LUKS_COMMANDS, ...BLOCK_TOOL_COMMANDS, ...LDM_COMMANDS,
] as const;

export type CommandMethods = MethodsOf<typeof COMMANDS>;

const byName = new Map<string, CommandDef>();
for (const c of COMMANDS as readonly CommandDef[]) {
  byName.set(c.name, c);
  for (const a of c.aliases ?? []) byName.set(a, c);
}

/** Finds a command by fish name or alias (underscores accepted for dashes). */
export function findCommand(name: string): CommandDef | undefined {
  return byName.get(name.replace(/_/g, '-'));
}
