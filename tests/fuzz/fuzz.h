/* fuzz.h: the entry point every fuzz target defines (libFuzzer's), and a
 * helper that gives the bytes a file name for the readers that take one. */
#ifndef RAPPORT_FUZZ_H
#define RAPPORT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to an anonymous in-memory file; returns its /proc path in
 * path (at least 64 bytes) and the descriptor to close, or -1. */
int fuzz_memfile(const uint8_t *data, size_t size, char *path);

#endif
