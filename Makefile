# Build and install ferry's tools with their man pages and shell completions (issue 18):
#
#   make && sudo make install                  # into /usr/local
#   make install PREFIX=/usr DESTDIR=/tmp/stage   # staged, e.g. for a package
#   sudo make uninstall
#
# Everything is picked up generically: every src/bin/*.rs is a tool, every man/*.1 and man/*.5 a page,
# every completions/NAME.bash, completions/_NAME and completions/NAME.fish a completion, so a new tool
# needs no change here. `make deb` builds the Debian package (cargo-deb, see [package.metadata.deb]).
# NO_BUILD=1 installs what is already built in BIN_DIR (default target/release) without running cargo.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
CARGO ?= cargo
INSTALL ?= install
BIN_DIR ?= target/release

TOOLS := $(sort $(basename $(notdir $(wildcard src/bin/*.rs))))
MAN1 := $(sort $(wildcard man/*.1))
MAN5 := $(sort $(wildcard man/*.5))
BASH := $(sort $(wildcard completions/*.bash))
ZSH := $(sort $(wildcard completions/_*))
FISH := $(sort $(wildcard completions/*.fish))

.PHONY: all build install uninstall deb

all: build

build:
ifndef NO_BUILD
	$(CARGO) build --release --locked --bins
endif

install: build
	$(INSTALL) -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(MANDIR)/man5' \
		'$(DESTDIR)$(BASHCOMPDIR)' '$(DESTDIR)$(ZSHCOMPDIR)' '$(DESTDIR)$(FISHCOMPDIR)'
	$(foreach t,$(TOOLS),$(INSTALL) -m 755 '$(BIN_DIR)/$(t)' '$(DESTDIR)$(BINDIR)/$(t)' &&) true
	$(foreach f,$(MAN1),$(INSTALL) -m 644 '$(f)' '$(DESTDIR)$(MANDIR)/man1/' &&) true
	$(foreach f,$(MAN5),$(INSTALL) -m 644 '$(f)' '$(DESTDIR)$(MANDIR)/man5/' &&) true
	$(foreach f,$(BASH),$(INSTALL) -m 644 '$(f)' '$(DESTDIR)$(BASHCOMPDIR)/$(basename $(notdir $(f)))' &&) true
	$(foreach f,$(ZSH),$(INSTALL) -m 644 '$(f)' '$(DESTDIR)$(ZSHCOMPDIR)/' &&) true
	$(foreach f,$(FISH),$(INSTALL) -m 644 '$(f)' '$(DESTDIR)$(FISHCOMPDIR)/' &&) true

uninstall:
	rm -f $(foreach t,$(TOOLS),'$(DESTDIR)$(BINDIR)/$(t)') \
		$(foreach f,$(MAN1),'$(DESTDIR)$(MANDIR)/man1/$(notdir $(f))') \
		$(foreach f,$(MAN5),'$(DESTDIR)$(MANDIR)/man5/$(notdir $(f))') \
		$(foreach f,$(BASH),'$(DESTDIR)$(BASHCOMPDIR)/$(basename $(notdir $(f)))') \
		$(foreach f,$(ZSH),'$(DESTDIR)$(ZSHCOMPDIR)/$(notdir $(f))') \
		$(foreach f,$(FISH),'$(DESTDIR)$(FISHCOMPDIR)/$(notdir $(f))')

deb:
	$(CARGO) deb --locked
