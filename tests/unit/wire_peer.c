/*
 * wire_peer.c - a migration peer played by hand (wire_peer.h).
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "wire_peer.h"

size_t wire_msg(uint8_t *out, unsigned type, uint64_t seq, const void *payload,
		uint32_t len)
{
	cr_assert_eq(mvgpu_wire_encode_hdr(out, type, 0, 0, seq, payload, len), 0);
	if (len)
		memcpy(out + MVGPU_WIRE_HDR, payload, len);
	return MVGPU_WIRE_HDR + len;
}

size_t wire_hello(uint8_t *out, uint64_t seq, unsigned minor,
		  const char *uuid, const char *type)
{
	struct mvgpu_wire_hello h = { .major = MVGPU_WIRE_MAJOR,
				      .minor = (__u16)minor,
				      .fb_size = 64ull << 20 };
	uint8_t p[MVGPU_WIRE_CTRL_MAX];
	int n;

	snprintf(h.source_uuid, sizeof(h.source_uuid), "%s", uuid);
	snprintf(h.type, sizeof(h.type), "%s", type);
	snprintf(h.host, sizeof(h.host), "test-source");
	snprintf(h.version, sizeof(h.version), "mvgpu-migration-version=1 type=%s", type);
	n = mvgpu_wire_encode_hello(&h, p, sizeof(p));
	cr_assert_gt(n, 0);
	return wire_msg(out, MVGPU_WIRE_HELLO, seq, p, (uint32_t)n);
}

size_t wire_session(uint8_t *out, unsigned count)
{
	struct mvgpu_wire_session s = { .major = MVGPU_WIRE_MAJOR,
					.minor = MVGPU_WIRE_MINOR, .count = count };
	uint8_t p[64];
	int n = mvgpu_wire_encode_session(&s, p, sizeof(p));

	cr_assert_gt(n, 0);
	return wire_msg(out, MVGPU_WIRE_SESSION, 0, p, (uint32_t)n);
}

void wire_send(int fd, const void *p, size_t len)
{
	cr_assert_eq(send(fd, p, len, MSG_NOSIGNAL), (ssize_t)len);
}

int wire_read(int fd, unsigned ms, uint8_t *payload, size_t cap,
	      struct mvgpu_wire_hdr *h)
{
	uint8_t hdr[MVGPU_WIRE_HDR];
	size_t got = 0, want = sizeof(hdr);
	uint8_t *dst = hdr;
	int phase = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (got == want) {
			if (phase)
				return (int)h->type;
			if (mvgpu_wire_decode_hdr(hdr, h, NULL, 0) || h->length > cap)
				return -1;
			phase = 1;
			got = 0;
			want = h->length;
			dst = payload;
			continue;
		}
		if (poll(&p, 1, (int)ms) != 1)
			return -1;
		n = read(fd, dst + got, want - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
}

void wire_read_error(int fd, char *text, size_t len)
{
	uint8_t p[MVGPU_WIRE_CTRL_MAX];
	struct mvgpu_wire_hdr h;
	struct mvgpu_wire_error e;

	text[0] = '\0';
	if (wire_read(fd, 5000, p, sizeof(p), &h) != MVGPU_WIRE_ERROR)
		return;
	cr_assert_eq(mvgpu_wire_decode_error(p, h.length, &e, NULL, 0), 0);
	snprintf(text, len, "%s", e.text);
}
