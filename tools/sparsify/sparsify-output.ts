/** What sparsify prints besides its progress lines: --machine-readable's feature list and the closing advice. */

/** virt-sparsify --machine-readable: the program, then one feature per line. */
export function machineReadableFeatures(): string {
  return ['virt-sparsify', 'linux-swap', 'zero', 'check-tmpdir', 'in-place', 'tmp-option', 'ntfs', 'btrfs'].join('\n') + '\n';
}

export const CHECK_TARGET_ADVICE = 'Before deleting the old disk, carefully check that the target disk boots and works correctly.';
