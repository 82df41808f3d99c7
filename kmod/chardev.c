// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/kcache: the ioctl fast path.  Requests are size-versioned structs
 * read with copy_struct_from_user() (openat2's rule: a smaller struct is
 * zero-filled, a larger one needs a zero tail); results are written back
 * by field range, never past the smaller of the caller's and the kernel's
 * struct.  The node's mode and group come from module parameters
 * (devtmpfs asks devnode()).
 *
 * An fd opened without FMODE_WRITE (O_RDONLY) may read: the ops that
 * change nothing (kc_op_prepare()), VERSION, STATS, CLASS_STATS and CONFIG
 * without a set_mask.  Everything else is EBADF, as write(2) would be:
 * ops that change the cache (in kc_op.result), transactions (a batch with
 * KC_BATCH_TXN) and configuration changes.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/sched/signal.h>
#include <linux/mm.h>
#include <linux/nsproxy.h>
#include "kcache.h"
#include "compat.h"
#include "chardev.h"
#include "instance.h"
#include "config.h"
#include "ops.h"
#include "stats.h"
#include "wait.h"

/* What an open /dev/kcache holds: its instance and its poll() keys. */
struct kc_file {
	struct kc_cache *cache;
	struct kc_waiter waiter;
};

static umode_t kc_dev_mode;
static kgid_t kc_dev_gid;
static dev_t kc_devt;
static struct cdev kc_cdev;
static struct device *kc_device;

/* The first versions the kernel accepts; the structs may only grow. */
static_assert(sizeof(struct kc_op) >= KC_OP_SIZE_VER0);
static_assert(sizeof(struct kc_op) == KC_OP_SIZE_VER1);
static_assert(sizeof(struct kc_batch) >= KC_BATCH_SIZE_VER0);
static_assert(sizeof(struct kc_config) >= KC_CONFIG_SIZE_VER0);
static_assert(sizeof(struct kc_wait) >= KC_WAIT_SIZE_VER0);
static_assert(sizeof(struct kc_class_stats_req) >=
	      KC_CLASS_STATS_REQ_SIZE_VER0);
static_assert(offsetof(struct kc_class_stats, chunks_per_page) ==
	      KC_CLASS_STATS_SIZE_MIN);

static struct class kc_class = {
	.name = KC_DEVICE_NAME,
};

static char *kc_devnode(KC_DEVNODE_CONST struct device *dev, umode_t *mode,
			kuid_t *uid, kgid_t *gid)
{
	if (mode)
		*mode = kc_dev_mode;
	if (gid)
		*gid = kc_dev_gid;
	return NULL;
}

static const struct device_type kc_devtype = {
	.name = KC_DEVICE_NAME,
	.devnode = kc_devnode,
};

/*
 * Reads a size-versioned struct whose first member is its __u32 size,
 * which is stored in *usize: at least min (its first version), at most a
 * page.
 */
static int get_versioned(void *dst, size_t ksize, size_t min,
			 const void __user *src, u32 *usize)
{
	if (get_user(*usize, (const u32 __user *)src))
		return -EFAULT;
	if (*usize < min)
		return -EINVAL;
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(dst, ksize, src, *usize);
}

static long ioctl_op(struct kc_cache *kc, void __user *uarg, bool rdonly)
{
	struct kc_req req = { .kern = false, .rdonly = rdonly,
			       .cache = kc };
	u32 usize;
	int err;

	err = get_versioned(&req.op, sizeof(req.op), KC_OP_SIZE_VER0, uarg,
			    &usize);
	if (err)
		return err;
	if (req.op.opcode == KC_OP_BLMPOP || req.op.opcode == KC_OP_BLMOVE)
		kc_op_run_blocking(&req);	/* may sleep, no lock held */
	else
		kc_op_run(&req);
	return kc_req_put_result(uarg, &req.op, usize);
}

static long ioctl_batch(struct kc_cache *kc, void __user *uarg, bool rdonly)
{
	struct kc_batch b;
	size_t off = offsetof(struct kc_batch, done);
	u32 i, usize;
	int err;

	err = get_versioned(&b, sizeof(b), KC_BATCH_SIZE_VER0, uarg, &usize);
	if (err)
		return err;
	if ((b.flags & ~__KC_BATCH_F_ALL) || b.count > KC_BATCH_MAX ||
	    b.op_size < KC_OP_SIZE_VER0 || b.op_size > PAGE_SIZE ||
	    b.__reserved || b.done || b.result)
		return -EINVAL;
	if (b.flags & KC_BATCH_TXN) {
		/* Takes the cache-wide lock and is for updates: not a reader's. */
		if (rdonly)
			return -EBADF;
		err = kc_txn_batch(kc, &b);
		if (err)
			return err;
		goto out;
	}
	if (b.nwatch || b.watch)
		return -EINVAL;

	for (i = 0; i < b.count; i++) {
		void __user *uop = u64_to_user_ptr(b.ops) +
				   (u64)i * b.op_size;
		struct kc_req req = { .kern = false, .rdonly = rdonly,
			       .cache = kc };

		if (fatal_signal_pending(current)) {
			b.result = -EINTR;
			break;
		}
		err = copy_struct_from_user(&req.op, sizeof(req.op), uop,
					    b.op_size);
		if (!err && req.op.size != b.op_size)
			err = -EINVAL;
		if (err) {
			b.result = err;
			break;
		}
		kc_op_run(&req);
		err = kc_req_put_result(uop, &req.op, b.op_size);
		if (err) {
			b.result = err;
			break;
		}
		b.done++;
		cond_resched();
	}
out:
	if (copy_to_user((char __user *)uarg + off, (char *)&b + off,
			 min_t(size_t, usize, sizeof(b)) - off))
		return -EFAULT;
	return 0;
}

static long ioctl_version(struct kc_cache *kc, void __user *uarg)
{
	struct kc_version v = {
		.abi_version = KC_ABI_VERSION,
		.key_max = KC_KEY_MAX,
		.item_size_max = kc_item_size_max(kc),
		.op_size = sizeof(struct kc_op),
		.batch_max = KC_BATCH_MAX,
		.nr_classes = kc->nr_classes,
	};

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long ioctl_stats(struct kc_cache *kc, void __user *uarg)
{
	struct kc_stats *st;
	u32 usize;
	long err = 0;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < 2 * sizeof(u32))
		return -EINVAL;
	st = kmalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	kc_stats_fill(kc, st);
	if (copy_to_user(uarg, st, min_t(size_t, usize, sizeof(*st))))
		err = -EFAULT;
	kfree(st);
	return err;
}

/*
 * Entries are elem_size apart: the caller's struct kc_class_stats, which
 * gets the first min(elem_size, kernel's size) bytes (at least id and
 * chunk_size) and zeroes past the kernel's struct.
 */
static long ioctl_class_stats(struct kc_cache *kc, void __user *uarg)
{
	struct kc_class_stats_req req;
	struct kc_class_stats cs;
	u32 i, n, usize;
	size_t len;
	int err;

	err = get_versioned(&req, sizeof(req), KC_CLASS_STATS_REQ_SIZE_VER0,
			    uarg, &usize);
	if (err)
		return err;
	if (req.elem_size < KC_CLASS_STATS_SIZE_MIN ||
	    req.elem_size > PAGE_SIZE || req.nr_classes)
		return -EINVAL;
	len = min_t(size_t, req.elem_size, sizeof(cs));
	n = min(req.count, kc->nr_classes);
	for (i = 0; i < n; i++) {
		char __user *dst = u64_to_user_ptr(req.buf) +
				   (u64)i * req.elem_size;

		kc_class_stats_fill(kc, i, &cs);
		if (copy_to_user(dst, &cs, len) ||
		    clear_user(dst + len, req.elem_size - len))
			return -EFAULT;
	}
	req.count = n;
	req.nr_classes = kc->nr_classes;
	if (put_user(req.count, &((struct kc_class_stats_req __user *)uarg)->count) ||
	    put_user(req.nr_classes,
		     &((struct kc_class_stats_req __user *)uarg)->nr_classes))
		return -EFAULT;
	return 0;
}

static long ioctl_config(struct kc_cache *kc, void __user *uarg, bool rdonly)
{
	struct kc_config cfg;
	u32 usize;
	int err;

	err = get_versioned(&cfg, sizeof(cfg), KC_CONFIG_SIZE_VER0, uarg,
			    &usize);
	if (err)
		return err;
	if (cfg.set_mask & ~__KC_CONFIG_ALL)
		return -EINVAL;
	if (cfg.set_mask) {
		if (rdonly)
			return -EBADF;
		/* The instance's own admin; the ceiling bounds the limit. */
		if (!ns_capable(kc->user_ns, CAP_SYS_ADMIN))
			return -EPERM;
		err = kc_config_apply(kc, &cfg, cfg.set_mask);
		if (err)
			return err;
	}
	kc_config_fill(kc, &cfg);
	if (copy_to_user(uarg, &cfg, min_t(size_t, usize, sizeof(cfg))))
		return -EFAULT;
	return 0;
}

/* KC_IOC_WAIT: the keys whose pushes make this fd readable. */
static long ioctl_wait(struct file *file, void __user *uarg)
{
	struct kc_file *f = file->private_data;
	struct kc_wait a;
	u32 usize;
	int err;

	err = get_versioned(&a, sizeof(a), KC_WAIT_SIZE_VER0, uarg, &usize);
	if (err)
		return err;
	if ((a.flags & ~__KC_WAIT_F_ALL) || a.__reserved ||
	    a.nkeys > KC_WAIT_KEYS_MAX)
		return -EINVAL;
	return kc_waiter_keys(&f->waiter, f->cache, a.keys, a.nkeys,
			      a.flags & KC_WAIT_ADD);
}

static long kc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct kc_file *f = file->private_data;
	struct kc_cache *kc = f->cache;
	bool rdonly = !(file->f_mode & FMODE_WRITE);

	if (READ_ONCE(kc->dead))
		return -ENODEV;
	switch (cmd) {
	case KC_IOC_VERSION:
		return ioctl_version(kc, uarg);
	case KC_IOC_OP:
		return ioctl_op(kc, uarg, rdonly);
	case KC_IOC_BATCH:
		return ioctl_batch(kc, uarg, rdonly);
	case KC_IOC_STATS:
		return ioctl_stats(kc, uarg);
	case KC_IOC_CLASS_STATS:
		return ioctl_class_stats(kc, uarg);
	case KC_IOC_CONFIG:
		return ioctl_config(kc, uarg, rdonly);
	case KC_IOC_WAIT:
		return ioctl_wait(file, uarg);
	}
	return -ENOTTY;
}

/*
 * An fd works on the instance of its opener's network namespace, made on
 * first use, and keeps it: after the namespace is gone, with all that
 * the instance held, the fd gets -ENODEV.  It also has a waiter (wait.c):
 * its KC_IOC_WAIT keys, for poll().
 */
static int kc_open(struct inode *inode, struct file *file)
{
	struct kc_cache *kc = kc_net_cache(current->nsproxy->net_ns, true);
	struct kc_file *f;

	if (!kc)
		return -ENOMEM;
	f = kmalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	kc_cache_get(kc);
	f->cache = kc;
	kc_waiter_init(&f->waiter);
	file->private_data = f;
	return nonseekable_open(inode, file);
}

static int kc_release(struct inode *inode, struct file *file)
{
	struct kc_file *f = file->private_data;

	kc_waiter_release(&f->waiter);
	kc_cache_put(f->cache);
	kfree(f);
	return 0;
}

static __poll_t kc_poll(struct file *file, poll_table *pt)
{
	struct kc_file *f = file->private_data;

	return kc_waiter_poll(&f->waiter, file, pt);
}

static const struct file_operations kc_fops = {
	.owner		= THIS_MODULE,
	.open		= kc_open,
	.release	= kc_release,
	.poll		= kc_poll,
	.unlocked_ioctl	= kc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* Is gid cred's file system group or one of its supplementary groups? */
static bool cred_in_group(const struct cred *cred, kgid_t gid)
{
	const struct group_info *gi = cred->group_info;
	int i;

	if (gid_eq(cred->fsgid, gid))
		return true;
	for (i = 0; gi && i < gi->ngroups; i++)
		if (gid_eq(gi->gid[i], gid))
			return true;
	return false;
}

/* Would the node's mode (owner root, group dev_gid) let cred read and write? */
static bool mode_permits(const struct cred *cred)
{
	umode_t mode = kc_dev_mode;

	if (uid_eq(cred->fsuid, GLOBAL_ROOT_UID))
		mode >>= 6;
	else if (cred_in_group(cred, kc_dev_gid))
		mode >>= 3;
	return (mode & 06) == 06;
}

/*
 * May the caller use the cache through another interface (netlink)?  Only
 * if it could open /dev/kcache for reading and writing: its mode allows it
 * or CAP_DAC_OVERRIDE overrides it, as for open(2).  As netlink_capable()
 * does, both the caller and the opener of its socket (file) must pass.
 */
bool kc_chardev_permitted(struct file *file)
{
	if (!mode_permits(current_cred()) &&
	    !ns_capable_noaudit(&init_user_ns, CAP_DAC_OVERRIDE))
		return false;
	if (file && !mode_permits(file->f_cred) &&
	    !file_ns_capable(file, &init_user_ns, CAP_DAC_OVERRIDE))
		return false;
	return true;
}

static void kc_device_release(struct device *dev)
{
	kfree(dev);
}

int kc_chardev_init(umode_t mode, kgid_t gid)
{
	int err;

	kc_dev_mode = mode;
	kc_dev_gid = gid;
	err = alloc_chrdev_region(&kc_devt, 0, 1, KC_DEVICE_NAME);
	if (err)
		return err;
	err = class_register(&kc_class);
	if (err)
		goto err_region;

	kc_device = kzalloc(sizeof(*kc_device), GFP_KERNEL);
	if (!kc_device) {
		err = -ENOMEM;
		goto err_class;
	}
	device_initialize(kc_device);
	kc_device->devt = kc_devt;
	kc_device->class = &kc_class;
	kc_device->type = &kc_devtype;
	kc_device->release = kc_device_release;
	err = dev_set_name(kc_device, KC_DEVICE_NAME);
	if (err)
		goto err_device;

	cdev_init(&kc_cdev, &kc_fops);
	kc_cdev.owner = THIS_MODULE;
	err = cdev_device_add(&kc_cdev, kc_device);
	if (err)
		goto err_device;
	return 0;

err_device:
	put_device(kc_device);
err_class:
	class_unregister(&kc_class);
err_region:
	unregister_chrdev_region(kc_devt, 1);
	return err;
}

void kc_chardev_exit(void)
{
	cdev_device_del(&kc_cdev, kc_device);
	put_device(kc_device);
	class_unregister(&kc_class);
	unregister_chrdev_region(kc_devt, 1);
}
