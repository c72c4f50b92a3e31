// SPDX-License-Identifier: GPL-2.0
/*
 * channel.c - command channels and the command processor.
 *
 * A channel is a ring of 32-byte commands in guest memory.  The guest
 * writes commands and advances PUT; the processor, a work item on mvgpu_wq
 * (never the ioctl path), reads each command with vfio_dma_rw(), validates
 * it whole before it has any effect, runs it, and advances GET.
 *
 * Fairness: the processor takes one step of each busy channel in turn
 * (a step is one command, or MVGPU_STEP_BYTES of a long one), and after
 * MVGPU_ROUNDS rounds requeues itself, so one vGPU's work item cannot keep
 * a worker from the others.  vgpu->lock is held for one round at a time.
 *
 * A bad command stops only its own channel: ERROR and ERROR_GET say what
 * and where, the channel's error interrupt fires, and the other channels,
 * vGPUs and the host carry on.  CTRL_RESET clears it.
 */
#include <linux/memcontrol.h>
#include <linux/minmax.h>
#include <linux/sched/mm.h>
#include <linux/vfio.h>

#include "mvgpu.h"

#define MVGPU_STEP_BYTES	(256 * 1024)
#define MVGPU_ROUNDS		16

struct workqueue_struct *mvgpu_wq;

static bool ch_enabled(const struct mvgpu_channel *c)
{
	return c->ctrl & MVGPU_CH_CTRL_ENABLE;
}

static bool ch_has_work(const struct mvgpu_channel *c)
{
	return ch_enabled(c) && !c->error && c->get != c->put;
}

static void ch_reset(struct mvgpu_channel *c)
{
	c->ctrl = 0;
	c->put = 0;
	c->get = 0;
	c->error = MVGPU_ERR_NONE;
	c->error_get = 0;
	c->cmd_done = 0;
}

/**
 * mvgpu_channels_reset() - all channels to their power-on state.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 */
void mvgpu_channels_reset(struct mvgpu_vgpu *vgpu)
{
	unsigned int i;

	for (i = 0; i < MVGPU_NUM_CHANNELS; i++) {
		ch_reset(&vgpu->ch[i]);
		vgpu->ch[i].ring_base = 0;
		vgpu->ch[i].ring_size = 0;
		vgpu->ch[i].fence = 0;
	}
}

static void ch_fail(struct mvgpu_vgpu *vgpu, unsigned int n, u32 err)
{
	struct mvgpu_channel *c = &vgpu->ch[n];

	c->error = err;
	c->error_get = c->get;
	c->cmd_done = 0;
	dev_warn_ratelimited(vgpu->vdev.dev,
			     "channel %u stopped: error %u at ring offset %#x\n",
			     n, err, c->get);
	/* the guest's own interrupt source tells it; never VFIO's ERR irq,
	 * on which QEMU stops the whole VM for one bad command */
	mvgpu_irq_raise(vgpu, MVGPU_INTR_ERROR(n));
}

static bool may_run(struct mvgpu_vgpu *vgpu)
{
	return vgpu->open && !vgpu->quiesced;
}

static void mvgpu_kick(struct mvgpu_vgpu *vgpu)
{
	if (may_run(vgpu))
		queue_work(mvgpu_wq, &vgpu->work);
}

/**
 * mvgpu_channels_kill() - stop every enabled channel that still runs.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @err: MVGPU_ERR_* for each of them.
 */
void mvgpu_channels_kill(struct mvgpu_vgpu *vgpu, u32 err)
{
	unsigned int n;

	for (n = 0; n < MVGPU_NUM_CHANNELS; n++)
		if (ch_enabled(&vgpu->ch[n]) && !vgpu->ch[n].error)
			ch_fail(vgpu, n, err);
}

/**
 * mvgpu_channels_active() - how many channels are enabled.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 *
 * Return: 0 .. MVGPU_NUM_CHANNELS.
 */
unsigned int mvgpu_channels_active(struct mvgpu_vgpu *vgpu)
{
	unsigned int n, active = 0;

	for (n = 0; n < MVGPU_NUM_CHANNELS; n++)
		active += ch_enabled(&vgpu->ch[n]);
	return active;
}

static void ch_enable(struct mvgpu_vgpu *vgpu, unsigned int n)
{
	struct mvgpu_channel *c = &vgpu->ch[n];

	c->ctrl = MVGPU_CH_CTRL_ENABLE;
	c->get = 0;
	c->put = 0;
	c->cmd_done = 0;
	/* after a double-bit error only a reset brings the channels back */
	if (vgpu->ecc_killed)
		ch_fail(vgpu, n, MVGPU_ERR_ECC);
	else if (!is_power_of_2(c->ring_size) ||
		 c->ring_size < MVGPU_RING_MIN ||
		 c->ring_size > MVGPU_RING_MAX ||
		 !IS_ALIGNED(c->ring_base, SZ_4K) ||
		 c->ring_base + c->ring_size < c->ring_base)
		ch_fail(vgpu, n, MVGPU_ERR_RING);
}

/**
 * mvgpu_channel_read() - read a channel register.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @n: channel.
 * @reg: register offset inside the channel's block.
 *
 * Return: the value.
 */
u32 mvgpu_channel_read(struct mvgpu_vgpu *vgpu, unsigned int n, u32 reg)
{
	const struct mvgpu_channel *c = &vgpu->ch[n];

	switch (reg) {
	case MVGPU_CH_RING_BASE_LO:	return lower_32_bits(c->ring_base);
	case MVGPU_CH_RING_BASE_HI:	return upper_32_bits(c->ring_base);
	case MVGPU_CH_RING_SIZE:	return c->ring_size;
	case MVGPU_CH_CTRL:		return c->ctrl;
	case MVGPU_CH_PUT:		return c->put;
	case MVGPU_CH_GET:		return c->get;
	case MVGPU_CH_FENCE:		return c->fence;
	case MVGPU_CH_ERROR:		return c->error;
	case MVGPU_CH_ERROR_GET:	return c->error_get;
	case MVGPU_CH_STATUS:
		return (ch_enabled(c) ? MVGPU_CH_STATUS_ENABLED : 0) |
		       (c->get != c->put ? MVGPU_CH_STATUS_BUSY : 0) |
		       (c->error ? MVGPU_CH_STATUS_ERROR : 0);
	}
	return 0;
}

/**
 * mvgpu_channel_write() - write a channel register.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @n: channel.
 * @reg: register offset inside the channel's block.
 * @val: the value.
 *
 * The ring registers only change while the channel is disabled.  A PUT
 * write on a disabled or failed channel is ignored; a PUT beyond the ring
 * or not at a command boundary fails the channel.
 */
void mvgpu_channel_write(struct mvgpu_vgpu *vgpu, unsigned int n, u32 reg,
			 u32 val)
{
	struct mvgpu_channel *c = &vgpu->ch[n];

	switch (reg) {
	case MVGPU_CH_RING_BASE_LO:
		if (!ch_enabled(c))
			c->ring_base = (c->ring_base & GENMASK_ULL(63, 32)) | val;
		break;
	case MVGPU_CH_RING_BASE_HI:
		if (!ch_enabled(c))
			c->ring_base = (c->ring_base & GENMASK_ULL(31, 0)) |
				       (u64)val << 32;
		break;
	case MVGPU_CH_RING_SIZE:
		if (!ch_enabled(c))
			c->ring_size = val;
		break;
	case MVGPU_CH_CTRL:
		if (val & MVGPU_CH_CTRL_RESET)
			ch_reset(c);
		else if ((val & MVGPU_CH_CTRL_ENABLE) && !ch_enabled(c))
			ch_enable(vgpu, n);
		else if (!(val & MVGPU_CH_CTRL_ENABLE))
			c->ctrl = 0;
		break;
	case MVGPU_CH_PUT:
		if (!ch_enabled(c) || c->error)
			break;
		if (val >= c->ring_size || !IS_ALIGNED(val, MVGPU_CMD_SIZE)) {
			ch_fail(vgpu, n, MVGPU_ERR_PUT);
			break;
		}
		c->put = val;
		mvgpu_kick(vgpu);
		break;
	}
}

static bool fb_range_ok(struct mvgpu_vgpu *vgpu, u64 off, u64 len)
{
	u64 size = vgpu->fb_size;

	return off <= size && len <= size - off;
}

/* Validates a whole command before any of it runs: 0 or MVGPU_ERR_*. */
static u32 cmd_check(struct mvgpu_vgpu *vgpu, const struct mvgpu_cmd *cmd)
{
	u32 op = le32_to_cpu(cmd->op), flags = le32_to_cpu(cmd->flags);
	u64 a = le64_to_cpu(cmd->a), b = le64_to_cpu(cmd->b);
	u64 c = le64_to_cpu(cmd->c);

	if (op > MVGPU_OP_MAX)
		return MVGPU_ERR_OPCODE;
	if (op == MVGPU_OP_PEER_COPY)		/* its flags name the peer */
		return mvgpu_p2p_check(vgpu, flags, a, b, c);
	if (op == MVGPU_OP_FENCE ? flags & ~MVGPU_CMD_F_ALL : flags)
		return MVGPU_ERR_OPCODE;

	switch (op) {
	case MVGPU_OP_FILL:
		if (!IS_ALIGNED(a | b, 4))
			return MVGPU_ERR_ALIGN;
		return fb_range_ok(vgpu, a, b) ? 0 : MVGPU_ERR_FB_RANGE;
	case MVGPU_OP_COPY:
		if (!IS_ALIGNED(a | b | c, 4))
			return MVGPU_ERR_ALIGN;
		return fb_range_ok(vgpu, a, c) && fb_range_ok(vgpu, b, c) ?
		       0 : MVGPU_ERR_FB_RANGE;
	case MVGPU_OP_DMA_TO_FB:
		if (!IS_ALIGNED(b | c, 4))
			return MVGPU_ERR_ALIGN;
		return fb_range_ok(vgpu, b, c) ? 0 : MVGPU_ERR_FB_RANGE;
	case MVGPU_OP_DMA_FROM_FB:
		if (!IS_ALIGNED(a | c, 4))
			return MVGPU_ERR_ALIGN;
		return fb_range_ok(vgpu, a, c) ? 0 : MVGPU_ERR_FB_RANGE;
	}
	return 0;
}

static u32 errno_to_err(int ret)
{
	return ret == -ENOMEM ? MVGPU_ERR_NOMEM : MVGPU_ERR_DMA;
}

/*
 * Runs the next step of the command at @c->get.  Returns 0 when the step
 * is done (the command may have more steps: @c->cmd_done), or MVGPU_ERR_*.
 */
static u32 cmd_step(struct mvgpu_vgpu *vgpu, unsigned int n)
{
	struct mvgpu_channel *c = &vgpu->ch[n];
	const struct mvgpu_cmd *cmd = &c->cmd;
	u32 op = le32_to_cpu(cmd->op), flags = le32_to_cpu(cmd->flags);
	u64 a = le64_to_cpu(cmd->a), b = le64_to_cpu(cmd->b);
	u64 len = le64_to_cpu(cmd->c), step, done = c->cmd_done;
	__le32 val;
	int ret = 0;

	if (op == MVGPU_OP_FILL)
		len = b;
	step = min_t(u64, len - min(len, done), MVGPU_STEP_BYTES);

	switch (op) {
	case MVGPU_OP_NOP:
		break;
	case MVGPU_OP_FILL:
		ret = mvgpu_fb_fill(vgpu, a + done, step, le64_to_cpu(cmd->c));
		break;
	case MVGPU_OP_COPY:
		/*
		 * memmove semantics across steps: when the destination
		 * overlaps the tail of the source, walk from the end.
		 */
		if (b > a && b < a + len)
			ret = mvgpu_fb_copy(vgpu, a + len - done - step,
					    b + len - done - step, step);
		else
			ret = mvgpu_fb_copy(vgpu, a + done, b + done, step);
		break;
	case MVGPU_OP_DMA_TO_FB:
		ret = mvgpu_fb_dma(vgpu, b + done, a + done, step, true);
		break;
	case MVGPU_OP_DMA_FROM_FB:
		ret = mvgpu_fb_dma(vgpu, a + done, b + done, step, false);
		break;
	case MVGPU_OP_PEER_COPY: {
		u32 err = mvgpu_p2p_step(vgpu, flags, a + done, b + done, step);

		if (err)
			return err;
		break;
	}
	case MVGPU_OP_FENCE:
		if (flags & MVGPU_CMD_F_FENCE_MEM) {
			val = cpu_to_le32(lower_32_bits(a));
			ret = vfio_dma_rw(&vgpu->vdev, b, &val, sizeof(val), true);
			if (ret)
				break;
		}
		c->fence = lower_32_bits(a);
		if (flags & MVGPU_CMD_F_IRQ)
			mvgpu_irq_raise(vgpu, MVGPU_INTR_FENCE(n));
		if (flags & MVGPU_CMD_F_FRAME)
			mvgpu_frl_frame_done(vgpu);
		break;
	}
	if (ret)
		return errno_to_err(ret);
	c->cmd_done = done + step;
	return 0;
}

static u64 cmd_len(const struct mvgpu_cmd *cmd)
{
	switch (le32_to_cpu(cmd->op)) {
	case MVGPU_OP_FILL:
		return le64_to_cpu(cmd->b);
	case MVGPU_OP_COPY:
	case MVGPU_OP_DMA_TO_FB:
	case MVGPU_OP_DMA_FROM_FB:
	case MVGPU_OP_PEER_COPY:
		return le64_to_cpu(cmd->c);
	}
	return 0;
}

/* One step of channel @n.  Returns true if it did something. */
static bool ch_step(struct mvgpu_vgpu *vgpu, unsigned int n)
{
	struct mvgpu_channel *c = &vgpu->ch[n];
	u32 err;
	int ret;

	if (!ch_has_work(c))
		return false;

	if (!c->cmd_done) {
		ret = vfio_dma_rw(&vgpu->vdev, c->ring_base + c->get, &c->cmd,
				  sizeof(c->cmd), false);
		if (ret) {
			ch_fail(vgpu, n, MVGPU_ERR_DMA);
			return true;
		}
		err = cmd_check(vgpu, &c->cmd);
		if (err) {
			ch_fail(vgpu, n, err);
			return true;
		}
	}
	/*
	 * A frame's end waits for its slot: the channel holds at this FENCE
	 * (the processor's timer kicks it), the others go on ...
	 */
	if (le32_to_cpu(c->cmd.op) == MVGPU_OP_FENCE &&
	    (le32_to_cpu(c->cmd.flags) & MVGPU_CMD_F_FRAME) &&
	    mvgpu_frl_hold(vgpu))
		return false;
	/* and a peer copy for its links (p2p.c) */
	if (le32_to_cpu(c->cmd.op) == MVGPU_OP_PEER_COPY && mvgpu_p2p_hold(vgpu))
		return false;

	err = cmd_step(vgpu, n);
	if (err) {
		ch_fail(vgpu, n, err);
		return true;
	}
	if (c->cmd_done >= cmd_len(&c->cmd)) {
		c->cmd_done = 0;
		c->get = (c->get + MVGPU_CMD_SIZE) & (c->ring_size - 1);
	}
	return true;
}

/**
 * mvgpu_processor_work() - the command processor of one vGPU.
 * @work: vgpu->work.
 */
void mvgpu_processor_work(struct work_struct *work)
{
	struct mvgpu_vgpu *vgpu = container_of(work, struct mvgpu_vgpu, work);
	struct mem_cgroup *old_memcg;
	bool busy = false;
	unsigned int round, n;
	ktime_t start = ktime_get();
	s64 ns;

	/* runs only while open: vgpu->memcg is the opener's, referenced */
	old_memcg = set_active_memcg(vgpu->memcg);
	for (round = 0; round < MVGPU_ROUNDS; round++) {
		mutex_lock(&vgpu->lock);
		busy = false;
		for (n = 0; n < MVGPU_NUM_CHANNELS && may_run(vgpu); n++)
			busy |= ch_step(vgpu, n);
		busy &= may_run(vgpu);
		mutex_unlock(&vgpu->lock);
		if (!busy)
			goto out;
		cond_resched();
	}
	mutex_lock(&vgpu->lock);
	mvgpu_kick(vgpu);
	mutex_unlock(&vgpu->lock);
out:
	set_active_memcg(old_memcg);
	ns = ktime_to_ns(ktime_sub(ktime_get(), start));
	atomic64_add(ns, &vgpu->busy_ns);
	atomic64_add(ns, &vgpu->parent->busy_ns);
}

/**
 * mvgpu_processor_start() - let the processor run (the device was opened).
 * @vgpu: the vGPU; caller holds vgpu->lock.
 */
void mvgpu_processor_start(struct mvgpu_vgpu *vgpu)
{
	vgpu->open = true;
	mvgpu_kick(vgpu);
}

/**
 * mvgpu_processor_stop() - stop the processor at a step boundary and wait
 * (the device is closing).
 * @vgpu: the vGPU; caller must NOT hold vgpu->lock.
 */
void mvgpu_processor_stop(struct mvgpu_vgpu *vgpu)
{
	mutex_lock(&vgpu->lock);
	vgpu->open = false;
	mutex_unlock(&vgpu->lock);
	hrtimer_cancel(&vgpu->frl_timer);
	cancel_work_sync(&vgpu->work);
}

/**
 * mvgpu_processor_quiesce() - stop or restart the processor for migration.
 * @vgpu: the vGPU; caller must NOT hold vgpu->lock.
 * @quiet: stop (true) or run again (false).
 *
 * Stopping waits for the step in flight: afterwards no DMA is started and
 * channel state is still (GET, and cmd_done into a long command), so it can
 * be saved and a later start resumes exactly there.  Doorbells written
 * meanwhile are latched in PUT.
 */
void mvgpu_processor_quiesce(struct mvgpu_vgpu *vgpu, bool quiet)
{
	mutex_lock(&vgpu->lock);
	vgpu->quiesced = quiet;
	mvgpu_kick(vgpu);
	mutex_unlock(&vgpu->lock);
	if (quiet) {
		hrtimer_cancel(&vgpu->frl_timer);
		cancel_work_sync(&vgpu->work);
	}
}
