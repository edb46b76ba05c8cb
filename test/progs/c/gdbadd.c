/*
 * gdbadd [sig]: a program for gdb through the gdbremote engine (built with
 * -g -O0). It makes a few system calls a log can show, then three rounds
 * of getppid() and add(20 + i, 22 - i), and exits 3 when every sum was 42.
 * With an argument it first raises SIGUSR1, which it catches. It prints
 * what it saw on standard output.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

int add(int a, int b)
{
	int sum = a + b;

	return sum;
}

int main(int argc, char **argv)
{
	char buf[64];
	int fd, ok = 1;
	ssize_t n;

	if (argc > 1) {
		signal(SIGUSR1, on_usr1);
		raise(SIGUSR1);
	}
	fd = open("/etc/hostname", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof buf) : -1;
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 3; i++) {
		getppid();
		ok &= add(20 + i, 22 - i) == 42;
	}
	printf("ok %d read %d got %d\n", ok, n > 0, (int)got);
	fflush(stdout);
	return ok ? 3 : 1;
}
