/* replay: runs a fuzz target's entry point over files, for `make check`
 * (no clang needed): every corpus and regression file must go through
 * without a crash; the sanitizer build catches memory errors on the way.
 * Usage: TARGET-replay FILE|DIR... */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

static int run_file(const char *path)
{
	char *data;
	size_t len;
	if (read_file(path, 16 * 1024 * 1024, &data, &len) < 0) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int n = 0, bad = 0;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d && (e = readdir(d))) {
				if (e->d_name[0] == '.')
					continue;
				char *p = xasprintf("%s/%s", argv[i], e->d_name);
				struct stat fs;
				if (stat(p, &fs) == 0 && S_ISREG(fs.st_mode)) {
					bad += run_file(p);
					n++;
				}
				free(p);
			}
			if (d)
				closedir(d);
		} else {
			bad += run_file(argv[i]);
			n++;
		}
	}
	printf("replay: %d inputs, %d unreadable\n", n, bad);
	return bad ? 1 : 0;
}
