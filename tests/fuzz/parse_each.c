/* parse_each: see fuzz.h. */
#include "config.h"

#include "fuzz.h"

int fuzz_parse_each(void *ud, const struct src_msg *m)
{
	struct msg rec;
	(void)ud;
	if (m->data && !m->header_too_large && msg_parse(m->data, m->len, &m->date, &rec) == 0)
		msg_free(&rec);
	return 0;
}
