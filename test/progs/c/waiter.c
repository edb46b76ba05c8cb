/*
 * waiter NTHREADS: after the go byte, starts NTHREADS-1 threads that sleep
 * in pause() and waits for stdin to close, then exits 0. Job-control tests
 * stop and continue it meanwhile.
 */
#include <pthread.h>

#include "progs.h"

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads;
	pthread_t t;

	if (argc != 2)
		return 2;
	nthreads = atoi(argv[1]);
	wait_go();
	for (int i = 1; i < nthreads; i++)
		if (pthread_create(&t, NULL, sleeper, NULL))
			return 3;
	/* Tell the test the threads exist. */
	if (write(1, "ready\n", 6) != 6)
		return 4;
	wait_eof();
	return 0;
}
