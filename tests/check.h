/* check.h: the unit tests' assertions. Each failed check prints where and
 * what, and the test exits 1 at the end (check_done). */
#ifndef RAPPORT_CHECK_H
#define RAPPORT_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                              \
	do {                                                                     \
		check_count++;                                                   \
		if (!(cond)) {                                                   \
			check_failures++;                                        \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
		}                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                          \
	do {                                                                     \
		const char *a_ = (a), *b_ = (b);                                 \
		check_count++;                                                   \
		if (!((a_ == NULL && b_ == NULL) ||                              \
		      (a_ && b_ && strcmp(a_, b_) == 0))) {                      \
			check_failures++;                                        \
			fprintf(stderr, "%s:%d: %s is \"%s\", expected \"%s\"\n", \
				__FILE__, __LINE__, #a, a_ ? a_ : "(null)",      \
				b_ ? b_ : "(null)");                             \
		}                                                                \
	} while (0)

#define CHECK_INT(a, b)                                                          \
	do {                                                                     \
		long long a_ = (long long)(a), b_ = (long long)(b);              \
		check_count++;                                                   \
		if (a_ != b_) {                                                  \
			check_failures++;                                        \
			fprintf(stderr, "%s:%d: %s is %lld, expected %lld\n",    \
				__FILE__, __LINE__, #a, a_, b_);                 \
		}                                                                \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
