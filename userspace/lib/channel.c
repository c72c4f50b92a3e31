/*
 * channel.c - command channels: a ring in DMA memory that the library
 * fills at PUT and the device consumes up to PUT, advancing GET; fences
 * and waiting for them.
 *
 * Producer protocol (proto/mvgpu_abi.h): write commands at PUT (wrapping),
 * make them visible, then write the PUT register once per batch (the
 * doorbell).  The ring is empty when GET == PUT, so one slot always stays
 * free.  GET and FENCE come from the device and are checked before use.
 */
#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"

#define CH(c, reg)	MVGPU_REG_CH((c)->index, (reg))

uint32_t mvgpu__ring_copy(void *ring, uint32_t size, uint32_t put,
			  const struct mvgpu_cmd *cmds, size_t n)
{
	char *r = ring;

	while (n) {
		size_t room = (size - put) / MVGPU_CMD_SIZE;	/* to the end */
		size_t k = n < room ? n : room;

		memcpy(r + put, cmds, k * MVGPU_CMD_SIZE);
		put = (uint32_t)((put + k * MVGPU_CMD_SIZE) & (size - 1));
		cmds += k;
		n -= k;
	}
	return put;
}

static uint32_t chan_bits(const mvgpu_chan *chan)
{
	return MVGPU_INTR_FENCE(chan->index) | MVGPU_INTR_ERROR(chan->index);
}

static int intr_mask_update(mvgpu_dev *dev, uint32_t set, uint32_t clear)
{
	uint32_t m;
	int ret = mvgpu__reg_rd(dev, MVGPU_REG_INTR_MASK, &m);

	if (ret)
		return ret;
	return mvgpu__reg_wr(dev, MVGPU_REG_INTR_MASK,
			     ((m | set) & ~clear) & MVGPU_INTR_ALL);
}

/* Read STATUS; on STATUS_ERROR record ERROR and ERROR_GET: -EIO.
 * -ENOTCONN if not enabled.  *@status may be NULL. */
static int chan_check(mvgpu_chan *chan, uint32_t *status)
{
	mvgpu_dev *dev = chan->dev;
	uint32_t st;
	int ret;

	ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_STATUS), &st);
	if (ret)
		return ret;
	if (status)
		*status = st;
	if (st & MVGPU_CH_STATUS_ERROR) {
		if ((ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_ERROR), &chan->error)) ||
		    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_ERROR_GET),
					 &chan->error_get)))
			return ret;
		return mvgpu__err(dev->ctx, -EIO,
				  "channel %u stopped: error %u (%s) at ring offset 0x%x",
				  chan->index, chan->error,
				  mvgpu_err_name(chan->error), chan->error_get);
	}
	if (!(st & MVGPU_CH_STATUS_ENABLED)) {
		chan->enabled = 0;
		return mvgpu__err(dev->ctx, -ENOTCONN,
				  "channel %u is not enabled (STATUS 0x%x)",
				  chan->index, st);
	}
	return 0;
}

/* Program the ring and enable; see mvgpu_chan_open(). */
static int chan_enable(mvgpu_chan *chan)
{
	mvgpu_dev *dev = chan->dev;
	uint32_t st, get, put, fence;
	int ret;

	chan->error = chan->error_get = 0;
	if ((ret = mvgpu__reg_wr(dev, CH(chan, MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET)) ||
	    (ret = mvgpu__reg_wr(dev, CH(chan, MVGPU_CH_RING_BASE_LO),
				 (uint32_t)chan->ring.iova)) ||
	    (ret = mvgpu__reg_wr(dev, CH(chan, MVGPU_CH_RING_BASE_HI),
				 (uint32_t)(chan->ring.iova >> 32))) ||
	    (ret = mvgpu__reg_wr(dev, CH(chan, MVGPU_CH_RING_SIZE), chan->size)) ||
	    (ret = mvgpu__reg_wr(dev, CH(chan, MVGPU_CH_CTRL), MVGPU_CH_CTRL_ENABLE)))
		return ret;
	ret = chan_check(chan, &st);
	if (ret == -EIO)
		return mvgpu__err(dev->ctx, -EIO,
				  "channel %u refused its ring (iova 0x%llx, %u bytes): error %u (%s)",
				  chan->index, (unsigned long long)chan->ring.iova,
				  chan->size, chan->error,
				  mvgpu_err_name(chan->error));
	if (ret == -ENOTCONN)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "channel %u: STATUS 0x%x after ENABLE, without ENABLED or ERROR",
				  chan->index, st);
	if (ret)
		return ret;
	if ((ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_GET), &get)) ||
	    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_PUT), &put)) ||
	    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_FENCE), &fence)))
		return ret;
	if (get || put)
		return mvgpu__err(dev->ctx, -EPROTO,
				  "channel %u: GET 0x%x, PUT 0x%x after ENABLE (expected 0)",
				  chan->index, get, put);
	chan->put = chan->get = 0;
	/* Keep issuing increasing values across resets; start after the
	 * device's current value. */
	if (!chan->enabled_once || mvgpu__fence_passed(fence, chan->fence_next))
		chan->fence_next = fence + 1;
	chan->enabled_once = 1;
	chan->enabled = 1;
	return intr_mask_update(dev, chan_bits(chan), 0);
}

int mvgpu_chan_open(mvgpu_dev *dev, unsigned ch, size_t ring_bytes,
		    mvgpu_chan **out)
{
	mvgpu_chan *chan;
	int ret;

	if (!dev || !out || ch >= dev->info.channels ||
	    ring_bytes < MVGPU_RING_MIN || ring_bytes > MVGPU_RING_MAX ||
	    (ring_bytes & (ring_bytes - 1)))
		return -EINVAL;
	if (dev->chans[ch])
		return mvgpu__err(dev->ctx, -EBUSY, "channel %u is already open",
				  ch);
	chan = calloc(1, sizeof(*chan));
	if (!chan)
		return -ENOMEM;
	chan->dev = dev;
	chan->index = ch;
	chan->size = (uint32_t)ring_bytes;
	chan->submit_timeout_ms = MVGPU__SUBMIT_TIMEOUT_MS;
	ret = mvgpu_dma_alloc(dev, ring_bytes, &chan->ring);
	if (!ret)
		ret = mvgpu_dma_alloc(dev, MVGPU__PAGE, &chan->slot);
	if (!ret)
		ret = chan_enable(chan);
	if (ret) {
		mvgpu__reg_wr(dev, CH(chan, MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET);
		mvgpu_dma_free(dev, &chan->ring);
		mvgpu_dma_free(dev, &chan->slot);
		free(chan);
		return ret;
	}
	dev->chans[ch] = chan;
	/* The library's waits need an interrupt: MSI unless the caller chose
	 * one.  Without any, waits fall back to polling. */
	if (dev->irq_fd[MVGPU_IRQ_MSI] < 0 && dev->irq_fd[MVGPU_IRQ_INTX] < 0 &&
	    dev->irq_count[MVGPU_IRQ_MSI])
		mvgpu_irq_enable(dev, MVGPU_IRQ_MSI, NULL);
	*out = chan;
	return 0;
}

void mvgpu_chan_close(mvgpu_chan *chan)
{
	mvgpu_dev *dev;

	if (!chan)
		return;
	dev = chan->dev;
	mvgpu__reg_wr(dev, CH(chan, MVGPU_CH_CTRL), MVGPU_CH_CTRL_RESET);
	intr_mask_update(dev, 0, chan_bits(chan));
	mvgpu_dma_free(dev, &chan->ring);
	mvgpu_dma_free(dev, &chan->slot);
	dev->chans[chan->index] = NULL;
	free(chan);
}

int mvgpu_chan_reset(mvgpu_chan *chan)
{
	int ret;

	if (!chan)
		return -EINVAL;
	chan->enabled = 0;
	ret = chan_enable(chan);
	if (ret)
		mvgpu__reg_wr(chan->dev, CH(chan, MVGPU_CH_CTRL),
			      MVGPU_CH_CTRL_RESET);
	return ret;
}

unsigned mvgpu_chan_index(const mvgpu_chan *chan)
{
	return chan->index;
}

void mvgpu_chan_set_timeout(mvgpu_chan *chan, int timeout_ms)
{
	chan->submit_timeout_ms = timeout_ms;
}

uint32_t mvgpu_chan_error(const mvgpu_chan *chan)
{
	return chan->error;
}

uint32_t mvgpu_chan_error_get(const mvgpu_chan *chan)
{
	return chan->error_get;
}

uint32_t mvgpu_chan_last_fence(const mvgpu_chan *chan)
{
	return chan->fence_next - 1;
}

uint32_t mvgpu_chan_fence_mem(const mvgpu_chan *chan)
{
	uint32_t v = atomic_load_explicit((_Atomic uint32_t *)chan->slot.va,
					  memory_order_acquire);

	return le32toh(v);
}

int mvgpu_chan_read_regs(mvgpu_chan *chan, mvgpu_chan_regs *out)
{
	mvgpu_dev *dev;
	int ret;

	if (!chan || !out)
		return -EINVAL;
	dev = chan->dev;
	if ((ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_CTRL), &out->ctrl)) ||
	    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_PUT), &out->put)) ||
	    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_GET), &out->get)) ||
	    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_FENCE), &out->fence)) ||
	    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_STATUS), &out->status)) ||
	    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_ERROR), &out->error)) ||
	    (ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_ERROR_GET),
				 &out->error_get)))
		return ret;
	return 0;
}

/* Re-read GET and check it: inside the ring, aligned, and between the
 * last GET seen and PUT (the device only consumes what was produced). */
static int refresh_get(mvgpu_chan *chan)
{
	uint32_t get;
	int ret = mvgpu__reg_rd(chan->dev, CH(chan, MVGPU_CH_GET), &get);

	if (ret)
		return ret;
	if (!mvgpu__ring_off_ok(get, chan->size) ||
	    mvgpu__ring_used(chan->put, get, chan->size) >
	    mvgpu__ring_used(chan->put, chan->get, chan->size))
		return mvgpu__err(chan->dev->ctx, -EPROTO,
				  "channel %u: device reports GET 0x%x (last 0x%x, PUT 0x%x, ring %u bytes)",
				  chan->index, get, chan->get, chan->put,
				  chan->size);
	chan->get = get;
	return 0;
}

int mvgpu_chan_submit(mvgpu_chan *chan, const struct mvgpu_cmd *cmds,
		      size_t n)
{
	mvgpu_dev *dev;
	int64_t deadline = -1;
	int backoff = 1, ret;

	if (!chan || (!cmds && n))
		return -EINVAL;
	dev = chan->dev;
	if (!chan->enabled)
		return mvgpu__err(dev->ctx, -ENOTCONN,
				  "channel %u is disabled (device reset)",
				  chan->index);
	while (n) {
		uint32_t room = mvgpu__ring_free(chan->put, chan->get, chan->size);
		size_t k;

		if (room < MVGPU_CMD_SIZE) {
			ret = refresh_get(chan);
			if (ret)
				return ret;
			room = mvgpu__ring_free(chan->put, chan->get, chan->size);
		}
		if (room < MVGPU_CMD_SIZE) {
			int64_t now = mvgpu__now_ms();
			int slice;

			ret = chan_check(chan, NULL);
			if (ret)
				return ret;
			if (deadline < 0) {
				dev->stats.ring_full++;
				deadline = chan->submit_timeout_ms < 0 ? INT64_MAX :
					   now + chan->submit_timeout_ms;
			}
			if (now >= deadline)
				return mvgpu__err(dev->ctx, -ETIMEDOUT,
						  "channel %u: ring full for %d ms (GET 0x%x, PUT 0x%x)",
						  chan->index, chan->submit_timeout_ms,
						  chan->get, chan->put);
			/* No interrupt says "GET moved": sleep on the fence
			 * interrupt with a growing bound and re-read GET. */
			slice = backoff;
			if (deadline - now < slice)
				slice = (int)(deadline - now);
			ret = mvgpu__dev_sleep(dev, slice);
			if (ret < 0)
				return ret;
			if (backoff < MVGPU__POLL_SLICE_MS / 4)
				backoff *= 2;
			continue;
		}
		k = room / MVGPU_CMD_SIZE;
		if (k > n)
			k = n;
		chan->put = mvgpu__ring_copy(chan->ring.va, chan->size,
					     chan->put, cmds, k);
		/* The commands must be in memory before the doorbell. */
		atomic_thread_fence(memory_order_release);
		ret = mvgpu__reg_wr(dev, CH(chan, MVGPU_CH_PUT), chan->put);
		if (ret)
			return ret;
		dev->stats.doorbells++;
		dev->stats.cmds += k;
		cmds += k;
		n -= k;
		deadline = -1;
		backoff = 1;
	}
	return 0;
}

int mvgpu_chan_fence_cmd(mvgpu_chan *chan, unsigned flags,
			 struct mvgpu_cmd *cmd, uint32_t *value)
{
	uint32_t f = 0;

	if (!chan || !cmd || (flags & ~(MVGPU_FENCE_IRQ | MVGPU_FENCE_MEM)))
		return -EINVAL;
	if (flags & MVGPU_FENCE_IRQ)
		f |= MVGPU_CMD_F_IRQ;
	if (flags & MVGPU_FENCE_MEM)
		f |= MVGPU_CMD_F_FENCE_MEM;
	*cmd = mvgpu_cmd_fence(chan->fence_next, f, chan->slot.iova);
	if (value)
		*value = chan->fence_next;
	chan->fence_next++;
	return 0;
}

int mvgpu_chan_fence(mvgpu_chan *chan, unsigned flags, uint32_t *value)
{
	struct mvgpu_cmd cmd;
	uint32_t v;
	int ret;

	ret = mvgpu_chan_fence_cmd(chan, flags, &cmd, &v);
	if (ret)
		return ret;
	ret = mvgpu_chan_submit(chan, &cmd, 1);
	if (ret)
		return ret;
	if (value)
		*value = v;
	return 0;
}

int mvgpu_chan_wait(mvgpu_chan *chan, uint32_t value, int timeout_ms)
{
	mvgpu_dev *dev;
	int64_t deadline;
	uint32_t fence, last;
	int ret;

	if (!chan)
		return -EINVAL;
	dev = chan->dev;
	if (!chan->enabled)
		return mvgpu__err(dev->ctx, -ENOTCONN,
				  "channel %u is disabled (device reset)",
				  chan->index);
	last = chan->fence_next - 1;
	deadline = timeout_ms < 0 ? INT64_MAX : mvgpu__now_ms() + timeout_ms;
	/* Clear stale sources first, so a completion after the register
	 * check below raises a fresh interrupt. */
	ret = mvgpu__intr_ack_all(dev);
	if (ret)
		return ret;
	for (;;) {
		int64_t now;
		int slice;

		ret = mvgpu__reg_rd(dev, CH(chan, MVGPU_CH_FENCE), &fence);
		if (ret)
			return ret;
		if (mvgpu__fence_passed(fence, value)) {
			if (!mvgpu__fence_passed(last, fence))
				return mvgpu__err(dev->ctx, -EPROTO,
						  "channel %u: FENCE register 0x%x is ahead of the last fence issued (0x%x)",
						  chan->index, fence, last);
			return 0;
		}
		ret = chan_check(chan, NULL);
		if (ret)
			return ret;
		now = mvgpu__now_ms();
		if (now >= deadline)
			return mvgpu__err(dev->ctx, -ETIMEDOUT,
					  "channel %u: fence %u not reached in %d ms (FENCE register %u)",
					  chan->index, value, timeout_ms, fence);
		slice = deadline - now < MVGPU__POLL_SLICE_MS ?
			(int)(deadline - now) : MVGPU__POLL_SLICE_MS;
		ret = mvgpu__dev_sleep(dev, slice);
		if (ret < 0)
			return ret;
	}
}
