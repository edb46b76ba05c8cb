/*
 * capture FILE PATHFILE: after the go byte, reads FILE into a buffer and
 * overwrites the buffer with 'Z's before its next system call; fstats
 * FILE; then opens the path stored (NUL-terminated) at the start of
 * PATHFILE through a private mapping of PATHFILE that nothing touched
 * before the openat, so the path's page is not yet in the process's page
 * tables when the call begins (it prints "present 0" when
 * /proc/self/pagemap agrees); then exits 0. The loader's capture tests check that the records carry
 * what the kernel read and wrote at the time.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "progs.h"

int main(int argc, char **argv)
{
	char buf[64];
	struct stat st;
	unsigned long long pm = 0;
	char *path;
	int fd, pfd, pmfd;
	ssize_t n;

	if (argc != 3)
		return 2;
	wait_go();
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 3;
	n = read(fd, buf, sizeof(buf));
	memset(buf, 'Z', sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
	if (n < 0 || fstat(fd, &st) < 0)
		return 4;
	close(fd);

	pfd = open(argv[2], O_RDONLY);
	if (pfd < 0)
		return 5;
	path = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, pfd, 0);
	if (path == MAP_FAILED)
		return 6;
	/* Bit 63 of the page's pagemap entry: present in the page tables. */
	pmfd = open("/proc/self/pagemap", O_RDONLY);
	if (pmfd < 0 || pread(pmfd, &pm, sizeof(pm), (unsigned long)path / 4096 * sizeof(pm)) != sizeof(pm))
		return 7;
	close(pmfd);
	printf("present %d\n", (int)(pm >> 63));
	fflush(stdout);
	fd = openat(AT_FDCWD, path, O_RDONLY);
	if (fd < 0)
		return 8;
	close(fd);
	return 0;
}
