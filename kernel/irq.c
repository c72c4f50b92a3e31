// SPDX-License-Identifier: GPL-2.0
/*
 * irq.c - interrupts through VFIO_DEVICE_SET_IRQS eventfds.
 *
 *   INTx	level: asserted while INTR_STATUS & INTR_MASK is non-zero.
 *		Automasked: after each assertion the user unmasks it
 *		(ACTION_UNMASK) once it has acked the sources.
 *   MSI	one vector, edge: signalled each time an enabled source fires.
 *		When an MSI eventfd is set, it is used instead of INTx.
 *   ERR	signalled when a channel enters its error state.
 *   REQ	signalled when the vGPU is being removed while open.
 *
 * mvgpu_irq_info() and mvgpu_set_irqs() take what they need; every other
 * function here runs with vgpu->lock held.
 */
#include <linux/eventfd.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>
#include <linux/vfio.h>

#include "mvgpu.h"

static struct eventfd_ctx **irq_slot(struct mvgpu_vgpu *vgpu,
				     unsigned int index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:	return &vgpu->intx_trigger;
	case VFIO_PCI_MSI_IRQ_INDEX:	return &vgpu->msi_trigger;
	case VFIO_PCI_ERR_IRQ_INDEX:	return &vgpu->err_trigger;
	case VFIO_PCI_REQ_IRQ_INDEX:	return &vgpu->req_trigger;
	}
	return NULL;
}

/**
 * mvgpu_irq_info() - fill in VFIO_DEVICE_GET_IRQ_INFO.
 * @vgpu: the vGPU.
 * @info: index in, flags and count out.
 *
 * Return: 0 or -EINVAL for an index past VFIO_PCI_NUM_IRQS.
 */
int mvgpu_irq_info(struct mvgpu_vgpu *vgpu, struct vfio_irq_info *info)
{
	info->flags = VFIO_IRQ_INFO_EVENTFD;
	info->count = 1;
	switch (info->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		info->flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		info->flags |= VFIO_IRQ_INFO_NORESIZE;
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
	case VFIO_PCI_REQ_IRQ_INDEX:
		break;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		info->flags = 0;
		info->count = 0;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static void irq_signal(struct eventfd_ctx *trigger)
{
	if (trigger)
		eventfd_signal(trigger);
}

/**
 * mvgpu_irq_update() - re-evaluate the INTx level after a change.
 * @vgpu: the vGPU.
 *
 * Also keeps the Interrupt Status bit of the PCI status register.
 */
void mvgpu_irq_update(struct mvgpu_vgpu *vgpu)
{
	bool level = vgpu->intr_status & vgpu->intr_mask;
	u16 cmd = vgpu->cfg[PCI_COMMAND] | vgpu->cfg[PCI_COMMAND + 1] << 8;
	bool intx = level && !vgpu->msi_trigger;

	if (intx)
		vgpu->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		vgpu->cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;

	if (intx && !vgpu->intx_masked && !(cmd & PCI_COMMAND_INTX_DISABLE) &&
	    vgpu->intx_trigger) {
		vgpu->intx_masked = true;
		eventfd_signal(vgpu->intx_trigger);
	}
}

/**
 * mvgpu_irq_raise() - interrupt sources fire.
 * @vgpu: the vGPU.
 * @sources: MVGPU_INTR_* bits.
 */
void mvgpu_irq_raise(struct mvgpu_vgpu *vgpu, u32 sources)
{
	vgpu->intr_status |= sources;
	if ((sources & vgpu->intr_mask) && vgpu->msi_trigger)
		eventfd_signal(vgpu->msi_trigger);
	else
		mvgpu_irq_update(vgpu);
}

/**
 * mvgpu_irq_request() - ask the user to release the device (removal).
 * @vgpu: the vGPU.
 */
void mvgpu_irq_request(struct mvgpu_vgpu *vgpu)
{
	irq_signal(vgpu->req_trigger);
}

static void irq_set_trigger(struct eventfd_ctx **slot, struct eventfd_ctx *t)
{
	if (*slot)
		eventfd_ctx_put(*slot);
	*slot = t;
}

/**
 * mvgpu_irq_release() - drop every eventfd (the device is closing).
 * @vgpu: the vGPU.
 */
void mvgpu_irq_release(struct mvgpu_vgpu *vgpu)
{
	irq_set_trigger(&vgpu->intx_trigger, NULL);
	irq_set_trigger(&vgpu->msi_trigger, NULL);
	irq_set_trigger(&vgpu->err_trigger, NULL);
	irq_set_trigger(&vgpu->req_trigger, NULL);
	vgpu->intx_masked = false;
}

static int irq_trigger(struct mvgpu_vgpu *vgpu, struct vfio_irq_set *hdr,
		       const void *data)
{
	struct eventfd_ctx **slot = irq_slot(vgpu, hdr->index);
	struct eventfd_ctx *t;
	s32 fd;

	if (!slot)
		return -EINVAL;
	if (hdr->count == 0) {			/* disable */
		if (!(hdr->flags & VFIO_IRQ_SET_DATA_NONE))
			return -EINVAL;
		irq_set_trigger(slot, NULL);
		goto update;
	}
	if (hdr->flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		fd = *(const s32 *)data;
		if (fd < 0) {
			irq_set_trigger(slot, NULL);
			goto update;
		}
		t = eventfd_ctx_fdget(fd);
		if (IS_ERR(t))
			return PTR_ERR(t);
		irq_set_trigger(slot, t);
		goto update;
	}
	/* DATA_NONE or DATA_BOOL(true): loopback, signal it now */
	if ((hdr->flags & VFIO_IRQ_SET_DATA_BOOL) && !*(const u8 *)data)
		return 0;
	irq_signal(*slot);
	return 0;
update:
	if (hdr->index == VFIO_PCI_INTX_IRQ_INDEX ||
	    hdr->index == VFIO_PCI_MSI_IRQ_INDEX) {
		vgpu->intx_masked = false;
		mvgpu_irq_update(vgpu);
	}
	return 0;
}

static int irq_mask(struct mvgpu_vgpu *vgpu, struct vfio_irq_set *hdr,
		    const void *data, bool mask)
{
	/* INTx is one interrupt: name it, exactly once */
	if (hdr->index != VFIO_PCI_INTX_IRQ_INDEX || hdr->start || hdr->count != 1)
		return -EINVAL;
	if (hdr->flags & VFIO_IRQ_SET_DATA_EVENTFD)
		return -EINVAL;	/* no irqfd-style unmask eventfds */
	if ((hdr->flags & VFIO_IRQ_SET_DATA_BOOL) && !*(const u8 *)data)
		return 0;
	vgpu->intx_masked = mask;
	if (!mask)
		mvgpu_irq_update(vgpu);
	return 0;
}

/**
 * mvgpu_set_irqs() - VFIO_DEVICE_SET_IRQS.
 * @vgpu: the vGPU; takes vgpu->lock (the caller must not hold it).
 * @hdr: the header, copied from the user.
 * @data: the user's data following the header.
 *
 * The header is checked and the data copied in before the lock is taken.
 *
 * Return: 0 or a negative errno (-EINVAL for anything unsupported).
 */
int mvgpu_set_irqs(struct mvgpu_vgpu *vgpu, struct vfio_irq_set *hdr,
		   void __user *data)
{
	struct vfio_irq_info info = { .index = hdr->index };
	size_t data_size = 0;
	void *buf = NULL;
	int ret;

	if (hdr->index >= VFIO_PCI_NUM_IRQS || mvgpu_irq_info(vgpu, &info))
		return -EINVAL;
	ret = vfio_set_irqs_validate_and_prepare(hdr, info.count,
						 VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		buf = memdup_user(data, data_size);
		if (IS_ERR(buf))
			return PTR_ERR(buf);
	}

	mutex_lock(&vgpu->lock);
	switch (hdr->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK) {
	case VFIO_IRQ_SET_ACTION_TRIGGER:
		ret = irq_trigger(vgpu, hdr, buf);
		break;
	case VFIO_IRQ_SET_ACTION_MASK:
		ret = irq_mask(vgpu, hdr, buf, true);
		break;
	case VFIO_IRQ_SET_ACTION_UNMASK:
		ret = irq_mask(vgpu, hdr, buf, false);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&vgpu->lock);
	kfree(buf);
	return ret;
}
