/*
 * guestkit glue for libext2fs compiled to WebAssembly.
 *
 * - an io_manager ("gkio") whose reads/writes/flushes call synchronous JS
 *   imports (gk_js_read/gk_js_write/gk_js_flush, see ../common-io.js), dispatched
 *   by a device id, with a small direct-mapped write-through block cache;
 * - inode-level operations (lookup, readdir, getattr, read, write, truncate,
 *   create, mkdir, symlink, link, unlink, rmdir, rename, setattr, statfs)
 *   returning an errcode_t (0 = success).  Results go to a per-call output
 *   area of doubles (gk_out) so JS never has to know C struct layouts.
 *
 * Error codes returned to JS are either ext2fs codes (EXT2_ET_*), errno
 * values of *this* libc (emscripten's numbering, translated to names by
 * gk_err_name so JS never sees the numbers), or the GK_E* codes below.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <stddef.h>
#include <malloc.h>

#include "ext2fs/ext2_fs.h"
#include "ext2fs/ext2fs.h"
#include "ext2fs/ext3_extents.h"

#include "../common-errno.h"
#include "../common-glue.h"

/* glue-specific error codes (negative: never collide with errno/ext2fs) */
#define GK_ENEEDS_RECOVERY (-1001)

/* ======================================================================
 * io manager
 * ====================================================================== */

#define GK_CACHE_SLOTS 512 /* direct-mapped; power of two */

/*
 * The cache holds single-block reads and writes (metadata, mostly) and is
 * write-back: a dirty slot reaches the device when it is evicted, on
 * flush/close, or before any multi-block or direct transfer that overlaps
 * it, so the device is always current for those. Multi-block reads and
 * file-data reads bypass the cache (one JS call per contiguous run).
 */
struct gk_cache_slot {
	unsigned long long blk;
	int valid;
	int dirty;
	char *buf;
};

struct gk_io {
	int dev;
	int rw;
	int block_size;
	int ndirty;
	struct gk_cache_slot slots[GK_CACHE_SLOTS];
	struct struct_io_stats stats;
};

static struct struct_io_manager gk_io_manager;

/* raw device transfer; zero-fills and reports short reads */
static errcode_t dev_read(int dev, unsigned long long offset, size_t len,
			  void *buf)
{
	int failed;
	size_t n = gk_js_transfer(dev, offset, len, buf, NULL, &failed);
	if (failed)
		return EIO;
	if (n < len) {
		memset((char *)buf + n, 0, len - n);
		return EXT2_ET_SHORT_READ;
	}
	return 0;
}

static errcode_t dev_write(int dev, unsigned long long offset, size_t len,
			   const void *buf)
{
	int failed;
	size_t n = gk_js_transfer(dev, offset, len, NULL, buf, &failed);
	if (failed)
		return EIO;
	return n < len ? EXT2_ET_SHORT_WRITE : 0;
}

static errcode_t slot_writeback(struct gk_io *io, struct gk_cache_slot *s)
{
	errcode_t r;
	if (!s->valid || !s->dirty)
		return 0;
	r = dev_write(io->dev, s->blk * io->block_size, io->block_size, s->buf);
	if (r)
		return r;
	s->dirty = 0;
	io->ndirty--;
	return 0;
}

static errcode_t cache_writeback_all(struct gk_io *io)
{
	errcode_t r, ret = 0;
	int i;
	if (io->ndirty == 0)
		return 0;
	for (i = 0; i < GK_CACHE_SLOTS; i++) {
		r = slot_writeback(io, &io->slots[i]);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

/* write back one slot of a range (keeping the first error in *ret), and drop it when asked */
static void slot_sync(struct gk_io *io, struct gk_cache_slot *s, int drop,
		      errcode_t *ret)
{
	errcode_t r = slot_writeback(io, s);
	if (r && !*ret)
		*ret = r;
	if (drop && !s->dirty)
		s->valid = 0;
}

/* write back (if dirty) and/or drop the slots of blocks [first, first+count) */
static errcode_t cache_sync_range(struct gk_io *io, unsigned long long first,
				  unsigned long long count, int drop)
{
	errcode_t ret = 0;
	unsigned long long b;
	int i;
	if (count >= GK_CACHE_SLOTS) {
		for (i = 0; i < GK_CACHE_SLOTS; i++) {
			struct gk_cache_slot *s = &io->slots[i];
			if (s->valid && s->blk >= first && s->blk - first < count)
				slot_sync(io, s, drop, &ret);
		}
		return ret;
	}
	for (b = first; b < first + count; b++) {
		struct gk_cache_slot *s = &io->slots[b & (GK_CACHE_SLOTS - 1)];
		if (s->valid && s->blk == b)
			slot_sync(io, s, drop, &ret);
	}
	return ret;
}

static errcode_t cache_drop_all(struct gk_io *io)
{
	errcode_t r = cache_writeback_all(io);
	int i;
	for (i = 0; i < GK_CACHE_SLOTS; i++) {
		free(io->slots[i].buf);
		io->slots[i].buf = NULL;
		io->slots[i].valid = 0;
		io->slots[i].dirty = 0;
	}
	io->ndirty = 0;
	return r;
}

/* the slot for `block`, evicting (writing back) its previous occupant */
static errcode_t cache_claim(struct gk_io *io, unsigned long long block,
			     struct gk_cache_slot **out)
{
	struct gk_cache_slot *s = &io->slots[block & (GK_CACHE_SLOTS - 1)];
	errcode_t r;
	*out = NULL;
	if (s->valid && s->blk != block) {
		r = slot_writeback(io, s);
		if (r)
			return r;
		s->valid = 0;
	}
	if (!s->buf) {
		s->buf = malloc(io->block_size);
		if (!s->buf)
			return 0; /* caller goes uncached */
	}
	*out = s;
	return 0;
}

static errcode_t gkio_open(const char *name, int flags, io_channel *channel)
{
	io_channel ch = NULL;
	struct gk_io *io = NULL;
	errcode_t r;

	if (!name || strncmp(name, "gk:", 3) != 0)
		return EXT2_ET_BAD_DEVICE_NAME;
	r = ext2fs_get_memzero(sizeof(*ch), &ch);
	if (r)
		return r;
	r = ext2fs_get_memzero(sizeof(*io), &io);
	if (r)
		goto fail;
	r = ext2fs_get_mem(strlen(name) + 1, &ch->name);
	if (r)
		goto fail;
	strcpy(ch->name, name);
	io->dev = atoi(name + 3);
	io->rw = (flags & IO_FLAG_RW) != 0;
	io->block_size = 1024;
	io->stats.num_fields = 2;
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = &gk_io_manager;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = io;
	*channel = ch;
	return 0;
fail:
	if (ch)
		ext2fs_free_mem(&ch->name);
	ext2fs_free_mem(&io);
	ext2fs_free_mem(&ch);
	return r;
}

static errcode_t gkio_close(io_channel ch)
{
	struct gk_io *io = ch->private_data;
	errcode_t r = 0;
	if (--ch->refcount > 0)
		return 0;
	if (io) {
		r = cache_drop_all(io);
		ext2fs_free_mem(&io);
	}
	ext2fs_free_mem(&ch->name);
	ext2fs_free_mem(&ch);
	return r;
}

static errcode_t gkio_set_blksize(io_channel ch, int blksize)
{
	struct gk_io *io = ch->private_data;
	errcode_t r = 0;
	if (ch->block_size != blksize) {
		r = cache_drop_all(io);
		ch->block_size = blksize;
		io->block_size = blksize;
	}
	return r;
}

/*
 * A transfer past the cache: count blocks, or -count bytes, into rdata (a
 * read) or from wdata (a write). The cached blocks it covers reach the device
 * first, and a write drops them.
 */
static errcode_t direct_transfer(io_channel ch, unsigned long long block,
				 int count, void *rdata, const void *wdata)
{
	struct gk_io *io = ch->private_data;
	size_t size = count < 0 ? (size_t)-count : (size_t)count * ch->block_size;
	errcode_t r = cache_sync_range(io, block, (size + ch->block_size - 1) / ch->block_size,
				       wdata != NULL);
	if (r)
		return r;
	if (wdata) {
		io->stats.bytes_written += size;
		return dev_write(io->dev, block * ch->block_size, size, wdata);
	}
	io->stats.bytes_read += size;
	return dev_read(io->dev, block * ch->block_size, size, rdata);
}

static errcode_t gkio_read_blk64(io_channel ch, unsigned long long block,
				 int count, void *data)
{
	struct gk_io *io = ch->private_data;
	errcode_t r;

	if (count == 1) {
		struct gk_cache_slot *s = &io->slots[block & (GK_CACHE_SLOTS - 1)];
		if (s->valid && s->blk == block) {
			memcpy(data, s->buf, ch->block_size);
			return 0;
		}
		r = cache_claim(io, block, &s);
		if (r)
			return r;
		if (!s)
			goto uncached;
		r = dev_read(io->dev, block * ch->block_size, ch->block_size,
			     s->buf);
		io->stats.bytes_read += ch->block_size;
		memcpy(data, s->buf, ch->block_size);
		if (r)
			return r;
		s->blk = block;
		s->valid = 1;
		s->dirty = 0;
		return 0;
	}
uncached:
	return direct_transfer(ch, block, count, data, NULL);
}

static errcode_t gkio_read_blk(io_channel ch, unsigned long block, int count,
			       void *data)
{
	return gkio_read_blk64(ch, block, count, data);
}

static errcode_t gkio_write_blk64(io_channel ch, unsigned long long block,
				  int count, const void *data)
{
	struct gk_io *io = ch->private_data;
	errcode_t r;

	if (!io->rw)
		return EXT2_ET_RO_FILSYS;
	if (count == 1) {
		struct gk_cache_slot *s;
		r = cache_claim(io, block, &s);
		if (r)
			return r;
		if (s) {
			memcpy(s->buf, data, ch->block_size);
			s->blk = block;
			s->valid = 1;
			if (!s->dirty) {
				s->dirty = 1;
				io->ndirty++;
			}
			io->stats.bytes_written += ch->block_size;
			return 0;
		}
	}
	return direct_transfer(ch, block, count, NULL, data);
}

static errcode_t gkio_write_blk(io_channel ch, unsigned long block, int count,
				const void *data)
{
	return gkio_write_blk64(ch, block, count, data);
}

static errcode_t gkio_write_byte(io_channel ch, unsigned long offset,
				 int size, const void *data)
{
	struct gk_io *io = ch->private_data;
	unsigned long long first, last;
	errcode_t r;
	if (!io->rw)
		return EXT2_ET_RO_FILSYS;
	if (size <= 0)
		return 0;
	first = offset / ch->block_size;
	last = ((unsigned long long)offset + size - 1) / ch->block_size;
	r = cache_sync_range(io, first, last - first + 1, 1);
	if (r)
		return r;
	io->stats.bytes_written += size;
	return dev_write(io->dev, offset, size, data);
}

static errcode_t gkio_flush(io_channel ch)
{
	struct gk_io *io = ch->private_data;
	errcode_t r;
	if (!io->rw)
		return 0;
	r = cache_writeback_all(io);
	if (r)
		return r;
	return gk_js_flush(io->dev) < 0 ? EIO : 0;
}

static errcode_t gkio_set_option(io_channel ch, const char *option,
				 const char *arg)
{
	(void)ch; (void)option; (void)arg;
	return EXT2_ET_INVALID_ARGUMENT;
}

static errcode_t gkio_get_stats(io_channel ch, io_stats *stats)
{
	struct gk_io *io = ch->private_data;
	if (stats)
		*stats = &io->stats;
	return 0;
}

static errcode_t gkio_discard(io_channel ch, unsigned long long block,
			     unsigned long long count)
{
	(void)ch; (void)block; (void)count;
	return EXT2_ET_UNIMPLEMENTED;
}

static errcode_t gkio_cache_readahead(io_channel ch, unsigned long long block,
				      unsigned long long count)
{
	(void)ch; (void)block; (void)count;
	return EXT2_ET_OP_NOT_SUPPORTED;
}

static errcode_t gkio_zeroout(io_channel ch, unsigned long long block,
			     unsigned long long count)
{
	struct gk_io *io = ch->private_data;
	char *zero;
	unsigned long long done = 0;
	size_t chunk_blocks = (1u << 20) / ch->block_size;
	errcode_t r = 0;

	if (!io->rw)
		return EXT2_ET_RO_FILSYS;
	if (chunk_blocks == 0)
		chunk_blocks = 1;
	zero = calloc(chunk_blocks, ch->block_size);
	if (!zero)
		return EXT2_ET_NO_MEMORY;
	r = cache_sync_range(io, block, count, 1);
	while (done < count && !r) {
		unsigned long long n = count - done;
		if (n > chunk_blocks)
			n = chunk_blocks;
		r = dev_write(io->dev, (block + done) * ch->block_size,
			      n * ch->block_size, zero);
		done += n;
	}
	free(zero);
	return r;
}

static struct struct_io_manager gk_io_manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "guestkit JS I/O manager",
	.open = gkio_open,
	.close = gkio_close,
	.set_blksize = gkio_set_blksize,
	.read_blk = gkio_read_blk,
	.write_blk = gkio_write_blk,
	.flush = gkio_flush,
	.write_byte = gkio_write_byte,
	.set_option = gkio_set_option,
	.get_stats = gkio_get_stats,
	.read_blk64 = gkio_read_blk64,
	.write_blk64 = gkio_write_blk64,
	.discard = gkio_discard,
	.cache_readahead = gkio_cache_readahead,
	.zeroout = gkio_zeroout,
};

/* ======================================================================
 * errors
 * ====================================================================== */

EXPORT const char *gk_err_name(long code)
{
	switch (code) {
	case 0: return "OK";
	case GK_ENEEDS_RECOVERY: return "EROFS";
	/* ext2fs codes with an obvious errno */
	case EXT2_ET_FILE_NOT_FOUND: return "ENOENT";
	case EXT2_ET_DIR_EXISTS:
	case EXT2_ET_FILE_EXISTS: return "EEXIST";
	case EXT2_ET_NO_DIRECTORY: return "ENOTDIR";
	case EXT2_ET_BLOCK_ALLOC_FAIL:
	case EXT2_ET_INODE_ALLOC_FAIL:
	case EXT2_ET_DIR_NO_SPACE:
	case EXT2_ET_DIR_NO_SPACE_FOR_CSUM:
	case EXT2_ET_EA_NO_SPACE:
	case EXT2_ET_RES_GDT_BLOCKS:
		return "ENOSPC";
	case EXT2_ET_NO_MEMORY: return "ENOMEM";
	case EXT2_ET_FILE_TOO_BIG: return "EFBIG";
	case EXT2_ET_RO_FILSYS:
	case EXT2_ET_FILE_RO: return "EROFS";
	case EXT2_ET_TOO_MANY_REFS: return "EMLINK";
	case EXT2_ET_BAD_INODE_NUM: return "EINVAL";
	case EXT2_ET_INVALID_ARGUMENT: return "EINVAL";
	case EXT2_ET_UNIMPLEMENTED:
	case EXT2_ET_OP_NOT_SUPPORTED: return "EOPNOTSUPP";
	case EXT2_ET_BAD_MAGIC:
	case EXT2_ET_CORRUPT_SUPERBLOCK:
	case EXT2_ET_UNSUPP_FEATURE:
	case EXT2_ET_RO_UNSUPP_FEATURE:
	case EXT2_ET_REV_TOO_HIGH:
	case EXT2_ET_UNEXPECTED_BLOCK_SIZE:
		return "EINVAL";
	case EXT2_ET_SB_CSUM_INVALID:
	case EXT2_ET_INODE_CSUM_INVALID:
	case EXT2_ET_DIR_CSUM_INVALID:
	case EXT2_ET_EXTENT_CSUM_INVALID:
	case EXT2_ET_EXT_ATTR_CSUM_INVALID:
	case EXT2_ET_BLOCK_BITMAP_CSUM_INVALID:
	case EXT2_ET_INODE_BITMAP_CSUM_INVALID:
		return "EBADMSG";
	default: {
		/* this libc's errno values (common-errno.h); any other ext2fs
		 * code: EIO, with ext2fs's message */
		const char *name = gk_errno_name(code);
		return name ? name : "EIO";
	}
	}
}

EXPORT const char *gk_err_msg(long code)
{
	if (code == GK_ENEEDS_RECOVERY)
		return "filesystem journal needs recovery (needs_recovery "
		       "flag set): refusing read-write access; open it "
		       "read-only or run e2fsck first";
	return error_message(code);
}

/* ======================================================================
 * filesystem handle
 * ====================================================================== */

struct gk_fs {
	ext2_filsys fs;
	int rw;
	double overhead; /* blocks, as Linux ext4_statfs subtracts */
	char *blockbuf;  /* 3 blocks, scratch for bmap/bounce */
};

static int gk_inited;

static void gk_now(__u32 *sec, __u32 *nsec)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (__u32)ts.tv_sec;
	*nsec = (__u32)ts.tv_nsec;
}

static int inode_size(ext2_filsys fs) { return EXT2_INODE_SIZE(fs->super); }

/* is the __u32 at `off` (offset in struct ext2_inode_large) present? */
static int has_extra_field(ext2_filsys fs, struct ext2_inode_large *in,
			   size_t off)
{
	if (inode_size(fs) <= EXT2_GOOD_OLD_INODE_SIZE)
		return 0;
	return EXT2_GOOD_OLD_INODE_SIZE + in->i_extra_isize >= off + 4;
}

#define XT_ATIME 0
#define XT_MTIME 1
#define XT_CTIME 2

static void set_xtime(ext2_filsys fs, struct ext2_inode_large *in, int which,
		      double sec, __u32 nsec)
{
	long long s = (long long)sec;
	__u32 lo = (__u32)(s & 0xffffffffLL);
	__u32 extra = (__u32)(((s - (long long)(__s32)lo) >> 32) & EXT4_EPOCH_MASK) |
		      (nsec << EXT4_EPOCH_BITS);
	switch (which) {
	case XT_ATIME:
		in->i_atime = lo;
		if (has_extra_field(fs, in, offsetof(struct ext2_inode_large, i_atime_extra)))
			in->i_atime_extra = extra;
		break;
	case XT_MTIME:
		in->i_mtime = lo;
		if (has_extra_field(fs, in, offsetof(struct ext2_inode_large, i_mtime_extra)))
			in->i_mtime_extra = extra;
		break;
	case XT_CTIME:
		in->i_ctime = lo;
		if (has_extra_field(fs, in, offsetof(struct ext2_inode_large, i_ctime_extra)))
			in->i_ctime_extra = extra;
		break;
	}
}

static void get_xtime(ext2_filsys fs, struct ext2_inode_large *in, int which,
		      double *sec, double *nsec)
{
	__u32 lo, extra = 0;
	int has = 0;
	switch (which) {
	case XT_ATIME:
		lo = in->i_atime;
		if ((has = has_extra_field(fs, in, offsetof(struct ext2_inode_large, i_atime_extra))))
			extra = in->i_atime_extra;
		break;
	case XT_MTIME:
		lo = in->i_mtime;
		if ((has = has_extra_field(fs, in, offsetof(struct ext2_inode_large, i_mtime_extra))))
			extra = in->i_mtime_extra;
		break;
	default:
		lo = in->i_ctime;
		if ((has = has_extra_field(fs, in, offsetof(struct ext2_inode_large, i_ctime_extra))))
			extra = in->i_ctime_extra;
		break;
	}
	(void)has;
	*sec = (double)(__s32)lo + (double)(extra & EXT4_EPOCH_MASK) * 4294967296.0;
	*nsec = (double)(extra >> EXT4_EPOCH_BITS);
}

static void touch(ext2_filsys fs, struct ext2_inode_large *in, int m, int c)
{
	__u32 s, ns;
	gk_now(&s, &ns);
	if (m)
		set_xtime(fs, in, XT_MTIME, (double)s, ns);
	if (c)
		set_xtime(fs, in, XT_CTIME, (double)s, ns);
}

/* Inodes are read/written as a full-size buffer so the extra fields (nsec
 * times) and in-inode xattrs are preserved. */
struct gk_inode {
	union {
		struct ext2_inode_large l;
		char raw[EXT2_MAX_BLOCK_SIZE > 1024 ? 1024 : 1024];
	} u;
};

static errcode_t rd_inode(ext2_filsys fs, ext2_ino_t ino, struct gk_inode *gi)
{
	int sz = inode_size(fs);
	if (sz > (int)sizeof(gi->u.raw))
		return EXT2_ET_UNSUPP_FEATURE;
	if (ino < 1 || ino > fs->super->s_inodes_count)
		return EXT2_ET_BAD_INODE_NUM;
	memset(gi, 0, sizeof(*gi));
	return ext2fs_read_inode_full(fs, ino, (struct ext2_inode *)&gi->u.l, sz);
}

static errcode_t wr_inode(ext2_filsys fs, ext2_ino_t ino, struct gk_inode *gi)
{
	return ext2fs_write_inode_full(fs, ino, (struct ext2_inode *)&gi->u.l,
				       inode_size(fs));
}

#define INO(gi) ((struct ext2_inode *)&(gi)->u.l)

static __u32 ino_uid32(struct ext2_inode *in)
{
	return in->i_uid | ((__u32)in->osd2.linux2.l_i_uid_high << 16);
}
static __u32 ino_gid32(struct ext2_inode *in)
{
	return in->i_gid | ((__u32)in->osd2.linux2.l_i_gid_high << 16);
}
static void set_uid(struct ext2_inode *in, __u32 uid)
{
	in->i_uid = uid & 0xffff;
	in->osd2.linux2.l_i_uid_high = uid >> 16;
}
static void set_gid(struct ext2_inode *in, __u32 gid)
{
	in->i_gid = gid & 0xffff;
	in->osd2.linux2.l_i_gid_high = gid >> 16;
}

static errcode_t ensure_rw(struct gk_fs *h)
{
	if (!h->rw)
		return EROFS;
	return ext2fs_read_bitmaps(h->fs);
}

/* Linux ext4_calculate_overhead(): first data block, superblock/GDT (+
 * reserved GDT) backups, bitmaps, inode tables, and the internal journal. */
static void compute_overhead(struct gk_fs *h)
{
	ext2_filsys fs = h->fs;
	dgrp_t g;
	double ov;
	ov = fs->super->s_first_data_block;
	if (fs->super->s_overhead_clusters) {
		h->overhead = (double)fs->super->s_overhead_clusters *
			      EXT2FS_CLUSTER_RATIO(fs);
		return;
	}
	for (g = 0; g < fs->group_desc_count; g++) {
		blk_t used = 0;
		ext2fs_super_and_bgd_loc2(fs, g, NULL, NULL, NULL, &used);
		ov += used;
	}
	ov += (double)fs->group_desc_count *
	      (2.0 + fs->inode_blocks_per_group);
	if (ext2fs_has_feature_journal(fs->super) &&
	    fs->super->s_journal_inum) {
		struct ext2_inode in;
		if (!ext2fs_read_inode(fs, fs->super->s_journal_inum, &in))
			ov += (double)(EXT2_I_SIZE(&in) / fs->blocksize);
	}
	h->overhead = ov;
}

EXPORT errcode_t gk_open(int dev, int rw)
{
	char name[32];
	ext2_filsys fs = NULL;
	struct gk_fs *h;
	errcode_t r;
	int flags = EXT2_FLAG_64BITS;

	if (!gk_inited) {
		initialize_ext2_error_table();
		gk_inited = 1;
	}
	if (rw)
		flags |= EXT2_FLAG_RW;
	snprintf(name, sizeof(name), "gk:%d", dev);
	r = ext2fs_open2(name, NULL, flags, 0, 0, &gk_io_manager, &fs);
	if (r)
		return r;
	if (rw && ext2fs_has_feature_journal_needs_recovery(fs->super)) {
		ext2fs_free(fs);
		return GK_ENEEDS_RECOVERY;
	}
	h = calloc(1, sizeof(*h));
	if (h)
		h->blockbuf = malloc(3 * fs->blocksize);
	if (!h || !h->blockbuf) {
		if (h)
			free(h);
		ext2fs_free(fs);
		return ENOMEM;
	}
	h->fs = fs;
	h->rw = rw;
	fs->umask = 0;
	compute_overhead(h);
	gk_out[0] = (double)(size_t)h;
	return 0;
}

/* info: blocksize, ext type (2/3/4), inode size, needs_recovery */
EXPORT errcode_t gk_info(struct gk_fs *h)
{
	ext2_filsys fs = h->fs;
	struct ext2_super_block *sb = fs->super;
	int type = 2;
	__u32 incompat_ok3 = EXT2_FEATURE_INCOMPAT_FILETYPE |
			     EXT3_FEATURE_INCOMPAT_RECOVER |
			     EXT2_FEATURE_INCOMPAT_META_BG;
	__u32 rocompat_ok3 = EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER |
			     EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
			     0x0004 /* BTREE_DIR */;
	if ((sb->s_feature_incompat & ~incompat_ok3) ||
	    (sb->s_feature_ro_compat & ~rocompat_ok3))
		type = 4;
	else if (ext2fs_has_feature_journal(sb))
		type = 3;
	gk_out[0] = fs->blocksize;
	gk_out[1] = type;
	gk_out[2] = inode_size(fs);
	gk_out[3] = ext2fs_has_feature_journal_needs_recovery(sb);
	gk_out[4] = (double)ext2fs_blocks_count(sb);
	return 0;
}

EXPORT errcode_t gk_flush(struct gk_fs *h)
{
	errcode_t r = 0;
	if (!h->rw)
		return 0;
	if (h->fs->flags & EXT2_FLAG_DIRTY ||
	    h->fs->flags & (EXT2_FLAG_BB_DIRTY | EXT2_FLAG_IB_DIRTY))
		r = ext2fs_flush(h->fs);
	if (!r)
		r = io_channel_flush(h->fs->io);
	return r;
}

EXPORT errcode_t gk_close(struct gk_fs *h)
{
	errcode_t r = 0;
	if (h->rw) {
		/* write everything (fs metadata if dirty, then the block
		 * cache) and flush the device, even when only inodes changed */
		r = gk_flush(h);
		if (!r)
			r = ext2fs_close2(h->fs, 0);
		if (r)
			ext2fs_free(h->fs); /* close2 leaves fs open on error */
		else
			; /* close2 freed it (and flushed the channel) */
	} else {
		ext2fs_free(h->fs);
	}
	free(h->blockbuf);
	free(h);
	return r;
}

EXPORT errcode_t gk_statfs(struct gk_fs *h)
{
	ext2_filsys fs = h->fs;
	struct ext2_super_block *sb = fs->super;
	double blocks = (double)ext2fs_blocks_count(sb);
	double bfree = (double)ext2fs_free_blocks_count(sb);
	double resv = (double)ext2fs_r_blocks_count(sb);
	double bavail;
	int i;
	__u32 f0 = 0, f1 = 0;

	/* ext4_calculate_resv_clusters(): 2% or 4096 clusters, extents only */
	if (ext2fs_has_feature_extents(sb)) {
		double rc = (double)(ext2fs_blocks_count(sb) >>
				     (fs->cluster_ratio_bits));
		rc = (double)((unsigned long long)rc / 50);
		if (rc > 4096)
			rc = 4096;
		resv += rc * EXT2FS_CLUSTER_RATIO(fs);
	}
	bavail = bfree - resv;
	if (bavail < 0)
		bavail = 0;
	for (i = 0; i < 4; i++) {
		f0 |= (__u32)sb->s_uuid[i] << (8 * i);
		f1 |= (__u32)sb->s_uuid[4 + i] << (8 * i);
	}
	{
		__u32 a = 0, b = 0;
		for (i = 0; i < 4; i++) {
			a |= (__u32)sb->s_uuid[8 + i] << (8 * i);
			b |= (__u32)sb->s_uuid[12 + i] << (8 * i);
		}
		f0 ^= a;
		f1 ^= b;
	}
	gk_out[0] = fs->blocksize;
	gk_out[1] = fs->blocksize;
	gk_out[2] = blocks - h->overhead;
	gk_out[3] = bfree;
	gk_out[4] = bavail;
	gk_out[5] = sb->s_inodes_count;
	gk_out[6] = sb->s_free_inodes_count;
	gk_out[7] = sb->s_free_inodes_count;
	gk_out[8] = f0;
	gk_out[9] = f1;
	gk_out[10] = EXT2_NAME_LEN;
	gk_out[11] = h->rw ? 0 : 1; /* ST_RDONLY */
	gk_out[12] = h->overhead;
	gk_out[13] = resv;
	return 0;
}

EXPORT errcode_t gk_getattr(struct gk_fs *h, ext2_ino_t ino)
{
	ext2_filsys fs = h->fs;
	struct gk_inode gi;
	struct ext2_inode *in = INO(&gi);
	errcode_t r = rd_inode(fs, ino, &gi);
	double rdev = 0;
	if (r)
		return r;
	gk_out[0] = in->i_mode;
	gk_out[1] = in->i_links_count;
	gk_out[2] = ino_uid32(in);
	gk_out[3] = ino_gid32(in);
	gk_out[4] = (double)EXT2_I_SIZE(in);
	gk_out[5] = (double)ext2fs_get_stat_i_blocks(fs, in);
	get_xtime(fs, &gi.u.l, XT_ATIME, &gk_out[6], &gk_out[7]);
	get_xtime(fs, &gi.u.l, XT_MTIME, &gk_out[8], &gk_out[9]);
	get_xtime(fs, &gi.u.l, XT_CTIME, &gk_out[10], &gk_out[11]);
	if (LINUX_S_ISCHR(in->i_mode) || LINUX_S_ISBLK(in->i_mode)) {
		/* old format in i_block[0], new (huge) format in i_block[1];
		 * both are already Linux's new_encode_dev() layout */
		rdev = in->i_block[0] ? in->i_block[0] : in->i_block[1];
	}
	gk_out[12] = rdev;
	gk_out[13] = in->i_flags;
	gk_out[14] = fs->blocksize;
	return 0;
}

/* ---- names ---- */

static errcode_t check_name(const char *name, int len)
{
	if (len <= 0)
		return ENOENT;
	if (len > EXT2_NAME_LEN)
		return ENAMETOOLONG;
	if (memchr(name, '/', len) || memchr(name, 0, len))
		return EINVAL;
	return 0;
}

static int is_dot_or_dotdot(const char *name, int len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

static errcode_t check_dir(ext2_filsys fs, ext2_ino_t dir,
			   struct gk_inode *gi)
{
	errcode_t r = rd_inode(fs, dir, gi);
	if (r)
		return r;
	if (!LINUX_S_ISDIR(INO(gi)->i_mode))
		return ENOTDIR;
	return 0;
}

EXPORT errcode_t gk_lookup(struct gk_fs *h, ext2_ino_t dir, const char *name,
			   int len)
{
	struct gk_inode gi;
	ext2_ino_t ino = 0;
	errcode_t r;
	if (len > EXT2_NAME_LEN)
		return ENAMETOOLONG;
	if (len <= 0)
		return ENOENT;
	r = check_dir(h->fs, dir, &gi);
	if (r)
		return r;
	r = ext2fs_lookup(h->fs, dir, name, len, NULL, &ino);
	if (r)
		return r;
	gk_out[0] = ino;
	return 0;
}

/* ---- readdir ---- */

struct rd_ctx {
	ext2_filsys fs;
	struct gk_list list;
	errcode_t err;
};

static int ft_to_dt(int ft)
{
	switch (ft) {
	case EXT2_FT_REG_FILE: return 8;
	case EXT2_FT_DIR: return 4;
	case EXT2_FT_CHRDEV: return 2;
	case EXT2_FT_BLKDEV: return 6;
	case EXT2_FT_FIFO: return 1;
	case EXT2_FT_SOCK: return 12;
	case EXT2_FT_SYMLINK: return 10;
	default: return 0;
	}
}

static int mode_to_dt(__u16 mode)
{
	if (LINUX_S_ISREG(mode)) return 8;
	if (LINUX_S_ISDIR(mode)) return 4;
	if (LINUX_S_ISCHR(mode)) return 2;
	if (LINUX_S_ISBLK(mode)) return 6;
	if (LINUX_S_ISFIFO(mode)) return 1;
	if (LINUX_S_ISSOCK(mode)) return 12;
	if (LINUX_S_ISLNK(mode)) return 10;
	return 0;
}

static int mode_to_ft(__u16 mode)
{
	if (LINUX_S_ISREG(mode)) return EXT2_FT_REG_FILE;
	if (LINUX_S_ISDIR(mode)) return EXT2_FT_DIR;
	if (LINUX_S_ISCHR(mode)) return EXT2_FT_CHRDEV;
	if (LINUX_S_ISBLK(mode)) return EXT2_FT_BLKDEV;
	if (LINUX_S_ISFIFO(mode)) return EXT2_FT_FIFO;
	if (LINUX_S_ISSOCK(mode)) return EXT2_FT_SOCK;
	if (LINUX_S_ISLNK(mode)) return EXT2_FT_SYMLINK;
	return 0;
}

static int readdir_proc(struct ext2_dir_entry *dirent, int offset,
			int blocksize, char *buf, void *priv)
{
	struct rd_ctx *c = priv;
	int nl = ext2fs_dirent_name_len(dirent);
	int dt;
	char *p;
	(void)offset; (void)blocksize; (void)buf;

	if (is_dot_or_dotdot(dirent->name, nl))
		return 0;
	dt = ft_to_dt(ext2fs_dirent_file_type(dirent));
	if (dt == 0) {
		struct ext2_inode in;
		if (ext2fs_read_inode(c->fs, dirent->inode, &in) == 0)
			dt = mode_to_dt(in.i_mode);
	}
	p = gk_list_room(&c->list, 6 + nl, 4096);
	if (!p) {
		c->err = ENOMEM;
		return DIRENT_ABORT;
	}
	memcpy(p, &dirent->inode, 4);
	p[4] = (char)dt;
	p[5] = (char)nl;
	memcpy(p + 6, dirent->name, nl);
	c->list.len += 6 + nl;
	c->list.count++;
	return 0;
}

/* Result: out[0] = malloc'd buffer (free with free()), out[1] = bytes,
 * out[2] = entries.  Entry: u32 ino, u8 DT type, u8 name length, name. */
EXPORT errcode_t gk_readdir(struct gk_fs *h, ext2_ino_t dir)
{
	struct rd_ctx c;
	struct gk_inode gi;
	errcode_t r = check_dir(h->fs, dir, &gi);
	if (r)
		return r;
	memset(&c, 0, sizeof(c));
	c.fs = h->fs;
	r = ext2fs_dir_iterate(h->fs, dir, 0, NULL, readdir_proc, &c);
	if (!r)
		r = c.err;
	if (r) {
		free(c.list.buf);
		return r;
	}
	gk_list_out(&c.list);
	return 0;
}

/* ---- data reads ---- */

struct mapper {
	ext2_filsys fs;
	ext2_ino_t ino;
	struct ext2_inode *inode;
	ext2_extent_handle_t eh;
	char *blockbuf;
};

/* Map logical block lblk: *pblk = physical start (0 for a hole or an
 * uninitialized extent), *count = run length (>= 1, <= maxcount). */
static errcode_t map_run(struct mapper *m, blk64_t lblk, blk64_t maxcount,
			 blk64_t *pblk, blk64_t *count)
{
	errcode_t r;
	if (m->eh) {
		struct ext2fs_extent ext;
		r = ext2fs_extent_goto2(m->eh, 0, lblk);
		if (r == 0) {
			blk64_t off;
			r = ext2fs_extent_get(m->eh, EXT2_EXTENT_CURRENT, &ext);
			if (r)
				return r;
			off = lblk - ext.e_lblk;
			*count = ext.e_len - off;
			if (*count > maxcount)
				*count = maxcount;
			*pblk = (ext.e_flags & EXT2_EXTENT_FLAGS_UNINIT) ?
					0 : ext.e_pblk + off;
			return 0;
		}
		if (r == EXT2_ET_EXTENT_NOT_FOUND) {
			blk64_t next = ~0ULL;
			if (ext2fs_extent_get(m->eh, EXT2_EXTENT_CURRENT,
					      &ext) == 0 &&
			    ext.e_lblk > lblk)
				next = ext.e_lblk;
			else if (ext2fs_extent_get(m->eh, EXT2_EXTENT_NEXT_LEAF,
						   &ext) == 0 &&
				 ext.e_lblk > lblk)
				next = ext.e_lblk;
			*pblk = 0;
			*count = next - lblk;
			if (*count > maxcount)
				*count = maxcount;
			return 0;
		}
		return r;
	} else {
		blk64_t p0 = 0, p, n;
		r = ext2fs_bmap2(m->fs, m->ino, m->inode, m->blockbuf, 0, lblk,
				 NULL, &p0);
		if (r)
			return r;
		for (n = 1; n < maxcount && n < 65536; n++) {
			p = 0;
			r = ext2fs_bmap2(m->fs, m->ino, m->inode, m->blockbuf,
					 0, lblk + n, NULL, &p);
			if (r)
				return r;
			if (p0 == 0 ? p != 0 : p != p0 + n)
				break;
		}
		*pblk = p0;
		*count = n;
		return 0;
	}
}

static int io_dev(ext2_filsys fs)
{
	return ((struct gk_io *)fs->io->private_data)->dev;
}

static errcode_t read_data(struct gk_fs *h, ext2_ino_t ino,
			   struct gk_inode *gi, unsigned long long off,
			   size_t len, char *out, size_t *got)
{
	ext2_filsys fs = h->fs;
	struct ext2_inode *in = INO(gi);
	unsigned long long size = EXT2_I_SIZE(in);
	unsigned long long end, pos;
	unsigned int bs = fs->blocksize;
	struct mapper m;
	errcode_t r = 0;
	int dev = io_dev(fs);

	*got = 0;
	/* direct device reads below: the device must be current */
	r = cache_writeback_all((struct gk_io *)fs->io->private_data);
	if (r)
		return r;
	if (off >= size || len == 0)
		return 0;
	if (len > size - off)
		len = size - off;
	end = off + len;

	if (in->i_flags & EXT4_INLINE_DATA_FL) {
		size_t isz = 0;
		char *tmp;
		r = ext2fs_inline_data_size(fs, ino, &isz);
		if (r)
			return r;
		tmp = calloc(1, isz + 1);
		if (!tmp)
			return ENOMEM;
		r = ext2fs_inline_data_get(fs, ino, in, tmp, &isz);
		if (!r) {
			memset(out, 0, len);
			if (off < isz)
				memcpy(out, tmp + off,
				       isz - off < len ? isz - off : len);
			*got = len;
		}
		free(tmp);
		return r;
	}
	if (!ext2fs_inode_has_valid_blocks2(fs, in)) {
		/* e.g. a fast symlink: data lives in i_block */
		if (LINUX_S_ISLNK(in->i_mode) && size <= sizeof(in->i_block)) {
			memcpy(out, (char *)in->i_block + off, len);
			*got = len;
			return 0;
		}
		memset(out, 0, len);
		*got = len;
		return 0;
	}

	memset(&m, 0, sizeof(m));
	m.fs = fs;
	m.ino = ino;
	m.inode = in;
	m.blockbuf = h->blockbuf;
	if (in->i_flags & EXT4_EXTENTS_FL) {
		r = ext2fs_extent_open2(fs, ino, in, &m.eh);
		if (r)
			return r;
	}

	pos = off;
	while (pos < end && !r) {
		blk64_t lblk = pos / bs, pblk, count;
		blk64_t lastblk = (end - 1) / bs;
		unsigned long long run_end;
		r = map_run(&m, lblk, lastblk - lblk + 1, &pblk, &count);
		if (r)
			break;
		run_end = (lblk + count) * (unsigned long long)bs;
		if (run_end > end)
			run_end = end;
		if (pblk == 0) {
			memset(out + (pos - off), 0, run_end - pos);
			pos = run_end;
			continue;
		}
		while (pos < run_end && !r) {
			unsigned long long inblk = pos % bs;
			blk64_t phys = pblk + (pos / bs - lblk);
			if (inblk == 0 && run_end - pos >= bs) {
				unsigned long long n = (run_end - pos) / bs;
				r = dev_read(dev, phys * bs, n * bs,
					     out + (pos - off));
				pos += n * bs;
			} else {
				/* partial head or tail block: bounce */
				unsigned long long c = bs - inblk;
				if (c > run_end - pos)
					c = run_end - pos;
				r = dev_read(dev, phys * bs, bs,
					     h->blockbuf + 2 * bs);
				memcpy(out + (pos - off),
				       h->blockbuf + 2 * bs + inblk, c);
				pos += c;
			}
		}
	}
	if (m.eh)
		ext2fs_extent_free(m.eh);
	if (!r)
		*got = len;
	return r;
}

/* out[0] = bytes read (short only at EOF) */
EXPORT errcode_t gk_read(struct gk_fs *h, ext2_ino_t ino, double offset,
			 int len, char *out)
{
	struct gk_inode gi;
	size_t got = 0;
	errcode_t r = rd_inode(h->fs, ino, &gi);
	if (r)
		return r;
	if (LINUX_S_ISDIR(INO(&gi)->i_mode))
		return EISDIR;
	if (offset < 0 || len < 0)
		return EINVAL;
	r = read_data(h, ino, &gi, (unsigned long long)offset, (size_t)len, out,
		      &got);
	if (r)
		return r;
	gk_out[0] = (double)got;
	return 0;
}

/* out[0] = malloc'd target (free with free()), out[1] = length */
EXPORT errcode_t gk_readlink(struct gk_fs *h, ext2_ino_t ino)
{
	struct gk_inode gi;
	struct ext2_inode *in = INO(&gi);
	size_t got = 0, size;
	char *buf;
	errcode_t r = rd_inode(h->fs, ino, &gi);
	if (r)
		return r;
	if (!LINUX_S_ISLNK(in->i_mode))
		return EINVAL;
	size = EXT2_I_SIZE(in);
	if (size > h->fs->blocksize || size > 65536)
		return EXT2_ET_INODE_CORRUPTED;
	buf = malloc(size + 1);
	if (!buf)
		return ENOMEM;
	if (!(in->i_flags & EXT4_INLINE_DATA_FL) &&
	    ext2fs_is_fast_symlink(in)) {
		memcpy(buf, (char *)in->i_block, size);
		got = size;
	} else {
		r = read_data(h, ino, &gi, 0, size, buf, &got);
		if (r) {
			free(buf);
			return r;
		}
	}
	buf[got] = 0;
	gk_out[0] = (double)(size_t)buf;
	gk_out[1] = (double)got;
	return 0;
}

/* ---- writes ---- */

/* the start of a change to a file's data: a writable filesystem, and ino a regular file */
static errcode_t begin_file_change(struct gk_fs *h, ext2_ino_t ino,
				   struct gk_inode *gi)
{
	errcode_t r;
	if ((r = ensure_rw(h)))
		return r;
	if ((r = rd_inode(h->fs, ino, gi)))
		return r;
	if (LINUX_S_ISDIR(INO(gi)->i_mode))
		return EISDIR;
	if (!LINUX_S_ISREG(INO(gi)->i_mode))
		return EINVAL;
	return 0;
}

/* the end of it: closes f (keeping the first error r), then the inode's mtime and ctime become now */
static errcode_t end_file_change(ext2_filsys fs, ext2_ino_t ino, ext2_file_t f,
				 errcode_t r)
{
	struct gk_inode gi;
	errcode_t r2 = ext2fs_file_close(f);
	if (!r)
		r = r2;
	if (r)
		return r;
	if ((r = rd_inode(fs, ino, &gi)))
		return r;
	touch(fs, &gi.u.l, 1, 1);
	return wr_inode(fs, ino, &gi);
}

EXPORT errcode_t gk_write(struct gk_fs *h, ext2_ino_t ino, double offset,
			  int len, const char *data)
{
	ext2_filsys fs = h->fs;
	struct gk_inode gi;
	ext2_file_t f = NULL;
	errcode_t r;
	unsigned int done = 0;

	if ((r = begin_file_change(h, ino, &gi)))
		return r;
	if (offset < 0 || len < 0)
		return EINVAL;
	if (len == 0)
		return 0;
	r = ext2fs_file_open2(fs, ino, INO(&gi), EXT2_FILE_WRITE, &f);
	if (r)
		return r;
	r = ext2fs_file_llseek(f, (__u64)offset, EXT2_SEEK_SET, NULL);
	while (!r && done < (unsigned int)len) {
		unsigned int w = 0;
		r = ext2fs_file_write(f, data + done, len - done, &w);
		if (!r && w == 0)
			r = EIO;
		done += w;
	}
	return end_file_change(fs, ino, f, r);
}

EXPORT errcode_t gk_truncate(struct gk_fs *h, ext2_ino_t ino, double size)
{
	ext2_filsys fs = h->fs;
	struct gk_inode gi;
	ext2_file_t f = NULL;
	errcode_t r;

	if ((r = begin_file_change(h, ino, &gi)))
		return r;
	if (size < 0)
		return EINVAL;
	r = ext2fs_file_open2(fs, ino, INO(&gi), EXT2_FILE_WRITE, &f);
	if (r)
		return r;
	r = ext2fs_file_set_size2(f, (ext2_off64_t)size);
	return end_file_change(fs, ino, f, r);
}

/* add a directory entry, growing the directory when it is full */
static errcode_t add_link(ext2_filsys fs, ext2_ino_t dir, const char *name,
			  ext2_ino_t ino, int ft)
{
	errcode_t r = ext2fs_link(fs, dir, name, ino, ft);
	if (r == EXT2_ET_DIR_NO_SPACE) {
		r = ext2fs_expand_dir(fs, dir);
		if (!r)
			r = ext2fs_link(fs, dir, name, ino, ft);
	}
	return r;
}

/* release an inode whose last link is gone: data blocks, xattr block,
 * then the inode itself */
static errcode_t release_inode(ext2_filsys fs, ext2_ino_t ino)
{
	struct gk_inode gi;
	struct ext2_inode *in = INO(&gi);
	errcode_t r;
	blk64_t eablk;
	__u32 s, ns;
	int isdir;

	if ((r = rd_inode(fs, ino, &gi)))
		return r;
	isdir = LINUX_S_ISDIR(in->i_mode);
	if (ext2fs_inode_has_valid_blocks2(fs, in) ||
	    (in->i_flags & EXT4_INLINE_DATA_FL)) {
		r = ext2fs_punch(fs, ino, in, NULL, 0, ~0ULL);
		if (r)
			return r;
		if ((r = rd_inode(fs, ino, &gi)))
			return r;
	}
	eablk = ext2fs_file_acl_block(fs, in);
	if (eablk) {
		__u32 cnt = 0;
		r = ext2fs_adjust_ea_refcount3(fs, eablk, NULL, -1, &cnt, ino);
		if (r)
			return r;
		if (cnt == 0)
			ext2fs_block_alloc_stats2(fs, eablk, -1);
		ext2fs_file_acl_block_set(fs, in, 0);
		ext2fs_iblk_set(fs, in, 0);
	}
	gk_now(&s, &ns);
	in->i_links_count = 0;
	in->i_dtime = s;
	in->i_size = 0;
	in->i_size_high = 0;
	touch(fs, &gi.u.l, 0, 1);
	if ((r = wr_inode(fs, ino, &gi)))
		return r;
	ext2fs_inode_alloc_stats2(fs, ino, -1, isdir);
	return 0;
}

/* undo a freshly created inode that could not be linked */
static void undo_new_inode(ext2_filsys fs, ext2_ino_t ino)
{
	release_inode(fs, ino);
}

static errcode_t prep_new_entry(struct gk_fs *h, ext2_ino_t dir,
				const char *name, int len,
				struct gk_inode *dgi)
{
	errcode_t r;
	ext2_ino_t scratch;
	if ((r = ensure_rw(h)))
		return r;
	if ((r = check_name(name, len)))
		return r;
	if ((r = check_dir(h->fs, dir, dgi)))
		return r;
	if (INO(dgi)->i_links_count == 0)
		return ENOENT;
	if (is_dot_or_dotdot(name, len))
		return EEXIST;
	r = ext2fs_lookup(h->fs, dir, name, len, NULL, &scratch);
	if (r == 0)
		return EEXIST;
	if (r != EXT2_ET_FILE_NOT_FOUND)
		return r;
	return 0;
}

static errcode_t touch_dir(ext2_filsys fs, ext2_ino_t dir, int dlinks)
{
	struct gk_inode gi;
	errcode_t r = rd_inode(fs, dir, &gi);
	if (r)
		return r;
	if (dlinks > 0) {
		if (INO(&gi)->i_links_count >= EXT2_LINK_MAX - 1 ||
		    INO(&gi)->i_links_count == 1)
			INO(&gi)->i_links_count = 1; /* dir_nlink: "many" */
		else
			INO(&gi)->i_links_count++;
	} else if (dlinks < 0) {
		if (INO(&gi)->i_links_count > 2)
			INO(&gi)->i_links_count--;
	}
	touch(fs, &gi.u.l, 1, 1);
	return wr_inode(fs, dir, &gi);
}

/* the end of adding an entry for ino to dir: dir's times, and ino is the result */
static errcode_t entry_added(ext2_filsys fs, ext2_ino_t dir, ext2_ino_t ino)
{
	errcode_t r = touch_dir(fs, dir, 0);
	gk_out[0] = ino;
	return r;
}

static errcode_t dir_link_check(ext2_filsys fs, struct gk_inode *dgi)
{
	if (INO(dgi)->i_links_count >= EXT2_LINK_MAX - 1 &&
	    !ext2fs_has_feature_dir_nlink(fs->super))
		return EMLINK;
	return 0;
}

static void init_new_inode(ext2_filsys fs, struct gk_inode *gi, __u16 mode,
			   __u32 uid, __u32 gid)
{
	__u32 s, ns;
	memset(gi, 0, sizeof(*gi));
	INO(gi)->i_mode = mode;
	set_uid(INO(gi), uid);
	set_gid(INO(gi), gid);
	INO(gi)->i_links_count = 1;
	if (inode_size(fs) > EXT2_GOOD_OLD_INODE_SIZE) {
		int extra = sizeof(struct ext2_inode_large) -
			    EXT2_GOOD_OLD_INODE_SIZE;
		if (EXT2_GOOD_OLD_INODE_SIZE + extra > inode_size(fs))
			extra = inode_size(fs) - EXT2_GOOD_OLD_INODE_SIZE;
		gi->u.l.i_extra_isize = extra;
	}
	gk_now(&s, &ns);
	set_xtime(fs, &gi->u.l, XT_ATIME, s, ns);
	set_xtime(fs, &gi->u.l, XT_MTIME, s, ns);
	set_xtime(fs, &gi->u.l, XT_CTIME, s, ns);
	if (has_extra_field(fs, &gi->u.l,
			    offsetof(struct ext2_inode_large, i_crtime_extra))) {
		gi->u.l.i_crtime = s;
		gi->u.l.i_crtime_extra = ns << EXT4_EPOCH_BITS;
	}
	gi->u.l.i_generation = (__u32)rand() ^ (ns << 8);
}

EXPORT errcode_t gk_create(struct gk_fs *h, ext2_ino_t dir, const char *name,
			   int len, int mode, int uid, int gid)
{
	ext2_filsys fs = h->fs;
	struct gk_inode dgi, gi;
	ext2_ino_t ino;
	errcode_t r;

	if ((r = prep_new_entry(h, dir, name, len, &dgi)))
		return r;
	mode = LINUX_S_IFREG | (mode & 07777);
	r = ext2fs_new_inode(fs, dir, mode, NULL, &ino);
	if (r)
		return r;
	init_new_inode(fs, &gi, mode, uid, gid);
	if (ext2fs_has_feature_extents(fs->super)) {
		struct ext3_extent_header *eh =
			(struct ext3_extent_header *)INO(&gi)->i_block;
		INO(&gi)->i_flags |= EXT4_EXTENTS_FL;
		eh->eh_magic = ext2fs_cpu_to_le16(EXT3_EXT_MAGIC);
		eh->eh_entries = 0;
		eh->eh_max = ext2fs_cpu_to_le16(
			(sizeof(INO(&gi)->i_block) - sizeof(*eh)) /
			sizeof(struct ext3_extent));
		eh->eh_depth = 0;
		eh->eh_generation = 0;
	}
	if ((r = wr_inode(fs, ino, &gi)))
		return r;
	ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
	r = add_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
	if (r) {
		undo_new_inode(fs, ino);
		return r;
	}
	return entry_added(fs, dir, ino);
}

EXPORT errcode_t gk_mkdir(struct gk_fs *h, ext2_ino_t dir, const char *name,
			  int len, int mode, int uid, int gid)
{
	ext2_filsys fs = h->fs;
	struct gk_inode dgi, gi;
	ext2_ino_t ino;
	errcode_t r;
	__u16 plinks;

	if ((r = prep_new_entry(h, dir, name, len, &dgi)))
		return r;
	if ((r = dir_link_check(fs, &dgi)))
		return r;
	plinks = INO(&dgi)->i_links_count;
	mode = LINUX_S_IFDIR | (mode & 07777);
	r = ext2fs_new_inode(fs, dir, mode, NULL, &ino);
	if (r)
		return r;
	/* no name: ext2fs_mkdir would write the inode before checking the
	 * name; we checked above and link it ourselves */
	r = ext2fs_mkdir(fs, dir, ino, NULL);
	if (r)
		return r;
	/* ext2fs_mkdir bumped the parent's link count; keep dir_nlink's
	 * "1 = many" convention */
	if ((r = rd_inode(fs, dir, &dgi)))
		return r;
	if (plinks == 1 || plinks >= EXT2_LINK_MAX - 1) {
		INO(&dgi)->i_links_count = 1;
		if ((r = wr_inode(fs, dir, &dgi)))
			return r;
	}
	r = add_link(fs, dir, name, ino, EXT2_FT_DIR);
	if (r) {
		release_inode(fs, ino);
		if (!rd_inode(fs, dir, &dgi)) {
			INO(&dgi)->i_links_count = plinks;
			wr_inode(fs, dir, &dgi);
		}
		return r;
	}
	if ((r = rd_inode(fs, ino, &gi)))
		return r;
	{
		struct gk_inode ngi;
		__u32 flags = INO(&gi)->i_flags;
		__u16 links = INO(&gi)->i_links_count;
		/* keep block map/size/flags, reset the rest like a new inode
		 * but preserve any in-inode data (inline dirs) */
		init_new_inode(fs, &ngi, mode, uid, gid);
		INO(&gi)->i_mode = mode;
		set_uid(INO(&gi), uid);
		set_gid(INO(&gi), gid);
		INO(&gi)->i_flags = flags;
		INO(&gi)->i_links_count = links;
		INO(&gi)->i_atime = INO(&ngi)->i_atime;
		INO(&gi)->i_mtime = INO(&ngi)->i_mtime;
		INO(&gi)->i_ctime = INO(&ngi)->i_ctime;
		if (has_extra_field(fs, &gi.u.l, offsetof(struct ext2_inode_large, i_atime_extra)))
			gi.u.l.i_atime_extra = ngi.u.l.i_atime_extra;
		if (has_extra_field(fs, &gi.u.l, offsetof(struct ext2_inode_large, i_mtime_extra)))
			gi.u.l.i_mtime_extra = ngi.u.l.i_mtime_extra;
		if (has_extra_field(fs, &gi.u.l, offsetof(struct ext2_inode_large, i_ctime_extra)))
			gi.u.l.i_ctime_extra = ngi.u.l.i_ctime_extra;
	}
	if ((r = wr_inode(fs, ino, &gi)))
		return r;
	return entry_added(fs, dir, ino);
}

EXPORT errcode_t gk_symlink(struct gk_fs *h, ext2_ino_t dir, const char *name,
			    int len, const char *target, int tlen, int uid,
			    int gid)
{
	ext2_filsys fs = h->fs;
	struct gk_inode dgi, gi;
	ext2_ino_t ino;
	errcode_t r;

	if ((r = prep_new_entry(h, dir, name, len, &dgi)))
		return r;
	if (tlen <= 0)
		return ENOENT;
	if (memchr(target, 0, tlen))
		return EINVAL;
	if ((unsigned)tlen >= fs->blocksize)
		return ENAMETOOLONG;
	r = ext2fs_new_inode(fs, dir, LINUX_S_IFLNK | 0777, NULL, &ino);
	if (r)
		return r;
	r = ext2fs_symlink(fs, dir, ino, NULL, target);
	if (r)
		return r;
	r = add_link(fs, dir, name, ino, EXT2_FT_SYMLINK);
	if (r) {
		release_inode(fs, ino);
		return r;
	}
	if ((r = rd_inode(fs, ino, &gi)))
		return r;
	set_uid(INO(&gi), uid);
	set_gid(INO(&gi), gid);
	touch(fs, &gi.u.l, 1, 1);
	if (has_extra_field(fs, &gi.u.l, offsetof(struct ext2_inode_large, i_atime_extra))) {
		INO(&gi)->i_atime = INO(&gi)->i_mtime;
		gi.u.l.i_atime_extra = gi.u.l.i_mtime_extra;
	}
	if ((r = wr_inode(fs, ino, &gi)))
		return r;
	return entry_added(fs, dir, ino);
}

EXPORT errcode_t gk_link(struct gk_fs *h, ext2_ino_t ino, ext2_ino_t dir,
			 const char *name, int len)
{
	ext2_filsys fs = h->fs;
	struct gk_inode dgi, gi;
	errcode_t r;

	if ((r = prep_new_entry(h, dir, name, len, &dgi)))
		return r;
	if ((r = rd_inode(fs, ino, &gi)))
		return r;
	if (LINUX_S_ISDIR(INO(&gi)->i_mode))
		return EPERM;
	if (INO(&gi)->i_links_count == 0)
		return ENOENT;
	if (INO(&gi)->i_links_count >= EXT2_LINK_MAX)
		return EMLINK;
	r = add_link(fs, dir, name, ino, mode_to_ft(INO(&gi)->i_mode));
	if (r)
		return r;
	if ((r = rd_inode(fs, ino, &gi)))
		return r;
	INO(&gi)->i_links_count++;
	touch(fs, &gi.u.l, 0, 1);
	if ((r = wr_inode(fs, ino, &gi)))
		return r;
	return touch_dir(fs, dir, 0);
}

/* drop one link of ino (already removed from its directory) */
static errcode_t drop_link(ext2_filsys fs, ext2_ino_t ino)
{
	struct gk_inode gi;
	errcode_t r = rd_inode(fs, ino, &gi);
	if (r)
		return r;
	if (LINUX_S_ISDIR(INO(&gi)->i_mode) || INO(&gi)->i_links_count <= 1)
		return release_inode(fs, ino);
	INO(&gi)->i_links_count--;
	touch(fs, &gi.u.l, 0, 1);
	return wr_inode(fs, ino, &gi);
}

static errcode_t lookup_existing(struct gk_fs *h, ext2_ino_t dir,
				 const char *name, int len, ext2_ino_t *ino,
				 struct gk_inode *gi)
{
	struct gk_inode dgi;
	errcode_t r;
	if ((r = check_name(name, len)))
		return r;
	if ((r = check_dir(h->fs, dir, &dgi)))
		return r;
	r = ext2fs_lookup(h->fs, dir, name, len, NULL, ino);
	if (r)
		return r;
	return rd_inode(h->fs, *ino, gi);
}

EXPORT errcode_t gk_unlink(struct gk_fs *h, ext2_ino_t dir, const char *name,
			   int len)
{
	ext2_filsys fs = h->fs;
	struct gk_inode gi;
	ext2_ino_t ino;
	errcode_t r;

	if ((r = ensure_rw(h)))
		return r;
	if (is_dot_or_dotdot(name, len))
		return EISDIR;
	if ((r = lookup_existing(h, dir, name, len, &ino, &gi)))
		return r;
	if (LINUX_S_ISDIR(INO(&gi)->i_mode))
		return EISDIR;
	/* last link: free the data while the name still exists, so a failure
	 * leaves a (shorter) linked file rather than an unattached inode */
	if (INO(&gi)->i_links_count <= 1 &&
	    ext2fs_inode_has_valid_blocks2(fs, INO(&gi)) &&
	    !(INO(&gi)->i_flags & EXT4_INLINE_DATA_FL)) {
		r = ext2fs_punch(fs, ino, INO(&gi), NULL, 0, ~0ULL);
		if (r)
			return r;
	}
	r = ext2fs_unlink(fs, dir, name, ino, 0);
	if (r)
		return r;
	if ((r = drop_link(fs, ino)))
		return r;
	return touch_dir(fs, dir, 0);
}

struct empty_ctx { int nonempty; };

static int empty_proc(struct ext2_dir_entry *dirent, int offset,
		      int blocksize, char *buf, void *priv)
{
	struct empty_ctx *c = priv;
	(void)offset; (void)blocksize; (void)buf;
	if (dirent->inode == 0 ||
	    is_dot_or_dotdot(dirent->name, ext2fs_dirent_name_len(dirent)))
		return 0;
	c->nonempty = 1;
	return DIRENT_ABORT;
}

static errcode_t dir_is_empty(ext2_filsys fs, ext2_ino_t ino, int *empty)
{
	struct empty_ctx c = { 0 };
	errcode_t r = ext2fs_dir_iterate(fs, ino, 0, NULL, empty_proc, &c);
	*empty = !c.nonempty;
	return r;
}

EXPORT errcode_t gk_rmdir(struct gk_fs *h, ext2_ino_t dir, const char *name,
			  int len)
{
	ext2_filsys fs = h->fs;
	struct gk_inode gi;
	ext2_ino_t ino;
	errcode_t r;
	int empty;

	if ((r = ensure_rw(h)))
		return r;
	if (len == 1 && name[0] == '.')
		return EINVAL;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return ENOTEMPTY;
	if ((r = lookup_existing(h, dir, name, len, &ino, &gi)))
		return r;
	if (!LINUX_S_ISDIR(INO(&gi)->i_mode))
		return ENOTDIR;
	if (ino == EXT2_ROOT_INO)
		return EBUSY;
	if ((r = dir_is_empty(fs, ino, &empty)))
		return r;
	if (!empty)
		return ENOTEMPTY;
	r = ext2fs_unlink(fs, dir, name, ino, 0);
	if (r)
		return r;
	if ((r = release_inode(fs, ino)))
		return r;
	return touch_dir(fs, dir, -1);
}

/* a directory's ".." entry: parent is what it names; when newparent is set, it is made to name that */
struct dotdot_ctx { ext2_ino_t newparent, parent; int done; };

static int dotdot_proc(struct ext2_dir_entry *dirent, int offset,
		       int blocksize, char *buf, void *priv)
{
	struct dotdot_ctx *c = priv;
	(void)offset; (void)blocksize; (void)buf;
	if (ext2fs_dirent_name_len(dirent) != 2 || dirent->name[0] != '.' ||
	    dirent->name[1] != '.')
		return 0;
	c->parent = dirent->inode;
	c->done = 1;
	if (!c->newparent)
		return DIRENT_ABORT;
	dirent->inode = c->newparent;
	return DIRENT_CHANGED | DIRENT_ABORT;
}

/* is `dir` equal to or below `anc`? */
static errcode_t is_descendant(ext2_filsys fs, ext2_ino_t dir, ext2_ino_t anc,
			       int *res)
{
	int depth = 0;
	*res = 0;
	while (depth++ < 65536) {
		struct dotdot_ctx c = { 0, 0, 0 };
		errcode_t r;
		if (dir == anc) {
			*res = 1;
			return 0;
		}
		if (dir == EXT2_ROOT_INO)
			return 0;
		r = ext2fs_dir_iterate(fs, dir, 0, NULL, dotdot_proc, &c);
		if (r)
			return r;
		if (c.parent == 0 || c.parent == dir)
			return EXT2_ET_DIR_CORRUPTED;
		dir = c.parent;
	}
	return ELOOP;
}

EXPORT errcode_t gk_rename(struct gk_fs *h, ext2_ino_t sdir, const char *sname,
			   int slen, ext2_ino_t ddir, const char *dname,
			   int dlen)
{
	ext2_filsys fs = h->fs;
	struct gk_inode sgi, dgi, ddgi;
	ext2_ino_t sino, dino = 0;
	errcode_t r;
	int sisdir, dexists = 0;

	if ((r = ensure_rw(h)))
		return r;
	if (is_dot_or_dotdot(sname, slen) || is_dot_or_dotdot(dname, dlen))
		return EINVAL;
	if ((r = check_name(dname, dlen)))
		return r;
	if ((r = lookup_existing(h, sdir, sname, slen, &sino, &sgi)))
		return r;
	if ((r = check_dir(fs, ddir, &ddgi)))
		return r;
	sisdir = LINUX_S_ISDIR(INO(&sgi)->i_mode);
	r = ext2fs_lookup(fs, ddir, dname, dlen, NULL, &dino);
	if (r == 0) {
		dexists = 1;
		if ((r = rd_inode(fs, dino, &dgi)))
			return r;
	} else if (r != EXT2_ET_FILE_NOT_FOUND) {
		return r;
	}
	if (dexists && dino == sino)
		return 0; /* same file: POSIX says do nothing */
	if (sisdir) {
		int desc;
		if (dexists && !LINUX_S_ISDIR(INO(&dgi)->i_mode))
			return ENOTDIR;
		if ((r = is_descendant(fs, ddir, sino, &desc)))
			return r;
		if (desc)
			return EINVAL;
		if (dexists) {
			int empty;
			if ((r = dir_is_empty(fs, dino, &empty)))
				return r;
			if (!empty)
				return ENOTEMPTY;
		} else if (sdir != ddir && (r = dir_link_check(fs, &ddgi))) {
			return r;
		}
	} else if (dexists && LINUX_S_ISDIR(INO(&dgi)->i_mode)) {
		return EISDIR;
	}

	/* destination entry */
	if (dexists) {
		r = ext2fs_unlink(fs, ddir, dname, dino, 0);
		if (r)
			return r;
	}
	r = add_link(fs, ddir, dname, sino, mode_to_ft(INO(&sgi)->i_mode));
	if (r) {
		if (dexists) /* put the old entry back */
			add_link(fs, ddir, dname, dino,
				 mode_to_ft(INO(&dgi)->i_mode));
		return r;
	}
	r = ext2fs_unlink(fs, sdir, sname, sino, 0);
	if (r)
		return r;
	if (dexists) {
		if ((r = drop_link(fs, dino)))
			return r;
	}
	if (sisdir && sdir != ddir) {
		struct dotdot_ctx c = { ddir, 0, 0 };
		r = ext2fs_dir_iterate(fs, sino, 0, NULL, dotdot_proc, &c);
		if (r)
			return r;
		if (!c.done)
			return EXT2_ET_DIR_CORRUPTED;
	}
	/* link counts and times of the directories */
	if (sisdir) {
		if (sdir != ddir) {
			if ((r = touch_dir(fs, sdir, -1)))
				return r;
			if ((r = touch_dir(fs, ddir, dexists ? 0 : +1)))
				return r;
		} else {
			if ((r = touch_dir(fs, ddir, dexists ? -1 : 0)))
				return r;
		}
	} else {
		if ((r = touch_dir(fs, sdir, 0)))
			return r;
		if (ddir != sdir && (r = touch_dir(fs, ddir, 0)))
			return r;
	}
	if ((r = rd_inode(fs, sino, &sgi)))
		return r;
	touch(fs, &sgi.u.l, 0, 1);
	return wr_inode(fs, sino, &sgi);
}

#define SA_MODE 1
#define SA_UID 2
#define SA_GID 4
#define SA_ATIME 8
#define SA_MTIME 16

EXPORT errcode_t gk_setattr(struct gk_fs *h, ext2_ino_t ino, int mask,
			    int mode, int uid, int gid, double asec, int ansec,
			    double msec, int mnsec)
{
	ext2_filsys fs = h->fs;
	struct gk_inode gi;
	errcode_t r;

	if (!h->rw)
		return EROFS;
	if ((r = rd_inode(fs, ino, &gi)))
		return r;
	if (mask & SA_MODE)
		INO(&gi)->i_mode = (INO(&gi)->i_mode & LINUX_S_IFMT) |
				   (mode & 07777);
	if (mask & SA_UID)
		set_uid(INO(&gi), (__u32)uid);
	if (mask & SA_GID)
		set_gid(INO(&gi), (__u32)gid);
	if (mask & SA_ATIME)
		set_xtime(fs, &gi.u.l, XT_ATIME, asec, (__u32)ansec);
	if (mask & SA_MTIME)
		set_xtime(fs, &gi.u.l, XT_MTIME, msec, (__u32)mnsec);
	touch(fs, &gi.u.l, 0, 1);
	return wr_inode(fs, ino, &gi);
}

/* heap in use by malloc (for leak checks) */
EXPORT double gk_heap_used(void)
{
	struct mallinfo mi = mallinfo();
	return (double)mi.uordblks;
}
