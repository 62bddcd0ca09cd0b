/* imap: see imap.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <libetpan/libetpan.h>

#include "imap.h"
#include "net.h"
#include "stream.h"

/* The header fields rapport reads (see msg.c); nothing else is fetched.
 * Not Received: over IMAP the server's INTERNALDATE stands in for a
 * missing or bad Date, so the fallback that Received is in a file is
 * never used, and a trace of many Received lines is most of the bytes.
 * INTERNALDATE itself is asked for only where the Date field does not
 * give the date (msg_header_dated): a maildir server stats a file for
 * each one it answers, 100,000 stats for as many messages. */
static const char *const header_fields[] = {
	"From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID",
	"In-Reply-To", "References", "List-Id", "List-Post", "List-Unsubscribe", "Precedence",
	"Auto-Submitted", "X-Autoreply", "X-Autorespond", "Content-Type",
};

/* The most one response may take: a message's header fields (fetched as
 * a partial of MSG_MAX_HEADER + 1 bytes, so that a larger block is still
 * recognised) and the start of a report body, with room for the rest of
 * the response line. SEARCH answers one line for the whole folder and gets
 * room for every UID its EXISTS allows, up to IMAP_MAX_SEARCH. */
#define IMAP_MAX_RESPONSE ((size_t)MSG_MAX_HEADER + 1 + IMAP_BCC_FETCH + MSG_MAX_BODY_SCAN + 65536)
#define IMAP_MAX_SEARCH ((size_t)64 << 20)
/* Bcc comes in a section of its own, cut at twice MSG_MAX_BCC: so much
 * is still a whole field as msg_parse reads one, and a longer field still
 * reads as longer than MSG_MAX_BCC (CRLFs of folding and the field name
 * take far less than half); a department's newsletter costs 2 KiB, not its
 * whole recipient list. */
#define IMAP_BCC_FETCH (2 * MSG_MAX_BCC)

struct imap {
	mailimap *s;
	char *host;
	int command_ms;
	int read_s;               /* the read timeout */
	_Atomic int64_t deadline; /* monotonic ms; 0 = no command running */
	_Atomic int fd;
	bool has_idle;
	uint32_t exists;          /* of the examined folder, for the SEARCH bound */
	char *selected;           /* the examined folder, or NULL */
	bool no_status;           /* the server refused STATUS */
	char *error;
	int64_t retry_ms;
};

int64_t imap_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void begin(struct imap *im)
{
	atomic_store(&im->deadline, imap_now_ms() + im->command_ms);
}

static void end(struct imap *im)
{
	atomic_store(&im->deadline, 0);
}

void imap_enforce_deadline(struct imap *im, int64_t now_ms)
{
	int64_t d = atomic_load(&im->deadline);
	int fd = atomic_load(&im->fd);
	if (d && now_ms > d && fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

void imap_abort(struct imap *im)
{
	int fd = atomic_load(&im->fd);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

static void set_error(struct imap *im, char *msg)
{
	free(im->error);
	im->error = msg;
}

const char *imap_error(const struct imap *im)
{
	return im->error ? im->error : "";
}

int64_t imap_retry_ms(const struct imap *im)
{
	return im->retry_ms;
}

bool imap_has_idle(const struct imap *im)
{
	return im->has_idle;
}

/* The server's last response text, made printable and short. */
static char *response_text(const struct imap *im)
{
	const char *t = im->s && im->s->imap_response ? im->s->imap_response : "";
	return utf8_sanitize(t, strnlen(t, 300));
}

/* Classifies a libetpan error, reading the server's words where they
 * matter: Microsoft 365's "Request is throttled. Suggested Backoff Time:
 * N milliseconds", and the RFC 5530 codes that mean "try later". */
static enum imap_fail fail(struct imap *im, int r, const char *what)
{
	char *resp = response_text(im);
	const char *sugg = strstr(resp, "Suggested Backoff Time:");
	enum imap_fail f = IMAP_TEMPORARY;
	im->retry_ms = 0;
	if (sugg) {
		im->retry_ms = strtoll(sugg + strlen("Suggested Backoff Time:"), NULL, 10);
		f = IMAP_THROTTLED;
	}
	int64_t deadline = atomic_load(&im->deadline), now = imap_now_ms();
	bool timed_out = deadline && now > deadline;
	/* a stream error this long after the command began may be the read
	 * timeout: libetpan reports both alike */
	bool maybe_silent = deadline && now - (deadline - im->command_ms) >= im->read_s * 1000LL;
	size_t limit = 0;
	mailstream_low *low = im->s && im->s->imap_stream ? mailstream_get_low(im->s->imap_stream)
							     : NULL;
	if (low && stream_overflowed(low, &limit))
		set_error(im, xasprintf("%s: the server sent more than %zu bytes for one response; "
					"connection dropped", what, limit));
	else if (timed_out)
		set_error(im, xasprintf("%s: no complete answer within %d s", what,
					im->command_ms / 1000));
	else if (r == MAILIMAP_ERROR_CONNECTION_REFUSED)
		set_error(im, xasprintf("%s: connection refused", what));
	else if (r == MAILIMAP_ERROR_STREAM && maybe_silent)
		set_error(im, xasprintf("%s: connection lost, or no data for %d s", what,
					im->read_s));
	else if (r == MAILIMAP_ERROR_STREAM)
		set_error(im, xasprintf("%s: connection lost", what));
	else if (r == MAILIMAP_ERROR_SSL)
		set_error(im, xasprintf("%s: the TLS handshake failed (the connection was lost, "
					"or the server does not speak TLS on this port)", what));
	else if (*resp)
		set_error(im, xasprintf("%s failed: %s", what, resp));
	else
		set_error(im, xasprintf("%s failed (libetpan error %d)", what, r));
	free(resp);
	end(im);
	return f;
}

static mailstream_low *low_of(const struct imap *im)
{
	return im->s && im->s->imap_stream ? mailstream_get_low(im->s->imap_stream) : NULL;
}

/* Before a command: the response bound that fits it. */
static void limit(struct imap *im, size_t bytes)
{
	mailstream_low *low = low_of(im);
	if (low)
		stream_set_limit(low, bytes);
}

/* AUTHENTICATE OAUTHBEARER (RFC 7628) with the initial response on the
 * command line (SASL-IR), the way libetpan does XOAUTH2: on a refusal the
 * server sends a continuation with an error document, which is answered
 * with the dummy response before the tagged NO. */
static int oauthbearer(struct imap *im, const char *user, const char *token)
{
	char *gs2 = xasprintf("n,a=%s,\001auth=Bearer %s\001\001", user, token);
	gnutls_datum_t in = {(unsigned char *)gs2, (unsigned)strlen(gs2)}, out = {NULL, 0};
	int r = gnutls_base64_encode2(&in, &out);
	explicit_bzero(gs2, strlen(gs2));
	free(gs2);
	if (r < 0)
		return MAILIMAP_ERROR_MEMORY;
	mailstream_set_privacy(im->s->imap_stream, 0);
	r = mailimap_send_current_tag(im->s);
	const char *verb = "AUTHENTICATE OAUTHBEARER ";
	if (r == MAILIMAP_NO_ERROR &&
	    (mailstream_write(im->s->imap_stream, verb, strlen(verb)) < 0 ||
	     mailstream_write(im->s->imap_stream, out.data, out.size) < 0 ||
	     mailstream_write(im->s->imap_stream, "\r\n", 2) < 0 ||
	     mailstream_flush(im->s->imap_stream) < 0))
		r = MAILIMAP_ERROR_STREAM;
	mailstream_set_privacy(im->s->imap_stream, 1);
	explicit_bzero(out.data, out.size);
	gnutls_free(out.data);
	if (r != MAILIMAP_NO_ERROR)
		return r;
	char *line = mailimap_read_line(im->s);
	if (!line)
		return MAILIMAP_ERROR_STREAM;
	if (line[0] == '+') {
		if (mailstream_write(im->s->imap_stream, "AQ==\r\n", 6) < 0 ||
		    mailstream_flush(im->s->imap_stream) < 0)
			return MAILIMAP_ERROR_STREAM;
	}
	struct mailimap_response *resp = NULL;
	if ((r = mailimap_parse_response(im->s, &resp)) != MAILIMAP_NO_ERROR)
		return r;
	int code = resp->rsp_resp_done && resp->rsp_resp_done->rsp_type == MAILIMAP_RESP_DONE_TYPE_TAGGED
			   ? resp->rsp_resp_done->rsp_data.rsp_tagged->rsp_cond_state->rsp_type
			   : MAILIMAP_RESP_COND_STATE_BAD;
	mailimap_response_free(resp);
	if (code != MAILIMAP_RESP_COND_STATE_OK)
		return MAILIMAP_ERROR_LOGIN;
	im->s->imap_state = MAILIMAP_STATE_AUTHENTICATED;
	return MAILIMAP_NO_ERROR;
}

enum imap_fail imap_open(const struct conf_account *a, const char *secret, int timeout_s,
			 int command_s, struct imap **ret, char **ret_error)
{
	struct imap *im = xcalloc(1, sizeof(*im));
	enum imap_fail f = IMAP_OK;
	int r;

	im->host = xstrdup(a->host);
	im->command_ms = command_s * 1000;
	im->read_s = timeout_s;
	atomic_store(&im->fd, -1);
	im->s = mailimap_new(0, NULL);
	if (!im->s)
		abort();
	mailimap_set_timeout(im->s, timeout_s); /* applies to streams made after it */

	begin(im);
	int fd = -1;
	char *why = NULL;
	if ((r = net_connect(a->host, a->port, timeout_s, &fd, &why)) < 0) {
		set_error(im, why);
		end(im);
		f = IMAP_TEMPORARY;
		goto out;
	}
	atomic_store(&im->fd, fd);
	mailstream_low *low = stream_new(fd, timeout_s, IMAP_MAX_RESPONSE);
	/* implicit TLS: verified before even the greeting is read */
	if (a->tls == CONF_TLS_IMPLICIT && (r = stream_start_tls(low, a->host, a->ca_file,
								&why)) < 0) {
		mailstream_low_free(low);
		atomic_store(&im->fd, -1);
		set_error(im, xasprintf("%s:%d: %s", a->host, a->port, why));
		free(why);
		end(im);
		f = r == -ETIMEDOUT ? IMAP_TEMPORARY : IMAP_TLS;
		goto out;
	}
	mailstream *stream = mailstream_new(low, 8192);
	if (!stream)
		abort();
	r = mailimap_connect(im->s, stream);
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_AUTHENTICATED &&
	    r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED) {
		f = fail(im, r, "greeting");
		goto out;
	}

	if (a->tls == CONF_TLS_STARTTLS) {
		struct mailimap_capability_data *cap = NULL;
		if ((r = mailimap_capability(im->s, &cap)) != MAILIMAP_NO_ERROR) {
			f = fail(im, r, "CAPABILITY");
			goto out;
		}
		mailimap_capability_data_free(cap);
		if (!mailimap_has_extension(im->s, "STARTTLS")) {
			set_error(im, xasprintf("%s:%d does not offer STARTTLS; refusing to log in "
						"without TLS", a->host, a->port));
			f = IMAP_CONFIG;
			goto out;
		}
		if ((r = mailimap_starttls(im->s)) != MAILIMAP_NO_ERROR) {
			f = fail(im, r, "STARTTLS");
			goto out;
		}
		/* bytes that came in clear after the answer would be read as
		 * if they had come through TLS (CVE-2011-0411's class) */
		if (im->s->imap_stream->read_buffer_len > 0) {
			set_error(im, xasprintf("%s:%d sent data in clear text after accepting "
						"STARTTLS; refusing the connection", a->host, a->port));
			f = IMAP_TLS;
			goto out;
		}
		if ((r = stream_start_tls(low, a->host, a->ca_file, &why)) < 0) {
			set_error(im, xasprintf("%s:%d: %s", a->host, a->port, why));
			free(why);
			end(im);
			f = r == -ETIMEDOUT ? IMAP_TEMPORARY : IMAP_TLS;
			goto out;
		}
	}

	struct mailimap_capability_data *cap = NULL;
	if ((r = mailimap_capability(im->s, &cap)) != MAILIMAP_NO_ERROR) {
		f = fail(im, r, "CAPABILITY");
		goto out;
	}
	mailimap_capability_data_free(cap);

	if (a->auth == CONF_AUTH_OAUTHBEARER) {
		if (!mailimap_has_authentication(im->s, "OAUTHBEARER") ||
		    !mailimap_has_extension(im->s, "SASL-IR")) {
			set_error(im, xasprintf("%s does not offer AUTH=OAUTHBEARER with SASL-IR",
						a->host));
			f = IMAP_CONFIG;
			goto out;
		}
		r = oauthbearer(im, a->user, secret);
	} else if (a->auth == CONF_AUTH_XOAUTH2) {
		if (!mailimap_has_xoauth2(im->s)) {
			set_error(im, xasprintf("%s does not offer AUTH=XOAUTH2", a->host));
			f = IMAP_CONFIG;
			goto out;
		}
		r = mailimap_oauth2_authenticate(im->s, a->user, secret);
	} else {
		r = mailimap_login(im->s, a->user, secret);
	}
	if (r != MAILIMAP_NO_ERROR) {
		f = fail(im, r, "login");
		/* a refusal is permanent unless the server said it is passing */
		char *resp = response_text(im);
		if (f == IMAP_TEMPORARY && r != MAILIMAP_ERROR_STREAM &&
		    !strstr(resp, "[UNAVAILABLE]") && !strstr(resp, "[INUSE]") &&
		    !strstr(resp, "[SERVERBUG]"))
			f = IMAP_AUTH;
		free(resp);
		goto out;
	}
	/* servers may announce more capabilities after login */
	cap = NULL;
	if (mailimap_capability(im->s, &cap) == MAILIMAP_NO_ERROR)
		mailimap_capability_data_free(cap);
	im->has_idle = mailimap_has_idle(im->s);
	end(im);
out:
	if (f != IMAP_OK) {
		*ret_error = xstrdup(imap_error(im));
		imap_close(im);
		return f;
	}
	*ret = im;
	return IMAP_OK;
}

void imap_close(struct imap *im)
{
	if (!im)
		return;
	if (im->s) {
		if (atomic_load(&im->fd) >= 0) {
			im->command_ms = 5000;
			begin(im);
			mailimap_logout(im->s);
		}
		mailimap_free(im->s);
	}
	free(im->host);
	free(im->error);
	free(im->selected);
	free(im);
}

/* ---- folders -------------------------------------------------------------- */

static bool has_flag(const struct mailimap_mailbox_list *mb, const char *flag, int type)
{
	(void)type;
	if (!mb->mb_flag || !mb->mb_flag->mbf_oflags)
		return false;
	for (clistiter *it = clist_begin(mb->mb_flag->mbf_oflags); it; it = clist_next(it)) {
		const struct mailimap_mbx_list_oflag *o = clist_content(it);
		if (o->of_type == MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT && o->of_flag_ext && flag) {
			const char *e = o->of_flag_ext[0] == '\\' ? o->of_flag_ext + 1 : o->of_flag_ext;
			if (ascii_strcasecmp(e, flag) == 0)
				return true;
		}
	}
	return false;
}

enum imap_fail imap_list(struct imap *im, struct strlist *ret_names, char **ret_sent)
{
	clist *list = NULL;
	begin(im);
	int r = mailimap_list(im->s, "", "*", &list);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, r, "LIST");
	end(im);
	*ret_sent = NULL;
	for (clistiter *it = list ? clist_begin(list) : NULL; it; it = clist_next(it)) {
		const struct mailimap_mailbox_list *mb = clist_content(it);
		bool noselect = mb->mb_flag && mb->mb_flag->mbf_type == MAILIMAP_MBX_LIST_FLAGS_SFLAG &&
				mb->mb_flag->mbf_sflag == MAILIMAP_MBX_LIST_SFLAG_NOSELECT;
		if (!mb->mb_name || noselect ||
		    has_flag(mb, "NonExistent", MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT))
			continue;
		sl_add_unique(ret_names, mb->mb_name);
		if (!*ret_sent && has_flag(mb, "Sent", MAILIMAP_MBX_LIST_OFLAG_FLAG_EXT))
			*ret_sent = xstrdup(mb->mb_name);
	}
	if (list)
		mailimap_list_result_free(list);
	return IMAP_OK;
}

enum imap_fail imap_examine(struct imap *im, const char *folder, struct imap_folder_info *ret)
{
	free(im->selected);
	im->selected = NULL;
	begin(im);
	int r = mailimap_examine(im->s, folder);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, r, "EXAMINE");
	end(im);
	im->selected = xstrdup(folder);
	const struct mailimap_selection_info *si = im->s->imap_selection_info;
	*ret = (struct imap_folder_info){0};
	if (si) {
		ret->uidvalidity = si->sel_uidvalidity;
		ret->uidnext = si->sel_uidnext;
		ret->exists = si->sel_exists;
	}
	im->exists = ret->exists;
	return IMAP_OK;
}

/* Whether the mailbox name of a STATUS answer is want: libetpan 1.9.4
 * hands a quoted name over with its quotes and backslashes. */
static bool same_mailbox(const char *got, const char *want)
{
	size_t n = strlen(got);
	if (n < 2 || got[0] != '"' || got[n - 1] != '"')
		return strcmp(got, want) == 0;
	for (size_t i = 1; i < n - 1; i++, want++) {
		if (got[i] == '\\' && i + 1 < n - 1)
			i++;
		if (got[i] != *want)
			return false;
	}
	return *want == '\0';
}

enum imap_fail imap_status(struct imap *im, const char *folder, struct imap_folder_info *ret,
			   bool *ret_known)
{
	*ret = (struct imap_folder_info){0};
	*ret_known = false;
	/* RFC 3501 6.3.10: not the way to look for new mail in the
	 * selected folder */
	if (im->no_status || (im->selected && strcmp(im->selected, folder) == 0))
		return IMAP_OK;
	static const int want[] = {MAILIMAP_STATUS_ATT_MESSAGES, MAILIMAP_STATUS_ATT_UIDNEXT,
				   MAILIMAP_STATUS_ATT_UIDVALIDITY};
	struct mailimap_status_att_list *atts = mailimap_status_att_list_new_empty();
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		mailimap_status_att_list_add(atts, want[i]);
	struct mailimap_mailbox_data_status *st = NULL;
	begin(im);
	int r = mailimap_status(im->s, folder, atts, &st);
	mailimap_status_att_list_free(atts);
	/* a refusal, NO or BAD (libetpan's "protocol error", as for a tag
	 * out of step: then the EXAMINE that follows fails), leaves it to
	 * EXAMINE, on this connection from now on */
	bool refused = r == MAILIMAP_ERROR_STATUS || r == MAILIMAP_ERROR_PROTOCOL;
	if (r != MAILIMAP_NO_ERROR && !refused) {
		if (st)
			mailimap_mailbox_data_status_free(st);
		return fail(im, r, "STATUS");
	}
	end(im);
	im->no_status = refused;
	unsigned seen = 0;
	/* only an answer about this folder, with all three values, counts */
	if (r == MAILIMAP_NO_ERROR && st && st->st_mailbox && same_mailbox(st->st_mailbox, folder))
		for (clistiter *it = st->st_info_list ? clist_begin(st->st_info_list) : NULL; it;
		     it = clist_next(it)) {
			const struct mailimap_status_info *si = clist_content(it);
			if (si->st_att == MAILIMAP_STATUS_ATT_MESSAGES) {
				ret->exists = si->st_value;
				seen |= 1;
			} else if (si->st_att == MAILIMAP_STATUS_ATT_UIDNEXT) {
				ret->uidnext = si->st_value;
				seen |= 2;
			} else if (si->st_att == MAILIMAP_STATUS_ATT_UIDVALIDITY) {
				ret->uidvalidity = si->st_value;
				seen |= 4;
			}
		}
	if (st)
		mailimap_mailbox_data_status_free(st);
	*ret_known = seen == 7;
	return IMAP_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j == i)
			mailimap_set_add_single(set, uids[i]);
		else
			mailimap_set_add_interval(set, uids[i], uids[j]);
		i = j + 1;
	}
	return set;
}

/* Runs UID SEARCH key (freed here): the UIDs >= from, and, when only is
 * set, among only[0..nonly) (ascending), sorted, without repeats. */
static enum imap_fail run_search(struct imap *im, struct mailimap_search_key *key,
				 uint32_t from, const uint32_t *only, size_t nonly,
				 uint32_t **ret_uids, size_t *ret_n)
{
	clist *result = NULL;
	/* "4294967295 " per message EXISTS reports, within reason */
	size_t bound = (size_t)im->exists * 11 + 65536;
	limit(im, bound < IMAP_MAX_SEARCH ? bound : IMAP_MAX_SEARCH);
	begin(im);
	int r = mailimap_uid_search(im->s, NULL, key, &result);
	limit(im, IMAP_MAX_RESPONSE);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, r, "UID SEARCH");
	end(im);
	size_t n = 0;
	uint32_t *uids = xcalloc((result ? (size_t)clist_count(result) : 0) + 1, sizeof(*uids));
	for (clistiter *it = result ? clist_begin(result) : NULL; it; it = clist_next(it)) {
		uint32_t u = *(uint32_t *)clist_content(it);
		/* "UID n:*" also answers the highest UID when it is below n */
		if (u >= from && u > 0 &&
		    (!only || bsearch(&u, only, nonly, sizeof(u), cmp_u32)))
			uids[n++] = u;
	}
	if (result)
		mailimap_search_result_free(result);
	qsort(uids, n, sizeof(*uids), cmp_u32);
	/* a server may name a UID twice */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 || uids[i] != uids[k - 1])
			uids[k++] = uids[i];
	*ret_uids = uids;
	*ret_n = k;
	return IMAP_OK;
}

enum imap_fail imap_search(struct imap *im, int64_t since, uint32_t from, uint32_t **ret_uids,
			   size_t *ret_n)
{
	struct mailimap_search_key *key;
	if (since > 0) {
		time_t t = (time_t)since;
		struct tm tm;
		gmtime_r(&t, &tm);
		key = mailimap_search_key_new_since(
			mailimap_date_new(tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900));
	} else {
		key = mailimap_search_key_new_uid(mailimap_set_new_interval(from ? from : 1, 0));
	}
	return run_search(im, key, from, NULL, 0, ret_uids, ret_n);
}

enum imap_fail imap_search_present(struct imap *im, const uint32_t *uids, size_t n,
				   uint32_t **ret_uids, size_t *ret_n)
{
	if (n == 0) {
		*ret_uids = xcalloc(1, sizeof(**ret_uids));
		*ret_n = 0;
		return IMAP_OK;
	}
	return run_search(im, mailimap_search_key_new_uid(uid_set(uids, n)), 1, uids, n,
			  ret_uids, ret_n);
}

/* ---- fetching ----------------------------------------------------------- */

/* The three FETCHes of a batch: the header fields of every UID, then the
 * start of the body of possible delivery reports, then INTERNALDATE of
 * those whose Date field gives no date. Only the first makes entries. */
enum fetch_pass { PASS_HEADER, PASS_BODY, PASS_DATE };

struct fetch_ctx {
	struct imap_msg *m;
	size_t n, cap;
	enum fetch_pass pass;
	const uint32_t *want;   /* the UIDs asked for, ascending */
	size_t nwant;
	size_t *slot;           /* per UID of want: its entry + 1, 0 none (lazy) */
};

static int64_t imap_date_to_epoch(const struct mailimap_date_time *d)
{
	/* untrusted: a zone is at most +-9959, a date a real one */
	if (d->dt_zone < -9959 || d->dt_zone > 9959 || d->dt_year < 1970 || d->dt_year > 9999 ||
	    d->dt_month < 1 || d->dt_month > 12 || d->dt_day < 1 || d->dt_day > 31)
		return 0;
	int z = d->dt_zone < 0 ? -d->dt_zone : d->dt_zone;
	int off = (z / 100) * 3600 + (z % 100) * 60;
	return civil_to_epoch(d->dt_year, d->dt_month, d->dt_day, d->dt_hour, d->dt_min,
			      d->dt_sec) - (d->dt_zone < 0 ? -off : off);
}

/* The index of uid in the (sorted) UIDs asked for, or -1. */
static ptrdiff_t wanted(const struct fetch_ctx *x, uint32_t uid)
{
	const uint32_t *p = bsearch(&uid, x->want, x->nwant, sizeof(uid), cmp_u32);
	return p ? p - x->want : -1;
}

/* The entry of a UID that was asked for, made on its first answer with
 * header data; NULL for anything else (untrusted: a server may answer
 * UIDs nobody asked for, or FLAGS changes of other messages). */
static struct imap_msg *entry(struct fetch_ctx *x, uint32_t uid, bool has_part)
{
	ptrdiff_t w = wanted(x, uid);
	if (w < 0)
		return NULL;
	if (!x->slot) { /* entry index + 1 per UID asked for; 0: none yet */
		x->slot = xcalloc(x->nwant + 1, sizeof(*x->slot));
		for (size_t i = 0; i < x->n; i++) {
			ptrdiff_t k = wanted(x, x->m[i].uid);
			if (k >= 0)
				x->slot[k] = i + 1;
		}
	}
	if (x->slot[w])
		return &x->m[x->slot[w] - 1];
	if (x->pass != PASS_HEADER || !has_part)
		return NULL; /* the later passes only complete known entries */
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->m = xrealloc(x->m, x->cap * sizeof(*x->m));
	}
	x->m[x->n] = (struct imap_msg){.uid = uid};
	x->slot[w] = x->n + 1;
	return &x->m[x->n++];
}

/* Whether a body section is the Bcc one (HEADER.FIELDS (BCC)). */
static bool is_bcc_section(const struct mailimap_msg_att_body_section *b)
{
	const struct mailimap_section_spec *sp = b->sec_section ? b->sec_section->sec_spec : NULL;
	if (!sp || sp->sec_type != MAILIMAP_SECTION_SPEC_SECTION_MSGTEXT ||
	    !sp->sec_data.sec_msgtext ||
	    sp->sec_data.sec_msgtext->sec_type != MAILIMAP_SECTION_MSGTEXT_HEADER_FIELDS ||
	    !sp->sec_data.sec_msgtext->sec_header_list)
		return false;
	clist *l = sp->sec_data.sec_msgtext->sec_header_list->hdr_list;
	return l && clist_count(l) == 1 && ascii_strcasecmp(clist_content(clist_begin(l)), "Bcc") == 0;
}

/* Puts the start of the Bcc field (bcc[0..n), at most IMAP_BCC_FETCH bytes)
 * into the header block before its closing empty line, whole lines of a
 * "Bcc:" field only, so that msg_parse reads the block as if the field had
 * been in it. */
static void add_bcc(struct imap_msg *m, const char *bcc, size_t n)
{
	if (n > IMAP_BCC_FETCH)
		n = IMAP_BCC_FETCH;
	while (n && (bcc[n - 1] == '\r' || bcc[n - 1] == '\n'))
		n--;
	if (n < 4 || ascii_strncasecmp(bcc, "bcc:", 4) != 0 || memchr(bcc, '\0', n))
		return;
	size_t keep = m->len;
	if (keep >= 2 && m->data[keep - 1] == '\n' && m->data[keep - 2] == '\r' &&
	    (keep == 2 || (keep >= 4 && m->data[keep - 3] == '\n')))
		keep -= 2; /* the empty line that ends the block */
	else if (keep && m->data[keep - 1] == '\n' && (keep == 1 || m->data[keep - 2] == '\n'))
		keep -= 1;
	char *d = xmalloc(keep + n + 5);
	memcpy(d, m->data, keep);
	memcpy(d + keep, bcc, n);
	memcpy(d + keep + n, "\r\n\r\n", 5);
	free(m->data);
	m->data = d;
	m->len = keep + n + 4;
	m->bcc = true;
}

/* Called by libetpan for each FETCH response as it arrives; libetpan frees
 * the item afterwards, so only one message's data is held at a time. */
static void on_att(struct mailimap_msg_att *att, void *ud)
{
	struct fetch_ctx *x = ud;
	uint32_t uid = 0;
	int64_t idate = 0;
	const char *part = NULL, *bcc = NULL;
	size_t plen = 0, blen = 0;

	for (clistiter *it = clist_begin(att->att_list); it; it = clist_next(it)) {
		const struct mailimap_msg_att_item *item = clist_content(it);
		if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC || !item->att_data.att_static)
			continue;
		const struct mailimap_msg_att_static *st = item->att_data.att_static;
		if (st->att_type == MAILIMAP_MSG_ATT_UID)
			uid = st->att_data.att_uid;
		else if (st->att_type == MAILIMAP_MSG_ATT_INTERNALDATE && st->att_data.att_internal_date)
			idate = imap_date_to_epoch(st->att_data.att_internal_date);
		else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION &&
			 st->att_data.att_body_section && st->att_data.att_body_section->sec_body_part) {
			const struct mailimap_msg_att_body_section *b = st->att_data.att_body_section;
			if (x->pass == PASS_HEADER && is_bcc_section(b)) {
				bcc = b->sec_body_part;
				blen = b->sec_length;
			} else {
				part = b->sec_body_part;
				plen = b->sec_length;
			}
		}
	}
	if (!uid)
		return;
	struct imap_msg *m = entry(x, uid, part != NULL);
	if (!m)
		return;
	if (idate && !m->internal_date)
		m->internal_date = idate;
	if (part && x->pass == PASS_HEADER && !m->data) {
		if (plen > (size_t)MSG_MAX_HEADER + 1)
			plen = (size_t)MSG_MAX_HEADER + 1;
		m->data = xstrndup(part, plen);
		m->len = plen;
	}
	/* the Bcc section (never in the body pass): with the header or in
	 * an answer of its own after it */
	if (bcc && m->data && !m->bcc)
		add_bcc(m, bcc, blen);
	if (!part || x->pass != PASS_BODY || m->bounce_body)
		return; /* a body answered twice: the first answer stands */
	if (plen > MSG_MAX_BODY_SCAN)
		plen = MSG_MAX_BODY_SCAN;
	m->data = xrealloc(m->data, m->len + plen + 1);
	memcpy(m->data + m->len, part, plen);
	m->len += plen;
	m->data[m->len] = '\0';
	m->bounce_body = true;
}

/* libetpan 1.9.4 hands FETCH items to the handler only while a progress
 * callback is set (mailimap_parse_response): this one does nothing else. */
static void no_progress(size_t current, size_t maximum, void *ud)
{
	(void)current;
	(void)maximum;
	(void)ud;
}

static enum imap_fail run_fetch(struct imap *im, struct mailimap_set *set,
				struct mailimap_fetch_type *type, struct fetch_ctx *x,
				const char *what)
{
	clist *result = NULL;
	mailimap_set_msg_att_handler(im->s, on_att, x);
	mailimap_set_progress_callback(im->s, NULL, no_progress, NULL);
	begin(im);
	int r = mailimap_uid_fetch(im->s, set, type, &result);
	mailimap_set_progress_callback(im->s, NULL, NULL, NULL);
	mailimap_set_msg_att_handler(im->s, NULL, NULL);
	mailimap_fetch_type_free(type);
	mailimap_set_free(set);
	if (result)
		mailimap_fetch_list_free(result);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, r, what);
	end(im);
	return IMAP_OK;
}

static int cmp_msg(const void *a, const void *b)
{
	const struct imap_msg *x = a, *y = b;
	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* A later pass: UID and att of uids[0..n) (in any order; sorted here),
 * completing the entries the header pass made. */
static enum imap_fail next_pass(struct imap *im, struct fetch_ctx *x, enum fetch_pass pass,
				uint32_t *uids, size_t n, struct mailimap_fetch_att *att,
				const char *what)
{
	qsort(uids, n, sizeof(*uids), cmp_u32);
	struct mailimap_fetch_type *type = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(type, att);
	x->pass = pass;
	free(x->slot); /* it indexes the UIDs asked for */
	x->slot = NULL;
	x->want = uids;
	x->nwant = n;
	return run_fetch(im, uid_set(uids, n), type, x, what);
}

enum imap_fail imap_fetch(struct imap *im, const uint32_t *uids, size_t n,
			  struct imap_msg **ret, size_t *ret_n)
{
	struct fetch_ctx x = {0};
	if (n == 0) {
		*ret = NULL;
		*ret_n = 0;
		return IMAP_OK;
	}
	clist *names = clist_new();
	for (size_t i = 0; i < ARRAY_SIZE(header_fields); i++)
		clist_append(names, xstrdup(header_fields[i]));
	struct mailimap_fetch_type *type = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(type, mailimap_fetch_att_new_uid());
	/* one byte more than is parsed: a larger block is still recognised
	 * as such, and no conforming answer passes IMAP_MAX_RESPONSE */
	mailimap_fetch_type_new_fetch_att_list_add(
		type, mailimap_fetch_att_new_body_peek_section_partial(
			      mailimap_section_new_header_fields(mailimap_header_list_new(names)), 0,
			      MSG_MAX_HEADER + 1));
	clist *bcc = clist_new();
	clist_append(bcc, xstrdup("Bcc"));
	mailimap_fetch_type_new_fetch_att_list_add(
		type, mailimap_fetch_att_new_body_peek_section_partial(
			      mailimap_section_new_header_fields(mailimap_header_list_new(bcc)), 0,
			      IMAP_BCC_FETCH));
	x.want = uids;
	x.nwant = n;
	enum imap_fail f = run_fetch(im, uid_set(uids, n), type, &x, "UID FETCH");

	/* second pass: the start of the body of what may be a bounce */
	uint32_t *b = xcalloc(x.n + 1, sizeof(*b));
	size_t nb = 0;
	for (size_t i = 0; f == IMAP_OK && i < x.n; i++)
		if (x.m[i].data && msg_may_be_report(x.m[i].data, x.m[i].len))
			b[nb++] = x.m[i].uid;
	if (f == IMAP_OK && nb)
		f = next_pass(im, &x, PASS_BODY, b, nb,
			      mailimap_fetch_att_new_body_peek_section_partial(
				      mailimap_section_new_text(), 0, MSG_MAX_BODY_SCAN),
			      "UID FETCH (report body)");

	/* third pass: INTERNALDATE, where the Date field gives no date, read
	 * off the data as msg_parse will have it */
	nb = 0;
	for (size_t i = 0; f == IMAP_OK && i < x.n; i++)
		if (x.m[i].data && !msg_header_dated(x.m[i].data, x.m[i].len))
			b[nb++] = x.m[i].uid;
	if (f == IMAP_OK && nb)
		f = next_pass(im, &x, PASS_DATE, b, nb, mailimap_fetch_att_new_internaldate(),
			      "UID FETCH (INTERNALDATE)");
	free(b);
	free(x.slot);
	if (f != IMAP_OK) {
		imap_msgs_free(x.m, x.n);
		return f;
	}
	if (x.n)
		qsort(x.m, x.n, sizeof(*x.m), cmp_msg);
	*ret = x.m;
	*ret_n = x.n;
	return IMAP_OK;
}

void imap_msgs_free(struct imap_msg *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(m[i].data);
	free(m);
}

/* ---- IDLE ---------------------------------------------------------------- */

enum imap_fail imap_idle(struct imap *im, int timeout_s, volatile int *stop, bool *ret_activity)
{
	*ret_activity = false;
	if (!im->has_idle) {
		set_error(im, xstrdup("the server does not offer IDLE"));
		return IMAP_CONFIG;
	}
	begin(im);
	int r = mailimap_idle(im->s);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, r, "IDLE");
	end(im);
	int fd = mailimap_idle_get_fd(im->s);
	int64_t until = imap_now_ms() + (int64_t)timeout_s * 1000;
	/* a notice may already sit in libetpan's buffer, read together with
	 * the continuation line */
	if ((im->s->imap_stream && im->s->imap_stream->read_buffer_len > 0) ||
	    (low_of(im) && stream_pending(low_of(im))))
		*ret_activity = true;
	while (!*ret_activity && !(stop && *stop) && imap_now_ms() < until) {
		struct pollfd p = {fd, POLLIN, 0};
		int k = poll(&p, 1, 1000);
		if (k > 0)
			*ret_activity = true;
		else if (k < 0 && errno != EINTR)
			break;
	}
	begin(im);
	r = mailimap_idle_done(im->s);
	if (r != MAILIMAP_NO_ERROR)
		return fail(im, r, "IDLE DONE");
	end(im);
	return IMAP_OK;
}
