// SPDX-License-Identifier: GPL-2.0
/* A tiny server that looks to redlat like a Redis build, to test how
 * redlat probes builds it cannot get here (LTO, stripped, functions only
 * reached through pointers). It has Redis's hook functions, with Redis's
 * argument lists, global (so -rdynamic puts them in .dynsym), a version()
 * that prints the version the way Redis's does, and an epoll loop that
 * answers inline requests on a TCP port (redis-benchmark -t ping_inline
 * speaks to it): every request runs the command hook with an argv of
 * robj; BGSAVE forks through redisFork a child that runs rdbSave, which
 * writes and fsyncs dump.rdb in the working directory, and reports its
 * copied bytes through zmalloc_get_private_dirty.
 *
 * Variants (-D), each a build that redlat must handle:
 *   FAKE_DIRECT    slowlogPushEntryIfNeeded called directly (a usual build)
 *   FAKE_POINTER   only through a function pointer: no direct call site
 *   FAKE_DEADSITE  through a pointer, and directly from a function that
 *                  never runs: the call sites found are silent
 *   FAKE_LEFTOVER  rdbSave kept as a symbol, never called: the child
 *                  writes the file from an inlined copy (as LTO leaves it)
 * usage: redis-server PORT */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* noipa: the callers may not learn from a hook's body (that it never
 * reads argv, say) and drop what they pass it, as no real build would */
#define HOOK __attribute__((noinline, noipa, used))

struct robj {
	unsigned type : 4, encoding : 4, lru : 24;
	int refcount;
	void *ptr;	/* at offset 8, as in Redis */
};

static const char redis_version[] = "7.2.4";
volatile long long slowlog_len, saved_bytes;
const char *volatile slowlog_last;

HOOK void version(void)
{
	printf("Redis server v=%s sha=00000000:0 malloc=libc bits=%d build=0\n", redis_version,
	       (int)sizeof(long) * 8);
	exit(0);
}

HOOK void slowlogPushEntryIfNeeded(void *c, struct robj **argv, int argc, long long duration)
{
	if (c && argv && argc > 0 && duration >= 0) {
		slowlog_last = argv[0]->ptr;
		slowlog_len++;
	}
}

HOOK size_t zmalloc_get_private_dirty(long pid)
{
	return pid == -1 ? 4096 : 0;
}

/* the work of rdbSave, inlined into its callers (FAKE_LEFTOVER) or not */
static inline __attribute__((always_inline)) int rdb_write(const char *fn)
{
	static const char body[] = "REDIS0011fake";
	int fd = open(fn, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int ok = fd >= 0 && write(fd, body, sizeof(body)) == (ssize_t)sizeof(body) && !fsync(fd);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

HOOK int rdbSave(int req, char *fn, void *rsi, int rdbflags)
{
	(void)req, (void)rsi, (void)rdbflags;
	return rdb_write(fn);
}

HOOK int rewriteAppendOnlyFile(char *fn)
{
	(void)fn;
	return 0;
}

HOOK int redisFork(int purpose)
{
	pid_t p = fork();

	if (p == 0) {
		int rc;
#ifdef FAKE_LEFTOVER
		rc = rdb_write("dump.rdb");
#else
		rc = rdbSave(0, "dump.rdb", NULL, 0);
#endif
		saved_bytes = (long long)zmalloc_get_private_dirty(-1);
		_exit(rc ? 1 : purpose == 1 ? 0 : 2);
	}
	return p;
}

typedef void (*slowlog_fn)(void *, struct robj **, int, long long);
/* volatile: the compiler may not turn the pointer back into a call */
static slowlog_fn volatile slowlog_ptr = slowlogPushEntryIfNeeded;

#ifdef FAKE_DEADSITE
/* a direct caller that never runs, like an LTO build's leftover copy of
 * slowlogPushCurrentCommand whose live body is a clone without a symbol */
HOOK void slowlogPushCurrentCommand(void *c, struct robj **argv, int argc, long long us)
{
	slowlogPushEntryIfNeeded(c, argv, argc, us);
}
volatile int never;
#endif

static void command(void *client, char *name)
{
	struct robj arg = { .encoding = 8, .refcount = 1, .ptr = name };
	struct robj *argv[1] = { &arg };

#ifdef FAKE_DIRECT
	slowlogPushEntryIfNeeded(client, argv, 1, 3);
#else
	slowlog_ptr(client, argv, 1, 3);
#endif
#ifdef FAKE_DEADSITE
	if (never)
		slowlogPushCurrentCommand(client, argv, 1, 3);
#endif
}

/* Answer each inline request ("PING\r\n", "BGSAVE\r\n") in buf. */
static void serve(int fd, char *buf, size_t n)
{
	char *line = buf, *end;

	buf[n] = 0;
	while ((end = strstr(line, "\r\n"))) {
		const char *reply = "+PONG\r\n";

		*end = 0;
		if (!strcasecmp(line, "bgsave")) {
			reply = redisFork(1) > 0 ? "+Background saving started\r\n" : "-ERR fork\r\n";
			command(&fd, "bgsave");
		} else {
			command(&fd, "ping");
		}
		if (write(fd, reply, strlen(reply)) < 0)
			break;
		line = end + 2;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event ev = { .events = EPOLLIN }, evs[16];
	int one = 1, lfd, ep, i, n;
	char buf[4096];

	if (argc > 1 && !strcmp(argv[1], "--version"))
		version();
	if (argc < 2 || !(a.sin_port = htons(atoi(argv[1])))) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 64)) {
		perror("listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 16, 100);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t got;

			if (fd == lfd) {
				int c = accept(lfd, NULL, NULL);

				ev.data.fd = c;
				if (c >= 0)
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				continue;
			}
			got = read(fd, buf, sizeof(buf) - 1);
			if (got <= 0) {
				close(fd);
				continue;
			}
			serve(fd, buf, (size_t)got);
		}
	}
}
