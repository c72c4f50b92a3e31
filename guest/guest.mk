# guest/guest.mk - the nested Linux guest (docs/guest-driver.md).
#
#   make guest         the mvgpu_drm guest module (for KVER), the static
#                      workload and build/guest/initramfs.gz, which
#                      tests/lab/test_linux_guest.c boots with KVER's kernel
#   make guest W=1 C=1 the module with extra warnings / sparse

GUEST_MODULE := guest/drm/mvgpu_drm.ko
GUEST_TEST   := $(BUILD)/guest/mvgpu-gpu-test
GUEST_INITRD := $(BUILD)/guest/initramfs.gz
# Debian splits the headers: the uapi ones are in the -common package.
GUEST_KUAPI  := /usr/src/linux-headers-$(patsubst %-amd64,%-common,$(KVER))/include/uapi

.PHONY: guest guest-module
guest: $(GUEST_INITRD)

guest-module:
	$(Q)test -n "$(KVER)" || { echo "no 6.12 kernel headers: run 'make deps'"; exit 1; }
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR)/guest/drm modules $(if $(W),W=$(W)) $(if $(C),C=$(C))

$(GUEST_MODULE): guest-module

# The kernel's uapi DRM headers (drm/drm.h, drm/drm_mode.h) come from the
# headers package; -D__user= does what headers_install would.
$(GUEST_TEST): guest/test/mvgpu-gpu-test.c guest/include/uapi/mvgpu_drm.h
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(USER_CFLAGS) -static -D__user= -Iguest/include/uapi \
		-idirafter $(GUEST_KUAPI) -o $@ $<

$(GUEST_INITRD): guest/mkinitramfs.sh guest/init $(GUEST_TEST) guest-module
	$(Q)guest/mkinitramfs.sh $@ $(KVER) $(GUEST_MODULE) $(GUEST_TEST)
