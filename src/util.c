/* util: see util.h. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <locale.h>
#include <wctype.h>

#include "util.h"

static char *utf8_casefold_latin1(const char *s);

static void oom(size_t n)
{
	fprintf(stderr, "rapport: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom(strlen(fmt));
	va_end(ap);
	return s;
}

void sb_reserve(struct sbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	sb->buf = xrealloc(sb->buf, cap);
	sb->cap = cap;
}

void sb_add(struct sbuf *sb, const void *data, size_t n)
{
	sb_reserve(sb, n);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_addc(struct sbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

void sb_adds(struct sbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addi(struct sbuf *sb, long v)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	sb_add(sb, p, (size_t)(buf + sizeof(buf) - p));
}

void sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	/* most pieces are short: format on the stack, and only a long one
	 * is formatted a second time into the buffer */
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sb_add(sb, small, (size_t)n);
		return;
	}
	sb_reserve(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

const char *sb_cstr(struct sbuf *sb)
{
	sb_reserve(sb, 0);
	sb->buf[sb->len] = '\0';
	return sb->buf;
}

char *sb_steal(struct sbuf *sb)
{
	sb_cstr(sb);
	char *s = sb->buf;
	*sb = (struct sbuf){0};
	return s;
}

void sb_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void sb_free(struct sbuf *sb)
{
	free(sb->buf);
	*sb = (struct sbuf){0};
}

void sl_take(struct strlist *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

void sl_add(struct strlist *l, const char *s)
{
	sl_take(l, xstrdup(s));
}

bool sl_contains(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

bool sl_add_unique(struct strlist *l, const char *s)
{
	if (sl_contains(l, s))
		return false;
	sl_add(l, s);
	return true;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void sl_sort(struct strlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_strp);
}

void sl_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct strlist){0};
}

char *sl_join(const struct strlist *l, const char *sep)
{
	struct sbuf sb = {0};
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			sb_adds(&sb, sep);
		sb_adds(&sb, l->v[i]);
	}
	return sb_steal(&sb);
}

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t k = utf8_seq(p + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

char *utf8_sanitize(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct sbuf sb = {0};
	size_t i = 0;

	while (i < n) {
		size_t k = utf8_seq(p + i, n - i);
		if (!k) {
			sb_adds(&sb, "\xef\xbf\xbd");
			i++;
		} else if (k == 1 && (p[i] < 0x20 || p[i] == 0x7f)) {
			sb_addc(&sb, p[i] == '\t' ? '\t' : ' ');
			i++;
		} else {
			sb_add(&sb, p + i, k);
			i += k;
		}
	}
	return sb_steal(&sb);
}

/* Full Unicode simple lower-casing through the C.UTF-8 locale when the
 * system has it; ASCII and Latin-1 by hand otherwise. */
static locale_t utf8_locale(void)
{
	static locale_t loc;
	static bool tried;
	if (!tried) {
		tried = true;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

static uint32_t utf8_decode(const unsigned char *p, size_t k)
{
	static const unsigned char mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
	uint32_t cp = p[0] & mask[k];
	for (size_t i = 1; i < k; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return cp;
}

static void utf8_encode(struct sbuf *sb, uint32_t cp)
{
	char b[4];
	if (cp < 0x80) {
		sb_addc(sb, (char)cp);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		sb_add(sb, b, 4);
	}
}

char *utf8_casefold(const char *s)
{
	locale_t loc = utf8_locale();
	if (loc) {
		const unsigned char *p = (const unsigned char *)s;
		size_t n = strlen(s), i = 0;
		struct sbuf sb = {0};
		while (i < n) {
			size_t k = utf8_seq(p + i, n - i);
			if (!k) { /* not UTF-8: copy the byte */
				sb_addc(&sb, (char)p[i++]);
				continue;
			}
			uint32_t cp = utf8_decode(p + i, k);
			uint32_t lo = (uint32_t)towlower_l((wint_t)cp, loc);
			utf8_encode(&sb, lo ? lo : cp);
			i += k;
		}
		return sb_steal(&sb);
	}
	return utf8_casefold_latin1(s);
}

static char *utf8_casefold_latin1(const char *s)
{
	size_t n = strlen(s);
	unsigned char *out = (unsigned char *)xstrndup(s, n);
	for (size_t i = 0; i < n; i++) {
		if (out[i] >= 'A' && out[i] <= 'Z') {
			out[i] += 32;
		} else if (out[i] == 0xc3 && i + 1 < n) {
			/* U+00C0..U+00DE except U+00D7 fold to U+00E0..U+00FE */
			unsigned char c = out[i + 1];
			if (c >= 0x80 && c <= 0x9e && c != 0x97)
				out[i + 1] = c + 0x20;
			i++;
		}
	}
	return (char *)out;
}

int ascii_tolower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int ascii_strcasecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int d = ascii_tolower((unsigned char)*a) - ascii_tolower((unsigned char)*b);
		if (d || !*a)
			return d;
	}
}

int ascii_strncasecmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		int d = ascii_tolower((unsigned char)*a) - ascii_tolower((unsigned char)*b);
		if (d || !*a)
			return d;
	}
	return 0;
}

bool ascii_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

char *ascii_lower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)ascii_tolower((unsigned char)*p);
	return s;
}

char *xstrtrim(const char *s)
{
	while (ascii_isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && ascii_isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t civil_to_epoch(int year, int month, int day, int hour, int min, int sec)
{
	return days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
}

void epoch_to_iso(int64_t t, char buf[static 32])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	/* civil_from_days (H. Hinnant) */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, (int)m, (int)d,
		 (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

int iso_to_epoch(const char *s, int64_t *ret_t)
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;

	if (strcmp(s, "now") == 0) {
		*ret_t = (int64_t)time(NULL);
		return 0;
	}
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -EINVAL;
	s += n;
	if (*s == 'T' || *s == ' ') {
		int k = 0;
		if (sscanf(s + 1, "%2d:%2d%n", &h, &mi, &k) != 2)
			return -EINVAL;
		s += 1 + k;
		if (*s == ':') {
			if (sscanf(s + 1, "%2d%n", &se, &k) != 1)
				return -EINVAL;
			s += 1 + k;
		}
	}
	if (*s == 'Z')
		s++;
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -EINVAL;
	*ret_t = civil_to_epoch(y, mo, d, h, mi, se);
	return 0;
}

int open_regular(const char *path, bool nofollow, int *ret_fd)
{
	/* O_NONBLOCK: a FIFO named by mistake must not hang the daemon at open */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*ret_fd = fd;
	return 0;
}

int read_file(const char *path, size_t max, char **ret_data, size_t *ret_len)
{
	int fd;
	int opened = open_regular(path, false, &fd);
	if (opened < 0)
		return opened;
	struct sbuf sb = {0};
	char buf[8192];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = -errno;
			close(fd);
			sb_free(&sb);
			return e;
		}
		if (r == 0)
			break;
		if (sb.len + (size_t)r > max) {
			close(fd);
			sb_free(&sb);
			return -EFBIG;
		}
		sb_add(&sb, buf, (size_t)r);
	}
	close(fd);
	*ret_len = sb.len;
	*ret_data = sb_steal(&sb);
	return 0;
}

/* FNV-1a folded to 32 bits; also gives the string's length. */
static uint32_t str_hash(const char *s, size_t *ret_len)
{
	uint64_t h = 1469598103934665603ULL;
	const char *p = s;
	for (; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	*ret_len = (size_t)(p - s);
	return (uint32_t)(h ^ (h >> 32));
}

/* A slot holds the string's hash beside its id + 1 (0: empty), so a probe
 * compares strings only when the hashes agree. */
#define SLOT(h, id) (((uint64_t)(h) << 32) | ((uint64_t)(id) + 1))
#define SLOT_HASH(v) ((uint32_t)((v) >> 32))
#define SLOT_ID(v) ((uint32_t)(v) - 1)

/* Puts slot value v into the first free slot of its probe sequence. */
static void place(uint64_t *slots, size_t n, uint64_t v)
{
	size_t k = SLOT_HASH(v) & (n - 1);
	while (slots[k])
		k = (k + 1) & (n - 1);
	slots[k] = v;
}

/* Doubles the index; a table without one (new, or sealed) gets one big
 * enough for its strings, each hashed anew. */
static void strtab_grow(struct strtab *t)
{
	size_t n = t->nslots ? t->nslots * 2 : 1024;
	while (n < (t->n + 1) * 2)
		n *= 2;
	uint64_t *slots = xcalloc(n, sizeof(*slots));
	if (t->slots) {
		for (size_t i = 0; i < t->nslots; i++)
			if (t->slots[i])
				place(slots, n, t->slots[i]);
	} else {
		for (size_t id = 0; id < t->n; id++) {
			size_t len;
			place(slots, n, SLOT(str_hash(t->strs[id], &len), id));
		}
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = n;
}

static uint32_t find(const struct strtab *t, const char *s, uint32_t h, size_t len, size_t *ret_k)
{
	size_t k = h & (t->nslots - 1);
	for (; t->slots[k]; k = (k + 1) & (t->nslots - 1)) {
		uint64_t v = t->slots[k];
		if (SLOT_HASH(v) == h && memcmp(t->strs[SLOT_ID(v)], s, len + 1) == 0)
			return SLOT_ID(v);
	}
	*ret_k = k;
	return STRTAB_NONE;
}

uint32_t strtab_find(const struct strtab *t, const char *s)
{
	size_t len, k;
	if (!t->nslots)
		return STRTAB_NONE;
	uint32_t h = str_hash(s, &len);
	return find(t, s, h, len, &k);
}

/* The strings live in blocks that never move (strtab_str stays valid);
 * one longer than a block gets a block of its own. */
#define STRTAB_BLOCK 65536

static char *strtab_copy(struct strtab *t, const char *s, size_t len)
{
	if (len + 1 > t->room) {
		size_t size = len + 1 > STRTAB_BLOCK / 4 ? len + 1 : STRTAB_BLOCK;
		struct strtab_block *b = xmalloc(offsetof(struct strtab_block, data) + size);
		b->next = t->blocks;
		t->blocks = b;
		if (size != STRTAB_BLOCK) /* keep the current block's room */
			return memcpy(b->data, s, len + 1);
		t->free = b->data;
		t->room = size;
	}
	char *p = memcpy(t->free, s, len + 1);
	t->free += len + 1;
	t->room -= len + 1;
	return p;
}

uint32_t strtab_intern(struct strtab *t, const char *s)
{
	size_t len, k;
	if ((t->n + 1) * 2 > t->nslots)
		strtab_grow(t);
	uint32_t h = str_hash(s, &len);
	uint32_t id = find(t, s, h, len, &k);
	if (id != STRTAB_NONE)
		return id;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 1024;
		t->strs = xrealloc(t->strs, t->cap * sizeof(*t->strs));
	}
	id = (uint32_t)t->n;
	t->strs[t->n++] = strtab_copy(t, s, len);
	t->slots[k] = SLOT(h, id);
	return id;
}

const char *strtab_str(const struct strtab *t, uint32_t id)
{
	return id < t->n ? t->strs[id] : NULL;
}

void strtab_seal(struct strtab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->nslots = 0;
}

void strtab_free(struct strtab *t)
{
	while (t->blocks) {
		struct strtab_block *b = t->blocks;
		t->blocks = b->next;
		free(b);
	}
	free(t->strs);
	free(t->slots);
	*t = (struct strtab){0};
}

void task_start(struct task *t, void *(*fn)(void *), void *arg)
{
	task_wait(t);
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	t->running = pthread_create(&t->tid, NULL, fn, arg) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!t->running)
		fn(arg);
}

void task_wait(struct task *t)
{
	if (t->running)
		pthread_join(t->tid, NULL);
	t->running = false;
}
