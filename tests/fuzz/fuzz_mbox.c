/* Fuzz target: the mbox reader, with every message it yields parsed. */
#include "config.h"

#include <unistd.h>

#include "fuzz.h"
#include "mbox.h"

static int each(void *ud, const struct src_msg *m)
{
	struct msg rec;
	(void)ud;
	if (m->data && !m->header_too_large && msg_parse(m->data, m->len, &m->date, &rec) == 0)
		msg_free(&rec);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfile(data, size, path);
	if (fd < 0)
		return 0;
	(void)mbox_read(path, "INBOX", "inbox", each, NULL);
	close(fd);
	return 0;
}
