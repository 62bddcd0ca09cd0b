/* Fuzz target: the mbox reader, with every message it yields parsed. */
#include "config.h"

#include <unistd.h>

#include "fuzz.h"
#include "mbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfile(data, size, path);
	if (fd < 0)
		return 0;
	(void)mbox_read(path, "INBOX", "inbox", fuzz_parse_each, NULL);
	close(fd);
	return 0;
}
