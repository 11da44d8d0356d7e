/*
 * guestkit glue for ntfs-3g's libntfs-3g compiled to WebAssembly.
 *
 * - a struct ntfs_device_operations whose transfers call synchronous JS
 *   imports (gk_js_read/gk_js_write/gk_js_flush, see ../common-io.js), dispatched
 *   by a device id;
 * - inode-level operations (lookup, readdir, getattr, read, readlink,
 *   write, truncate, create, mkdir, symlink, link, unlink, rmdir, rename,
 *   setattr, statfs, flush, close) returning 0 or an error code.  Results go
 *   to a per-call output area of doubles (gk_out) so JS never has to know C
 *   struct layouts;
 * - gk_map: the device extents of a byte range of plain file data, so JS
 *   reads large files straight from the device into its result;
 * - gk_set_reparse / gk_set_dos_name: ntfs-3g's system.ntfs_reparse_data
 *   and system.ntfs_dos_name setters (junctions, Windows symlinks, 8.3
 *   names), used by the tests to make what Windows writes.
 *
 * Error codes returned to JS are errno values of *this* libc (emscripten's
 * numbering, e.g. EIO = 29) or the GK_E* codes below; gk_err_name() turns
 * them into Linux errno names so JS never sees the numbers.  The first
 * error ntfs-3g logs during a call is kept and appended to gk_err_msg(), so
 * causes such as "NTFS signature is missing" reach the caller.
 *
 * Behaviour follows a plain `mount -t ntfs-3g DEV DIR` (no options, no user
 * mapping) where it matters to callers:
 * - permissions and owner are not stored: JS applies one mode per type;
 * - readdir hides the metadata files ($MFT ... $Extend) and DOS 8.3 names,
 *   shows hidden files, never lowercases names;
 * - symbolic links are created as Interix symlinks (ntfs_create_symlink);
 *   junctions and Windows symlinks read back as ntfs_make_symlink()
 *   translates them, with the volume mounted at "" (so "/Users/x");
 * - a hibernated / fast-restarted volume is refused read-write; an unclean
 *   journal is reset on a read-write open (ntfs-3g's default "recover").
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <malloc.h>

#include "types.h"
#include "layout.h"
#include "device.h"
#include "volume.h"
#include "inode.h"
#include "dir.h"
#include "attrib.h"
#include "unistr.h"
#include "reparse.h"
#include "logging.h"
#include "misc.h"
#include "cache.h"

#include "../common-errno.h"
#include "../common-glue.h"

/* glue-specific error codes (negative: never collide with errno) */
#define GK_EHIBERNATED (-1001)  /* rw open of a hibernated/fast-started volume */
#define GK_ENOTNTFS (-1002)     /* no NTFS boot sector */
#define GK_ESYSFILE (-1003)     /* modifying an NTFS metadata file */
#define GK_EREPARSE (-1004)     /* data access to a reparse point */
#define GK_EUNSAFE (-1005)      /* rw open refused: unclean journal (EPERM) */

/* ======================================================================
 * logging: keep the first error ntfs-3g logs during a call
 * ====================================================================== */

static char gk_log_first[512];

static int gk_log_handler(const char *function, const char *file, int line,
			  u32 level, void *data, const char *format,
			  va_list args)
{
	int olderr = errno;
	size_t n;
	(void)function; (void)file; (void)line; (void)data;
	if (gk_log_first[0])
		return 0;
	vsnprintf(gk_log_first, sizeof(gk_log_first), format, args);
	n = strlen(gk_log_first);
	while (n > 0 && (gk_log_first[n - 1] == '\n' || gk_log_first[n - 1] == ' '))
		gk_log_first[--n] = 0;
	if ((level & NTFS_LOG_LEVEL_PERROR) && n + 3 < sizeof(gk_log_first))
		snprintf(gk_log_first + n, sizeof(gk_log_first) - n, ": %s",
			 strerror(olderr));
	/* later formatting must not disturb the caller's errno */
	errno = olderr;
	return 0;
}

static void gk_begin(void)
{
	gk_log_first[0] = 0;
	errno = 0;
}

static int gk_inited;

static void gk_init(void)
{
	if (gk_inited)
		return;
	gk_inited = 1;
	ntfs_log_set_handler(gk_log_handler);
	ntfs_log_clear_levels(~0u);
	ntfs_log_set_levels(NTFS_LOG_LEVEL_ERROR | NTFS_LOG_LEVEL_PERROR |
			    NTFS_LOG_LEVEL_CRITICAL);
	/* names are UTF-8 in the API, whatever the (absent) locale says */
	ntfs_set_char_encoding("UTF-8");
}

/* errno after a failed library call, never 0 */
static int err_or(int dflt)
{
	return errno ? errno : dflt;
}

/* ======================================================================
 * device operations
 * ====================================================================== */

struct gk_dev {
	int id;
	int rw;
	s64 pos;
	s64 size;
};

static s64 dev_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
	struct gk_dev *g = dev->d_private;
	int failed;
	s64 done;
	if (count < 0 || offset < 0) {
		errno = EINVAL;
		return -1;
	}
	done = gk_js_transfer(g->id, offset, count, buf, NULL, &failed);
	if (failed) {
		errno = EIO;
		return done ? done : -1;
	}
	return done; /* short at the end of the device */
}

static s64 dev_pwrite(struct ntfs_device *dev, const void *buf, s64 count,
		      s64 offset)
{
	struct gk_dev *g = dev->d_private;
	int failed;
	s64 done;
	if (NDevReadOnly(dev) || !g->rw) {
		errno = EROFS;
		return -1;
	}
	if (count < 0 || offset < 0) {
		errno = EINVAL;
		return -1;
	}
	NDevSetDirty(dev);
	done = gk_js_transfer(g->id, offset, count, NULL, buf, &failed);
	if (failed) {
		errno = EIO;
		return done ? done : -1;
	}
	if (!done && count > 0) {
		errno = ENOSPC; /* nothing fits before the end of the device */
		return -1;
	}
	return done;
}

static int dev_open(struct ntfs_device *dev, int flags)
{
	struct gk_dev *g = dev->d_private;
	if (NDevOpen(dev)) {
		errno = EBUSY;
		return -1;
	}
	if ((flags & O_ACCMODE) != O_RDONLY) {
		if (!g->rw) {
			errno = EROFS;
			return -1;
		}
	} else {
		NDevSetReadOnly(dev);
	}
	g->pos = 0;
	NDevSetOpen(dev);
	return 0;
}

static int dev_sync(struct ntfs_device *dev)
{
	struct gk_dev *g = dev->d_private;
	if (NDevReadOnly(dev))
		return 0;
	if (gk_js_flush(g->id) < 0) {
		errno = EIO;
		return -1;
	}
	NDevClearDirty(dev);
	return 0;
}

static int dev_close(struct ntfs_device *dev)
{
	if (!NDevOpen(dev)) {
		errno = EBADF;
		return -1;
	}
	if (NDevDirty(dev) && dev_sync(dev))
		return -1;
	NDevClearOpen(dev);
	return 0;
}

static s64 dev_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct gk_dev *g = dev->d_private;
	s64 np;
	switch (whence) {
	case SEEK_SET: np = offset; break;
	case SEEK_CUR: np = g->pos + offset; break;
	case SEEK_END: np = g->size + offset; break;
	default: errno = EINVAL; return -1;
	}
	if (np < 0) {
		errno = EINVAL;
		return -1;
	}
	g->pos = np;
	return np;
}

static s64 dev_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct gk_dev *g = dev->d_private;
	s64 n = dev_pread(dev, buf, count, g->pos);
	if (n > 0)
		g->pos += n;
	return n;
}

static s64 dev_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	struct gk_dev *g = dev->d_private;
	s64 n = dev_pwrite(dev, buf, count, g->pos);
	if (n > 0)
		g->pos += n;
	return n;
}

static int dev_stat(struct ntfs_device *dev, struct stat *st)
{
	struct gk_dev *g = dev->d_private;
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | (g->rw ? 0600 : 0400);
	st->st_size = g->size;
	st->st_blksize = 4096;
	st->st_blocks = (g->size + 511) / 512;
	return 0;
}

static int dev_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	(void)dev; (void)request; (void)argp;
	errno = ENOTTY; /* not a block device: callers fall back */
	return -1;
}

static struct ntfs_device_operations gk_dev_ops = {
	.open = dev_open,
	.close = dev_close,
	.seek = dev_seek,
	.read = dev_read,
	.write = dev_write,
	.pread = dev_pread,
	.pwrite = dev_pwrite,
	.sync = dev_sync,
	.stat = dev_stat,
	.ioctl = dev_ioctl,
};

/* ======================================================================
 * errors
 * ====================================================================== */

EXPORT const char *gk_err_name(int code)
{
	switch (code) {
	case 0: return "OK";
	case GK_EHIBERNATED: return "EROFS";
	case GK_EUNSAFE: return "EROFS";
	case GK_ENOTNTFS: return "EINVAL";
	case GK_ESYSFILE: return "EPERM";
	case GK_EREPARSE: return "EINVAL";
	default: {
		/* this libc's errno values (common-errno.h), else EIO */
		const char *name = gk_errno_name(code);
		return name ? name : "EIO";
	}
	}
}

static char gk_msg[768];

EXPORT const char *gk_err_msg(int code)
{
	const char *base;
	switch (code) {
	case GK_EHIBERNATED:
		base = "the NTFS volume is hibernated or was left by Windows "
		       "fast start-up (metadata cached by Windows): refusing "
		       "read-write access; open it read-only, or boot Windows "
		       "and shut it down fully";
		break;
	case GK_EUNSAFE:
		base = "the NTFS volume was not unmounted cleanly: refusing "
		       "read-write access; open it read-only or run chkdsk";
		break;
	case GK_ENOTNTFS:
		base = "not an NTFS volume (no valid NTFS boot sector)";
		break;
	case GK_ESYSFILE:
		base = "NTFS metadata files cannot be modified";
		break;
	case GK_EREPARSE:
		base = "reparse point (junction, symbolic link or other "
		       "Windows special file): no data to access";
		break;
	default:
		base = strerror(code);
	}
	if (gk_log_first[0])
		snprintf(gk_msg, sizeof(gk_msg), "%s (ntfs-3g: %s)", base,
			 gk_log_first);
	else
		snprintf(gk_msg, sizeof(gk_msg), "%s", base);
	return gk_msg;
}

/* ======================================================================
 * volume
 * ====================================================================== */

struct gk_fs {
	ntfs_volume *vol;
	struct ntfs_device *dev;
	struct gk_dev gdev;
	int rw;
	int case_sensitive;
};

EXPORT int gk_open(int devid, double size, int rw, int case_sensitive)
{
	struct gk_fs *h;
	struct ntfs_device *dev;
	ntfs_volume *vol;
	char name[32];
	int flags, err;

	gk_init();
	gk_begin();
	h = calloc(1, sizeof(*h));
	if (!h)
		return ENOMEM;
	h->gdev.id = devid;
	h->gdev.rw = rw;
	h->gdev.size = (s64)size;
	h->rw = rw;
	h->case_sensitive = case_sensitive;
	snprintf(name, sizeof(name), "gk:%d", devid);
	dev = ntfs_device_alloc(name, 0, &gk_dev_ops, &h->gdev);
	if (!dev) {
		err = err_or(ENOMEM);
		free(h);
		return err;
	}
	/* ntfs-3g's defaults: recover (reset an unclean journal) when
	 * writable; refuse hibernated/fast-restarted volumes */
	flags = rw ? NTFS_MNT_RECOVER : NTFS_MNT_RDONLY;
	vol = ntfs_device_mount(dev, flags);
	if (!vol) {
		err = err_or(EIO);
		ntfs_device_free(dev);
		free(h);
		if (rw && err == EPERM)
			return GK_EHIBERNATED;
		if (rw && err == EOPNOTSUPP)
			return GK_EUNSAFE;
		if (err == EINVAL)
			return GK_ENOTNTFS;
		return err;
	}
	ntfs_create_lru_caches(vol);
	/* show hidden files, hide metadata, keep names as they are */
	ntfs_set_shown_files(vol, FALSE, TRUE, FALSE);
	NVolSetCaseSensitive(vol);
	vol->abs_mnt_point = "";
	/* free clusters and MFT records (ntfs-3g does this at mount) */
	if (ntfs_volume_get_free_space(vol)) {
		err = err_or(EIO);
		ntfs_umount(vol, TRUE);
		free(h);
		return err;
	}
	h->vol = vol;
	h->dev = dev;
	gk_out[0] = (double)(uintptr_t)h;
	return 0;
}

/* inode (MFT record) counts and sizes */
EXPORT void gk_info(struct gk_fs *h)
{
	ntfs_volume *vol = h->vol;
	gk_out[0] = vol->cluster_size;
	gk_out[1] = (double)vol->nr_clusters;
	gk_out[2] = vol->mft_record_size;
	gk_out[3] = vol->major_ver;
	gk_out[4] = vol->minor_ver;
}

static int sync_volume(struct gk_fs *h)
{
	ntfs_volume *vol = h->vol;
	int err = 0;
	if (!h->rw)
		return 0;
	if (vol->mft_ni && NInoDirty(vol->mft_ni) && ntfs_inode_sync(vol->mft_ni))
		err = err_or(EIO);
	if (vol->mftmirr_ni && NInoDirty(vol->mftmirr_ni) &&
	    ntfs_inode_sync(vol->mftmirr_ni) && !err)
		err = err_or(EIO);
	if (vol->lcnbmp_ni && NInoDirty(vol->lcnbmp_ni) &&
	    ntfs_inode_sync(vol->lcnbmp_ni) && !err)
		err = err_or(EIO);
	if (ntfs_device_sync(vol->dev) && !err)
		err = err_or(EIO);
	return err;
}

EXPORT int gk_flush(struct gk_fs *h)
{
	gk_begin();
	return sync_volume(h);
}

EXPORT int gk_close(struct gk_fs *h)
{
	int err = 0;
	gk_begin();
	if (h->vol) {
		err = sync_volume(h);
		if (ntfs_umount(h->vol, FALSE) && !err)
			err = err_or(EIO);
		h->vol = NULL;
	}
	free(h);
	return err;
}

EXPORT int gk_statfs(struct gk_fs *h)
{
	ntfs_volume *vol = h->vol;
	s64 fclust, ffiles, size;
	int delta;

	gk_begin();
	fclust = vol->free_clusters;
	if (fclust < 0)
		fclust = 0;
	/* as ntfs-3g's statfs: MFT records that fit in the free space, plus
	 * the free ones already in the MFT */
	delta = vol->cluster_size_bits - vol->mft_record_size_bits;
	size = delta >= 0 ? fclust << delta : fclust >> -delta;
	ffiles = size + vol->free_mft_records;
	if (ffiles < 0)
		ffiles = 0;
	gk_out[0] = vol->cluster_size;                    /* bsize */
	gk_out[1] = vol->cluster_size;                    /* frsize */
	gk_out[2] = (double)vol->nr_clusters;             /* blocks */
	gk_out[3] = (double)fclust;                       /* bfree */
	gk_out[4] = (double)fclust;                       /* bavail */
	gk_out[5] = (double)((vol->mftbmp_na->allocated_size << 3) + size); /* files */
	gk_out[6] = (double)ffiles;                       /* ffree */
	gk_out[7] = (double)ffiles;                       /* favail */
	{
		/* volume serial number, from the boot sector */
		NTFS_BOOT_SECTOR *bs = malloc(sizeof(*bs));
		u64 serial = 0;
		if (bs && ntfs_pread(vol->dev, 0, sizeof(*bs), bs) == sizeof(*bs))
			serial = le64_to_cpu(bs->volume_serial_number);
		free(bs);
		gk_out[8] = (double)(u32)serial;
		gk_out[9] = (double)(u32)(serial >> 32);
	}
	gk_out[10] = NTFS_MAX_NAME_LEN;
	gk_out[11] = h->rw ? 0 : 1; /* ST_RDONLY */
	return 0;
}

/* ======================================================================
 * helpers
 * ====================================================================== */

static int open_inode(struct gk_fs *h, double ino, ntfs_inode **out)
{
	ntfs_inode *ni;
	*out = NULL;
	if (!(ino >= 0) || ino >= (double)(1ULL << 48) || ino != (double)(u64)ino)
		return EINVAL;
	/* beyond the MFT: no such record (ntfs-3g would say ESPIPE) */
	if ((s64)ino >= (h->vol->mft_na->initialized_size >> h->vol->mft_record_size_bits))
		return ENOENT;
	ni = ntfs_inode_open(h->vol, (MFT_REF)(u64)ino);
	if (!ni)
		return err_or(EIO);
	if (ni->mrec->base_mft_record) {
		/* an extent record, not a file */
		ntfs_inode_close(ni);
		return ENOENT;
	}
	*out = ni;
	return 0;
}

static void close_inode(ntfs_inode *ni, int *err)
{
	if (ni && ntfs_inode_close(ni) && err && !*err)
		*err = err_or(EIO);
}

static int is_dir(ntfs_inode *ni)
{
	return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) &&
	       !(ni->flags & FILE_ATTR_REPARSE_POINT);
}

/* a directory usable as a parent: not a reparse point, not $Extend */
static int check_dir(ntfs_inode *ni)
{
	/* a junction is a symlink to callers, not a directory */
	if (ni->flags & FILE_ATTR_REPARSE_POINT)
		return ENOTDIR;
	if (!(ni->mrec->flags & MFT_RECORD_IS_DIRECTORY))
		return ENOTDIR;
	return 0;
}

/* UTF-8 name -> UTF-16 (malloc'd); validates like a path component */
static int to_uname(const char *name, int len, ntfschar **uname, int *ulen)
{
	char *tmp;
	int n;
	*uname = NULL;
	if (len <= 0)
		return ENOENT;
	if (memchr(name, '/', len) || memchr(name, 0, len))
		return EINVAL;
	tmp = malloc(len + 1);
	if (!tmp)
		return ENOMEM;
	memcpy(tmp, name, len);
	tmp[len] = 0;
	errno = 0;
	n = ntfs_mbstoucs(tmp, uname);
	free(tmp);
	if (n < 0) {
		int e = err_or(EILSEQ);
		*uname = NULL;
		return e;
	}
	if (n > NTFS_MAX_NAME_LEN) {
		free(*uname);
		*uname = NULL;
		return ENAMETOOLONG;
	}
	if (n == 0) {
		free(*uname);
		*uname = NULL;
		return ENOENT;
	}
	*ulen = n;
	return 0;
}

static int is_dot(const ntfschar *u, int len)
{
	return len == 1 && u[0] == const_cpu_to_le16('.');
}

static int is_dotdot(const ntfschar *u, int len)
{
	return len == 2 && u[0] == const_cpu_to_le16('.') &&
	       u[1] == const_cpu_to_le16('.');
}

/*
 * Looks `uname` up in `dir_ni`: an exact (case-sensitive) match first,
 * then, unless the volume is opened case-sensitive, a case-insensitive one
 * (NTFS upcase table), as Windows resolves names. Returns 0 and the MFT
 * record number, or an errno.
 */
static int lookup_u(struct gk_fs *h, ntfs_inode *dir_ni, const ntfschar *uname,
		    int ulen, u64 *ino)
{
	u64 mref;
	ntfs_volume *vol = h->vol;

	errno = 0;
	mref = ntfs_inode_lookup_by_name(dir_ni, uname, ulen);
	if (mref == (u64)-1 && errno == ENOENT && !h->case_sensitive) {
		NVolClearCaseSensitive(vol);
		errno = 0;
		mref = ntfs_inode_lookup_by_name(dir_ni, uname, ulen);
		NVolSetCaseSensitive(vol);
	}
	if (mref == (u64)-1)
		return err_or(ENOENT);
	*ino = MREF(mref);
	return 0;
}

/* times: NTFS 100 ns units since 1601 -> sec/nsec since 1970 */
#define NTFS_EPOCH_DELTA 116444736000000000LL

static void put_time(int idx, sle64 t)
{
	s64 v = sle64_to_cpu(t) - NTFS_EPOCH_DELTA;
	s64 sec = v / 10000000;
	s64 rem = v % 10000000;
	if (rem < 0) {
		rem += 10000000;
		sec--;
	}
	gk_out[idx] = (double)sec;
	gk_out[idx + 1] = (double)(rem * 100);
}

static sle64 make_time(double sec, int nsec)
{
	return cpu_to_sle64((s64)sec * 10000000 + NTFS_EPOCH_DELTA + nsec / 100);
}

/* the reparse tag of ni (0 when none or unreadable) */
static le32 reparse_tag(ntfs_inode *ni)
{
	s64 size = 0;
	REPARSE_POINT *rp;
	le32 tag = const_cpu_to_le32(0);
	int olderr = errno;
	rp = ntfs_attr_readall(ni, AT_REPARSE_POINT, NULL, 0, &size);
	if (rp && size >= (s64)sizeof(le32))
		tag = rp->reparse_tag;
	free(rp);
	errno = olderr;
	return tag;
}

/* The special files WSL stores as reparse points: their tag, file type and readdir type. */
static const struct {
	le32 tag;
	int type;
	unsigned dt;
} wsl_special[] = {
	{ IO_REPARSE_TAG_AF_UNIX, S_IFSOCK, NTFS_DT_SOCK },
	{ IO_REPARSE_TAG_LX_FIFO, S_IFIFO, NTFS_DT_FIFO },
	{ IO_REPARSE_TAG_LX_CHR, S_IFCHR, NTFS_DT_CHR },
	{ IO_REPARSE_TAG_LX_BLK, S_IFBLK, NTFS_DT_BLK },
};
#define N_WSL_SPECIAL (sizeof(wsl_special) / sizeof(wsl_special[0]))

/* file type of a reparse point, as ntfs-3g's internal plugins show it */
static int reparse_type(ntfs_inode *ni)
{
	s64 size = 0;
	REPARSE_POINT *rp;
	int type = S_IFLNK;
	int olderr = errno;
	size_t i;
	rp = ntfs_attr_readall(ni, AT_REPARSE_POINT, NULL, 0, &size);
	if (rp && size >= (s64)sizeof(REPARSE_POINT) &&
	    !ntfs_reparse_check_wsl(ni, rp)) {
		for (i = 0; i < N_WSL_SPECIAL; i++)
			if (rp->reparse_tag == wsl_special[i].tag)
				type = wsl_special[i].type;
	}
	free(rp);
	errno = olderr;
	return type;
}

static const char bad_reparse_fmt[] = "unsupported reparse tag 0x%08lx";

/* the link target of a reparse point (malloc'd), as ntfs-3g shows it */
static char *reparse_target(ntfs_inode *ni, int *err)
{
	char *t;
	*err = 0;
	errno = 0;
	t = ntfs_make_symlink(ni, "");
	if (t)
		return t;
	if (errno == EOPNOTSUPP) {
		t = malloc(sizeof(bad_reparse_fmt) + 8);
		if (!t) {
			*err = ENOMEM;
			return NULL;
		}
		snprintf(t, sizeof(bad_reparse_fmt) + 8, bad_reparse_fmt,
			 (long)le32_to_cpu(reparse_tag(ni)));
		return t;
	}
	*err = err_or(EIO);
	return NULL;
}

/*
 * Interix special files (system-flagged regular files, what ntfs-3g creates
 * for symlinks, fifos, sockets and devices). Returns the type bits and, for
 * devices and symlinks, rdev / the target.
 */
static int interix_type(ntfs_inode *ni, dev_t *rdev, char **target, s64 *tsize)
{
	ntfs_attr *na;
	int type = S_IFREG;
	int olderr = errno;

	*rdev = 0;
	if (target)
		*target = NULL;
	if (!(ni->flags & FILE_ATTR_SYSTEM))
		return S_IFREG;
	na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!na) {
		errno = olderr;
		return S_IFREG;
	}
	if (!(ni->flags & FILE_ATTR_HIDDEN)) {
		if (na->data_size == 0)
			type = S_IFIFO;
		else if (na->data_size == 1)
			type = S_IFSOCK;
	}
	if ((u64)na->data_size <= sizeof(INTX_FILE_TYPES) + sizeof(ntfschar) * PATH_MAX &&
	    (u64)na->data_size > sizeof(INTX_FILE_TYPES)) {
		INTX_FILE *ix = malloc(na->data_size);
		if (ix && ntfs_attr_pread(na, 0, na->data_size, ix) == na->data_size) {
			if ((ix->magic == INTX_BLOCK_DEVICE || ix->magic == INTX_CHARACTER_DEVICE) &&
			    na->data_size == (s64)offsetof(INTX_FILE, device_end)) {
				type = ix->magic == INTX_BLOCK_DEVICE ? S_IFBLK : S_IFCHR;
				*rdev = makedev(le64_to_cpu(ix->major), le64_to_cpu(ix->minor));
			}
			if (ix->magic == INTX_SYMBOLIC_LINK) {
				char *t = NULL;
				int len = ntfs_ucstombs(ix->target,
					(na->data_size - offsetof(INTX_FILE, target)) / sizeof(ntfschar),
					&t, 0);
				if (len >= 0) {
					type = S_IFLNK;
					if (tsize)
						*tsize = len;
					if (target)
						*target = t;
					else
						free(t);
				}
			}
		}
		free(ix);
	}
	ntfs_attr_close(na);
	errno = olderr;
	return type;
}

static int ensure_rw(struct gk_fs *h)
{
	return h->rw ? 0 : EROFS;
}

/* the start of a call that writes: errors of the call are its own, and the volume is writable */
static int begin_write(struct gk_fs *h)
{
	gk_begin();
	return ensure_rw(h);
}

/* metadata files (other than the root directory) are never modified */
static int check_user_inode(ntfs_inode *ni)
{
	if (ni->mft_no < FILE_first_user && ni->mft_no != FILE_root)
		return GK_ESYSFILE;
	return 0;
}

/* ======================================================================
 * read-only operations
 * ====================================================================== */

/*
 * out: 0 mode (type bits | 0777; JS applies fmask/dmask), 1 nlink,
 * 2 size, 3 blocks (512 B), 4-9 atime/mtime/ctime (sec, nsec),
 * 10 rdev major, 11 rdev minor, 12 NTFS file attribute flags,
 * 13-14 crtime (sec, nsec)
 */
EXPORT int gk_getattr(struct gk_fs *h, double ino)
{
	ntfs_inode *ni;
	int err, mode;
	s64 size, blocks;
	dev_t rdev = 0;
	int nlink;

	gk_begin();
	if ((err = open_inode(h, ino, &ni)))
		return err;
	nlink = le16_to_cpu(ni->mrec->link_count);
	if (ni->flags & FILE_ATTR_REPARSE_POINT) {
		mode = reparse_type(ni);
		size = 0;
		if (mode == S_IFLNK) {
			int terr;
			char *t = reparse_target(ni, &terr);
			if (!t) {
				close_inode(ni, NULL);
				return terr;
			}
			size = strlen(t);
			free(t);
		}
		blocks = (ni->allocated_size + 511) >> 9;
		mode |= 0777;
	} else if (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) {
		mode = S_IFDIR | 0777;
		if (!test_nino_flag(ni, KnownSize)) {
			ntfs_attr *na = ntfs_attr_open(ni, AT_INDEX_ALLOCATION,
						       NTFS_INDEX_I30, 4);
			if (na) {
				ni->data_size = na->data_size;
				ni->allocated_size = na->allocated_size;
				set_nino_flag(ni, KnownSize);
				ntfs_attr_close(na);
			}
			errno = 0;
		}
		size = ni->data_size;
		blocks = ni->allocated_size >> 9;
		nlink = 1; /* as ntfs-3g: makes find(1) work */
	} else {
		s64 tsize = 0;
		size = ni->data_size;
		blocks = (ni->allocated_size + 511) >> 9;
		mode = interix_type(ni, &rdev, NULL, &tsize);
		if (mode == S_IFLNK)
			size = tsize;
		mode |= 0777;
	}
	gk_out[0] = mode;
	gk_out[1] = nlink;
	gk_out[2] = (double)size;
	gk_out[3] = (double)blocks;
	put_time(4, ni->last_access_time);
	put_time(6, ni->last_data_change_time);
	put_time(8, ni->last_mft_change_time);
	gk_out[10] = major(rdev);
	gk_out[11] = minor(rdev);
	gk_out[12] = le32_to_cpu(ni->flags);
	put_time(13, ni->creation_time);
	close_inode(ni, &err);
	return err;
}

EXPORT int gk_lookup(struct gk_fs *h, double dir, const char *name, int len)
{
	ntfs_inode *dir_ni;
	ntfschar *uname = NULL;
	int ulen, err;
	u64 ino = 0;

	gk_begin();
	if ((err = to_uname(name, len, &uname, &ulen)))
		return err;
	if ((err = open_inode(h, dir, &dir_ni))) {
		free(uname);
		return err;
	}
	if ((err = check_dir(dir_ni)))
		goto out;
	if (is_dot(uname, ulen)) {
		ino = dir_ni->mft_no;
	} else if (is_dotdot(uname, ulen)) {
		if (dir_ni->mft_no == FILE_root) {
			ino = FILE_root;
		} else {
			ntfs_inode *p = ntfs_dir_parent_inode(dir_ni);
			if (!p) {
				err = err_or(EIO);
				goto out;
			}
			ino = p->mft_no;
			ntfs_inode_close(p);
		}
	} else {
		err = lookup_u(h, dir_ni, uname, ulen, &ino);
	}
out:
	close_inode(dir_ni, err ? NULL : &err);
	free(uname);
	gk_out[0] = (double)ino;
	return err;
}

/* readdir: packed records [u32 ino lo][u16 ino hi][u8 type][u16 len][name] */
struct rd_ctx {
	struct gk_fs *h;
	ntfs_inode *dir_ni;
	struct gk_list list;
	int err;
};

static int rd_filler(void *priv, const ntfschar *name, const int name_len,
		     const int name_type, const s64 pos, const MFT_REF mref,
		     const unsigned dt_type)
{
	struct rd_ctx *c = priv;
	char *u = NULL;
	int ulen;
	unsigned type = dt_type;
	u64 ino = MREF(mref);
	(void)pos;

	if (name_type == FILE_NAME_DOS)
		return 0;
	if (is_dot(name, name_len) || is_dotdot(name, name_len))
		return 0;
	ulen = ntfs_ucstombs(name, name_len, &u, 0);
	if (ulen < 0) {
		c->err = err_or(EILSEQ);
		return -1;
	}
	if (ulen > 65535) {
		free(u);
		c->err = ENAMETOOLONG;
		return -1;
	}
	if (type == NTFS_DT_REPARSE) {
		ntfs_inode *ni = ntfs_inode_open(c->h->vol, mref);
		type = NTFS_DT_LNK;
		if (ni) {
			int rtype = reparse_type(ni);
			size_t i;
			for (i = 0; i < N_WSL_SPECIAL; i++)
				if (rtype == wsl_special[i].type)
					type = wsl_special[i].dt;
			ntfs_inode_close(ni);
		}
		errno = 0;
	} else if (type > 14) {
		type = NTFS_DT_UNKNOWN;
	}
	{
		unsigned char *p = (unsigned char *)gk_list_room(&c->list, 9 + ulen, 8192);
		u32 lo = (u32)ino;
		if (!p) {
			free(u);
			c->err = ENOMEM;
			return -1;
		}
		u32 hi = (u32)(ino >> 32);
		p[0] = lo; p[1] = lo >> 8; p[2] = lo >> 16; p[3] = lo >> 24;
		p[4] = hi; p[5] = hi >> 8;
		p[6] = type;
		p[7] = ulen; p[8] = ulen >> 8;
		memcpy(p + 9, u, ulen);
		c->list.len += 9 + ulen;
	}
	c->list.count++;
	free(u);
	return 0;
}

EXPORT int gk_readdir(struct gk_fs *h, double dir)
{
	struct rd_ctx c;
	s64 pos = 0;
	int err;

	gk_begin();
	memset(&c, 0, sizeof(c));
	c.h = h;
	if ((err = open_inode(h, dir, &c.dir_ni)))
		return err;
	if ((err = check_dir(c.dir_ni)))
		goto out;
	errno = 0;
	if (ntfs_readdir(c.dir_ni, &pos, &c, rd_filler))
		err = c.err ? c.err : err_or(EIO);
	else if (c.err)
		err = c.err;
out:
	close_inode(c.dir_ni, err ? NULL : &err);
	if (err) {
		free(c.list.buf);
		return err;
	}
	gk_list_out(&c.list);
	return 0;
}

EXPORT int gk_readlink(struct gk_fs *h, double ino)
{
	ntfs_inode *ni;
	char *t = NULL;
	int err;

	gk_begin();
	if ((err = open_inode(h, ino, &ni)))
		return err;
	if (ni->flags & FILE_ATTR_REPARSE_POINT) {
		if (reparse_type(ni) != S_IFLNK)
			err = EINVAL;
		else
			t = reparse_target(ni, &err);
	} else if (!(ni->mrec->flags & MFT_RECORD_IS_DIRECTORY)) {
		dev_t rdev;
		if (interix_type(ni, &rdev, &t, NULL) != S_IFLNK) {
			free(t);
			t = NULL;
			err = EINVAL;
		}
	} else {
		err = EINVAL;
	}
	close_inode(ni, err ? NULL : &err);
	if (err) {
		free(t);
		return err;
	}
	gk_out[0] = (double)(uintptr_t)t;
	gk_out[1] = (double)strlen(t);
	return 0;
}

/* opens the unnamed $DATA of a plain file (not a directory/reparse point) */
static int open_data(ntfs_inode *ni, ntfs_attr **na)
{
	*na = NULL;
	if (ni->flags & FILE_ATTR_REPARSE_POINT)
		return (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) ? EISDIR : GK_EREPARSE;
	if (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY)
		return EISDIR;
	*na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0);
	if (!*na)
		return err_or(EIO);
	return 0;
}

EXPORT int gk_read(struct gk_fs *h, double ino, double offset, int len, char *buf)
{
	ntfs_inode *ni;
	ntfs_attr *na = NULL;
	s64 pos = (s64)offset, done = 0;
	int err;

	gk_begin();
	gk_out[0] = 0;
	if ((err = open_inode(h, ino, &ni)))
		return err;
	if ((err = open_data(ni, &na)))
		goto out;
	gk_out[1] = (double)na->data_size;
	if (pos < na->data_size) {
		s64 want = na->data_size - pos;
		if (want > len)
			want = len;
		while (done < want) {
			s64 n = ntfs_attr_pread(na, pos + done, want - done, buf + done);
			if (n < 0) {
				err = err_or(EIO);
				break;
			}
			if (n == 0)
				break;
			done += n;
		}
	}
	gk_out[0] = (double)done;
out:
	if (na)
		ntfs_attr_close(na);
	close_inode(ni, err ? NULL : &err);
	return err;
}

/*
 * Where the bytes [offset, offset+len) of a plain file live on the device,
 * so JS can read them straight into its result (no copy through the wasm
 * heap). Only for non-resident, uncompressed, unencrypted data; otherwise
 * gk_out[0] = -1 and the caller uses gk_read.
 *
 * out: 0 number of extents (or -1), 1 data size, 2 pointer to the extents:
 * triples of doubles (file offset, device offset or -1 for zeros, length),
 * in file order, at most GK_MAP_MAX per call (call again from the end of
 * the last one).
 */
#define GK_MAP_MAX 256
static double gk_map_out[GK_MAP_MAX * 3];

EXPORT int gk_map(struct gk_fs *h, double ino, double offset, double len)
{
	ntfs_inode *ni;
	ntfs_attr *na = NULL;
	ntfs_volume *vol = h->vol;
	s64 pos = (s64)offset, end, isize;
	int err, n = 0;

	gk_begin();
	gk_out[0] = -1;
	gk_out[2] = (double)(uintptr_t)gk_map_out;
	if ((err = open_inode(h, ino, &ni)))
		return err;
	if ((err = open_data(ni, &na)))
		goto out;
	gk_out[1] = (double)na->data_size;
	if (!NAttrNonResident(na) ||
	    (na->data_flags & (ATTR_COMPRESSION_MASK | ATTR_IS_ENCRYPTED)))
		goto out; /* not mappable: gk_out[0] stays -1 */
	end = pos + (s64)len;
	if (end > na->data_size)
		end = na->data_size;
	isize = na->initialized_size;
	while (pos < end && n < GK_MAP_MAX) {
		VCN vcn = pos >> vol->cluster_size_bits;
		runlist_element *rl = ntfs_attr_find_vcn(na, vcn);
		s64 run_end, piece;
		if (!rl) {
			err = err_or(EIO);
			goto out;
		}
		if (rl->lcn < LCN_HOLE || rl->length <= 0) {
			err = EIO;
			goto out;
		}
		run_end = (rl->vcn + rl->length) << vol->cluster_size_bits;
		piece = (run_end < end ? run_end : end) - pos;
		if (pos < isize && pos + piece > isize)
			piece = isize - pos;
		if (piece <= 0) {
			err = EIO;
			goto out;
		}
		gk_map_out[n * 3] = (double)pos;
		if (rl->lcn == LCN_HOLE || pos >= isize)
			gk_map_out[n * 3 + 1] = -1;
		else
			gk_map_out[n * 3 + 1] = (double)((rl->lcn << vol->cluster_size_bits) +
				(pos - (rl->vcn << vol->cluster_size_bits)));
		gk_map_out[n * 3 + 2] = (double)piece;
		n++;
		pos += piece;
	}
	gk_out[0] = n;
out:
	if (na)
		ntfs_attr_close(na);
	close_inode(ni, err ? NULL : &err);
	return err;
}

/* ======================================================================
 * modifying operations
 * ====================================================================== */

/*
 * The start of a call that modifies one inode: a writable volume, the inode
 * open in *ni and not a metadata file. On an error nothing is left open.
 */
static int begin_modify(struct gk_fs *h, double ino, ntfs_inode **ni)
{
	int err;

	if ((err = begin_write(h)))
		return err;
	if ((err = open_inode(h, ino, ni)))
		return err;
	if ((err = check_user_inode(*ni)))
		close_inode(*ni, &err);
	return err;
}

EXPORT int gk_write(struct gk_fs *h, double ino, double offset, int len,
		    const char *data)
{
	ntfs_inode *ni;
	ntfs_attr *na = NULL;
	s64 pos = (s64)offset, done = 0;
	int err;

	if ((err = begin_modify(h, ino, &ni)))
		return err;
	if ((err = open_data(ni, &na)))
		goto out;
	while (done < len) {
		s64 n = ntfs_attr_pwrite(na, pos + done, len - done, data + done);
		if (n <= 0) {
			err = err_or(EIO);
			break;
		}
		done += n;
	}
	if (na->data_flags & (ATTR_COMPRESSION_MASK | ATTR_IS_ENCRYPTED)) {
		if (ntfs_attr_pclose(na) && !err)
			err = err_or(EIO);
	}
	if (done > 0) {
		ntfs_inode_update_times(ni, NTFS_UPDATE_MCTIME);
		ni->flags |= FILE_ATTR_ARCHIVE;
	}
out:
	if (na)
		ntfs_attr_close(na);
	close_inode(ni, &err);
	return err;
}

EXPORT int gk_truncate(struct gk_fs *h, double ino, double size)
{
	ntfs_inode *ni;
	ntfs_attr *na = NULL;
	s64 nsize = (s64)size, oldsize;
	int err;

	if ((err = begin_modify(h, ino, &ni)))
		return err;
	if ((err = open_data(ni, &na)))
		goto out;
	oldsize = na->data_size;
	if ((na->data_flags & ATTR_COMPRESSION_MASK) &&
	    nsize > na->initialized_size) {
		char zero = 0;
		if (ntfs_attr_pwrite(na, nsize - 1, 1, &zero) <= 0)
			err = err_or(EIO);
		else if (ntfs_attr_pclose(na))
			err = err_or(EIO);
	} else if (ntfs_attr_truncate(na, nsize)) {
		err = err_or(EIO);
	}
	if (!err) {
		if (oldsize != nsize)
			ni->flags |= FILE_ATTR_ARCHIVE;
		ntfs_inode_update_times(ni, NTFS_UPDATE_MCTIME);
	}
out:
	if (na)
		ntfs_attr_close(na);
	close_inode(ni, &err);
	return err;
}

/*
 * Starts a call that adds `name` to `dir` (gk_begin), and opens `dir`:
 * writable, a real directory (not $Extend, not a reparse point), and no
 * entry of that name (case-insensitively unless case-sensitive) exists.
 */
static int prep_new(struct gk_fs *h, double dir, const char *name, int len,
		    ntfs_inode **dir_ni, ntfschar **uname, int *ulen)
{
	int err;
	u64 ino;

	gk_begin();
	*dir_ni = NULL;
	*uname = NULL;
	if ((err = ensure_rw(h)))
		return err;
	if ((err = to_uname(name, len, uname, ulen)))
		return err;
	if (is_dot(*uname, *ulen) || is_dotdot(*uname, *ulen)) {
		err = EEXIST;
		goto fail;
	}
	if ((err = open_inode(h, dir, dir_ni)))
		goto fail;
	if ((err = check_dir(*dir_ni)))
		goto fail;
	if ((*dir_ni)->mft_no == FILE_Extend) {
		err = GK_ESYSFILE;
		goto fail;
	}
	err = lookup_u(h, *dir_ni, *uname, *ulen, &ino);
	if (!err) {
		err = EEXIST;
		goto fail;
	}
	if (err != ENOENT)
		goto fail;
	return 0;
fail:
	if (*dir_ni)
		ntfs_inode_close(*dir_ni);
	*dir_ni = NULL;
	free(*uname);
	*uname = NULL;
	return err;
}

/* closes a new inode and its directory, updating the directory's times */
static int finish_new(ntfs_inode *ni, ntfs_inode *dir_ni)
{
	int err = 0;
	u64 ino = ni->mft_no;
	NInoSetDirty(ni);
	if (ntfs_inode_close_in_dir(ni, dir_ni))
		err = err_or(EIO);
	ntfs_inode_update_times(dir_ni, NTFS_UPDATE_MCTIME);
	if (ntfs_inode_close(dir_ni) && !err)
		err = err_or(EIO);
	gk_out[0] = (double)ino;
	return err;
}

static int create_common(struct gk_fs *h, double dir, const char *name,
			 int len, mode_t type)
{
	ntfs_inode *dir_ni, *ni;
	ntfschar *uname;
	int ulen, err;

	if ((err = prep_new(h, dir, name, len, &dir_ni, &uname, &ulen)))
		return err;
	/* securid 0: ntfs_create adds a security descriptor granting
	 * everyone full access, as ntfs-3g does without user mapping */
	ni = ntfs_create(dir_ni, const_cpu_to_le32(0), uname, ulen, type);
	free(uname);
	if (!ni) {
		err = err_or(EIO);
		ntfs_inode_close(dir_ni);
		return err;
	}
	if (type == S_IFREG)
		ni->flags |= FILE_ATTR_ARCHIVE;
	return finish_new(ni, dir_ni);
}

EXPORT int gk_create(struct gk_fs *h, double dir, const char *name, int len)
{
	return create_common(h, dir, name, len, S_IFREG);
}

EXPORT int gk_mkdir(struct gk_fs *h, double dir, const char *name, int len)
{
	return create_common(h, dir, name, len, S_IFDIR);
}

EXPORT int gk_symlink(struct gk_fs *h, double dir, const char *name, int len,
		      const char *target, int tlen)
{
	ntfs_inode *dir_ni, *ni;
	ntfschar *uname, *utarget = NULL;
	char *t;
	int ulen, utlen, err;

	gk_begin();
	if (tlen <= 0)
		return ENOENT;
	if (memchr(target, 0, tlen))
		return EINVAL;
	if (tlen >= PATH_MAX)
		return ENAMETOOLONG;
	if ((err = prep_new(h, dir, name, len, &dir_ni, &uname, &ulen)))
		return err;
	t = malloc(tlen + 1);
	if (!t) {
		err = ENOMEM;
		goto fail;
	}
	memcpy(t, target, tlen);
	t[tlen] = 0;
	utlen = ntfs_mbstoucs(t, &utarget);
	free(t);
	if (utlen <= 0) {
		err = utlen < 0 ? err_or(EILSEQ) : ENOENT;
		goto fail;
	}
	/* an Interix symlink, as ntfs-3g creates by default */
	ni = ntfs_create_symlink(dir_ni, const_cpu_to_le32(0), uname, ulen,
				 utarget, utlen);
	free(utarget);
	free(uname);
	if (!ni) {
		err = err_or(EIO);
		ntfs_inode_close(dir_ni);
		return err;
	}
	return finish_new(ni, dir_ni);
fail:
	free(utarget);
	free(uname);
	ntfs_inode_close(dir_ni);
	return err;
}

/* adds name `uname` in dir_ni for ni (both stay open) */
static int add_name(ntfs_inode *ni, ntfs_inode *dir_ni, ntfschar *uname,
		    int ulen)
{
	if (ntfs_link(ni, dir_ni, uname, ulen))
		return err_or(EIO);
	ni->flags |= FILE_ATTR_ARCHIVE;
	ntfs_inode_update_times(ni, NTFS_UPDATE_CTIME);
	ntfs_inode_update_times(dir_ni, NTFS_UPDATE_MCTIME);
	return 0;
}

EXPORT int gk_link(struct gk_fs *h, double ino, double dir, const char *name,
		   int len)
{
	ntfs_inode *dir_ni, *ni;
	ntfschar *uname;
	int ulen, err;

	if ((err = prep_new(h, dir, name, len, &dir_ni, &uname, &ulen)))
		return err;
	if ((err = open_inode(h, ino, &ni))) {
		ntfs_inode_close(dir_ni);
		free(uname);
		return err;
	}
	if (ni->mrec->flags & MFT_RECORD_IS_DIRECTORY)
		err = EPERM;
	else if (ni->mft_no < FILE_first_user)
		err = GK_ESYSFILE;
	else if (le16_to_cpu(ni->mrec->link_count) >= 1023)
		err = EMLINK;
	else
		err = add_name(ni, dir_ni, uname, ulen);
	free(uname);
	/* the directory first: ni's name sync looks it up in the index */
	close_inode(dir_ni, &err);
	close_inode(ni, &err);
	return err;
}

/*
 * The on-disk spelling of the name of `ni` in directory `dir` that matches
 * `uname`: exactly if possible, else case-insensitively (Win32/POSIX names
 * before DOS ones). Returns a malloc'd copy in *out / *outlen.
 */
static int disk_name(ntfs_inode *ni, u64 dir, const ntfschar *uname, int ulen,
		     ntfschar **out, int *outlen)
{
	ntfs_attr_search_ctx *ctx;
	FILE_NAME_ATTR *best = NULL;
	int best_rank = 0;
	int err = 0;

	*out = NULL;
	ctx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!ctx)
		return err_or(ENOMEM);
	while (!ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE,
				 0, NULL, 0, ctx)) {
		FILE_NAME_ATTR *fn = (FILE_NAME_ATTR *)((u8 *)ctx->attr +
				le16_to_cpu(ctx->attr->value_offset));
		int rank;
		if (MREF_LE(fn->parent_directory) != dir)
			continue;
		if (ntfs_names_are_equal(fn->file_name, fn->file_name_length,
					 uname, ulen, CASE_SENSITIVE,
					 ni->vol->upcase, ni->vol->upcase_len))
			rank = 3;
		else if (ntfs_names_are_equal(fn->file_name, fn->file_name_length,
					      uname, ulen, IGNORE_CASE,
					      ni->vol->upcase, ni->vol->upcase_len))
			rank = fn->file_name_type == FILE_NAME_DOS ? 1 : 2;
		else
			continue;
		if (rank > best_rank) {
			free(best);
			best = malloc(sizeof(*fn) + fn->file_name_length * sizeof(ntfschar));
			if (!best) {
				err = ENOMEM;
				break;
			}
			memcpy(best, fn, sizeof(*fn) + fn->file_name_length * sizeof(ntfschar));
			best_rank = rank;
			if (rank == 3)
				break;
		}
	}
	ntfs_attr_put_search_ctx(ctx);
	if (!err && !best)
		err = ENOENT;
	if (!err) {
		*outlen = best->file_name_length;
		*out = malloc(*outlen * sizeof(ntfschar));
		if (!*out)
			err = ENOMEM;
		else
			memcpy(*out, best->file_name, *outlen * sizeof(ntfschar));
	}
	free(best);
	errno = 0;
	return err;
}

/*
 * Removes the entry `uname` (ulen, any case) for inode `ino` from dir.
 * ntfs_delete gets the exact on-disk name (it removes a WIN32 name
 * together with its DOS twin, and frees the inode with its last name).
 */
static int delete_name(struct gk_fs *h, u64 dir, u64 ino, ntfschar *uname,
		       int ulen)
{
	ntfs_inode *dir_ni, *ni;
	ntfschar *dname;
	int dlen, err;
	if ((err = open_inode(h, (double)dir, &dir_ni)))
		return err;
	if ((err = open_inode(h, (double)ino, &ni))) {
		ntfs_inode_close(dir_ni);
		return err;
	}
	if ((err = disk_name(ni, dir, uname, ulen, &dname, &dlen))) {
		ntfs_inode_close(ni);
		ntfs_inode_close(dir_ni);
		return err;
	}
	errno = 0;
	/* ntfs_delete closes both inodes, whatever happens */
	if (ntfs_delete(h->vol, NULL, ni, dir_ni, dname, dlen))
		err = err_or(EIO);
	free(dname);
	return err;
}

/* looks an existing entry up: its inode, checked as modifiable */
static int find_entry(struct gk_fs *h, double dir, const char *name, int len,
		      ntfschar **uname, int *ulen, u64 *ino, int *isdir)
{
	ntfs_inode *dir_ni, *ni;
	int err;

	*uname = NULL;
	if ((err = to_uname(name, len, uname, ulen)))
		return err;
	if ((err = open_inode(h, dir, &dir_ni)))
		goto fail;
	if ((err = check_dir(dir_ni))) {
		ntfs_inode_close(dir_ni);
		goto fail;
	}
	err = lookup_u(h, dir_ni, *uname, *ulen, ino);
	ntfs_inode_close(dir_ni);
	if (err)
		goto fail;
	if ((err = open_inode(h, (double)*ino, &ni)))
		goto fail;
	err = check_user_inode(ni);
	if (*ino == FILE_root)
		err = EBUSY;
	/* junctions (reparse-point directories) count as symlinks */
	*isdir = is_dir(ni);
	ntfs_inode_close(ni);
	if (err)
		goto fail;
	return 0;
fail:
	free(*uname);
	*uname = NULL;
	return err;
}

/* is ino an empty directory? (0 yes, ENOTEMPTY, or an error) */
static int check_empty(struct gk_fs *h, u64 ino)
{
	ntfs_inode *ni;
	int err, r;
	if ((err = open_inode(h, (double)ino, &ni)))
		return err;
	errno = 0;
	r = ntfs_check_empty_dir(ni);
	err = r ? err_or(ENOTEMPTY) : 0;
	ntfs_inode_close(ni);
	return err;
}

/* unlink (want_dir 0) and rmdir (1): the checks of the entry differ, its removal is the same */
static int remove_entry(struct gk_fs *h, double dir, const char *name, int len,
			int want_dir)
{
	ntfschar *uname;
	int ulen, err, isdir;
	u64 ino;

	if ((err = begin_write(h)))
		return err;
	if (want_dir && len == 1 && name[0] == '.')
		return EINVAL;
	if (want_dir && len == 2 && name[0] == '.' && name[1] == '.')
		return ENOTEMPTY;
	if ((err = find_entry(h, dir, name, len, &uname, &ulen, &ino, &isdir)))
		return !want_dir && err == EBUSY ? EISDIR : err;
	if (want_dir)
		err = isdir ? check_empty(h, ino) : ENOTDIR;
	else if (is_dot(uname, ulen) || is_dotdot(uname, ulen) || isdir)
		err = EISDIR;
	if (!err)
		err = delete_name(h, (u64)dir, ino, uname, ulen);
	free(uname);
	return err;
}

EXPORT int gk_unlink(struct gk_fs *h, double dir, const char *name, int len)
{
	return remove_entry(h, dir, name, len, 0);
}

EXPORT int gk_rmdir(struct gk_fs *h, double dir, const char *name, int len)
{
	return remove_entry(h, dir, name, len, 1);
}

/* is `dir` equal to or below `anc`? */
static int is_descendant(struct gk_fs *h, u64 dir, u64 anc, int *res)
{
	int depth = 0, err;
	*res = 0;
	while (depth++ < 4096) {
		ntfs_inode *ni, *p;
		if (dir == anc) {
			*res = 1;
			return 0;
		}
		if (dir == FILE_root)
			return 0;
		if ((err = open_inode(h, (double)dir, &ni)))
			return err;
		p = ntfs_dir_parent_inode(ni);
		ntfs_inode_close(ni);
		if (!p)
			return err_or(EIO);
		if (p->mft_no == dir) {
			ntfs_inode_close(p);
			return EIO;
		}
		dir = p->mft_no;
		ntfs_inode_close(p);
	}
	return ELOOP;
}

/* adds `uname` in `dir` for `ino` (opening/closing both) */
static int link_name(struct gk_fs *h, u64 ino, u64 dir, ntfschar *uname,
		     int ulen)
{
	ntfs_inode *dir_ni, *ni;
	int err;
	if ((err = open_inode(h, (double)dir, &dir_ni)))
		return err;
	if ((err = open_inode(h, (double)ino, &ni))) {
		ntfs_inode_close(dir_ni);
		return err;
	}
	err = add_name(ni, dir_ni, uname, ulen);
	close_inode(dir_ni, &err);
	close_inode(ni, &err);
	return err;
}

/* a name for moving an existing destination aside during rename */
static int temp_name(struct gk_fs *h, u64 dir, ntfschar **uname, int *ulen)
{
	static unsigned seq;
	char buf[64];
	int i, err;
	for (i = 0; i < 100; i++) {
		ntfs_inode *dir_ni;
		u64 ino;
		snprintf(buf, sizeof(buf), ".guestkit-rename-%u-%u", ++seq,
			 (unsigned)rand());
		if ((err = to_uname(buf, strlen(buf), uname, ulen)))
			return err;
		if ((err = open_inode(h, (double)dir, &dir_ni))) {
			free(*uname);
			return err;
		}
		err = lookup_u(h, dir_ni, *uname, *ulen, &ino);
		ntfs_inode_close(dir_ni);
		if (err == ENOENT)
			return 0;
		free(*uname);
		*uname = NULL;
		if (err)
			return err;
	}
	return EEXIST;
}

EXPORT int gk_rename(struct gk_fs *h, double sdir, const char *sname, int slen,
		     double ddir, const char *dname, int dlen)
{
	ntfschar *suname = NULL, *duname = NULL, *tuname = NULL;
	int sulen, dulen, tulen, err, sisdir, disdir = 0, dexists = 0;
	u64 sino, dino = 0;
	ntfs_inode *ddir_ni;

	if ((err = begin_write(h)))
		return err;
	if ((slen == 1 && sname[0] == '.') || (slen == 2 && sname[0] == '.' && sname[1] == '.') ||
	    (dlen == 1 && dname[0] == '.') || (dlen == 2 && dname[0] == '.' && dname[1] == '.'))
		return EINVAL;
	if ((err = find_entry(h, sdir, sname, slen, &suname, &sulen, &sino, &sisdir)))
		return err;
	{
		/* from here on, the source name as spelled on disk */
		ntfs_inode *sni;
		ntfschar *exact;
		int elen;
		if ((err = open_inode(h, (double)sino, &sni)))
			goto out;
		err = disk_name(sni, (u64)sdir, suname, sulen, &exact, &elen);
		ntfs_inode_close(sni);
		if (err)
			goto out;
		free(suname);
		suname = exact;
		sulen = elen;
	}
	if ((err = to_uname(dname, dlen, &duname, &dulen)))
		goto out;
	/* the destination directory and what it holds under dname */
	if ((err = open_inode(h, ddir, &ddir_ni)))
		goto out;
	err = check_dir(ddir_ni);
	if (!err && ddir_ni->mft_no == FILE_Extend)
		err = GK_ESYSFILE;
	if (!err) {
		err = lookup_u(h, ddir_ni, duname, dulen, &dino);
		if (!err)
			dexists = 1;
		else if (err == ENOENT)
			err = 0;
	}
	ntfs_inode_close(ddir_ni);
	if (err)
		goto out;
	if (dexists && dino == sino) {
		/* same inode: nothing to do, unless this is a change of case
		 * of the very same name (Windows semantics) */
		if ((u64)sdir == (u64)ddir && sulen == dulen &&
		    memcmp(suname, duname, sulen * sizeof(ntfschar)) &&
		    ntfs_names_are_equal(suname, sulen, duname, dulen,
					 IGNORE_CASE, h->vol->upcase,
					 h->vol->upcase_len)) {
			if ((err = link_name(h, sino, (u64)ddir, duname, dulen)))
				goto out;
			/* ntfs_delete prefers the exact (old) spelling */
			err = delete_name(h, (u64)sdir, sino, suname, sulen);
		}
		goto out;
	}
	if (dexists) {
		ntfs_inode *dni;
		if ((err = open_inode(h, (double)dino, &dni)))
			goto out;
		disdir = is_dir(dni);
		err = check_user_inode(dni);
		ntfs_inode_close(dni);
		if (err)
			goto out;
	}
	if (sisdir) {
		int desc;
		if (dexists && !disdir) {
			err = ENOTDIR;
			goto out;
		}
		if ((err = is_descendant(h, (u64)ddir, sino, &desc)))
			goto out;
		if (desc) {
			err = EINVAL;
			goto out;
		}
		if (dexists && (err = check_empty(h, dino)))
			goto out;
	} else if (dexists && disdir) {
		err = EISDIR;
		goto out;
	}

	if (dexists) {
		/* move the old destination aside (ntfs-3g's "safe rename"),
		 * so a failure can put it back */
		if ((err = temp_name(h, (u64)ddir, &tuname, &tulen)))
			goto out;
		if ((err = link_name(h, dino, (u64)ddir, tuname, tulen)))
			goto out;
		if ((err = delete_name(h, (u64)ddir, dino, duname, dulen))) {
			delete_name(h, (u64)ddir, dino, tuname, tulen);
			goto out;
		}
	}
	err = link_name(h, sino, (u64)ddir, duname, dulen);
	if (!err) {
		err = delete_name(h, (u64)sdir, sino, suname, sulen);
		if (err)
			delete_name(h, (u64)ddir, sino, duname, dulen);
	}
	if (dexists) {
		if (err) {
			/* restore the destination */
			if (!link_name(h, dino, (u64)ddir, duname, dulen))
				delete_name(h, (u64)ddir, dino, tuname, tulen);
		} else {
			err = delete_name(h, (u64)ddir, dino, tuname, tulen);
		}
	}
out:
	free(suname);
	free(duname);
	free(tuname);
	return err;
}

#define SA_ATIME 8
#define SA_MTIME 16

/*
 * Times only: NTFS has no POSIX owner or mode without user mapping, and
 * ntfs-3g (option "silent", its default) accepts chmod/chown and ignores
 * them; JS does the same before calling here.
 */
EXPORT int gk_setattr(struct gk_fs *h, double ino, int mask, double asec,
		      int ansec, double msec, int mnsec)
{
	ntfs_inode *ni;
	int err;

	if ((err = begin_modify(h, ino, &ni)))
		return err;
	if (mask & SA_ATIME)
		ni->last_access_time = make_time(asec, ansec);
	if (mask & SA_MTIME)
		ni->last_data_change_time = make_time(msec, mnsec);
	/* ctime (MFT change time) becomes now, and the record is dirty */
	ntfs_inode_update_times(ni, NTFS_UPDATE_CTIME);
	NInoSetDirty(ni);
	close_inode(ni, &err);
	return err;
}

/*
 * Sets the raw reparse data of a file or directory (a REPARSE_POINT
 * header + data), as ntfs-3g's "system.ntfs_reparse_data" extended
 * attribute does: makes junctions and Windows symbolic links. The library
 * validates junction/symlink layouts and maintains $Extend/$Reparse.
 */
EXPORT int gk_set_reparse(struct gk_fs *h, double ino, const char *data, int len)
{
	ntfs_inode *ni;
	int err;

	if ((err = begin_modify(h, ino, &ni)))
		return err;
	errno = 0;
	if (ntfs_set_ntfs_reparse_data(ni, data, len, 0))
		err = err_or(EIO);
	else
		ntfs_inode_update_times(ni, NTFS_UPDATE_CTIME);
	close_inode(ni, &err);
	return err;
}

/*
 * Gives the entry `name` in `dir` a DOS 8.3 name, as ntfs-3g's
 * "system.ntfs_dos_name" extended attribute does (the long name becomes a
 * WIN32 name, as on volumes written by Windows).
 */
EXPORT int gk_set_dos_name(struct gk_fs *h, double dir, const char *name,
			   int len, const char *dos, int doslen)
{
	ntfs_inode *dir_ni, *ni;
	ntfschar *uname;
	int ulen, err, isdir;
	u64 ino;

	if ((err = begin_write(h)))
		return err;
	if ((err = find_entry(h, dir, name, len, &uname, &ulen, &ino, &isdir)))
		return err;
	free(uname);
	if ((err = open_inode(h, dir, &dir_ni)))
		return err;
	if ((err = open_inode(h, (double)ino, &ni))) {
		ntfs_inode_close(dir_ni);
		return err;
	}
	errno = 0;
	/* consumes both inodes */
	if (ntfs_set_ntfs_dos_name(ni, dir_ni, dos, doslen, 0))
		err = err_or(EINVAL);
	return err;
}

/* heap in use by malloc (for leak checks) */
EXPORT double gk_heap_used(void)
{
	struct mallinfo mi = mallinfo();
	return (double)mi.uordblks;
}

/* for tests: make the module trap, as a wasm abort would */
EXPORT void gk_test_abort(void)
{
	abort();
}
