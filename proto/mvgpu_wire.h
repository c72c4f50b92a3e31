/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * mvgpu_wire.h - the helper's wire protocol: how `mvgpu migrate` on a
 * source host and `mvgpu receive` on a target host move one vGPU, and how
 * either of them talks to the local workload that owns the vGPU (the
 * "agent" socket).  docs/wire-protocol.md is the prose; this header is the
 * reference.  The codec is portable (mvgpu_port.h) and has no I/O: callers
 * own the sockets.
 *
 * ---- Messages ---------------------------------------------------------------
 *
 * A connection carries messages in both directions, each a 32-byte header
 * and a payload, little-endian:
 *
 *	 0  le32 magic     MVGPU_WIRE_MAGIC ("MVGW")
 *	 4  le16 type      MVGPU_WIRE_*
 *	 6  le16 flags     DATA: MVGPU_WIRE_F_LZ4 or 0; otherwise 0
 *	 8  le32 length    payload bytes, <= the type's maximum
 *	12  le32 raw       DATA: the stream bytes the payload stands for
 *	                   (== length without F_LZ4); otherwise 0
 *	16  le64 seq       messages this side sent before on this connection
 *	24  le64 check     XXH64 (seed 0) of header bytes 0..23 then the payload
 *
 * A reader checks every field before it reads the payload (so a hostile
 * length never allocates), then the checksum, then seq: a damaged,
 * dropped, repeated or reordered message is an error, never data.
 * DATA with F_LZ4 holds exactly one lz4 frame (lz4frame, independent
 * blocks, no content checksum: the message checksum covers it) that
 * decodes to exactly @raw bytes; incompressible chunks travel as they are.
 *
 * ---- A migration (TCP, source -> target) ------------------------------------
 *
 *	source                         target
 *	HELLO      ---------------->            (type, fb size, migration_version)
 *	           <----------------   ACCEPT   (or ERROR: refused, nothing stopped)
 *	DATA ...   ---------------->            (pre-copy while the vGPU runs,
 *	                                         then stop-copy: one stream)
 *	STATE      ---------------->            (optional: the workload's state)
 *	END        ---------------->            (counts: the stream is complete)
 *	           <----------------   LOADED   (validated and applied; or ERROR)
 *	COMMIT     ---------------->
 *	           <----------------   COMMITTED (the vGPU runs on the target)
 *
 * Until the source *sends* COMMIT, any failure (an ERROR, a closed or
 * silent connection, a bad message) resumes the vGPU on the source, and the
 * target discards what it loaded.  After COMMITTED the source gives the
 * vGPU up.  If the connection fails between the two, the outcome is in
 * doubt: the source keeps its vGPU stopped (never two running copies) and
 * says so; the target runs only if COMMIT arrived.
 *
 * ---- A session of several vGPUs (1.1) ---------------------------------------
 *
 * One connection, one TLS session, one commit for all of them:
 *
 *	source                         target
 *	SESSION    ---------------->            (how many: 2..MVGPU_WIRE_VGPUS_MAX)
 *	HELLO x N  ---------------->            (one per vGPU, in order)
 *	           <----------------   ACCEPT x N (in the same order; or ERROR
 *	                                        naming the vGPU: nothing stopped)
 *	STREAM i, DATA ...  -------->           (pre-copy passes, vGPU after
 *	                                         vGPU, while they run)
 *	                                        (all stop)
 *	STREAM i, DATA ..., [STATE], END ---->  (each vGPU's stop-copy, in order)
 *	           <----------------   LOADED   (all validated and applied; or
 *	                                         ERROR naming the vGPU)
 *	COMMIT     ---------------->
 *	           <----------------   COMMITTED (all run on the target)
 *
 * DATA, STATE and END belong to the vGPU of the last STREAM.  The target
 * has every vGPU of the session open and RESUMING before it feeds a byte
 * to any (a guest's peers must be open in one process).  It commits all
 * or none: a failure of any vGPU discards every one of them, and the
 * source runs all of them again (or, in doubt, none).  A one-vGPU
 * migration sends no SESSION and no STREAM: it is 1.0, byte for byte.
 *
 * ---- The agent socket (unix, helper <-> the workload owning the vGPU) ---------
 *
 * A vGPU has one VFIO user.  A workload that wants to be migratable serves
 * a unix socket; a helper connects and gets an AGENT message with the
 * vGPU's device fd attached (SCM_RIGHTS).  Source side: PAUSE -> the
 * workload stops submitting at a safe point and answers PAUSED with its
 * state; then RESUME (the migration failed: carry on) or RELEASE (the vGPU
 * now runs on the target: stop using it).  Target side: the helper loads
 * the vGPU through the passed fd and sends START with the state; a
 * helper that disconnects without START leaves the workload waiting (the
 * vGPU was reset).  A source helper that disconnects without RELEASE
 * means RESUME.
 */
#ifndef MVGPU_WIRE_H
#define MVGPU_WIRE_H

#include "mvgpu_port.h"

#define MVGPU_WIRE_MAGIC	0x5747564du	/* "MVGW" */
#define MVGPU_WIRE_MAJOR	1		/* incompatible changes */
#define MVGPU_WIRE_MINOR	1		/* additions a peer may ignore;
						 * 1: sessions (SESSION, STREAM) */
#define MVGPU_WIRE_MINOR_ONE	0		/* a one-vGPU migration's HELLO:
						 * what 1.0 peers send */
#define MVGPU_WIRE_HDR		32u

#define MVGPU_WIRE_F_LZ4	0x0001u

/* Bounds every reader enforces. */
#define MVGPU_WIRE_DATA_RAW_MAX	(1u << 20)	/* stream bytes per DATA */
#define MVGPU_WIRE_DATA_MAX	(MVGPU_WIRE_DATA_RAW_MAX + 65536u)
#define MVGPU_WIRE_STATE_MAX	(1u << 20)	/* a workload's state */
#define MVGPU_WIRE_CTRL_MAX	4096u		/* any other payload */
#define MVGPU_WIRE_MSG_MAX	1024u		/* an ERROR's text */
#define MVGPU_WIRE_UUID_LEN	37u		/* with the NUL */
#define MVGPU_WIRE_NAME_LEN	32u		/* type, kind: with the NUL */
#define MVGPU_WIRE_HOST_LEN	64u		/* with the NUL */
#define MVGPU_WIRE_VERSION_MAX	1024u		/* with the NUL */
#define MVGPU_WIRE_VGPUS_MAX	16u		/* vGPUs in one session */

enum mvgpu_wire_type {
	/* migration: source -> target */
	MVGPU_WIRE_HELLO	= 1,
	MVGPU_WIRE_DATA		= 2,
	MVGPU_WIRE_STATE	= 3,
	MVGPU_WIRE_END		= 4,
	MVGPU_WIRE_COMMIT	= 5,
	MVGPU_WIRE_SESSION	= 6,	/* 1.1: several vGPUs follow */
	MVGPU_WIRE_STREAM	= 7,	/* 1.1: the data that follows is vGPU i's */
	/* migration: target -> source */
	MVGPU_WIRE_ACCEPT	= 16,
	MVGPU_WIRE_LOADED	= 17,
	MVGPU_WIRE_COMMITTED	= 18,
	/* either way, then the sender closes */
	MVGPU_WIRE_ERROR	= 32,
	/* agent socket */
	MVGPU_WIRE_AGENT	= 48,	/* workload -> helper, + device fd */
	MVGPU_WIRE_PAUSE	= 49,	/* helper -> workload */
	MVGPU_WIRE_PAUSED	= 50,	/* workload -> helper: its state */
	MVGPU_WIRE_RESUME	= 51,	/* helper -> workload */
	MVGPU_WIRE_RELEASE	= 52,	/* helper -> workload */
	MVGPU_WIRE_START	= 53,	/* helper -> workload: its state */
};

/* A decoded header. */
struct mvgpu_wire_hdr {
	__u16 type;
	__u16 flags;
	__u32 length;
	__u32 raw;
	__u64 seq;
	__u64 check;
};

/*
 * HELLO (source -> target).  Payload: le16 major, le16 minor, le32 flags
 * (MVGPU_WIRE_HELLO_*), char source_uuid[37], char target_uuid[37] ("":
 * the source's), char type[32], char host[64], le64 fb_size, le32
 * version length, then the source's migration_version (no NUL).
 */
#define MVGPU_WIRE_HELLO_PRECOPY	0x1u	/* pre-copy passes follow */
#define MVGPU_WIRE_HELLO_STATE		0x2u	/* a STATE message will follow */
#define MVGPU_WIRE_HELLO_FLAGS		0x3u

struct mvgpu_wire_hello {
	__u16 major, minor;
	__u32 flags;
	char source_uuid[MVGPU_WIRE_UUID_LEN];
	char target_uuid[MVGPU_WIRE_UUID_LEN];
	char type[MVGPU_WIRE_NAME_LEN];
	char host[MVGPU_WIRE_HOST_LEN];
	__u64 fb_size;
	char version[MVGPU_WIRE_VERSION_MAX];
};

/*
 * ACCEPT (target -> source).  Payload: le16 major, le16 minor (the
 * versions the connection uses: same major, the lower minor), le32 flags
 * (MVGPU_WIRE_ACCEPT_*), char target_uuid[37], char host[64], le32 version
 * length, the target's migration_version.
 */
#define MVGPU_WIRE_ACCEPT_CREATED	0x1u	/* the target created the vGPU */
#define MVGPU_WIRE_ACCEPT_AGENT		0x2u	/* a workload owns it there */
#define MVGPU_WIRE_ACCEPT_FLAGS		0x3u

struct mvgpu_wire_accept {
	__u16 major, minor;
	__u32 flags;
	char target_uuid[MVGPU_WIRE_UUID_LEN];
	char host[MVGPU_WIRE_HOST_LEN];
	char version[MVGPU_WIRE_VERSION_MAX];
};

/* ERROR.  Payload: le32 errno (Linux numbering, positive), le32 text
 * length, the text (UTF-8, no NUL, <= MVGPU_WIRE_MSG_MAX - 1). */
struct mvgpu_wire_error {
	__u32 code;
	char text[MVGPU_WIRE_MSG_MAX];
};

/*
 * END (source -> target).  Payload: le64 stream bytes, le64 DATA messages
 * (both checked by the target), le32 pre-copy passes, le32 0, le64 bytes
 * sent while the vGPU ran (informational).
 */
struct mvgpu_wire_end {
	__u64 stream_bytes;
	__u64 data_msgs;
	__u32 passes;
	__u64 precopy_bytes;
};

/*
 * SESSION (source -> target, 1.1): the first message of a migration of
 * several vGPUs, instead of a lone HELLO.  Payload (16 bytes): le16 major,
 * le16 minor, le32 flags (none yet: 0), le32 count
 * (2..MVGPU_WIRE_VGPUS_MAX), le32 0.  Then @count HELLOs, one per vGPU, in
 * the order STREAM numbers them (no source UUID twice, no target twice).
 * A 1.0 target refuses it as an unknown message.
 */
struct mvgpu_wire_session {
	__u16 major, minor;
	__u32 flags;
	__u32 count;
};

/*
 * STREAM (source -> target, 1.1, the data phase of a session): the DATA,
 * STATE and END that follow, until the next STREAM, are vGPU @index's
 * (its HELLO's position, < count).  Payload: le32 index, le32 0.
 */

/* LOADED, COMMITTED (target -> source).  Payload: le64 nanoseconds the
 * step took on the target (informational). */

/*
 * STATE, PAUSED, START: a workload's state.  Payload: char kind[32]
 * ("exercise", ...), then the state's bytes (opaque to mvgpu,
 * <= MVGPU_WIRE_STATE_MAX).  An empty kind means "no state".
 *
 * AGENT (workload -> helper, the device fd attached).  Payload: le16
 * major, le16 minor, le32 flags (MVGPU_WIRE_AGENT_*), char uuid[37],
 * le32 pid.
 */
#define MVGPU_WIRE_AGENT_INCOMING	0x1u	/* waits for a migration in */
#define MVGPU_WIRE_AGENT_FLAGS		0x1u

struct mvgpu_wire_agent {
	__u16 major, minor;
	__u32 flags;
	char uuid[MVGPU_WIRE_UUID_LEN];
	__u32 pid;
};

/**
 * mvgpu_wire_type_name() - "HELLO", "DATA", ...; "?" for others.
 * @type: a MVGPU_WIRE_* value.
 */
const char *mvgpu_wire_type_name(unsigned int type);

/**
 * mvgpu_wire_payload_max() - the largest payload a message of @type may
 * carry, 0 for an unknown type.
 * @type: a MVGPU_WIRE_* value.
 */
__u32 mvgpu_wire_payload_max(unsigned int type);

/**
 * mvgpu_wire_encode_hdr() - write the header of a message into @out.
 * @out: MVGPU_WIRE_HDR bytes.
 * @type, @flags, @raw, @seq: as in the format.
 * @payload, @length: the payload (its checksum goes in the header).
 *
 * Return: 0, or -EINVAL (unknown type, length over its maximum, flags or
 * raw invalid for the type).
 */
int mvgpu_wire_encode_hdr(__u8 *out, unsigned int type, unsigned int flags,
			  __u32 raw, __u64 seq, const void *payload,
			  __u32 length);

/**
 * mvgpu_wire_decode_hdr() - parse and check a header (hostile input).
 * @in: MVGPU_WIRE_HDR bytes.
 * @h: filled on success.
 * @why, @whylen: a reason on failure.
 *
 * Return: 0; -EPROTO (not this protocol: magic), -EBADMSG (a field out of
 * range: type, flags, length, raw).
 */
int mvgpu_wire_decode_hdr(const __u8 *in, struct mvgpu_wire_hdr *h,
			  char *why, size_t whylen);

/**
 * mvgpu_wire_verify() - check a message's checksum and sequence number.
 * @in: its MVGPU_WIRE_HDR header bytes.
 * @h: the decoded header.
 * @payload: h->length bytes.
 * @expect_seq: the seq this message must have.
 * @why, @whylen: a reason on failure.
 *
 * Return: 0, or -EBADMSG.
 */
int mvgpu_wire_verify(const __u8 *in, const struct mvgpu_wire_hdr *h,
		      const void *payload, __u64 expect_seq, char *why,
		      size_t whylen);

/*
 * Control payloads.  Each encoder writes into @buf of @room bytes and
 * returns the length, -ENOSPC, or -EINVAL (a string too long or invalid).
 * Each decoder takes a payload of @len bytes (hostile) and returns 0 with
 * its struct filled (strings NUL-terminated), or -EBADMSG with @why.
 * Strings must be printable ASCII (migration_version, uuid, type, host,
 * kind) or UTF-8 without control characters (ERROR text: decoders replace
 * control bytes by '?').
 */
int mvgpu_wire_encode_hello(const struct mvgpu_wire_hello *m, __u8 *buf,
			    size_t room);
int mvgpu_wire_decode_hello(const __u8 *p, size_t len,
			    struct mvgpu_wire_hello *m, char *why,
			    size_t whylen);
int mvgpu_wire_encode_accept(const struct mvgpu_wire_accept *m, __u8 *buf,
			     size_t room);
int mvgpu_wire_decode_accept(const __u8 *p, size_t len,
			     struct mvgpu_wire_accept *m, char *why,
			     size_t whylen);
int mvgpu_wire_encode_error(const struct mvgpu_wire_error *m, __u8 *buf,
			    size_t room);
int mvgpu_wire_decode_error(const __u8 *p, size_t len,
			    struct mvgpu_wire_error *m, char *why,
			    size_t whylen);
int mvgpu_wire_encode_end(const struct mvgpu_wire_end *m, __u8 *buf,
			  size_t room);
int mvgpu_wire_decode_end(const __u8 *p, size_t len, struct mvgpu_wire_end *m,
			  char *why, size_t whylen);
int mvgpu_wire_encode_agent(const struct mvgpu_wire_agent *m, __u8 *buf,
			    size_t room);
int mvgpu_wire_decode_agent(const __u8 *p, size_t len,
			    struct mvgpu_wire_agent *m, char *why,
			    size_t whylen);
/* SESSION: another major decodes (major and minor only), for the
 * caller's message; a count outside 2..MVGPU_WIRE_VGPUS_MAX does not. */
int mvgpu_wire_encode_session(const struct mvgpu_wire_session *m, __u8 *buf,
			      size_t room);
int mvgpu_wire_decode_session(const __u8 *p, size_t len,
			      struct mvgpu_wire_session *m, char *why,
			      size_t whylen);
/* STREAM: @index must be below @count (the session's). */
int mvgpu_wire_encode_stream(__u32 index, __u8 *buf, size_t room);
int mvgpu_wire_decode_stream(const __u8 *p, size_t len, __u32 count,
			     __u32 *index, char *why, size_t whylen);
/* LOADED / COMMITTED: one le64. */
int mvgpu_wire_encode_ns(__u64 ns, __u8 *buf, size_t room);
int mvgpu_wire_decode_ns(const __u8 *p, size_t len, __u64 *ns, char *why,
			 size_t whylen);
/* STATE / PAUSED / START: the kind; the state is the rest of the payload
 * (at @p + MVGPU_WIRE_NAME_LEN, @len - MVGPU_WIRE_NAME_LEN bytes). */
int mvgpu_wire_encode_kind(const char *kind, __u8 *buf, size_t room);
int mvgpu_wire_decode_kind(const __u8 *p, size_t len, char *kind,
			   char *why, size_t whylen);

#endif /* MVGPU_WIRE_H */
