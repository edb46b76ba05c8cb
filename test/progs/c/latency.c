/*
 * latency N: calls nanosleep for 1 ms N times, then getppid N times: two
 * system calls whose durations fall in known log2 buckets, for the
 * latency-histogram tests. nanosleep by number: glibc's nanosleep() calls
 * clock_nanosleep. Without an argument it starts at once; with "go" as a
 * second argument it first waits for the go byte on stdin.
 */
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "progs.h"

int main(int argc, char **argv)
{
	struct timespec ms = {0, 1000000};
	long n;

	if (argc < 2 || argc > 3)
		return 2;
	n = atol(argv[1]);
	if (argc == 3 && strcmp(argv[2], "go") == 0)
		wait_go();
	for (long i = 0; i < n; i++)
		if (syscall(SYS_nanosleep, &ms, NULL) != 0)
			return 1;
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}
