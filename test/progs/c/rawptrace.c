/*
 * rawptrace CMD [ARGS...]: the smallest PTRACE_SYSCALL tracer, the
 * benchmark's baseline for a ptrace stop/resume round trip. Runs CMD
 * (standard input, output and error inherited) and every thread and child
 * it starts, stopping at each system call entry and exit and resuming at
 * once: no register reads, no decoding, no output. Exits with CMD's exit
 * status and prints the number of syscall stops on standard error.
 * (Not a test program: it has no go byte of its own; CMD has.)
 */
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t child, p;
	long stops = 0;
	int status, rc = 0;

	if (argc < 2)
		return 2;
	child = fork();
	if (child < 0)
		return 3;
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status))
		return 4;
	if (ptrace(PTRACE_SETOPTIONS, child, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE |
		   PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC) < 0) {
		perror("rawptrace: PTRACE_SETOPTIONS");
		return 5;
	}
	ptrace(PTRACE_SYSCALL, child, 0, 0);
	for (;;) {
		int sig = 0;

		p = waitpid(-1, &status, __WALL);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: every tracee is gone */
		}
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (p == child)
				rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			continue;
		}
		if (WSTOPSIG(status) == (SIGTRAP | 0x80))
			stops++;
		else if (status >> 16 == 0 && WSTOPSIG(status) != SIGSTOP)
			sig = WSTOPSIG(status); /* a signal to deliver */
		/* ptrace events and the new children's first SIGSTOP: resume */
		ptrace(PTRACE_SYSCALL, p, 0, sig);
	}
	fprintf(stderr, "rawptrace: %ld syscall stops\n", stops);
	return rc;
}
