/*
 * crash: what the tests of signals under the synchronous tier run.
 *
 *   crash segv        wait for the go byte, then store at address 16 in
 *                     crash_here (built with frame pointers and -g by the
 *                     tests that ask gdb for the backtrace); core dumps off
 *   crash usr1 [N]    catch SIGUSR1 with an SA_SIGINFO handler, fork a
 *                     child that sends the parent SIGUSR1 (or signal N)
 *                     with kill(2) and exits, print "child PID" and, from
 *                     the handler's siginfo, "si_pid=P si_uid=U si_code=C",
 *                     then reap the child
 *
 * Without a go byte on stdin, segv fails with status 100 (see progs.h).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

__attribute__((noinline)) void crash_here(volatile int *p)
{
	*p = 1;
}

static volatile sig_atomic_t got;
static siginfo_t info;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	info = *si;
	got = 1;
}

static int do_usr1(int sig)
{
	struct sigaction sa;
	sigset_t block, old;
	pid_t child;
	int status;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 3;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, sig);
	sigprocmask(SIG_BLOCK, &block, &old);
	child = fork();
	if (child < 0)
		return 3;
	if (child == 0) {
		kill(getppid(), sig);
		_exit(0);
	}
	printf("child %d\n", child);
	fflush(stdout);
	while (!got)
		sigsuspend(&old);
	printf("si_pid=%d si_uid=%d si_code=%d\n", info.si_pid, info.si_uid, info.si_code);
	if (waitpid(child, &status, 0) != child)
		return 3;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "segv") == 0) {
		struct rlimit lim = {0, 0};

		if (setrlimit(RLIMIT_CORE, &lim))
			return 3;
		printf("pid %d\n", getpid());
		fflush(stdout);
		wait_go();
		crash_here((volatile int *)16);
		return 4;
	}
	if (argc >= 2 && strcmp(argv[1], "usr1") == 0)
		return do_usr1(argc == 3 ? atoi(argv[2]) : SIGUSR1);
	return 2;
}
