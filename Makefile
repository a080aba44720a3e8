# redlat: eBPF latency profiler for Redis.  `make V=1` shows full commands.
OUTPUT   ?= build
# BPF objects and skeletons are the same for every user-space build
# (sanitizers, fuzzers): built once, under build/.
BPF_OUT  ?= $(OUTPUT)
CLANG    ?= clang
CC       ?= cc
BPFTOOL  ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
PREFIX   ?= /usr/local
DESTDIR  ?=
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

LIBBPF_A   := $(firstword $(wildcard /usr/lib/$(shell uname -m)-linux-gnu/libbpf.a /usr/lib64/libbpf.a /usr/lib/libbpf.a))
CAPSTONE_A := $(firstword $(wildcard /usr/lib/$(shell uname -m)-linux-gnu/libcapstone.a /usr/lib64/libcapstone.a))
JSONC_A    := $(firstword $(wildcard /usr/lib/$(shell uname -m)-linux-gnu/libjson-c.a /usr/lib64/libjson-c.a))

CFLAGS   ?= -O2 -g
override CFLAGS += -Wall -Wextra -Werror -std=gnu11 -MMD -MP -I$(OUTPUT) -Iskel -Ibpf -Iuser -I/usr/include/json-c
LDLIBS   := $(LIBBPF_A) $(CAPSTONE_A) $(JSONC_A) -lmicrohttpd -lelf -lz -lm -lpthread
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 \
	| sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf \
	$(CLANG_BPF_SYS_INCLUDES) -MMD -MP -Wall -Werror

BPF_APPS  := commands calib cmdname_test
BPF_OBJS  := $(patsubst %,$(BPF_OUT)/%.bpf.o,$(BPF_APPS))
SKELS     := $(patsubst %,skel/%.skel.h,$(BPF_APPS))
LIB_SRCS  := $(filter-out user/redlat.c,$(wildcard user/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(OUTPUT)/%.o,$(LIB_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))

.DELETE_ON_ERROR:
.PHONY: all clean deps test unit-test unit-test-run unit-test-asan integration-test demo install vmlinux \
	bench fixtures fuzz fuzz-replay golden-update compat

all: redlat

$(sort $(OUTPUT) $(BPF_OUT)) $(OUTPUT)/tests skel:
	$(Q)mkdir -p $@

$(BPF_OUT)/%.bpf.o: bpf/%.bpf.c | $(BPF_OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

skel/%.skel.h: $(BPF_OUT)/%.bpf.o | skel
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

# User objects that include a skeleton must wait for it.
$(LIB_OBJS) $(OUTPUT)/redlat.o: | $(SKELS)

$(OUTPUT)/%.o: user/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OUTPUT)/libredlat.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

redlat: $(OUTPUT)/redlat.o $(OUTPUT)/libredlat.a
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(OUTPUT)/tests/%.o: tests/unit/%.c | $(OUTPUT)/tests $(SKELS)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-unused-parameter -c $< -o $@

$(OUTPUT)/tests/%: $(OUTPUT)/tests/%.o $(OUTPUT)/libredlat.a
	$(call msg,TEST-LD,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# Small ELF files the symbol tests read: built here, never checked in, and
# always by cc (gcc), whatever compiles the tests: their code is what the
# tests expect.
FIXTURE_CC ?= cc
fixtures: $(OUTPUT)/tests/fixture-dyn $(OUTPUT)/tests/fixture-stripped $(OUTPUT)/tests/fixture-noplt
$(OUTPUT)/tests/fixture-dyn: tests/unit/fixture.c | $(OUTPUT)/tests
	$(call msg,FIXTURE,$@)
	$(Q)$(FIXTURE_CC) -O2 -rdynamic -fno-inline $< -o $@
$(OUTPUT)/tests/fixture-noplt: tests/unit/fixture.c | $(OUTPUT)/tests
	$(call msg,FIXTURE,$@)
	$(Q)$(FIXTURE_CC) -O2 -rdynamic -fno-inline -fno-plt $< -o $@
$(OUTPUT)/tests/fixture-stripped: tests/unit/fixture.c | $(OUTPUT)/tests
	$(call msg,FIXTURE,$@)
	$(Q)$(FIXTURE_CC) -O2 -fno-inline $< -o $@ && strip -s $@

# Synthetic servers for tests/integration/t_compat.sh: builds that redlat
# must handle and this host has no Redis for (tests/compat/fakeredis.c).
COMPAT_BINS := $(patsubst %,$(OUTPUT)/compat/fake-%,direct pointer deadsite leftover stripped)
compat: $(COMPAT_BINS)
$(OUTPUT)/compat:
	$(Q)mkdir -p $@
$(OUTPUT)/compat/fake-%: tests/compat/fakeredis.c | $(OUTPUT)/compat
	$(call msg,COMPAT,$@)
	$(Q)$(FIXTURE_CC) -O2 -Wall -Wextra -Werror -rdynamic -DFAKE_$$(echo $* | tr a-z A-Z) $< -o $@
$(OUTPUT)/compat/fake-stripped: $(OUTPUT)/compat/fake-direct
	$(call msg,COMPAT,$@)
	$(Q)strip -s -o $@ $<

deps:
	$(Q)tools/install-deps

# libFuzzer targets (tests/fuzz/fuzz_*.c) for the ELF reader, the /proc
# parsers and --replay's JSON reader, with ASan and UBSan, in build-fuzz/. `make fuzz` runs each for
# FUZZ_SECONDS from the kept corpus (tests/fuzz/<target>/) plus seeds made
# here; what it finds new goes to build-fuzz/corpus/, crashes to
# build-fuzz/<target>-crash-*. `make fuzz-replay` (part of make test) runs
# the kept corpus once, as a regression test.
FUZZ_OUT     := build-fuzz
FUZZ_TARGETS := elfsym procs replay
FUZZ_BINS    := $(patsubst %,$(FUZZ_OUT)/fuzz_%,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
FUZZ_LIB_OBJS := $(patsubst user/%.c,$(FUZZ_OUT)/%.o,$(LIB_SRCS))

$(FUZZ_OUT) $(FUZZ_OUT)/corpus:
	$(Q)mkdir -p $@

$(FUZZ_LIB_OBJS): | $(SKELS)
$(FUZZ_OUT)/%.o: user/%.c | $(FUZZ_OUT)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(CFLAGS) $(FUZZ_SAN) -c $< -o $@

$(FUZZ_OUT)/libredlat.a: $(FUZZ_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OUT)/libredlat.a | $(FUZZ_OUT)
	$(call msg,FUZZ-LD,$@)
	$(Q)$(CLANG) $(CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer $(filter %.c %.a,$^) $(LDLIBS) -o $@

fuzz: $(FUZZ_BINS) fixtures | $(FUZZ_OUT)/corpus
	$(Q)for t in $(FUZZ_TARGETS); do mkdir -p $(FUZZ_OUT)/corpus/$$t; done
	$(Q)cp $(OUTPUT)/tests/fixture-dyn $(OUTPUT)/tests/fixture-stripped $(FUZZ_OUT)/corpus/elfsym/
	$(Q)cp tests/golden/*.json $(FUZZ_OUT)/corpus/replay/
	$(Q)for f in stat maps io net/tcp net/tcp6; do \
		cat /proc/self/$$f > $(FUZZ_OUT)/corpus/procs/seed-$$(echo $$f | tr / -) 2>/dev/null; done; true
	$(Q)for t in $(FUZZ_TARGETS); do \
		printf '  %-8s %s\n' FUZZ "$$t for $(FUZZ_SECONDS) s"; \
		$(FUZZ_OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_OUT)/$$t- $(FUZZ_OUT)/corpus/$$t tests/fuzz/$$t \
			2>$(FUZZ_OUT)/$$t.log || { tail -40 $(FUZZ_OUT)/$$t.log; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^stat::new_units_added' $(FUZZ_OUT)/$$t.log; \
	done

fuzz-replay: $(FUZZ_BINS)
	$(Q)for t in $(FUZZ_TARGETS); do \
		printf '  %-8s %s\n' REPLAY "tests/fuzz/$$t ($$(ls tests/fuzz/$$t | wc -l) inputs)"; \
		$(FUZZ_OUT)/fuzz_$$t tests/fuzz/$$t/* >$(FUZZ_OUT)/$$t-replay.log 2>&1 \
			|| { tail -40 $(FUZZ_OUT)/$$t-replay.log; exit 1; }; \
	done


unit-test: redlat unit-test-run
	$(Q)tests/golden/run

unit-test-run: fixtures $(UNIT_BINS)
	$(Q)for t in $(UNIT_BINS); do (cd $(OUTPUT)/tests && ./$$(basename $$t)) || exit 1; done

# After a deliberate change of the report: rewrite tests/golden/*.txt, then
# review `git diff tests/golden`.
golden-update: redlat
	$(Q)tests/golden/run --update

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer,
# in build-asan/ so that instrumented objects never mix with redlat's. Any
# report fails the run (-fno-sanitize-recover, halt_on_error).
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_ENV   := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unit-test-asan: $(SKELS)
	$(call msg,ASAN,unit tests in build-asan/)
	$(Q)$(SAN_ENV) $(MAKE) --no-print-directory OUTPUT=build-asan BPF_OUT=$(BPF_OUT) CC=$(CLANG) \
		CFLAGS="-O1 -g $(SAN_FLAGS)" unit-test-run

integration-test: redlat $(OUTPUT)/slowfs compat
	$(Q)tests/integration/run-all

test: deps
	$(Q)$(MAKE) --no-print-directory unit-test
	$(Q)$(MAKE) --no-print-directory unit-test-asan
	$(Q)$(MAKE) --no-print-directory fuzz-replay
	$(Q)$(MAKE) --no-print-directory integration-test

demo: deps
	$(Q)$(MAKE) --no-print-directory redlat $(OUTPUT)/slowfs
	$(Q)tools/demo

bench: redlat
	$(Q)tools/bench-overhead

vmlinux:
	$(call msg,GEN,vmlinux/vmlinux.h)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

install: redlat
	$(Q)install -D -m 0755 redlat $(DESTDIR)$(PREFIX)/sbin/redlat

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) build-asan build-fuzz redlat skel/*.skel.h

include tools/slowfs/slowfs.mk

-include $(sort $(wildcard $(OUTPUT)/*.d $(OUTPUT)/tests/*.d $(BPF_OUT)/*.d $(FUZZ_OUT)/*.d))
