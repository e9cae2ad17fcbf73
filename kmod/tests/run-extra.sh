#!/bin/bash
# Run the module's own extra VM scenario (kmod/tests/91-kmod-extra.sh: sweep
# at load with in-place readonly/allow, rmmod -f with a read-only host and a
# reader running, RELEASE_ALL, mode=strict) with the tests/vm harness, from a
# scratch copy so the shared suite is left alone.
#   kmod/tests/run-extra.sh [KERNELS]      (default "6.1 6.12"; build with make kmod first)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
wt=$(mktemp -d /tmp/mg-kmod-extra.XXXXXX)
trap 'rm -rf "$wt"' EXIT
mkdir -p "$wt/tests"
cp -r "$top/tests/vm" "$wt/tests/"
ln -s "$top/kmod" "$wt/kmod"
ln -s "$top/include" "$wt/include"
cp "$top/kmod/tests/91-kmod-extra.sh" "$wt/tests/vm/guest/scenarios/"
VM_KERNELS="${1:-6.1 6.12}" SCENARIOS=91 "$wt/tests/vm/run.sh" "$top/build/kmod-extra"
