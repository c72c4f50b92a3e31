/*
 * tls.h - libmvgpu private: securing a migration connection before the
 * wire protocol starts (mvgpu_net_security in mvgpu.h).
 */
#ifndef MVGPU_TLS_H
#define MVGPU_TLS_H

#include <signal.h>
#include <stdbool.h>

#include "internal.h"

struct ntls;

/*
 * ntls_start() - secure connected socket @sock before any protocol byte.
 * TCP: a TLS 1.3 handshake with mutual x509 authentication (unless
 * @sec->insecure), then the keys go to kernel TLS, or (no kernel TLS) a
 * thread carries the records between @sock and a socket pair.  unix: the
 * peer's uid must be 0 or ours.  @client: we connected.  @peer names the
 * other side in messages ("the target").  @cancel stops the handshake.
 * *@fd gets the descriptor the protocol then uses (@sock itself, or the
 * socket pair's end), *@out what ntls_end() releases (NULL: nothing).
 * Return: 0 or -errno with the detail in ctx; nothing was sent to the peer
 * of the protocol (the local host's versions, types and UUIDs) then.
 */
int ntls_start(mvgpu_ctx *ctx, int sock, const mvgpu_net_security *sec,
	       bool client, unsigned timeout_ms, const char *peer,
	       const volatile sig_atomic_t *cancel, struct ntls **out, int *fd);

/* The peer's certificate DN, "" when none; kernel TLS in use. */
const char *ntls_peer_dn(const struct ntls *t);
bool ntls_ktls(const struct ntls *t);

/*
 * ntls_explain() - after the protocol failed with @ret on a secured
 * connection: when TLS was the cause (a record that did not authenticate,
 * an alert from the peer), record that as the detail instead.
 * Return: @ret, or the TLS cause's -errno.
 */
int ntls_explain(struct ntls *t, int ret);

/*
 * ntls_broken() - did the secured connection itself fail (a record that
 * did not authenticate, an alert), so the protocol cannot say a last word
 * on it?  @ret: the protocol's error.  Call ntls_explain() then.
 */
bool ntls_broken(struct ntls *t, int ret);

/* Release @t (NULL: nothing): the carrying thread ends, @sock stays. */
void ntls_end(struct ntls *t);

#endif /* MVGPU_TLS_H */
