/*
 * syscalls N M: after the go byte, calls getppid N times and close(-1)
 * (failing with EBADF) M times, then exits 0.
 */
#include <sys/syscall.h>

#include "progs.h"

int main(int argc, char **argv)
{
	long n, m;

	if (argc != 3)
		return 2;
	n = atol(argv[1]);
	m = atol(argv[2]);
	wait_go();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	for (long i = 0; i < m; i++)
		syscall(SYS_close, -1);
	return 0;
}
