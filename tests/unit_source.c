/* Unit tests: mbox and maildir readers. Separators, From_ quoting, CRLF,
 * truncation, oversized headers, non-mbox input, Maildir++ folders. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "maildir.h"
#include "mbox.h"

static char dir[] = "/tmp/rapport-unit-source-XXXXXX";

struct seen {
	struct strlist subjects; /* "folder|role|subject|date kind" */
	struct strlist positions;
	int too_large;
	int unreadable;
};

static int collect(void *ud, const struct src_msg *m)
{
	struct seen *s = ud;
	if (!m->data) {
		s->unreadable++;
		return 0;
	}
	if (m->header_too_large) {
		s->too_large++;
		return 0;
	}
	struct msg rec;
	if (msg_parse(m->data, m->len, &m->date, &rec) < 0) {
		sl_take(&s->subjects, xasprintf("%s|%s|(no header)", m->folder, m->role));
		sl_add(&s->positions, m->position);
		return 0;
	}
	sl_take(&s->subjects, xasprintf("%s|%s|%s|%s", m->folder, m->role, rec.subject,
					msg_date_source_name(rec.date_source)));
	sl_add(&s->positions, m->position);
	msg_free(&rec);
	return 0;
}

static char *put(const char *name, const char *data, size_t len)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
	return p;
}

static void seen_free(struct seen *s)
{
	sl_free(&s->subjects);
	sl_free(&s->positions);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 99;

	static const char mbox[] =
		"From ada@x.example Mon Apr  1 08:00:00 2024\n"
		"From: ada@x.example\nSubject: one\n\n"
		"From the start this line is body: no blank line before it.\n"
		">From quoted\n\n"
		"From bob@x.example Tue Apr  2 09:00:00 2024\r\n"
		"Subject: two\r\nFrom: bob@x.example\r\n\r\nbody\r\n\r\n"
		"From  Tue Apr  2 09:00:00 2024\n"
		"Subject: three, no date header, From_ date used\n\n"
		"From me I say\n\n"
		"From c@x.example Wed Apr  3 10:00:00 2024\n"
		"Subject: four, truncated in the head";
	struct seen s = {0};
	char *p = put("INBOX.mbox", mbox, sizeof(mbox) - 1);
	CHECK_INT(mbox_read(p, "INBOX", "inbox", collect, &s), 0);
	CHECK_INT(s.subjects.n, 4);
	if (s.subjects.n == 4) {
		CHECK_STR(s.subjects.v[0], "INBOX|inbox|one|mbox");
		CHECK_STR(s.subjects.v[1], "INBOX|inbox|two|mbox");
		CHECK_STR(s.subjects.v[2], "INBOX|inbox|three, no date header, From_ date used|mbox");
		CHECK_STR(s.subjects.v[3], "INBOX|inbox|four, truncated in the head|mbox");
		CHECK_STR(s.positions.v[0], "byte 0");
	}
	seen_free(&s);
	free(p);

	/* leading blank lines are tolerated; anything else first is not an mbox */
	static const char lead[] = "\n  \nFrom a Mon Apr  1 08:00:00 2024\nSubject: x\n\n";
	p = put("lead.mbox", lead, sizeof(lead) - 1);
	s = (struct seen){0};
	CHECK_INT(mbox_read(p, "lead", "", collect, &s), 0);
	CHECK_INT(s.subjects.n, 1);
	seen_free(&s);
	free(p);
	static const char bin[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00garbage\n";
	p = put("bin.mbox", bin, sizeof(bin) - 1);
	s = (struct seen){0};
	CHECK_INT(mbox_read(p, "bin", "", collect, &s), -EBADMSG);
	CHECK_INT(s.subjects.n, 0);
	free(p);
	/* an empty mbox is a folder without mail yet, not an error */
	p = put("empty.mbox", "", 0);
	s = (struct seen){0};
	CHECK_INT(mbox_read(p, "empty", "", collect, &s), 0);
	CHECK_INT(s.subjects.n, 0);
	free(p);
	p = put("blank.mbox", "\n\n  \n", 4);
	CHECK_INT(mbox_read(p, "blank", "", collect, &s), 0);
	CHECK_INT(s.subjects.n, 0);
	free(p);
	char *missing = xasprintf("%s/nope.mbox", dir);
	CHECK_INT(mbox_read(missing, "x", "", collect, &s), -ENOENT);
	free(missing);

	/* a header block over MSG_MAX_HEADER is flagged, and the next message
	 * is still found */
	struct sbuf big = {0};
	sb_adds(&big, "From a Mon Apr  1 08:00:00 2024\nSubject: huge\nX-Long: ");
	for (size_t i = 0; i < MSG_MAX_HEADER / 60 + 10; i++)
		sb_adds(&big, "0123456789012345678901234567890123456789012345678901234567890\n ");
	sb_adds(&big, "\n\nbody\n\nFrom b Mon Apr  1 08:00:00 2024\nSubject: after\n\nx\n");
	p = put("big.mbox", big.buf, big.len);
	sb_free(&big);
	s = (struct seen){0};
	CHECK_INT(mbox_read(p, "big", "", collect, &s), 0);
	CHECK_INT(s.too_large, 1);
	CHECK_INT(s.subjects.n, 1);
	if (s.subjects.n)
		CHECK_STR(s.subjects.v[0], "big||after|mbox");
	seen_free(&s);
	free(p);

	CHECK(mbox_is_from_line("From a@b Mon Apr  1 08:00:00 2024\n", 34));
	CHECK(!mbox_is_from_line("From the start of time\n", 23));
	int64_t t = 0;
	CHECK_INT(mbox_from_date("From a@b Mon Apr  1 08:00:00 2024\n", 34, &t), 0);
	CHECK_INT(t, 1711958400);

	/* maildir: top = INBOX, .Sent = sent, nested folders, date from name */
	const char *dirs[] = {"md", "md/cur", "md/new", "md/tmp", "md/.Sent", "md/.Sent/cur",
			      "md/.Sent/new", "md/.Projects.Grants", "md/.Projects.Grants/cur"};
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *d = xasprintf("%s/%s", dir, dirs[i]);
		mkdir(d, 0700);
		free(d);
	}
	const char msg1[] = "Subject: in\nFrom: a@x.example\n\nbody\n";
	const char msg2[] = "Subject: out\nFrom: me@x.example\n\nbody\n";
	const char msg3[] = "Subject: grant\nFrom: g@x.example\nDate: Mon, 01 Apr 2024 08:00:00 +0000\n\n";
	free(put("md/cur/1700000000.M1P1.host:2,S", msg1, sizeof(msg1) - 1));
	free(put("md/new/1700000001.M2P1.host", msg1, sizeof(msg1) - 1));
	free(put("md/tmp/1700000002.M3P1.host", msg1, sizeof(msg1) - 1));
	free(put("md/.Sent/cur/1700000003.M4P1.host:2,S", msg2, sizeof(msg2) - 1));
	free(put("md/.Projects.Grants/cur/notanumber", msg3, sizeof(msg3) - 1));
	char *md = xasprintf("%s/md", dir);
	CHECK(maildir_is(md));
	s = (struct seen){0};
	CHECK_INT(maildir_read(md, NULL, collect, &s), 0);
	CHECK_INT(s.subjects.n, 4);
	if (s.subjects.n == 4) {
		CHECK_STR(s.subjects.v[0], "INBOX|inbox|in|maildir");
		CHECK_STR(s.subjects.v[1], "INBOX|inbox|in|maildir");
		CHECK_STR(s.subjects.v[2], "Projects.Grants||grant|header");
		CHECK_STR(s.subjects.v[3], "Sent|sent|out|maildir");
	}
	seen_free(&s);
	free(md);

	CHECK_STR(source_folder_role("inbox"), "inbox");
	CHECK_STR(source_folder_role("Sent Items"), "sent");
	CHECK_STR(source_folder_role("INBOX.Sent"), "sent");
	CHECK_STR(source_folder_role("[Gmail]/Sent Mail"), "sent");
	CHECK_STR(source_folder_role("Grants"), "");
	/* Exchange's and other servers' and clients' names, as IMAP sends
	 * them (modified UTF-7) and as files carry them (UTF-8) */
	static const char *const sent[] = {
		"Sent Items", "sent_items", "_sent_mail", "Gesendete Elemente", "Enviados",
		"&AMk-l&AOk-ments envoy&AOk-s", "\xc3\x89l\xc3\xa9ments envoy\xc3\xa9s",
		"INBOX/Sent_Items", "Elementos enviados", "Posta inviata"};
	for (size_t i = 0; i < ARRAY_SIZE(sent); i++) {
		CHECK_STR(source_folder_role(sent[i]), "sent");
	}
	CHECK_STR(source_folder_role("Sentinel"), "");
	CHECK_STR(source_folder_role("Drafts"), "");

	char *cmd = xasprintf("rm -rf '%s'", dir);
	CHECK_INT(system(cmd), 0);
	free(cmd);
	return check_done("unit_source");
}
