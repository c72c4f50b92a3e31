/*
 * cmd.c - encoding of channel commands (proto/mvgpu_abi.h) and the names
 * of channel error codes.
 */
#include <endian.h>
#include <string.h>

#include "device.h"

struct mvgpu_cmd mvgpu_cmd_raw(uint32_t op, uint32_t flags, uint64_t a,
			       uint64_t b, uint64_t c)
{
	struct mvgpu_cmd cmd;

	memset(&cmd, 0, sizeof(cmd));
	cmd.op = htole32(op);
	cmd.flags = htole32(flags);
	cmd.a = htole64(a);
	cmd.b = htole64(b);
	cmd.c = htole64(c);
	return cmd;
}

struct mvgpu_cmd mvgpu_cmd_nop(void)
{
	return mvgpu_cmd_raw(MVGPU_OP_NOP, 0, 0, 0, 0);
}

struct mvgpu_cmd mvgpu_cmd_fill(uint64_t fb_off, uint64_t bytes,
				uint32_t pattern)
{
	return mvgpu_cmd_raw(MVGPU_OP_FILL, 0, fb_off, bytes, pattern);
}

struct mvgpu_cmd mvgpu_cmd_copy(uint64_t src_off, uint64_t dst_off,
				uint64_t bytes)
{
	return mvgpu_cmd_raw(MVGPU_OP_COPY, 0, src_off, dst_off, bytes);
}

struct mvgpu_cmd mvgpu_cmd_peer_copy(uint32_t peer, int from_peer,
				     uint64_t here, uint64_t there,
				     uint64_t bytes)
{
	return mvgpu_cmd_raw(MVGPU_OP_PEER_COPY,
			     peer | (from_peer ? MVGPU_CMD_F_PEER_READ : 0),
			     here, there, bytes);
}

struct mvgpu_cmd mvgpu_cmd_dma_to_fb(uint64_t iova, uint64_t fb_off,
				     uint64_t bytes)
{
	return mvgpu_cmd_raw(MVGPU_OP_DMA_TO_FB, 0, iova, fb_off, bytes);
}

struct mvgpu_cmd mvgpu_cmd_dma_from_fb(uint64_t fb_off, uint64_t iova,
				       uint64_t bytes)
{
	return mvgpu_cmd_raw(MVGPU_OP_DMA_FROM_FB, 0, fb_off, iova, bytes);
}

struct mvgpu_cmd mvgpu_cmd_fence(uint32_t value, uint32_t flags,
				 uint64_t iova)
{
	return mvgpu_cmd_raw(MVGPU_OP_FENCE, flags, value,
			     flags & MVGPU_CMD_F_FENCE_MEM ? iova : 0, 0);
}

const char *mvgpu_err_name(uint32_t code)
{
	switch (code) {
	case MVGPU_ERR_NONE:		return "NONE";
	case MVGPU_ERR_RING:		return "RING";
	case MVGPU_ERR_PUT:		return "PUT";
	case MVGPU_ERR_OPCODE:		return "OPCODE";
	case MVGPU_ERR_DMA:		return "DMA";
	case MVGPU_ERR_FB_RANGE:	return "FB_RANGE";
	case MVGPU_ERR_ALIGN:		return "ALIGN";
	case MVGPU_ERR_NOMEM:		return "NOMEM";
	case MVGPU_ERR_ECC:		return "ECC";
	case MVGPU_ERR_PEER:		return "PEER";
	default:			return "UNKNOWN";
	}
}
