/**
 * --firstboot / --firstboot-command: scripts that run once when the guest next
 * boots, installed the way virt-customize installs them so that either tool
 * can add to what the other installed.
 *
 * Linux: /usr/lib/virt-sysprep/firstboot.sh runs (then deletes) the scripts in
 * /usr/lib/virt-sysprep/scripts; a systemd unit guestfs-firstboot.service
 * (enabled in multi-user.target.wants) and sysvinit links start it.
 * Windows: C:\Program Files\Guestfs\Firstboot\firstboot.bat runs the .bat
 * scripts, started by an rhsrvany/pvvxsvc service registered in the SYSTEM hive.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ErrnoError } from '../errors/index.js';
import { DEBIAN_FAMILY, REDHAT_FAMILY, SUSE_FAMILY, type CustomizeContext } from './context.js';
import { lnSf } from './guest-files.js';
import { editHive, windowsSystem } from './hive-edit.js';

export const LINUX_FIRSTBOOT_DIR = '/usr/lib/virt-sysprep';
export const SYSTEMD_UNIT = '/usr/lib/systemd/system/guestfs-firstboot.service';
export const SYSTEMD_WANTS = '/etc/systemd/system/multi-user.target.wants';

/** Scripts installed so far in this run (their file names are numbered). */
export interface FirstbootState {
  count: number;
}

/** A script's name as a file name: [a-z0-9_] kept, the rest '-', at most 60 characters. */
export function sanitizeName(name: string): string {
  const n = name.replace(/[^a-z0-9_]/gi, '-');
  return n.length >= 60 ? n.slice(0, 60) : n;
}

function firstbootSh(dir: string): string {
  return `#!/bin/sh -

### BEGIN INIT INFO
# Provides:          virt-sysprep
# Required-Start:    $null
# Should-Start:      $all
# Required-Stop:     $null
# Should-Stop:       $all
# Default-Start:     2 3 5
# Default-Stop:      0 1 6
# Short-Description: Start scripts to run once at next boot
# Description:       Start scripts to run once at next boot
#	These scripts run the first time the guest boots,
#	and then are deleted. Output or errors from the scripts
#	are written to ~root/virt-sysprep-firstboot.log.
### END INIT INFO

d=${dir}/scripts
d_done=${dir}/scripts-done
logfile=~root/virt-sysprep-firstboot.log

echo "$0" "$@" 2>&1 | tee -a $logfile
echo "Scripts dir: $d" 2>&1 | tee -a $logfile

if test "$1" = "start"
then
  mkdir -p $d_done
  for f in $d/* ; do
    if test -x "$f"
    then
      # move the script to the 'scripts-done' directory, so it is not
      # executed again at the next boot
      mv $f $d_done
      echo '=== Running' $f '===' 2>&1 | tee -a $logfile
      $d_done/$(basename $f) 2>&1 | tee -a $logfile
    fi
  done
  rm -f $d_done/*
fi
`;
}

function systemdUnit(dir: string): string {
  return `[Unit]
Description=libguestfs firstboot service
After=network.target
Before=prefdm.service

[Service]
Type=oneshot
ExecStart=${dir}/firstboot.sh start
RemainAfterExit=yes
StandardOutput=journal+console
StandardError=inherit

[Install]
WantedBy=multi-user.target
`;
}

async function installLinuxService(ctx: CustomizeContext): Promise<void> {
  const { g, facts } = ctx;
  const dir = LINUX_FIRSTBOOT_DIR;
  await g.mkdirP(`${dir}/scripts`);
  await g.write(`${dir}/firstboot.sh`, firstbootSh(dir));
  await g.chmod(0o755, `${dir}/firstboot.sh`);
  // Both systemd and sysvinit, as virt-customize: the init system can change, and
  // each script disables itself after running, so none runs twice.
  if (await g.isDir('/etc/systemd/system')) {
    await g.mkdirP('/usr/lib/systemd/system');
    await g.write(SYSTEMD_UNIT, systemdUnit(dir));
    await g.mkdirP(SYSTEMD_WANTS);
    await lnSf(g, SYSTEMD_UNIT, SYSTEMD_WANTS);
    await g.rmF('/etc/systemd/system/default.target.wants/guestfs-firstboot.service');
  }
  if ((await g.isDir('/etc/rc.d')) || (await g.isDir('/etc/init.d'))) {
    const runner = `${dir}/firstboot.sh`;
    const { distro, majorVersion } = facts;
    if (REDHAT_FAMILY.includes(distro)) {
      for (const rl of [2, 3, 5]) {
        await g.mkdirP(`/etc/rc.d/rc${rl}.d`);
        await lnSf(g, runner, `/etc/rc.d/rc${rl}.d/S99guestfs-firstboot`);
        await g.rmF(`/etc/rc.d/rc${rl}.d/S99virt-sysprep-firstboot`);
      }
    } else if (SUSE_FAMILY.includes(distro) || DEBIAN_FAMILY.includes(distro)) {
      const suse = SUSE_FAMILY.includes(distro);
      const rcdir = (rl: number) => (suse ? `/etc/init.d/rc${rl}.d` : `/etc/rc${rl}.d`);
      const rel = suse ? '../guestfs-firstboot' : '../init.d/guestfs-firstboot';
      await g.mkdirP('/etc/init.d');
      await lnSf(g, runner, '/etc/init.d/guestfs-firstboot');
      await g.rmF('/etc/init.d/virt-sysprep-firstboot');
      for (const rl of [2, 3, 5]) {
        await g.mkdirP(rcdir(rl));
        await lnSf(g, rel, `${rcdir(rl)}/S99guestfs-firstboot`);
        await g.rmF(`${rcdir(rl)}/S99virt-sysprep-firstboot`);
      }
      if ((distro === 'debian' || distro === 'kalilinux') && majorVersion > 0 && majorVersion <= 7) {
        ctx.warning("could not finish firstboot installation by running 'update-rc.d guestfs-firstboot defaults': commands cannot be run in the guest here. The firstboot service may not run at boot.");
      }
    } else {
      throw new ErrnoError('ENOTSUP', `firstboot: guest type ${distro} is not supported (no known sysvinit layout)`);
    }
  }
}

const WIN_DIR_PARTS = ['Program Files', 'Guestfs', 'Firstboot'];

/** The host directory holding rhsrvany.exe / pvvxsvc.exe, as virt-customize looks for it. */
export function virtToolsDataDir(): string {
  return process.env.VIRT_TOOLS_DATA_DIR || '/usr/share/virt-tools';
}

/** Which service wrapper is available on the host (checked before the image is touched). */
export function findSrvany(): { name: string; file: string } {
  const dir = virtToolsDataDir();
  for (const name of ['rhsrvany.exe', 'pvvxsvc.exe']) {
    const file = path.join(dir, name);
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return { name, file };
  }
  throw new ErrnoError('ENOENT', `One of rhsrvany.exe or pvvxsvc.exe is missing in ${dir}. One of them is required in order to install Windows firstboot scripts. You can get one by building rhsrvany (https://github.com/rwmjones/rhsrvany)`);
}

function firstbootBat(dirWin: string, srvany: string): string {
  return `@echo off

setlocal EnableDelayedExpansion
set "firstboot=${dirWin}"
set "log=%firstboot%\\log.txt"

set "scripts=%firstboot%\\scripts"
set "scripts_done=%firstboot%\\scripts-done"

call :main >> "%log%" 2>&1
exit /b

:main
echo starting firstboot service
echo effective user: %USERNAME% domain: %USERDOMAIN%

if not exist "%scripts_done%" (
  mkdir "%scripts_done%"
)

:: Pick the next script to run.
for %%f in ("%scripts%"\\*.bat) do (
  echo running "%%f"
  pushd "%scripts%"
  call "%%~nf"
  set elvl=!errorlevel!
  echo .... exit code !elvl!
  popd

  if !elvl! NEQ 249 (
    echo Script succeeded, moving to scripts-done
    move "%%f" "%scripts_done%"
  ) else (
    echo Script failed, will retry on next boot
  )

  :: Reboot the computer only if exit code indicates.
  :: Exit code 250 means do not reboot, otherwise reboot
  :: Reboot is necessary to free any locked files which
  :: may prevent later scripts from running.
  if !elvl! NEQ 250 (
    shutdown /r /t 0 /y

    :: Exit the script (in case shutdown returns before rebooting).
    :: On next boot, the whole firstboot service will be called again.

    exit /b
  )
)

:: Fallthrough here if there are no scripts.

:: Touch a sentinel file to say we have finished.
type nul > "%firstboot%\\complete"

echo uninstalling firstboot service
"%firstboot%\\${srvany}" -s firstboot uninstall
`;
}

const unix2dos = (s: string) => s.replace(/\r?\n/g, '\r\n');

/** Creates C:\Program Files\Guestfs\Firstboot, reusing existing directories whatever their case. */
async function windowsFirstbootDir(ctx: CustomizeContext): Promise<{ dir: string; dirWin: string }> {
  const { g } = ctx;
  let dir = '';
  for (const part of WIN_DIR_PARTS) {
    const parent = dir || '/';
    const existing = (await g.isDir(parent)) ? (await g.ls(parent)).find((n) => n.toLowerCase() === part.toLowerCase()) : undefined;
    dir = `${dir}/${existing ?? part}`;
    await g.mkdirP(dir);
  }
  return { dir, dirWin: `C:\\${WIN_DIR_PARTS.join('\\')}` };
}

async function installWindowsService(ctx: CustomizeContext, dir: string, dirWin: string): Promise<void> {
  const { g, facts } = ctx;
  const srvany = findSrvany();
  await g.mkdirP(`${dir}/scripts`);
  await g.rmF(`${dir}/complete`);
  await g.upload(srvany.file, `${dir}/${srvany.name}`);
  await g.write(`${dir}/firstboot.bat`, unix2dos(firstbootBat(dirWin, srvany.name)));
  const { hive, controlSet } = windowsSystem(facts);
  await editHive(g, hive, [
    {
      key: [controlSet, 'services', 'firstboot'],
      values: {
        Type: { type: 'dword', value: 0x10 },
        Start: { type: 'dword', value: 0x2 },
        ErrorControl: { type: 'dword', value: 0x1 },
        ImagePath: { type: 'sz', value: `${dirWin}\\${srvany.name} -s firstboot` },
        DisplayName: { type: 'sz', value: 'Virt tools firstboot service' },
        ObjectName: { type: 'sz', value: 'LocalSystem' },
      },
    },
    {
      key: [controlSet, 'services', 'firstboot', 'Parameters'],
      values: {
        CommandLine: { type: 'sz', value: `cmd /c "${dirWin}\\firstboot.bat"` },
        PWD: { type: 'sz', value: dirWin },
      },
    },
  ]);
}

/** Installs the firstboot machinery (once is enough, again is harmless) and one script. */
export async function addFirstbootScript(ctx: CustomizeContext, state: FirstbootState, name: string, content: string, prio = 5000): Promise<void> {
  const { g, facts } = ctx;
  state.count++;
  const file = `${String(prio).padStart(4, '0')}-${String(state.count).padStart(4, '0')}-${sanitizeName(name)}`;
  if (facts.type === 'linux') {
    await installLinuxService(ctx);
    const p = `${LINUX_FIRSTBOOT_DIR}/scripts/${file}`;
    await g.write(p, content);
    await g.chmod(0o755, p);
  } else if (facts.type === 'windows') {
    const { dir, dirWin } = await windowsFirstbootDir(ctx);
    await installWindowsService(ctx, dir, dirWin);
    await g.write(`${dir}/scripts/${file}.bat`, unix2dos(content));
  } else {
    throw new ErrnoError('ENOTSUP', `firstboot: guest type ${facts.type}/${facts.distro} is not supported`);
  }
}
