/** The fields of libguestfs's lvm_pv, lvm_vg and lvm_lv structs, in its order (pvs-full, vgs-full, lvs-full). */
export const PV_FIELDS = ['pv_name', 'pv_uuid', 'pv_fmt', 'pv_size', 'dev_size', 'pv_free', 'pv_used', 'pv_attr', 'pv_pe_count',
  'pv_pe_alloc_count', 'pv_tags', 'pe_start', 'pv_mda_count', 'pv_mda_free'];
export const VG_FIELDS = ['vg_name', 'vg_uuid', 'vg_fmt', 'vg_attr', 'vg_size', 'vg_free', 'vg_sysid', 'vg_extent_size',
  'vg_extent_count', 'vg_free_count', 'max_lv', 'max_pv', 'pv_count', 'lv_count', 'snap_count', 'vg_seqno', 'vg_tags',
  'vg_mda_count', 'vg_mda_free'];
export const LV_FIELDS = ['lv_name', 'lv_uuid', 'lv_attr', 'lv_major', 'lv_minor', 'lv_kernel_major', 'lv_kernel_minor', 'lv_size',
  'seg_count', 'origin', 'snap_percent', 'copy_percent', 'move_pv', 'lv_tags', 'mirror_log', 'modules'];

