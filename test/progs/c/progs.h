/* progs.h: the handshake every test program starts with. */
#ifndef PROGS_H
#define PROGS_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * wait_go blocks until the test writes a byte on stdin: the test sets up
 * the watch while the program waits here, then lets it run.
 */
static inline void wait_go(void)
{
	char c;

	if (read(0, &c, 1) != 1) {
		fprintf(stderr, "no go byte on stdin\n");
		exit(100);
	}
}

/* wait_eof blocks until the test closes stdin. */
static inline void wait_eof(void)
{
	char c;

	while (read(0, &c, 1) > 0)
		;
}

#endif
