/*
 * benchfiles DIR MAXFILES MAXBYTES: after the go byte, walks DIR (nftw,
 * not following symlinks) and reads every regular file to its end, like
 * "find DIR -type f | xargs cat > /dev/null", until MAXFILES files or
 * MAXBYTES bytes have been read. Prints the time that took in nanoseconds
 * (CLOCK_MONOTONIC), then the files and bytes read. The benchmark's
 * file-heavy workload: openat, newfstatat, getdents64, read, close.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <time.h>

#include "progs.h"

static long maxfiles, files;
static long long maxbytes, bytes;
static char buf[128 << 10];

static int visit(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	int fd;
	ssize_t n;

	(void)sb;
	(void)ftw;
	if (type != FTW_F || !S_ISREG(sb->st_mode))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		bytes += n;
	close(fd);
	files++;
	return files >= maxfiles || bytes >= maxbytes;
}

int main(int argc, char **argv)
{
	struct timespec a, b;

	if (argc != 4)
		return 2;
	maxfiles = atol(argv[2]);
	maxbytes = atoll(argv[3]);
	wait_go();
	clock_gettime(CLOCK_MONOTONIC, &a);
	if (nftw(argv[1], visit, 32, FTW_PHYS) < 0)
		return 3;
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld %ld %lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
	       files, bytes);
	return 0;
}
