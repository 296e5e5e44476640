# SPDX-License-Identifier: GPL-2.0-or-later
# The one entry point: make (build), make check (all tests), make bench,
# make install [PREFIX=...] [DESTDIR=...], make run (the main job), make fuzz,
# make style. PREFIX is the build directory's, set when make first sets it
# up; make install never reconfigures it.
BUILD      ?= build
PREFIX     ?= /usr/local
MESON_ARGS ?=
FUZZ_SECONDS ?= 20

all: build

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX) $(MESON_ARGS)

# The main job: publish-side hashing of a sample file on this machine,
# shown with the CLI a user runs.
run: build
	tests/demo $(BUILD)

check: build
	tests/run-all $(BUILD)

bench:
	tests/bench/run

fuzz:
	tests/fuzz/run $(FUZZ_SECONDS)

# checkpatch --strict over the kernel module
style:
	tools/style

# the kernel module in Debian's 6.1 and 6.12 kernels under qemu
check-kernel:
	tests/vm/run

install: build
	@prefix=$$(meson introspect --buildoptions $(BUILD) | python3 -c \
		'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))'); \
	if [ "$$prefix" != "$(PREFIX)" ]; then \
		echo "make install: $(BUILD) was set up for prefix $$prefix, not $(PREFIX);" \
		     "use another BUILD, or make clean first" >&2; exit 1; fi
	meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(DESTDIR))

clean:
	rm -rf $(BUILD) build-asan build-fuzz build-bench

.PHONY: all build run check check-kernel style bench fuzz install clean
