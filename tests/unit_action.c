/* unit_action: the mail action commands (action.h) as an attacker would
 * write them: the grammar accepts the subjects rapport makes and nothing
 * near them, a token binds account, nudge and action, and the key file is
 * trusted only as a secret file is. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "action.h"
#include "check.h"
#include "conf.h"
#include "util.h"

static const unsigned char key[ACTION_KEY_BYTES] = "0123456789abcdef0123456789abcde";

static bool verifies(const char *subject, const char *account)
{
	struct action_cmd c;
	return action_parse(subject, &c) == 1 && action_verify(key, account, &c);
}

int main(void)
{
	/* what rapport makes parses back and verifies, for that account only */
	for (int k = 0; k < ACTION_N; k++) {
		char *s = action_subject(key, "chem", 18, (enum action_kind)k);
		struct action_cmd c;
		CHECK(action_parse(s, &c) == 1);
		CHECK_INT(c.kind, k);
		CHECK_INT(c.nudge, 18);
		CHECK(action_verify(key, "chem", &c));
		CHECK(!action_verify(key, "phys", &c));
		CHECK(!action_verify(key, "chem ", &c));
		/* another nudge, another action: another token */
		c.nudge = 19;
		CHECK(!action_verify(key, "chem", &c));
		c.nudge = 18;
		c.kind = (enum action_kind)((k + 1) % ACTION_N);
		CHECK(!action_verify(key, "chem", &c));
		/* another key */
		unsigned char other[ACTION_KEY_BYTES];
		memcpy(other, key, sizeof(other));
		other[0] ^= 1;
		c.kind = (enum action_kind)k;
		CHECK(!action_verify(other, "chem", &c));
		/* the case of the words and of the token, white space around */
		char *up = xasprintf("  RAPPORT:%s  ", s + strlen("rapport:"));
		for (char *p = up; *p; p++)
			if (*p >= 'a' && *p <= 'f')
				*p = (char)(*p - 'a' + 'A');
		CHECK(verifies(up, "chem"));
		free(up);
		free(s);
	}
	char *s = action_subject(key, "chem", 18, ACTION_SNOOZE_7);
	CHECK(strncmp(s, "rapport: snooze 18 7d k=", 24) == 0);
	CHECK_INT(strlen(s), 24 + ACTION_TOKEN_HEX);
	const char *tok = s + 24;
	/* near misses an attacker (or a mail client) would make */
	const char *bad[] = {
		"", "rapport:", "rapport: snooze", "rapport: snooze 18", "rapport: snooze 18 7d",
		"rapport: snooze 18 7d k=", "Re: rapport: snooze 18 7d k=%s",
		"Fwd: rapport: snooze 18 7d k=%s", "rapport: snooze 18 7d k=%s extra",
		"rapport: snooze 18 7d k=%s0", "rapport: snooze 18 7d k=%.19s",
		"rapport: snooze 18 365d k=%s", "rapport: snooze 18 7 k=%s",
		"rapport: snooze 18 7d  k =%s", "rapport: snooze -18 7d k=%s",
		"rapport: snooze +18 7d k=%s", "rapport: snooze 0 7d k=%s",
		"rapport: snooze 18x 7d k=%s", "rapport: snooze 99999999999999999999 7d k=%s",
		"rapport: snooze 0x12 7d k=%s", "rapport: dismiss 18 7d k=%s",
		"rapport: reopen 18 k=%s", "rapport: snooze18 7d k=%s", "rapport snooze 18 7d k=%s",
		"rapport: snooze 18 7d k=%s\r\nBcc: x@y", "rapport: snooze 18 7d k=g%.19s",
		"rapport: snooze 18 7d k=%s;", "xrapport: snooze 18 7d k=%s",
		"rapport: snooze\xc2\xa0" "18 7d k=%s", /* a no-break space */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		char *t = xasprintf(bad[i], tok);
#pragma GCC diagnostic pop
		struct action_cmd c;
		if (action_parse(t, &c) != 0)
			fprintf(stderr, "accepted: %s\n", t);
		CHECK(action_parse(t, &c) == 0);
		free(t);
	}
	/* a token one digit off never verifies */
	for (int i = 0; i < ACTION_TOKEN_HEX; i++) {
		char *t = xstrdup(s);
		t[24 + i] = t[24 + i] == '0' ? '1' : '0';
		CHECK(!verifies(t, "chem"));
		free(t);
	}
	/* the link: everything but unreserved characters percent-encoded */
	char *m = action_mailto("liaison@univ.example", "rapport: dismiss 3 k=ab");
	CHECK_STR(m, "mailto:liaison@univ.example?subject=rapport%3A%20dismiss%203%20k%3Dab");
	free(m);
	free(s);

	/* the key file: made 0600, read back the same; refused when others
	 * may read it, or when it is a link or not a key */
	char dir[] = "/tmp/unit_action.XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct conf c;
	conf_defaults(&c);
	free(c.database);
	c.database = xasprintf("%s/r.db", dir);
	unsigned char k1[ACTION_KEY_BYTES], k2[ACTION_KEY_BYTES];
	char *why = NULL, *path = action_key_path(&c);
	CHECK(strcmp(path + strlen(dir), "/actions.key") == 0);
	CHECK(action_key_load(&c, false, k1, &why) < 0); /* missing, not made */
	free(why);
	why = NULL;
	CHECK(action_key_load(&c, true, k1, &why) == 0);
	struct stat sb;
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(action_key_load(&c, true, k2, &why) == 0 && memcmp(k1, k2, sizeof(k1)) == 0);
	chmod(path, 0640);
	CHECK(action_key_load(&c, false, k2, &why) == -EPERM);
	CHECK(why && strstr(why, "group or others may read"));
	free(why);
	why = NULL;
	chmod(path, 0600);
	char *link = xasprintf("%s/link.key", dir);
	CHECK(symlink(path, link) == 0);
	free(c.actions_key_file);
	c.actions_key_file = link;
	CHECK(action_key_load(&c, false, k2, &why) < 0);
	free(why);
	why = NULL;
	char *junk = xasprintf("%s/junk.key", dir);
	FILE *f = fopen(junk, "w");
	fputs("not a key\n", f);
	fclose(f);
	chmod(junk, 0600);
	c.actions_key_file = junk;
	CHECK(action_key_load(&c, false, k2, &why) == -EINVAL);
	CHECK(why && strstr(why, "not an action key"));
	free(why);
	c.actions_key_file = NULL;
	unlink(link);
	unlink(junk);
	unlink(path);
	rmdir(dir);
	free(link);
	free(junk);
	free(path);
	conf_free(&c);
	return check_done("unit_action");
}
