// SPDX-License-Identifier: GPL-2.0
/* /proc reading against this very process. */
#define _GNU_SOURCE	/* pthread_setname_np */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "procs.h"

static int listen_on(int family, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		close(fd);
		return -1;
	}
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
				       ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static int has_port(const int *ports, int n, int port)
{
	int i;

	for (i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

static void test_ports_own_listener(void **state)
{
	int ports[MAX_PORTS], port = 0, n, fd, cfd, cport = 0;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	fd = listen_on(AF_INET, &port);
	assert_true(fd >= 0);
	assert_true(port > 0);
	/* a connected, non-listening socket of ours must not count */
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(cfd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	assert_int_equal(connect(cfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(cfd, (struct sockaddr *)&a, &alen), 0);
	cport = ntohs(a.sin_port);

	n = procs_ports("/proc", getpid(), ports, MAX_PORTS);
	assert_true(n >= 1);
	assert_true(has_port(ports, n, port));
	assert_false(has_port(ports, n, cport));
	close(cfd);
	close(fd);

	/* closed: gone */
	n = procs_ports("/proc", getpid(), ports, MAX_PORTS);
	assert_true(n >= 0);
	assert_false(has_port(ports, n, port));
}

static void test_ports_ipv6_and_max(void **state)
{
	int ports[MAX_PORTS], p4 = 0, p6 = 0, n, fd4, fd6;

	fd4 = listen_on(AF_INET, &p4);
	assert_true(fd4 >= 0);
	fd6 = listen_on(AF_INET6, &p6);
	if (fd6 < 0) {	/* no IPv6 here */
		close(fd4);
		skip();
	}
	n = procs_ports("/proc", getpid(), ports, MAX_PORTS);
	assert_true(has_port(ports, n, p4));
	assert_true(has_port(ports, n, p6));
	/* max is respected */
	ports[1] = -7;
	assert_int_equal(procs_ports("/proc", getpid(), ports, 1), 1);
	assert_int_equal(ports[1], -7);
	close(fd6);
	close(fd4);
}

static void test_ports_no_process(void **state)
{
	int ports[MAX_PORTS];

	assert_int_equal(procs_ports("/proc", 0x7ffffff0, ports, MAX_PORTS), -1);
}

static void test_get_self_not_redis(void **state)
{
	struct redis_proc p;
	char err[512] = "";

	assert_int_equal(procs_get("/proc", getpid(), &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not a redis-server"));
	assert_non_null(strstr(err, "test_procs"));	/* names what it is */
	/* what it read is still filled in */
	assert_int_equal(p.pid, getpid());
	assert_string_equal(p.comm, "test_procs");
	assert_non_null(strstr(p.exe, "test_procs"));
	assert_true(procs_alive("/proc", &p));
}

static void test_get_no_process(void **state)
{
	struct redis_proc p;
	char err[512] = "";

	assert_int_equal(procs_get("/proc", 0x7ffffff0, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no process"));
	assert_non_null(strstr(err, "2147483632"));
	assert_false(procs_alive("/proc", &p));
}

static void test_find_all_skips_self(void **state)
{
	struct redis_proc ps[16];
	int i, n = procs_find_all("/proc", ps, 16, NULL);

	assert_true(n >= 0);
	for (i = 0; i < n; i++)
		assert_int_not_equal(ps[i].pid, getpid());
	assert_int_equal(procs_find_all("/no/such/proc", ps, 16, NULL), -1);
}

/* A fake /proc entry: stat and the exe link are what finding reads. */
static void fake_proc(const char *root, int pid, const char *comm, int ppid, const char *exe)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%d (%s) S %d %d %d 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n", pid, comm, ppid,
		pid, pid);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%d/exe", root, pid);
	assert_int_equal(symlink(exe, path), 0);
}

/* More servers than the caller has room for: it gets max of them, and the
 * count of all, so that it can say how many it left out. Fork children and
 * other processes are not counted. */
static void test_find_all_counts_past_max(void **state)
{
	char dir[] = "/tmp/redlat-procs.XXXXXX", cmd[64];
	struct redis_proc *ps = calloc(64, sizeof(*ps));
	int i, j, n, found = -1;

	(void)state;
	assert_non_null(ps);
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 40; i++)
		fake_proc(dir, 1000 + i, i % 2 ? "redis-server" : "valkey-server", 1, "/usr/bin/redis-server");
	fake_proc(dir, 2000, "redis-rdb-bgsave", 1000, "/usr/bin/redis-server");	/* a BGSAVE child */
	fake_proc(dir, 2001, "sh", 1, "/bin/sh");

	n = procs_find_all(dir, ps, 32, &found);
	assert_int_equal(n, 32);
	assert_int_equal(found, 40);
	for (i = 0; i < n; i++) {
		assert_in_range(ps[i].pid, 1000, 1039);
		for (j = 0; j < i; j++)
			assert_int_not_equal(ps[i].pid, ps[j].pid);
	}
	assert_int_equal(procs_find_all(dir, ps, 32, NULL), 32);
	found = -1;
	assert_int_equal(procs_find_all(dir, ps, 64, &found), 40);
	assert_int_equal(found, 40);
	found = -1;
	assert_int_equal(procs_find_all(dir, ps, 0, &found), 0);
	assert_int_equal(found, 40);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(ps);
}

/* This test binary is linked with glibc: its libc is found, through the
 * process's root, and is a real file. */
static void test_libc_self(void **state)
{
	char path[PATH_MAX + 32], want[64];
	struct stat st;

	(void)state;
	assert_int_equal(procs_libc(PROC_ROOT, getpid(), path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "/proc/%d/root/", getpid());
	assert_int_equal(strncmp(path, want, strlen(want)), 0);
	assert_non_null(strstr(path, "/libc.so"));
	assert_int_equal(stat(path, &st), 0);
}

/* A static build maps no libc; libcrypto is not libc. */
static void test_libc_static(void **state)
{
	char dir[] = "/tmp/redlat-procs.XXXXXX", path[PATH_MAX + 32];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/42", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/42/maps", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "00400000-00500000 r-xp 00000000 08:01 1234 /usr/local/bin/redis-server\n"
		   "7f0000000000-7f0000100000 r-xp 00000000 08:01 99 /usr/lib/libcrypto.so.3\n"
		   "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n");
	fclose(f);
	assert_int_equal(procs_libc(dir, 42, path, sizeof(path)), -1);
	assert_int_equal(procs_libc(dir, 43, path, sizeof(path)), -1);	/* no such pid */
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

/* The pure parsers, on text as the kernel writes it and on broken text. */
static void test_parse_stat(void **unused)
{
	char comm[16], state = 0;
	pid_t ppid = 0;

	(void)unused;
	assert_int_equal(procs_parse_stat("42 (redis-server) S 1 42 42 0", comm, sizeof(comm), &state, &ppid), 0);
	assert_string_equal(comm, "redis-server");
	assert_int_equal(state, 'S');
	assert_int_equal(ppid, 1);
	/* a comm may hold spaces and ')': it ends at the last one */
	assert_int_equal(procs_parse_stat("7 (a) b (c)) R 99 7", comm, sizeof(comm), &state, &ppid), 0);
	assert_string_equal(comm, "a) b (c)");
	assert_int_equal(ppid, 99);
	/* longer than comm's buffer: cut, not overrun */
	assert_int_equal(procs_parse_stat("7 (0123456789abcdefXYZ) S 5", comm, sizeof(comm), &state, &ppid), 0);
	assert_int_equal(strlen(comm), sizeof(comm) - 1);
	/* cut short: nothing after ')' (it must not read past the end) */
	assert_int_equal(procs_parse_stat("7 (x)", comm, sizeof(comm), &state, &ppid), -1);
	assert_int_equal(procs_parse_stat("7 (x) S", comm, sizeof(comm), &state, &ppid), -1);
	assert_int_equal(procs_parse_stat("7 x) S 1 (", comm, sizeof(comm), &state, &ppid), -1);
	assert_int_equal(procs_parse_stat("", comm, sizeof(comm), &state, &ppid), -1);
	assert_int_equal(procs_parse_stat("9 (sleep) Z 8 9", comm, sizeof(comm), &state, &ppid), 0);
	assert_int_equal(state, 'Z');

	assert_int_equal(procs_parse_tgid("Name:\tbio_aof\nUmask:\t0022\nState:\tS\nTgid:\t4242\nNgid:\t0\n"), 4242);
	assert_int_equal(procs_parse_tgid("Name:\tx\n"), -1);
	assert_int_equal(procs_parse_tgid("Tgid:\t-3\n"), -1);
}

static void *idle_thread(void *arg)
{
	int *fds = arg;
	char c;

	return read(fds[0], &c, 1) < 0 ? NULL : arg;
}

/* A thread id is not a process; a zombie has no executable. */
static void test_get_thread_and_zombie(void **unused)
{
	struct redis_proc p;
	char err[512] = "", want[128];
	pthread_t th;
	int fds[2];
	pid_t tid = 0, child;

	(void)unused;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pthread_create(&th, NULL, idle_thread, fds), 0);
	/* the thread's id: the task that is not the main thread */
	for (int i = 0; i < 100 && !tid; i++) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *de;

		assert_non_null(d);
		while ((de = readdir(d)))
			if (atoi(de->d_name) > 0 && atoi(de->d_name) != getpid())
				tid = atoi(de->d_name);
		closedir(d);
	}
	assert_true(tid > 0);
	/* named like Redis, so only the thread check can refuse it */
	assert_int_equal(pthread_setname_np(th, "redis-server"), 0);
	assert_int_equal(procs_get("/proc", tid, &p, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "pid %d is a thread (redis-server) of process %d; give -p %d", tid,
		 getpid(), getpid());
	assert_string_equal(err, want);
	assert_int_equal(write(fds[1], "x", 1), 1);
	pthread_join(th, NULL);

	child = fork();
	if (!child)
		_exit(0);
	assert_true(child > 0);
	for (int i = 0; i < 200; i++) {	/* until it is a zombie */
		if (procs_get("/proc", child, &p, err, sizeof(err)) && strstr(err, "zombie"))
			break;
		usleep(10000);
	}
	assert_non_null(strstr(err, "has exited: it is a zombie"));
	assert_int_equal(waitpid(child, NULL, 0), child);
	close(fds[0]);
	close(fds[1]);
}

static void test_parse_tcp(void **state)
{
	unsigned long inode = 0;
	int port = 0;

	(void)state;
	/* 127.0.0.1:7331 listening, then a connection to it */
	assert_int_equal(procs_parse_tcp_listen("   0: 0100007F:1CA3 00000000:0000 0A 00000000:00000000 "
						"00:00000000 00000000   999        0 123456 1 0000000000000000 100 0 0 10 0",
						&port, &inode), 0);
	assert_int_equal(port, 7331);
	assert_int_equal(inode, 123456);
	assert_int_equal(procs_parse_tcp_listen("   1: 0100007F:1CA3 0100007F:D2F0 01 00000000:00000000 "
						"00:00000000 00000000     0        0 123457 1", &port, &inode), -1);
	/* tcp6 */
	assert_int_equal(procs_parse_tcp_listen("   0: 00000000000000000000000001000000:1CA4 "
						"00000000000000000000000000000000:0000 0A 00000000:00000000 "
						"00:00000000 00000000     0        0 555 1", &port, &inode), 0);
	assert_int_equal(port, 7332);
	assert_int_equal(inode, 555);
	/* the header line, a port out of range, a cut line */
	assert_int_equal(procs_parse_tcp_listen("  sl  local_address rem_address   st tx_queue rx_queue",
						&port, &inode), -1);
	assert_int_equal(procs_parse_tcp_listen("   0: 0100007F:FFFFFF 00000000:0000 0A 0:0 0:0 0 0 0 9",
						&port, &inode), -1);
	assert_int_equal(procs_parse_tcp_listen("   0: 0100007F:1CA3 00000000:0000 0A", &port, &inode), -1);
}

static void test_parse_links_maps_io(void **state)
{
	char file[PATH_MAX];
	unsigned long inode = 0;

	(void)state;
	assert_int_equal(procs_parse_socket_link("socket:[98765]", &inode), 0);
	assert_int_equal(inode, 98765);
	assert_int_equal(procs_parse_socket_link("socket:[98765", &inode), -1);
	assert_int_equal(procs_parse_socket_link("pipe:[12]", &inode), -1);
	assert_int_equal(procs_parse_socket_link("/dev/null", &inode), -1);

	assert_int_equal(procs_parse_maps_libc("7f0000000000-7f0000100000 r-xp 00000000 08:01 99 "
					       "/usr/lib/x86_64-linux-gnu/libc.so.6\n", file, sizeof(file)), 0);
	assert_string_equal(file, "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_int_equal(procs_parse_maps_libc("7f00-7f01 r-xp 0 08:01 9 /lib/libc-2.31.so", file,
					       sizeof(file)), 0);
	assert_string_equal(file, "/lib/libc-2.31.so");
	assert_int_equal(procs_parse_maps_libc("7f00-7f01 r-xp 0 08:01 9 /lib/libcrypto.so.3\n", file,
					       sizeof(file)), -1);
	assert_int_equal(procs_parse_maps_libc("7f00-7f01 r-xp 0 08:01 9 /lib/libc-client.a\n", file,
					       sizeof(file)), -1);
	assert_int_equal(procs_parse_maps_libc("7ffd0000-7ffd0021 rw-p 0 00:00 0 [stack]", file,
					       sizeof(file)), -1);
	/* a directory named like libc does not make the file libc */
	assert_int_equal(procs_parse_maps_libc("7f00-7f01 r-xp 0 08:01 9 /opt/libc.so/redis-server\n",
					       file, sizeof(file)), -1);

	assert_true(procs_parse_syscr("rchar: 10\nwchar: 20\nsyscr: 345\nsyscw: 6\n") == 345);
	assert_true(procs_parse_syscr("rchar: 10\n") == 0);
	assert_true(procs_parse_syscr("") == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_parse_tcp),
		cmocka_unit_test(test_parse_links_maps_io),
		cmocka_unit_test(test_get_thread_and_zombie),
		cmocka_unit_test(test_libc_self),
		cmocka_unit_test(test_libc_static),
		cmocka_unit_test(test_ports_own_listener),
		cmocka_unit_test(test_ports_ipv6_and_max),
		cmocka_unit_test(test_ports_no_process),
		cmocka_unit_test(test_get_self_not_redis),
		cmocka_unit_test(test_get_no_process),
		cmocka_unit_test(test_find_all_skips_self),
		cmocka_unit_test(test_find_all_counts_past_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
