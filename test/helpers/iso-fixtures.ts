/** The ISO 9660 fixtures of fixtures/make-iso.sh: image, its source tree under fixtures/out/iso-src/, and which names Linux shows. */
export type Kind = 'plain' | 'joliet' | 'rock';
export const IMAGES: [string, string, Kind][] = [
  ['iso-l1.iso', 'l1', 'plain'],
  ['iso-l2.iso', 'l2', 'plain'],
  ['iso-l3.iso', 'l3', 'joliet'],
  ['iso-joliet.iso', 'joliet', 'joliet'],
  ['iso-rock.iso', 'rock', 'rock'],
  ['iso-zisofs.iso', 'zisofs', 'rock'],
  ['seed.iso', 'seed', 'rock'],
  ['iso-hybrid.iso', 'seed', 'rock'],
];
