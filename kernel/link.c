// SPDX-License-Identifier: GPL-2.0
/*
 * link.c - the emulated links between parents (NVLink in NVIDIA's words).
 *
 * Two parents may be joined by 1..MVGPU_MAX_LINKS links; a link is
 * symmetric.  The links are the host's hardware, so they are set by the
 * administrator: the module parameter links= ("A-B:N,C-D:M", applied as
 * each pair of parents appears) or <parent>/mvgpu/links (write "PEER N";
 * N = 0 removes the link).  Changing a link while either parent has a vGPU
 * is refused (-EBUSY): a running guest's peers do not change under it.
 * Parents are named as in sysfs: the PCI function ("0000:00:04.0") or the
 * virtual parent ("mvgpu0").
 *
 * Peer-to-peer copies (p2p.c) run only between vGPUs of linked parents, at
 * a bandwidth that grows with the link count; `mvgpu topo` shows the
 * matrix.  Everything here is under mvgpu_parents_lock.
 */
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "mvgpu.h"

char *mvgpu_links_param;

static struct mvgpu_parent *parent_by_name(const char *name, size_t len)
{
	struct mvgpu_parent *parent;

	lockdep_assert_held(&mvgpu_parents_lock);
	list_for_each_entry(parent, &mvgpu_parents, node) {
		const char *n = dev_name(parent->dev);

		if (strlen(n) == len && !strncmp(n, name, len))
			return parent;
	}
	return NULL;
}

static int link_slot(struct mvgpu_parent *parent, struct mvgpu_parent *peer)
{
	int i, free = -ENOSPC;

	for (i = 0; i < MVGPU_MAX_LINK_PEERS; i++) {
		if (parent->link_peer[i] == peer)
			return i;
		if (!parent->link_peer[i] && free < 0)
			free = i;
	}
	return free;
}

/* One direction of a link; the caller checked that both have room. */
static void link_set_one(struct mvgpu_parent *parent,
			 struct mvgpu_parent *peer, unsigned int n)
{
	int i = link_slot(parent, peer);

	if (WARN_ON(i < 0))
		return;
	parent->link_peer[i] = n ? peer : NULL;
	parent->link_n[i] = n;
}

/**
 * mvgpu_links_between() - how many links join two parents.
 * @a: a parent.
 * @b: another (or the same: 0).
 *
 * Return: 0..MVGPU_MAX_LINKS.
 */
unsigned int mvgpu_links_between(struct mvgpu_parent *a, struct mvgpu_parent *b)
{
	unsigned int n = 0;
	int i;

	mutex_lock(&mvgpu_parents_lock);
	i = a == b ? -1 : link_slot(a, b);
	if (i >= 0 && a->link_peer[i] == b)
		n = a->link_n[i];
	mutex_unlock(&mvgpu_parents_lock);
	return n;
}

/*
 * Set the link between @a and @b to @n links.  Caller holds
 * mvgpu_parents_lock.  -EBUSY while either has a vGPU, -ENOSPC when one
 * has MVGPU_MAX_LINK_PEERS peers already.
 */
static int link_set(struct mvgpu_parent *a, struct mvgpu_parent *b,
		    unsigned int n)
{
	int ret = 0;

	lockdep_assert_held(&mvgpu_parents_lock);
	mutex_lock(&a->lock);
	mutex_lock_nested(&b->lock, SINGLE_DEPTH_NESTING);
	if (a->nr_vgpus || b->nr_vgpus)
		ret = -EBUSY;
	else if (!n && link_slot(a, b) < 0)
		goto out;		/* no such link: nothing to remove */
	else if (n && (link_slot(a, b) < 0 || link_slot(b, a) < 0))
		ret = -ENOSPC;
	if (!ret) {
		link_set_one(a, b, n);
		link_set_one(b, a, n);
	}
out:
	mutex_unlock(&b->lock);
	mutex_unlock(&a->lock);
	return ret;
}

/* "A-B:N" of the links= parameter, if it names @parent and a known peer. */
static void param_entry(struct mvgpu_parent *parent, const char *s, size_t len)
{
	/* PCI names hold ':' but no '-': the first '-', the last ':' split */
	const char *dash = memchr(s, '-', len), *colon = NULL;
	struct mvgpu_parent *a, *b;
	size_t i, nlen = 0;
	unsigned int n;
	char num[4];
	int ret;

	for (i = 0; i < len; i++)
		if (s[i] == ':')
			colon = s + i;
	if (colon)
		nlen = len - (colon - s) - 1;

	if (!dash || dash == s || !colon || colon < dash + 2 || !nlen ||
	    nlen >= sizeof(num)) {
		pr_warn_ratelimited("mvgpu: links=: cannot parse \"%.*s\" (want A-B:N)\n",
				    (int)len, s);
		return;
	}
	memcpy(num, colon + 1, nlen);
	num[nlen] = '\0';
	if (kstrtouint(num, 10, &n) || !n || n > MVGPU_MAX_LINKS) {
		pr_warn_ratelimited("mvgpu: links=: \"%.*s\": 1..%u links\n",
				    (int)len, s, MVGPU_MAX_LINKS);
		return;
	}
	a = parent_by_name(s, dash - s);
	b = parent_by_name(dash + 1, colon - dash - 1);
	if (!a || !b || a == b || (a != parent && b != parent))
		return;		/* not this parent's, or its peer comes later */
	ret = link_set(a, b, n);
	if (ret)
		dev_warn(parent->dev, "links=: \"%.*s\" not applied: %d\n",
			 (int)len, s, ret);
}

/**
 * mvgpu_links_parent_added() - apply the links= entries of a new parent.
 * @parent: the parent, on mvgpu_parents.
 */
void mvgpu_links_parent_added(struct mvgpu_parent *parent)
{
	const char *s = mvgpu_links_param;

	if (!s || !*s)
		return;
	mutex_lock(&mvgpu_parents_lock);
	while (*s) {
		size_t len = strcspn(s, ",");

		if (len)
			param_entry(parent, s, len);
		s += len;
		if (*s == ',')
			s++;
	}
	mutex_unlock(&mvgpu_parents_lock);
}

/**
 * mvgpu_links_parent_removed() - drop a parent's links (it is going).
 * @parent: the parent, already off mvgpu_parents; it has no vGPU.
 */
void mvgpu_links_parent_removed(struct mvgpu_parent *parent)
{
	int i;

	mutex_lock(&mvgpu_parents_lock);
	for (i = 0; i < MVGPU_MAX_LINK_PEERS; i++) {
		struct mvgpu_parent *peer = parent->link_peer[i];
		int j = peer ? link_slot(peer, parent) : -1;

		if (j >= 0 && peer->link_peer[j] == parent) {
			peer->link_peer[j] = NULL;
			peer->link_n[j] = 0;
		}
		parent->link_peer[i] = NULL;
	}
	mutex_unlock(&mvgpu_parents_lock);
}

/**
 * mvgpu_links_show() - <parent>/mvgpu/links: "PEER N" per linked peer.
 * @parent: the parent.
 * @buf: sysfs page.
 *
 * Return: bytes written.
 */
ssize_t mvgpu_links_show(struct mvgpu_parent *parent, char *buf)
{
	ssize_t len = 0;
	int i;

	mutex_lock(&mvgpu_parents_lock);
	for (i = 0; i < MVGPU_MAX_LINK_PEERS; i++)
		if (parent->link_peer[i])
			len += sysfs_emit_at(buf, len, "%s %u\n",
					     dev_name(parent->link_peer[i]->dev),
					     parent->link_n[i]);
	mutex_unlock(&mvgpu_parents_lock);
	return len;
}

/**
 * mvgpu_links_store() - <parent>/mvgpu/links: "PEER N" sets the link.
 * @parent: the parent.
 * @buf: what was written.
 *
 * Return: 0, -EINVAL (malformed, unknown peer, itself, N beyond
 * MVGPU_MAX_LINKS), -EBUSY (a vGPU exists on either), -ENOSPC.
 */
int mvgpu_links_store(struct mvgpu_parent *parent, const char *buf)
{
	char name[64];
	unsigned int n;
	struct mvgpu_parent *peer;
	int ret;

	if (sscanf(buf, "%63s %u", name, &n) != 2 || n > MVGPU_MAX_LINKS) {
		dev_warn_ratelimited(parent->dev,
				     "links: write \"PEER N\" with N 0..%u\n",
				     MVGPU_MAX_LINKS);
		return -EINVAL;
	}
	mutex_lock(&mvgpu_parents_lock);
	peer = parent_by_name(name, strlen(name));
	if (!peer || peer == parent) {
		dev_warn_ratelimited(parent->dev, "links: %s is not another mvgpu parent\n",
				     name);
		ret = -EINVAL;
	} else {
		ret = link_set(parent, peer, n);
		if (ret == -EBUSY)
			dev_warn_ratelimited(parent->dev,
					     "links: %s or %s has vGPUs: remove them first\n",
					     dev_name(parent->dev), name);
	}
	mutex_unlock(&mvgpu_parents_lock);
	return ret;
}
