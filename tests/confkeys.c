/* confkeys: prints every key rapport.conf accepts, one per line, for the
 * test that rapport.conf(5) documents them all. */
#include "config.h"

#include <stdio.h>

#include "conf.h"

int main(void)
{
	static const char *const groups[] = {"", "accounts", "clients", "departments", "scoring",
					     "nudges"};
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (const char *const *k = conf_keys(groups[g]); k && *k; k++)
			printf("%s\n", *k);
	return 0;
}
