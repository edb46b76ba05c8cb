/*
 * conform MODE: workloads of the strace conformance test
 * (test/e2e/conformance_test.go). Like stracecmp, it does not wait for a go
 * byte: the test traces it from its execve on. Every mode makes the same
 * system calls, with the same arguments and results, from run to run,
 * whatever the scheduling: where tasks run at once, each one's calls do not
 * depend on the others' timing (no file descriptors allocated concurrently,
 * no waits that may or may not block, children reaped by pid).
 *
 *   threads  four threads at once, each reading its own file descriptor
 *            (opened before the threads start), stat-ing and writing a
 *            line; joined without futex waits
 *   server   a Unix stream socket server (srv.sock in the working
 *            directory) that forks a handler per connection, and a client
 *            process that makes three requests
 *   signals  a handled SIGUSR1, a blocked then pending SIGUSR2, SIGPIPE
 *            from a write to a closed pipe, SIGCHLD from a child caught by
 *            sigsuspend
 *   fails    calls that fail: ENOENT, ENOTDIR, EEXIST, EISDIR, ENOTEMPTY,
 *            EACCES (after setresuid to nobody), EBADF, EINVAL
 *   exec     a child that execvp()s "true" through $PATH, and the process
 *            itself then exec()s /bin/echo
 *   sleeps   a sleep a handled SIGALRM interrupts (its rest written), and
 *            a child's sleep that SIGSTOP and SIGCONT interrupt, resumed by
 *            restart_syscall; the parent keeps SIGCHLD blocked, so that
 *            its own sleeps are not interrupted under a ptracer either
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define clobber(p) __asm__ volatile("" : : "r"(p) : "memory")

static int threadfds[4];

static void *reader(void *arg)
{
	int i = (int)(intptr_t)arg;
	char buf[48], line[] = "reader N done\n";
	struct stat st;

	for (int k = 0; k < 3; k++) {
		if (pread(threadfds[i], buf, sizeof buf, k * 16) < 0)
			return (void *)1;
		memset(buf, 'Z', sizeof buf);
		clobber(buf);
	}
	if (stat("/etc/passwd", &st) || access("/nonexistent/conform", F_OK) == 0)
		return (void *)1;
	line[7] = '0' + i;
	if (write(1, line, sizeof line - 1) < 0)
		return (void *)1;
	return NULL;
}

static int do_threads(void)
{
	static const char *files[4] = {"/etc/passwd", "/etc/group", "/etc/hostname", "/etc/os-release"};
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		if ((threadfds[i] = open(files[i], O_RDONLY)) < 0)
			return 3;
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, reader, (void *)(intptr_t)i))
			return 4;
	for (int i = 0; i < 4; i++)
		while (pthread_tryjoin_np(t[i], NULL) == EBUSY)
			;
	for (int i = 0; i < 4; i++)
		close(threadfds[i]);
	return 0;
}

#define SOCK "srv.sock"
#define NCONN 3

static int client(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = SOCK};
	char req[] = "request N\n", buf[64];

	for (int i = 0; i < NCONN; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
			return 1;
		req[8] = '0' + i;
		if (write(fd, req, sizeof req - 1) != sizeof req - 1)
			return 1;
		if (read(fd, buf, sizeof buf) <= 0)
			return 1;
		memset(buf, 'Z', sizeof buf);
		clobber(buf);
		if (read(fd, buf, sizeof buf) != 0) /* EOF: the handler is done */
			return 1;
		close(fd);
	}
	return 0;
}

static int handle(int conn)
{
	char buf[64], reply[80];
	ssize_t n = read(conn, buf, sizeof buf);

	if (n <= 0)
		return 1;
	snprintf(reply, sizeof reply, "reply to %.*s", (int)n, buf);
	memset(buf, 'Z', sizeof buf);
	clobber(buf);
	if (write(conn, reply, strlen(reply)) < 0)
		return 1;
	return 0;
}

static int do_server(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX, .sun_path = SOCK};
	int lfd, status;
	pid_t cl;

	unlink(SOCK);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 8))
		return 3;
	cl = fork();
	if (cl < 0)
		return 4;
	if (cl == 0) {
		close(lfd);
		_exit(client());
	}
	for (int i = 0; i < NCONN; i++) {
		struct sockaddr_un peer;
		socklen_t len = sizeof peer;
		int conn = accept4(lfd, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
		pid_t h;

		if (conn < 0)
			return 5;
		h = fork();
		if (h < 0)
			return 4;
		if (h == 0) {
			close(lfd);
			_exit(handle(conn));
		}
		/* Reap the handler before the next accept: its SIGCHLD must
		 * not interrupt accept (a ptracer would show the restart). */
		if (waitpid(h, &status, 0) != h || status != 0)
			return 6;
		close(conn);
	}
	if (waitpid(cl, &status, 0) != cl || status != 0)
		return 7;
	close(lfd);
	unlink(SOCK);
	return 0;
}

static volatile sig_atomic_t got[65];

static void handler(int sig)
{
	got[sig]++;
}

static int do_signals(void)
{
	struct sigaction sa;
	sigset_t set, pending, empty;
	int fds[2], status;
	pid_t pid;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);

	kill(getpid(), SIGUSR1);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR2);
	sigpending(&pending);
	if (!sigismember(&pending, SIGUSR2))
		return 3;
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	if (pipe(fds))
		return 4;
	close(fds[0]);
	if (write(fds[1], "x", 1) != -1 || errno != EPIPE)
		return 5;
	close(fds[1]);

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	if (pid < 0)
		return 6;
	if (pid == 0)
		_exit(7);
	while (!got[SIGCHLD])
		sigsuspend(&empty);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		return 8;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return got[SIGUSR1] == 1 && got[SIGUSR2] == 1 && got[SIGPIPE] == 1 ? 0 : 9;
}

static int do_sleeps(void)
{
	struct timespec two = {2, 0}, rest, tenth = {0, 100000000}, twentieth = {0, 50000000};
	struct itimerval alarm_in = {{0, 0}, {0, 50000}};
	struct sigaction sa;
	sigset_t set;
	int status;
	pid_t pid;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &alarm_in, NULL);
	if (nanosleep(&two, &rest) != -1 || errno != EINTR || !got[SIGALRM])
		return 3;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid = fork();
	if (pid < 0)
		return 4;
	if (pid == 0) {
		struct timespec half = {0, 500000000};

		_exit(clock_nanosleep(CLOCK_MONOTONIC, 0, &half, &rest));
	}
	nanosleep(&tenth, NULL);
	kill(pid, SIGSTOP);
	nanosleep(&twentieth, NULL);
	kill(pid, SIGCONT);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 5;
	return 0;
}

static int do_fails(void)
{
	char buf[16];
	int fd;

	if (open("/nonexistent/conform", O_RDONLY) >= 0 || open("missing.txt", O_RDONLY) >= 0)
		return 3;
	if (open("/etc/passwd/x", O_RDONLY) >= 0)
		return 3;
	mkdir("fails.d", 0755);
	if (mkdir("fails.d", 0755) == 0 || open("fails.d", O_WRONLY) >= 0)
		return 3;
	fd = open("fails.d/f", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "secret\n", 7) != 7)
		return 4;
	close(fd);
	if (open("fails.d/f", O_WRONLY | O_CREAT | O_EXCL, 0600) >= 0 || rmdir("fails.d") == 0)
		return 3;
	if (read(99, buf, sizeof buf) >= 0 || lseek(0, 0, 42) >= 0)
		return 3;
	if (access("fails.d/f", X_OK) == 0 || execve("fails.d/f", (char *[]){"f", NULL}, NULL) == 0)
		return 3;
	unlink("fails.d/f.missing");
	pid_t pid = fork();
	if (pid == 0) {
		/* As nobody, root's 0600 file is out of reach. */
		if (setresuid(65534, 65534, 65534))
			_exit(5);
		_exit(open("fails.d/f", O_RDONLY) < 0 && errno == EACCES ? 0 : 6);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
		return 5;
	unlink("fails.d/f");
	rmdir("fails.d");
	return 0;
}

extern char **environ;

static int do_exec(void)
{
	char *echo[] = {"/bin/echo", "exec", "done", NULL};
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 3;
	if (pid == 0) {
		execvp("true", (char *[]){"true", NULL});
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return 4;
	execve("/nonexistent/echo", echo, environ);
	execve(echo[0], echo, environ);
	return 5;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (strcmp(argv[1], "threads") == 0)
		return do_threads();
	if (strcmp(argv[1], "server") == 0)
		return do_server();
	if (strcmp(argv[1], "signals") == 0)
		return do_signals();
	if (strcmp(argv[1], "fails") == 0)
		return do_fails();
	if (strcmp(argv[1], "exec") == 0)
		return do_exec();
	if (strcmp(argv[1], "sleeps") == 0)
		return do_sleeps();
	return 2;
}
