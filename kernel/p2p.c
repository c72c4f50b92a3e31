// SPDX-License-Identifier: GPL-2.0
/*
 * p2p.c - peers: the other vGPUs of one VM on linked parents, and the
 * PEER_COPY command between framebuffers.
 *
 * One VM is one VFIO user.  A legacy VFIO container, which groups a VM's
 * devices, is private to the VFIO core (and Debian's kernel is built
 * without iommufd); what a driver can see is who opened the device.  Two
 * vGPUs are in the same VM when the same process (mm) opened both - QEMU
 * puts all groups of a VM in one container - and, where the kernel tells
 * (an iommufd context, KVM), the same context and the same KVM.  A process can only reach vGPUs it
 * opened itself: a copy never crosses from one VM to another.
 *
 * The guest takes its peer table with MVGPU_REG_PEER_SCAN: every open vGPU
 * in its VM on a parent linked to its own, sorted by UUID.  An entry is
 * the peer's UUID, link count and framebuffer size; PEER_COPY checks its
 * ranges against them, and each step finds the peer again by UUID (it may
 * have been closed meanwhile: MVGPU_ERR_PEER).
 *
 * Bandwidth: each vGPU has a link clock.  A step of a copy over N links
 * costs step / (N x link_mib_s MiB/s) of it; a step that would start
 * before the clock holds the channel (the others go on) and the
 * processor's timer wakes it.  So NV2 moves twice what NV1 does, and the
 * model, not the host's memcpy, sets the speed as long as it is slower.
 *
 * Locking: mvgpu_p2p_lock (rwsem) guards the list of open vGPUs; a copy
 * step holds it for reading, so a peer cannot finish closing (and its
 * framebuffer pages, which live as long as the vGPU, stay put) while a
 * step writes it.  Order: vgpu->lock, then mvgpu_p2p_lock, then
 * mvgpu_parents_lock.  Writers hold no vGPU lock.
 */
#include <linux/highmem.h>
#include <linux/mdev.h>
#include <linux/mm.h>
#include <linux/rwsem.h>
#include <linux/sched/mm.h>
#include <linux/sort.h>
#include <linux/unaligned.h>
#include <linux/vfio.h>

#include "mvgpu.h"
#include "mvgpu_stream.h"

unsigned int mvgpu_link_mib_s = 25600;	/* NVLink 2.0: 25 GB/s a link */

static DECLARE_RWSEM(mvgpu_p2p_lock);
static LIST_HEAD(mvgpu_open_vgpus);

/**
 * mvgpu_p2p_open() - the vGPU is open: note its VM, list it.
 * @vgpu: the vGPU, being opened by current.
 */
void mvgpu_p2p_open(struct mvgpu_vgpu *vgpu)
{
	vgpu->owner_mm = current->mm;
	mmgrab(vgpu->owner_mm);		/* compared only, never used */
	vgpu->owner_kvm = vgpu->vdev.kvm;
#if IS_ENABLED(CONFIG_IOMMUFD)
	vgpu->owner_ictx = vfio_iommufd_device_ictx(&vgpu->vdev);
#endif
	down_write(&mvgpu_p2p_lock);
	list_add_tail(&vgpu->open_node, &mvgpu_open_vgpus);
	up_write(&mvgpu_p2p_lock);
}

/**
 * mvgpu_p2p_close() - the vGPU is closing: no peer reaches it any more.
 * @vgpu: the vGPU; the caller holds no vGPU lock.
 *
 * Waits for copy steps into it to end.
 */
void mvgpu_p2p_close(struct mvgpu_vgpu *vgpu)
{
	down_write(&mvgpu_p2p_lock);
	list_del_init(&vgpu->open_node);
	up_write(&mvgpu_p2p_lock);
	mmdrop(vgpu->owner_mm);
	vgpu->owner_mm = NULL;
}

static bool same_vm(const struct mvgpu_vgpu *a, const struct mvgpu_vgpu *b)
{
	if (a->owner_mm != b->owner_mm)
		return false;
	if (a->owner_kvm && b->owner_kvm && a->owner_kvm != b->owner_kvm)
		return false;
	return a->owner_ictx == b->owner_ictx;
}

/* The open vGPU of @vgpu's VM with @uuid, or NULL.  mvgpu_p2p_lock held. */
static struct mvgpu_vgpu *find_peer(struct mvgpu_vgpu *vgpu,
				    const guid_t *uuid)
{
	struct mvgpu_vgpu *p;

	lockdep_assert_held(&mvgpu_p2p_lock);
	list_for_each_entry(p, &mvgpu_open_vgpus, open_node)
		if (p != vgpu && guid_equal(&p->mdev->uuid, uuid) &&
		    same_vm(vgpu, p))
			return p;
	return NULL;
}

static int peer_cmp(const void *a, const void *b)
{
	const struct mvgpu_peer *x = a, *y = b;

	return memcmp(&x->uuid, &y->uuid, sizeof(x->uuid));
}

/* MVGPU_REG_PEER_SCAN: take the peer table.  Caller holds vgpu->lock. */
static void mvgpu_p2p_scan(struct mvgpu_vgpu *vgpu)
{
	struct mvgpu_vgpu *p;
	unsigned int n = 0;

	down_read(&mvgpu_p2p_lock);
	list_for_each_entry(p, &mvgpu_open_vgpus, open_node) {
		unsigned int links;

		if (p == vgpu || !same_vm(vgpu, p))
			continue;
		links = mvgpu_links_between(vgpu->parent, p->parent);
		if (!links)
			continue;
		if (n == MVGPU_MAX_PEERS) {
			dev_warn_ratelimited(vgpu->vdev.dev,
					     "more than %u peers: the rest are left out\n",
					     MVGPU_MAX_PEERS);
			break;
		}
		guid_copy(&vgpu->peers[n].uuid, &p->mdev->uuid);
		vgpu->peers[n].links = links;
		vgpu->peers[n].fb_size = p->fb_size;
		n++;
	}
	up_read(&mvgpu_p2p_lock);
	sort(vgpu->peers, n, sizeof(vgpu->peers[0]), peer_cmp, NULL);
	vgpu->nr_peers = n;
}

/**
 * mvgpu_p2p_reset() - forget the peer table (a reset of the vGPU).
 * @vgpu: the vGPU; caller holds vgpu->lock.
 */
void mvgpu_p2p_reset(struct mvgpu_vgpu *vgpu)
{
	memset(vgpu->peers, 0, sizeof(vgpu->peers));
	vgpu->nr_peers = 0;
	vgpu->peer_sel = 0;
	vgpu->p2p_clock = 0;
}

static u32 uuid_word(const guid_t *u, unsigned int i)
{
	return get_unaligned_le32(&u->b[4 * i]);
}

/**
 * mvgpu_p2p_read() - the UUID and peer registers.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @off: MVGPU_REG_UUID0 .. MVGPU_REG_PEER_FB_HI.
 *
 * Return: the register's value.
 */
u32 mvgpu_p2p_read(struct mvgpu_vgpu *vgpu, u32 off)
{
	const struct mvgpu_peer *e = vgpu->peer_sel < vgpu->nr_peers ?
				     &vgpu->peers[vgpu->peer_sel] : NULL;

	switch (off) {
	case MVGPU_REG_UUID0 ... MVGPU_REG_UUID3:
		return uuid_word(&vgpu->mdev->uuid, (off - MVGPU_REG_UUID0) / 4);
	case MVGPU_REG_PEER_COUNT:
		return vgpu->nr_peers;
	case MVGPU_REG_PEER_SEL:
		return vgpu->peer_sel;
	case MVGPU_REG_PEER_UUID0 ... MVGPU_REG_PEER_UUID3:
		return e ? uuid_word(&e->uuid, (off - MVGPU_REG_PEER_UUID0) / 4) : 0;
	case MVGPU_REG_PEER_LINKS:
		return e ? e->links : 0;
	case MVGPU_REG_PEER_FB_LO:
		return e ? lower_32_bits(e->fb_size) : 0;
	case MVGPU_REG_PEER_FB_HI:
		return e ? upper_32_bits(e->fb_size) : 0;
	}
	return 0;
}

/**
 * mvgpu_p2p_write() - PEER_SCAN and PEER_SEL.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @off: the register.
 * @val: the value.
 */
void mvgpu_p2p_write(struct mvgpu_vgpu *vgpu, u32 off, u32 val)
{
	if (off == MVGPU_REG_PEER_SCAN)
		mvgpu_p2p_scan(vgpu);
	else if (off == MVGPU_REG_PEER_SEL)
		vgpu->peer_sel = val;
}

/**
 * mvgpu_p2p_check() - validate a PEER_COPY before it runs.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @flags: the command's flags.
 * @here: offset in this framebuffer.
 * @there: offset in the peer's.
 * @len: bytes.
 *
 * Return: 0 or MVGPU_ERR_*.
 */
u32 mvgpu_p2p_check(struct mvgpu_vgpu *vgpu, u32 flags, u64 here, u64 there,
		    u64 len)
{
	const struct mvgpu_peer *e;

	if (flags & ~MVGPU_CMD_PEER_F_ALL)
		return MVGPU_ERR_OPCODE;
	if ((flags & MVGPU_CMD_PEER_MASK) >= vgpu->nr_peers)
		return MVGPU_ERR_PEER;
	e = &vgpu->peers[flags & MVGPU_CMD_PEER_MASK];
	if (!IS_ALIGNED(here | there | len, 4))
		return MVGPU_ERR_ALIGN;
	if (here > vgpu->fb_size || len > vgpu->fb_size - here ||
	    there > e->fb_size || len > e->fb_size - there)
		return MVGPU_ERR_FB_RANGE;
	return 0;
}

/**
 * mvgpu_p2p_hold() - must the next step of a PEER_COPY wait for its links?
 * @vgpu: the vGPU; caller holds vgpu->lock.
 *
 * Return: true (the processor's timer is set for when it may run).
 */
bool mvgpu_p2p_hold(struct mvgpu_vgpu *vgpu)
{
	if (ktime_compare(ktime_get(), vgpu->p2p_clock) >= 0)
		return false;
	mvgpu_kick_at(vgpu, vgpu->p2p_clock);
	return true;
}

/**
 * mvgpu_p2p_step() - one step of a PEER_COPY.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @flags: the command's flags (checked).
 * @here: offset in this framebuffer of the step.
 * @there: offset in the peer's.
 * @len: bytes, at most a step.
 *
 * The peer is found again by its entry's UUID at every step, and the range
 * is checked against that vGPU's own size: a guest that takes a new table
 * while a copy runs (the entry may now be another, smaller vGPU) or a
 * command resumed after a migration never reaches past a framebuffer.
 *
 * Return: 0, MVGPU_ERR_PEER (no such entry, or the peer is closed or
 * gone), MVGPU_ERR_FB_RANGE (the range is past that peer's end) or
 * MVGPU_ERR_NOMEM.
 */
u32 mvgpu_p2p_step(struct mvgpu_vgpu *vgpu, u32 flags, u64 here, u64 there,
		   u64 len)
{
	unsigned int idx = flags & MVGPU_CMD_PEER_MASK;
	bool read = flags & MVGPU_CMD_F_PEER_READ;
	const struct mvgpu_peer *e;
	struct mvgpu_vgpu *peer;
	ktime_t now;
	u64 ns;
	int ret;

	if (idx >= vgpu->nr_peers)
		return MVGPU_ERR_PEER;
	e = &vgpu->peers[idx];
	down_read(&mvgpu_p2p_lock);
	peer = find_peer(vgpu, &e->uuid);
	if (!peer)
		ret = -ENXIO;
	else if (there > peer->fb_size || len > peer->fb_size - there)
		ret = -ERANGE;
	else
		ret = mvgpu_fb_copy_between(read ? peer : vgpu,
					    read ? there : here,
					    read ? vgpu : peer,
					    read ? here : there, len);
	up_read(&mvgpu_p2p_lock);
	if (ret == -ERANGE)
		return MVGPU_ERR_FB_RANGE;
	if (ret)
		return ret == -ENOMEM ? MVGPU_ERR_NOMEM : MVGPU_ERR_PEER;
	/* the links were busy for len / (links x link_mib_s) */
	ns = div64_u64(len * NSEC_PER_SEC,
		       (u64)e->links * max(READ_ONCE(mvgpu_link_mib_s), 1u) << 20);
	now = ktime_get();
	if (ktime_before(vgpu->p2p_clock, now))
		vgpu->p2p_clock = now;
	vgpu->p2p_clock = ktime_add_ns(vgpu->p2p_clock, ns);
	return 0;
}

/**
 * mvgpu_p2p_get_table() - the peer table as the stream carries it.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @t: filled in (zeroed first).
 */
void mvgpu_p2p_get_table(struct mvgpu_vgpu *vgpu, struct mvgpu_state_peers *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	t->count = vgpu->nr_peers;
	for (i = 0; i < vgpu->nr_peers; i++) {
		memcpy(t->e[i].uuid, vgpu->peers[i].uuid.b, sizeof(t->e[i].uuid));
		t->e[i].fb_size = vgpu->peers[i].fb_size;
		t->e[i].links = vgpu->peers[i].links;
	}
}

/**
 * mvgpu_p2p_set_table() - take a migrated guest's peer table.
 * @vgpu: the vGPU; caller holds vgpu->lock.
 * @t: the table, validated by the decoder (mvgpu_p2p_offer() said yes).
 */
void mvgpu_p2p_set_table(struct mvgpu_vgpu *vgpu,
			 const struct mvgpu_state_peers *t)
{
	unsigned int i;

	mvgpu_p2p_reset(vgpu);
	for (i = 0; i < t->count && i < MVGPU_MAX_PEERS; i++) {
		memcpy(vgpu->peers[i].uuid.b, t->e[i].uuid,
		       sizeof(vgpu->peers[i].uuid.b));
		vgpu->peers[i].fb_size = t->e[i].fb_size;
		vgpu->peers[i].links = t->e[i].links;
	}
	vgpu->nr_peers = i;
}

/**
 * mvgpu_p2p_offer() - does this host give a migrating guest its peers?
 * @vgpu: the target vGPU, open in the VM that loads it.
 * @t: the peer table the guest took on the source.
 *
 * Each peer must be open in the same VM here, as large, on a parent joined
 * to this vGPU's by as many links.  The first that is not is logged, with
 * the link that is missing.
 *
 * Return: 0 or -EXDEV.
 */
int mvgpu_p2p_offer(struct mvgpu_vgpu *vgpu, const struct mvgpu_state_peers *t)
{
	unsigned int i, links = 0;
	struct mvgpu_vgpu *p;
	const char *where = NULL;
	u64 fb = 0;
	guid_t g;

	for (i = 0; i < t->count && i < MVGPU_MAX_PEERS; i++) {
		memcpy(g.b, t->e[i].uuid, sizeof(g.b));
		down_read(&mvgpu_p2p_lock);
		p = find_peer(vgpu, &g);
		if (p) {
			links = mvgpu_links_between(vgpu->parent, p->parent);
			fb = p->fb_size;
			where = dev_name(p->parent->dev);
		}
		if (!p)
			dev_warn_ratelimited(vgpu->vdev.dev,
					     "migration: peer %pUl (NV%u on the source) is not open in this VM here\n",
					     &g, t->e[i].links);
		else if (links != t->e[i].links)
			dev_warn_ratelimited(vgpu->vdev.dev,
					     "migration: peer %pUl: NV%u on the source, %u links here between %s and %s\n",
					     &g, t->e[i].links, links,
					     dev_name(vgpu->parent->dev), where);
		else if (fb != t->e[i].fb_size)
			dev_warn_ratelimited(vgpu->vdev.dev,
					     "migration: peer %pUl has %llu bytes of framebuffer here, %llu on the source\n",
					     &g, fb, t->e[i].fb_size);
		up_read(&mvgpu_p2p_lock);
		if (!p || links != t->e[i].links || fb != t->e[i].fb_size)
			return -EXDEV;
	}
	return 0;
}
