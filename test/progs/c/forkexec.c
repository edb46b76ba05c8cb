/*
 * forkexec CODE [wait]: after the go byte, forks a child that execs this
 * program as "forkexec exit CODE [wait]", which exits with CODE (with
 * "wait", once stdin is closed); waits for it and exits 0.
 */
#include <string.h>
#include <sys/wait.h>

#include "progs.h"

int main(int argc, char **argv)
{
	pid_t pid;
	int status;

	if (argc >= 3 && strcmp(argv[1], "exit") == 0) {
		if (argc == 4 && strcmp(argv[3], "wait") == 0)
			wait_eof();
		return atoi(argv[2]);
	}
	if (argc != 2 && argc != 3)
		return 2;
	wait_go();
	pid = fork();
	if (pid < 0)
		return 3;
	if (pid == 0) {
		execl(argv[0], argv[0], "exit", argv[1], argv[2], (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 4;
	return 0;
}
