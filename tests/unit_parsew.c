/* Unit tests: parsew. A parser that crashes or hangs costs one message;
 * the worker comes back; records cross the process boundary intact. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "msg.h"
#include "parsew.h"

/* The worker's page of progress counters, as a worker taken over by
 * hostile mail would find it: the one shared anonymous page it has (none
 * found: the worker crashes, and the test sees the wrong status). */
static volatile uint64_t *counters(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long lo, hi;
	char perm[8];
	volatile uint64_t *c = NULL;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) == 3 && hi - lo == 4096 &&
		    strcmp(perm, "rw-s") == 0 && strstr(line, "/dev/zero"))
			c = (volatile uint64_t *)lo;
	if (f)
		fclose(f);
	if (!c)
		raise(SIGSEGV);
	return c;
}

/* misbehaves on purpose on marked input */
static int evil_parse(const char *data, size_t len, const struct msg_src_date *src,
		      struct msg *ret)
{
	if (len >= 5 && memcmp(data, "CRASH", 5) == 0)
		raise(SIGSEGV);
	if (len >= 4 && memcmp(data, "HANG", 4) == 0)
		for (;;)
			pause();
	/* lies in the counters, then hangs: claims far more than it was sent,
	 * or keeps them moving back and forth as if it made progress */
	if (len >= 3 && memcmp(data, "LIE", 3) == 0) {
		volatile uint64_t *c = counters();
		c[0] = 1000000;
		for (;;)
			pause();
	}
	if (len >= 4 && memcmp(data, "FLAP", 4) == 0) {
		volatile uint64_t *c = counters();
		/* "finished" runs over the 100 requests of its batch and
		 * back, so that almost every look at it sees it moved */
		for (uint64_t base = c[1], k = 0;; k = (k + 1) % 100) {
			c[1] = base + k;
			c[0] = base + k;
			nanosleep(&(struct timespec){0, 1000000}, NULL);
		}
	}
	return msg_parse(data, len, src, ret);
}

static const char good[] =
	"From: Ada <ada@x.example>\nTo: l@u.example, b@u.example\nCc: c@u.example\n"
	"Subject: =?UTF-8?Q?caf=C3=A9?=\nDate: Mon, 01 Apr 2024 08:00:00 +0000\n"
	"Message-ID: <g@x>\nIn-Reply-To: <p@x>\nReferences: <r@x> <p@x>\n"
	"List-Id: <l.x>\nPrecedence: bulk\nAuto-Submitted: no\n\nbody\n";

/* Every string of up to three of these pieces decodes as libetpan does:
 * white space of each kind, leading, trailing and doubled, pieces of an
 * encoded word, 8-bit text that is UTF-8 and that is not. */
static void decode_agrees(void)
{
	static const char *const piece[] = {
		"a", "Re:", " ", "  ", "\t", "\r\n ", "\n", "=", "?", "=?", "?=",
		"=?utf-8?q?caf=C3=A9?=", "=?iso-8859-1?b?6Q==?=", "\"", "\xc3\xa9", "\xe9", "(x)",
	};
	size_t np = sizeof(piece) / sizeof(piece[0]), bad = 0, total = 0;
	char buf[256];
	for (size_t a = 0; a <= np; a++)
		for (size_t b = 0; b <= np; b++)
			for (size_t c = 0; c < np; c++) {
				snprintf(buf, sizeof(buf), "%s%s%s", a < np ? piece[a] : "",
					 b < np ? piece[b] : "", piece[c]);
				char *want = msg_decode_phrase(buf), *got = msg_decode_text(buf);
				total++;
				if (strcmp(want, got) != 0 && bad++ < 5)
					fprintf(stderr, "decoding \"%s\": \"%s\", libetpan \"%s\"\n",
						buf, got, want);
				free(want);
				free(got);
			}
	CHECK(total > 5000);
	CHECK_INT(bad, 0);
}

int main(void)
{
	decode_agrees();
	struct parsew *w;
	struct msg m, direct;
	struct msg_src_date src = {DATE_MBOX, 1700000000};

	CHECK_INT(parsew_start(evil_parse, 500, &w), 0);
	CHECK_INT(parsew_parse(w, good, strlen(good), &src, &m), 0);
	CHECK_INT(msg_parse(good, strlen(good), &src, &direct), 0);
	/* the record survives the wire form field by field */
	struct sbuf a = {0}, b = {0};
	parsew_pack(&m, &a);
	parsew_pack(&direct, &b);
	CHECK(a.len == b.len && memcmp(a.buf, b.buf, a.len) == 0);
	CHECK_STR(m.subject, "caf\xc3\xa9");
	CHECK_STR(m.references.v[1], "p@x");
	CHECK_INT(m.cc.n, 1);
	msg_free(&m);
	msg_free(&direct);

	/* a truncated wire form is refused, not misread */
	CHECK_INT(parsew_unpack(a.buf, a.len - 3, &m), -EBADMSG);
	sb_free(&a);
	sb_free(&b);

	CHECK_INT(parsew_parse(w, "CRASH", 5, &src, &m), -ECHILD);
	CHECK_INT(parsew_parse(w, good, strlen(good), &src, &m), 0);
	msg_free(&m);
	CHECK_INT(parsew_parse(w, "HANG", 4, &src, &m), -ETIMEDOUT);
	CHECK_INT(parsew_parse(w, good, strlen(good), &src, &m), 0);
	msg_free(&m);
	CHECK_INT(parsew_restarts(w), 2);
	/* a worker that lies in its progress counters is not believed: it is
	 * killed as broken, and one that only moves them is still given no
	 * more than a timeout or two a message, not forever */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(parsew_parse(w, "LIE", 3, &src, &m), -ECHILD);
	struct parsew_job flap[100];
	for (int i = 0; i < 100; i++)
		flap[i] = (struct parsew_job){i ? good : "FLAP", i ? strlen(good) : 4, src, 0, {0}};
	parsew_parse_batch(w, flap, 100);
	CHECK(flap[0].status == -ECHILD || flap[0].status == -ETIMEDOUT);
	int fine = 0;
	for (int i = 1; i < 100; i++) {
		fine += flap[i].status == 0;
		msg_free(&flap[i].msg);
	}
	CHECK_INT(fine, 99);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 8);
	CHECK_INT(parsew_parse(w, good, strlen(good), &src, &m), 0);
	msg_free(&m);
	/* one restart for the liar; for the flapper one, or two when the
	 * counters looked still at the deadline (then the answers it claimed
	 * to have made are asked of a new worker once, before it is blamed) */
	unsigned restarts = parsew_restarts(w);
	CHECK(restarts == 4 || restarts == 5);
	/* msg_parse's own refusal passes through without a restart */
	CHECK_INT(parsew_parse(w, "\n\nbody only", 11, &src, &m), -EINVAL);
	CHECK_INT(parsew_restarts(w), restarts);

	/* a batch: 3,000 messages (much more than a socket buffer holds each
	 * way) with a crash, a hang, refusals and jobs without data (never
	 * sent, between sent ones) among them; every answer is the one for
	 * its own message */
	enum { NB = 3000 };
	struct parsew_job *jobs = calloc(NB, sizeof(*jobs));
	char (*bodies)[600] = calloc(NB, sizeof(*bodies));
	for (int i = 0; i < NB; i++) {
		if (i == 7)
			snprintf(bodies[i], sizeof(bodies[i]), "CRASH");
		else if (i == 1500)
			snprintf(bodies[i], sizeof(bodies[i]), "HANG");
		else if (i % 100 == 42)
			snprintf(bodies[i], sizeof(bodies[i]), "\n\nbody only %d", i);
		else
			snprintf(bodies[i], sizeof(bodies[i]),
				 "From: n%d@x.example\nSubject: number %d\nMessage-ID: <%d@x>\n"
				 "To: %0400d@y.example\n\n", i, i, i, i);
		jobs[i].data = i % 250 == 3 || i % 250 == 4 ? NULL : bodies[i];
		jobs[i].len = strlen(bodies[i]);
		jobs[i].src = src;
	}
	parsew_parse_batch(w, jobs, NB);
	int right = 0;
	for (int i = 0; i < NB; i++) {
		char want[32];
		snprintf(want, sizeof(want), "number %d", i);
		if (i == 7)
			right += jobs[i].status == -ECHILD;
		else if (i == 1500)
			right += jobs[i].status == -ETIMEDOUT;
		else if (i % 100 == 42 || i % 250 == 3 || i % 250 == 4)
			right += jobs[i].status == -EINVAL;
		else
			right += jobs[i].status == 0 && strcmp(jobs[i].msg.subject, want) == 0;
		msg_free(&jobs[i].msg);
	}
	CHECK_INT(right, NB);
	CHECK_INT(parsew_restarts(w), restarts + 2);
	free(jobs);
	free(bodies);
	parsew_stop(w);
	return check_done("unit_parsew");
}
