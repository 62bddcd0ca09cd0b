/* Unit tests: hdr_value, one field of a block read as hdr_parse reads it,
 * and msg_header_dated, which decides whether an IMAP sync asks for
 * INTERNALDATE; hdr_copy_cut, the import's cut of a long Bcc. Whatever the
 * block (folding, white space runs, NULs, bare CRs, garbage lines, lines
 * longer than HDR_MAX_VALUE, several Bcc fields, more fields than
 * HDR_MAX_FIELDS), hdr_parse and msg_parse must read the cut copy as they
 * read the whole block: the same fields, each Bcc longer than the limit
 * as its own start and still longer, the same addresses and bcc_more.
 * And msg_may_be_report, which decides what body a message brings. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hdr.h"
#include "msg.h"
#include "util.h"

static uint64_t rng = 0x5eed1234abcdULL;

static unsigned pick(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A run of value bytes an attacker would pick around a cut: addresses,
 * commas, white space runs, NULs, bare CRs, 8-bit bytes. */
static void value_bytes(struct sbuf *b, size_t n)
{
	static const char *const bits[] = {"a@x.example", ", ", "Ann <ann@y.example>", " ",
					   "\t", "  \t ", ",", "\"Q, R\" <q@z.example>", "(c)",
					   "\xc3\xa9", "\r"};
	while (n > 0) {
		unsigned k = pick(14);
		if (k == 11) {
			sb_addc(b, '\0');
			n--;
			continue;
		}
		if (k >= 12) {
			sb_addc(b, (char)('a' + pick(26)));
			n--;
			continue;
		}
		const char *s = bits[k];
		size_t len = strlen(s);
		sb_add(b, s, len < n ? len : n);
		n -= len < n ? len : n;
	}
}

/* A hostile header block: fields called Bcc in every spelling hdr_parse
 * takes, long and short, folded anyhow, among others and garbage. */
static void block(struct sbuf *b, bool many_fields)
{
	static const char *const names[] = {"Bcc:", "bcc:", "BCC :", "Bcc\t:", "Bcc: ",
					    "To:", "Cc:", "X-Bcc:", "Bccx:", "Subject:"};
	const char *eol = pick(2) ? "\r\n" : "\n";
	sb_add(b, "From: ann@x.example", 19);
	sb_add(b, eol, strlen(eol));
	if (many_fields)
		for (size_t i = 0; i < HDR_MAX_FIELDS; i++) {
			sb_add(b, "X-F: 1", 6);
			sb_add(b, eol, strlen(eol));
		}
	unsigned nf = 1 + pick(6);
	for (unsigned f = 0; f < nf; f++) {
		unsigned k = pick(12);
		if (k >= 10) { /* a line that is no field, or a stray continuation */
			sb_add(b, k == 10 ? "garbage line" : " stray", k == 10 ? 12 : 6);
			sb_add(b, eol, strlen(eol));
			continue;
		}
		sb_add(b, names[k], strlen(names[k]));
		unsigned lines = pick(5);
		value_bytes(b, pick(2) ? pick(40) : 500 + pick(3000));
		for (unsigned l = 0; l < lines; l++) {
			sb_add(b, eol, strlen(eol));
			sb_addc(b, pick(2) ? ' ' : '\t');
			unsigned big = pick(40);
			if (big == 0) { /* longer than hdr_parse keeps: it drops the line */
				struct sbuf huge = {0};
				sb_reserve(&huge, HDR_MAX_VALUE + 10);
				memset(huge.buf, 'h', HDR_MAX_VALUE + 10);
				sb_add(b, huge.buf, HDR_MAX_VALUE + 10);
				sb_free(&huge);
			} else {
				value_bytes(b, big < 10 ? pick(4) : pick(1500));
			}
		}
		sb_add(b, eol, strlen(eol));
	}
	if (pick(4)) { /* the empty line and a body; else the block just ends */
		sb_add(b, eol, strlen(eol));
		sb_add(b, "Bcc: body@x.example, not a field", 32);
		sb_add(b, eol, strlen(eol));
	}
}

/* Where the cut copy of data reads differently from data: each
 * difference is printed, and counted. */
#define SAME(cond)                                                                  \
	do {                                                                        \
		if (!(cond)) {                                                      \
			diffs++;                                                    \
			fprintf(stderr, "%s:%d: cut at %zu: not %s\n", __FILE__,    \
				__LINE__, limit, #cond);                             \
		}                                                                   \
	} while (0)

static int compare(const char *data, size_t len, size_t limit)
{
	int diffs = 0;
	size_t clen;
	char *cut = hdr_copy_cut(data, len, "Bcc", limit, 0, &clen);
	SAME(clen <= len);
	SAME(cut[clen] == '\0');
	struct hdr a, b;
	size_t abody, bbody;
	hdr_parse(data, len, &a, &abody);
	hdr_parse(cut, clen, &b, &bbody);
	static const char *const names[] = {"Bcc", "bcc", "To", "Cc", "From", "X-Bcc", "Subject",
					    "X-F", "Date", "garbage line"};
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
		char *v = hdr_value(data, len, names[k]);
		const char *w = hdr_get(&a, names[k]);
		SAME((v == NULL) == (w == NULL));
		SAME(!v || !w || strcmp(v, w) == 0);
		free(v);
	}
	SAME(b.n == a.n);
	SAME(b.skipped == a.skipped);
	SAME(clen - bbody == len - abody); /* the body as it was */
	SAME(clen - bbody != len - abody ||
	     memcmp(cut + bbody, data + abody, len - abody) == 0);
	for (size_t i = 0; i < a.n && i < b.n; i++) {
		SAME(strcmp(b.f[i].name, a.f[i].name) == 0);
		size_t an = strlen(a.f[i].value), bn = strlen(b.f[i].value);
		if (ascii_strcasecmp(a.f[i].name, "Bcc") == 0 && an > limit) {
			SAME(bn > limit && bn <= an);
			SAME(bn > an || memcmp(a.f[i].value, b.f[i].value, bn) == 0);
			/* what is kept beyond the limit is one byte and white space */
			size_t ws = 0;
			for (size_t k = limit; k + 1 < bn; k++)
				ws += ascii_isspace((unsigned char)b.f[i].value[k]) != 0;
			SAME(ws == bn - limit - 1);
		} else {
			SAME(strcmp(b.f[i].value, a.f[i].value) == 0);
		}
	}
	hdr_free(&a);
	hdr_free(&b);
	if (limit == MSG_MAX_BCC) {
		struct msg_src_date src = {DATE_NONE, 0};
		struct msg ma, mb;
		int ra = msg_parse(data, len, &src, &ma), rb = msg_parse(cut, clen, &src, &mb);
		SAME(rb == ra);
		if (ra == 0 && rb == 0) {
			char *x = sl_join(&ma.bcc, ","), *y = sl_join(&mb.bcc, ",");
			SAME(strcmp(x, y) == 0);
			free(x);
			free(y);
			SAME(mb.bcc_more == ma.bcc_more);
			SAME(mb.to.n == ma.to.n);
			SAME(mb.cc.n == ma.cc.n);
		}
		if (ra == 0)
			msg_free(&ma);
		if (rb == 0)
			msg_free(&mb);
	}
	free(cut);
	return diffs;
}
#undef SAME


/* msg_may_be_report as it reads: any of its words, in any case, anywhere */
static bool report_words(const char *h, size_t n)
{
	static const char *const words[] = {"multipart/report", "mailer-daemon", "postmaster"};
	for (size_t i = 0; i < n; i++)
		for (size_t w = 0; w < 3; w++) {
			size_t k = strlen(words[w]);
			if (i + k <= n && ascii_strncasecmp(h + i, words[w], k) == 0)
				return true;
		}
	return false;
}

/* The gate of a delivery report's body: the words planted at either end,
 * cut short, in mixed case, beside look-alikes and 8-bit bytes. */
static void report_gate(void)
{
	static const char *const bits[] = {"multipart/report", "MAILER-daemon", "PostMaster",
					   "multipart/mixed", "mailer", "postmast", "mu", "po",
					   "MA", "\xcd\xd5", "\xd0\xcf", "a", " ", "\0"};
	int differ = 0;
	for (int i = 0; i < 20000; i++) {
		struct sbuf b = {0};
		unsigned parts = pick(6);
		for (unsigned k = 0; k < parts; k++) {
			const char *s = bits[pick(14)];
			sb_add(&b, s, *s ? strlen(s) : 1);
		}
		size_t n = b.len ? pick((unsigned)b.len + 1) : 0; /* cut anywhere */
		bool got = msg_may_be_report(b.buf ? b.buf : "", n);
		if (got != report_words(b.buf ? b.buf : "", n)) {
			differ++;
			fprintf(stderr, "%s:%d: msg_may_be_report(\"%.*s\") is %d\n", __FILE__,
				__LINE__, (int)n, b.buf ? b.buf : "", got);
		}
		sb_free(&b);
	}
	CHECK_INT(differ, 0); /* 20,000 byte strings: one check */
	CHECK(msg_may_be_report("Content-Type: Multipart/Report;", 31));
	CHECK(!msg_may_be_report("From: postmaste", 15));
	CHECK(msg_may_be_report("postmaster", 10));
	CHECK(!msg_may_be_report("postmaster", 9));
}

/* msg_header_dated says what msg_parse does with the same block: the
 * Date field gives the date (date_source "header") or it does not. Dates
 * an attacker would pick: none, empty, garbage, out of range, a second
 * Date field, folded, NULs, obsolete syntax, a Date only in the body. */
static void dated(void)
{
	static const char *const dates[] = {
		"", "Date: Mon, 15 Jan 2024 10:00:00 +0000\r\n", "Date: \r\n",
		"Date: yesterday\r\n", "Date: Mon, 32 Jan 2024 10:00:00 +0000\r\n",
		"Date: 15 Jan 2024 10:00 GMT\r\n", "Date: Mon, 15 Jan 2024 25:00:00 +0000\r\n",
		"Date: Mon, 15 Jan 2024\r\n 10:00:00 +0000\r\n", "DATE :Mon, 15 Jan 24 10:00:00 -0500\r\n",
		"Date: Mon, 15 Jan 2024 10:00:00 +9999\r\n", "Date: Mon, 15 Jan 2024 10:00:00\r\n",
		"X-Date: Mon, 15 Jan 2024 10:00:00 +0000\r\n", "Date\r\n", "Date: 0\r\n",
		"Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n", "Date: Fri, 31 Dec 9999 23:59:59 -1200\r\n",
	};
	enum { N = sizeof(dates) / sizeof(*dates) };
	int differ = 0;
	for (int i = 0; i < 4000; i++) {
		struct sbuf b = {0};
		sb_add(&b, "From: ann@x.example\r\n", 21);
		for (unsigned k = 0, nd = pick(3); k < nd; k++) { /* none, one or two */
			const char *d = dates[pick(N)];
			size_t n = strlen(d), at = b.len;
			if (n > 8 && pick(4) == 0)
				n = 6 + pick((unsigned)n - 8); /* cut short */
			sb_add(&b, d, n);
			if (n > 8 && pick(6) == 0)
				b.buf[at + 6 + pick((unsigned)n - 8)] = '\0'; /* a NUL in it */
			if (n < strlen(d))
				sb_add(&b, "\r\n", 2);
		}
		sb_add(&b, "Subject: s\r\n", 12);
		if (pick(2))
			sb_add(&b, "\r\nDate: Mon, 15 Jan 2024 10:00:00 +0000\r\n", 41);
		struct msg_src_date src = {DATE_NONE, 0};
		struct msg m;
		if (msg_parse(b.buf, b.len, &src, &m) == 0) {
			bool header = m.date_source == DATE_HEADER;
			if (msg_header_dated(b.buf, b.len) != header) {
				differ++;
				fprintf(stderr, "%s:%d: msg_header_dated is %d for:\n%.*s\n", __FILE__,
					__LINE__, !header, (int)b.len, b.buf);
			}
			msg_free(&m);
		}
		sb_free(&b);
	}
	CHECK_INT(differ, 0); /* 4,000 blocks: one check */
	CHECK(msg_header_dated("Date: Mon, 15 Jan 2024 10:00:00 +0000\r\n\r\n", 41));
	CHECK(!msg_header_dated("Subject: x\r\n\r\nDate: Mon, 15 Jan 2024 10:00:00 +0000\r\n", 53));
	CHECK(!msg_header_dated("Date: soon\r\nDate: Mon, 15 Jan 2024 10:00:00 +0000\r\n", 51));
	CHECK(!msg_header_dated("", 0));
}

int main(void)
{
	report_gate();
	dated();

	/* a department's newsletter: 40,000 bytes of Bcc become about 1 KiB */
	struct sbuf b = {0};
	sb_add(&b, "From: lib@x.example\r\nBcc: ", 26);
	while (b.len < 40000)
		sb_add(&b, "someone.long@dept.example, ", 27);
	sb_add(&b, "\r\nSubject: news\r\n\r\nbody\r\n", 25);
	size_t clen;
	char *cut = hdr_copy_cut(b.buf, b.len, "Bcc", MSG_MAX_BCC, 0, &clen);
	CHECK(clen < MSG_MAX_BCC + 100);
	CHECK(strstr(cut, "\r\nSubject: news\r\n\r\nbody\r\n") != NULL);
	free(cut);
	CHECK_INT(compare(b.buf, b.len, MSG_MAX_BCC), 0);
	sb_free(&b);

	/* nothing to cut: the copy is the block, byte for byte */
	static const char small[] = "From: a@x.example\nBcc: b@x.example,\n c@x.example\n\nbody";
	cut = hdr_copy_cut(small, sizeof(small) - 1, "Bcc", MSG_MAX_BCC, 0, &clen);
	CHECK_INT(clen, sizeof(small) - 1);
	CHECK_STR(cut, small);
	free(cut);
	/* room for what the caller adds */
	cut = hdr_copy_cut(small, sizeof(small) - 1, "Bcc", 4, 100, &clen);
	memset(cut + clen, 'x', 100);
	free(cut);

	/* 3,000 hostile blocks, each cut at MSG_MAX_BCC and at a limit
	 * picked anywhere: one check, the cuts that read differently */
	int differ = 0;
	for (int i = 0; i < 3000; i++) {
		b = (struct sbuf){0};
		block(&b, i % 500 == 7);
		differ += compare(b.buf, b.len, MSG_MAX_BCC) != 0;
		differ += compare(b.buf, b.len, pick(2) ? pick(8) : pick(3000)) != 0;
		sb_free(&b);
	}
	CHECK_INT(differ, 0);
	return check_done("unit_hdr");
}
