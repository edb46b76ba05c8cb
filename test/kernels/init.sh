#!/bin/sh
# /init of the kernel matrix's initramfs (busybox sh, PID 1): mounts what
# the tests need, brings the network up, runs /utrace/run.sh with its
# output on the serial console, and powers the VM off. tracefs is
# deliberately not mounted: utrace-bpf must mount it itself when it needs
# the per-syscall tracepoints.
#
# The kernel's command line sets UTRACE_GDB_LISTEN (see test/kernels/vm.go):
# the address eth0 gets, on qemu's user-mode network, and where the smoke
# test's gdbremote step listens for gdb on the host.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TMPDIR=/tmp CI=true
# Another architecture's busybox comes without its applets' links (the
# host cannot ask it for them): it makes them.
[ -e /bin/mount ] || /bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
# Kernel messages at warning level and above still reach the console,
# interleaved with the tests' output: a WARN or an oops is worth seeing.
echo 4 >/proc/sys/kernel/printk
hostname utrace-vm
ip link set lo up 2>/dev/null

# The network device's modules, when the kernel has it as modules, in the
# order test/kernels listed them.
for m in $(cat /lib/modules/load 2>/dev/null); do
	insmod "/lib/modules/$m" || echo "init: insmod $m failed"
done
if [ -n "${UTRACE_GDB_LISTEN-}" ]; then
	if ip link set eth0 up && ip addr add "${UTRACE_GDB_LISTEN%:*}/24" dev eth0; then
		export UTRACE_GDB_LISTEN
	else
		echo "init: no network (eth0): the gdbremote step cannot reach gdb"
		unset UTRACE_GDB_LISTEN
	fi
fi

sh /utrace/run.sh

sync
poweroff -f
# If ACPI power-off did not work, reboot: qemu runs with -no-reboot.
sleep 5
reboot -f
