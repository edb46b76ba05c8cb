/*
 * load: workloads for the reliability tests. After the go byte:
 *   load threads N M     N threads (up to 1024) each make M getppid calls
 *   load children N      N times: fork, exec /bin/true, wait
 *   load raise N         raise SIGUSR1 and SIGUSR2 N times each (both have
 *                        handlers) and print "usr1=A usr2=B"
 *   load churn N         N short-lived threads, one after the other
 * Each prints "done" at the end.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "progs.h"

static long m;
static volatile sig_atomic_t usr1, usr2;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1++;
	else
		usr2++;
}

static void *work(void *arg)
{
	(void)arg;
	for (long i = 0; i < m; i++)
		syscall(SYS_getppid);
	return NULL;
}

static void *nothing(void *arg)
{
	return arg;
}

int main(int argc, char **argv)
{
	static pthread_t t[1024];
	long n;

	if (argc < 3)
		return 2;
	n = atol(argv[2]);
	m = argc > 3 ? atol(argv[3]) : 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	wait_go();
	if (!strcmp(argv[1], "threads")) {
		if (n < 1 || n > 1024)
			return 2;
		for (long i = 0; i < n; i++)
			if (pthread_create(&t[i], NULL, work, NULL))
				return 3;
		for (long i = 0; i < n; i++)
			pthread_join(t[i], NULL);
	} else if (!strcmp(argv[1], "children")) {
		for (long i = 0; i < n; i++) {
			pid_t c = fork();
			int st;

			if (c == 0) {
				execl("/bin/true", "true", (char *)NULL);
				_exit(127);
			}
			if (c < 0 || waitpid(c, &st, 0) != c || st != 0)
				return 4;
		}
	} else if (!strcmp(argv[1], "raise")) {
		signal(SIGUSR1, on_signal);
		signal(SIGUSR2, on_signal);
		for (long i = 0; i < n; i++) {
			raise(SIGUSR1);
			raise(SIGUSR2);
		}
		printf("usr1=%d usr2=%d\n", (int)usr1, (int)usr2);
	} else if (!strcmp(argv[1], "churn")) {
		for (long i = 0; i < n; i++) {
			pthread_t th;

			if (pthread_create(&th, NULL, nothing, NULL))
				return 3;
			pthread_join(th, NULL);
		}
	} else {
		return 2;
	}
	printf("done\n");
	return 0;
}
