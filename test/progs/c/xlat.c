/*
 * xlat: makes calls whose arguments are named constants (flags, enumerations,
 * signals, file modes, resource limits), some with bits or values no name
 * covers, and gets a SIGALRM from kill, for the comparisons of strace -X raw,
 * abbrev and verbose. Every call is made the same way on each architecture.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#include "progs.h"

static void on_alarm(int sig)
{
	(void)sig;
}

int main(void)
{
	struct sigaction sa = { 0 };
	struct stat st;
	struct rlimit rl;
	sigset_t set;
	int fd, word = 0;

	fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);
	syscall(SYS_openat, AT_FDCWD, "/dev/null", O_CLOEXEC | 0x40000000);
	syscall(SYS_openat, AT_FDCWD, "/dev/null", O_WRONLY | O_APPEND | O_NONBLOCK);
	mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(SYS_mmap, 0, 4096, PROT_READ | 0x100, MAP_PRIVATE | MAP_ANONYMOUS | 0x40000000, -1, 0);
	lseek(fd, 0, 7);
	lseek(fd, 0, SEEK_END);
	syscall(SYS_faccessat2, AT_FDCWD, "/", R_OK | W_OK, 0x40000);
	syscall(SYS_faccessat2, AT_FDCWD, "/", F_OK, AT_SYMLINK_NOFOLLOW);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fcntl(fd, F_GETFD);
	fcntl(fd, F_GETFL);
	fcntl(fd, 0x777);
	fstatat(AT_FDCWD, "/dev/null", &st, AT_SYMLINK_NOFOLLOW);
	fstatat(fd, "", &st, AT_EMPTY_PATH);
	sa.sa_handler = SIG_IGN;
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGRTMIN + 3);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR1, NULL, &sa);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	syscall(SYS_rt_sigprocmask, 5, NULL, NULL, 8);
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = 8 << 20;
	rl.rlim_max = RLIM_INFINITY;
	syscall(SYS_prlimit64, 0, RLIMIT_STACK, &rl, NULL);
	ioctl(fd, TIOCGWINSZ, &st);
	ioctl(fd, 0x1234, 0);
	syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	syscall(SYS_kill, getpid(), 0);
	signal(SIGALRM, on_alarm);
	syscall(SYS_kill, getpid(), SIGALRM);
	return 0;
}
