/* mbox: see mbox.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mbox.h"

/* compared ignoring ASCII case; the accented ones as UTF-8 (mbox and
 * maildir names) and as IMAP's modified UTF-7 (folder names on the wire) */
static const char *const sent_names[] = {
	"sent", "sent items", "sent_items", "sent-items", "sent messages", "sent mail",
	"sent-mail", "sent_mail", "_sent_mail", "sentmail", "gesendet", "gesendete objekte",
	"gesendete elemente", "envoy\xc3\xa9s", "\xc3\xa9l\xc3\xa9ments envoy\xc3\xa9s",
	"\xc3\x89l\xc3\xa9ments envoy\xc3\xa9s", "&AOk-l&AOk-ments envoy&AOk-s",
	"&AMk-l&AOk-ments envoy&AOk-s", "envoy&AOk-s", "enviados", "elementos enviados",
	"itens enviados", "posta inviata", "verzonden items", "skickat", "sendt"};

const char *source_folder_role(const char *name)
{
	if (ascii_strcasecmp(name, "INBOX") == 0)
		return "inbox";
	const char *last = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == '.')
			last = p + 1;
	for (size_t i = 0; i < ARRAY_SIZE(sent_names); i++)
		if (ascii_strcasecmp(last, sent_names[i]) == 0)
			return "sent";
	return "";
}

/* A buffered line reader over a file descriptor that never holds more than
 * its buffer plus what the caller keeps. */
struct lr {
	int fd;
	char buf[65536];
	size_t pos, len;
	bool eof;
	long long offset; /* file offset of buf[pos] */
};

/* Reads one line (with its '\n') and appends at most max bytes of it to out.
 * Returns the full line length (0 at end of file) or a negative errno. */
static long long lr_line(struct lr *r, struct sbuf *out, size_t max)
{
	long long total = 0;
	for (;;) {
		if (r->pos == r->len) {
			if (r->eof)
				return total;
			ssize_t n;
			do
				n = read(r->fd, r->buf, sizeof(r->buf));
			while (n < 0 && errno == EINTR);
			if (n < 0)
				return -errno;
			if (n == 0) {
				r->eof = true;
				return total;
			}
			r->pos = 0;
			r->len = (size_t)n;
		}
		char *start = r->buf + r->pos;
		char *nl = memchr(start, '\n', r->len - r->pos);
		size_t take = nl ? (size_t)(nl - start) + 1 : r->len - r->pos;
		size_t room = out->len < max ? max - out->len : 0;
		sb_add(out, start, take < room ? take : room);
		r->pos += take;
		r->offset += (long long)take;
		total += (long long)take;
		if (nl)
			return total;
	}
}

static const char *const wdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

int mbox_from_date(const char *line, size_t len, int64_t *ret)
{
	/* "From sender Www Mmm dd hh:mm:ss yyyy": find the weekday token */
	char tmp[256];
	size_t n = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;
	memcpy(tmp, line, n);
	tmp[n] = '\0';
	for (char *p = tmp + 5; *p; p++) {
		if (p[-1] != ' ')
			continue;
		for (size_t w = 0; w < ARRAY_SIZE(wdays); w++) {
			if (strncmp(p, wdays[w], 3) != 0 || p[3] != ' ')
				continue;
			char mon[4];
			int d, h, mi, s, y;
			if (sscanf(p + 4, "%3s %d %d:%d:%d %d", mon, &d, &h, &mi, &s, &y) != 6)
				continue;
			for (int m = 0; m < 12; m++)
				if (strcmp(mon, mons[m]) == 0 && d >= 1 && d <= 31 && h < 24 &&
				    mi < 60 && s <= 60 && y >= 1970 && y <= 9999) {
					*ret = civil_to_epoch(y, m + 1, d, h, mi, s);
					return 0;
				}
		}
	}
	return -EINVAL;
}

bool mbox_is_from_line(const char *line, size_t len)
{
	if (len < 6 || memcmp(line, "From ", 5) != 0)
		return false;
	/* a separator carries a time of day: "hh:mm" somewhere after the sender,
	 * which tells it from a body line that merely starts with "From " */
	for (size_t i = 6; i + 2 < len && i < 512; i++)
		if (line[i] == ':' && line[i - 1] >= '0' && line[i - 1] <= '9' &&
		    line[i + 1] >= '0' && line[i + 1] <= '9')
			return true;
	return false;
}

static bool is_blank(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '\n') || (n == 2 && s[0] == '\r' && s[1] == '\n');
}

static bool all_space(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ascii_isspace((unsigned char)s[i]))
			return false;
	return true;
}

int mbox_read(const char *path, const char *folder, const char *role, src_msg_fn fn, void *ud)
{
	struct lr *r = xcalloc(1, sizeof(*r));
	struct sbuf line = {0}, msg = {0};
	char pos[64];
	int ret = 0;
	long long n;

	if ((ret = open_regular(path, false, &r->fd)) < 0) {
		free(r);
		return ret;
	}
	/* white-space-only lines before the first separator are tolerated */
	for (int skip = 0; skip < 1000; skip++) {
		sb_reset(&line);
		n = lr_line(r, &line, 1024);
		if (n <= 0 || !all_space(line.buf, line.len))
			break;
	}
	/* an empty mbox (a folder with no mail yet) holds no messages */
	if (n < 0 || (n > 0 && !mbox_is_from_line(line.buf, line.len))) {
		ret = n < 0 ? (int)n : -EBADMSG;
		goto out;
	}
	while (n > 0) {
		/* line holds a From_ line; read this message's header block */
		struct src_msg m = {0};
		long long start = r->offset - n;
		m.date.kind = mbox_from_date(line.buf, line.len, &m.date.t) == 0 ? DATE_MBOX
										   : DATE_NONE;
		sb_reset(&msg);
		bool in_header = true, prev_blank = false, cut = false;
		size_t body_start = 0;
		for (;;) {
			sb_reset(&line);
			n = lr_line(r, &line, in_header ? MSG_MAX_HEADER : MSG_MAX_BODY_SCAN);
			if (n <= 0)
				break;
			if (prev_blank && mbox_is_from_line(line.buf, line.len))
				break;
			prev_blank = is_blank(line.buf, line.len);
			if (in_header) {
				if (msg.len + line.len > MSG_MAX_HEADER)
					cut = true;
				else
					sb_add(&msg, line.buf, line.len);
				if (prev_blank) {
					in_header = false;
					body_start = msg.len;
				}
				continue;
			}
			/* mboxrd/mboxo: ">From " in a body was "From " */
			const char *l = line.buf;
			size_t ll = line.len;
			size_t q = 0;
			while (q < ll && l[q] == '>')
				q++;
			if (q && ll - q >= 5 && memcmp(l + q, "From ", 5) == 0) {
				l++;
				ll--;
			}
			if (msg.len - body_start + ll <= MSG_MAX_BODY_SCAN)
				sb_add(&msg, l, ll);
		}
		if (n < 0) {
			ret = (int)n;
			break;
		}
		snprintf(pos, sizeof(pos), "byte %lld", start);
		m.data = msg.len ? msg.buf : "";
		m.len = msg.len;
		m.header_too_large = cut;
		m.folder = folder;
		m.role = role;
		m.position = pos;
		if ((ret = fn(ud, &m)) < 0)
			break;
	}
out:
	close(r->fd);
	free(r);
	sb_free(&line);
	sb_free(&msg);
	return ret;
}
