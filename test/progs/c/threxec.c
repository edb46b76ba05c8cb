/*
 * threxec: after the go byte, starts a thread that execs this program as
 * "threxec exit", which exits 0. The exec kills the main thread and gives
 * the exec'ing thread the process id as its tid (de_thread).
 */
#include <pthread.h>
#include <string.h>

#include "progs.h"

static char *self;

static void *run(void *arg)
{
	execl(self, self, "exit", (char *)NULL);
	_exit(127);
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc == 2 && strcmp(argv[1], "exit") == 0)
		return 0;
	self = argv[0];
	wait_go();
	if (pthread_create(&t, NULL, run, NULL))
		return 3;
	for (;;)
		pause();
}
