/*
 * threads NTHREADS N: after the go byte, starts NTHREADS threads that each
 * call getppid N times, joins them and exits 0.
 */
#include <pthread.h>
#include <sys/syscall.h>

#include "progs.h"

static long n;

static void *work(void *arg)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads;
	pthread_t t[64];

	if (argc != 3)
		return 2;
	nthreads = atoi(argv[1]);
	n = atol(argv[2]);
	if (nthreads < 1 || nthreads > 64)
		return 2;
	wait_go();
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, work, NULL))
			return 3;
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	return 0;
}
