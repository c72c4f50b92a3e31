// SPDX-License-Identifier: (GPL-2.0 OR MIT)
/*
 * mvgpu_wire.c - the codec of the helper's wire protocol (mvgpu_wire.h).
 * No I/O and no allocation: headers and control payloads to and from
 * caller buffers, every field of a received one checked.
 */
#include "mvgpu_wire.h"

#define WHY(...)	((why && whylen) ? (void)snprintf(why, whylen, __VA_ARGS__) : (void)0)

/* Byte offsets in the header. */
#define H_MAGIC		0
#define H_TYPE		4
#define H_FLAGS		6
#define H_LENGTH	8
#define H_RAW		12
#define H_SEQ		16
#define H_CHECK		24

static const struct {
	unsigned int type;
	const char *name;
	__u32 max;
} wire_types[] = {
	{ MVGPU_WIRE_HELLO,	"HELLO",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_DATA,	"DATA",		MVGPU_WIRE_DATA_MAX },
	{ MVGPU_WIRE_STATE,	"STATE",	MVGPU_WIRE_NAME_LEN + MVGPU_WIRE_STATE_MAX },
	{ MVGPU_WIRE_END,	"END",		MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_COMMIT,	"COMMIT",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_SESSION,	"SESSION",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_STREAM,	"STREAM",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_ACCEPT,	"ACCEPT",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_LOADED,	"LOADED",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_COMMITTED,	"COMMITTED",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_ERROR,	"ERROR",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_AGENT,	"AGENT",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_PAUSE,	"PAUSE",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_PAUSED,	"PAUSED",	MVGPU_WIRE_NAME_LEN + MVGPU_WIRE_STATE_MAX },
	{ MVGPU_WIRE_RESUME,	"RESUME",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_RELEASE,	"RELEASE",	MVGPU_WIRE_CTRL_MAX },
	{ MVGPU_WIRE_START,	"START",	MVGPU_WIRE_NAME_LEN + MVGPU_WIRE_STATE_MAX },
};

const char *mvgpu_wire_type_name(unsigned int type)
{
	size_t i;

	for (i = 0; i < sizeof(wire_types) / sizeof(wire_types[0]); i++)
		if (wire_types[i].type == type)
			return wire_types[i].name;
	return "?";
}

__u32 mvgpu_wire_payload_max(unsigned int type)
{
	size_t i;

	for (i = 0; i < sizeof(wire_types) / sizeof(wire_types[0]); i++)
		if (wire_types[i].type == type)
			return wire_types[i].max;
	return 0;
}

static __u64 wire_check(const __u8 *hdr, const void *payload, __u32 length)
{
	struct mvgpu_xxh64 h;

	mvgpu_xxh64_reset(&h);
	mvgpu_xxh64_update(&h, hdr, H_CHECK);
	if (length)
		mvgpu_xxh64_update(&h, payload, length);
	return mvgpu_xxh64_digest(&h);
}

/* Flags and raw a header of @type may have. */
static bool fields_valid(unsigned int type, unsigned int flags, __u32 raw,
			 __u32 length)
{
	if (type != MVGPU_WIRE_DATA)
		return !flags && !raw;
	if (flags & ~MVGPU_WIRE_F_LZ4)
		return false;
	if (!raw || raw > MVGPU_WIRE_DATA_RAW_MAX)
		return false;
	return (flags & MVGPU_WIRE_F_LZ4) ? length > 0 : length == raw;
}

int mvgpu_wire_encode_hdr(__u8 *out, unsigned int type, unsigned int flags,
			  __u32 raw, __u64 seq, const void *payload,
			  __u32 length)
{
	__u32 max = mvgpu_wire_payload_max(type);

	if (!max || length > max || !fields_valid(type, flags, raw, length))
		return -EINVAL;
	mvgpu_put_le32(out + H_MAGIC, MVGPU_WIRE_MAGIC);
	mvgpu_put_le16(out + H_TYPE, (__u16)type);
	mvgpu_put_le16(out + H_FLAGS, (__u16)flags);
	mvgpu_put_le32(out + H_LENGTH, length);
	mvgpu_put_le32(out + H_RAW, raw);
	mvgpu_put_le64(out + H_SEQ, seq);
	mvgpu_put_le64(out + H_CHECK, wire_check(out, payload, length));
	return 0;
}

int mvgpu_wire_decode_hdr(const __u8 *in, struct mvgpu_wire_hdr *h,
			  char *why, size_t whylen)
{
	__u32 max;

	if (mvgpu_get_le32(in + H_MAGIC) != MVGPU_WIRE_MAGIC) {
		WHY("not an mvgpu peer (magic %08x)", mvgpu_get_le32(in + H_MAGIC));
		return -EPROTO;
	}
	h->type = mvgpu_get_le16(in + H_TYPE);
	h->flags = mvgpu_get_le16(in + H_FLAGS);
	h->length = mvgpu_get_le32(in + H_LENGTH);
	h->raw = mvgpu_get_le32(in + H_RAW);
	h->seq = mvgpu_get_le64(in + H_SEQ);
	h->check = mvgpu_get_le64(in + H_CHECK);
	max = mvgpu_wire_payload_max(h->type);
	if (!max) {
		WHY("unknown message type %u", h->type);
		return -EBADMSG;
	}
	if (h->length > max) {
		WHY("%s message of %u bytes (at most %u)",
		    mvgpu_wire_type_name(h->type), h->length, max);
		return -EBADMSG;
	}
	if (!fields_valid(h->type, h->flags, h->raw, h->length)) {
		WHY("%s message with flags %#x, raw %u, length %u",
		    mvgpu_wire_type_name(h->type), h->flags, h->raw, h->length);
		return -EBADMSG;
	}
	return 0;
}

int mvgpu_wire_verify(const __u8 *in, const struct mvgpu_wire_hdr *h,
		      const void *payload, __u64 expect_seq, char *why,
		      size_t whylen)
{
	if (wire_check(in, payload, h->length) != h->check) {
		WHY("%s message %llu damaged: checksum mismatch",
		    mvgpu_wire_type_name(h->type), (unsigned long long)h->seq);
		return -EBADMSG;
	}
	if (h->seq != expect_seq) {
		WHY("%s message numbered %llu where %llu was due (lost, repeated or reordered)",
		    mvgpu_wire_type_name(h->type), (unsigned long long)h->seq,
		    (unsigned long long)expect_seq);
		return -EBADMSG;
	}
	return 0;
}

/* ---- strings ------------------------------------------------------------- */

static bool printable(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* A fixed field of @size bytes holding a NUL-terminated printable string. */
static int put_fixed(__u8 *p, size_t size, const char *s)
{
	size_t n = strnlen(s, size);

	if (n >= size || !printable(s, n))
		return -EINVAL;
	memset(p, 0, size);
	memcpy(p, s, n);
	return 0;
}

static int get_fixed(const __u8 *p, size_t size, char *s, const char *what,
		     char *why, size_t whylen)
{
	size_t n = strnlen((const char *)p, size), i;

	if (n == size) {
		WHY("%s is not terminated", what);
		return -EBADMSG;
	}
	for (i = n; i < size; i++) {
		if (p[i]) {
			WHY("%s has bytes after its end", what);
			return -EBADMSG;
		}
	}
	if (!printable((const char *)p, n)) {
		WHY("%s holds unprintable bytes", what);
		return -EBADMSG;
	}
	memcpy(s, p, n + 1);
	return 0;
}

/* A length-prefixed string at the end of a payload: le32 len + bytes. */
static int put_tail(__u8 *p, size_t room, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n >= max || !printable(s, n))
		return -EINVAL;
	if (room < 4 + n)
		return -ENOSPC;
	mvgpu_put_le32(p, (__u32)n);
	memcpy(p + 4, s, n);
	return (int)(4 + n);
}

static int get_tail(const __u8 *p, size_t len, char *s, size_t max,
		    bool need, const char *what, char *why, size_t whylen)
{
	__u32 n;

	if (len < 4) {
		WHY("%s: payload too short", what);
		return -EBADMSG;
	}
	n = mvgpu_get_le32(p);
	if (n != len - 4 || n >= max || (need && !n)) {
		WHY("%s: length %u does not fit the payload (%zu bytes)", what,
		    n, len - 4);
		return -EBADMSG;
	}
	if (!printable((const char *)p + 4, n)) {
		WHY("%s holds unprintable bytes", what);
		return -EBADMSG;
	}
	memcpy(s, p + 4, n);
	s[n] = '\0';
	return 0;
}

/* ---- HELLO ---------------------------------------------------------------- */

#define HELLO_FIXED	(8 + 2 * MVGPU_WIRE_UUID_LEN + MVGPU_WIRE_NAME_LEN + \
			 MVGPU_WIRE_HOST_LEN + 8)

int mvgpu_wire_encode_hello(const struct mvgpu_wire_hello *m, __u8 *buf,
			    size_t room)
{
	size_t o = 8;
	int n;

	if (room < HELLO_FIXED)
		return -ENOSPC;
	if (m->flags & ~MVGPU_WIRE_HELLO_FLAGS)
		return -EINVAL;
	mvgpu_put_le16(buf, m->major);
	mvgpu_put_le16(buf + 2, m->minor);
	mvgpu_put_le32(buf + 4, m->flags);
	if (put_fixed(buf + o, MVGPU_WIRE_UUID_LEN, m->source_uuid) ||
	    put_fixed(buf + o + MVGPU_WIRE_UUID_LEN, MVGPU_WIRE_UUID_LEN,
		      m->target_uuid))
		return -EINVAL;
	o += 2 * MVGPU_WIRE_UUID_LEN;
	if (put_fixed(buf + o, MVGPU_WIRE_NAME_LEN, m->type))
		return -EINVAL;
	o += MVGPU_WIRE_NAME_LEN;
	if (put_fixed(buf + o, MVGPU_WIRE_HOST_LEN, m->host))
		return -EINVAL;
	o += MVGPU_WIRE_HOST_LEN;
	mvgpu_put_le64(buf + o, m->fb_size);
	o += 8;
	n = put_tail(buf + o, room - o, m->version, MVGPU_WIRE_VERSION_MAX);
	return n < 0 ? n : (int)(o + (size_t)n);
}

int mvgpu_wire_decode_hello(const __u8 *p, size_t len,
			    struct mvgpu_wire_hello *m, char *why,
			    size_t whylen)
{
	size_t o = 8;

	memset(m, 0, sizeof(*m));
	if (len < HELLO_FIXED + 4) {
		WHY("HELLO of %zu bytes is too short", len);
		return -EBADMSG;
	}
	m->major = mvgpu_get_le16(p);
	m->minor = mvgpu_get_le16(p + 2);
	m->flags = mvgpu_get_le32(p + 4);
	/* another major may lay the rest out differently: stop here */
	if (m->major != MVGPU_WIRE_MAJOR)
		return 0;
	if (m->flags & ~MVGPU_WIRE_HELLO_FLAGS) {
		WHY("HELLO with unknown flags %#x", m->flags);
		return -EBADMSG;
	}
	if (get_fixed(p + o, MVGPU_WIRE_UUID_LEN, m->source_uuid,
		      "HELLO source uuid", why, whylen) ||
	    get_fixed(p + o + MVGPU_WIRE_UUID_LEN, MVGPU_WIRE_UUID_LEN,
		      m->target_uuid, "HELLO target uuid", why, whylen))
		return -EBADMSG;
	o += 2 * MVGPU_WIRE_UUID_LEN;
	if (get_fixed(p + o, MVGPU_WIRE_NAME_LEN, m->type, "HELLO type", why,
		      whylen))
		return -EBADMSG;
	o += MVGPU_WIRE_NAME_LEN;
	if (get_fixed(p + o, MVGPU_WIRE_HOST_LEN, m->host, "HELLO host", why,
		      whylen))
		return -EBADMSG;
	o += MVGPU_WIRE_HOST_LEN;
	m->fb_size = mvgpu_get_le64(p + o);
	o += 8;
	return get_tail(p + o, len - o, m->version, MVGPU_WIRE_VERSION_MAX,
			true, "HELLO migration_version", why, whylen);
}

/* ---- ACCEPT --------------------------------------------------------------- */

#define ACCEPT_FIXED	(8 + MVGPU_WIRE_UUID_LEN + MVGPU_WIRE_HOST_LEN)

int mvgpu_wire_encode_accept(const struct mvgpu_wire_accept *m, __u8 *buf,
			     size_t room)
{
	int n;

	if (room < ACCEPT_FIXED)
		return -ENOSPC;
	if (m->flags & ~MVGPU_WIRE_ACCEPT_FLAGS)
		return -EINVAL;
	mvgpu_put_le16(buf, m->major);
	mvgpu_put_le16(buf + 2, m->minor);
	mvgpu_put_le32(buf + 4, m->flags);
	if (put_fixed(buf + 8, MVGPU_WIRE_UUID_LEN, m->target_uuid) ||
	    put_fixed(buf + 8 + MVGPU_WIRE_UUID_LEN, MVGPU_WIRE_HOST_LEN,
		      m->host))
		return -EINVAL;
	n = put_tail(buf + ACCEPT_FIXED, room - ACCEPT_FIXED, m->version,
		     MVGPU_WIRE_VERSION_MAX);
	return n < 0 ? n : (int)ACCEPT_FIXED + n;
}

int mvgpu_wire_decode_accept(const __u8 *p, size_t len,
			     struct mvgpu_wire_accept *m, char *why,
			     size_t whylen)
{
	memset(m, 0, sizeof(*m));
	if (len < ACCEPT_FIXED + 4) {
		WHY("ACCEPT of %zu bytes is too short", len);
		return -EBADMSG;
	}
	m->major = mvgpu_get_le16(p);
	m->minor = mvgpu_get_le16(p + 2);
	m->flags = mvgpu_get_le32(p + 4);
	if (m->major != MVGPU_WIRE_MAJOR) {
		WHY("ACCEPT for protocol %u.%u (this side speaks %u.%u)",
		    m->major, m->minor, MVGPU_WIRE_MAJOR, MVGPU_WIRE_MINOR);
		return -EBADMSG;
	}
	if (m->flags & ~MVGPU_WIRE_ACCEPT_FLAGS) {
		WHY("ACCEPT with unknown flags %#x", m->flags);
		return -EBADMSG;
	}
	if (get_fixed(p + 8, MVGPU_WIRE_UUID_LEN, m->target_uuid,
		      "ACCEPT uuid", why, whylen) ||
	    get_fixed(p + 8 + MVGPU_WIRE_UUID_LEN, MVGPU_WIRE_HOST_LEN,
		      m->host, "ACCEPT host", why, whylen))
		return -EBADMSG;
	return get_tail(p + ACCEPT_FIXED, len - ACCEPT_FIXED, m->version,
			MVGPU_WIRE_VERSION_MAX, true,
			"ACCEPT migration_version", why, whylen);
}

/* ---- ERROR ---------------------------------------------------------------- */

int mvgpu_wire_encode_error(const struct mvgpu_wire_error *m, __u8 *buf,
			    size_t room)
{
	size_t n = strnlen(m->text, MVGPU_WIRE_MSG_MAX);

	if (n >= MVGPU_WIRE_MSG_MAX || !m->code)
		return -EINVAL;
	if (room < 8 + n)
		return -ENOSPC;
	mvgpu_put_le32(buf, m->code);
	mvgpu_put_le32(buf + 4, (__u32)n);
	memcpy(buf + 8, m->text, n);
	return (int)(8 + n);
}

int mvgpu_wire_decode_error(const __u8 *p, size_t len,
			    struct mvgpu_wire_error *m, char *why,
			    size_t whylen)
{
	__u32 n, i;

	memset(m, 0, sizeof(*m));
	if (len < 8) {
		WHY("ERROR of %zu bytes is too short", len);
		return -EBADMSG;
	}
	m->code = mvgpu_get_le32(p);
	n = mvgpu_get_le32(p + 4);
	if (!m->code || m->code > 4095 || n != len - 8 ||
	    n >= MVGPU_WIRE_MSG_MAX) {
		WHY("ERROR with code %u and text length %u in %zu bytes",
		    m->code, n, len);
		return -EBADMSG;
	}
	/* a peer's words reach a terminal: no control characters */
	for (i = 0; i < n; i++) {
		__u8 c = p[8 + i];

		m->text[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	m->text[n] = '\0';
	return 0;
}

/* ---- END, LOADED/COMMITTED, kinds, AGENT --------------------------------- */

#define END_LEN		32

int mvgpu_wire_encode_end(const struct mvgpu_wire_end *m, __u8 *buf,
			  size_t room)
{
	if (room < END_LEN)
		return -ENOSPC;
	mvgpu_put_le64(buf, m->stream_bytes);
	mvgpu_put_le64(buf + 8, m->data_msgs);
	mvgpu_put_le32(buf + 16, m->passes);
	mvgpu_put_le32(buf + 20, 0);
	mvgpu_put_le64(buf + 24, m->precopy_bytes);
	return END_LEN;
}

int mvgpu_wire_decode_end(const __u8 *p, size_t len, struct mvgpu_wire_end *m,
			  char *why, size_t whylen)
{
	memset(m, 0, sizeof(*m));
	if (len != END_LEN || mvgpu_get_le32(p + 20)) {
		WHY("END of %zu bytes is malformed", len);
		return -EBADMSG;
	}
	m->stream_bytes = mvgpu_get_le64(p);
	m->data_msgs = mvgpu_get_le64(p + 8);
	m->passes = mvgpu_get_le32(p + 16);
	m->precopy_bytes = mvgpu_get_le64(p + 24);
	if (m->precopy_bytes > m->stream_bytes) {
		WHY("END: %llu pre-copy bytes of a %llu-byte stream",
		    (unsigned long long)m->precopy_bytes,
		    (unsigned long long)m->stream_bytes);
		return -EBADMSG;
	}
	return 0;
}

int mvgpu_wire_encode_ns(__u64 ns, __u8 *buf, size_t room)
{
	if (room < 8)
		return -ENOSPC;
	mvgpu_put_le64(buf, ns);
	return 8;
}

int mvgpu_wire_decode_ns(const __u8 *p, size_t len, __u64 *ns, char *why,
			 size_t whylen)
{
	if (len != 8) {
		WHY("a %zu-byte payload where 8 were due", len);
		return -EBADMSG;
	}
	*ns = mvgpu_get_le64(p);
	return 0;
}

int mvgpu_wire_encode_kind(const char *kind, __u8 *buf, size_t room)
{
	if (room < MVGPU_WIRE_NAME_LEN)
		return -ENOSPC;
	if (put_fixed(buf, MVGPU_WIRE_NAME_LEN, kind))
		return -EINVAL;
	return MVGPU_WIRE_NAME_LEN;
}

int mvgpu_wire_decode_kind(const __u8 *p, size_t len, char *kind,
			   char *why, size_t whylen)
{
	if (len < MVGPU_WIRE_NAME_LEN) {
		WHY("a workload state of %zu bytes has no kind", len);
		return -EBADMSG;
	}
	if (get_fixed(p, MVGPU_WIRE_NAME_LEN, kind, "the state's kind", why,
		      whylen))
		return -EBADMSG;
	if (!kind[0] && len != MVGPU_WIRE_NAME_LEN) {
		WHY("%zu bytes of state without a kind",
		    len - MVGPU_WIRE_NAME_LEN);
		return -EBADMSG;
	}
	return 0;
}

#define AGENT_LEN	(8 + MVGPU_WIRE_UUID_LEN + 4)

int mvgpu_wire_encode_agent(const struct mvgpu_wire_agent *m, __u8 *buf,
			    size_t room)
{
	if (room < AGENT_LEN)
		return -ENOSPC;
	if (m->flags & ~MVGPU_WIRE_AGENT_FLAGS)
		return -EINVAL;
	mvgpu_put_le16(buf, m->major);
	mvgpu_put_le16(buf + 2, m->minor);
	mvgpu_put_le32(buf + 4, m->flags);
	if (put_fixed(buf + 8, MVGPU_WIRE_UUID_LEN, m->uuid))
		return -EINVAL;
	mvgpu_put_le32(buf + 8 + MVGPU_WIRE_UUID_LEN, m->pid);
	return AGENT_LEN;
}

int mvgpu_wire_decode_agent(const __u8 *p, size_t len,
			    struct mvgpu_wire_agent *m, char *why,
			    size_t whylen)
{
	memset(m, 0, sizeof(*m));
	if (len != AGENT_LEN) {
		WHY("AGENT of %zu bytes is malformed", len);
		return -EBADMSG;
	}
	m->major = mvgpu_get_le16(p);
	m->minor = mvgpu_get_le16(p + 2);
	m->flags = mvgpu_get_le32(p + 4);
	if (m->major != MVGPU_WIRE_MAJOR) {
		WHY("the workload speaks protocol %u.%u (this side %u.%u)",
		    m->major, m->minor, MVGPU_WIRE_MAJOR, MVGPU_WIRE_MINOR);
		return -EBADMSG;
	}
	if (m->flags & ~MVGPU_WIRE_AGENT_FLAGS) {
		WHY("AGENT with unknown flags %#x", m->flags);
		return -EBADMSG;
	}
	if (get_fixed(p + 8, MVGPU_WIRE_UUID_LEN, m->uuid, "AGENT uuid", why,
		      whylen))
		return -EBADMSG;
	m->pid = mvgpu_get_le32(p + 8 + MVGPU_WIRE_UUID_LEN);
	return 0;
}

/* ---- SESSION, STREAM (1.1) -------------------------------------------------- */

#define SESSION_LEN	16
#define STREAM_LEN	8

int mvgpu_wire_encode_session(const struct mvgpu_wire_session *m, __u8 *buf,
			      size_t room)
{
	if (room < SESSION_LEN)
		return -ENOSPC;
	if (m->flags || m->count < 2 || m->count > MVGPU_WIRE_VGPUS_MAX)
		return -EINVAL;
	mvgpu_put_le16(buf, m->major);
	mvgpu_put_le16(buf + 2, m->minor);
	mvgpu_put_le32(buf + 4, m->flags);
	mvgpu_put_le32(buf + 8, m->count);
	mvgpu_put_le32(buf + 12, 0);
	return SESSION_LEN;
}

int mvgpu_wire_decode_session(const __u8 *p, size_t len,
			      struct mvgpu_wire_session *m, char *why,
			      size_t whylen)
{
	memset(m, 0, sizeof(*m));
	if (len < 4) {
		WHY("SESSION of %zu bytes is too short", len);
		return -EBADMSG;
	}
	m->major = mvgpu_get_le16(p);
	m->minor = mvgpu_get_le16(p + 2);
	/* another major may lay the rest out differently: stop here */
	if (m->major != MVGPU_WIRE_MAJOR)
		return 0;
	if (len != SESSION_LEN || mvgpu_get_le32(p + 12)) {
		WHY("SESSION of %zu bytes is malformed", len);
		return -EBADMSG;
	}
	m->flags = mvgpu_get_le32(p + 4);
	m->count = mvgpu_get_le32(p + 8);
	if (m->flags) {
		WHY("SESSION with unknown flags %#x", m->flags);
		return -EBADMSG;
	}
	if (m->count < 2 || m->count > MVGPU_WIRE_VGPUS_MAX) {
		WHY("a SESSION of %u vGPUs (2 to %u)", m->count,
		    MVGPU_WIRE_VGPUS_MAX);
		return -EBADMSG;
	}
	return 0;
}

int mvgpu_wire_encode_stream(__u32 index, __u8 *buf, size_t room)
{
	if (room < STREAM_LEN)
		return -ENOSPC;
	if (index >= MVGPU_WIRE_VGPUS_MAX)
		return -EINVAL;
	mvgpu_put_le32(buf, index);
	mvgpu_put_le32(buf + 4, 0);
	return STREAM_LEN;
}

int mvgpu_wire_decode_stream(const __u8 *p, size_t len, __u32 count,
			     __u32 *index, char *why, size_t whylen)
{
	if (len != STREAM_LEN || mvgpu_get_le32(p + 4)) {
		WHY("STREAM of %zu bytes is malformed", len);
		return -EBADMSG;
	}
	*index = mvgpu_get_le32(p);
	if (*index >= count) {
		WHY("STREAM for vGPU %u of a session of %u", *index, count);
		return -EBADMSG;
	}
	return 0;
}
