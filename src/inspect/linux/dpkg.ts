/**
 * Installed Debian packages from /var/lib/dpkg/status, read as libguestfs
 * reads it: stanzas end at a blank line; a package counts when its Status
 * contains "installed" (so "deinstall ok config-files" does not — and, as in
 * libguestfs, "install ok not-installed" does); Version is split
 * [epoch:]version[-release] at the first ':' and the first '-' after it;
 * Description's first line is the summary and its continuation lines
 * (leading space removed, joined by '\n') the description.
 */
import { emptyApplication, type Application2 } from '../types.js';
import { splitEvr } from './evr.js';

/** "[epoch:]version[-release]" split as libguestfs splits it (first ':' then first '-'). */
export function splitDebVersion(v: string): { epoch: number; version: string; release: string } {
  const { epoch, version, release } = splitEvr(v);
  return { epoch, version, release: release ?? '' };
}

export function parseDpkgStatus(text: string): Application2[] {
  const apps: Application2[] = [];
  let cur: Partial<Record<'name' | 'version' | 'arch' | 'url' | 'source' | 'summary', string>> & { description?: string[] } = {};
  let epoch = 0;
  let release = '';
  let installed = false;
  let inDescription = false;
  const flush = () => {
    if (installed && cur.name !== undefined && cur.version !== undefined && epoch >= 0) {
      const app = emptyApplication(cur.name);
      app.app2_epoch = epoch;
      app.app2_version = cur.version;
      app.app2_release = release;
      app.app2_arch = cur.arch ?? '';
      app.app2_url = cur.url ?? '';
      app.app2_source_package = cur.source ?? '';
      app.app2_summary = cur.summary ?? '';
      app.app2_description = cur.description?.join('\n') ?? '';
      apps.push(app);
    }
    cur = {};
    release = '';
    installed = false;
  };
  const lines = text.split('\n');
  // The last stanza counts even when the file lacks its final blank line.
  if (lines[lines.length - 1] !== '') lines.push('');
  for (const line of lines) {
    if (line.startsWith(' ') && inDescription) {
      (cur.description ??= []).push(line.slice(1));
      continue;
    }
    inDescription = false;
    if (line.startsWith('Package: ')) cur.name = line.slice(9);
    else if (line.startsWith('Status: ')) installed = line.slice(8).includes('installed');
    else if (line.startsWith('Version: ')) {
      const v = splitDebVersion(line.slice(9));
      epoch = v.epoch;
      cur.version = v.version;
      release = v.release;
    } else if (line.startsWith('Architecture: ')) cur.arch = line.slice(14);
    else if (line.startsWith('Homepage: ')) cur.url = line.slice(10);
    // "Source: foo (1.0)" names the source package foo.
    else if (line.startsWith('Source: ')) cur.source = line.slice(8).split(' ')[0];
    else if (line.startsWith('Description: ')) {
      cur.summary = line.slice(13);
      cur.description = undefined;
      inDescription = true;
    } else if (line === '') flush();
  }
  return apps;
}
