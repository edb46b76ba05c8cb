/*
 * getppid N: after the go byte, calls getppid N times and prints how long
 * that took, in nanoseconds (CLOCK_MONOTONIC). The benchmark's workload.
 */
#include <sys/syscall.h>
#include <time.h>

#include "progs.h"

int main(int argc, char **argv)
{
	struct timespec a, b;
	long n;

	if (argc != 2)
		return 2;
	n = atol(argv[1]);
	wait_go();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
