// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE	/* memmem */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include "procs.h"
#include "util.h"

static int is_server_name(const char *s)
{
	const char *base = strrchr(s, '/');

	base = base ? base + 1 : s;
	return !strcmp(base, "redis-server") || !strcmp(base, "valkey-server");
}

int procs_parse_stat(const char *buf, char *comm, size_t clen, char *state, pid_t *ppid)
{
	const char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	char st;
	int pp;

	/* comm may hold spaces and parentheses: it ends at the last ')' */
	if (!l || !r || r < l || r[1] != ' ' || sscanf(r + 2, "%c %d", &st, &pp) != 2)
		return -1;
	snprintf(comm, clen, "%.*s", (int)(r - l - 1), l + 1);
	*state = st;
	*ppid = pp;
	return 0;
}

pid_t procs_parse_tgid(const char *status)
{
	const char *line;
	int tgid;

	for (line = status; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (sscanf(line, "Tgid: %d", &tgid) == 1 && tgid > 0)
			return tgid;
	return -1;
}

/* Process name, state and parent pid from /proc/PID/stat. */
static int read_stat(const char *root, pid_t pid, char *comm, size_t clen, char *state, pid_t *ppid)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	return procs_parse_stat(buf, comm, clen, state, ppid);
}

double procs_parse_start(const char *buf)
{
	const char *r = strrchr(buf, ')');
	unsigned long long ticks;

	/* after the comm (it ends at the last ')'): state is field 3,
	 * starttime field 22 */
	if (!r || r[1] != ' ' ||
	    sscanf(r + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &ticks) != 1)
		return -1;
	return (double)ticks;
}

double procs_start_s(const char *root, pid_t pid)
{
	char path[64], buf[1024];
	long hz = sysconf(_SC_CLK_TCK);
	double ticks;

	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	if (hz <= 0 || read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	ticks = procs_parse_start(buf);
	return ticks < 0 ? -1 : ticks / hz;
}

static int fill(const char *root, pid_t pid, struct redis_proc *p)
{
	char path[64], rooted[PATH_MAX + 32];
	struct stat a, b;
	ssize_t n;
	pid_t ppid;
	char state;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	if (read_stat(root, pid, p->comm, sizeof(p->comm), &state, &ppid))
		return -ENOENT;
	/* a zombie and a kernel thread have no executable: tell them from a
	 * pid that is not there */
	if (state == 'Z')
		return -ECHILD;
	snprintf(path, sizeof(path), "%s/%d/exe", root, pid);
	n = readlink(path, p->exe, sizeof(p->exe) - 1);
	if (n < 0)
		return errno == ENOENT ? -ENOEXEC : -errno;
	p->exe[n] = 0;
	/* The file the process runs, as the host reaches it: through its root
	 * (another mount namespace) when that is the same inode, else through
	 * the exe link itself, which the kernel follows for uprobes too. */
	snprintf(rooted, sizeof(rooted), "%s/%d/root%s", root, pid, p->exe);
	if (!stat(path, &a) && !stat(rooted, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
		snprintf(p->probe_path, sizeof(p->probe_path), "%s", rooted);
	else
		snprintf(p->probe_path, sizeof(p->probe_path), "%s", path);
	return 0;
}

static void fill_ports(const char *root, struct redis_proc *p)
{
	p->nports = procs_ports(root, p->pid, p->ports, MAX_PORTS);
	if (p->nports < 0)
		p->nports = 0;
}

static int is_server(const struct redis_proc *p)
{
	return is_server_name(p->comm) || is_server_name(p->exe);
}

/* A fork child (BGSAVE, AOF rewrite) keeps comm and exe: skip processes
 * whose parent runs the same executable. */
static int is_fork_child(const char *root, pid_t pid, const char *exe)
{
	char comm[16], path[64], pexe[PATH_MAX], state;
	pid_t ppid;
	ssize_t n;

	if (read_stat(root, pid, comm, sizeof(comm), &state, &ppid) || ppid <= 1)
		return 0;
	snprintf(path, sizeof(path), "%s/%d/exe", root, ppid);
	n = readlink(path, pexe, sizeof(pexe) - 1);
	if (n < 0)
		return 0;
	pexe[n] = 0;
	return !strcmp(pexe, exe);
}

int procs_check_root(const char *root, char *err, size_t errlen)
{
	struct statfs sf;

	if (!statfs(root, &sf) && sf.f_type == PROC_SUPER_MAGIC)
		return 0;
	snprintf(err, errlen, "%s is not a procfs here: redlat finds Redis processes and their binaries "
		 "there; mount it (mount -t proc proc %s)", root, root);
	return -1;
}

int procs_find_all(const char *root, struct redis_proc *out, int max, int *found)
{
	DIR *d = opendir(root);
	struct redis_proc *extra = NULL, *p;
	struct dirent *de;
	int n = 0, all = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		long pid;

		if (!isdigit((unsigned char)de->d_name[0]) ||
		    parse_long(de->d_name, 1, INT32_MAX, &pid))
			continue;
		/* past max, go on only to count the rest */
		if (n == max && !found)
			break;
		if (n == max && !extra && !(extra = malloc(sizeof(*extra))))
			break;
		p = n < max ? &out[n] : extra;
		if (fill(root, (pid_t)pid, p) || !is_server(p))
			continue;
		if (is_fork_child(root, (pid_t)pid, p->exe))
			continue;
		all++;
		if (n == max)
			continue;
		fill_ports(root, p);	/* only for Redis: it reads every fd */
		n++;
	}
	closedir(d);
	free(extra);
	if (found)
		*found = all;
	return n;
}

/* The process a thread id belongs to, or pid itself. */
static pid_t tgid_of(const char *root, pid_t pid)
{
	char path[64], buf[2048];
	pid_t tgid;

	snprintf(path, sizeof(path), "%s/%d/status", root, pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return pid;
	tgid = procs_parse_tgid(buf);
	return tgid > 0 ? tgid : pid;
}

int procs_get(const char *root, pid_t pid, struct redis_proc *p, char *err, size_t errlen)
{
	int rc = fill(root, pid, p);
	pid_t tgid;

	if (rc == -ENOENT || rc == -ESRCH) {
		snprintf(err, errlen, "no process with pid %d", pid);
		return -1;
	}
	if (rc == -ECHILD) {
		snprintf(err, errlen, "pid %d (%s) has exited: it is a zombie its parent has not reaped; "
			 "give the pid of a running redis-server", pid, p->comm);
		return -1;
	}
	if (rc == -ENOEXEC) {
		snprintf(err, errlen, "pid %d (%s) is a kernel thread, not a redis-server or valkey-server",
			 pid, p->comm);
		return -1;
	}
	if (rc == -EACCES || rc == -EPERM) {
		snprintf(err, errlen, geteuid() ?
			 "cannot read /proc/%d/exe: permission denied; run redlat as root" :
			 "cannot read /proc/%d/exe: permission denied even to root; is it a kernel "
			 "thread or a process this namespace may not inspect?", pid);
		return -1;
	}
	if (rc) {
		snprintf(err, errlen, "cannot read /proc/%d: %s", pid, strerror(-rc));
		return -1;
	}
	if (!is_server(p)) {
		snprintf(err, errlen, "pid %d (%s, %s) is not a redis-server or valkey-server",
			 pid, p->comm, p->exe);
		return -1;
	}
	/* /proc/TID exists for every thread, unlisted: a thread id of Redis
	 * (bio_aof, io_thd_1) is not the process redlat filters on */
	tgid = tgid_of(root, pid);
	if (tgid != pid) {
		snprintf(err, errlen, "pid %d is a thread (%s) of process %d; give -p %d", pid, p->comm,
			 tgid, tgid);
		return -1;
	}
	fill_ports(root, p);
	return 0;
}

int procs_alive(const char *root, const struct redis_proc *p)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/exe", root, p->pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n < 0)
		return 0;
	exe[n] = 0;
	return !strcmp(exe, p->exe);
}

int procs_parse_tcp_listen(const char *line, int *port, unsigned long *inode)
{
	unsigned int p, state;
	char local[128];

	/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
	if (sscanf(line, " %*d: %127[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*d %*d %lu",
		   local, &p, &state, inode) != 4 || state != 0x0A || p > 65535)
		return -1;
	*port = (int)p;
	return 0;
}

int procs_parse_socket_link(const char *link, unsigned long *inode)
{
	char end;

	return sscanf(link, "socket:[%lu%c", inode, &end) == 2 && end == ']' ? 0 : -1;
}

static int scan_tcp(const char *path, const unsigned long *inodes, int ninodes,
		    int *ports, int n, int max)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return n;
	while (fgets(line, sizeof(line), f) && n < max) {
		unsigned long inode;
		int i, port, dup = 0;

		if (procs_parse_tcp_listen(line, &port, &inode))
			continue;
		for (i = 0; i < ninodes; i++)
			if (inodes[i] == inode)
				break;
		if (i == ninodes)
			continue;
		for (i = 0; i < n; i++)
			dup |= ports[i] == port;
		if (!dup)
			ports[n++] = port;
	}
	fclose(f);
	return n;
}

int procs_ports(const char *root, pid_t pid, int *ports, int max)
{
	unsigned long inodes[256];
	char path[PATH_MAX], link[64];
	int ninodes = 0, n = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%d/fd", root, pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) && ninodes < (int)ARRAY_SIZE(inodes)) {
		char fdpath[PATH_MAX + 300];
		ssize_t len;

		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, de->d_name);
		len = readlink(fdpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (!procs_parse_socket_link(link, &inodes[ninodes]))
			ninodes++;
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/%d/net/tcp", root, pid);
	n = scan_tcp(path, inodes, ninodes, ports, n, max);
	snprintf(path, sizeof(path), "%s/%d/net/tcp6", root, pid);
	n = scan_tcp(path, inodes, ninodes, ports, n, max);
	return n;
}

/* CPU time of a process's main thread so far (ns, from schedstat), or 0. */
double procs_main_thread_cpu_ns(const char *root, pid_t pid)
{
	unsigned long long run = 0;
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/task/%d/schedstat", root, pid, pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &run) != 1)
		run = 0;
	fclose(f);
	return (double)run;
}

double procs_parse_syscr(const char *text)
{
	unsigned long long v;
	const char *line;

	for (line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (sscanf(line, "syscr: %llu", &v) == 1)
			return (double)v;
	return 0;
}

/* read() calls of a process so far (/proc/PID/io syscr), or 0. */
double procs_reads(const char *root, pid_t pid)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "%s/%d/io", root, pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	return procs_parse_syscr(buf);
}

int procs_parse_maps_libc(const char *line, char *file, size_t len)
{
	const char *path = strchr(line, '/'), *base;
	size_t n, i;

	if (!path)
		return -1;
	n = strcspn(path, "\n");
	for (i = 0, base = path; i < n; i++)
		if (path[i] == '/')
			base = path + i + 1;
	/* libc.so.6, or an older libc-2.31.so: not libcrypto, not libc++ */
	if (strncmp(base, "libc.so", 7) &&
	    (strncmp(base, "libc-", 5) || !memmem(base, n - (size_t)(base - path), ".so", 3)))
		return -1;
	snprintf(file, len, "%.*s", (int)n, path);
	return 0;
}

int procs_libc(const char *root, pid_t pid, char *out, size_t len)
{
	char path[64], line[PATH_MAX + 128], file[PATH_MAX + 128];
	FILE *f;
	int found = -1;

	snprintf(path, sizeof(path), "%s/%d/maps", root, pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		if (procs_parse_maps_libc(line, file, sizeof(file)))
			continue;
		snprintf(out, len, "%s/%d/root%s", root, pid, file);
		found = 0;
	}
	fclose(f);
	return found;
}
