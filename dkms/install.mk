# dkms/install.mk: installation and Debian packages. Included by the Makefile.
#
#   make install DESTDIR=D   daemon, CLI, unit, policy (an existing one is kept),
#                            modprobe.d/modules-load.d/udev/initramfs-tools bits,
#                            man pages, bash completion, catalogues (po.mk),
#                            and the DKMS source tree /usr/src/mediagate-VERSION
#   make install-dkms        only the DKMS source tree
#   make deb                 mediagate + mediagate-dkms .debs into build/deb/
#                            (see dkms/debian/README.source)
#
# Paths are Debian 12's; every one can be overridden on the command line.

MG_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms/dkms.conf)

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
MODULESLOADDIR ?= $(PREFIX)/lib/modules-load.d
INITRAMFSDIR ?= $(PREFIX)/share/initramfs-tools
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DKMSDIR ?= $(PREFIX)/src/mediagate-$(MG_VERSION)

INSTALL_PROGRAM := install -D -m 0755
INSTALL_DATA := install -D -m 0644

MAN_PAGES := $(wildcard man/*.[1-8])
# the module's sources as DKMS builds them: kmod/Makefile + Kbuild + probes
DKMS_KMOD_FILES := $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild kmod/Makefile
DKMS_CONFTEST := $(wildcard kmod/conftest/*.c)

.PHONY: install-bin install-data install-dkms deb
install: install-bin install-data install-dkms

install-bin: userspace
	$(INSTALL_PROGRAM) $(O)/mediagated $(DESTDIR)$(SBINDIR)/mediagated
	$(INSTALL_PROGRAM) $(O)/mediagatectl $(DESTDIR)$(SBINDIR)/mediagatectl
	@# the media probe the daemon execs (PROBE_HELPER_PATH in daemon/src/probe.h)
	$(INSTALL_PROGRAM) $(O)/mediagate-probe $(DESTDIR)$(LIBEXECDIR)/mediagate/mediagate-probe

install-data:
	$(INSTALL_DATA) include/uapi/linux/mediagate.h $(DESTDIR)$(INCLUDEDIR)/linux/mediagate.h
	$(INSTALL_DATA) daemon/mediagated.service $(DESTDIR)$(UNITDIR)/mediagated.service
	$(INSTALL_DATA) policy/modprobe.d/mediagate.conf $(DESTDIR)$(SYSCONFDIR)/modprobe.d/mediagate.conf
	$(INSTALL_DATA) policy/modules-load.d/mediagate.conf \
		$(DESTDIR)$(MODULESLOADDIR)/mediagate.conf
	$(INSTALL_DATA) policy/udev/70-mediagate.rules $(DESTDIR)$(UDEVRULESDIR)/70-mediagate.rules
	$(INSTALL_PROGRAM) policy/initramfs-tools/hooks/mediagate \
		$(DESTDIR)$(INITRAMFSDIR)/hooks/mediagate
	$(INSTALL_PROGRAM) policy/initramfs-tools/scripts/init-top/mediagate \
		$(DESTDIR)$(INITRAMFSDIR)/scripts/init-top/mediagate
	$(INSTALL_DATA) daemon/cli/bash-completion/mediagatectl $(DESTDIR)$(BASHCOMPDIR)/mediagatectl
	for m in $(MAN_PAGES); do \
		$(INSTALL_DATA) $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/} || exit; \
	done
	@# an administrator's policy is never overwritten
	if [ -e $(DESTDIR)$(SYSCONFDIR)/mediagate/mediagate.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/mediagate/mediagate.conf"; \
	else \
		$(INSTALL_DATA) policy/mediagate.conf $(DESTDIR)$(SYSCONFDIR)/mediagate/mediagate.conf; \
	fi

# The DKMS tree mirrors the repository (dkms/dkms.conf builds with make -C kmod).
install-dkms:
	$(INSTALL_DATA) dkms/dkms.conf $(DESTDIR)$(DKMSDIR)/dkms.conf
	$(INSTALL_DATA) include/uapi/linux/mediagate.h \
		$(DESTDIR)$(DKMSDIR)/include/uapi/linux/mediagate.h
	for f in $(DKMS_KMOD_FILES) $(DKMS_CONFTEST); do \
		$(INSTALL_DATA) $$f $(DESTDIR)$(DKMSDIR)/$$f || exit; \
	done
	$(INSTALL_PROGRAM) kmod/conftest.sh $(DESTDIR)$(DKMSDIR)/kmod/conftest.sh

# make deb: stage a source tree under build/deb/ with dkms/debian/ as its
# debian/, then dpkg-buildpackage -us -uc -b there (binary packages only).
# The .debs land next to the stage; a test that must not race another
# `make deb` passes its own DEB_STAGE=DIR/mediagate-VERSION (tests/system).
DEB_STAGE := build/deb/mediagate-$(MG_VERSION)
DEB_SOURCES := Makefile README.md daemon include kmod man policy dkms

deb:
	rm -rf $(DEB_STAGE)
	mkdir -p $(DEB_STAGE)
	tar -cf - --exclude=kmod/build --exclude=kmod/.cache --exclude=kmod/tests \
		--exclude=dkms/debian $(DEB_SOURCES) | tar -xf - -C $(DEB_STAGE)
	cp -r dkms/debian $(DEB_STAGE)/debian
	@# a clean environment: our command line (SANITIZE=1, O=, MAKEFLAGS) is
	@# exported to recipes and must not reach the package build
	cd $(DEB_STAGE) && env -i PATH="$$PATH" HOME="$$HOME" LC_ALL=C.UTF-8 \
		DEB_BUILD_OPTIONS="$$DEB_BUILD_OPTIONS" dpkg-buildpackage -us -uc -b
	@ls -l $(dir $(DEB_STAGE))*.deb
