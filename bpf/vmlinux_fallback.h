/* vmlinux_fallback.h: the kernel types bpf/diagnose.bpf.c uses, for building
 * on a machine without /sys/kernel/btf/vmlinux (bpf/bpf.mk copies it to
 * build/bpf/vmlinux.h there; otherwise vmlinux.h is generated from the
 * running kernel's BTF).
 *
 * Trimmed by hand from `bpftool btf dump file /sys/kernel/btf/vmlinux format c`
 * of Linux 6.18 (x86_64): only the fields the programs read.  Every struct is
 * preserve_access_index, so field offsets here do not matter: libbpf relocates
 * each access against the BTF of the kernel the object is loaded on (CO-RE).
 * Adding a field read in diagnose.bpf.c means adding it here too; the build
 * with this header is checked by `make -f bpf/bpf.mk VMLINUX_BTF=/nonexistent`.
 */
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

typedef signed char __s8;
typedef unsigned char __u8;
typedef short int __s16;
typedef short unsigned int __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long int __s64;
typedef long long unsigned int __u64;
typedef __s8 s8;
typedef __u8 u8;
typedef __s16 s16;
typedef __u16 u16;
typedef __s32 s32;
typedef __u32 u32;
typedef __s64 s64;
typedef __u64 u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef int __kernel_pid_t;
typedef __kernel_pid_t pid_t;
typedef _Bool bool;

enum {
	false = 0,
	true = 1,
};

enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
	BPF_RB_RING_SIZE = 1,
	BPF_RB_CONS_POS = 2,
	BPF_RB_PROD_POS = 3,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
	BPF_F_LOCK = 4,
};

struct thread_info {
	long unsigned int flags;
	u32 cpu;
};

/* CFS bandwidth: the task group's throttled time (diagnose's throttle). */
struct cfs_bandwidth {
	__u64 throttled_time;
};

struct task_group {
	struct cfs_bandwidth cfs_bandwidth;
};

struct cfs_rq {
	struct task_group *tg;
};

struct sched_entity {
	struct cfs_rq *cfs_rq;
};

struct hrtimer {
	__s64 _softexpires;
};

struct task_struct {
	struct thread_info thread_info;
	struct sched_entity se;
	unsigned int __state;
	unsigned int flags;
	int on_rq;
	pid_t pid;
	pid_t tgid;
	char comm[16];
};

struct irqaction {
	const char *name;
};

struct net_device {
	char name[16];
};

struct napi_struct {
	struct net_device *dev;
};

struct work_struct;
typedef void (*work_func_t)(struct work_struct *);

struct work_struct {
	work_func_t func;
};

struct request {
	unsigned int cmd_flags;
};

struct pt_regs {
	long unsigned int r15;
	long unsigned int r14;
	long unsigned int r13;
	long unsigned int r12;
	long unsigned int bp;
	long unsigned int bx;
	long unsigned int r11;
	long unsigned int r10;
	long unsigned int r9;
	long unsigned int r8;
	long unsigned int ax;
	long unsigned int cx;
	long unsigned int dx;
	long unsigned int si;
	long unsigned int di;
	long unsigned int orig_ax;
	long unsigned int ip;
	long unsigned int cs;
	long unsigned int flags;
	long unsigned int sp;
	long unsigned int ss;
};

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
