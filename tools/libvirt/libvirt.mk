# tools/libvirt/libvirt.mk - libvirt integration (docs/libvirt.md).
# Included by the top-level Makefile (which defines BUILD and Q).
#
#   make install-libvirt-hook [DESTDIR=...] [SYSCONFDIR=/etc] [BINDIR=/usr/local/bin]
#                        the hook as $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu and
#                        mvgpu-annotate in $(DESTDIR)$(BINDIR); restart libvirtd after
#                        a first install (it looks for hooks when it starts)
#   make check-libvirt-hook   native tests of the hook and mvgpu-annotate
#   make check-libvirt   live migration, save/restore and a refused migration
#                        through libvirt 9.0 / QEMU 7.2 between two lab hosts
#                        (one run2); LAB_STACK=modern: libvirt 11.3 / QEMU 10.0
#   make check-libvirt-modern   the same on the modern stack
#   make check-libvirt-linux    the Linux guest (make guest) through libvirt:
#                        save/restore and live migration of the running guest
#   make check-libvirt-linux-modern   the same on the modern stack

SYSCONFDIR ?= /etc
BINDIR ?= /usr/local/bin

.PHONY: install-libvirt-hook check-libvirt-hook check-libvirt check-libvirt-modern
.PHONY: check-libvirt-linux check-libvirt-linux-modern
install-libvirt-hook:
	$(Q)install -D -m 755 tools/libvirt/qemu-hook $(DESTDIR)$(SYSCONFDIR)/libvirt/hooks/qemu
	$(Q)install -D -m 755 tools/libvirt/mvgpu-annotate $(DESTDIR)$(BINDIR)/mvgpu-annotate

check-libvirt-hook:
	$(Q)tests/libvirt/test-hook.sh

# Both hosts boot, bring libvirt up (tools/lab/libvirt-up) and run their
# half of the scenario (tools/lab/libvirt-e2e-a, -b); ~2.5 min.
# QEMU's migration TLS credentials for the two lab hosts (tls-creds-x509
# layout, /etc/pki/qemu there): one CA, mvgpu-a and mvgpu-b (their names
# and addresses), and x: mvgpu-a's from another CA, which trusts neither
# (the refused case).
LIBVIRT_TLS := $(BUILD)/lab/libvirt-tls
$(LIBVIRT_TLS)/stamp: tools/tls/mvgpu-certs
	$(Q)rm -rf $(LIBVIRT_TLS) && mkdir -p $(LIBVIRT_TLS)
	$(Q)c=tools/tls/mvgpu-certs d=$(LIBVIRT_TLS); \
		$$c ca $$d/ca 'mvgpu lab libvirt CA' >/dev/null && \
		$$c ca $$d/other-ca 'another CA' >/dev/null && \
		$$c host $$d/ca $$d/a mvgpu-a --ip 169.254.77.1 --dns mvgpu-a >/dev/null && \
		$$c host $$d/ca $$d/b mvgpu-b --ip 169.254.77.2 --dns mvgpu-b >/dev/null && \
		$$c host $$d/other-ca $$d/x mvgpu-a --ip 169.254.77.1 --dns mvgpu-a >/dev/null
	$(Q)touch $@

check-libvirt: kernel $(NESTED_GUEST) check-libvirt-hook $(LIBVIRT_TLS)/stamp
	$(Q)tools/lab/lab run2 --timeout 600 $(if $(LAB_STACK),--stack $(LAB_STACK)) \
		--pci-parents 2 --a tools/lab/libvirt-e2e-a --b tools/lab/libvirt-e2e-b

check-libvirt-modern:
	$(Q)$(MAKE) --no-print-directory check-libvirt LAB_STACK=modern

# One run2: A boots the Linux guest, saves/restores it and migrates it live
# to B (tools/lab/libvirt-linux-a, -b).
check-libvirt-linux: kernel guest check-libvirt-hook $(LIBVIRT_TLS)/stamp
	$(Q)tools/lab/lab run2 --timeout 1200 $(if $(LAB_STACK),--stack $(LAB_STACK)) \
		--a tools/lab/libvirt-linux-a --b tools/lab/libvirt-linux-b

check-libvirt-linux-modern:
	$(Q)$(MAKE) --no-print-directory check-libvirt-linux LAB_STACK=modern
