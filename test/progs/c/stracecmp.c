/*
 * stracecmp MODE [ARGS]: the programs of the strace comparison tests
 * (test/e2e/capture_test.go). Unlike most other programs, it does not
 * wait for a go byte: the tests trace it from its execve on with
 * `utrace-bpf run` and `strace -f`, and compare the two logs. Each mode
 * makes a short, deterministic sequence of system calls, and overwrites
 * every buffer the kernel filled before its next system call, so that a
 * tracer that reads the buffers late sees the overwritten bytes:
 *
 *   read FILE1 FILE2  read(2)s FILE1 into 64 bytes and FILE2 into 200
 *                     (a longer file: strace shows its first 32 bytes)
 *   stat FILE DIR     fstat, stat and statx of FILE, stat of DIR and of
 *                     /dev/null
 *   exec              execve("/bin/echo", ["/bin/echo", "hello",
 *                     "from exec"], environ)
 *   nopage FILE OFF   maps FILE (MAP_PRIVATE) after dropping its page cache
 *                     and opens the path stored NUL-terminated at offset
 *                     OFF of the mapping without touching the mapping
 *                     first; prints "resident=R present=P fd=FD": R pages
 *                     of the mapping in the page cache before the open
 *                     (mincore), P of them mapped in the page table
 *                     (/proc/self/pagemap), FD what the open returned
 *   signals           SIGUSR1 to itself with a handler, then a child that
 *                     exits while SIGCHLD is blocked and sigsuspend waits
 *                     for it with a handler installed
 *   segv core|nocore  a NULL store, with RLIMIT_CORE unlimited or 0
 *   pipefork          pipe2, a child made by a raw clone3 that writes
 *                     "hi\n" into the pipe, the parent writes what it read
 *                     to stdout and reaps the child with wait4(-1, ...)
 *   threads           three threads that each write a line and exit, and
 *                     a fourth blocked in read(2) when the process exits
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* clobber keeps the compiler from dropping a store to a dead buffer. */
#define clobber(p) __asm__ volatile("" : : "r"(p) : "memory")

static int do_read(char **argv)
{
	char small[64], big[200];
	int fd1, fd2;
	ssize_t n1, n2;

	fd1 = open(argv[0], O_RDONLY);
	fd2 = open(argv[1], O_RDONLY);
	if (fd1 < 0 || fd2 < 0)
		return 3;
	n1 = read(fd1, small, sizeof small);
	memset(small, 'Z', sizeof small);
	clobber(small);
	n2 = read(fd2, big, sizeof big);
	memset(big, 'Z', sizeof big);
	clobber(big);
	close(fd1);
	close(fd2);
	return n1 > 0 && n2 > 0 ? 0 : 4;
}

static int do_stat(char **argv)
{
	struct stat st;
	struct statx stx;
	int fd;

	fd = open(argv[0], O_RDONLY);
	if (fd < 0)
		return 3;
	if (fstat(fd, &st))
		return 4;
	memset(&st, 0xff, sizeof st);
	clobber(&st);
	if (stat(argv[0], &st))
		return 4;
	memset(&st, 0xff, sizeof st);
	clobber(&st);
	if (statx(AT_FDCWD, argv[0], 0, STATX_BASIC_STATS, &stx))
		return 4;
	memset(&stx, 0xff, sizeof stx);
	clobber(&stx);
	if (stat(argv[1], &st))
		return 4;
	memset(&st, 0xff, sizeof st);
	clobber(&st);
	if (stat("/dev/null", &st))
		return 4;
	memset(&st, 0xff, sizeof st);
	clobber(&st);
	close(fd);
	return 0;
}

extern char **environ;

static int do_exec(void)
{
	char *argv[] = {"/bin/echo", "hello", "from exec", NULL};

	execve(argv[0], argv, environ);
	return 3;
}

/* pagemapPresent reports whether the page at addr is in the page table. */
static int pagemap_present(int pm, uintptr_t addr)
{
	uint64_t ent = 0;

	if (pread(pm, &ent, sizeof ent, (off_t)(addr / 4096) * 8) != sizeof ent)
		return -1;
	return (int)(ent >> 63);
}

static int do_nopage(char **argv)
{
	unsigned char vec[2];
	long off = atol(argv[1]);
	int fd, pm, fd2, resident, present;
	char *p;
	char line[64];

	fd = open(argv[0], O_RDONLY);
	if (fd < 0)
		return 3;
	/* Out of the page cache: a later read of the mapping must fault. */
	if (fdatasync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		return 4;
	p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return 5;
	close(fd);
	if (mincore(p, 8192, vec))
		return 6;
	resident = (vec[0] & 1) + (vec[1] & 1);
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		return 7;
	present = pagemap_present(pm, (uintptr_t)p) + pagemap_present(pm, (uintptr_t)p + 4096);
	close(pm);
	fd2 = openat(AT_FDCWD, p + off, O_RDONLY);
	snprintf(line, sizeof line, "resident=%d present=%d fd=%d\n", resident, present, fd2);
	if (write(1, line, strlen(line)) < 0)
		return 8;
	return fd2 >= 0 ? 0 : 9;
}

static volatile sig_atomic_t got;

static void handler(int sig)
{
	got = sig;
}

static int do_signals(void)
{
	struct sigaction sa;
	sigset_t chld, empty;
	pid_t pid;
	int status;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	if (got != SIGUSR1)
		return 3;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	pid = fork();
	if (pid < 0)
		return 4;
	if (pid == 0)
		_exit(0);
	got = 0;
	while (got != SIGCHLD)
		sigsuspend(&empty);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return 5;
	return 0;
}

static int do_segv(char **argv)
{
	struct rlimit lim = {0, 0};

	if (strcmp(argv[0], "core") == 0)
		lim.rlim_cur = lim.rlim_max = RLIM_INFINITY;
	if (setrlimit(RLIMIT_CORE, &lim))
		return 3;
	*(volatile int *)0 = 1;
	return 4;
}

static int do_pipefork(void)
{
	struct clone_args args;
	int fds[2], status;
	char buf[16];
	long pid;
	ssize_t n;

	if (pipe2(fds, 0))
		return 3;
	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0)
		return 4;
	if (pid == 0) {
		close(fds[0]);
		if (write(fds[1], "hi\n", 3) != 3)
			syscall(SYS_exit_group, 1);
		syscall(SYS_exit_group, 0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof buf);
	if (n <= 0 || write(1, buf, n) != n)
		return 5;
	memset(buf, 'Z', sizeof buf);
	clobber(buf);
	if (wait4(-1, &status, 0, NULL) != pid || status != 0)
		return 6;
	return 0;
}

static int blockfds[2];
static volatile int blocking;

static void *worker(void *arg)
{
	char line[] = "thread N\n";

	line[7] = '0' + (int)(intptr_t)arg;
	if (write(1, line, sizeof line - 1) < 0)
		return (void *)1;
	return NULL;
}

static void *blocker(void *arg)
{
	char c;

	blocking = 1;
	if (read(blockfds[0], &c, 1) < 0)
		return (void *)1;
	return NULL;
}

static int do_threads(void)
{
	pthread_t t[3], b;
	struct timespec settle = {0, 50 * 1000 * 1000};

	if (pipe(blockfds))
		return 3;
	/*
	 * One thread at a time, and joined without a futex wait (tryjoin
	 * spins until the kernel cleared the thread's tid at its exit): the
	 * calls are the same from run to run, whatever the timing.
	 */
	for (int i = 0; i < 3; i++) {
		if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)(i + 1)))
			return 4;
		while (pthread_tryjoin_np(t[i], NULL) == EBUSY)
			;
	}
	if (pthread_create(&b, NULL, blocker, NULL))
		return 4;
	while (!blocking)
		;
	/* Let the blocker enter read(2) before the process exits. */
	nanosleep(&settle, NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode;

	if (argc < 2)
		return 2;
	mode = argv[1];
	if (strcmp(mode, "read") == 0 && argc == 4)
		return do_read(argv + 2);
	if (strcmp(mode, "stat") == 0 && argc == 4)
		return do_stat(argv + 2);
	if (strcmp(mode, "exec") == 0)
		return do_exec();
	if (strcmp(mode, "nopage") == 0 && argc == 4)
		return do_nopage(argv + 2);
	if (strcmp(mode, "signals") == 0)
		return do_signals();
	if (strcmp(mode, "segv") == 0 && argc == 3)
		return do_segv(argv + 2);
	if (strcmp(mode, "pipefork") == 0)
		return do_pipefork();
	if (strcmp(mode, "threads") == 0)
		return do_threads();
	return 2;
}
