// SPDX-License-Identifier: GPL-2.0
/*
 * tls.c - securing a migration connection (tls.h, mvgpu_net_security).
 *
 * TCP connections get TLS 1.3 with x509 certificates on both sides,
 * GnuTLS doing the handshake and the checks, before a byte of the wire
 * protocol: nothing about this host goes out before the peer proved who
 * it is.  Then the record keys are handed to kernel TLS (TCP_ULP "tls"),
 * so the protocol code - blocking sends, io_uring reads and writes of the
 * data - keeps working on the socket itself, the kernel encrypting.  Where
 * the kernel has no TLS, a thread carries the records between the socket
 * and one end of a socket pair with GnuTLS, and the protocol uses the other
 * end: slower, and said once.
 *
 * GnuTLS's own kernel TLS mode is a system-wide switch (/etc/gnutls/config,
 * read when the library loads), not one a program can turn on for its own
 * connections, so the keys are handed over here, from
 * gnutls_record_get_state(), the interface GnuTLS gives for it.  No session
 * tickets are sent (GNUTLS_NO_TICKETS) and no key update is asked for, so
 * after the handshake only application data flows until an alert.
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <linux/tls.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_TLS
#define SOL_TLS 282
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif

#define TLS_PRIORITY	"NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define TLS_DIR_MVGPU	"/etc/pki/mvgpu"
#define TLS_DIR_QEMU	"/etc/pki/qemu"
#define PUMP_BUF	(64u << 10)
#define AUTHZ_MAX	(64u << 10)	/* bytes of an authz list */

struct ntls {
	mvgpu_ctx *ctx;
	gnutls_session_t s;
	gnutls_certificate_credentials_t cred;
	const char *peer;
	int sock;
	bool ktls;
	/* the handshake's checks (the verify callback) */
	bool client;
	const char *hostname;
	char *authz;		/* the allow-list, NUL-terminated, or NULL */
	char why[MVGPU_ERR_MAX];	/* what our own check refused */
	char dn[MVGPU_PEER_DN_MAX];
	/* userspace records: the carrying thread */
	int app, pump;		/* socket pair: the protocol's end, ours */
	pthread_t thread;
	bool running;
	int err;		/* the thread's GnuTLS error, 0 */
};

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- credentials --------------------------------------------------------- */

static bool is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static int creds_dir(mvgpu_ctx *ctx, const mvgpu_net_security *sec,
		     const char **dir)
{
	if (sec && sec->creds_dir) {
		if (!is_dir(sec->creds_dir))
			return mvgpu__err(ctx, -ENOENT,
					  "TLS credentials directory %s: %s",
					  sec->creds_dir, strerror(errno ? errno : ENOTDIR));
		*dir = sec->creds_dir;
		return 0;
	}
	*dir = getenv("MVGPU_TLS_DIR");
	if (*dir && *dir) {
		if (!is_dir(*dir))
			return mvgpu__err(ctx, -ENOENT, "TLS credentials directory %s ($MVGPU_TLS_DIR): %s",
					  *dir, strerror(errno ? errno : ENOTDIR));
		return 0;
	}
	if (is_dir(TLS_DIR_MVGPU))
		*dir = TLS_DIR_MVGPU;
	else if (is_dir(TLS_DIR_QEMU))
		*dir = TLS_DIR_QEMU;
	else
		return mvgpu__err(ctx, -ENOENT,
				  "no TLS credentials: neither $MVGPU_TLS_DIR, " TLS_DIR_MVGPU " nor " TLS_DIR_QEMU
				  " exists (create them as for libvirt's TLS migration, see docs/wire-protocol.md, pass --tls-creds DIR, or --insecure on a network you trust)");
	return 0;
}

static int load_creds(struct ntls *t, const char *dir)
{
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	const char *who = t->client ? "client" : "server";
	int ret;

	if ((ret = gnutls_certificate_allocate_credentials(&t->cred)) < 0)
		return mvgpu__err(t->ctx, -ENOMEM, "TLS: %s", gnutls_strerror(ret));
	snprintf(ca, sizeof(ca), "%s/ca-cert.pem", dir);
	snprintf(cert, sizeof(cert), "%s/%s-cert.pem", dir, who);
	snprintf(key, sizeof(key), "%s/%s-key.pem", dir, who);
	ret = gnutls_certificate_set_x509_trust_file(t->cred, ca, GNUTLS_X509_FMT_PEM);
	if (ret <= 0)
		return mvgpu__err(t->ctx, -ENOENT, "TLS: no CA certificate in %s%s%s",
				  ca, ret ? ": " : "", ret ? gnutls_strerror(ret) : "");
	if (access(cert, F_OK) && t->client)
		return 0;	/* the target says whether it wants one */
	ret = gnutls_certificate_set_x509_key_file(t->cred, cert, key,
						   GNUTLS_X509_FMT_PEM);
	if (ret < 0)
		return mvgpu__err(t->ctx, -EINVAL, "TLS: our certificate %s with key %s: %s",
				  cert, key, gnutls_strerror(ret));
	return 0;
}

static int load_authz(struct ntls *t, const char *path)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return mvgpu__err(t->ctx, -errno, "TLS authz list %s: %s", path,
				  strerror(errno));
	t->authz = malloc(AUTHZ_MAX + 1);
	if (!t->authz) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(t->authz, 1, AUTHZ_MAX + 1, f);
	fclose(f);
	if (n > AUTHZ_MAX)
		return mvgpu__err(t->ctx, -EFBIG, "TLS authz list %s: over %u bytes",
				  path, AUTHZ_MAX);
	t->authz[n] = 0;
	return 0;
}

/* Is @dn on the allow-list?  Lines: fnmatch patterns; '#' comments. */
static bool authz_allows(char *list, const char *dn)
{
	char *save = NULL, *line;

	for (line = strtok_r(list, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		size_t l;
		bool ok;

		while (*line == ' ' || *line == '\t')
			line++;
		l = strlen(line);
		while (l && (line[l - 1] == ' ' || line[l - 1] == '\r' ||
			     line[l - 1] == '\t'))
			line[--l] = 0;
		if (!l || line[0] == '#')
			continue;
		ok = !fnmatch(line, dn, 0);
		if (ok)
			return true;
	}
	return false;
}

/* ---- the handshake's checks ---------------------------------------------- */

static int peer_dn(struct ntls *t)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { 0 };
	unsigned n = 0;
	int ret;

	certs = gnutls_certificate_get_peers(t->s, &n);
	if (!certs || !n)
		return -ENOENT;
	if (gnutls_x509_crt_init(&crt) < 0)
		return -ENOMEM;
	ret = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER);
	if (!ret)
		ret = gnutls_x509_crt_get_dn3(crt, &dn, 0);
	if (!ret) {
		mvgpu__quote(t->dn, sizeof(t->dn), (const char *)dn.data);
		gnutls_free(dn.data);
	}
	gnutls_x509_crt_deinit(crt);
	return ret ? -EBADMSG : 0;
}

/* Called by GnuTLS with the peer's certificate: chain, name, allow-list. */
static int verify_peer(gnutls_session_t s)
{
	struct ntls *t = gnutls_session_get_ptr(s);
	gnutls_typed_vdata_st host = {
		.type = GNUTLS_DT_DNS_HOSTNAME,
		.data = (unsigned char *)(uintptr_t)t->hostname,
	};
	gnutls_datum_t out = { 0 };
	unsigned status = 0;
	char *copy;
	bool ok;

	if (gnutls_certificate_verify_peers(s, t->client && t->hostname ? &host : NULL,
					    t->client && t->hostname ? 1 : 0,
					    &status) < 0 ||
	    gnutls_certificate_type_get(s) != GNUTLS_CRT_X509) {
		snprintf(t->why, sizeof(t->why), "%s sent no usable certificate", t->peer);
		return -1;
	}
	peer_dn(t);
	if (status) {
		gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
							     &out, 0);
		snprintf(t->why, sizeof(t->why), "%s's certificate (%s) is not valid here: %s",
			 t->peer, t->dn[0] ? t->dn : "no DN",
			 out.data ? (const char *)out.data : "rejected");
		gnutls_free(out.data);
		return -1;
	}
	if (!t->authz)
		return 0;
	copy = strdup(t->authz);
	ok = copy && authz_allows(copy, t->dn);
	free(copy);
	if (!ok) {
		snprintf(t->why, sizeof(t->why),
			 "%s's certificate DN '%s' is not in the TLS authz list", t->peer,
			 t->dn);
		return -1;
	}
	return 0;
}

/* The peer sent alert @desc: it refused us, or ended the session. */
static int alert_err(struct ntls *t, gnutls_alert_description_t desc)
{
	const char *name = gnutls_alert_get_name(desc);
	const char *hint;

	switch (desc) {
	case GNUTLS_A_CERTIFICATE_REQUIRED:
		hint = ": it wants a client certificate and we have none (client-cert.pem in our credentials)";
		break;
	case GNUTLS_A_BAD_CERTIFICATE:
	case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
	case GNUTLS_A_CERTIFICATE_REVOKED:
	case GNUTLS_A_CERTIFICATE_EXPIRED:
	case GNUTLS_A_CERTIFICATE_UNKNOWN:
	case GNUTLS_A_UNKNOWN_CA:
	case GNUTLS_A_ACCESS_DENIED:
		hint = ": check that our certificate comes from a CA it trusts, is valid now, and is in its authz list (its log names the reason)";
		break;
	case GNUTLS_A_BAD_RECORD_MAC:
	case GNUTLS_A_DECRYPT_ERROR:
		hint = ": a record of ours failed its check there - a man in the middle, or a damaged link";
		break;
	default:
		hint = "";
	}
	return mvgpu__err(t->ctx, -ECONNABORTED, "TLS: %s refused us (%s)%s", t->peer,
			  name ? name : "an alert", hint);
}

/* The handshake failed with @ret: say so, naming the side at fault. */
static int handshake_failed(struct ntls *t, int ret)
{
	if (t->why[0])
		return mvgpu__err(t->ctx, -EACCES, "TLS: %s; nothing was exchanged", t->why);
	switch (ret) {
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return alert_err(t, gnutls_alert_get(t->s));
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_UNEXPECTED_PACKET:
		return mvgpu__err(t->ctx, -EPROTO,
				  "TLS: %s does not answer in TLS (%s): is it running with --insecure? Both sides must use TLS, or both --insecure",
				  t->peer, gnutls_strerror(ret));
	case GNUTLS_E_PREMATURE_TERMINATION:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PUSH_ERROR:
		return mvgpu__err(t->ctx, -ECONNRESET,
				  "TLS: %s closed the connection during the handshake (does it run with --insecure, or refuse our certificate? its log says)",
				  t->peer);
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
		return mvgpu__err(t->ctx, -EACCES,
				  "TLS: %s presented no certificate: it needs one (client-cert.pem in its credentials)",
				  t->peer);
	default:
		return mvgpu__err(t->ctx, -EPROTO, "TLS handshake with %s failed: %s",
				  t->peer, gnutls_strerror(ret));
	}
}

static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	return fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0 ? -errno : 0;
}

/*
 * After an alert: our side is done, but close only once the peer has
 * read it - closing with its bytes unread here would reset the connection
 * and the reset can overtake the alert.  At most a second.
 */
static void linger(int sock)
{
	uint64_t end = ms_now() + 1000;
	char buf[4096];

	shutdown(sock, SHUT_WR);
	for (uint64_t now = ms_now(); now < end; now = ms_now()) {
		struct pollfd p = { .fd = sock, .events = POLLIN };

		if (poll(&p, 1, (int)(end - now)) <= 0 ||
		    recv(sock, buf, sizeof(buf), MSG_DONTWAIT) <= 0)
			break;
	}
}

static int handshake(struct ntls *t, unsigned timeout_ms,
		     const volatile sig_atomic_t *cancel)
{
	uint64_t end = ms_now() + timeout_ms;
	int ret;

	for (;;) {
		struct pollfd p = { .fd = t->sock };
		uint64_t now;

		ret = gnutls_handshake(t->s);
		if (ret == GNUTLS_E_SUCCESS)
			return 0;
		if (gnutls_error_is_fatal(ret)) {
			/* the peer learns that (and only that) it was refused */
			if (ret != GNUTLS_E_FATAL_ALERT_RECEIVED) {
				gnutls_alert_send_appropriate(t->s, ret);
				linger(t->sock);
			}
			return handshake_failed(t, ret);
		}
		if (cancel && *cancel)
			return mvgpu__err(t->ctx, -ECANCELED, "interrupted in the TLS handshake");
		now = ms_now();
		if (now >= end)
			return mvgpu__err(t->ctx, -ETIMEDOUT,
					  "TLS: %s did not finish the handshake in %u ms",
					  t->peer, timeout_ms);
		p.events = gnutls_record_get_direction(t->s) ? POLLOUT : POLLIN;
		poll(&p, 1, (int)(end - now < 200 ? end - now : 200));
	}
}

/*
 * In TLS 1.3 the client's handshake ends before the server has checked
 * the client's certificate, so a refusal would reach the source only as an
 * alert somewhere in the protocol.  The target therefore says "admitted"
 * (one byte) once its checks passed, and the source waits for it, still in
 * GnuTLS: a refusal is then the handshake's, with the alert that says why.
 */
#define ADMITTED 0x41

static int admitted(struct ntls *t, unsigned timeout_ms,
		    const volatile sig_atomic_t *cancel)
{
	uint64_t end = ms_now() + timeout_ms;
	unsigned char b = ADMITTED;
	ssize_t n;

	for (;;) {
		struct pollfd p = { .fd = t->sock };
		uint64_t now;

		n = t->client ? gnutls_record_recv(t->s, &b, 1) :
				gnutls_record_send(t->s, &b, 1);
		if (n == 1)
			break;
		if (n == 0 || (n < 0 && gnutls_error_is_fatal((int)n))) {
			if (!t->client)
				return mvgpu__err(t->ctx, -ECONNRESET, "TLS: %s went away",
						  t->peer);
			return handshake_failed(t, n ? (int)n : GNUTLS_E_PREMATURE_TERMINATION);
		}
		if (cancel && *cancel)
			return mvgpu__err(t->ctx, -ECANCELED, "interrupted in the TLS handshake");
		now = ms_now();
		if (now >= end)
			return mvgpu__err(t->ctx, -ETIMEDOUT,
					  "TLS: %s did not admit us in %u ms", t->peer, timeout_ms);
		p.events = gnutls_record_get_direction(t->s) ? POLLOUT : POLLIN;
		poll(&p, 1, (int)(end - now < 200 ? end - now : 200));
	}
	if (t->client && b != ADMITTED)
		return mvgpu__err(t->ctx, -EPROTO, "TLS: %s is not mvgpu (it spoke first)",
				  t->peer);
	return 0;
}

/* An --insecure listener: a TLS client gets told, not misparsed. */
static int refuse_tls_client(mvgpu_ctx *ctx, int sock, unsigned timeout_ms,
			     const char *peer)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	unsigned char b;

	if (poll(&p, 1, (int)timeout_ms) == 1 &&
	    recv(sock, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1 && b == 0x16)
		return mvgpu__err(ctx, -EPROTO,
				  "%s speaks TLS and we run with --insecure: run both sides with TLS, or both with --insecure",
				  peer);
	return 0;
}

/* A TLS listener: a plain client gets a clear refusal, and nothing else. */
static int refuse_plain_client(struct ntls *t, unsigned timeout_ms)
{
	struct pollfd p = { .fd = t->sock, .events = POLLIN };
	unsigned char b;

	if (poll(&p, 1, (int)timeout_ms) == 1 &&
	    recv(t->sock, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 1 && b != 0x16)
		return mvgpu__err(t->ctx, -EPROTO,
				  "TLS: %s connected without TLS (is it running with --insecure?); refused before a byte was sent: both sides must use TLS, or both --insecure",
				  t->peer);
	return 0;
}

/* ---- kernel TLS ---------------------------------------------------------- */

union ktls_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 g128;
	struct tls12_crypto_info_aes_gcm_256 g256;
	struct tls12_crypto_info_chacha20_poly1305 cc;
};

static int ktls_dir(struct ntls *t, bool rx)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	union ktls_info ci;
	socklen_t len;

	if (gnutls_record_get_state(t->s, rx, &mac, &iv, &key, seq) < 0)
		return -EINVAL;
	memset(&ci, 0, sizeof(ci));
	ci.info.version = TLS_1_3_VERSION;
	switch (gnutls_cipher_get(t->s)) {
	case GNUTLS_CIPHER_AES_128_GCM:
		if (iv.size != 12 || key.size != 16)
			return -EINVAL;
		ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
		memcpy(ci.g128.salt, iv.data, 4);
		memcpy(ci.g128.iv, iv.data + 4, 8);
		memcpy(ci.g128.key, key.data, 16);
		memcpy(ci.g128.rec_seq, seq, 8);
		len = sizeof(ci.g128);
		break;
	case GNUTLS_CIPHER_AES_256_GCM:
		if (iv.size != 12 || key.size != 32)
			return -EINVAL;
		ci.info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(ci.g256.salt, iv.data, 4);
		memcpy(ci.g256.iv, iv.data + 4, 8);
		memcpy(ci.g256.key, key.data, 32);
		memcpy(ci.g256.rec_seq, seq, 8);
		len = sizeof(ci.g256);
		break;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		if (iv.size != 12 || key.size != 32)
			return -EINVAL;
		ci.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		memcpy(ci.cc.iv, iv.data, 12);
		memcpy(ci.cc.key, key.data, 32);
		memcpy(ci.cc.rec_seq, seq, 8);
		len = sizeof(ci.cc);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (setsockopt(t->sock, SOL_TLS, rx ? TLS_RX : TLS_TX, &ci, len) < 0) {
		int e = errno;

		memset(&ci, 0, sizeof(ci));
		return -e;
	}
	memset(&ci, 0, sizeof(ci));
	return 0;
}

/*
 * Hand the session to the kernel: 0, or -errno with the socket as it was
 * (nothing installed), or -EIO when it is half done (the connection is
 * then lost: one direction already kernel's).
 */
static int ktls_install(struct ntls *t, const char **why)
{
	static _Thread_local char buf[160];
	int ret;

	*why = NULL;
	if (gnutls_record_check_pending(t->s)) {
		*why = "records already read";
		return -EAGAIN;
	}
	if (setsockopt(t->sock, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) < 0) {
		*why = errno == ENOENT ? "no tls module in this kernel" : strerror(errno);
		return -errno;
	}
	ret = ktls_dir(t, false);
	if (ret) {
		snprintf(buf, sizeof(buf), "TLS_TX with %s: %s",
			 gnutls_cipher_get_name(gnutls_cipher_get(t->s)),
			 ret == -EOPNOTSUPP ? "not a cipher kernel TLS has" : strerror(-ret));
		*why = buf;
		return ret;	/* nothing installed: the ULP alone is a plain socket */
	}
	ret = ktls_dir(t, true);
	if (ret) {
		snprintf(buf, sizeof(buf), "TLS_RX with %s: %s",
			 gnutls_cipher_get_name(gnutls_cipher_get(t->s)), strerror(-ret));
		*why = buf;
		return -EIO;
	}
	return 0;
}

/* ---- userspace records: the carrying thread ------------------------------ */

static void *pump_main(void *arg)
{
	struct ntls *t = arg;
	uint8_t *in = malloc(PUMP_BUF), *out = malloc(PUMP_BUF);
	size_t in_len = 0, in_off = 0, out_len = 0, out_off = 0;
	bool net_eof = false, app_eof = false;

	if (!in || !out) {
		t->err = GNUTLS_E_MEMORY_ERROR;
		goto done;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = t->sock }, { .fd = t->pump } };
		bool pending = !net_eof && !in_len && gnutls_record_check_pending(t->s);
		ssize_t n;

		if (!net_eof && !in_len)
			p[0].events |= POLLIN;
		if (out_len)
			p[0].events |= POLLOUT;
		if (in_len)
			p[1].events |= POLLOUT;
		if (!app_eof && !out_len)
			p[1].events |= POLLIN;
		/* a side we want nothing from now is left out: poll reports
		 * its POLLHUP whatever we ask, and that would spin (a peer
		 * that stopped reading while the protocol side hung up) */
		if (!p[0].events)
			p[0].fd = -1;
		if (!p[1].events)
			p[1].fd = -1;
		/* the protocol side is done and all it wrote is out: the end
		 * (no waiting for the peer to close too) */
		if (app_eof && !out_len)
			break;
		if (!pending && poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (pending || (p[0].revents & (POLLIN | POLLERR | POLLHUP))) {
			n = gnutls_record_recv(t->s, in, PUMP_BUF);
			if (n > 0) {
				in_len = (size_t)n;
				in_off = 0;
			} else if (n == 0) {
				net_eof = true;
				shutdown(t->pump, SHUT_WR);
			} else if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
				__atomic_store_n(&t->err, (int)n, __ATOMIC_RELEASE);
				break;
			}
		}
		if (in_len && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = send(t->pump, in + in_off, in_len - in_off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n > 0) {
				in_off += (size_t)n;
				if (in_off == in_len)
					in_len = 0;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				break;	/* the protocol side went away */
			}
		}
		if (!app_eof && !out_len && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = recv(t->pump, out, PUMP_BUF, MSG_DONTWAIT);
			if (n > 0) {
				out_len = (size_t)n;
				out_off = 0;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				app_eof = true;
				gnutls_bye(t->s, GNUTLS_SHUT_WR);
				shutdown(t->sock, SHUT_WR);
			}
		}
		if (out_len && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = gnutls_record_send(t->s, out + out_off, out_len - out_off);
			if (n > 0) {
				out_off += (size_t)n;
				if (out_off == out_len)
					out_len = 0;
			} else if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
				__atomic_store_n(&t->err, (int)n, __ATOMIC_RELEASE);
				break;
			}
		}
	}
done:
	/* the protocol side sees the end: a reset when we broke off, and
	 * the peer an alert that says why */
	if (t->err) {
		set_nonblock(t->sock, false);
		gnutls_alert_send_appropriate(t->s, t->err);
		shutdown(t->pump, SHUT_RDWR);
		linger(t->sock);
	} else
		shutdown(t->pump, SHUT_WR);
	free(in);
	free(out);
	return NULL;
}

static int pump_start(struct ntls *t, int *fd)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return mvgpu__err(t->ctx, -errno, "TLS: socketpair: %s", strerror(errno));
	t->app = sv[0];
	t->pump = sv[1];
	if (pthread_create(&t->thread, NULL, pump_main, t)) {
		close(sv[0]);
		close(sv[1]);
		t->app = t->pump = -1;
		return mvgpu__err(t->ctx, -EAGAIN, "TLS: cannot start its thread");
	}
	t->running = true;
	*fd = t->app;
	return 0;
}

/* ---- the interface ------------------------------------------------------- */

static int peer_uid_ok(mvgpu_ctx *ctx, int sock, const char *peer)
{
	struct ucred uc;
	socklen_t l = sizeof(uc);

	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &uc, &l) < 0)
		return mvgpu__err(ctx, -errno, "%s: SO_PEERCRED: %s", peer, strerror(errno));
	if (uc.uid != 0 && uc.uid != getuid())
		return mvgpu__err(ctx, -EACCES,
				  "%s (pid %d) runs as uid %u, neither root nor us (uid %u): refused",
				  peer, (int)uc.pid, (unsigned)uc.uid, (unsigned)getuid());
	return 0;
}

int ntls_start(mvgpu_ctx *ctx, int sock, const mvgpu_net_security *sec,
	       bool client, unsigned timeout_ms, const char *peer,
	       const volatile sig_atomic_t *cancel, struct ntls **out, int *fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64];
	const char *dir = NULL, *why;
	struct ntls *t;
	int ret;

	*out = NULL;
	*fd = sock;
	if (getsockname(sock, (struct sockaddr *)&ss, &sl) < 0)
		return mvgpu__err(ctx, -errno, "the connection: %s", strerror(errno));
	if (ss.ss_family == AF_UNIX)
		return peer_uid_ok(ctx, sock, peer);
	if (sec && sec->insecure)
		return client ? 0 : refuse_tls_client(ctx, sock, timeout_ms, peer);
	ret = creds_dir(ctx, sec, &dir);
	if (ret)
		return ret;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->sock = sock;
	t->peer = peer;
	t->client = client;
	t->app = t->pump = -1;
	if (client) {
		t->hostname = sec ? sec->hostname : NULL;
		if (!t->hostname) {
			struct sockaddr_storage ps;
			socklen_t pl = sizeof(ps);

			if (!getpeername(sock, (struct sockaddr *)&ps, &pl) &&
			    !getnameinfo((struct sockaddr *)&ps, pl, host, sizeof(host),
					 NULL, 0, NI_NUMERICHOST))
				t->hostname = host;
		}
	}
	ret = load_creds(t, dir);
	if (!ret && sec && sec->authz_file)
		ret = load_authz(t, sec->authz_file);
	if (ret)
		goto fail;
	if (!client && (ret = refuse_plain_client(t, timeout_ms)))
		goto fail;
	/* a peer that hung up is an error, never a SIGPIPE (NO_SIGNAL) */
	ret = gnutls_init(&t->s, (client ? GNUTLS_CLIENT : GNUTLS_SERVER) |
			  GNUTLS_NO_TICKETS | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL);
	if (ret < 0) {
		t->s = NULL;
		ret = mvgpu__err(ctx, -ENOMEM, "TLS: %s", gnutls_strerror(ret));
		goto fail;
	}
	gnutls_session_set_ptr(t->s, t);
	if ((ret = gnutls_priority_set_direct(t->s, TLS_PRIORITY, NULL)) < 0 ||
	    (ret = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0) {
		ret = mvgpu__err(ctx, -EINVAL, "TLS: %s", gnutls_strerror(ret));
		goto fail;
	}
	gnutls_session_set_verify_function(t->s, verify_peer);
	if (!client)
		gnutls_certificate_server_set_request(t->s, GNUTLS_CERT_REQUIRE);
	else if (t->hostname && !strchr(t->hostname, ':') &&
		 strspn(t->hostname, "0123456789.") != strlen(t->hostname))
		gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, t->hostname,
				       strlen(t->hostname));
	gnutls_transport_set_int(t->s, sock);
	if ((ret = set_nonblock(sock, true)))
		goto fail;
	ret = handshake(t, timeout_ms, cancel);
	if (ret) {
		set_nonblock(sock, false);
		goto fail;
	}
	if (!t->dn[0])
		peer_dn(t);
	t->hostname = NULL;	/* @host is ours no more */
	ret = admitted(t, timeout_ms, cancel);
	if (ret) {
		set_nonblock(sock, false);
		goto fail;
	}
	if (getenv("MVGPU_TLS_NO_KTLS")) {
		why = "MVGPU_TLS_NO_KTLS is set";
		ret = -EPERM;
	} else {
		ret = ktls_install(t, &why);
	}
	if (!ret) {
		t->ktls = true;
		ret = set_nonblock(sock, false);
		if (ret)
			goto fail;
		*out = t;
		return 0;
	}
	if (ret == -EIO) {
		ret = mvgpu__err(ctx, -EIO, "kernel TLS took one direction and not the other (%s)",
				 why);
		goto fail;
	}
	mvgpu__warn(ctx, "kernel TLS not available (%s): TLS in userspace, slower", why);
	ret = pump_start(t, fd);
	if (ret)
		goto fail;
	*out = t;
	return 0;
fail:
	*fd = sock;
	ntls_end(t);
	return ret;
}

const char *ntls_peer_dn(const struct ntls *t)
{
	return t ? t->dn : "";
}

bool ntls_ktls(const struct ntls *t)
{
	return t && t->ktls;
}

/* kernel TLS: a fatal alert @desc to the peer, if the socket still takes it */
static void ktls_alert(int fd, unsigned char desc)
{
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		struct cmsghdr align;
	} u;
	unsigned char rec[2] = { GNUTLS_AL_FATAL, desc };
	struct iovec iov = { .iov_base = rec, .iov_len = sizeof(rec) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = SOL_TLS;
	c->cmsg_type = TLS_SET_RECORD_TYPE;
	c->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(c) = 21;	/* alert */
	sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static bool ktls_bad_record(struct ntls *t, int ret)
{
	return t->ktls && ret == -EBADMSG &&
	       strstr(mvgpu_last_error(t->ctx), strerror(EBADMSG));
}

bool ntls_broken(struct ntls *t, int ret)
{
	if (!t)
		return false;
	if (!t->ktls)
		return __atomic_load_n(&t->err, __ATOMIC_ACQUIRE) != 0;
	return ktls_bad_record(t, ret);
}

int ntls_explain(struct ntls *t, int ret)
{
	union {
		char buf[CMSG_SPACE(sizeof(unsigned char))];
		struct cmsghdr align;
	} u;
	unsigned char rec[2];
	struct iovec iov = { .iov_base = rec, .iov_len = sizeof(rec) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;

	if (!t || !ret || ret == -ECANCELED)
		return ret;
	if (!t->ktls) {
		if (t->running) {
			/* the thread may still be failing: let it end */
			close(t->app);
			t->app = -1;
			pthread_join(t->thread, NULL);
			t->running = false;
		}
		if (!t->err)
			return ret;
		if (t->err == GNUTLS_E_FATAL_ALERT_RECEIVED)
			return alert_err(t, gnutls_alert_get(t->s));
		return mvgpu__err(t->ctx, -EBADMSG,
				  "TLS: a record from %s failed its check (%s): a man in the middle, or a damaged link; the connection was dropped",
				  t->peer, gnutls_strerror(t->err));
	}
	/* kernel TLS: a bad record is EBADMSG, an alert waits as a record */
	if (ktls_bad_record(t, ret)) {
		ktls_alert(t->sock, GNUTLS_A_BAD_RECORD_MAC);
		return mvgpu__err(t->ctx, -EBADMSG,
				  "TLS: a record from %s failed its check (kernel TLS: %s): a man in the middle, or a damaged link; the connection was dropped",
				  t->peer, strerror(EBADMSG));
	}
	if (recvmsg(t->sock, &m, MSG_DONTWAIT) == 2) {
		c = CMSG_FIRSTHDR(&m);
		if (c && c->cmsg_level == SOL_TLS && c->cmsg_type == TLS_GET_RECORD_TYPE &&
		    *CMSG_DATA(c) == 21 /* alert */)
			return alert_err(t, (gnutls_alert_description_t)rec[1]);
	}
	return ret;
}

void ntls_end(struct ntls *t)
{
	if (!t)
		return;
	if (t->app >= 0)
		close(t->app);
	if (t->running)
		pthread_join(t->thread, NULL);
	if (t->pump >= 0)
		close(t->pump);
	if (t->s)
		gnutls_deinit(t->s);
	if (t->cred)
		gnutls_certificate_free_credentials(t->cred);
	free(t->authz);
	free(t);
}
