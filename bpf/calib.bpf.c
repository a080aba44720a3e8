// SPDX-License-Identifier: GPL-2.0
/* Measures, on this host, what a uprobe costs and how much an entry/return
 * pair adds to the span it times: attached to redlat's own calib_leaf(). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

__u64 hits = 0;
__u64 start_ns = 0;
__u64 span_sum_ns = 0;
__u64 spans = 0;

SEC("uprobe")
int BPF_KPROBE(calib_hit)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(calib_entry)
{
	start_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(calib_return)
{
	if (start_ns) {
		span_sum_ns += bpf_ktime_get_ns() - start_ns;
		spans++;
		start_ns = 0;
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
