/*
 * ctx.c - libmvgpu context, version, errors and warnings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

unsigned mvgpu_version_number(void)
{
	return MVGPU_VERSION_NUMBER;
}

const char *mvgpu_version_string(void)
{
	return MVGPU_VERSION_STRING;
}

const char *mvgpu_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EBADMSG:
		return "malformed sysfs content";
	case ENOSPC:
	case EDQUOT:
		return "no free vGPU instance (framebuffer pool exhausted)";
	case EBUSY:
		return "vGPU is in use";
	case ENODEV:
		return "no such mvgpu parent";
	case EEXIST:
		return "a vGPU with this UUID already exists";
	default:
		break;
	}
	s = strerrordesc_np(err);
	return s ? s : "unknown error";
}

int mvgpu_ctx_create(mvgpu_ctx **out, const char *sysfs_root)
{
	mvgpu_ctx *ctx;
	size_t len;

	if (!out)
		return -EINVAL;
	if (!sysfs_root) {
		sysfs_root = getenv("MVGPU_SYSFS");
		if (!sysfs_root || !*sysfs_root)
			sysfs_root = "/sys";
	}
	len = strlen(sysfs_root);
	if (len == 0)
		return -EINVAL;
	/* Keep a lone "/" as is, drop other trailing slashes. */
	while (len > 1 && sysfs_root[len - 1] == '/')
		len--;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	if (len >= sizeof(ctx->root)) {
		free(ctx);
		return -ENAMETOOLONG;
	}
	if (len == 1 && sysfs_root[0] == '/')
		len = 0;	/* paths are built as root + "/..." */
	memcpy(ctx->root, sysfs_root, len);
	ctx->root[len] = '\0';
	*out = ctx;
	return 0;
}

void mvgpu_ctx_free(mvgpu_ctx *ctx)
{
	free(ctx);
}

const char *mvgpu_ctx_sysfs_root(const mvgpu_ctx *ctx)
{
	if (!ctx)
		return "";
	return ctx->root[0] ? ctx->root : "/";
}

const char *mvgpu_last_error(const mvgpu_ctx *ctx)
{
	return ctx ? ctx->err : "";
}

void mvgpu_set_warn_handler(mvgpu_ctx *ctx, mvgpu_warn_fn fn, void *opaque)
{
	if (!ctx)
		return;
	ctx->warn = fn;
	ctx->warn_opaque = opaque;
}

void mvgpu_ctx_set_cancel(mvgpu_ctx *ctx, const volatile sig_atomic_t *flag)
{
	if (ctx)
		ctx->cancel = flag;
}

void mvgpu_ctx_set_clock(mvgpu_ctx *ctx, const mvgpu_clock *clock)
{
	if (!ctx)
		return;
	ctx->has_clock = clock && clock->now_ns && clock->sleep_ns;
	if (ctx->has_clock)
		ctx->clock = *clock;
	else
		memset(&ctx->clock, 0, sizeof(ctx->clock));
}

int mvgpu__err(mvgpu_ctx *ctx, int ret, const char *fmt, ...)
{
	char msg[MVGPU_ERR_MAX];
	va_list ap;

	if (!ctx)
		return ret;
	/* through a copy: callers quote mvgpu_last_error(ctx) itself */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(ctx->err, msg, sizeof(msg));
	return ret;
}

void mvgpu__warn(mvgpu_ctx *ctx, const char *fmt, ...)
{
	char msg[MVGPU_ERR_MAX + 256];
	va_list ap;

	if (!ctx || !ctx->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctx->warn(ctx->warn_opaque, msg);
}

void mvgpu__quote(char *out, size_t len, const char *in)
{
	size_t i, n, inlen;

	if (!len)
		return;
	if (!in)
		in = "";
	inlen = strlen(in);
	n = inlen < len ? inlen : (len > 4 ? len - 4 : len - 1);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n < inlen && len > 4) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}
