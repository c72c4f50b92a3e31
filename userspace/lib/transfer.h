/*
 * transfer.h - libmvgpu private: the migration data path of transfer.c
 * without a device or a handshake, for benchmarks and native tests.
 *
 * xf_stream_send() reads @in_fd to its end and sends it on @sock as the
 * DATA messages and END of a migration (seq from 0: no HELLO before);
 * xf_stream_recv() takes them from @sock and writes the stream to @out_fd,
 * checking everything a receiver checks.  Same io_uring pipeline, same
 * lz4 worker, same codec as mvgpu_migrate() / mvgpu_receive().
 * Return: 0 or -errno (detail in ctx).
 */
#ifndef MVGPU_TRANSFER_H
#define MVGPU_TRANSFER_H

#include <stdint.h>

#include "internal.h"

int xf_stream_send(mvgpu_ctx *ctx, int in_fd, int sock, uint64_t *stream_bytes,
		   uint64_t *wire_bytes);
/* The zero-copy sends the last xf_stream_send() of this thread made. */
uint64_t xf_last_zc_sends(void);
int xf_stream_recv(mvgpu_ctx *ctx, int sock, int out_fd, uint64_t *stream_bytes,
		   uint64_t *wire_bytes);

/*
 * xf_commit() - the commit of mvgpu_migrate() alone: COMMIT on @sock
 * (seq 0), then the target's answer read as mvgpu_migrate() reads it.
 * Return: 0 (COMMITTED); the target's -errno with *@in_doubt 0 (a clear
 * ERROR: it does not run the vGPU); -EREMOTEIO with *@in_doubt 1.
 */
int xf_commit(mvgpu_ctx *ctx, int sock, unsigned timeout_ms, int *in_doubt);

#endif
