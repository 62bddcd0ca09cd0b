/* util: memory, growable strings and string lists, UTF-8 and time helpers
 * shared by every module. Out of memory is not an error a caller can
 * handle here: the x*alloc wrappers abort with a message. */
#ifndef RAPPORT_UTIL_H
#define RAPPORT_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation wrappers: never return NULL (abort on exhaustion). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copy of the first n bytes of s, NUL-terminated. */
char *xstrndup(const char *s, size_t n);
/* printf into a new string; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A function run on a thread of its own while the caller goes on, all
 * signals blocked there (the caller's handlers run where they always
 * did); at once, in the caller, when no thread can start. Initialise with
 * {0}; task_wait() before the next task_start() and before what fn uses
 * goes away. */
struct task {
	pthread_t tid;
	bool running;
};
void task_start(struct task *t, void *(*fn)(void *), void *arg);
/* Returns at once when nothing runs. */
void task_wait(struct task *t);

/* A growable byte buffer, always NUL-terminated when len > 0 or after
 * sb_cstr(). Initialise with {0}; sb_free() releases it. */
struct sbuf {
	char *buf;
	size_t len;
	size_t cap;
};
void sb_add(struct sbuf *sb, const void *data, size_t n);
/* Room for at least extra more bytes (and the NUL) after len. */
void sb_reserve(struct sbuf *sb, size_t extra);
void sb_addc(struct sbuf *sb, char c);
void sb_adds(struct sbuf *sb, const char *s);
/* Appends v in decimal (the reports write it thousands of times; no printf). */
void sb_addi(struct sbuf *sb, long v);
void sb_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The contents as a C string (never NULL); owned by sb. */
const char *sb_cstr(struct sbuf *sb);
/* Hands the contents to the caller (never NULL) and resets sb. */
char *sb_steal(struct sbuf *sb);
void sb_reset(struct sbuf *sb);
void sb_free(struct sbuf *sb);

/* A list of owned strings. Initialise with {0}. */
struct strlist {
	char **v;
	size_t n;
	size_t cap;
};
/* Appends a copy of s. */
void sl_add(struct strlist *l, const char *s);
/* Appends s, taking ownership. */
void sl_take(struct strlist *l, char *s);
/* Appends a copy of s unless an equal string is already present;
 * returns true when it was added. */
bool sl_add_unique(struct strlist *l, const char *s);
/* Sorts in byte order. */
void sl_sort(struct strlist *l);
bool sl_contains(const struct strlist *l, const char *s);
void sl_free(struct strlist *l);
/* All items joined with sep into a new string (empty string if none). */
char *sl_join(const struct strlist *l, const char *sep);

/* True if the n bytes at s are well-formed UTF-8. */
bool utf8_valid(const char *s, size_t n);
/* A well-formed UTF-8 copy of the n bytes at s: invalid sequences and
 * control characters other than tab become U+FFFD / a space. Caller frees. */
char *utf8_sanitize(const char *s, size_t n);
/* Case-folds ASCII and Latin-1 letters of a UTF-8 string into a new
 * string (enough for subjects and the out-of-office phrases). */
char *utf8_casefold(const char *s);

/* ASCII-only helpers that ignore the locale. */
int ascii_tolower(int c);
int ascii_strcasecmp(const char *a, const char *b);
int ascii_strncasecmp(const char *a, const char *b, size_t n);
bool ascii_isspace(int c);
/* Lower-cases s in place (ASCII letters only); returns s. */
char *ascii_lower(char *s);
/* Returns a new string with leading and trailing white space removed. */
char *xstrtrim(const char *s);

/* Seconds since the epoch for a UTC civil time; no range check beyond
 * what the arithmetic needs (works for any proleptic Gregorian year). */
int64_t civil_to_epoch(int year, int month, int day, int hour, int min, int sec);
/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
void epoch_to_iso(int64_t t, char buf[static 32]);
/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]" or "now"; 0 or -EINVAL. */
int iso_to_epoch(const char *s, int64_t *ret_t);

/* Opens path read-only (close-on-exec) if it is a regular file: opened
 * without blocking (a FIFO or a device cannot hang the caller at open)
 * and, with nofollow, not through a symbolic link, then checked with
 * fstat. Returns 0 and a blocking descriptor in *ret_fd; -EINVAL for
 * anything but a regular file, -ELOOP for a symbolic link (nofollow), or
 * another negative errno. Every file rapport reads on behalf of a user
 * (mail, configuration, roster) is opened through this. */
int open_regular(const char *path, bool nofollow, int *ret_fd);

/* Reads a whole small regular file (at most max bytes); 0 or negative
 * errno (-EFBIG when larger, -EINVAL when not a regular file: a FIFO or a
 * device would block or never end). Caller frees *ret_data. */
int read_file(const char *path, size_t max, char **ret_data, size_t *ret_len);


/* An interning table: each distinct string gets a dense id 0, 1, 2, ...
 * Strings are copied into the table. Initialise with {0}. */
#define STRTAB_NONE UINT32_MAX
struct strtab_block {
	struct strtab_block *next;
	char data[];
};
struct strtab {
	uint64_t *slots;  /* open addressing: hash and id + 1, 0 = empty */
	size_t nslots;
	char **strs;      /* into blocks */
	size_t n, cap;
	struct strtab_block *blocks;
	char *free;       /* the current block's unused room */
	size_t room;
};
/* The id of s, adding it when new. */
uint32_t strtab_intern(struct strtab *t, const char *s);
/* The id of s, or STRTAB_NONE. */
uint32_t strtab_find(const struct strtab *t, const char *s);
const char *strtab_str(const struct strtab *t, uint32_t id);
/* Frees the lookup index (its slots, 16 bytes or more per string) when no
 * more lookups are due: the ids and strings stay; strtab_find finds
 * nothing until the next strtab_intern, which rebuilds the index. */
void strtab_seal(struct strtab *t);
void strtab_free(struct strtab *t);

#endif
