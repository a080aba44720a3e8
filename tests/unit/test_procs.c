// SPDX-License-Identifier: GPL-2.0
/* /proc reading against this very process. */
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
#include <sys/stat.h>
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
	int i, n = procs_find_all("/proc", ps, 16);

	assert_true(n >= 0);
	for (i = 0; i < n; i++)
		assert_int_not_equal(ps[i].pid, getpid());
	assert_int_equal(procs_find_all("/no/such/proc", ps, 16), -1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libc_self),
		cmocka_unit_test(test_libc_static),
		cmocka_unit_test(test_ports_own_listener),
		cmocka_unit_test(test_ports_ipv6_and_max),
		cmocka_unit_test(test_ports_no_process),
		cmocka_unit_test(test_get_self_not_redis),
		cmocka_unit_test(test_get_no_process),
		cmocka_unit_test(test_find_all_skips_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
