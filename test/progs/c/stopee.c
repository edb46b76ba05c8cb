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
#include <pthread.h>
#include <sys/wait.h>
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

static void *getppids(void *arg) {
	for (long i = 0; i < (long)arg; i++)
		syscall(SYS_getppid);
	return NULL;
}

static const char *exec_path;

static void *exec_from_thread(void *arg) {
	(void)arg;
	execl(exec_path, exec_path, "getpid", (char *)NULL);
	return NULL;
}

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
	} else if (!strcmp(mode, "threads")) {
		// argv[2] threads each make 100 getppid calls.
		int n = atoi(arg);
		pthread_t th[64];
		for (int i = 0; i < n && i < 64; i++)
			pthread_create(&th[i], NULL, getppids, (void *)100L);
		for (int i = 0; i < n && i < 64; i++)
			pthread_join(th[i], NULL);
		printf("threads done\n");
	} else if (!strcmp(mode, "fork-exec")) {
		pid_t child = fork();
		if (child == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int st;
		waitpid(child, &st, 0);
		printf("child status=%d\n", st);
	} else if (!strcmp(mode, "thread-exec")) {
		// A non-leader thread execs this program again, which then
		// reads a new go byte and prints getpid.
		pthread_t th;
		exec_path = argv[0];
		pthread_create(&th, NULL, exec_from_thread, NULL);
		pthread_join(th, NULL);
	} else if (!strcmp(mode, "sleep")) {
		sleep(atoi(arg));
		printf("done\n");
	}
	return 0;
}
