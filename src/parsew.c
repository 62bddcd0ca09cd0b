/* parsew: see parsew.h. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parsew.h"

struct parsew {
	parsew_fn fn;
	int timeout_ms;
	pid_t pid;
	int fd;
	unsigned restarts;
};

/* ---- wire form ---------------------------------------------------------- */

static void put_u32(struct sbuf *sb, uint32_t v)
{
	sb_add(sb, &v, sizeof(v));
}

static void put_i64(struct sbuf *sb, int64_t v)
{
	sb_add(sb, &v, sizeof(v));
}

static void put_str(struct sbuf *sb, const char *s)
{
	if (!s) {
		put_u32(sb, UINT32_MAX);
		return;
	}
	uint32_t n = (uint32_t)strlen(s);
	put_u32(sb, n);
	sb_add(sb, s, n);
}

static void put_list(struct sbuf *sb, const struct strlist *l)
{
	put_u32(sb, (uint32_t)l->n);
	for (size_t i = 0; i < l->n; i++)
		put_str(sb, l->v[i]);
}

void parsew_pack(const struct msg *m, struct sbuf *sb)
{
	put_str(sb, m->message_id);
	put_i64(sb, m->synthetic_id);
	put_i64(sb, m->date);
	put_i64(sb, m->date_source);
	put_str(sb, m->from);
	put_str(sb, m->from_name);
	put_list(sb, &m->to);
	put_list(sb, &m->cc);
	put_list(sb, &m->bcc);
	put_list(sb, &m->reply_to);
	put_str(sb, m->subject);
	put_str(sb, m->subject_norm);
	put_str(sb, m->in_reply_to);
	put_list(sb, &m->references);
	put_str(sb, m->list_id);
	put_i64(sb, m->has_list_hdr);
	put_str(sb, m->precedence);
	put_str(sb, m->auto_submitted);
	put_i64(sb, m->x_autoreply);
	put_i64(sb, m->report);
	put_str(sb, m->bounce_orig_id);
	put_i64(sb, m->bounce_per_recipient);
	put_list(sb, &m->bounce_failed);
}

struct rd {
	const char *p;
	size_t left;
	bool bad;
};

static bool get(struct rd *r, void *out, size_t n)
{
	if (r->bad || r->left < n) {
		r->bad = true;
		return false;
	}
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

static int64_t get_i64(struct rd *r)
{
	int64_t v = 0;
	get(r, &v, sizeof(v));
	return v;
}

static char *get_str(struct rd *r)
{
	uint32_t n = 0;
	if (!get(r, &n, sizeof(n)) || n == UINT32_MAX)
		return NULL;
	if (n > r->left) {
		r->bad = true;
		return NULL;
	}
	char *s = xstrndup(r->p, n);
	r->p += n;
	r->left -= n;
	return s;
}

static void get_list(struct rd *r, struct strlist *l)
{
	uint32_t n = 0;
	if (!get(r, &n, sizeof(n)) || n > r->left / 4) {
		r->bad = true;
		return;
	}
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		char *s = get_str(r);
		if (s)
			sl_take(l, s);
	}
}

int parsew_unpack(const char *data, size_t len, struct msg *ret)
{
	struct rd r = {data, len, false};
	struct msg m = {0};

	m.message_id = get_str(&r);
	m.synthetic_id = get_i64(&r) != 0;
	m.date = get_i64(&r);
	int64_t ds = get_i64(&r);
	m.date_source = ds >= DATE_HEADER && ds <= DATE_NONE ? (enum msg_date_source)ds : DATE_NONE;
	m.from = get_str(&r);
	m.from_name = get_str(&r);
	get_list(&r, &m.to);
	get_list(&r, &m.cc);
	get_list(&r, &m.bcc);
	get_list(&r, &m.reply_to);
	m.subject = get_str(&r);
	m.subject_norm = get_str(&r);
	m.in_reply_to = get_str(&r);
	get_list(&r, &m.references);
	m.list_id = get_str(&r);
	m.has_list_hdr = get_i64(&r) != 0;
	m.precedence = get_str(&r);
	m.auto_submitted = get_str(&r);
	m.x_autoreply = get_i64(&r) != 0;
	m.report = get_i64(&r) != 0;
	m.bounce_orig_id = get_str(&r);
	m.bounce_per_recipient = get_i64(&r) != 0;
	get_list(&r, &m.bounce_failed);
	if (r.bad || r.left || !m.message_id || !m.subject || !m.subject_norm) {
		msg_free(&m);
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

/* ---- transport ---------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads exactly n bytes before the deadline (deadline < 0: none). */
static int read_all(int fd, void *buf, size_t n, int64_t deadline)
{
	char *p = buf;
	while (n) {
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			struct pollfd pfd = {fd, POLLIN, 0};
			if (left <= 0)
				return -ETIMEDOUT;
			int r = poll(&pfd, 1, (int)left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r == 0)
				return -ETIMEDOUT;
		}
		ssize_t k = read(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -ECHILD;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The worker's loop: request = u32 len, i64 src kind, i64 src t, data;
 * answer = i64 status, u32 len, record. */
static void __attribute__((noreturn)) worker_main(int fd, parsew_fn fn)
{
	struct sbuf in = {0}, out = {0};
	for (;;) {
		uint32_t len;
		int64_t kind, t;
		if (read_all(fd, &len, sizeof(len), -1) < 0 || read_all(fd, &kind, 8, -1) < 0 ||
		    read_all(fd, &t, 8, -1) < 0)
			_exit(0);
		sb_reset(&in);
		sb_add(&in, "", 0);
		in.buf = xrealloc(in.buf, (size_t)len + 1);
		in.cap = (size_t)len + 1;
		if (read_all(fd, in.buf, len, -1) < 0)
			_exit(0);
		struct msg_src_date src = {(enum msg_date_source)kind, t};
		struct msg m;
		int64_t status = fn(in.buf, len, &src, &m);
		sb_reset(&out);
		put_i64(&out, status);
		put_u32(&out, 0);
		if (status == 0) {
			parsew_pack(&m, &out);
			msg_free(&m);
		}
		uint32_t body = (uint32_t)(out.len - 12);
		memcpy(out.buf + 8, &body, sizeof(body));
		if (write_all(fd, out.buf, out.len) < 0)
			_exit(0);
	}
}

static int spawn(struct parsew *w)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(sv[0]);
		close(sv[1]);
		return e;
	}
	if (pid == 0) {
		/* keep only our end: an inherited copy of another worker's socket
		 * (or the database) would keep that worker from seeing EOF */
		close(sv[0]);
		if (sv[1] > 3)
			close_range(3, (unsigned)sv[1] - 1, 0);
		close_range((unsigned)sv[1] + 1, ~0U, 0);
		signal(SIGPIPE, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		worker_main(sv[1], w->fn);
	}
	close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	return 0;
}

static void reap(struct parsew *w, bool kill_it)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->pid > 0) {
		if (kill_it)
			kill(w->pid, SIGKILL);
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	w->pid = -1;
}

int parsew_start(parsew_fn fn, int timeout_ms, struct parsew **ret)
{
	struct parsew *w = xcalloc(1, sizeof(*w));
	w->fn = fn ? fn : msg_parse;
	w->timeout_ms = timeout_ms > 0 ? timeout_ms : PARSEW_TIMEOUT_MS;
	w->fd = -1;
	w->pid = -1;
	/* a worker that dies must not kill us through a write */
	signal(SIGPIPE, SIG_IGN);
	int r = spawn(w);
	if (r < 0) {
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

int parsew_parse(struct parsew *w, const char *data, size_t len,
		 const struct msg_src_date *src, struct msg *ret)
{
	if (w->fd < 0) {
		if (spawn(w) < 0)
			return -ECHILD;
		w->restarts++;
	}
	if (len > UINT32_MAX - 1)
		return -E2BIG;
	uint32_t n = (uint32_t)len;
	int64_t kind = src ? src->kind : DATE_NONE, t = src ? src->t : 0;
	int r = write_all(w->fd, &n, sizeof(n));
	if (r == 0)
		r = write_all(w->fd, &kind, 8);
	if (r == 0)
		r = write_all(w->fd, &t, 8);
	if (r == 0)
		r = write_all(w->fd, data, len);
	int64_t deadline = now_ms() + w->timeout_ms;
	int64_t status = 0;
	uint32_t blen = 0;
	if (r == 0)
		r = read_all(w->fd, &status, 8, deadline);
	if (r == 0)
		r = read_all(w->fd, &blen, 4, deadline);
	if (r < 0) {
		r = r == -ETIMEDOUT ? -ETIMEDOUT : -ECHILD;
		reap(w, true);
		return r;
	}
	char *body = xmalloc((size_t)blen + 1);
	r = read_all(w->fd, body, blen, deadline);
	if (r < 0) {
		free(body);
		reap(w, true);
		return r == -ETIMEDOUT ? -ETIMEDOUT : -ECHILD;
	}
	if (status != 0) {
		free(body);
		return (int)status;
	}
	r = parsew_unpack(body, blen, ret);
	free(body);
	if (r < 0) {
		reap(w, true);
		return -ECHILD;
	}
	return 0;
}

unsigned parsew_restarts(const struct parsew *w)
{
	return w->restarts;
}

void parsew_stop(struct parsew *w)
{
	if (!w)
		return;
	reap(w, false);
	free(w);
}
