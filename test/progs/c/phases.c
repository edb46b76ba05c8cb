/*
 * phases N M: after the go byte, calls getppid N times and close(-1)
 * (failing with EBADF) M times, prints "ready", waits for stdin to close,
 * then does the same calls again and exits 0. A test reads a tracer's
 * live counters while it waits, and its final ones after.
 */
#include <sys/syscall.h>

#include "progs.h"

static void calls(long n, long m)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	for (long i = 0; i < m; i++)
		syscall(SYS_close, -1);
}

int main(int argc, char **argv)
{
	long n, m;

	if (argc != 3)
		return 2;
	n = atol(argv[1]);
	m = atol(argv[2]);
	wait_go();
	calls(n, m);
	if (write(1, "ready\n", 6) != 6)
		return 3;
	wait_eof();
	calls(n, m);
	return 0;
}
