// emscripten --js-library shared by wasm/ext2fs and wasm/ntfs: the synchronous
// device hooks their glue.c calls (ext2fs's io manager, ntfs-3g's struct
// ntfs_device_operations). They forward to Module.gkIo, which GlueModule
// (src/fs/wasm-module.ts) installs: it keeps a table of devices by id, copies
// straight into/out of the wasm heap, and turns device exceptions into a -1
// return (remembering the exception) so no JS exception ever unwinds through
// C frames.
mergeInto(LibraryManager.library, {
  gk_js_read: function (dev, offset, len, ptr) {
    return Module['gkIo']['read'](dev, offset, len, ptr);
  },
  gk_js_write: function (dev, offset, len, ptr) {
    return Module['gkIo']['write'](dev, offset, len, ptr);
  },
  gk_js_flush: function (dev) {
    return Module['gkIo']['flush'](dev);
  },
});
