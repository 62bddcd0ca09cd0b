/* action: see action.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"
#include "secret.h"
#include "util.h"

static const char *const names[ACTION_N] = {"snooze 7d", "snooze 30d", "dismiss", "ignore"};
static const char *const labels[ACTION_N] = {"Snooze 7 days", "Snooze 30 days", "Dismiss",
					     "Not a client"};
static const int days[ACTION_N] = {7, 30, 0, 0};

const char *action_name(enum action_kind k)
{
	return names[k];
}

const char *action_label(enum action_kind k)
{
	return labels[k];
}

int action_days(enum action_kind k)
{
	return days[k];
}

char *action_key_path(const struct conf *c)
{
	if (c->actions_key_file)
		return xstrdup(c->actions_key_file);
	const char *slash = strrchr(c->database, '/');
	if (!slash)
		return xstrdup("actions.key");
	return xasprintf("%.*s/actions.key", (int)(slash - c->database), c->database);
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

static int create_key(const char *path, char **ret_error)
{
	unsigned char k[ACTION_KEY_BYTES];
	char hex[2 * ACTION_KEY_BYTES + 2];
	if (gnutls_rnd(GNUTLS_RND_KEY, k, sizeof(k)) < 0) {
		*ret_error = xasprintf("%s: no random bytes for a new key", path);
		return -EIO;
	}
	for (size_t i = 0; i < sizeof(k); i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	hex[2 * ACTION_KEY_BYTES] = '\n';
	explicit_bzero(k, sizeof(k));
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		explicit_bzero(hex, sizeof(hex));
		if (e == EEXIST)
			return 0; /* another process made it: read that one */
		*ret_error = xasprintf("%s: cannot create the action key: %s", path, strerror(e));
		return -e;
	}
	ssize_t n = write(fd, hex, 2 * ACTION_KEY_BYTES + 1);
	int e = errno;
	explicit_bzero(hex, sizeof(hex));
	if (n != 2 * ACTION_KEY_BYTES + 1 || fsync(fd) < 0) {
		close(fd);
		unlink(path);
		*ret_error = xasprintf("%s: cannot write the action key: %s", path,
				       n < 0 ? strerror(e) : "short write");
		return -EIO;
	}
	close(fd);
	return 0;
}

int action_key_load(const struct conf *c, bool create, unsigned char key[ACTION_KEY_BYTES],
		    char **ret_error)
{
	char *path = action_key_path(c), *v = NULL;
	int r = 0;
	if (create && access(path, F_OK) < 0 && errno == ENOENT)
		r = create_key(path, ret_error);
	if (r == 0)
		r = secret_file(path, false, &v, ret_error);
	if (r == 0) {
		bool good = strlen(v) == 2 * ACTION_KEY_BYTES;
		for (size_t i = 0; good && i < ACTION_KEY_BYTES; i++) {
			int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
			good = hi >= 0 && lo >= 0;
			key[i] = (unsigned char)(hi << 4 | lo);
		}
		if (!good) {
			*ret_error = xasprintf("%s: not an action key (%d hex digits on one line): "
					       "remove it and rapportd makes a new one", path,
					       2 * ACTION_KEY_BYTES);
			explicit_bzero(key, ACTION_KEY_BYTES);
			r = -EINVAL;
		}
	}
	secret_free(v);
	free(path);
	return r;
}

static void token(const unsigned char key[ACTION_KEY_BYTES], const char *account, int64_t nudge,
		  enum action_kind k, char out[ACTION_TOKEN_HEX + 1])
{
	struct sbuf sb = {0};
	sb_adds(&sb, "rapport-action");
	sb_addc(&sb, '\0');
	sb_adds(&sb, account);
	sb_addc(&sb, '\0');
	sb_printf(&sb, "%lld", (long long)nudge);
	sb_addc(&sb, '\0');
	sb_adds(&sb, names[k]);
	unsigned char mac[32];
	gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, ACTION_KEY_BYTES, sb.buf, sb.len, mac);
	sb_free(&sb);
	for (int i = 0; i < ACTION_TOKEN_HEX / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", mac[i]);
	out[ACTION_TOKEN_HEX] = '\0';
}

char *action_subject(const unsigned char key[ACTION_KEY_BYTES], const char *account,
		     int64_t nudge, enum action_kind k)
{
	char t[ACTION_TOKEN_HEX + 1];
	token(key, account, nudge, k, t);
	if (days[k])
		return xasprintf("rapport: snooze %lld %dd k=%s", (long long)nudge, days[k], t);
	return xasprintf("rapport: %s %lld k=%s", names[k], (long long)nudge, t);
}

char *action_mailto(const char *address, const char *subject)
{
	struct sbuf sb = {0};
	sb_adds(&sb, "mailto:");
	/* an address rapport checked (no ?, & or %) goes as it is */
	sb_adds(&sb, address);
	sb_adds(&sb, "?subject=");
	for (const unsigned char *p = (const unsigned char *)subject; *p; p++) {
		if (isalnum(*p) || strchr("-._~", *p))
			sb_addc(&sb, (char)*p);
		else
			sb_printf(&sb, "%%%02X", *p);
	}
	return sb_steal(&sb);
}

static const char *word(const char *p, const char *w)
{
	size_t n = strlen(w);
	for (size_t i = 0; i < n; i++)
		if (!p[i] || tolower((unsigned char)p[i]) != w[i])
			return NULL;
	return p + n;
}

static const char *spaces(const char *p, bool need)
{
	const char *s = p;
	while (*p == ' ' || *p == '\t')
		p++;
	return need && p == s ? NULL : p;
}

int action_parse(const char *subject, struct action_cmd *ret)
{
	const char *p = spaces(subject, false);
	if (!(p = word(p, "rapport:")) || !(p = spaces(p, false)))
		return 0;
	const char *q;
	bool dismiss = false, ignore = false;
	if ((q = word(p, "snooze")))
		p = q;
	else if ((q = word(p, "dismiss")))
		p = q, dismiss = true;
	else if ((q = word(p, "ignore")))
		p = q, ignore = true;
	else
		return 0;
	if (!(p = spaces(p, true)))
		return 0;
	char *end;
	errno = 0;
	long long id = strtoll(p, &end, 10);
	if (end == p || !isdigit((unsigned char)*p) || errno || id <= 0 || id > INT64_MAX / 2)
		return 0;
	p = end;
	if (!(p = spaces(p, true)))
		return 0;
	enum action_kind k = ignore ? ACTION_IGNORE : ACTION_DISMISS;
	if (!dismiss && !ignore) {
		if ((q = word(p, "7d")))
			k = ACTION_SNOOZE_7;
		else if ((q = word(p, "30d")))
			k = ACTION_SNOOZE_30;
		else
			return 0;
		if (!(p = spaces(q, true)))
			return 0;
	}
	if (!(p = word(p, "k=")))
		return 0;
	size_t n = 0;
	while (n <= ACTION_TOKEN_HEX && hexval((unsigned char)p[n]) >= 0)
		n++;
	if (n != ACTION_TOKEN_HEX || *spaces(p + n, false))
		return 0;
	ret->kind = k;
	ret->nudge = id;
	for (size_t i = 0; i < n; i++)
		ret->token[i] = (char)tolower((unsigned char)p[i]);
	ret->token[n] = '\0';
	return 1;
}

bool action_verify(const unsigned char key[ACTION_KEY_BYTES], const char *account,
		   const struct action_cmd *cmd)
{
	char t[ACTION_TOKEN_HEX + 1];
	token(key, account, cmd->nudge, cmd->kind, t);
	unsigned char diff = 0;
	for (int i = 0; i < ACTION_TOKEN_HEX; i++)
		diff |= (unsigned char)(t[i] ^ cmd->token[i]);
	return diff == 0;
}
