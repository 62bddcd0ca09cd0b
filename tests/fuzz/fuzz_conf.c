/* Fuzz target: rapport.conf (libconfig, then rapport's validation). */
#include "config.h"

#include <unistd.h>

#include "conf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_memfile(data, size, path);
	if (fd < 0)
		return 0;
	struct conf c;
	struct strlist errors = {0}, warnings = {0};
	if (conf_load(path, net_url_check, &c, &errors, &warnings) == 0)
		conf_free(&c);
	sl_free(&errors);
	sl_free(&warnings);
	close(fd);
	return 0;
}
