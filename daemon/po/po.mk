# daemon/po/po.mk: message catalogues of mediagatectl and of mediagated's
# desktop notice (daemon/src/notify.c) (gettext domain
# "mediagate"). Included by the Makefile.
#
#   make userspace   also compiles $(O)/locale/LANG/LC_MESSAGES/mediagate.mo
#                    (point TEXTDOMAINDIR at $(O)/locale to use them uninstalled)
#   make pot         regenerate daemon/po/mediagate.pot from the CLI sources
#   make install     also installs the catalogues under $(PREFIX)/share/locale

PO_LANGS := ja
MO_FILES := $(PO_LANGS:%=$(O)/locale/%/LC_MESSAGES/mediagate.mo)

$(O)/locale/%/LC_MESSAGES/mediagate.mo: daemon/po/%.po
	@mkdir -p $(@D)
	msgfmt -c -o $@ $<

userspace: $(MO_FILES)

.PHONY: pot install-po
pot:
	xgettext --from-code=UTF-8 -k_ -kN_ --add-comments=TRANSLATORS --package-name=mediagate \
		--msgid-bugs-address= -o daemon/po/mediagate.pot daemon/cli/*.c daemon/src/notify.c

install: install-po
install-po: $(MO_FILES)
	for l in $(PO_LANGS); do \
		install -D -m 0644 $(O)/locale/$$l/LC_MESSAGES/mediagate.mo \
			$(DESTDIR)$(PREFIX)/share/locale/$$l/LC_MESSAGES/mediagate.mo; \
	done
