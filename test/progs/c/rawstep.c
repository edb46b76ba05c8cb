/*
 * rawstep CMD [ARGS...]: the smallest single-stepping tracer, the
 * benchmark's baseline for the stepper engine. Runs CMD (standard input,
 * output and error inherited), lets it run to its exec, then single-steps
 * its thread (PTRACE_SINGLESTEP, waitpid) until it exits: no register
 * reads, no output. Exits with CMD's exit status and prints the number of
 * instructions stepped on standard error.
 * (Not a test program: it has no go byte of its own.)
 */
#include <signal.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t child;
	long steps = 0;
	int status;

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
	if (ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC) < 0)
		return 5;
	/* Run to the exec stop: the program's first instruction is next. */
	if (ptrace(PTRACE_CONT, child, 0, 0) < 0 || waitpid(child, &status, 0) != child)
		return 6;
	if (!WIFSTOPPED(status) || status >> 8 != (SIGTRAP | PTRACE_EVENT_EXEC << 8))
		return 7;
	for (;;) {
		if (ptrace(PTRACE_SINGLESTEP, child, 0, 0) < 0)
			return 8;
		if (waitpid(child, &status, 0) != child)
			return 9;
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		steps++;
	}
	fprintf(stderr, "rawstep: %ld steps\n", steps);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
