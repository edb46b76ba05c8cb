#!/bin/sh
# run.sh runs the kernel matrix's checks on the running kernel: in a VM
# (started by /init) or on the host. It prints lines starting with "@@@ "
# that the harness (test/kernels) reads:
#
#	@@@ KERNEL release
#	@@@ TRACEFS mount points, or "none"
#	@@@ BEGIN name
#	@@@ RESULT name PASS|FAIL seconds rc=N
#	@@@ DONE
#
# Environment: UTRACE_ROOT (default /utrace) holds bin/, progs/, src/ (the
# repository's files: each test binary runs in src/PKG) and env.sh,
# where the harness sets UTRACE_PROGS_DIR (the prebuilt test programs),
# UTRACE_PACKAGES, UTRACE_TEST_TIMEOUT and UTRACE_RUN_<pkg> (a -test.run
# pattern). UTRACE_GDB_LISTEN is for smoke.sh.
U=${UTRACE_ROOT:-/utrace}
# shellcheck source=/dev/null
[ -f "$U/env.sh" ] && . "$U/env.sh"
export CI=true
# UTRACE_PACKAGES may be empty: another architecture runs only the smoke test.
packages=${UTRACE_PACKAGES-core loader stopper}

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
tracefs() {
	m=$(awk '$3 == "tracefs" { printf "%s ", $2 }' /proc/mounts)
	echo "${m:-none}"
}
# result NAME START RC prints the RESULT line of a step.
result() {
	if [ "$3" -eq 0 ]; then s=PASS; else s=FAIL; fi
	echo "@@@ RESULT $1 $s $(since "$2") rc=$3"
}

echo "@@@ KERNEL $(uname -r)"
echo "@@@ TRACEFS $(tracefs)"

# Informational: which BPF programs of the committed objects load on their
# own, with the verifier's log for those that do not.
echo "@@@ BEGIN bpf"
t=$(now)
"$U/bin/bpfcheck" "$U"/src/loader/*_bpfel.o </dev/null 2>&1
result bpf "$t" $?

for pkg in $packages; do
	eval "run=\${UTRACE_RUN_$pkg-}"
	echo "@@@ BEGIN $pkg"
	t=$(now)
	(cd "$U/src/$pkg" && exec "$U/bin/$pkg.test" -test.v -test.count=1 \
		-test.timeout="${UTRACE_TEST_TIMEOUT:-10m}" ${run:+"-test.run=$run"}) </dev/null 2>&1
	result "$pkg" "$t" $?
done

echo "@@@ BEGIN smoke"
t=$(now)
sh "$U/smoke.sh" </dev/null 2>&1
result smoke "$t" $?

echo "@@@ TRACEFS $(tracefs)"
echo "@@@ DONE"
