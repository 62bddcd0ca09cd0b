/* hdr: splits a raw RFC 5322 header block into unfolded fields.
 * Untrusted data: the block may hold any bytes (8-bit, NUL, bare CR). */
#ifndef RAPPORT_HDR_H
#define RAPPORT_HDR_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds that keep a hostile header block from costing unbounded work. */
#define HDR_MAX_FIELDS 4096
#define HDR_MAX_VALUE (1024 * 1024)

struct hdr_field {
	char *name;   /* as written, NUL-terminated */
	char *value;  /* unfolded (CR/LF removed), leading white space trimmed,
	               * NUL bytes replaced by spaces */
};

struct hdr {
	struct hdr_field *f;
	size_t n;
	size_t skipped; /* lines that were neither a field nor a continuation */
};

/* Splits data[0..len) up to the first empty line (or the end). Returns the
 * byte offset just past the header block via *ret_body (may be NULL).
 * Never fails: garbage lines are counted in skipped. hdr_free() releases. */
void hdr_parse(const char *data, size_t len, struct hdr *ret, size_t *ret_body);
void hdr_free(struct hdr *h);

/* The value of the first field named name (ASCII case-insensitive), or NULL. */
const char *hdr_get(const struct hdr *h, const char *name);

/* The value of the first field named name (ASCII case-insensitive) in
 * the header block data[0..len), exactly as hdr_get() would find it after
 * hdr_parse(), without splitting the rest; NULL if there is none. The
 * caller frees it. */
char *hdr_value(const char *data, size_t len, const char *name);

/* Where the header block ends: the offset of the body (just past the empty
 * line), or len when there is no empty line. */
size_t hdr_block_end(const char *data, size_t len);
/* True when data[0..len) holds the empty line ending the header block;
 * then *ret_end is the offset just past it. */
bool hdr_find_end(const char *data, size_t len, size_t *ret_end);

/* Copies the header block data[0..len) to a new buffer with room for
 * extra more bytes (and a NUL), every field called name (as hdr_parse
 * finds them) whose unfolded value is longer than limit bytes cut short:
 * to the raw text of its first limit + 1 value bytes or a few more, up to
 * one that is not white space, so that hdr_parse reads the cut field as
 * the first bytes of the whole one and still longer than limit (limit
 * below HDR_MAX_VALUE). A Bcc of
 * a whole department costs its first kilobytes, not all of it. *ret_len
 * is the copy's length. */
char *hdr_copy_cut(const char *data, size_t len, const char *name, size_t limit, size_t extra,
		   size_t *ret_len);

#endif
