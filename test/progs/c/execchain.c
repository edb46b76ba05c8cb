/*
 * execchain DEPTH CODE: a chain of processes, each the child of the one
 * before. With DEPTH > 0 it forks a child that execs this program (by the
 * same argv[0]) as "execchain DEPTH-1 CODE" and waits for it. Every
 * process exits with CODE + DEPTH.
 * execchain fail: tries to exec ./nonexistent-prog (ENOENT), then exits 3.
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "progs.h"

int main(int argc, char **argv)
{
	char depth[16];
	int d, code, status;
	pid_t pid;

	if (argc == 2 && strcmp(argv[1], "fail") == 0) {
		execl("./nonexistent-prog", "nonexistent-prog", "x", (char *)NULL);
		return 3;
	}
	if (argc != 3)
		return 100;
	d = atoi(argv[1]);
	code = atoi(argv[2]);
	if (d > 0) {
		snprintf(depth, sizeof(depth), "%d", d - 1);
		pid = fork();
		if (pid < 0)
			return 101;
		if (pid == 0) {
			execl(argv[0], argv[0], depth, argv[2], (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid)
			return 102;
	}
	return code + d;
}
