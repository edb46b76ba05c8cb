#!/bin/sh
# smoke.sh checks the CLI's main paths end to end, as a user runs them.
# Each step prints "@@@ SMOKE PASS name" or "@@@ SMOKE FAIL name: why",
# then the command and its output; the exit status is the number of
# failed steps. Runs under busybox sh in the VM and under sh on the host.
#
# Environment: UTRACE_ROOT (default /utrace) holds bin/utrace-bpf, the
# test programs in progs/ and debug/gdbadd; UTRACE_GDB_LISTEN is where the
# gdbremote step's engine listens for the gdb the matrix runs on the host
# (see test/kernels/gdb.go).
U=${UTRACE_ROOT:-/utrace}
BIN="$U/bin/utrace-bpf"
PROGS="$U/progs"
W=$(mktemp -d "${TMPDIR:-/tmp}/smoke.XXXXXX") || exit 100
limit=120 # seconds for any one command
fails=0

# t NAME runs the shell command $cmd with a time limit, its output (both
# streams) in $out and its exit status in $rc.
t() {
	out="$W/$1.out"
	timeout -s KILL $limit sh -c "$cmd" >"$out" 2>&1 </dev/null
	rc=$?
}
has() { grep -qF -- "$1" "$out"; }
hasre() { grep -qE -- "$1" "$out"; }
# pass NAME reports a passed step with the start of its output (default
# $out), for the log: what the CLI printed on this kernel.
pass() {
	name=$1
	shift
	[ $# -gt 0 ] || set -- "$out"
	echo "@@@ SMOKE PASS $name"
	cat "$@" | head -n 30 | sed 's/^/    | /'
}
# fail NAME WHY [FILE...] reports a failed step with the command and the
# output files (default $out).
fail() {
	name=$1 why=$2
	shift 2
	[ $# -gt 0 ] || set -- "$out"
	echo "@@@ SMOKE FAIL $name: $why"
	echo "    \$ $cmd"
	for f in "$@"; do
		sed 's/^/    | /' "$f"
	done
	fails=$((fails + 1))
}

# 1. The default log (strace -f).
cmd="$BIN run -- /bin/true"
t log
if [ $rc -ne 0 ]; then
	fail log "exit status $rc, want 0"
elif ! has 'execve("/bin/true", '; then
	fail log 'no execve("/bin/true", ...) line'
elif ! has '+++ exited with 0 +++'; then
	fail log 'no "+++ exited with 0 +++"'
else
	pass log
fi

# 2. The in-kernel counter (strace -c).
cmd="$BIN run -e counter -- /bin/true"
t counter
if [ $rc -ne 0 ]; then
	fail counter "exit status $rc, want 0"
elif ! hasre '^% time +seconds +usecs/call +calls +errors +syscall'; then
	fail counter 'no counter table header'
elif ! hasre '^ *[0-9.]+ +[0-9.]+ +[0-9]+ +1 +([0-9]+ +)?execve$'; then
	fail counter 'no row for the one execve'
elif ! hasre ' total$'; then
	fail counter 'no total row'
else
	pass counter
fi

# 3. Fault injection through the seccomp filter of run.
cmd="$BIN run -e inject:syscall=openat,path=/etc/hostname,error=ENOENT -- cat /etc/hostname"
t inject
if [ $rc -eq 0 ]; then
	fail inject "cat succeeded, want it to fail with ENOENT"
elif ! has 'No such file or directory'; then
	fail inject 'cat did not report ENOENT'
elif ! hasre '\(INJECTED\)|[1-9][0-9]* injected'; then
	fail inject 'utrace-bpf did not report the injection'
elif grep -qxF -- "$(cat /etc/hostname)" "$out"; then
	fail inject 'cat printed /etc/hostname'
else
	pass inject
fi

# 3b. strace -yy: descriptors named by the kernel side's path walk (its
# dentry, mount and inode reads are CO-RE: this is where a kernel's layout
# would show), the working directory, a device's numbers.
cmd="cd / && $BIN strace -yy -e trace=%file,%desc cat /dev/null"
t fdpaths
if [ $rc -ne 0 ]; then
	fail fdpaths "exit status $rc, want 0"
elif ! hasre '[0-9]+</dev/null<char 1:3>>'; then
	fail fdpaths 'no descriptor named </dev/null<char 1:3>>'
elif ! has 'AT_FDCWD</>'; then
	fail fdpaths 'no AT_FDCWD</>'
else
	pass fdpaths
fi

# 4. Fault injection after the call through a kernel trigger (per-syscall
# tracepoints, in tracefs, which utrace-bpf must mount itself if needed)
# on an attached process: opener waits for a byte on its standard input,
# then opens /etc/hostname and /etc/passwd and prints each result.
fifo="$W/go"
mkfifo "$fifo"
exec 3<>"$fifo"
"$PROGS/opener" 1 0 /etc/hostname /etc/passwd <&3 >"$W/opener.out" 2>&1 &
op=$!
cmd="$BIN attach -p $op -e inject:syscall=openat,path=/etc/hostname,error=ENOENT,after=true"
$cmd >"$W/attach.out" 2>&1 &
ut=$!
(sleep $limit && kill -KILL $op $ut) >/dev/null 2>&1 &
watchdog=$!
i=0
while ! grep -q "process $op attached" "$W/attach.out" && kill -0 $ut 2>/dev/null && [ $i -lt $((limit * 10)) ]; do
	sleep 0.1
	i=$((i + 1))
done
echo g >&3
wait $op
oprc=$?
kill -INT $ut 2>/dev/null
wait $ut
rc=$?
kill $watchdog 2>/dev/null
exec 3>&-
out="$W/opener.out"
if ! grep -q "process $op attached" "$W/attach.out"; then
	fail attach "utrace-bpf did not say it attached (exit status $rc)" "$W/attach.out" "$W/opener.out"
elif [ $oprc -ne 0 ] || ! has done; then
	fail attach "opener exit status $oprc, want 0 and done" "$W/opener.out" "$W/attach.out"
elif ! has '/etc/hostname -2'; then
	fail attach 'openat of /etc/hostname did not return -ENOENT' "$W/opener.out" "$W/attach.out"
elif ! hasre '^/etc/passwd [0-9]+$'; then
	fail attach 'openat of /etc/passwd failed' "$W/opener.out" "$W/attach.out"
elif [ $rc -ne 0 ]; then
	fail attach "utrace-bpf exit status $rc after SIGINT, want 0" "$W/attach.out"
else
	pass attach "$W/attach.out" "$W/opener.out"
fi

# 5. Signal deliveries: a SIGUSR1 the program raises and handles.
cmd="echo g | $BIN run -e signals -- $PROGS/signals handled"
t signals
if [ $rc -ne 0 ]; then
	fail signals "exit status $rc, want 0"
elif ! has '--- SIGUSR1 {si_signo=SIGUSR1'; then
	fail signals 'no "--- SIGUSR1 {si_signo=SIGUSR1, ...} ---" line'
else
	pass signals
fi

# 6. The process tree: a shell that forks a /bin/true and a subshell that
# exits with 3.
cmd="$BIN run -e proctree -- sh -c '/bin/true; (exit 3); exit 0'"
t proctree
if [ $rc -ne 0 ]; then
	fail proctree "exit status $rc, want 0"
elif ! hasre '^\[pid [0-9]+\] fork [0-9]+$'; then
	fail proctree 'no fork line'
elif ! hasre '^\[pid [0-9]+\] exec "/bin/true" \["/bin/true"\] ppid [0-9]+ uid 0 gid 0'; then
	fail proctree 'no exec "/bin/true" line'
elif ! hasre '^\[pid [0-9]+\] exit code 3 '; then
	fail proctree 'no "exit code 3" line'
elif ! hasre '^ +[0-9]+ /bin/true \[code 0\]$'; then
	fail proctree 'no /bin/true child in the tree'
else
	pass proctree
fi

# 7. gdb through the gdbremote engine: run holds gdbadd (built -g -O0) at
# its exec until gdb connects. Once the engine listens this prints
# "@@@ GDB LISTEN address", and the matrix runs gdb on the host against
# it, which breaks in add, reads registers and continues to the exit, and
# checks gdb's side (test/kernels/gdb.go). Here: the engine served one
# session, and the program ran as it does without gdb.
cmd="$BIN run -e gdbremote:listen=${UTRACE_GDB_LISTEN-} -- $U/debug/gdbadd"
out="$W/gdb.err"
if [ -z "${UTRACE_GDB_LISTEN-}" ]; then
	: >"$out"
	fail gdbremote "UTRACE_GDB_LISTEN is not set: no network for gdb"
else
	$cmd >"$W/gdb.out" 2>"$out" </dev/null &
	ut=$!
	(sleep $limit && kill -KILL $ut) >/dev/null 2>&1 &
	watchdog=$!
	i=0
	while ! has 'listening on' && kill -0 $ut 2>/dev/null && [ $i -lt $((limit * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	addr=$(sed -n 's/.*: listening on \([^;]*\);.*/\1/p' "$out")
	[ -n "$addr" ] && echo "@@@ GDB LISTEN $addr"
	wait $ut
	rc=$?
	kill $watchdog 2>/dev/null
	if [ -z "$addr" ]; then
		fail gdbremote "the engine did not say where it listens (exit status $rc)"
	elif [ $rc -ne 3 ]; then
		fail gdbremote "exit status $rc, want gdbadd's 3" "$out" "$W/gdb.out"
	elif ! grep -qxF 'ok 1 read 1 got 0' "$W/gdb.out"; then
		fail gdbremote 'gdbadd did not print "ok 1 read 1 got 0"' "$W/gdb.out" "$out"
	elif ! hasre '^gdbremote: served .*: 1 gdb session\(s\), [1-9][0-9]* stop\(s\) reported$'; then
		fail gdbremote 'the engine did not serve one gdb session with stops'
	else
		pass gdbremote "$out" "$W/gdb.out"
	fi
fi

rm -rf "$W"
exit $fails
