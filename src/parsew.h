/* parsew: runs message parsing in a child process, so that a message that
 * crashes or hangs the parser costs only that message (it is quarantined
 * by the caller) and never the daemon or an import. The child is a fork of
 * the caller, started before any database or network connection is
 * opened; it is restarted after it dies or is killed for a timeout. */
#ifndef RAPPORT_PARSEW_H
#define RAPPORT_PARSEW_H

#include "msg.h"

#define PARSEW_TIMEOUT_MS 10000

struct parsew;

/* The parse function the worker runs; msg_parse in production, something
 * that misbehaves on purpose in tests. */
typedef int (*parsew_fn)(const char *data, size_t len, const struct msg_src_date *src,
			 struct msg *ret);

/* Starts a worker running fn (NULL: msg_parse) with a per-message
 * deadline of timeout_ms (0: PARSEW_TIMEOUT_MS). 0 or a negative errno. */
int parsew_start(parsew_fn fn, int timeout_ms, struct parsew **ret);

/* Parses one message in the worker. Returns 0 and fills *ret (msg_free it);
 * msg_parse's own errors (-EINVAL, -E2BIG); -ECHILD when the worker died on
 * this message, -ETIMEDOUT when it did not answer in time (it is killed);
 * in both cases a new worker is started for the next call (if that fails,
 * later calls return -ECHILD too). */
int parsew_parse(struct parsew *w, const char *data, size_t len,
		 const struct msg_src_date *src, struct msg *ret);

/* One message of a batch: data, len and src are the caller's; status
 * and msg (when status is 0: msg_free it) are the answer. A job without
 * data is answered -EINVAL without going to the worker. */
struct parsew_job {
	const char *data;
	size_t len;
	struct msg_src_date src;
	int status;
	struct msg msg;
};

/* Parses jobs[0..n) in the worker, in order, as parsew_parse would one
 * by one, but streaming: the requests go out while the answers come
 * back in groups, one round trip for the batch. A job that crashes or
 * hangs the worker gets -ECHILD or -ETIMEDOUT (a hang: no progress for
 * timeout_ms, so it is seen one to two timeouts after the job started);
 * the jobs it had finished but not yet answered, and the jobs after it, go
 * to a new worker. */
void parsew_parse_batch(struct parsew *w, struct parsew_job *jobs, size_t n);

/* The same, behind the caller's back: parsing jobs[0..n) starts on a
 * thread of its own and the call returns; parsew_wait waits for it to end
 * (the jobs are the thread's until then, and w may not be used otherwise).
 * So the caller stores one batch while the worker parses the next.
 * parsew_submit waits for a batch still running first. */
void parsew_submit(struct parsew *w, struct parsew_job *jobs, size_t n);
void parsew_wait(struct parsew *w);

/* How many times the worker was restarted. */
unsigned parsew_restarts(const struct parsew *w);

/* Stops the worker and frees w. NULL-safe. */
void parsew_stop(struct parsew *w);

/* The wire form of a record, exposed for tests: appends m to sb; reads it
 * back (0, or -EBADMSG on a malformed buffer). */
void parsew_pack(const struct msg *m, struct sbuf *sb);
int parsew_unpack(const char *data, size_t len, struct msg *ret);

#endif
