/** Changing files in mounted filesystems. */
import { ErrnoError } from '../errors/index.js';
import { readHostChunks } from '../util/host-chunks.js';
import { applianceOp } from './appliance-access.js';
import { defineCommand } from './types.js';
import { wasm, workerOp } from './wasm-access.js';

const encoder = new TextEncoder();
const CHUNK = 4 << 20;
const bytes = (content: Uint8Array | string) => (typeof content === 'string' ? encoder.encode(content) : content);

export const write = defineCommand({
  name: 'write',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'content', kind: 'BufferIn' }],
  ret: 'void',
  shortdesc: 'create a new file',
  longdesc: 'Writes content to the file, creating it (mode 0644, owned by root) or truncating it first. Symlinks are followed.',
  examples: ['write /etc/motd "Hello\\n"'],
  impl: { appliance: applianceOp('write'), wasm: async (ctx, [path, content]) => { await wasm(ctx).rpc('writeFile', path, bytes(content), false); } },
});

export const writeAppend = defineCommand({
  name: 'write-append',
  args: [{ name: 'path', kind: 'Pathname' }, { name: 'content', kind: 'BufferIn' }],
  ret: 'void',
  shortdesc: 'append content to end of file',
  longdesc: 'Appends content to the file, creating it when it does not exist.',
  examples: ['write-append /etc/motd "more\\n"'],
  impl: { appliance: applianceOp('writeAppend'), wasm: async (ctx, [path, content]) => { await wasm(ctx).rpc('writeFile', path, bytes(content), true); } },
});

export const upload = defineCommand({
  name: 'upload',
  args: [{ name: 'filename', kind: 'FileIn' }, { name: 'remotefilename', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'upload a file from the local machine',
  longdesc: 'Copies the host file (or standard input for "-") to the guest path, replacing its contents.',
  examples: ['upload local.txt /tmp/remote.txt'],
  impl: {
    appliance: applianceOp('upload'),
    wasm: async (ctx, [local, remote]) => {
      const b = wasm(ctx);
      ctx.handle.transferCancelled(true);
      await b.rpc('writeFile', remote, new Uint8Array(0), false);
      await readHostChunks(local, CHUNK, async (chunk, offset) => {
        if (ctx.handle.transferCancelled()) throw new ErrnoError('EINTR', 'operation cancelled by user');
        if (chunk.length) await b.rpc('writeAt', remote, offset, chunk);
      });
    },
  },
});

export const touch = defineCommand({
  name: 'touch',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'update file timestamps or create a new file',
  longdesc: 'Creates an empty file (mode 0644) when it does not exist, otherwise sets its access and modification times to now.',
  examples: ['touch /tmp/flag'],
  impl: { appliance: applianceOp('touch'), wasm: async (ctx, [path]) => { await wasm(ctx).rpc('touch', path, Math.floor(Date.now() / 1000)); } },
});

export const mkdir = defineCommand({
  name: 'mkdir',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'create a directory',
  longdesc: 'Creates a directory (mode 0755). Fails when it exists or its parent does not.',
  examples: ['mkdir /srv/data'],
  impl: { appliance: applianceOp('mkdir'), wasm: workerOp('mkdir') },
});

export const mkdirP = defineCommand({
  name: 'mkdir-p',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'create a directory and parents',
  longdesc: 'Creates the directory and any missing parents; not an error when it exists already.',
  examples: ['mkdir-p /srv/data/a/b'],
  impl: { appliance: applianceOp('mkdirP'), wasm: workerOp('mkdirP') },
});

export const rm = defineCommand({
  name: 'rm',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'remove a file',
  longdesc: 'Removes a single file (or symlink, which is not followed). Directories are refused.',
  examples: ['rm /tmp/flag'],
  impl: { appliance: applianceOp('rm'), wasm: workerOp('rm') },
});

export const rmF = defineCommand({
  name: 'rm-f',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'remove a file ignoring errors',
  longdesc: 'Removes a file; not an error when it does not exist. Directories are refused.',
  examples: ['rm-f /tmp/maybe'],
  impl: {
    appliance: applianceOp('rmF'),
    wasm: async (ctx, [path]) => {
      try {
        await wasm(ctx).rpc('rm', path);
      } catch (e) {
        if (!(e instanceof ErrnoError && e.code === 'ENOENT')) throw e;
      }
    },
  },
});

export const rmRf = defineCommand({
  name: 'rm-rf',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'remove a file or directory recursively',
  longdesc: 'Removes the path and everything below it; not an error when it does not exist.',
  examples: ['rm-rf /tmp/build'],
  impl: { appliance: applianceOp('rmRf'), wasm: workerOp('rmRf') },
});

export const rmdir = defineCommand({
  name: 'rmdir',
  args: [{ name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'remove a directory',
  longdesc: 'Removes an empty directory.',
  examples: ['rmdir /srv/empty'],
  impl: { appliance: applianceOp('rmdir'), wasm: workerOp('rmdir') },
});

export const chmod = defineCommand({
  name: 'chmod',
  args: [{ name: 'mode', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'change file mode',
  longdesc: 'Changes the permission bits of the path (symlinks are followed). In fish, write the mode in octal with a leading 0 (0755), or in hex (0x1ed).',
  examples: ['chmod 0755 /usr/local/bin/tool'],
  impl: { appliance: applianceOp('chmod'), wasm: async (ctx, [mode, path]) => { await wasm(ctx).rpc('chmod', path, mode); } },
});

export const chown = defineCommand({
  name: 'chown',
  args: [{ name: 'owner', kind: 'Int' }, { name: 'group', kind: 'Int' }, { name: 'path', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'change file owner and group',
  longdesc: 'Changes the numeric owner and group of the path (symlinks are followed). -1 leaves one unchanged.',
  examples: ['chown 1000 1000 /home/user/file'],
  impl: { appliance: applianceOp('chown'), wasm: async (ctx, [uid, gid, path]) => { await wasm(ctx).rpc('chown', path, uid, gid, true); } },
});

export const lnS = defineCommand({
  name: 'ln-s',
  args: [{ name: 'target', kind: 'String' }, { name: 'linkname', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'create a symbolic link',
  longdesc: 'Creates a symbolic link linkname pointing to target (stored as given, not checked).',
  examples: ['ln-s /usr/bin/vim /usr/local/bin/vi'],
  impl: { appliance: applianceOp('lnS'), wasm: async (ctx, [target, link]) => { await wasm(ctx).rpc('symlink', target, link); } },
});

export const ln = defineCommand({
  name: 'ln',
  args: [{ name: 'target', kind: 'Pathname' }, { name: 'linkname', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'create a hard link',
  longdesc: 'Creates a hard link linkname to the existing file target (same filesystem only).',
  examples: ['ln /etc/hosts /etc/hosts.link'],
  impl: { appliance: applianceOp('ln'), wasm: async (ctx, [target, link]) => { await wasm(ctx).rpc('link', target, link); } },
});

export const cp = defineCommand({
  name: 'cp',
  args: [{ name: 'src', kind: 'Pathname' }, { name: 'dest', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'copy a file',
  longdesc: 'Copies a regular file, as cp src dest would; when dest is a directory the copy goes inside it.',
  examples: ['cp /etc/hosts /etc/hosts.bak'],
  impl: { appliance: applianceOp('cp'), wasm: workerOp('cp') },
});

export const mv = defineCommand({
  name: 'mv',
  args: [{ name: 'src', kind: 'Pathname' }, { name: 'dest', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'move a file',
  longdesc: 'Moves (renames) a file or directory; when dest is a directory the source goes inside it.',
  examples: ['mv /tmp/a /srv/a'],
  impl: { appliance: applianceOp('mv'), wasm: workerOp('mv') },
});

export const sync = defineCommand({
  name: 'sync',
  args: [],
  ret: 'void',
  shortdesc: 'sync disks, writes are flushed through to the disk image',
  longdesc: 'Writes every change made so far through to the drives.',
  examples: ['sync'],
  impl: { appliance: applianceOp('sync'), wasm: async (ctx) => { await wasm(ctx).rpc('sync'); } },
});

/** Bytes per write when scrubbing in process. */
const SCRUB_CHUNK = 1 << 20;

export const scrubFile = defineCommand({
  name: 'scrub-file',
  args: [{ name: 'file', kind: 'Pathname' }],
  ret: 'void',
  shortdesc: 'scrub (securely wipe) a file',
  longdesc: `Overwrites the regular file's bytes in place (its own blocks, not a new copy), flushes, and
removes the file. In process: a pass of ones then a pass of zeroes; in the appliance: a pass of zeroes.`,
  examples: ['scrub-file /root/.bash_history'],
  impl: {
    appliance: applianceOp('scrubFile'),
    wasm: async (ctx, [path]) => {
      const b = wasm(ctx);
      const st = await b.rpc('stat', path, true);
      if ((st.mode & 0o170000) !== 0o100000) throw new ErrnoError('EINVAL', `${path}: not a regular file`);
      for (const fill of [0xff, 0x00]) {
        const buf = new Uint8Array(Math.min(SCRUB_CHUNK, st.size)).fill(fill);
        for (let off = 0; off < st.size; off += buf.length) await b.rpc('writeAt', path, off, buf.subarray(0, Math.min(buf.length, st.size - off)));
        await b.rpc('sync');
      }
      await b.rpc('rm', path);
    },
  },
});
