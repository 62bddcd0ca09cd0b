/* log: see log.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static const char *ident = "rapport";
static bool verbose;
static bool journal;

/* stderr is the journal when JOURNAL_STREAM names its device and inode. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &sb) < 0)
		return false;
	return sb.st_dev == (dev_t)dev && sb.st_ino == (ino_t)ino;
}

void log_init(const char *id, bool v)
{
	ident = id;
	verbose = v;
	journal = stderr_is_journal();
}

bool log_verbose(void)
{
	return verbose;
}

static void emit(int prio, const char *fmt, va_list ap)
{
	char *raw;
	if (vasprintf(&raw, fmt, ap) < 0)
		return;
	/* one line per message, printable: a newline from untrusted data (a
	 * folder name, a server's answer) would forge log lines, an escape
	 * sequence would drive the terminal of whoever reads the log */
	char *msg = utf8_sanitize(raw, strlen(raw));
	free(raw);
	if (journal)
		fprintf(stderr, "<%d>%s\n", prio, msg);
	else if (prio <= LOG_WARNING)
		fprintf(stderr, "%s: %s: %s\n", ident, prio <= LOG_ERR ? "error" : "warning", msg);
	else
		fprintf(stderr, "%s: %s\n", ident, msg);
	free(msg);
}

#define LOGFN(name, prio, cond)                      \
	void name(const char *fmt, ...)              \
	{                                            \
		va_list ap;                          \
		if (!(cond))                         \
			return;                      \
		va_start(ap, fmt);                   \
		emit(prio, fmt, ap);                 \
		va_end(ap);                          \
	}

LOGFN(log_debug, LOG_DEBUG, verbose)
LOGFN(log_info, LOG_INFO, true)
LOGFN(log_notice, LOG_NOTICE, true)
LOGFN(log_warnx, LOG_WARNING, true)
LOGFN(log_err, LOG_ERR, true)
