/* fuzz.h: the entry point every fuzz target defines (libFuzzer's), and a
 * helper that gives the bytes a file name for the readers that take one. */
#ifndef RAPPORT_FUZZ_H
#define RAPPORT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to an anonymous in-memory file; returns its /proc path in
 * path (at least 64 bytes) and the descriptor to close, or -1. */
int fuzz_memfile(const uint8_t *data, size_t size, char *path);

/* A src_msg_fn for the readers' targets: parses each message the reader
 * yields (and frees it), as the importer would. Always 0. */
int fuzz_parse_each(void *ud, const struct src_msg *m);

#endif
