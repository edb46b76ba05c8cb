/*
 * gdbthreads NTHREADS: after the go byte, starts NTHREADS threads that
 * each loop calling spin() and sleeping briefly until standard input is
 * closed; then joins them, prints "done N" with the rounds they made and
 * exits 0. For gdb attaching through the gdbremote engine.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "progs.h"

static atomic_int stop;
static atomic_long rounds;

long spin(long i)
{
	return i * 2 + 1;
}

static void *work(void *arg)
{
	struct timespec ts = { 0, 1000000 };
	long i = 0;

	while (!atomic_load(&stop)) {
		i = spin(i) % 1000;
		atomic_fetch_add(&rounds, 1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[64];
	int nthreads;

	if (argc != 2)
		return 2;
	nthreads = atoi(argv[1]);
	if (nthreads < 1 || nthreads > 64)
		return 2;
	wait_go();
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&t[i], NULL, work, NULL))
			return 3;
	printf("started\n");
	fflush(stdout);
	wait_eof();
	atomic_store(&stop, 1);
	for (int i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	printf("done %ld\n", atomic_load(&rounds) > 0 ? 1L : 0L);
	return 0;
}
