// SPDX-License-Identifier: GPL-2.0
/*
 * params.c - a vGPU's vgpu_params and the frame-rate limiter.
 *
 * /sys/bus/mdev/devices/<uuid>/mvgpu/vgpu_params holds "key=value" pairs,
 * as NVIDIA's file of that name: written by the host admin (or mdevctl
 * --addattr) while the vGPU is not open, read back canonically.  Pairs are
 * separated by commas or white space; a write sets the keys it names and
 * keeps the others; an empty write restores the defaults.  A write with an
 * unknown key or a bad value changes nothing and says why in the kernel
 * log.  The parameters migrate with the vGPU (the stream's PLAT record):
 * the target applies the source's.
 *
 *   frame_rate_limiter=1|0	(default 1) a frame - the commands up to a
 *				FENCE with MVGPU_CMD_F_FRAME - ends no
 *				sooner than 1/frl_config s after the last
 *				one: the guest renders at most the type's
 *				frl_config frames per second.  The channel
 *				holds at that FENCE (the others go on) and a
 *				timer resumes it; 0 lets frames run freely.
 */
#include <linux/hrtimer.h>
#include <linux/string.h>

#include "mvgpu.h"

/**
 * mvgpu_kick_at() - run the processor again at @when (a held channel).
 * @vgpu: the vGPU; caller holds vgpu->lock, the processor may run.
 * @when: CLOCK_MONOTONIC time.
 *
 * One timer serves every hold (the frame rate limiter, the links): an
 * earlier time wins, a later one waits for the processor's next look.
 */
void mvgpu_kick_at(struct mvgpu_vgpu *vgpu, ktime_t when)
{
	/* queued, not merely active: a callback that is running has
	 * already kicked, maybe before this look at the processor */
	if (hrtimer_is_queued(&vgpu->frl_timer) &&
	    ktime_before(hrtimer_get_expires(&vgpu->frl_timer), when))
		return;
	hrtimer_start(&vgpu->frl_timer, when, HRTIMER_MODE_ABS);
}

static enum hrtimer_restart frl_timer_fn(struct hrtimer *t)
{
	struct mvgpu_vgpu *vgpu = container_of(t, struct mvgpu_vgpu,
					       frl_timer);

	/* armed only while the processor may run; stopping it cancels us */
	queue_work(mvgpu_wq, &vgpu->work);
	return HRTIMER_NORESTART;
}

/**
 * mvgpu_params_init() - a new vGPU's parameters: the defaults.
 * @vgpu: the vGPU.
 */
void mvgpu_params_init(struct mvgpu_vgpu *vgpu)
{
	vgpu->frl_on = true;
	hrtimer_init(&vgpu->frl_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	vgpu->frl_timer.function = frl_timer_fn;
}

/**
 * mvgpu_params_show() - the vgpu_params attribute.
 * @vgpu: the vGPU.
 * @buf: sysfs page.
 *
 * Return: bytes written.
 */
ssize_t mvgpu_params_show(struct mvgpu_vgpu *vgpu, char *buf)
{
	bool frl;

	mutex_lock(&vgpu->lock);
	frl = vgpu->frl_on;
	mutex_unlock(&vgpu->lock);
	return sysfs_emit(buf, "frame_rate_limiter=%d\n", frl);
}

/* One "key=value" pair into @frl; 0 or -EINVAL (logged). */
static int params_pair(struct mvgpu_vgpu *vgpu, char *pair, bool *frl)
{
	char *val = strchr(pair, '=');

	if (!val) {
		dev_warn_ratelimited(vgpu->vdev.dev,
				     "vgpu_params: \"%s\" is not key=value\n",
				     pair);
		return -EINVAL;
	}
	*val++ = '\0';
	if (strcmp(pair, "frame_rate_limiter")) {
		dev_warn_ratelimited(vgpu->vdev.dev,
				     "vgpu_params: unknown key \"%s\" (known: frame_rate_limiter)\n",
				     pair);
		return -EINVAL;
	}
	if (!strcmp(val, "0") || !strcmp(val, "1")) {
		*frl = val[0] == '1';
		return 0;
	}
	dev_warn_ratelimited(vgpu->vdev.dev,
			     "vgpu_params: frame_rate_limiter=%s: want 0 or 1\n",
			     val);
	return -EINVAL;
}

/**
 * mvgpu_params_store() - write the vgpu_params attribute.
 * @vgpu: the vGPU.
 * @buf: what was written.
 * @count: its length.
 *
 * Return: 0, -EBUSY while the vGPU is open, -EINVAL for a bad pair,
 * -ENOMEM.
 */
int mvgpu_params_store(struct mvgpu_vgpu *vgpu, const char *buf,
		       size_t count)
{
	char *copy, *cur, *pair;
	bool frl = true, any = false;
	int ret = 0;

	copy = kmemdup_nul(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;

	mutex_lock(&vgpu->lock);
	if (vgpu->open_count) {
		dev_warn_ratelimited(vgpu->vdev.dev,
				     "vgpu_params: the vGPU is in use; set them while it is not open\n");
		ret = -EBUSY;
		goto out;
	}
	frl = vgpu->frl_on;
	cur = copy;
	while ((pair = strsep(&cur, ", \t\n"))) {
		if (!*pair)
			continue;
		ret = params_pair(vgpu, pair, &frl);
		if (ret)
			goto out;
		any = true;
	}
	vgpu->frl_on = any ? frl : true;
out:
	mutex_unlock(&vgpu->lock);
	kfree(copy);
	return ret;
}

/**
 * mvgpu_frl_hold() - must the frame ending now wait for its slot?
 * @vgpu: the vGPU; caller holds vgpu->lock and the processor may run.
 *
 * Return: true (the timer is armed for the slot) or false (end it now).
 */
bool mvgpu_frl_hold(struct mvgpu_vgpu *vgpu)
{
	u32 fps = vgpu->vtype->desc->frl;
	ktime_t next;

	if (!vgpu->frl_on || !fps)
		return false;
	next = ktime_add_ns(vgpu->frl_last, NSEC_PER_SEC / fps);
	if (ktime_compare(ktime_get(), next) >= 0)
		return false;
	mvgpu_kick_at(vgpu, next);
	return true;
}

/**
 * mvgpu_frl_frame_done() - a frame ended now.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 */
void mvgpu_frl_frame_done(struct mvgpu_vgpu *vgpu)
{
	vgpu->frl_last = ktime_get();
}
