// Preloaded (NODE_OPTIONS=--import) into a guestkit process under test so that
// the times it writes into a guest filesystem, and so the image's bytes, are
// the same on every run: crash tests compare images from different runs.
const T = 1700000000000;
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(T);
    else super(...args);
  }
  static now() {
    return T;
  }
};
