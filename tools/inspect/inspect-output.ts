/** virt-inspector's XML (same elements, order and omissions) and the same data as JSON. */
import { el, xmlDocument, type XmlNode } from '../../src/util/xml-writer.js';
import type { Application2 } from '../../src/inspect/types.js';
import type { OsReport } from './inspect-compute.js';

const known = (v: string | undefined): v is string => v !== undefined && v !== 'unknown' && v !== '';

/** Application fields in virt-inspector's order, empty ones left out (epoch when 0). */
function applicationFields(a: Application2): [string, string][] {
  const f: [string, string][] = [['name', a.app2_name]];
  const add = (k: string, v: string) => { if (v) f.push([k, v]); };
  add('display_name', a.app2_display_name);
  if (a.app2_epoch !== 0) f.push(['epoch', String(a.app2_epoch)]);
  add('version', a.app2_version);
  add('release', a.app2_release);
  add('arch', a.app2_arch);
  add('install_path', a.app2_install_path);
  add('publisher', a.app2_publisher);
  add('url', a.app2_url);
  add('source_package', a.app2_source_package);
  add('summary', a.app2_summary);
  add('description', a.app2_description);
  return f;
}

/** The scalar facts in virt-inspector's order, unknown ones left out. */
function factFields(r: OsReport): [string, string][] {
  const f = r.facts;
  const out: [string, string][] = [['root', f.root]];
  const add = (k: string, v: string | undefined) => { if (known(v)) out.push([k, v]); };
  add('name', f.type);
  add('arch', f.arch);
  add('distro', f.distro);
  add('product_name', f.productName);
  add('product_variant', f.productVariant);
  out.push(['major_version', String(f.majorVersion)], ['minor_version', String(f.minorVersion)]);
  add('package_format', f.packageFormat);
  add('package_management', f.packageManagement);
  if (f.type === 'windows') {
    add('windows_systemroot', f.windowsSystemroot);
    add('windows_current_control_set', f.windowsCurrentControlSet);
  }
  add('hostname', f.hostname);
  // build_id: virt-inspector prints it from libguestfs 1.50; the 1.48 we match byte for byte does not.
  add('osinfo', f.osinfo);
  return out;
}

function osNode(r: OsReport): XmlNode {
  const children: XmlNode[] = factFields(r).map(([k, v]) => el(k, v));
  children.push(el('mountpoints', r.mountpoints.map(([mp, dev]) => el('mountpoint', mp, [['dev', dev]]))));
  children.push(el('filesystems', r.filesystems.map((fs) => {
    const c: XmlNode[] = [];
    if (fs.type) c.push(el('type', fs.type));
    if (fs.label) c.push(el('label', fs.label));
    if (fs.uuid) c.push(el('uuid', fs.uuid));
    return el('filesystem', c, [['dev', fs.dev]]);
  })));
  if (r.driveMappings.length > 0) {
    children.push(el('drive_mappings', r.driveMappings.map(([letter, dev]) => el('drive_mapping', dev, [['name', letter]]))));
  }
  if (r.applications) {
    children.push(el('applications', r.applications.map((a) => el('application', applicationFields(a).map(([k, v]) => el(k, v))))));
  }
  return el('operatingsystem', children);
}

export function inspectionXml(reports: OsReport[]): string {
  return xmlDocument(el('operatingsystems', reports.map(osNode)));
}

/** The same data as the XML, as JSON: one object per OS with the XML's element names as keys. */
export function inspectionJson(reports: OsReport[]): string {
  const oses = reports.map((r) => {
    const o: Record<string, unknown> = {};
    for (const [k, v] of factFields(r)) o[k] = k === 'major_version' || k === 'minor_version' ? Number(v) : v;
    if (known(r.facts.buildId)) o.build_id = r.facts.buildId;
    o.mountpoints = r.mountpoints.map(([mountpoint, dev]) => ({ dev, mountpoint }));
    o.filesystems = r.filesystems;
    if (r.driveMappings.length > 0) o.drive_mappings = r.driveMappings.map(([name, dev]) => ({ name, dev }));
    if (r.applications) {
      o.applications = r.applications.map((a) => Object.fromEntries(applicationFields(a).map(([k, v]) => [k, k === 'epoch' ? Number(v) : v])));
    }
    return o;
  });
  return `${JSON.stringify({ operatingsystems: oses }, null, 2)}\n`;
}
