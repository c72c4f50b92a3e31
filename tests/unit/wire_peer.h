/*
 * wire_peer.h - a migration peer played by hand in the unit tests
 * (test_net.c, test_session.c): messages of the wire protocol
 * (proto/mvgpu_wire.h) made, sent and read on a socket.  The helpers
 * abort the current test (Criterion assert) when they cannot.
 */
#ifndef WIRE_PEER_H
#define WIRE_PEER_H

#include <stddef.h>
#include <stdint.h>

#include "mvgpu_wire.h"

/* One whole message (header + payload) of @type at @out; its length. */
size_t wire_msg(uint8_t *out, unsigned type, uint64_t seq, const void *payload,
		uint32_t len);
/* A source's HELLO number @seq for vGPU @uuid of @type (64 MiB
 * framebuffer, minor @minor). */
size_t wire_hello(uint8_t *out, uint64_t seq, unsigned minor,
		  const char *uuid, const char *type);
/* A source's SESSION of @count vGPUs (seq 0). */
size_t wire_session(uint8_t *out, unsigned count);
void wire_send(int fd, const void *p, size_t len);
/* Read one message from @fd within @ms; its type, or -1. */
int wire_read(int fd, unsigned ms, uint8_t *payload, size_t cap,
	      struct mvgpu_wire_hdr *h);
/* The ERROR text the peer sent on @fd next ("" if it sent none). */
void wire_read_error(int fd, char *text, size_t len);

#endif
