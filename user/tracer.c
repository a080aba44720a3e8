// SPDX-License-Identifier: GPL-2.0
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "commands.skel.h"
#include "names.h"
#include "procs.h"
#include "tracer.h"

#define MAX_TARGETS_DETACH 256

int tracer_open(struct tracer *t, struct target *targets, int n, double pair_bias_ns,
		char *err, size_t errlen)
{
	char name[CMD_NAME_LEN];
	__u8 one = 1;
	__u32 i, id;
	int k;

	memset(t, 0, sizeof(*t));
	t->targets = targets;
	t->ntargets = n;
	t->skel = commands_bpf__open();
	if (!t->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	t->skel->rodata->pair_bias_ns = (__u64)pair_bias_ns;
	if (commands_bpf__load(t->skel)) {
		snprintf(err, errlen, "cannot load the BPF programs: %s (run with -v for the verifier log)",
			 strerror(errno));
		return -1;
	}
	for (k = 0; k < n; k++) {
		__u32 tgid = (__u32)targets[k].proc.pid, flags = targets[k].subcommands;
		int j;

		for (j = 0; j < MAX_SITES; j++)
			targets[k].site_fds[j] = -1;

		bpf_map__update_elem(t->skel->maps.targets, &tgid, sizeof(tgid), &flags, sizeof(flags), BPF_ANY);
	}
	for (i = 0; container_commands[i]; i++) {
		memset(name, 0, sizeof(name));
		snprintf(name, sizeof(name), "%s", container_commands[i]);
		bpf_map__update_elem(t->skel->maps.containers, name, sizeof(name), &one, sizeof(one), BPF_ANY);
	}
	for (id = 0; skip_slowlog_procs[id].name && id < MAX_SKIP_PROCS; id++) {
		memset(name, 0, sizeof(name));
		snprintf(name, sizeof(name), "%s", skip_slowlog_procs[id].name);
		bpf_map__update_elem(t->skel->maps.skip_names, &id, sizeof(id), name, sizeof(name), BPF_ANY);
	}
	return 0;
}

static struct bpf_link *attach_u(struct bpf_program *p, int ret, pid_t pid, const char *path,
				 __u64 off, __u64 cookie)
{
	LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = ret, .bpf_cookie = cookie);

	return bpf_program__attach_uprobe_opts(p, pid, path, off, &o);
}

/* The hot probe is a uprobe perf event with the program set by ioctl, so
 * that removing it is a plain close() that tracer_detach() can run on a
 * thread of its own. */
static int uprobe_open(int prog_fd, pid_t pid, const char *path, __u64 off)
{
	static int type = -1;
	struct perf_event_attr attr = { .size = sizeof(attr) };
	int fd;

	if (type < 0) {
		FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");

		if (!f || fscanf(f, "%d", &type) != 1)
			type = -1;
		if (f)
			fclose(f);
		if (type < 0) {
			errno = ENOENT;
			return -1;
		}
	}
	attr.type = type;
	attr.config1 = (__u64)(unsigned long)path;
	attr.config2 = off;
	fd = syscall(__NR_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int attach_target(struct tracer *t, struct target *g, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	const char *path = g->proc.probe_path;
	int i;

	for (i = 0; i < g->nsites; i++) {
		g->site_fds[i] = uprobe_open(bpf_program__fd(s->progs.slowlog_site), g->proc.pid, path,
					     g->sites[i].off);
		if (g->site_fds[i] < 0)
			goto fail;
	}
	for (i = 0; i < g->nskip; i++) {
		g->links[g->nlinks] = attach_u(s->progs.skip_entry, 0, g->proc.pid, path,
					      g->skip[i].off, g->skip_id[i]);
		if (!g->links[g->nlinks])
			goto fail;
		g->nlinks++;
		g->links[g->nlinks] = attach_u(s->progs.skip_return, 1, g->proc.pid, path,
					      g->skip[i].off, g->skip_id[i]);
		if (!g->links[g->nlinks])
			goto fail;
		g->nlinks++;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot attach a uprobe to pid %d (%s): %s", g->proc.pid, path, strerror(errno));
	return -1;
}

int tracer_attach(struct tracer *t, char *err, size_t errlen)
{
	struct commands_bpf *s = t->skel;
	struct bpf_program *tps[] = {
		s->progs.sys_enter, s->progs.sys_exit,
	};
	size_t i;
	int k;

	if (t->attached)
		return 0;
	s->bss->gen++;
	/* The syscall tracepoints stay on between windows (the programs return
	 * at once while not recording): switching them costs a text patch on
	 * every CPU each time. */
	for (i = 0; i < sizeof(tps) / sizeof(tps[0]) && !t->ntp; i++) {
		t->tp_links[t->ntp] = bpf_program__attach(tps[i]);
		if (!t->tp_links[t->ntp]) {
			snprintf(err, errlen, "cannot attach tracepoint %s: %s",
				 bpf_program__name(tps[i]), strerror(errno));
			goto fail;
		}
		t->ntp++;
	}
	for (k = 0; k < t->ntargets; k++) {
		if (t->targets[k].ended)
			continue;
		if (attach_target(t, &t->targets[k], err, errlen)) {
			/* it exited since the last check: keep what it gave */
			if (!procs_alive(PROC_ROOT, &t->targets[k].proc)) {
				t->targets[k].ended = 1;
				continue;
			}
			goto fail;
		}
	}
	t->attached = 1;
	return 0;
fail:
	t->attached = 1;
	tracer_detach(t);
	return -1;
}

static void *close_fd(void *arg)
{
	close((int)(long)arg);
	return NULL;
}

static void *destroy_link(void *arg)
{
	bpf_link__destroy(arg);
	return NULL;
}

void tracer_enable(struct tracer *t)
{
	t->skel->bss->enabled = 1;
}

void tracer_disable(struct tracer *t)
{
	t->skel->bss->enabled = 0;
}

void tracer_detach(struct tracer *t)
{
	pthread_t th[MAX_TARGETS_DETACH];
	int k, i, nth = 0;

	if (!t->attached)
		return;
	t->skel->bss->enabled = 0;
	/* Each uprobe's removal waits for RCU grace periods (60-110 ms measured
	 * here with both CPUs busy) and Redis keeps trapping until it is done:
	 * remove them all at once, one thread each, so the waits overlap. */
	for (k = 0; k < t->ntargets; k++) {
		struct target *g = &t->targets[k];

		for (i = 0; i < g->nsites; i++) {
			if (g->site_fds[i] < 0)
				continue;
			if (nth == MAX_TARGETS_DETACH ||
			    pthread_create(&th[nth], NULL, close_fd, (void *)(long)g->site_fds[i]))
				close(g->site_fds[i]);
			else
				nth++;
			g->site_fds[i] = -1;
		}
		for (i = 0; i < g->nlinks; i++) {
			if (nth == MAX_TARGETS_DETACH ||
			    pthread_create(&th[nth], NULL, destroy_link, g->links[i]))
				bpf_link__destroy(g->links[i]);
			else
				nth++;
		}
		g->nlinks = 0;
	}
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	t->attached = 0;
}

int tracer_collect(struct tracer *t, struct run_report *r)
{
	int fd = bpf_map__fd(t->skel->maps.hists), k;
	struct cmd_key key, next, *prev = NULL;
	struct hist *h = malloc(sizeof(*h));
	size_t i;

	if (!h)
		return -1;
	if (!r->insts) {
		r->insts = calloc(t->ntargets, sizeof(*r->insts));
		if (!r->insts) {
			free(h);
			return -1;
		}
		r->ninsts = t->ntargets;
		for (k = 0; k < t->ntargets; k++) {
			struct inst_report *in = &r->insts[k];
			struct target *g = &t->targets[k];
			size_t len = 0;

			in->pid = g->proc.pid;
			snprintf(in->exe, sizeof(in->exe), "%s", g->proc.exe);
			snprintf(in->version, sizeof(in->version), "%s", g->version);
			snprintf(in->product, sizeof(in->product), "%s", g->product);
			memcpy(in->ports, g->proc.ports, sizeof(in->ports));
			in->nports = g->proc.nports;
			for (i = 0; i < (size_t)g->nsites && len < sizeof(in->probes) - 64; i++)
				len += snprintf(in->probes + len, sizeof(in->probes) - len, "%s" SLOWLOG_FN " call in %s",
						i ? ", " : "", g->site_funcs[i]);
			for (i = 0; i < (size_t)g->nskip && len < sizeof(in->probes) - 64; i++)
				len += snprintf(in->probes + len, sizeof(in->probes) - len, ", %s entry+return",
						skip_slowlog_procs[g->skip_id[i]].proc);
		}
	}
	for (k = 0; k < t->ntargets; k++) {
		r->insts[k].ended = t->targets[k].ended;
		for (i = 0; i < r->insts[k].ncmds; i++)
			memset(r->insts[k].cmds[i].span, 0, sizeof(r->insts[k].cmds[i].span));
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, h) || key.span >= SPAN_MAX)
			continue;
		for (k = 0; k < t->ntargets; k++) {
			struct cmd_stat *c;
			char name[CMD_NAME_LEN + 1];

			if ((__u32)t->targets[k].proc.pid != key.tgid)
				continue;
			memcpy(name, key.name, CMD_NAME_LEN);
			name[CMD_NAME_LEN] = 0;
			c = inst_cmd(&r->insts[k], name);
			if (c)
				c->span[key.span] = *h;
		}
	}
	free(h);
	return 0;
}

void tracer_stats(struct tracer *t, unsigned long long *stats)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(t->skel->maps.stats);
	__u64 *vals;
	__u32 k;
	int c;

	memset(stats, 0, sizeof(*stats) * STAT_MAX);
	if (ncpu <= 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (k = 0; k < STAT_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (c = 0; c < ncpu; c++)
			stats[k] += vals[c];
	}
	free(vals);
}

void tracer_close(struct tracer *t)
{
	int i;

	tracer_detach(t);
	for (i = 0; i < t->ntp; i++)
		bpf_link__destroy(t->tp_links[i]);
	t->ntp = 0;
	commands_bpf__destroy(t->skel);
	t->skel = NULL;
}
