/*
 * benchthreads NTHREADS N: after the go byte, starts NTHREADS threads that
 * each call getppid N times and joins them. Prints the time from the first
 * pthread_create to the last join in nanoseconds (CLOCK_MONOTONIC). The
 * benchmark's multi-threaded workload.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

#include "progs.h"

static long n;

static void *work(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	pthread_t t[64];
	int nthreads;

	if (argc != 3)
		return 2;
	nthreads = atoi(argv[1]);
	n = atol(argv[2]);
	if (nthreads < 1 || nthreads > 64)
		return 2;
	wait_go();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, work, NULL))
			return 3;
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
