/* stream: see stream.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "stream.h"
#include "tls.h"
#include "util.h"

struct sdata {
	int fd;
	gnutls_session_t tls;
	int timeout_ms;
	/* the response being received: its size so far, and where the
	 * framing is (a literal's announcement "{123}" at the end of a line,
	 * or the bytes of a literal still to come) */
	size_t limit, resp;
	uint64_t lit_left;
	uint64_t lit_n;   /* digits read of a "{n" seen on this line */
	enum { L_TEXT, L_BRACE, L_DIGITS, L_CLOSED } lit;
	bool overflow;
	/* a read timed out or failed: libetpan's parser may ask again, and
	 * must not wait a second read timeout for a silent server */
	bool dead;
};

static struct sdata *D(mailstream_low *low)
{
	return low->data;
}

/* Counts buf[0..n) into the response; false when it passes the limit. */
static bool account(struct sdata *d, const unsigned char *buf, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (d->lit_left) {
			uint64_t k = n - i < d->lit_left ? n - i : d->lit_left;
			d->lit_left -= k;
			d->resp += (size_t)k;
			i += (size_t)k;
			if (d->resp > d->limit)
				return false;
			continue;
		}
		if (d->lit == L_TEXT) {
			/* plain text: only '{' and the line's end can change
			 * the framing, so skip to the next of them at once */
			size_t k = i;
			while (k < n && buf[k] != '{' && buf[k] != '\n')
				k++;
			d->resp += k - i;
			i = k;
			if (d->resp > d->limit)
				return false;
			if (i == n)
				break;
		}
		unsigned char c = buf[i++];
		if (++d->resp > d->limit)
			return false;
		switch (c) {
		case '{':
			d->lit = L_BRACE;
			d->lit_n = 0;
			break;
		case '}':
			d->lit = d->lit == L_DIGITS ? L_CLOSED : L_TEXT;
			break;
		case '+': /* LITERAL+ "{n+}" */
			if (d->lit != L_DIGITS)
				d->lit = L_TEXT;
			break;
		case '\r':
			break;
		case '\n':
			if (d->lit == L_CLOSED) {
				/* a literal follows: one that cannot fit fails now,
				 * before libetpan sees its size */
				if (d->lit_n > d->limit - d->resp)
					return false;
				d->lit_left = d->lit_n;
			} else {
				d->resp = 0; /* the response ends with this line */
			}
			d->lit = L_TEXT;
			break;
		default:
			if (c >= '0' && c <= '9' && (d->lit == L_BRACE || d->lit == L_DIGITS)) {
				d->lit = L_DIGITS;
				if (d->lit_n < UINT64_MAX / 16)
					d->lit_n = d->lit_n * 10 + (uint64_t)(c - '0');
			} else {
				d->lit = L_TEXT;
			}
		}
	}
	return true;
}

/* Waits for fd to be ready for events, at most the read timeout. */
static bool wait_fd(struct sdata *d, short events)
{
	struct pollfd p = {d->fd, events, 0};
	int k;
	do
		k = poll(&p, 1, d->timeout_ms);
	while (k < 0 && errno == EINTR);
	return k > 0;
}

static ssize_t s_read(mailstream_low *low, void *buf, size_t count)
{
	struct sdata *d = D(low);
	ssize_t n;
	if (d->overflow || d->dead || d->fd < 0)
		return -1;
	for (;;) {
		if (d->tls) {
			n = gnutls_record_recv(d->tls, buf, count);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				if (tls_wait(d->tls, d->fd, d->timeout_ms) <= 0)
					goto dead;
				continue;
			}
			if (n < 0)
				goto dead;
		} else {
			n = read(d->fd, buf, count);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				if (!wait_fd(d, POLLIN))
					goto dead;
				continue;
			}
			if (n < 0)
				goto dead;
		}
		break;
	}
	if (n > 0 && !account(d, buf, (size_t)n)) {
		d->overflow = true;
		return -1;
	}
	return n;
dead:
	d->dead = true;
	return -1;
}

static ssize_t s_write(mailstream_low *low, const void *buf, size_t count)
{
	struct sdata *d = D(low);
	for (;;) {
		ssize_t n;
		if (d->fd < 0)
			return -1;
		if (d->tls) {
			n = gnutls_record_send(d->tls, buf, count);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
				if (tls_wait(d->tls, d->fd, d->timeout_ms) <= 0)
					return -1;
				continue;
			}
			return n < 0 ? -1 : n;
		}
		n = send(d->fd, buf, count, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(d, POLLOUT))
				return -1;
			continue;
		}
		return n;
	}
}

static int s_close(mailstream_low *low)
{
	struct sdata *d = D(low);
	if (d->tls) {
		/* best effort, never waiting: the peer may be gone */
		gnutls_bye(d->tls, GNUTLS_SHUT_WR);
		tls_free(d->tls);
		d->tls = NULL;
	}
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	return 0;
}

static int s_get_fd(mailstream_low *low)
{
	return D(low)->fd;
}

static void s_free(mailstream_low *low)
{
	struct sdata *d = D(low);
	if (d->tls)
		tls_free(d->tls);
	if (d->fd >= 0)
		close(d->fd);
	free(d);
	free(low);
}

static void s_cancel(mailstream_low *low)
{
	struct sdata *d = D(low);
	if (d->fd >= 0)
		shutdown(d->fd, SHUT_RDWR);
}

static mailstream_low_driver driver = {
	.mailstream_read = s_read,
	.mailstream_write = s_write,
	.mailstream_close = s_close,
	.mailstream_get_fd = s_get_fd,
	.mailstream_free = s_free,
	.mailstream_cancel = s_cancel,
};

mailstream_low *stream_new(int fd, int read_timeout_s, size_t limit)
{
	struct sdata *d = xcalloc(1, sizeof(*d));
	d->fd = fd;
	d->timeout_ms = read_timeout_s * 1000;
	d->limit = limit;
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	mailstream_low *low = mailstream_low_new(d, &driver);
	if (!low)
		abort();
	return low;
}

int stream_start_tls(mailstream_low *low, const char *host, const char *ca_file,
		     char **ret_error)
{
	struct sdata *d = D(low);
	gnutls_session_t s;
	int r = tls_client(d->fd, host, ca_file, d->timeout_ms, &s, ret_error);
	if (r < 0)
		return r;
	d->tls = s;
	return 0;
}

void stream_set_limit(mailstream_low *low, size_t limit)
{
	struct sdata *d = D(low);
	d->limit = limit;
	d->resp = 0;
	d->lit_left = 0;
	d->lit = L_TEXT;
}

bool stream_overflowed(mailstream_low *low, size_t *ret_limit)
{
	struct sdata *d = D(low);
	if (d->overflow && ret_limit)
		*ret_limit = d->limit;
	return d->overflow;
}

bool stream_pending(mailstream_low *low)
{
	struct sdata *d = D(low);
	return d->tls && gnutls_record_check_pending(d->tls) > 0;
}
