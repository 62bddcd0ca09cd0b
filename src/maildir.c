/* maildir: see maildir.h. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hdr.h"
#include "maildir.h"

static bool is_dir(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

bool maildir_is(const char *path)
{
	char *cur = xasprintf("%s/cur", path), *nw = xasprintf("%s/new", path);
	bool r = is_dir(cur) || is_dir(nw);
	free(cur);
	free(nw);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir (without . and ..), sorted. */
static int list_dir(const char *dir, struct strlist *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			sl_add(out, e->d_name);
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

/* Reads the header block and the first MSG_MAX_BODY_SCAN body bytes. */
static int read_message(const char *path, struct sbuf *out, bool *ret_cut)
{
	int fd;
	int r = open_regular(path, true, &fd);
	if (r < 0)
		return r;
	char buf[65536];
	size_t body = 0;
	bool have_body = false;
	*ret_cut = false;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		sb_add(out, buf, (size_t)n);
		if (!have_body) {
			if (hdr_find_end(out->buf, out->len, &body)) {
				have_body = true;
			} else if (out->len > MSG_MAX_HEADER) {
				*ret_cut = true;
				break;
			}
		}
		if (have_body && out->len - body >= MSG_MAX_BODY_SCAN) {
			out->len = body + MSG_MAX_BODY_SCAN;
			break;
		}
	}
	close(fd);
	return 0;
}

static int read_folder(const char *dir, const char *folder, src_msg_fn fn, void *ud)
{
	static const char *const subs[] = {"cur", "new"};
	const char *role = source_folder_role(folder);
	struct sbuf data = {0};
	int ret = 0;

	for (size_t s = 0; s < ARRAY_SIZE(subs) && ret == 0; s++) {
		char *sub = xasprintf("%s/%s", dir, subs[s]);
		struct strlist names = {0};
		if (list_dir(sub, &names) < 0) {
			free(sub);
			continue;
		}
		for (size_t i = 0; i < names.n && ret == 0; i++) {
			if (names.v[i][0] == '.')
				continue;
			char *file = xasprintf("%s/%s", sub, names.v[i]);
			struct src_msg m = {0};
			bool cut = false;
			sb_reset(&data);
			int r = read_message(file, &data, &cut);
			m.data = r < 0 ? NULL : data.len ? data.buf : "";
			m.len = r < 0 ? 0 : data.len;
			m.error = r < 0 ? r : 0;
			m.header_too_large = cut;
			m.folder = folder;
			m.role = role;
			m.position = file;
			/* "1700000000.M1P2.host:2,S": seconds since the epoch */
			char *endp;
			long long t = strtoll(names.v[i], &endp, 10);
			if (endp != names.v[i] && *endp == '.' && t > 0) {
				m.date.kind = DATE_MAILDIR;
				m.date.t = t;
			}
			ret = fn(ud, &m);
			free(file);
		}
		sl_free(&names);
		free(sub);
	}
	sb_free(&data);
	return ret;
}

static int walk(const char *dir, const char *folder, int depth, src_msg_fn fn, void *ud)
{
	int ret = 0;
	if (maildir_is(dir) && (ret = read_folder(dir, folder, fn, ud)) < 0)
		return ret;
	if (depth >= MAILDIR_MAX_DEPTH)
		return 0;
	struct strlist names = {0};
	if ((ret = list_dir(dir, &names)) < 0)
		return ret;
	for (size_t i = 0; i < names.n && ret == 0; i++) {
		const char *n = names.v[i];
		if (strcmp(n, "cur") == 0 || strcmp(n, "new") == 0 || strcmp(n, "tmp") == 0)
			continue;
		char *sub = xasprintf("%s/%s", dir, n);
		struct stat sb;
		if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			/* Maildir++ ".Sent" / ".INBOX.Sent" at the top; nested trees below */
			char *name;
			if (n[0] == '.' && depth == 0)
				name = xstrdup(n + 1);
			else if (depth == 0)
				name = xstrdup(n);
			else
				name = xasprintf("%s/%s", folder, n);
			if (strncmp(name, "INBOX.", 6) == 0)
				memmove(name, name + 6, strlen(name + 6) + 1);
			if (*name)
				ret = walk(sub, name, depth + 1, fn, ud);
			free(name);
		}
		free(sub);
	}
	sl_free(&names);
	return ret;
}

int maildir_read(const char *path, const char *folder, src_msg_fn fn, void *ud)
{
	if (!is_dir(path))
		return -ENOTDIR;
	return walk(path, folder ? folder : "INBOX", 0, fn, ud);
}
