#!/bin/sh
# /init of the kernel matrix's initramfs (busybox sh, PID 1): mounts what
# the tests need, runs /utrace/run.sh with its output on the serial console,
# and powers the VM off. tracefs is deliberately not mounted: utrace-bpf
# must mount it itself when it needs the per-syscall tracepoints.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TMPDIR=/tmp CI=true
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

sh /utrace/run.sh

sync
poweroff -f
# If ACPI power-off did not work, reboot: qemu runs with -no-reboot.
sleep 5
reboot -f
