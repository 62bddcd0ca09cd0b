/* parsew: see parsew.h. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "parsew.h"

/* What the worker says of its progress without a write: how many
 * requests it has started and finished since it was spawned. Answers go
 * out in groups, so after a crash or a hang these tell the caller which
 * request it was on, and which answers it had made but not yet sent. The
 * worker is not trusted with them: the caller checks them against what it
 * sent (see progress()). */
struct shared {
	_Atomic uint64_t started, done;
};

struct parsew {
	parsew_fn fn;
	int timeout_ms;
	pid_t pid;
	int fd;
	struct shared *sh; /* the current worker's, mapped before it was forked */
	uint64_t answered; /* by the current worker, of all batches */
	unsigned restarts;
	/* a batch parsed behind the caller's back (parsew_submit) */
	struct task task;
	struct parsew_job *jobs;
	size_t njobs;
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
	put_i64(sb, m->bcc_more);
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
	m.bcc_more = get_i64(&r) != 0;
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

/* Answers wait in the worker until this many bytes are pending or until
 * no whole request is left to parse, so that a batch costs the two
 * processes a few writes and wake-ups, not one per message. */
#define WORKER_FLUSH 65536

static void flush_answers(int fd, struct sbuf *out)
{
	if (out->len && write_all(fd, out->buf, out->len) < 0)
		_exit(0);
	sb_reset(out);
}

/* The worker's loop: request = u32 len, i64 src kind, i64 src t, data;
 * answer = i64 status, u32 len, record. Requests are read in large
 * chunks (a batch arrives back to back). Before each request is parsed,
 * and after, the shared counters say so: the caller learns from them
 * which message a hang or a crash belongs to. */
static void __attribute__((noreturn)) worker_main(int fd, parsew_fn fn, struct shared *sh)
{
	struct sbuf in = {0}, out = {0};
	size_t used = 0; /* bytes of in already consumed */
	uint64_t n = 0;  /* requests parsed */
	for (;;) {
		uint32_t len = 0;
		for (;;) {
			size_t need = 20;
			if (in.len - used >= 20) {
				memcpy(&len, in.buf + used, 4);
				need = 20 + (size_t)len;
				if (in.len - used >= need)
					break;
			}
			/* nothing whole to parse: what is answered goes out before
			 * the wait for more */
			flush_answers(fd, &out);
			if (used) {
				memmove(in.buf, in.buf + used, in.len - used);
				in.len -= used;
				used = 0;
			}
			sb_reserve(&in, need - in.len > 262144 ? need - in.len : 262144);
			ssize_t k = read(fd, in.buf + in.len, in.cap - 1 - in.len);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				_exit(0);
			in.len += (size_t)k;
		}
		int64_t kind, t;
		memcpy(&len, in.buf + used, 4);
		memcpy(&kind, in.buf + used + 4, 8);
		memcpy(&t, in.buf + used + 12, 8);
		char *data = in.buf + used + 20;
		/* the parser may read one byte past the data (a NUL), as before */
		char saved = data[len];
		data[len] = '\0';
		struct msg_src_date src = {(enum msg_date_source)kind, t};
		struct msg m;
		atomic_store_explicit(&sh->started, n + 1, memory_order_release);
		int64_t status = fn(data, len, &src, &m);
		data[len] = saved;
		used += 20 + (size_t)len;
		size_t at = out.len;
		put_i64(&out, status);
		put_u32(&out, 0);
		if (status == 0) {
			parsew_pack(&m, &out);
			msg_free(&m);
		}
		uint32_t body = (uint32_t)(out.len - at - 12);
		memcpy(out.buf + at + 8, &body, sizeof(body));
		atomic_store_explicit(&sh->done, ++n, memory_order_release);
		if (out.len >= WORKER_FLUSH)
			flush_answers(fd, &out);
	}
}

static int spawn(struct parsew *w)
{
	int sv[2];
	struct shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return -errno;
	atomic_init(&sh->started, 0);
	atomic_init(&sh->done, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		int e = -errno;
		munmap(sh, sizeof(*sh));
		return e;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(sv[0]);
		close(sv[1]);
		munmap(sh, sizeof(*sh));
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
		worker_main(sv[1], w->fn, sh);
	}
	close(sv[1]);
	/* the caller's end only: it writes a batch while it reads answers */
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	w->pid = pid;
	w->fd = sv[0];
	w->sh = sh;
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
	if (w->sh)
		munmap(w->sh, sizeof(*w->sh));
	w->sh = NULL;
	w->answered = 0;
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

/* Where a batch is, and in which worker w: jobs before rd are answered;
 * the frame of job wr is written up to woff (a 20-byte head, then the
 * data). The current worker has answered w->answered requests; `seen` is
 * what its counters said when last read, and t0 when the worker last
 * showed progress (an answer, a counter that moved, a request written
 * whole while it had nothing) or 0 when it has nothing to do. */
struct batch {
	struct parsew *w;
	struct parsew_job *jobs;
	size_t n, rd, wr, woff;
	uint64_t seen_started, seen_done;
	int64_t t0;
	struct sbuf in;
	bool broken;   /* a write failed: the worker is gone */
	size_t resent; /* rd when jobs were last sent again unblamed; or SIZE_MAX */
};

/* A job that is not (or no longer) for the worker: none of data (-EINVAL,
 * as msg_parse says of nothing), more than the wire form carries (-E2BIG),
 * or one a worker died or hung on. Its status is set before it is passed. */
static bool skipped(const struct parsew_job *j)
{
	return j->status != 0;
}

static void skip_ahead(struct batch *b, size_t *i)
{
	while (*i < b->n && skipped(&b->jobs[*i]))
		(*i)++;
}

/* The job of the worker's request number req (counted from 0 since it was
 * spawned), or b->n when that is past what it was sent. */
static size_t job_of_request(struct batch *b, uint64_t req)
{
	size_t i = b->rd;
	for (uint64_t k = b->w->answered; i < b->wr && k < req; k++) {
		i++;
		skip_ahead(b, &i);
	}
	return i < b->wr ? i : b->n;
}

/* Reads the worker's counters. False when they cannot be true (the worker
 * is broken or hostile): finished more than it started, started more than
 * it was sent, finished less than it has already answered, or either went
 * back. Each can move only so often as there are requests, so a worker
 * that only moves them still gets no more than one timeout a request. */
static bool progress(struct batch *b)
{
	uint64_t answered = b->w->answered;
	uint64_t started = atomic_load_explicit(&b->w->sh->started, memory_order_acquire);
	uint64_t done = atomic_load_explicit(&b->w->sh->done, memory_order_acquire);
	if (done > started || done < answered || started > done + 1 ||
	    (started > answered && job_of_request(b, started - 1) == b->n) ||
	    started < b->seen_started || done < b->seen_done)
		return false;
	if (started != b->seen_started || done != b->seen_done) {
		b->seen_started = started;
		b->seen_done = done;
		b->t0 = now_ms();
	}
	return true;
}

/* The worker died or hung (status r) or misbehaved (suspect: r is
 * -ECHILD, and its counters are not believed). It is killed; the job it
 * was on gets r; jobs it finished without sending their answers go to a
 * new worker again, as do the jobs after. With no job under way, job rd
 * is blamed, as the worker had it last; unless answers were lost, which
 * are sent again once. */
static void job_failed(struct batch *b, int r, bool suspect)
{
	size_t f = b->rd;
	if (!suspect && progress(b)) {
		if (b->seen_started > b->seen_done)
			f = job_of_request(b, b->seen_done);
		else if (b->seen_done > b->w->answered && b->resent != b->rd)
			f = b->n; /* nobody to blame: all again, this once */
	}
	reap(b->w, true); /* and the count of its answers with it */
	if (f < b->n) {
		b->jobs[f].status = r;
		if (f == b->rd)
			skip_ahead(b, &b->rd);
		b->resent = SIZE_MAX;
	} else {
		b->resent = b->rd;
	}
	b->wr = b->rd;
	b->woff = 0;
	b->seen_started = b->seen_done = 0;
	b->t0 = 0;
	b->in.len = 0;
	b->broken = false;
}

/* Writes what the socket takes of the frames from job wr on, many jobs
 * to a call. */
#define PUSH_JOBS 64
static int push_frames(struct batch *b, int fd)
{
	while (b->wr < b->n) {
		unsigned char head[PUSH_JOBS][20];
		struct iovec iov[2 * PUSH_JOBS];
		int niov = 0;
		size_t woff = b->woff;
		for (size_t i = b->wr, k = 0; i < b->n && k < PUSH_JOBS; i++) {
			const struct parsew_job *j = &b->jobs[i];
			if (skipped(j))
				continue;
			uint32_t len = (uint32_t)j->len;
			int64_t kind = j->src.kind, t = j->src.t;
			memcpy(head[k], &len, 4);
			memcpy(head[k] + 4, &kind, 8);
			memcpy(head[k] + 12, &t, 8);
			if (woff < 20)
				iov[niov++] = (struct iovec){head[k] + woff, 20 - woff};
			size_t doff = woff > 20 ? woff - 20 : 0;
			if (j->len > doff)
				iov[niov++] = (struct iovec){(char *)j->data + doff, j->len - doff};
			woff = 0; /* only the first job may be under way */
			k++;
		}
		ssize_t k = writev(fd, iov, niov);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (k < 0)
			return -EPIPE;
		/* the jobs written whole, then how far into the next one */
		size_t got = (size_t)k;
		while (got && b->wr < b->n) {
			size_t rest = 20 + b->jobs[b->wr].len - b->woff;
			if (got < rest) {
				b->woff += got;
				break;
			}
			got -= rest;
			if (!b->t0)
				b->t0 = now_ms(); /* the worker has work again */
			b->wr++;
			b->woff = 0;
			skip_ahead(b, &b->wr);
		}
	}
	return 0;
}

/* Takes the complete answers in b->in. 0, or -ECHILD on a malformed one. */
static int take_answers(struct batch *b)
{
	size_t off = 0;
	while (b->rd < b->wr && b->in.len - off >= 12) {
		int64_t status;
		uint32_t blen;
		memcpy(&status, b->in.buf + off, 8);
		memcpy(&blen, b->in.buf + off + 8, 4);
		if (b->in.len - off - 12 < blen)
			break;
		struct parsew_job *j = &b->jobs[b->rd];
		if (status > 0 || status < -4095 ||
		    (status == 0 && parsew_unpack(b->in.buf + off + 12, blen, &j->msg) < 0))
			return -ECHILD;
		j->status = (int)status;
		off += 12 + (size_t)blen;
		b->w->answered++;
		b->rd++;
		skip_ahead(b, &b->rd);
		b->t0 = b->rd < b->wr ? now_ms() : 0;
	}
	memmove(b->in.buf, b->in.buf + off, b->in.len - off);
	b->in.len -= off;
	return 0;
}

void parsew_parse_batch(struct parsew *w, struct parsew_job *jobs, size_t n)
{
	struct batch b = {w, jobs, n, 0, 0, 0, w->answered, w->answered, 0, {0},
			  false, SIZE_MAX};
	for (size_t i = 0; i < n; i++) {
		jobs[i].status = !jobs[i].data ? -EINVAL
				 : jobs[i].len > UINT32_MAX - 20 ? -E2BIG : 0;
		jobs[i].msg = (struct msg){0};
	}
	skip_ahead(&b, &b.rd);
	b.wr = b.rd;
	while (b.rd < n) {
		if (w->fd < 0) {
			if (spawn(w) < 0) {
				for (; b.rd < n; b.rd++)
					if (!skipped(&jobs[b.rd]))
						jobs[b.rd].status = -ECHILD;
				break;
			}
			w->restarts++;
		}
		/* a worker that died takes no more; its answers before the
		 * message it died on are still to be read, up to the EOF */
		if (!b.broken && push_frames(&b, w->fd) < 0)
			b.broken = true;
		int timeout = -1;
		if (b.t0) {
			/* a deadline passed with no sign of progress: the worker
			 * hangs on the request it started (its counters move on
			 * every message, so a hang is seen within one to two
			 * timeouts of the message's start) */
			int64_t left = b.t0 + w->timeout_ms - now_ms();
			if (left <= 0) {
				if (!progress(&b)) {
					job_failed(&b, -ECHILD, true);
					continue;
				}
				left = b.t0 + w->timeout_ms - now_ms();
			}
			if (left <= 0) {
				job_failed(&b, -ETIMEDOUT, false);
				continue;
			}
			timeout = (int)left;
		}
		struct pollfd pfd = {w->fd, POLLIN | (b.wr < n && !b.broken ? POLLOUT : 0), 0};
		int r = poll(&pfd, 1, timeout);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			continue; /* the deadline, checked above */
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		sb_reserve(&b.in, 65536);
		ssize_t k = read(w->fd, b.in.buf + b.in.len, b.in.cap - 1 - b.in.len);
		if (k < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (k <= 0) {
			job_failed(&b, -ECHILD, false);
			continue;
		}
		b.in.len += (size_t)k;
		if (take_answers(&b) < 0)
			job_failed(&b, -ECHILD, true);
	}
	sb_free(&b.in);
}

int parsew_parse(struct parsew *w, const char *data, size_t len,
		 const struct msg_src_date *src, struct msg *ret)
{
	struct parsew_job j = {data, len, {DATE_NONE, 0}, 0, {0}};
	parsew_wait(w);
	if (src)
		j.src = *src;
	parsew_parse_batch(w, &j, 1);
	if (j.status == 0)
		*ret = j.msg;
	return j.status;
}

static void *batch_thread(void *ud)
{
	struct parsew *w = ud;
	parsew_parse_batch(w, w->jobs, w->njobs);
	return NULL;
}

void parsew_submit(struct parsew *w, struct parsew_job *jobs, size_t n)
{
	task_wait(&w->task);
	w->jobs = jobs;
	w->njobs = n;
	task_start(&w->task, batch_thread, w);
}

void parsew_wait(struct parsew *w)
{
	task_wait(&w->task);
}

unsigned parsew_restarts(const struct parsew *w)
{
	return w->restarts;
}

void parsew_stop(struct parsew *w)
{
	if (!w)
		return;
	parsew_wait(w);
	reap(w, false);
	free(w);
}
