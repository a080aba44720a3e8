/* ELF fixture for test_elfsym: the few functions redlat looks for in a
 * redis-server binary, built as fixture-dyn (-rdynamic) and
 * fixture-stripped (strip -s). Never run by the tests, only read. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define KEEP __attribute__((noinline, noclone, used))

volatile long sink;

KEEP void slowlogPushEntryIfNeeded(void *c, void *argv, int argc, long long duration)
{
	sink += (long)c + (long)argv + argc + duration;
}

KEEP void call(void *c, int flags)
{
	long long dirty = sink;

	/* Direct call, as Redis's call() does after running the command. */
	slowlogPushEntryIfNeeded(c, &dirty, flags, dirty * 3);
	sink += dirty + flags;
}

KEEP void execCommand(void *c)
{
	sink += (long)c;
	call(c, (int)sink);
}

/* Like Redis's version(): the version as a separate string argument. */
KEEP void version(void)
{
	printf("Redis server v=%s sha=%s:%d malloc=%s bits=%d build=%llx\n",
	       "7.9.42", "00000000", (int)sink > 0, "libc", sizeof(long) == 4 ? 32 : 64,
	       (unsigned long long)sink);
}

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] == 'v') {
		version();
		return 0;
	}
	/* imported, as Redis imports them: through the PLT (fixture-dyn), or
	 * the GOT alone (fixture-noplt, -fno-plt); sync_file_range is not */
	if (argc > 1 && argv[1][0] == 's')
		return fsync(1) + fdatasync(1);
	execCommand(argv);
	call(argv, argc);
	slowlogPushEntryIfNeeded(argv, argv, argc, argc);
	return (int)(sink & 1);
}
