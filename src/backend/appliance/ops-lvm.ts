/**
 * LVM reports on the appliance: the guest kernel activates the volume groups
 * (agent `lvmup`) and lvm(8) reports them, in libguestfs's shapes (sizes in
 * bytes, UUIDs without dashes, devices named /dev/sdX, LVs as /dev/VG/LV).
 */
import { LV_FIELDS, PV_FIELDS, VG_FIELDS } from '../../lvm/report-fields.js';
import { byteOrder } from '../../util/byte-order.js';
import { sq, type ApplianceBackend } from './appliance-backend.js';
import { fromGuestDev, lines, toGuestDev } from './ops-common.js';
import { runStep, type AgentStep } from './agent-batch.js';

/** Text fields; every other field is a number (sizes in bytes, counts, percentages). */
const TEXT = new Set(['pv_name', 'pv_uuid', 'pv_fmt', 'pv_attr', 'pv_tags', 'vg_name', 'vg_uuid', 'vg_fmt', 'vg_attr',
  'vg_sysid', 'vg_tags', 'lv_name', 'lv_uuid', 'lv_attr', 'origin', 'move_pv', 'lv_tags', 'mirror_log', 'modules']);

/** The script of an lvm report command. */
function reportScript(cmd: string, fields: string[], extra = ''): string {
  return `lvmup; command -v lvm >/dev/null || exit 0
lvm ${cmd} --config "$LVM_CONFIG" --noheadings --nosuffix --units b --separator '|' -o ${sq(fields.join(','))} ${extra} 2>/dev/null; :`;
}

/** Each output line's fields, split on the separator. */
const reportRows = (out: string): string[][] => lines(out).map((l) => l.trim().split('|'));

/** Runs an lvm report command; each output line's fields, split on the separator. */
async function report(b: ApplianceBackend, cmd: string, fields: string[], extra = ''): Promise<string[][]> {
  return reportRows(await b.shText(reportScript(cmd, fields, extra)));
}

/** PV names, as a step (ops-steps.ts). */
export function pvsStep(): AgentStep<string[]> {
  return { script: reportScript('pvs', ['pv_name']), parse: (out) => reportRows(out.toString('utf8')).map((r) => fromGuestDev(r[0]!)).sort(byteOrder), readOnly: true };
}

/** VG names, as a step (ops-steps.ts). */
export function vgsStep(): AgentStep<string[]> {
  return { script: reportScript('vgs', ['vg_name']), parse: (out) => reportRows(out.toString('utf8')).map((r) => r[0]!).sort(byteOrder), readOnly: true };
}

const pvs = (b: ApplianceBackend): Promise<string[]> => runStep(b, pvsStep());
const vgs = (b: ApplianceBackend): Promise<string[]> => runStep(b, vgsStep());

/** Visible LVs as /dev/VG/LV (the names list-filesystems and mount use): a step (ops-steps.ts). */
export function lvsStep(): AgentStep<string[]> {
  return {
    script: reportScript('lvs', ['vg_name', 'lv_name'], "-S 'lv_role=public'"),
    parse: (out) => reportRows(out.toString('utf8')).map((r) => `/dev/${r[0]}/${r[1]}`).sort(byteOrder),
    readOnly: true,
  };
}

const lvs = (b: ApplianceBackend): Promise<string[]> => runStep(b, lvsStep());

function toStruct(fields: string[], row: string[]): Record<string, number | string> {
  const o: Record<string, number | string> = {};
  fields.forEach((f, i) => {
    const v = (row[i] ?? '').trim();
    if (TEXT.has(f)) o[f] = f.endsWith('_uuid') ? v.replace(/-/g, '') : f === 'pv_name' ? fromGuestDev(v) : v;
    else o[f] = v === '' ? -1 : Number(v);
  });
  return o;
}

const cmp = (a: unknown, b: unknown) => byteOrder(String(a), String(b));

async function full(b: ApplianceBackend, cmd: string, fields: string[], extra = ''): Promise<Record<string, number | string>[]> {
  return (await report(b, cmd, fields, extra)).map((r) => toStruct(fields, r));
}

/** One lvm report field of one object (an LV device or a VG name): its lines, or ENOENT when lvm knows no such object. */
async function field(b: ApplianceBackend, cmd: string, fieldName: string, object: string, what: string): Promise<string[]> {
  const out = await b.shText(`lvmup
lvm ${cmd} --config "$LVM_CONFIG" --noheadings -o ${sq(fieldName)} ${sq(object)} 2>/dev/null || die ENOENT ${sq(what)}`);
  return lines(out).map((l) => l.trim());
}

export const lvmOps = {
  lvuuid: async (b: ApplianceBackend, device: string) =>
    (await field(b, 'lvs', 'lv_uuid', toGuestDev(device), `${device}: not an LVM logical volume`))[0] ?? '',
  vgpvuuids: async (b: ApplianceBackend, vg: string) => field(b, 'vgs', 'pv_uuid', vg, `${vg}: no such volume group`),
  pvs,
  vgs,
  lvs,
  pvsFull: async (b: ApplianceBackend) => (await full(b, 'pvs', PV_FIELDS)).sort((x, y) => cmp(x.pv_name, y.pv_name)),
  vgsFull: async (b: ApplianceBackend) => (await full(b, 'vgs', VG_FIELDS)).sort((x, y) => cmp(x.vg_name, y.vg_name)),
  lvsFull: async (b: ApplianceBackend) => {
    // lv_name alone does not sort by VG: ask for vg_name as a trailing field.
    const rows = await report(b, 'lvs', [...LV_FIELDS, 'vg_name'], "-S 'lv_role=public'");
    return rows
      .sort((x, y) => cmp(x[LV_FIELDS.length], y[LV_FIELDS.length]) || cmp(x[0], y[0]))
      .map((r) => toStruct(LV_FIELDS, r));
  },
};
