/* Fuzz target: the maildir reader, with every message it yields parsed.
 * The input describes a small maildir: NUL-separated pairs of a file name
 * and its contents. A name's first byte picks the directory (cur, new, a
 * Maildir++ folder, nested folders); the rest, reduced to the characters
 * maildir names use, is the file name, whose leading digits become the
 * message's date. */
#define _GNU_SOURCE
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "maildir.h"

static const char *const dirs[] = {"cur", "new", ".Sent/cur", ".Sent/new", ".Lists.Ext/cur",
				   "Archive/cur", "Archive/2023/new", "a/b/c/d/e/f/g/h/i/cur"};

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* mkdir -p of top/rel */
static void make_dirs(const char *top, const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	for (char *p = path + strlen(top) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0700);
			*p = '/';
		}
	mkdir(path, 0700);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* run.sh points TMPDIR at /dev/shm: a disk is 10 times slower here */
	const char *tmp = getenv("TMPDIR");
	char top[256];
	snprintf(top, sizeof(top), "%s/fuzz-maildir.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(top))
		return 0;
	make_dirs(top, "cur");
	const uint8_t *p = data, *end = data + size;
	for (int n = 0; p < end && n < 64; n++) {
		const uint8_t *z = memchr(p, 0, (size_t)(end - p));
		const uint8_t *name_end = z ? z : end;
		char name[96];
		size_t k = 0;
		const char *dir = dirs[p < name_end ? *p % (sizeof(dirs) / sizeof(*dirs)) : 0];
		for (const uint8_t *c = p + 1; c < name_end && k < sizeof(name) - 1; c++)
			if ((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') ||
			    (*c >= 'a' && *c <= 'z') || strchr(".:,_-=", *c))
				name[k++] = (char)*c;
		name[k] = '\0';
		if (k == 0 || name[0] == '.')
			snprintf(name, sizeof(name), "%d.M%dP1.fuzz:2,S", 1700000000 + n, n);
		p = z ? z + 1 : end;
		z = memchr(p, 0, (size_t)(end - p));
		const uint8_t *body_end = z ? z : end;
		make_dirs(top, dir);
		char path[700];
		snprintf(path, sizeof(path), "%s/%s/%s", top, dir, name);
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0) {
			ssize_t w = write(fd, p, (size_t)(body_end - p));
			(void)w; /* a short file is an input like any other */
			close(fd);
		}
		p = z ? z + 1 : end;
	}
	(void)maildir_read(top, NULL, fuzz_parse_each, NULL);
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
