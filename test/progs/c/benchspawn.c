/*
 * benchspawn N: after the go byte, runs N times /bin/true from a shell
 * loop (/bin/sh -c 'while ...; do /bin/true; done') and waits for the
 * shell. Prints the time that took in nanoseconds (CLOCK_MONOTONIC). The
 * benchmark's fork/exec-heavy workload.
 */
#include <sys/wait.h>
#include <time.h>

#include "progs.h"

int main(int argc, char **argv)
{
	struct timespec a, b;
	pid_t pid;
	int status;

	if (argc != 2)
		return 2;
	wait_go();
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "i=0; while [ $i -lt $1 ]; do /bin/true; i=$((i+1)); done",
		      "sh", argv[1], (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 4;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
	return 0;
}
