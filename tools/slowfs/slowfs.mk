# slowfs: the FUSE filesystem with slow fsyncs of the stall lab (tools/lab.sh,
# tools/stall-lab). Included by the main Makefile; needs libfuse3-dev.
# Uses $(OUTPUT), $(CC), $(Q) and msg from there; leaves the default goal
# alone wherever it is included.
SLOWFS_SAVED_GOAL := $(.DEFAULT_GOAL)

SLOWFS_CFLAGS = -O2 -g -Wall -Wextra -Werror \
	$(shell pkg-config --cflags fuse3 2>/dev/null || echo -I/usr/include/fuse3)
SLOWFS_LDLIBS = $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3) -lpthread

.PHONY: slowfs
slowfs: $(OUTPUT)/slowfs

$(OUTPUT)/slowfs: tools/slowfs/slowfs.c tools/slowfs/slowfs.mk | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(SLOWFS_CFLAGS) $< $(SLOWFS_LDLIBS) -o $@

.DEFAULT_GOAL := $(SLOWFS_SAVED_GOAL)
