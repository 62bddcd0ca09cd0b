/* Fuzz target: the header parser and classifier (msg_parse, msg_classify,
 * msg_direction) on any bytes; and the import's cut of a long Bcc
 * (hdr_copy_cut): the cut message must read as the whole one does. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "hdr.h"
#include "msg.h"

/* What import stores of a message's Bcc and class, cut or whole, must be
 * the same: anything else aborts (a finding). */
static void same_when_cut(const char *data, size_t size, const struct msg_src_date *src,
			  const struct msg *whole, int whole_r, const struct msg_rules *rules)
{
	size_t hend = hdr_block_end(data, size), clen;
	if (hend > MSG_MAX_HEADER) /* import rejects it before any cut */
		return;
	char *cut = hdr_copy_cut(data, hend, "Bcc", MSG_MAX_BCC, size - hend, &clen);
	memcpy(cut + clen, data + hend, size - hend);
	clen += size - hend;
	cut[clen] = '\0';
	struct msg m;
	int r = msg_parse(cut, clen, src, &m);
	if ((r == 0) != (whole_r == 0))
		abort();
	if (r == 0) {
		char *a = sl_join(&whole->bcc, ","), *b = sl_join(&m.bcc, ",");
		if (strcmp(a, b) != 0 || m.bcc_more != whole->bcc_more ||
		    msg_classify(&m, rules) != msg_classify(whole, rules))
			abort();
		free(a);
		free(b);
		msg_free(&m);
	}
	free(cut);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m;
	struct msg_src_date src = {DATE_MBOX, 1700000000};
	struct strlist id = {0};
	sl_add(&id, "liaison@univ.example");
	struct msg_rules rules = {&id, 5};
	int r = msg_parse((const char *)data, size, &src, &m);
	same_when_cut((const char *)data, size, &src, &m, r, &rules);
	if (r == 0) {
		(void)msg_classify(&m, &rules);
		(void)msg_direction(&m, &id, size % 2);
		char *n = msg_subject_normalize(m.subject);
		free(n);
		msg_free(&m);
	}
	sl_free(&id);
	return 0;
}
