/*
 * opener [-f] N M PATH...: after the go byte, opens each PATH in turn
 * (openat(AT_FDCWD, PATH, O_RDONLY)), N rounds, printing "PATH RESULT" after
 * each open (RESULT: the fd, or -errno; the fd is closed again), then calls
 * getppid M times, prints "done" and exits 0. With -f a forked child does
 * all that while the parent waits for it, and exits with the child's code.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "progs.h"

int main(int argc, char **argv)
{
	int fork_first = 0;
	long n, m;

	if (argc >= 2 && strcmp(argv[1], "-f") == 0) {
		fork_first = 1;
		argv++;
		argc--;
	}
	if (argc < 3)
		return 2;
	n = atol(argv[1]);
	m = atol(argv[2]);
	wait_go();
	if (fork_first) {
		int status;
		pid_t pid = fork();

		if (pid < 0)
			return 3;
		if (pid > 0) {
			if (waitpid(pid, &status, 0) != pid)
				return 4;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 5;
		}
	}
	for (long i = 0; i < n; i++) {
		for (int a = 3; a < argc; a++) {
			int fd = openat(AT_FDCWD, argv[a], O_RDONLY);

			printf("%s %d\n", argv[a], fd >= 0 ? fd : -errno);
			fflush(stdout);
			if (fd >= 0)
				close(fd);
		}
	}
	for (long i = 0; i < m; i++)
		syscall(SYS_getppid);
	printf("done\n");
	fflush(stdout);
	return 0;
}
