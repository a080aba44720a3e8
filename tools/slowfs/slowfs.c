// SPDX-License-Identifier: GPL-2.0
/*
 * slowfs: a FUSE passthrough of a backing directory whose fsync, fdatasync
 * and directory fsync take DELAY milliseconds longer than the real ones.
 * It gives redlat's stall lab real, reproducible fsync stalls for Redis.
 *
 *   slowfs [-o delay_ms=N] [fuse options, e.g. -f] BACKING_DIR MOUNTPOINT
 *
 * Kernel page-cache mode, no writeback cache, no direct_io for ordinary
 * files: writes go through to the backing file at once, and the kernel holds
 * the inode lock for the whole FUSE fsync, so a write(2) to a file being
 * fsynced waits for the fsync, as it would on a busy disk.
 *
 * Two virtual files at the mount root:
 *   .slowfs_stats     read: "fsync N", "fdatasync N", "fsyncdir N",
 *                     "delay_ms D", "inflight N" (fsyncs being served now)
 *                     fsync counts every file sync (fdatasync included);
 *                     fdatasync is the subset asked with the datasync flag.
 *   .slowfs_delay_ms  read the delay; write a decimal number to change it.
 *
 * libfuse 3.14.0 prints "Ignoring invalid max threads value 4294967295" at
 * start (libfuse issue #1003, its API-version shim): harmless, the default
 * of 10 worker threads applies.
 */
#define FUSE_USE_VERSION 31
#define _GNU_SOURCE

#include <fuse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define STATS_NAME "/.slowfs_stats"
#define DELAY_NAME "/.slowfs_delay_ms"
#define MAX_DELAY_MS 3600000L

enum ctl { CTL_NONE, CTL_STATS, CTL_DELAY };

static int backing_fd = -1;
static char *backing_dir;
static struct timespec start_time;

static atomic_int delay_ms;
static atomic_ulong n_fsync, n_fdatasync, n_fsyncdir;
static atomic_long n_inflight;

static struct options {
	int delay_ms;
	int show_help;
} options;

#define OPTION(t, p) { t, offsetof(struct options, p), 1 }
static const struct fuse_opt option_spec[] = {
	{ "delay_ms=%d", offsetof(struct options, delay_ms), 0 },
	OPTION("-h", show_help),
	OPTION("--help", show_help),
	FUSE_OPT_END
};

static enum ctl ctl_of(const char *path)
{
	if (!strcmp(path, STATS_NAME))
		return CTL_STATS;
	if (!strcmp(path, DELAY_NAME))
		return CTL_DELAY;
	return CTL_NONE;
}

/* FUSE paths start with '/': the *at() calls want them relative to the
 * backing directory's fd. */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

static void stall(void)
{
	long ms = atomic_load(&delay_ms);
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int ctl_text(enum ctl c, char *buf, size_t len)
{
	if (c == CTL_DELAY)
		return snprintf(buf, len, "%d\n", atomic_load(&delay_ms));
	return snprintf(buf, len,
			"fsync %lu\nfdatasync %lu\nfsyncdir %lu\ndelay_ms %d\ninflight %ld\n",
			atomic_load(&n_fsync), atomic_load(&n_fdatasync),
			atomic_load(&n_fsyncdir), atomic_load(&delay_ms),
			atomic_load(&n_inflight));
}

static void *sfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->use_ino = 1;
	/* page-cache mode for ordinary files (no direct_io, no writeback
	 * cache: neither is asked for here) */
	cfg->direct_io = 0;
	cfg->kernel_cache = 0;
	return NULL;
}

static int sfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	enum ctl c = ctl_of(path);

	if (c != CTL_NONE) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG | (c == CTL_STATS ? 0444 : 0644);
		st->st_nlink = 1;
		st->st_uid = getuid();
		st->st_gid = getgid();
		st->st_size = 0; /* read with direct_io: the size does not matter */
		st->st_blksize = 4096;
		st->st_atim = st->st_mtim = st->st_ctim = start_time;
		st->st_ino = c == CTL_STATS ? 0x51f5000001ULL : 0x51f5000002ULL;
		return 0;
	}
	if (fi && fi->fh != (uint64_t)-1)
		return fstat(fi->fh, st) == -1 ? -errno : 0;
	return fstatat(backing_fd, rel(path), st, AT_SYMLINK_NOFOLLOW) == -1 ? -errno : 0;
}

static int sfs_access(const char *path, int mask)
{
	enum ctl c = ctl_of(path);

	if (c != CTL_NONE)
		return (c == CTL_STATS && (mask & W_OK)) || (mask & X_OK) ? -EACCES : 0;
	return faccessat(backing_fd, rel(path), mask, 0) == -1 ? -errno : 0;
}

static int sfs_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n;

	if (size == 0)
		return -EINVAL;
	n = readlinkat(backing_fd, rel(path), buf, size - 1);
	if (n == -1)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int sfs_opendir(const char *path, struct fuse_file_info *fi)
{
	int fd = openat(backing_fd, rel(path), O_RDONLY | O_DIRECTORY);

	if (fd == -1)
		return -errno;
	fi->fh = fd;
	return 0;
}

static int sfs_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct dirent *de;
	DIR *dp;
	int fd;

	(void)off;
	(void)flags;
	/* a fresh open file description: its own position */
	fd = openat(fi->fh, ".", O_RDONLY | O_DIRECTORY);
	if (fd == -1)
		return -errno;
	dp = fdopendir(fd);
	if (!dp) {
		int err = errno;

		close(fd);
		return -err;
	}
	/* the whole directory at once (offset 0 to the filler): libfuse keeps
	 * it and serves the kernel's offsets itself */
	while ((errno = 0, de = readdir(dp))) {
		struct stat st;

		memset(&st, 0, sizeof(st));
		st.st_ino = de->d_ino;
		st.st_mode = (mode_t)de->d_type << 12;
		if (filler(buf, de->d_name, &st, 0, 0))
			break;
	}
	if (!strcmp(path, "/")) {
		struct stat st;

		memset(&st, 0, sizeof(st));
		sfs_getattr(STATS_NAME, &st, NULL);
		filler(buf, &STATS_NAME[1], &st, 0, 0);
		sfs_getattr(DELAY_NAME, &st, NULL);
		filler(buf, &DELAY_NAME[1], &st, 0, 0);
	}
	closedir(dp);
	return 0;
}

static int sfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	close(fi->fh);
	return 0;
}

static int sfs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	int r;

	(void)path;
	atomic_fetch_add(&n_inflight, 1);
	stall();
	r = datasync ? fdatasync(fi->fh) : fsync(fi->fh);
	if (r == -1)
		r = -errno;
	atomic_fetch_add(&n_fsyncdir, 1);
	atomic_fetch_sub(&n_inflight, 1);
	return r;
}

static int sfs_mkdir(const char *path, mode_t mode)
{
	if (ctl_of(path) != CTL_NONE)
		return -EEXIST;
	return mkdirat(backing_fd, rel(path), mode) == -1 ? -errno : 0;
}

static int sfs_unlink(const char *path)
{
	if (ctl_of(path) != CTL_NONE)
		return -EPERM;
	return unlinkat(backing_fd, rel(path), 0) == -1 ? -errno : 0;
}

static int sfs_rmdir(const char *path)
{
	return unlinkat(backing_fd, rel(path), AT_REMOVEDIR) == -1 ? -errno : 0;
}

static int sfs_symlink(const char *target, const char *path)
{
	if (ctl_of(path) != CTL_NONE)
		return -EEXIST;
	return symlinkat(target, backing_fd, rel(path)) == -1 ? -errno : 0;
}

static int sfs_link(const char *from, const char *to)
{
	if (ctl_of(from) != CTL_NONE || ctl_of(to) != CTL_NONE)
		return -EPERM;
	return linkat(backing_fd, rel(from), backing_fd, rel(to), 0) == -1 ? -errno : 0;
}

static int sfs_rename(const char *from, const char *to, unsigned int flags)
{
	if (ctl_of(from) != CTL_NONE || ctl_of(to) != CTL_NONE)
		return -EPERM;
	return renameat2(backing_fd, rel(from), backing_fd, rel(to), flags) == -1 ? -errno : 0;
}

static int sfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	if (ctl_of(path) != CTL_NONE)
		return -EPERM;
	if (fi && fi->fh != (uint64_t)-1)
		return fchmod(fi->fh, mode) == -1 ? -errno : 0;
	return fchmodat(backing_fd, rel(path), mode, 0) == -1 ? -errno : 0;
}

static int sfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	if (ctl_of(path) != CTL_NONE)
		return -EPERM;
	if (fi && fi->fh != (uint64_t)-1)
		return fchown(fi->fh, uid, gid) == -1 ? -errno : 0;
	return fchownat(backing_fd, rel(path), uid, gid, AT_SYMLINK_NOFOLLOW) == -1 ? -errno : 0;
}

static int sfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	int fd, r;

	if (ctl_of(path) != CTL_NONE)
		return 0; /* "echo N > .slowfs_delay_ms" truncates first */
	if (fi && fi->fh != (uint64_t)-1)
		return ftruncate(fi->fh, size) == -1 ? -errno : 0;
	fd = openat(backing_fd, rel(path), O_WRONLY | O_NOFOLLOW);
	if (fd == -1)
		return -errno;
	r = ftruncate(fd, size) == -1 ? -errno : 0;
	close(fd);
	return r;
}

static int sfs_utimens(const char *path, const struct timespec ts[2], struct fuse_file_info *fi)
{
	if (ctl_of(path) != CTL_NONE)
		return 0;
	if (fi && fi->fh != (uint64_t)-1)
		return futimens(fi->fh, ts) == -1 ? -errno : 0;
	return utimensat(backing_fd, rel(path), ts, AT_SYMLINK_NOFOLLOW) == -1 ? -errno : 0;
}

static int ctl_open(enum ctl c, struct fuse_file_info *fi)
{
	if (c == CTL_STATS && (fi->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	/* O_TRUNC is accepted and ignored; reads and writes reach us whatever
	 * the size the kernel believes */
	fi->fh = (uint64_t)-1;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int sfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	int fd;
	enum ctl c = ctl_of(path);

	if (c != CTL_NONE)
		return ctl_open(c, fi);
	fd = openat(backing_fd, rel(path), fi->flags, mode);
	if (fd == -1)
		return -errno;
	fi->fh = fd;
	return 0;
}

static int sfs_open(const char *path, struct fuse_file_info *fi)
{
	int fd;
	enum ctl c = ctl_of(path);

	if (c != CTL_NONE)
		return ctl_open(c, fi);
	fd = openat(backing_fd, rel(path), fi->flags);
	if (fd == -1)
		return -errno;
	fi->fh = fd;
	return 0;
}

static int sfs_read(const char *path, char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	enum ctl c = ctl_of(path);
	ssize_t n;

	if (c != CTL_NONE) {
		char text[256];
		int len = ctl_text(c, text, sizeof(text));

		if (len < 0 || off >= len)
			return 0;
		if (size > (size_t)(len - off))
			size = len - off;
		memcpy(buf, text + off, size);
		return size;
	}
	n = pread(fi->fh, buf, size, off);
	return n == -1 ? -errno : (int)n;
}

static int set_delay(const char *buf, size_t size)
{
	char text[32], *end;
	long v;

	if (size == 0 || size >= sizeof(text))
		return -EINVAL;
	memcpy(text, buf, size);
	text[size] = '\0';
	errno = 0;
	v = strtol(text, &end, 10);
	if (end == text || errno)
		return -EINVAL;
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (*end || v < 0 || v > MAX_DELAY_MS)
		return -EINVAL;
	atomic_store(&delay_ms, (int)v);
	return 0;
}

static int sfs_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	enum ctl c = ctl_of(path);
	ssize_t n;

	if (c == CTL_STATS)
		return -EACCES;
	if (c == CTL_DELAY) {
		int r = set_delay(buf, size);

		return r ? r : (int)size;
	}
	n = pwrite(fi->fh, buf, size, off);
	return n == -1 ? -errno : (int)n;
}

static int sfs_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return fstatvfs(backing_fd, st) == -1 ? -errno : 0;
}

static int sfs_flush(const char *path, struct fuse_file_info *fi)
{
	int fd;

	if (ctl_of(path) != CTL_NONE || fi->fh == (uint64_t)-1)
		return 0;
	/* close(2) semantics for the backing file (errors surfacing on close) */
	fd = dup(fi->fh);
	if (fd == -1)
		return -errno;
	return close(fd) == -1 ? -errno : 0;
}

static int sfs_release(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	if (fi->fh != (uint64_t)-1)
		close(fi->fh);
	return 0;
}

static int sfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	int r;

	if (ctl_of(path) != CTL_NONE || fi->fh == (uint64_t)-1)
		return 0;
	atomic_fetch_add(&n_inflight, 1);
	stall();
	r = datasync ? fdatasync(fi->fh) : fsync(fi->fh);
	if (r == -1)
		r = -errno;
	atomic_fetch_add(&n_fsync, 1);
	if (datasync)
		atomic_fetch_add(&n_fdatasync, 1);
	atomic_fetch_sub(&n_inflight, 1);
	return r;
}

static int sfs_fallocate(const char *path, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	if (ctl_of(path) != CTL_NONE || !fi || fi->fh == (uint64_t)-1)
		return -EOPNOTSUPP;
	return fallocate(fi->fh, mode, off, len) == -1 ? -errno : 0;
}

static const struct fuse_operations sfs_ops = {
	.init		= sfs_init,
	.getattr	= sfs_getattr,
	.access		= sfs_access,
	.readlink	= sfs_readlink,
	.opendir	= sfs_opendir,
	.readdir	= sfs_readdir,
	.releasedir	= sfs_releasedir,
	.fsyncdir	= sfs_fsyncdir,
	.mkdir		= sfs_mkdir,
	.unlink		= sfs_unlink,
	.rmdir		= sfs_rmdir,
	.symlink	= sfs_symlink,
	.link		= sfs_link,
	.rename		= sfs_rename,
	.chmod		= sfs_chmod,
	.chown		= sfs_chown,
	.truncate	= sfs_truncate,
	.utimens	= sfs_utimens,
	.create		= sfs_create,
	.open		= sfs_open,
	.read		= sfs_read,
	.write		= sfs_write,
	.statfs		= sfs_statfs,
	.flush		= sfs_flush,
	.release	= sfs_release,
	.fsync		= sfs_fsync,
	.fallocate	= sfs_fallocate,
};

/* The first non-option argument is the backing directory; the next one,
 * the mount point, is left to fuse_main. */
static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	(void)data;
	(void)outargs;
	if (key == FUSE_OPT_KEY_NONOPT && !backing_dir) {
		backing_dir = strdup(arg);
		return 0;
	}
	return 1;
}

static void usage(const char *prog)
{
	printf("usage: %s [-o delay_ms=N] [fuse options] BACKING_DIR MOUNTPOINT\n"
	       "\n"
	       "A passthrough of BACKING_DIR whose fsync, fdatasync and directory fsync\n"
	       "sleep N milliseconds (default 0) before the real one.\n"
	       "  MOUNTPOINT/.slowfs_stats     counts of the syncs served\n"
	       "  MOUNTPOINT/.slowfs_delay_ms  the delay; write a number to change it\n"
	       "\n", prog);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	char *real;
	int ret;

	if (fuse_opt_parse(&args, &options, option_spec, opt_proc) == -1)
		return 1;
	if (options.show_help) {
		usage(argv[0]);
		if (fuse_opt_add_arg(&args, "--help"))
			return 1;
		args.argv[0][0] = '\0';
		ret = fuse_main(args.argc, args.argv, &sfs_ops, NULL);
		fuse_opt_free_args(&args);
		return ret;
	}
	if (!backing_dir) {
		fprintf(stderr, "slowfs: no backing directory\n");
		usage(argv[0]);
		return 1;
	}
	if (options.delay_ms < 0 || options.delay_ms > MAX_DELAY_MS) {
		fprintf(stderr, "slowfs: delay_ms must be 0..%ld\n", MAX_DELAY_MS);
		return 1;
	}
	real = realpath(backing_dir, NULL);
	if (!real) {
		fprintf(stderr, "slowfs: %s: %s\n", backing_dir, strerror(errno));
		return 1;
	}
	/* an fd, not a path: fuse_main's daemon mode changes to "/" */
	backing_fd = open(real, O_RDONLY | O_DIRECTORY);
	if (backing_fd == -1) {
		fprintf(stderr, "slowfs: %s: %s\n", real, strerror(errno));
		return 1;
	}
	atomic_store(&delay_ms, options.delay_ms);
	clock_gettime(CLOCK_REALTIME, &start_time);
	umask(0);

	ret = fuse_main(args.argc, args.argv, &sfs_ops, NULL);

	fuse_opt_free_args(&args);
	close(backing_fd);
	free(real);
	free(backing_dir);
	return ret;
}
