// stopee: the program the stopper tests trace. It prints "ready", waits for
// one byte on stdin (so the test can attach first), then does what argv[1]
// says and prints what it saw, one line per fact.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t usr1;

static void on_usr1(int sig) { (void)sig; usr1++; }

static void wait_go(void) {
	char c;
	printf("ready %d\n", getpid());
	fflush(stdout);
	if (read(0, &c, 1) != 1)
		exit(3);
}

// spin is a known loop for stepping: its addresses are printed so the test
// can check every reported instruction pointer lies inside it.
void spin(void);
extern char spin_end[];
__asm__(".text\n"
	".globl spin\n"
	".globl spin_end\n"
	"spin:\n"
	"1: inc %rax\n"
	"   add $3, %rcx\n"
	"   jmp 1b\n"
	"spin_end:\n");

int main(int argc, char **argv) {
	const char *mode = argc > 1 ? argv[1] : "";
	const char *arg = argc > 2 ? argv[2] : "";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "spin")) {
		printf("spin %p %p\n", (void *)spin, (void *)spin_end);
		wait_go();
		spin();
	}
	wait_go();
	if (!strcmp(mode, "open")) {
		int fd = openat(AT_FDCWD, arg, O_RDONLY);
		printf("openat=%d\n", fd);
	} else if (!strcmp(mode, "unlink")) {
		int r = unlink(arg);
		printf("unlink=%d errno=%d\n", r, r < 0 ? errno : 0);
	} else if (!strcmp(mode, "getpid")) {
		printf("getpid=%ld\n", (long)syscall(SYS_getpid));
	} else if (!strcmp(mode, "raise-usr1")) {
		raise(SIGUSR1); // no handler: dies unless an engine ignores it
		printf("alive\n");
	} else if (!strcmp(mode, "term-to-usr1")) {
		signal(SIGUSR1, on_usr1);
		raise(SIGTERM);
		printf("usr1=%d\n", (int)usr1);
	} else if (!strcmp(mode, "hold")) {
		signal(SIGUSR1, on_usr1);
		raise(SIGUSR1);
		printf("usr1=%d\n", (int)usr1);
	} else if (!strcmp(mode, "busy")) {
		for (volatile unsigned long i = 0;; i++)
			;
	} else if (!strcmp(mode, "sleep")) {
		sleep(atoi(arg));
		printf("done\n");
	}
	return 0;
}
