/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fdpath.h: what file a descriptor is open on, as /proc/PID/fd/N's link
 * reads it (strace -y), told at the moment of the call: the descriptors
 * a call is given at its entry, those it creates at its exit. A decoder
 * that read /proc later would show what the descriptor is open on then,
 * or nothing: the call may have closed it, or a later one reused it.
 *
 * The path is d_path's, rebuilt from the dentry and mount chains up to
 * the root of the mount tree the file is in, " (deleted)" added for an
 * unlinked file. Files whose names the kernel makes up (d_dname) are
 * named as the kernel names them for the file systems whose naming is
 * known (pipes, sockets, anonymous inodes, pidfds); for the others, and
 * for a chain too deep to walk, nothing is said and the decoder prints
 * the number alone.
 */
#ifndef UTRACE_FDPATH_H
#define UTRACE_FDPATH_H

#include "capture.h"
#include <bpf/bpf_endian.h>

/* The file systems whose d_dname names are rebuilt (include/uapi/linux/magic.h). */
#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define ANON_INODE_FS_MAGIC 0x09041934
#define PID_FS_MAGIC 0x50494446

#define AT_FDCWD (-100)

/* What -yy tells of sockets and devices (include/linux/socket.h, net.h, in.h, stat.h). */
#define AF_UNIX 1
#define AF_INET 2
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_SEQPACKET 5
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define S_IFMT 00170000
#define S_IFCHR 0020000
#define S_IFBLK 0060000

#define FDP_END PATH_MAX   /* the path is built backwards, ending here */
#define FDP_NAME 256       /* bound of one component, with room to spare */
#define FDP_DEPTH 64       /* components and mount crossings walked at most */
#define FDP_NAMED 128      /* bytes of a made-up name (pipe:[123]) */

/* The state of one walk, and the path it builds in buf[off, FDP_END). */
struct fd_walk {
	__u64 dentry; /* struct dentry *: the next component */
	__u64 mnt;    /* struct mount *: the mount it is in */
	__u32 off;    /* the path's first byte in buf */
	__u32 done;   /* 1 once the walk reached the root */
	__u32 dev;    /* -yy: buf ends with a device's numbers */
	__u32 deleted; /* the file is unlinked: d_path's " (deleted)" */
	__u32 addr[2]; /* -yy: a socket's IPv4 addresses, for bpf_snprintf's %pI4 */
	char named[FDP_NAMED];
	char buf[FDP_END + FDP_NAME];
};

/*
 * fd_walks: the walk in progress on this CPU.
 * key:   0
 * value: struct fd_walk, per CPU (the syscall programs run with
 *        preemption disabled: one walk per CPU at a time)
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fd_walk);
} fd_walks SEC(".maps");

/* fd_paths reports whether a thread's records say what its descriptors are open on. */
static __always_inline bool fd_paths(struct task_flags *f)
{
	return f->opts & OPT_FD_PATHS;
}

/* fd_detail reports whether they say it as strace -yy does. */
static __always_inline int fd_detail(struct task_flags *f)
{
	return (f->opts & OPT_FD_DETAIL) != 0;
}

static __always_inline struct fd_walk *fd_walk_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&fd_walks, &zero);
}

/* fd_file returns the file open on descriptor fd of the current task, or NULL. */
static __always_inline struct file *fd_file(__u64 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = 0;

	if (!fdt || (__s32)fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[(__u32)fd]))
		return 0;
	return f;
}

/* One step of the walk: a component prepended, or a mount crossed. */
static long fd_walk_step(__u32 i, void *unused)
{
	struct fd_walk *w = fd_walk_buf();
	struct dentry *d, *parent;
	struct mount *m, *up;
	const unsigned char *name;
	__u32 len;

	if (!w)
		return 1;
	d = (struct dentry *)w->dentry;
	m = (struct mount *)w->mnt;
	if (d == BPF_CORE_READ(m, mnt.mnt_root)) {
		up = BPF_CORE_READ(m, mnt_parent);
		if (up == m || !up) {
			w->done = 1; /* the root of the mount tree */
			return 1;
		}
		w->dentry = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->mnt = (__u64)up;
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d || !parent) {
		w->done = 1; /* a file system's root that is no mount's: d_path stops here too */
		return 1;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len >= FDP_NAME || len + 1 >= w->off)
		return 1; /* longer than a path can be: not done, so not shown */
	w->off -= len;
	if (bpf_probe_read_kernel(&w->buf[w->off & (FDP_END - 1)], len & (FDP_NAME - 1), name))
		return 1;
	w->off--;
	w->buf[w->off & (FDP_END - 1)] = '/';
	w->dentry = (__u64)parent;
	return 0;
}

/*
 * fd_region appends the REG_FD_PATH region of descriptor fd with the n
 * bytes at src (a map value).
 */
static __always_inline void fd_region(struct scratch *s, __u64 fd, const char *src, __u64 n, __u16 flags)
{
	struct rec_region *r;
	__u64 want = n;

	r = new_region(s, &n);
	if (!r || !n || bpf_probe_read_kernel(r + 1, n, src))
		return;
	r->addr = fd;
	r->len = n;
	r->flags = flags | REG_FD_PATH | REG_STRING | (n < want ? REG_TRUNC : 0) | (s->st.exit ? REG_EXIT : 0);
	r->item = 0xff;
	r->_pad = 0;
	s->st.off += sizeof(*r) + ((n + 7) & ~7ULL);
	s->st.nregion++;
}

/*
 * device_suffix puts at the end of w->buf what strace -yy adds after a
 * device's path: <char 1:3>. It returns nonzero when it did not fit.
 */
static __always_inline int device_suffix(struct fd_walk *w, struct dentry *d)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	__u32 mode = BPF_CORE_READ(inode, i_mode) & S_IFMT;
	__u32 rdev = BPF_CORE_READ(inode, i_rdev);
	__u64 data[3];
	long n;

	w->dev = 0;
	if (mode != S_IFCHR && mode != S_IFBLK)
		return 0;
	w->dev = 1;
	data[0] = (__u64)(mode == S_IFCHR ? "char" : "block");
	data[1] = rdev >> 20; /* MAJOR, MINOR: the kernel's dev_t, not the user's */
	data[2] = rdev & ((1U << 20) - 1);
	n = bpf_snprintf(w->named, sizeof(w->named), "<%s %u:%u>", data, sizeof(data));
	if (n <= 1 || n > FDP_NAMED)
		return 1;
	n--;
	w->off -= n;
	return bpf_probe_read_kernel(&w->buf[w->off & (FDP_END - 1)], n & (FDP_NAMED - 1), w->named) != 0;
}

/*
 * cap_walk appends the REG_FD_PATH region of descriptor fd: the path of
 * dentry in vfsmnt (struct dentry *, struct vfsmount *), d_path's.
 */
__noinline int cap_walk(__u64 fd, __u64 dentry, __u64 vfsmnt, int detail)
{
	struct scratch *s = scratch_buf();
	struct fd_walk *w = fd_walk_buf();
	struct dentry *d = (struct dentry *)dentry;

	if (!s || !w || !d || !vfsmnt)
		return 0;
	w->off = FDP_END;
	w->done = 0;
	w->dev = 0;
	if (detail && device_suffix(w, d))
		return 0;
	/* d_unlinked: unhashed, and not a root. */
	w->deleted = !BPF_CORE_READ(d, d_hash.pprev) && BPF_CORE_READ(d, d_parent) != d;
	w->dentry = dentry;
	w->mnt = vfsmnt - bpf_core_field_offset(struct mount, mnt);
	bpf_loop(FDP_DEPTH, fd_walk_step, 0, 0);
	w = fd_walk_buf();
	if (!w || !w->done)
		return 0;
	if (w->off == FDP_END || w->buf[w->off & (FDP_END - 1)] != '/') {
		/* Nothing but a device's numbers, or nothing: the root. */
		/* The root itself: d_path's "/". */
		if (w->off == 0)
			return 0;
		w->off--;
		w->buf[w->off & (FDP_END - 1)] = '/';
	}
	fd_region(s, fd, &w->buf[w->off & (FDP_END - 1)], (FDP_END - w->off) & (2 * FDP_END - 1),
		  (w->dev ? REG_FD_DEVICE : 0) | (w->deleted ? REG_FD_DELETED : 0));
	return 0;
}

/*
 * sock_detail writes into w->named what strace -yy says of socket file
 * (its sock_diag answer), and returns its length with the NUL; 0 where
 * this does not know it: the other families, IPv6, bound UNIX sockets
 * (whose name strace adds). Inet sockets with no port, which sock_diag
 * does not find, are PROTO:[inode], as strace says them then.
 */
static __always_inline long sock_detail(struct fd_walk *w, struct file *file, __u64 ino)
{
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	__u64 data[5];
	__u16 family, type, proto, port, dport;

	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	type = BPF_CORE_READ(sk, sk_type);
	if (family == AF_UNIX) {
		struct unix_sock *u = (struct unix_sock *)sk;
		struct sock *peer = BPF_CORE_READ(u, peer);
		struct socket *psock;

		if (BPF_CORE_READ(u, addr))
			return 0;
		data[0] = (__u64)(type == SOCK_STREAM ? "STREAM" : type == SOCK_DGRAM ? "DGRAM" :
				  type == SOCK_SEQPACKET ? "SEQPACKET" : 0);
		if (!data[0])
			return 0;
		data[1] = ino;
		data[2] = 0;
		/*
		 * sock_i_ino(peer), as unix_diag tells it: kernels that keep
		 * the inode in the sock (sk_ino) still know it once the peer
		 * is closed; older ones only while it has its socket.
		 */
		if (peer && bpf_core_field_exists(peer->sk_ino)) {
			data[2] = BPF_CORE_READ(peer, sk_ino);
		} else if (peer) {
			psock = BPF_CORE_READ(peer, sk_socket);
			if (psock)
				data[2] = BPF_CORE_READ((struct socket_alloc *)psock, vfs_inode.i_ino);
		}
		if (!data[2])
			return bpf_snprintf(w->named, sizeof(w->named), "UNIX-%s:[%lu]", data, 2 * sizeof(data[0]));
		return bpf_snprintf(w->named, sizeof(w->named), "UNIX-%s:[%lu->%lu]", data, 3 * sizeof(data[0]));
	}
	if (family != AF_INET)
		return 0;
	proto = BPF_CORE_READ(sk, sk_protocol);
	data[0] = (__u64)(proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : 0);
	port = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (!data[0])
		return 0;
	if (!port) {
		data[1] = ino;
		return bpf_snprintf(w->named, sizeof(w->named), "%s:[%lu]", data, 2 * sizeof(data[0]));
	}
	data[1] = (__u64)w->addr;
	w->addr[0] = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	data[2] = port;
	dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	w->addr[1] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	if (!dport && !w->addr[1])
		return bpf_snprintf(w->named, sizeof(w->named), "%s:[%pI4:%u]", data, 3 * sizeof(data[0]));
	data[3] = (__u64)&w->addr[1];
	data[4] = bpf_ntohs(dport);
	return bpf_snprintf(w->named, sizeof(w->named), "%s:[%pI4:%u->%pI4:%u]", data, sizeof(data));
}

/*
 * cap_fd_path appends a REG_FD_PATH region for descriptor fd of the
 * current task, when it is open and its name can be told; with detail,
 * as strace -yy tells it.
 */
__noinline int cap_fd_path(__u64 fd, int detail)
{
	struct scratch *s = scratch_buf();
	struct fd_walk *w = fd_walk_buf();
	struct file *file = fd_file(fd);
	struct dentry *d;
	__u64 data[1];
	__u32 magic;
	long n;

	if (!s || !w || !file)
		return 0;
	magic = BPF_CORE_READ(file, f_inode, i_sb, s_magic);
	data[0] = BPF_CORE_READ(file, f_inode, i_ino);
	d = BPF_CORE_READ(file, f_path.dentry);
	switch (magic) {
	case PIPEFS_MAGIC:
		n = bpf_snprintf(w->named, sizeof(w->named), "pipe:[%lu]", data, sizeof(data));
		break;
	case SOCKFS_MAGIC:
		n = detail ? sock_detail(w, file, data[0]) : 0;
		if (n <= 1)
			n = bpf_snprintf(w->named, sizeof(w->named), "socket:[%lu]", data, sizeof(data));
		break;
	case PID_FS_MAGIC:
		/* pidfs names pidfds as anon_inodefs did. */
		n = bpf_snprintf(w->named, sizeof(w->named), "anon_inode:[pidfd]", 0, 0);
		break;
	case ANON_INODE_FS_MAGIC:
		data[0] = (__u64)BPF_CORE_READ(d, d_name.name);
		n = bpf_snprintf(w->named, sizeof(w->named), "anon_inode:%s", data, sizeof(data));
		break;
	default:
		if (BPF_CORE_READ(d, d_op, d_dname))
			return 0; /* a made-up name this walk does not know how to make */
		return cap_walk(fd, (__u64)d, (__u64)BPF_CORE_READ(file, f_path.mnt), detail);
	}
	if (n > 1)
		fd_region(s, fd, w->named, (n - 1) & (FDP_NAMED - 1), REG_FD_NAMED);
	return 0;
}

/* cap_cwd appends the REG_FD_PATH region of AT_FDCWD: the working directory. */
static __always_inline void cap_cwd(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);

	if (fs)
		cap_walk((__u64)(__s64)AT_FDCWD, (__u64)BPF_CORE_READ(fs, pwd.dentry), (__u64)BPF_CORE_READ(fs, pwd.mnt), 0);
}

/* cap_fd_args appends the regions of the descriptors in arguments set (bit i: argument i). */
static __always_inline void cap_fd_args(struct scratch *s, __u8 set, int detail)
{
	for (int i = 0; i < 6; i++) {
		if (!(set & (1 << i)))
			continue;
		if ((__s32)s->st.args[i] == AT_FDCWD)
			cap_cwd();
		else
			cap_fd_path(s->st.args[i], detail);
	}
}

/* cap_fd_ret appends the regions of the descriptors a call created (FD_RET_*). */
static __always_inline void cap_fd_ret(struct scratch *s, __u8 how, int detail)
{
	__s32 pair[2];

	if (how == FD_RET_VALUE) {
		cap_fd_path(s->st.ret, detail);
		return;
	}
	if (how < FD_RET_PAIR || how - FD_RET_PAIR >= 6)
		return;
	if (bpf_probe_read_user(pair, sizeof(pair), (void *)s->st.args[(how - FD_RET_PAIR) & 7]))
		return;
	cap_fd_path(pair[0], detail);
	cap_fd_path(pair[1], detail);
}

#endif /* UTRACE_FDPATH_H */
