// SPDX-License-Identifier: GPL-2.0
/* --serve over libmicrohttpd (Debian's libmicrohttpd): HTTP parsing, keep-
 * alive, timeouts and slow clients are its job, not a hand-rolled server's. */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "openmetrics.h"
#include "serve.h"

/* Scrapers are few; a client that holds a connection open must not hold
 * others off for long. */
#define SERVE_MAX_CONNECTIONS 16
#define SERVE_TIMEOUT_S 10

struct serve {
	int fd;			/* ours until libmicrohttpd takes it */
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	/* the latest renderings, NULL until the first */
	char *om, *text;
	size_t om_len, text_len;
};

struct serve *serve_bind(const struct sockaddr *addr, socklen_t len, const char *text,
			 char *err, size_t errlen)
{
	struct serve *s = calloc(1, sizeof(*s));
	int one = 1;

	if (!s) {
		snprintf(err, errlen, "cannot serve metrics on %s: out of memory", text);
		return NULL;
	}
	s->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* SO_REUSEADDR: a restarted redlat may bind over its predecessor's
	 * TIME_WAIT connections, never over a live listener */
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, addr, len) || listen(s->fd, SERVE_MAX_CONNECTIONS)) {
		snprintf(err, errlen, "cannot serve metrics on %s: %s", text, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body,
								    MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_len, void **state)
{
	static const char plain[] = "text/plain; charset=utf-8";
	struct serve *s = cls;
	const char *accept;
	enum MHD_Result ret;
	int om;

	(void)version, (void)upload, (void)upload_len, (void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, plain, "redlat serves GET /metrics\n", 27);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, plain, "redlat serves GET /metrics\n", 27);
	/* OpenMetrics to those that ask for it (Prometheus does), the 0.0.4
	 * text format to the rest, as Prometheus's client libraries do */
	accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	om = accept && strstr(accept, "application/openmetrics-text");
	pthread_mutex_lock(&s->lock);
	if (!(om ? s->om : s->text))
		ret = reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, plain, "redlat is starting\n", 19);
	else
		ret = reply(c, MHD_HTTP_OK, om ? OPENMETRICS_CONTENT_TYPE : PROM_TEXT_CONTENT_TYPE,
			    om ? s->om : s->text, om ? s->om_len : s->text_len);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int serve_start(struct serve *s, char *err, size_t errlen)
{
	sigset_t block, old;

	/* Ctrl-C and SIGTERM belong to the main thread, whose loop checks
	 * for them: the HTTP thread is created with them blocked */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	s->d = MHD_start_daemon(MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, s,
				MHD_OPTION_LISTEN_SOCKET, s->fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVE_MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVE_TIMEOUT_S,
				MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->d) {
		snprintf(err, errlen, "cannot start the metrics server (libmicrohttpd)");
		return -1;
	}
	s->fd = -1;	/* the daemon closes it */
	return 0;
}

static char *render_to(int (*fn)(FILE *, const struct run_report *), const struct run_report *r,
		       size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int bad;

	if (!f)
		return NULL;
	bad = fn(f, r) || ferror(f);
	if (fclose(f) || bad) {
		free(buf);
		return NULL;
	}
	return buf;
}

void serve_publish(struct serve *s, const struct run_report *r)
{
	size_t om_len = 0, text_len = 0;
	char *om = render_to(render_openmetrics, r, &om_len);
	char *text = render_to(render_prom_text, r, &text_len);

	if (!om || !text) {	/* out of memory: keep serving the last */
		free(om);
		free(text);
		return;
	}
	pthread_mutex_lock(&s->lock);
	free(s->om);
	free(s->text);
	s->om = om;
	s->om_len = om_len;
	s->text = text;
	s->text_len = text_len;
	pthread_mutex_unlock(&s->lock);
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->lock);
	free(s->om);
	free(s->text);
	free(s);
}
