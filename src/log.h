/* log: the daemon's and the CLI's only way to say things. Under systemd
 * (JOURNAL_STREAM set and stderr that stream) each line carries a "<N>"
 * priority prefix for the journal; in the foreground it is plain stderr.
 * Library modules never log: they return errors, and the caller logs once.
 * Never pass a secret to these functions. */
#ifndef RAPPORT_LOG_H
#define RAPPORT_LOG_H

#include <stdbool.h>

/* ident prefixes foreground lines ("rapportd: ..."); verbose enables debug. */
void log_init(const char *ident, bool verbose);
bool log_verbose(void);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warnx: a warning; log_err: an error (the program goes on or exits,
 * as the caller decides). */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
