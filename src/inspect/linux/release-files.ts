/**
 * Which Linux distribution a root is, from its release files, with
 * libguestfs's rules: a list of (file, parser) tests tried in order; the first
 * parser that reports success ends the search. A parser that fails may still
 * have set facts (libguestfs keeps them), e.g. Debian's os-release gives the
 * distro and then /etc/debian_version supplies the minor version.
 */
import type { GuestReader } from '../guest-reader.js';
import { isFileFollowing, readSmallLines } from './guest-path.js';
import { parseKeyValues, shellUnquote, simpleUnquote } from './key-value.js';

export interface ReleaseData {
  distro?: string;
  productName?: string;
  /** [major, minor] once some file gave a version. */
  version?: [number, number];
  buildId?: string;
}

type Parser = (r: GuestReader, file: string, data: ReleaseData) => Promise<boolean>;

/** The first "N.M" (or failing that "N") anywhere in the string, as libguestfs finds it. */
export function versionFromMajorMinor(s: string): [number, number] | undefined {
  let m = /(\d+)\.(\d+)/.exec(s);
  if (m) return [Number(m[1]), Number(m[2])];
  m = /(\d+)/.exec(s);
  if (m) return [Number(m[1]), 0];
  return undefined;
}

function setVersion(s: string, data: ReleaseData, r: GuestReader, file: string): void {
  const v = versionFromMajorMinor(s);
  if (v) data.version = v;
  else r.warn(`${file}: cannot parse a version from '${s}'`);
}

/** os-release ID → libguestfs distro name. */
const OS_RELEASE_IDS: Record<string, string> = {
  alpine: 'alpinelinux', altlinux: 'altlinux', arch: 'archlinux', centos: 'centos', circle: 'circle',
  coreos: 'coreos', debian: 'debian', fedora: 'fedora', frugalware: 'frugalware', gentoo: 'gentoo',
  kali: 'kalilinux', kylin: 'kylin', mageia: 'mageia', neokylin: 'neokylin', openEuler: 'openeuler',
  openmandriva: 'openmandriva', opencloudos: 'opencloudos', tencentos: 'tencentos', opensuse: 'opensuse',
  pardus: 'pardus', pld: 'pldlinux', rhel: 'rhel', rocky: 'rocky', sles: 'sles', sled: 'sles',
  ubuntu: 'ubuntu', void: 'voidlinux',
};

export function distroOfOsReleaseId(id: string): string | undefined {
  if (Object.hasOwn(OS_RELEASE_IDS, id)) return OS_RELEASE_IDS[id];
  if (id.startsWith('opensuse-')) return 'opensuse';
  return undefined;
}

/** Distros whose os-release VERSION_ID has only the major number: the release file knows the minor. */
const MAJOR_ONLY_OS_RELEASE = new Set(['debian', 'centos', 'circle', 'rocky']);
const ROLLING = new Set(['archlinux', 'gentoo', 'voidlinux']);

export const parseOsRelease: Parser = async (r, file, data) => {
  const lines = await readSmallLines(r, file);
  if (!lines) return false;
  for (const [key, value] of parseKeyValues(lines, shellUnquote)) {
    if (key === 'ID') {
      const distro = distroOfOsReleaseId(value);
      if (distro) data.distro = distro;
      else r.warn(`${file}: unknown ID=${value}`);
    } else if (key === 'PRETTY_NAME') {
      data.productName = value;
    } else if (key === 'VERSION_ID') {
      // NeoKylin writes VERSION_ID as V<major>Update<minor> (RHBZ#1476081).
      const neo = /^V(\d+)Update(\d+)$/.exec(value);
      if (neo) data.version = [Number(neo[1]), Number(neo[2])];
      else setVersion(value, data, r, file);
    } else if (key === 'BUILD_ID') {
      data.buildId = value;
    }
  }
  if (data.distro === undefined || data.productName === undefined) return false;
  if (MAJOR_ONLY_OS_RELEASE.has(data.distro) && data.version?.[1] === 0) return false;
  if (data.version === undefined && ROLLING.has(data.distro)) {
    data.version = [0, 0];
    return true;
  }
  return data.version !== undefined;
};

const LSB_DISTRIB_IDS: Record<string, string> = { CoreOS: 'coreos', LinuxMint: 'linuxmint', Mageia: 'mageia', Ubuntu: 'ubuntu' };

export const parseLsbRelease: Parser = async (r, file, data) => {
  const lines = await readSmallLines(r, file);
  if (!lines) return false;
  // A bare lsb-release (RHEL 3: only LSB_VERSION) says nothing: fall through.
  let ok = false;
  for (const [key, value] of parseKeyValues(lines, simpleUnquote)) {
    if (key === 'DISTRIB_ID') {
      const distro = Object.hasOwn(LSB_DISTRIB_IDS, value) ? LSB_DISTRIB_IDS[value] : undefined;
      if (distro) {
        ok = true;
        data.distro = distro;
      }
    } else if (key === 'DISTRIB_RELEASE') {
      setVersion(value, data, r, file);
    } else if (key === 'DISTRIB_DESCRIPTION') {
      ok = true;
      data.productName = value;
    }
  }
  return ok;
};

/**
 * A release file whose first line is the product name. With `rex`, the line
 * must match it (groups 1 and 2 are major and minor); without, a version is
 * looked for anywhere in the line and its absence is not a failure.
 */
function generic(distro: string, rex?: RegExp): Parser {
  return async (r, file, data) => {
    const lines = await readSmallLines(r, file);
    if (lines === null) r.warn(`${file}: not a regular file or too large`);
    const productName = lines?.[0] ?? '';
    if (productName === '') return false;
    data.productName = productName;
    data.distro = distro;
    if (!rex) {
      const v = versionFromMajorMinor(productName);
      if (v) data.version = v;
      return true;
    }
    const m = rex.exec(productName);
    if (!m) return false;
    const major = m[1] !== undefined ? Number.parseInt(m[1], 10) : NaN;
    const minor = m[2] !== undefined ? Number.parseInt(m[2], 10) : NaN;
    if (!Number.isNaN(major)) data.version = [major, Number.isNaN(minor) ? 0 : minor];
    return true;
  };
}

/** Always succeeds, setting only the distro (arch-release is empty; an unrecognised redhat-release). */
function distroOnly(distro: string): Parser {
  return async (_r, _file, data) => {
    data.distro = distro;
    return true;
  };
}

/** /etc/SuSE-release: product name, then "VERSION = N", then "PATCHLEVEL = M" (SLES). */
export const parseSuseRelease: Parser = async (r, file, data) => {
  const lines = await readSmallLines(r, file);
  if (!lines || lines.length === 0) return false;
  const productName = lines[0];
  data.productName = productName;
  if (/^SUSE (Linux|LINUX) Enterprise /.test(productName) || /^Novell Linux Desktop /.test(productName)) {
    const major = lines.length >= 2 ? /^VERSION = (\d+)/.exec(lines[1]) : null;
    const minor = lines.length >= 3 ? /^PATCHLEVEL = (\d+)/.exec(lines[2]) : null;
    data.distro = 'sles';
    data.version = major ? [Number(major[1]), minor ? Number(minor[1]) : 0] : undefined;
  } else if (/^(openSUSE|SuSE Linux|SUSE LINUX) /.test(productName)) {
    if (lines.length >= 2) {
      const v = versionFromMajorMinor(lines[1]);
      if (v) data.version = v;
    }
    data.distro = 'opensuse';
  }
  return true;
};

/** Buildroot's br-version, or CirrOS when its logo is there too. */
const parseBrVersion: Parser = async (r, file, data) => {
  const distro = (await isFileFollowing(r, '/usr/share/cirros/logo')) ? 'cirros' : 'buildroot';
  return generic(distro)(r, file, data);
};

const rhel = (name: string, distro: string): [string, Parser][] => [
  [`/etc/redhat-release`, generic(distro, new RegExp(`${name}.*release (\\d+).*Update (\\d+)`))],
  [`/etc/redhat-release`, generic(distro, new RegExp(`${name}.*release (\\d+)\\.(\\d+)`))],
  [`/etc/redhat-release`, generic(distro, new RegExp(`${name}.*release (\\d+)`))],
];
const own = (file: string, distro: string, res: RegExp[]): [string, Parser][] => res.map((re) => [file, generic(distro, re)]);
const majorMinor = (name: string) => [new RegExp(`${name}.*release (\\d+)\\.(\\d+)`), new RegExp(`${name}.*release (\\d+)`)];
const withUpdate = (name: string) => [new RegExp(`${name}.*release (\\d+).*Update (\\d+)`), ...majorMinor(name)];

/** libguestfs's linux_root_tests, in its order. */
export const LINUX_RELEASE_TESTS: [string, Parser][] = [
  ['/etc/os-release', parseOsRelease],
  ['/etc/lsb-release', parseLsbRelease],
  // Derivatives ship a redhat-release too, so their own files come first.
  ['/etc/openmandriva-release', generic('openmandriva', /OpenMandriva.*release (\d+)\.(\d+)\.?(\d+)? .*/)],
  ['/etc/opencloudos-release', generic('opencloudos', /OpenCloudOS.*release (\d+)/)],
  ['/etc/tencentos-release', generic('tencentos', /TencentOS.* (\d+)\.(\d+)/)],
  ...own('/etc/oracle-release', 'oraclelinux', withUpdate('Oracle Linux')),
  ...own('/etc/centos-release', 'centos', withUpdate('CentOS')),
  ...own('/etc/circle-release', 'circle', majorMinor('Circle Linux')),
  ...own('/etc/rocky-release', 'rocky', majorMinor('Rocky Linux')),
  ['/etc/altlinux-release', generic('altlinux')],
  ['/etc/redhat-release', generic('fedora', /Fedora release (\d+)/)],
  ...rhel('Red Hat', 'rhel'),
  ...rhel('CentOS', 'centos'),
  ...own('/etc/redhat-release', 'circle', majorMinor('Circle Linux')),
  ...own('/etc/redhat-release', 'rocky', majorMinor('Rocky Linux')),
  ...rhel('Scientific Linux', 'scientificlinux'),
  ['/etc/redhat-release', generic('redhat-based')],
  ['/etc/redhat-release', distroOnly('redhat-based')],
  ['/etc/debian_version', generic('debian')],
  ['/etc/pardus-release', generic('pardus')],
  ['/etc/arch-release', distroOnly('archlinux')],
  ['/etc/gentoo-release', generic('gentoo')],
  ['/etc/meego-release', generic('meego')],
  ['/etc/slackware-version', generic('slackware')],
  ['/etc/ttylinux-target', generic('ttylinux')],
  ['/etc/SuSE-release', parseSuseRelease],
  ['/etc/SuSE-release', distroOnly('suse-based')],
  ['/etc/cirros/version', generic('cirros')],
  ['/etc/br-version', parseBrVersion],
  ['/etc/alpine-release', generic('alpinelinux')],
  ['/etc/frugalware-release', generic('frugalware', /Frugalware (\d+)\.(\d+)/)],
  ['/etc/pld-release', generic('pldlinux', /(\d+)\.(\d+) PLD Linux/)],
];

/** Runs the tests in order over the mounted root; returns what they found. */
export async function detectRelease(r: GuestReader): Promise<ReleaseData> {
  const data: ReleaseData = {};
  // Several tests share a file (redhat-release has 20): look each one up once.
  const present = new Map<string, Promise<boolean>>();
  for (const [file, parse] of LINUX_RELEASE_TESTS) {
    if (!present.has(file)) present.set(file, isFileFollowing(r, file));
    if (!(await present.get(file))) continue;
    if (await parse(r, file, data)) break;
  }
  return data;
}
