/** The libguestfs release whose API and output guestkit matches (what `version` and `guestfish -V` report). */
export const API_VERSION = { major: 1, minor: 48, release: 6, extra: '' } as const;
