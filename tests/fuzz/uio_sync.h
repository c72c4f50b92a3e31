/*
 * uio_sync.h - the pipeline of userspace/lib/uring_io.h without io_uring or
 * a thread, for the libFuzzer targets that run libmvgpu's data paths
 * (fuzz_receive.c, fuzz_image.c).  Linked instead of uring_io.c, it runs
 * the same callbacks (transform, source_end, consume) with the same
 * contract, synchronously and deterministically:
 *
 *   - a stream source (a socket) comes in pieces whose sizes the harness
 *     chooses (uio_sync_reads()), each handed to the transform as a read
 *     of that size would be, at the very end of its buffer (reading past
 *     a piece is an AddressSanitizer report); another sequential source is
 *     read() in pieces of those sizes until its input buffer is full; a
 *     positional source is pread() in buffers of in_size, as uring_io.c
 *     reads a file;
 *   - output buffers are exactly out_size bytes (malloc'd: AddressSanitizer
 *     sees a transform that writes past what it reserved) and go to the
 *     sink when full and at the end: an fd (write()) or @consume; the
 *     harness may watch every byte that reaches the sink (uio_sync_tap());
 *   - after uio_end_input(), bytes the source still has are an error, as a
 *     read that completes with data is in uring_io.c;
 *   - the first error stops everything (uio_run() returns it); no ticks, no
 *     pauses, no cancellation (the callers under test do not need them).
 */
#ifndef MVGPU_UIO_SYNC_H
#define MVGPU_UIO_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "uring_io.h"

/*
 * Sizes of the following reads (pieces) of sequential sources, in turn,
 * starting over at each uio_run() (a copy is kept; 0 entries are 1).
 * @n 0: every read asks for all the room there is.
 */
void uio_sync_reads(const uint32_t *sizes, size_t n);

/* Every byte that reaches a sink, in order (NULL: none). */
void uio_sync_tap(void (*fn)(void *opaque, const void *buf, size_t len),
		  void *opaque);

#endif /* MVGPU_UIO_SYNC_H */
