/* msgdump: prints every field msg_parse and msg_classify produce for one
 * message file, in the "key: value" form of tests/parse/ *.expect.
 * Used by tests/parse.test; handy for looking at real mail too. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "util.h"

static void list(const char *key, const struct strlist *l)
{
	char *s = sl_join(l, ", ");
	printf("%s: %s\n", key, s);
	free(s);
}

static void str(const char *key, const char *v)
{
	printf("%s: %s\n", key, v ? v : "");
}

static int dump(const char *path, const struct strlist *identity,
		const struct msg_src_date *src, bool inbox);

int main(int argc, char **argv)
{
	struct strlist identity = {0};
	struct msg_src_date src = {DATE_NONE, 0};
	bool inbox = false;
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--identity") == 0 && i + 1 < argc) {
			char *ids = xstrdup(argv[++i]);
			for (char *t = strtok(ids, ","); t; t = strtok(NULL, ","))
				sl_add(&identity, t);
			free(ids);
		} else if (strcmp(argv[i], "--inbox") == 0) {
			inbox = true;
		} else if (strcmp(argv[i], "--mbox-date") == 0 && i + 1 < argc) {
			src.kind = DATE_MBOX;
			src.t = strtoll(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--internal-date") == 0 && i + 1 < argc) {
			src.kind = DATE_INTERNAL;
			src.t = strtoll(argv[++i], NULL, 10);
		} else {
			fprintf(stderr, "usage: msgdump [--identity A,B] [--inbox] "
					"[--mbox-date T | --internal-date T] FILE\n");
			return 2;
		}
	}
	if (i == argc) {
		fprintf(stderr, "msgdump: FILE expected\n");
		return 2;
	}
	int ret = 0;
	for (int k = i; k < argc; k++) {
		if (argc - i > 1)
			printf("== %s\n", argv[k]);
		ret |= dump(argv[k], &identity, &src, inbox);
	}
	sl_free(&identity);
	return ret;
}

static int dump(const char *path, const struct strlist *identity,
		const struct msg_src_date *src, bool inbox)
{
	char *data;
	size_t len;
	int r = read_file(path, 64 * 1024 * 1024, &data, &len);
	if (r < 0) {
		fprintf(stderr, "msgdump: %s: %s\n", path, strerror(-r));
		return 1;
	}
	struct msg m;
	r = msg_parse(data, len, src, &m);
	free(data);
	if (r < 0) {
		printf("error: %s\n", strerror(-r));
		return 0;
	}
	struct msg_rules rules = {identity, 5};
	char date[32];
	epoch_to_iso(m.date, date);
	str("message_id", m.message_id);
	str("synthetic_id", m.synthetic_id ? "yes" : "no");
	str("date", m.date_source == DATE_NONE ? "" : date);
	str("date_source", msg_date_source_name(m.date_source));
	str("from", m.from);
	str("from_name", m.from_name);
	list("to", &m.to);
	list("cc", &m.cc);
	list("bcc", &m.bcc);
	list("reply_to", &m.reply_to);
	str("subject", m.subject);
	str("subject_norm", m.subject_norm);
	str("in_reply_to", m.in_reply_to);
	list("references", &m.references);
	str("list_id", m.list_id);
	str("auto_submitted", m.auto_submitted);
	str("precedence", m.precedence);
	str("report", m.report ? "yes" : "no");
	str("bounce_orig_id", m.bounce_orig_id);
	str("bounce_per_recipient", m.bounce_per_recipient ? "yes" : "no");
	list("bounce_failed", &m.bounce_failed);
	str("kind", msg_kind_name(msg_classify(&m, &rules)));
	str("direction", msg_direction_name(msg_direction(&m, identity, inbox)));
	msg_free(&m);
	return 0;
}
