/* Fuzz target: the roster CSV reader. */
#include "config.h"

#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "roster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfile(data, size, path);
	if (fd < 0)
		return 0;
	struct conf c;
	struct strlist errors = {0}, warnings = {0};
	conf_defaults(&c);
	(void)roster_load(&c, path, &errors, &warnings);
	conf_free(&c);
	sl_free(&errors);
	sl_free(&warnings);
	close(fd);
	return 0;
}
