/* Fuzz target: the header parser and classifier (msg_parse, msg_classify,
 * msg_direction) on any bytes. */
#include "config.h"

#include <stdlib.h>

#include "fuzz.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg m;
	struct msg_src_date src = {DATE_MBOX, 1700000000};
	struct strlist id = {0};
	sl_add(&id, "liaison@univ.example");
	if (msg_parse((const char *)data, size, &src, &m) == 0) {
		struct msg_rules rules = {&id, 5};
		(void)msg_classify(&m, &rules);
		(void)msg_direction(&m, &id, size % 2);
		char *n = msg_subject_normalize(m.subject);
		free(n);
		msg_free(&m);
	}
	sl_free(&id);
	return 0;
}
