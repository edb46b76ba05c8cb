/*
 * signals MODE: after the go byte, gets one signal, chosen by MODE:
 *   handled  SIGUSR1 with a handler: SIGNAL; exits 0
 *   ignored  SIGUSR1 set to SIG_IGN, sent while blocked (an ignored signal
 *            that is not blocked is dropped when sent), then unblocked:
 *            SIGNAL_IGN; exits 0
 *   term     SIGTERM, default action: SIGNAL_TERM; dies of it
 *   segv     a NULL store, default action: SIGNAL_CORE; dies of SIGSEGV
 *            (core dumps disabled)
 *   tstp     SIGTSTP, default action: SIGNAL_STOP; stops unless its
 *            process group is orphaned; exits 0 once continued
 */
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "progs.h"

static volatile sig_atomic_t got;

static void handler(int sig)
{
	got = sig;
}

int main(int argc, char **argv)
{
	const char *mode;
	sigset_t set;

	if (argc != 2)
		return 2;
	mode = argv[1];
	wait_go();
	if (strcmp(mode, "handled") == 0) {
		signal(SIGUSR1, handler);
		raise(SIGUSR1);
		return got == SIGUSR1 ? 0 : 3;
	}
	if (strcmp(mode, "ignored") == 0) {
		signal(SIGUSR1, SIG_IGN);
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGUSR1);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		return 0;
	}
	if (strcmp(mode, "term") == 0) {
		raise(SIGTERM);
		return 3;
	}
	if (strcmp(mode, "segv") == 0) {
		struct rlimit no = {0, 0};

		setrlimit(RLIMIT_CORE, &no);
		*(volatile int *)0 = 1;
		return 3;
	}
	if (strcmp(mode, "tstp") == 0) {
		raise(SIGTSTP);
		return 0;
	}
	return 2;
}
