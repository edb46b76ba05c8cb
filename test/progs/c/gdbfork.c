/*
 * gdbfork: forks a child that calls add(1, 2) and exits 0 if it got 3;
 * the parent waits for it, runs system("exit 4") (a child sharing its
 * memory until the exec), calls add(2, 3) and prints what it saw. Under
 * gdb with a breakpoint on add, the children must not inherit the
 * breakpoint's int3 (gdb follows neither).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int add(int a, int b)
{
	return a + b;
}

int main(void)
{
	int st = -1, sys;
	pid_t p = fork();

	if (p < 0)
		return 2;
	if (p == 0)
		_exit(add(1, 2) == 3 ? 0 : 1);
	waitpid(p, &st, 0);
	sys = system("exit 4");
	printf("child %#x system %#x add %d\n", st, sys, add(2, 3));
	return 0;
}
