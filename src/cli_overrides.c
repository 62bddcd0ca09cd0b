/* cli_overrides: ignore, merge, cadence and their list (cli.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "action.h"
#include "addr.h"
#include "cli.h"
#include "conf.h"
#include "log.h"
#include "model.h"
#include "nudge.h"
#include "report.h"
#include "site.h"
#include "store.h"

/* ---- overrides --------------------------------------------------------------- */

/* Who sets an override: the Unix user, and the one behind sudo. */
static char *setter(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *me = pw ? pw->pw_name : "?";
	const char *sudo = getenv("SUDO_USER");
	if (sudo && *sudo && strcmp(sudo, me) != 0 && !strpbrk(sudo, "\r\n"))
		return xasprintf("%s (sudo -u %s)", sudo, me);
	return xstrdup(me);
}

/* A CLIENT|ADDRESS argument: an address as it is (normalised), or the
 * exact name of a client the database knows. *ret (caller frees); *roster
 * whether it is (or the address belongs to) a roster client. 0, else the
 * exit status after saying why. */
static int target(struct global *g, const char *cmd, const char *arg, char **ret, bool *roster)
{
	char *addr = strchr(arg, '@') ? addr_normalize(arg) : NULL, *name = NULL;
	*roster = false;
	if (addr) {
		if (store_client_find(g->st, addr, true, &name, roster) == -EIO)
			goto io;
		free(name);
		*ret = addr;
		return 0;
	}
	int r = store_client_find(g->st, arg, false, &name, roster);
	if (r == 0) {
		*ret = name;
		return 0;
	}
	if (r == -EIO)
		goto io;
	fprintf(stderr, "rapport %s: no client named \"%s\" (rapport clients lists them; an "
			"address works too)\n", cmd, arg);
	return 1;
io:
	free(addr);
	log_err("%s", store_errmsg(g->st));
	return 1;
}

/* The options every override command takes. */
struct over_opts {
	const char *liaison; /* NULL: every account */
	const char *reason;
	int first;           /* argv index of the first operand */
};

static int over_args(struct global *g, const char *cmd, int argc, char **argv, bool reason,
		     int operands, struct over_opts *o)
{
	enum { O_LIAISON = 256, O_REASON };
	static const struct option opts[] = {
		{"liaison", required_argument, NULL, O_LIAISON},
		{"reason", required_argument, NULL, O_REASON},
		{NULL, 0, NULL, 0},
	};
	int c;
	*o = (struct over_opts){0};
	optind = 0; /* glibc starts afresh: options may follow the operands */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == O_LIAISON)
			o->liaison = optarg;
		else if (c == O_REASON && reason)
			o->reason = optarg;
		else {
			if (c == O_REASON)
				fprintf(stderr, "rapport %s: --reason is for ignore\n", cmd);
			return 2;
		}
	}
	if (argc - optind != operands) {
		fprintf(stderr, "rapport %s: expected %d argument%s (see rapport %s --help)\n", cmd,
			operands, operands == 1 ? "" : "s", cmd);
		return 2;
	}
	if (cli_no_format(g, cmd))
		return 2;
	if (o->reason && (strlen(o->reason) > 500 || strpbrk(o->reason, "\r\n"))) {
		fprintf(stderr, "rapport %s: --reason: one line of at most 500 bytes\n", cmd);
		return 2;
	}
	o->first = optind;
	return 0;
}

/* Opens the database for writing, checks --liaison, and says how to redo
 * the command as the service user when refused. */
static int over_open(struct global *g, const char *cmd, int argc, char **argv,
		     const struct over_opts *o)
{
	struct sbuf sb = {0};
	for (int i = 1; i < argc; i++) {
		bool plain = argv[i][0] && !strpbrk(argv[i], " \t\"'$`\\;&|<>()*?");
		sb_printf(&sb, i > 1 ? " %s%s%s" : "%s%s%s", plain ? "" : "'", argv[i],
			  plain ? "" : "'");
	}
	int w = cli_open_rw(g, cmd, sb.buf ? sb.buf : "");
	sb_free(&sb);
	if (w)
		return w;
	struct strlist one = {0};
	if (o->liaison)
		sl_add(&one, o->liaison);
	w = cli_known_liaisons(g, cmd, &one);
	sl_free(&one);
	return w;
}

static int over_write(struct global *g, int (*fn)(struct store *, void *), void *ud)
{
	int r = store_begin(g->st);
	if (r == 0)
		r = fn(g->st, ud);
	if (r == 0)
		r = store_commit(g->st);
	else
		store_rollback(g->st);
	if (r < 0)
		log_err("%s", store_errmsg(g->st));
	return r < 0 ? 1 : 0;
}

static int put_one(struct store *st, void *ud)
{
	return store_override_put(st, ud);
}

struct del_one {
	const char *kind, *account, *subject;
	int n;
};

static int del_one(struct store *st, void *ud)
{
	struct del_one *d = ud;
	return store_override_del(st, d->kind, d->account, d->subject, &d->n);
}

static const char *scope(const struct over_opts *o)
{
	return o->liaison ? o->liaison : "every liaison";
}

int cmd_ignore(struct global *g, int argc, char **argv)
{
	struct over_opts o;
	int r = over_args(g, "ignore", argc, argv, true, 1, &o);
	if (r || (r = over_open(g, "ignore", argc, argv, &o)))
		return r;
	char *who;
	bool roster;
	if ((r = target(g, "ignore", argv[o.first], &who, &roster)))
		return r;
	char *by = setter();
	struct store_override ov = {.kind = "ignore", .account = o.liaison, .subject = who,
				    .reason = o.reason, .set_by = by, .set_at = (int64_t)time(NULL)};
	r = over_write(g, put_one, &ov);
	if (!r)
		printf("%s is not a client of %s from the next refresh; its messages stay stored "
		       "(rapport unignore undoes it)\n", who, scope(&o));
	free(by);
	free(who);
	return r;
}

static int undo(struct global *g, const char *cmd, const char *kind, int argc, char **argv)
{
	struct over_opts o;
	int r = over_args(g, cmd, argc, argv, false, 1, &o);
	if (r || (r = over_open(g, cmd, argc, argv, &o)))
		return r;
	char *who = NULL;
	bool roster;
	const char *arg = argv[o.first];
	/* a name gone from the database can still be undone as written */
	if (strchr(arg, '@'))
		who = addr_normalize(arg);
	else if (store_client_find(g->st, arg, false, &who, &roster) != 0)
		who = NULL;
	if (!who)
		who = xstrdup(arg);
	struct del_one d = {kind, o.liaison, who, 0};
	r = over_write(g, del_one, &d);
	if (!r && !d.n) {
		fprintf(stderr, "rapport %s: no %s override for %s (%s); rapport overrides lists "
				"them\n", cmd, kind, who, scope(&o));
		r = 1;
	} else if (!r) {
		printf("%s: %d %s override%s removed (%s)\n", who, d.n, kind, d.n == 1 ? "" : "s",
		       scope(&o));
	}
	free(who);
	return r;
}

int cmd_unignore(struct global *g, int argc, char **argv)
{
	return undo(g, "unignore", "ignore", argc, argv);
}

int cmd_unmerge(struct global *g, int argc, char **argv)
{
	return undo(g, "unmerge", "merge", argc, argv);
}

int cmd_merge(struct global *g, int argc, char **argv)
{
	struct over_opts o;
	int r = over_args(g, "merge", argc, argv, false, 2, &o);
	if (r || (r = over_open(g, "merge", argc, argv, &o)))
		return r;
	char *a, *b;
	bool ra, rb;
	if ((r = target(g, "merge", argv[o.first], &a, &ra)))
		return r;
	if ((r = target(g, "merge", argv[o.first + 1], &b, &rb))) {
		free(a);
		return r;
	}
	char *na = NULL, *nb = NULL;
	bool x;
	/* the clients behind two addresses */
	if (strchr(a, '@'))
		store_client_find(g->st, a, true, &na, &x);
	if (strchr(b, '@'))
		store_client_find(g->st, b, true, &nb, &x);
	const char *ca = na ? na : a, *cb = nb ? nb : b;
	if (strcmp(ca, cb) == 0) {
		fprintf(stderr, "rapport merge: %s and %s are one client already\n", a, b);
		r = 1;
	} else if (ra && rb) {
		fprintf(stderr, "rapport merge: %s and %s are both on the roster: two roster clients "
				"are never merged; give one roster row both addresses instead (rows "
				"with the same name are one client)\n", ca, cb);
		r = 1;
	} else {
		char *by = setter();
		struct store_override ov = {.kind = "merge", .account = o.liaison, .subject = b,
					    .target = a, .set_by = by,
					    .set_at = (int64_t)time(NULL)};
		r = over_write(g, put_one, &ov);
		if (!r)
			printf("one client: %s, for %s from the next refresh (rapport unmerge %s "
			       "undoes it)\n", ra ? ca : rb ? cb : a, scope(&o), strchr(b, '@') ? b : a);
		free(by);
	}
	free(na);
	free(nb);
	free(a);
	free(b);
	return r;
}

int cmd_cadence(struct global *g, int argc, char **argv)
{
	struct over_opts o;
	int r = over_args(g, "cadence", argc, argv, false, 2, &o);
	if (r)
		return r;
	const char *v = argv[o.first + 1];
	char *end;
	long days = strtol(v, &end, 10);
	bool off = strcmp(v, "off") == 0;
	if (!off && (*end || end == v || days < 1 || days > 3650)) {
		fprintf(stderr, "rapport cadence: expected a number of days (1 to 3650) or off, not "
				"\"%s\"\n", v);
		return 2;
	}
	if ((r = over_open(g, "cadence", argc, argv, &o)))
		return r;
	char *who;
	bool roster;
	if ((r = target(g, "cadence", argv[o.first], &who, &roster)))
		return r;
	if (off) {
		struct del_one d = {"cadence", o.liaison, who, 0};
		r = over_write(g, del_one, &d);
		if (!r)
			printf(d.n ? "%s: no cadence any more (%s)\n"
				   : "%s: had no cadence (%s)\n", who, scope(&o));
	} else {
		char *by = setter();
		struct store_override ov = {.kind = "cadence", .account = o.liaison, .subject = who,
					    .days = (int)days, .set_by = by,
					    .set_at = (int64_t)time(NULL)};
		r = over_write(g, put_one, &ov);
		if (!r)
			printf("%s: a reconnect nudge after %ld days without a message (%s), whatever "
			       "the tie\n", who, days, scope(&o));
		free(by);
	}
	free(who);
	return r;
}

struct over_list {
	enum report_format fmt;
	size_t n;
};

static int print_override(void *ud, const struct store_override *ov)
{
	struct over_list *x = ud;
	char when[32], days[16] = "";
	epoch_to_iso(ov->set_at, when);
	if (ov->days)
		snprintf(days, sizeof(days), "%d", ov->days);
	const char *liaison = ov->account && *ov->account ? ov->account : NULL;
	if (x->fmt == FMT_JSON) {
		printf("%s\n  {\"id\": %lld, \"kind\": \"%s\", \"liaison\": ", x->n ? "," : "",
		       (long long)ov->id, ov->kind);
		if (liaison)
			report_json_string(stdout, liaison);
		else
			fputs("null", stdout);
		printf(", \"subject\": ");
		report_json_string(stdout, ov->subject);
		printf(", \"target\": ");
		if (ov->target)
			report_json_string(stdout, ov->target);
		else
			fputs("null", stdout);
		printf(", \"days\": %s, \"reason\": ", ov->days ? days : "null");
		if (ov->reason)
			report_json_string(stdout, ov->reason);
		else
			fputs("null", stdout);
		printf(", \"set_by\": ");
		report_json_string(stdout, ov->set_by);
		printf(", \"set_at\": \"%s\"}", when);
	} else if (x->fmt == FMT_CSV) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)ov->id);
		const char *f[] = {id, ov->kind, liaison ? liaison : "", ov->subject,
				   ov->target ? ov->target : "", days, ov->reason ? ov->reason : "",
				   ov->set_by, when};
		for (size_t i = 0; i < ARRAY_SIZE(f); i++)
			report_csv_field(stdout, f[i], i + 1 == ARRAY_SIZE(f));
	} else {
		if (!x->n)
			printf("%3s %-7s %-8s %-40s %s\n", "ID", "KIND", "LIAISON", "WHAT", "SET");
		char *what = !strcmp(ov->kind, "merge")
				     ? xasprintf("%s joins %s", ov->subject, ov->target ? ov->target : "")
			     : !strcmp(ov->kind, "cadence")
				     ? xasprintf("%s every %d days", ov->subject, ov->days)
				     : xasprintf("%s%s%s%s", ov->subject, ov->reason ? " (" : "",
						 ov->reason ? ov->reason : "", ov->reason ? ")" : "");
		when[10] = '\0';
		printf("%3lld %-7s %-8.8s %-40s %s %s\n", (long long)ov->id, ov->kind,
		       liaison ? liaison : "(all)", what, when, ov->set_by);
		free(what);
	}
	x->n++;
	return 0;
}

int cmd_overrides(struct global *g, int argc, char **argv)
{
	if (argc > 1) {
		fprintf(stderr, "rapport overrides: unexpected argument: %s\n", argv[1]);
		return 2;
	}
	if (cli_setup(g) < 0)
		return 1;
	struct over_list x = {g->fmt, 0};
	if (g->fmt == FMT_JSON)
		printf("[");
	else if (g->fmt == FMT_CSV) /* the header even without a row */
		printf("id,kind,liaison,subject,target,days,reason,set_by,set_at\r\n");
	if (store_each_override(g->st, NULL, print_override, &x) < 0) {
		log_err("%s", store_errmsg(g->st));
		return 1;
	}
	if (g->fmt == FMT_JSON)
		printf(x.n ? "\n]\n" : "]\n");
	if (!x.n && g->fmt == FMT_TABLE)
		fprintf(stderr, "no overrides (rapport ignore, merge and cadence set them)\n");
	return 0;
}

