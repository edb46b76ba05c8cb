/*
 * gdbhw MODE: a program for comparing the gdbremote engine with gdbserver
 * under real gdb (built with -g -O0). Each mode stops, for a breakpoint on
 * probe(), in a state gdb's commands can show:
 *
 *   regs   zeroes the vector registers and loads known values into some
 *          of them and into the x87 stack first;
 *   watch  changes the global counter three times (watch, awatch, hbreak);
 *   thread changes it once in a new thread (watchpoints in every thread);
 *   write  makes three write(2) calls to /dev/null between getppid()
 *          calls (catch syscall);
 *   fork   forks a child that exits 7, and waits for it (catch fork);
 *   vfork  the same with vfork;
 *   exec   execs /bin/true (catch exec);
 *   segv   takes a SIGSEGV at address 0x10, which it catches ($_siginfo).
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

volatile long counter;
volatile long sink;
static sigjmp_buf env;

void __attribute__((noinline)) probe(int n)
{
	sink = n;
}

static void *bump(void *arg)
{
	counter += 10;
	return arg;
}

static void on_segv(int sig)
{
	siglongjmp(env, sig);
}

static void regs(void)
{
	static const float f[8] = {1.5f, 2.5f, -3.25f, 4.0f, 5.0f, 6.0f, 7.0f, 8.0f};
	static const double d[4] = {3.0, -0.5, 1e10, 42.0};

	__asm__ volatile(
		"vzeroall\n\t"
		"vmovups %0, %%ymm0\n\t"
		"vmovupd %1, %%ymm1\n\t"
		"movups %0, %%xmm2\n\t"
		"fninit\n\t"
		"fld1\n\t"
		"fldpi\n\t"
		"fldz\n\t"
		:
		: "m"(f), "m"(d)
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
		  "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	probe(1);
	__asm__ volatile("fstp %%st(0)\n\tfstp %%st(0)\n\tfstp %%st(0)" ::: "memory");
}

/* The address the segv mode writes to: a variable, so that the compiler
 * cannot see the write is out of bounds (-Warray-bounds at -O2). */
static volatile int *volatile fault_at = (volatile int *)0x10;

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int st = -1;
	pid_t p;

	if (!strcmp(mode, "regs")) {
		regs();
	} else if (!strcmp(mode, "watch")) {
		for (int i = 0; i < 3; i++) {
			counter += 10;
			sink = counter;
			probe(i);
		}
	} else if (!strcmp(mode, "thread")) {
		pthread_t th;

		probe(0);
		if (pthread_create(&th, NULL, bump, NULL) != 0)
			return 2;
		pthread_join(th, NULL);
		probe(1);
	} else if (!strcmp(mode, "write")) {
		int fd = open("/dev/null", O_WRONLY);

		for (int i = 0; i < 3; i++) {
			getppid();
			write(fd, "w\n", 2);
		}
		probe(0);
	} else if (!strcmp(mode, "fork") || !strcmp(mode, "vfork")) {
		p = mode[0] == 'v' ? vfork() : fork();
		if (p == 0)
			_exit(7);
		waitpid(p, &st, 0);
		probe(WEXITSTATUS(st));
	} else if (!strcmp(mode, "exec")) {
		probe(0);
		execl("/bin/true", "true", (char *)0);
		return 2;
	} else if (!strcmp(mode, "segv")) {
		signal(SIGSEGV, on_segv);
		if (sigsetjmp(env, 1) == 0)
			*fault_at = 1;
		probe(SIGSEGV);
	} else {
		return 2;
	}
	return 0;
}
