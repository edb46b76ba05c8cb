/*
 * blockread N: a thread blocks in read(0) for a line while the main
 * thread, once the reader has been waiting a second, calls getppid N times,
 * says "ready" on stdout and joins the reader, which ends when the line
 * comes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *reader(void *arg)
{
	char buf[64];

	if (read(0, buf, sizeof buf) <= 0)
		exit(3);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec wait = {1, 0};
	pthread_t t;
	long n;

	if (argc != 2)
		return 2;
	n = atol(argv[1]);
	if (pthread_create(&t, NULL, reader, NULL))
		return 3;
	nanosleep(&wait, NULL);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	printf("ready\n");
	fflush(stdout);
	pthread_join(t, NULL);
	return 0;
}
