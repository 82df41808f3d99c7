// SPDX-License-Identifier: GPL-2.0
/*
 * A fuzzer for /dev/kcache: random and mutated requests for every ioctl and
 * every opcode, from several threads at once, while a checker stores
 * self-checking values and must always read back what it wrote.
 *
 * Requests are built three ways: well formed for the opcode (the key and
 * value pools give the ops something to work on: numbers for INCR, lists
 * for LPOP, keys of the wrong type), well formed and then mutated (one to
 * three fields: sizes around each version boundary, flags, lengths near
 * KC_KEY_MAX and item_size_max, counts, pointers), or random.  Pointers
 * are NULL, unmapped, read-only, kernel (0xffff888...), non-canonical, or
 * point into a scratch arena between guard pages; the kernel may write
 * into the arena or fail with EFAULT, nothing else of ours.
 *
 * Oracles, besides the guest's kernel log (KASAN, lockdep, WARN, leaks):
 *  - the ioctl's errno is one the ABI documents for it, and for the size
 *    of a versioned struct exactly the one openat2-style versioning says
 *    (EINVAL below VER0, E2BIG past a page or with a non-zero tail);
 *  - kc_op.result is 0 or an errno of the table in uapi/linux/kcache.h;
 *  - the kernel writes no byte of a reply past the size the caller gave;
 *  - no call takes longer than a stall limit (the watchdog says which);
 *  - the checker's values read back whole (a miss is allowed only when an
 *    eviction, a FLUSH or a memory limit change can explain it);
 *  - at the end the cache is consistent (stats against a SCAN, every key
 *    readable) and empty after FLUSH, with no chunk left in use.
 *
 * One test per entry point (each also runs the checker), a mixed one with
 * everything at once, and "checker" with the totals and the final checks.
 * The seed is fixed (KC_FUZZ_SEED overrides it) and the time bounded:
 * about 40 s on the debug kernel, 25 s elsewhere; KC_FUZZ_SECONDS=N runs
 * N seconds in all (long mode) and every test prints its calls per entry
 * point ("KCFUZZ" lines).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kc_test.h"
#include "kc_fuzz.h"
#include "kc_fuzz_run.h"

enum ep {
	EP_VERSION,
	EP_OP,
	EP_BATCH,
	EP_TXN,
	EP_STATS,
	EP_CLASS_STATS,
	EP_CONFIG,
	EP_UNKNOWN,
	EP_CHECKER,	/* the checker's own calls */
	NR_EP
};

static const char *const ep_name[NR_EP] = {
	"version", "op", "batch", "txn", "stats", "class_stats", "config",
	"unknown_ioctl", "checker",
};

#define CLS_LEN		(KF_MAX_CLASSES * 4104)	/* class stats, any stride */
#define NCHK		16	/* checker keys */

/* The call a thread is in, for the watchdog. */
struct call {
	uint32_t opcode, flags, size, key_len, val_len, nargs, count;
	int64_t num, num2;
};

/* Shared by main() and the harness's forked tests. */
struct shared {
	struct kf_run run;		/* first: see kc_fuzz_run.h */
	struct call call[KF_MAX_THREADS];
	_Atomic uint64_t mc_msgs, mc_overruns;
	struct kc_version ver;
};

static struct shared *sh;

/* ------------------------------------------------------------ pools */

/*
 * Keys and small values live in read-only memory: the kernel only reads
 * them, and a pool pointer passed as an output buffer must fail (EFAULT).
 */
#define NKEYS		48
#define KEY_SLOT	256
#define NVALS		24
#define VAL_SLOT	64

static unsigned char *key_pool;	/* NKEYS slots, read-only */
static uint32_t key_len[NKEYS];
static unsigned char *val_pool;	/* NVALS slots, read-only */
static uint32_t val_len[NVALS];
static struct kf_arena arena;

static const char *const val_strs[NVALS] = {
	"0", "1", "-1", "42", "7", "9223372036854775807",
	"-9223372036854775808", "9223372036854775808", "12abc", "", " 1",
	"01", "*", "fz:*", "fz:?0", "[a-z]*", "\\", "[", "fz:[^s]*", "a",
	"hello", "pivot", "field", "member",
};

static int pools_init(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t ksize = (NKEYS * KEY_SLOT + page - 1) & ~(page - 1);
	size_t vsize = (NVALS * VAL_SLOT + page - 1) & ~(page - 1);
	static const char *const kind = "slhzn";
	unsigned int i;

	key_pool = mmap(NULL, ksize, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	val_pool = mmap(NULL, vsize, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (key_pool == MAP_FAILED || val_pool == MAP_FAILED)
		return -errno;
	/* fz:<kind><n>: a string, list, hash, set or number, mostly. */
	for (i = 0; i < NKEYS - 3; i++)
		key_len[i] = snprintf((char *)key_pool + i * KEY_SLOT,
				      KEY_SLOT, "fz:%c%u", kind[i % 5], i / 5);
	/* A key with NUL and high bytes, the longest key, one too long. */
	memcpy(key_pool + i * KEY_SLOT, "fz:\0\xff\x80", 6);
	key_len[i++] = 6;
	memset(key_pool + i * KEY_SLOT, 'L', KC_KEY_MAX);
	key_len[i++] = KC_KEY_MAX;
	memset(key_pool + i * KEY_SLOT, 'M', KC_KEY_MAX + 1);
	key_len[i++] = KC_KEY_MAX + 1;
	for (i = 0; i < NVALS; i++) {
		val_len[i] = strlen(val_strs[i]);
		memcpy(val_pool + i * VAL_SLOT, val_strs[i], val_len[i]);
	}
	if (mprotect(key_pool, ksize, PROT_READ) ||
	    mprotect(val_pool, vsize, PROT_READ))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------ a fuzzing thread */

struct fz {
	struct kf_rng r;
	int fd;
	int id;
	unsigned int focus;	/* bit mask of entry points */
	size_t page;
	unsigned char *priv;	/* 2 read-write pages, then a guard page */
	unsigned char *slice;	/* this thread's part of the arena */
	size_t slice_len;
	unsigned char *cls;	/* CLS_LEN bytes, not in the arena */
	uint64_t iter;
	double deadline;
	bool destructive;	/* the next call may delete others' keys */
	bool clean;		/* gen_op(): well formed only */
};

/* Flags each opcode takes (kmod/ops.c's table, as documented). */
static uint32_t op_flags(uint32_t opcode)
{
	const uint32_t ttl = KC_TTL_MS | KC_TTL_ABS;

	switch (opcode) {
	case KC_OP_GET:
		return KC_GET_TOUCH | KC_GET_NOBUMP | ttl;
	case KC_OP_SET:
		return KC_SET_NX | KC_SET_XX | KC_SET_CAS | KC_SET_GET |
		       KC_SET_KEEPTTL | ttl;
	case KC_OP_ADD:
		return ttl;
	case KC_OP_REPLACE:
		return KC_SET_CAS | KC_SET_KEEPTTL | ttl;
	case KC_OP_APPEND:
	case KC_OP_PREPEND:
		return KC_APPEND_CREATE;
	case KC_OP_DEL:
		return KC_SET_CAS;
	case KC_OP_TOUCH:
		return ttl;
	case KC_OP_EXPIRE:
		return ttl | KC_EXPIRE_NX | KC_EXPIRE_XX | KC_EXPIRE_GT |
		       KC_EXPIRE_LT;
	case KC_OP_TTL:
		return ttl;
	case KC_OP_MSET:
	case KC_OP_RENAME:
	case KC_OP_HSET:
		return KC_SET_NX;
	case KC_OP_LPUSH:
	case KC_OP_RPUSH:
		return KC_SET_XX;
	case KC_OP_LPOP:
	case KC_OP_RPOP:
	case KC_OP_SPOP:
	case KC_OP_SRANDMEMBER:
		return KC_POP_COUNT;
	case KC_OP_LINSERT:
		return KC_LINSERT_BEFORE | KC_LINSERT_AFTER;
	case KC_OP_FLUSH:
		return KC_FLUSH_DB;
	}
	return 0;
}

static bool keyless(uint32_t opcode)
{
	switch (opcode) {
	case KC_OP_NOP:
	case KC_OP_MGET:
	case KC_OP_MSET:
	case KC_OP_FLUSH:
	case KC_OP_SDIFF:
	case KC_OP_SINTER:
	case KC_OP_SUNION:
	case KC_OP_SCAN:
	case KC_OP_DBSIZE:
	case KC_OP_SWAPDB:
		return true;
	}
	return false;
}

static void pool_key(struct fz *f, __u64 *ptr, __u32 *len)
{
	/* Mostly keys that exist or will: the first 40 of the pool. */
	unsigned int i = kf_pct(&f->r, 95) ? kf_below(&f->r, 40) :
					     kf_below(&f->r, NKEYS);

	*ptr = kf_uptr(key_pool + i * KEY_SLOT);
	*len = key_len[i];
}

static void gen_key(struct fz *f, __u64 *ptr, __u32 *len)
{
	if (kf_pct(&f->r, 92)) {
		pool_key(f, ptr, len);
		return;
	}
	*len = kf_len(&f->r, KC_KEY_MAX);
	*ptr = kf_ptr(&f->r, &arena, *len);
}

static void gen_val(struct fz *f, __u64 *ptr, __u32 *len)
{
	uint32_t max = sh->ver.item_size_max;
	unsigned int pick = kf_below(&f->r, 100);

	if (pick < 40) {
		unsigned int i = kf_below(&f->r, NVALS);

		*ptr = kf_uptr(val_pool + i * VAL_SLOT);
		*len = val_len[i];
		return;
	}
	if (pick < 75)
		*len = kf_pct(&f->r, 70) ? kf_below(&f->r, 100) :
					    kf_below(&f->r, 5000);
	else if (pick < 82)
		*len = (uint32_t)kf_below(&f->r, 3) + max - 1;
	else if (pick < 88)
		*len = 500000 + (uint32_t)kf_below(&f->r, 100000);
	else
		*len = kf_len(&f->r, max);
	*ptr = pick < 88 ? kf_uptr(arena.base) +
			   kf_below(&f->r, *len < arena.size ?
				    arena.size - *len : 1) :
			   kf_ptr(&f->r, &arena, *len);
}

/* A kc_buf array in this thread's slice of the arena. */
static void gen_args(struct fz *f, struct kc_op *op, int kind, uint32_t want)
{
	struct kc_buf *b = (struct kc_buf *)f->slice;
	uint32_t room = f->slice_len / sizeof(*b), n = want, i;

	switch (kf_below(&f->r, 40)) {
	case 0:
		n = 0;
		break;
	case 1:
		n = KC_ARGS_MAX + (uint32_t)kf_below(&f->r, 2);
		break;
	case 2:
		n = (uint32_t)kf_next(&f->r);
		break;
	case 3:
		n = 100 + kf_below(&f->r, 2000);
		break;
	}
	op->nargs = n;
	op->args = kf_uptr(b);
	if (n > room)
		n = room;
	if (n > 70000)
		n = 70000;
	for (i = 0; i < n; i++) {
		__u64 p;
		__u32 l;

		/* 0 keys, 1 values, 2 field/value pairs, 3 key/value pairs */
		if (kind == 0 || (kind == 3 && !(i & 1)))
			pool_key(f, &p, &l);
		else
			gen_val(f, &p, &l);
		if (l > 2000 && kf_pct(&f->r, 90))
			l = kf_below(&f->r, 32);
		b[i].ptr = p;
		b[i].len = l;
		b[i].__reserved = 0;
		if (kf_pct(&f->r, 2)) {
			switch (kf_below(&f->r, 3)) {
			case 0:
				b[i].__reserved = (uint32_t)kf_next(&f->r) | 1;
				break;
			case 1:
				b[i].ptr = kf_bad_ptr(&f->r, &arena);
				break;
			default:
				b[i].len = kf_len(&f->r, sh->ver.item_size_max);
				break;
			}
		}
	}
	if (kf_pct(&f->r, 3))
		op->args = kf_ptr(&f->r, &arena, (uint64_t)n * sizeof(*b));
}

static void gen_out(struct fz *f, struct kc_op *op)
{
	switch (kf_below(&f->r, 10)) {
	case 0:
		op->out_len = 0;
		break;
	case 1:
		op->out_len = 1 + kf_below(&f->r, 16);
		break;
	case 2:
		op->out_len = kf_len(&f->r, sh->ver.item_size_max);
		break;
	case 3:
		op->out_len = 1 << 20;
		break;
	default:
		op->out_len = 4096 + kf_below(&f->r, 65536);
		break;
	}
	op->out = kf_ptr(&f->r, &arena, op->out_len);
	if (kf_pct(&f->r, 3))
		op->out = kf_uptr(key_pool);	/* read-only */
}

static uint32_t gen_flags(struct fz *f, uint32_t opcode)
{
	uint32_t ok = op_flags(opcode);

	if (f->clean)
		return kf_pct(&f->r, 50) ? 0 : (uint32_t)kf_next(&f->r) & ok;
	switch (kf_below(&f->r, 20)) {
	case 0:
		return (uint32_t)kf_next(&f->r);
	case 1:
	case 2:
		return 1U << kf_below(&f->r, 32);
	case 3:
	case 4:
	case 5:
	case 6:
	case 7:
	case 8:
	case 9:
	case 10:
	case 11:
	case 12:
		return 0;
	default:
		return (uint32_t)kf_next(&f->r) & ok;
	}
}

static int64_t gen_expire(struct fz *f)
{
	switch (kf_below(&f->r, 6)) {
	case 0:
		return 0;
	case 1:
		return 1 + kf_below(&f->r, 3);
	case 2:
		return 1000000000LL + kf_below(&f->r, 1000);
	default:
		return kf_s64(&f->r);
	}
}

/* Fills op as a plausible request for its opcode. */
static void gen_op(struct fz *f, struct kc_op *op, uint32_t opcode)
{
	memset(op, 0, sizeof(*op));
	op->size = sizeof(*op);
	op->opcode = opcode;
	op->flags = gen_flags(f, opcode);
	if (f->clean && !keyless(opcode))
		pool_key(f, &op->key, &op->key_len);
	else if (!keyless(opcode) || (!f->clean && kf_pct(&f->r, 3)))
		gen_key(f, &op->key, &op->key_len);
	gen_out(f, op);
	op->client_flags = kf_pct(&f->r, 80) ? 0 : (uint32_t)kf_next(&f->r);
	op->cas = kf_pct(&f->r, 70) ? 0 : kf_next(&f->r) % 100000;
	op->num = kf_s64(&f->r);
	op->num2 = kf_s64(&f->r);
	if (kf_pct(&f->r, 20))
		op->expire = gen_expire(f);
	if (kf_pct(&f->r, 3)) {
		op->result = (int32_t)kf_next(&f->r);
		op->out_used = (uint32_t)kf_next(&f->r);
	}
	/* Mostly database 0, where the pool keys and the checker are. */
	if (kf_pct(&f->r, 20))
		op->db = kf_below(&f->r, KC_DB_COUNT);

	switch (opcode) {
	case KC_OP_SET:
	case KC_OP_ADD:
	case KC_OP_REPLACE:
	case KC_OP_APPEND:
	case KC_OP_PREPEND:
	case KC_OP_SETRANGE:
	case KC_OP_HGET:
	case KC_OP_HEXISTS:
	case KC_OP_HSTRLEN:
	case KC_OP_SISMEMBER:
	case KC_OP_LSET:
	case KC_OP_LREM:
		gen_val(f, &op->val, &op->val_len);
		if (opcode == KC_OP_SETRANGE || opcode == KC_OP_LSET)
			op->num = kf_pct(&f->r, 70) ? (int64_t)kf_below(&f->r, 100)
						     : kf_s64(&f->r);
		if (opcode == KC_OP_LREM)
			op->num = (int64_t)kf_below(&f->r, 7) - 3;
		break;
	case KC_OP_MOVE:
	case KC_OP_SWAPDB:
		if (kf_pct(&f->r, 90)) {
			op->num = kf_below(&f->r, KC_DB_COUNT + 1);
			op->num2 = kf_below(&f->r, KC_DB_COUNT + 1);
		}
		break;
	case KC_OP_INCRBY:
	case KC_OP_DECRBY:
	case KC_OP_HINCRBY:
		if (kf_pct(&f->r, 70))
			op->num = (int64_t)kf_below(&f->r, 20) - 10;
		if (opcode == KC_OP_HINCRBY)
			gen_val(f, &op->val, &op->val_len);
		break;
	case KC_OP_GETBIT:
	case KC_OP_SETBIT:
		if (kf_pct(&f->r, 70))
			op->num = (int64_t)kf_below(&f->r, 4096);
		if (kf_pct(&f->r, 90))
			op->num2 = kf_below(&f->r, 2);
		break;
	case KC_OP_GETRANGE:
	case KC_OP_LRANGE:
	case KC_OP_LTRIM:
		if (kf_pct(&f->r, 70)) {
			op->num = (int64_t)kf_below(&f->r, 10) - 5;
			op->num2 = (int64_t)kf_below(&f->r, 10) - 5;
		}
		break;
	case KC_OP_LINDEX:
	case KC_OP_LPOP:
	case KC_OP_RPOP:
	case KC_OP_SPOP:
	case KC_OP_SRANDMEMBER:
		if (kf_pct(&f->r, 70))
			op->num = (int64_t)kf_below(&f->r, 10) - 3;
		break;
	case KC_OP_MGET:
	case KC_OP_SDIFF:
	case KC_OP_SINTER:
	case KC_OP_SUNION:
	case KC_OP_SDIFFSTORE:
	case KC_OP_SINTERSTORE:
	case KC_OP_SUNIONSTORE:
	case KC_OP_HMGET:
	case KC_OP_HDEL:
		gen_args(f, op, opcode == KC_OP_HMGET || opcode == KC_OP_HDEL ?
			 1 : 0, 1 + kf_below(&f->r, 5));
		break;
	case KC_OP_MSET:
		gen_args(f, op, 3, 2 * (1 + kf_below(&f->r, 3)));
		break;
	case KC_OP_HSET:
		gen_args(f, op, 2, 2 * (1 + kf_below(&f->r, 3)));
		break;
	case KC_OP_LPUSH:
	case KC_OP_RPUSH:
	case KC_OP_SADD:
	case KC_OP_SREM:
	case KC_OP_SMISMEMBER:
		gen_args(f, op, 1, 1 + kf_below(&f->r, 6));
		break;
	case KC_OP_LINSERT:
		gen_val(f, &op->val, &op->val_len);
		gen_args(f, op, 1, 1);
		break;
	case KC_OP_SMOVE:
		gen_val(f, &op->val, &op->val_len);
		gen_args(f, op, 0, 1);
		break;
	case KC_OP_RENAME:
		pool_key(f, &op->val, &op->val_len);
		if (kf_pct(&f->r, 10))
			gen_val(f, &op->val, &op->val_len);
		break;
	case KC_OP_SCAN:
		op->num = kf_pct(&f->r, 60) ? 0 : kf_pct(&f->r, 70) ?
			  (int64_t)kf_below(&f->r, 1 << 16) : kf_s64(&f->r);
		op->num2 = kf_pct(&f->r, 80) ? (int64_t)kf_below(&f->r, 50) :
			   kf_s64(&f->r);
		op->client_flags = kf_pct(&f->r, 80) ? kf_below(&f->r, 5) :
				   (uint32_t)kf_next(&f->r);
		if (kf_pct(&f->r, 50))
			gen_val(f, &op->val, &op->val_len);
		break;
	case KC_OP_TOUCH:
	case KC_OP_EXPIRE:
		op->expire = gen_expire(f);
		break;
	}
}

/* One to three mutations of a well formed op. */
static void mutate_op(struct fz *f, struct kc_op *op)
{
	int n = 1 + kf_below(&f->r, 3);

	while (n--) {
		switch (kf_below(&f->r, 17)) {
		case 0:
			op->opcode = kf_pct(&f->r, 50) ? KC_OP_MAX + 1 +
				     kf_below(&f->r, 3) : (uint32_t)kf_next(&f->r);
			break;
		case 1:
			op->flags ^= 1U << kf_below(&f->r, 32);
			break;
		case 2:
			op->key_len = kf_len(&f->r, KC_KEY_MAX);
			break;
		case 3:
			op->key = kf_bad_ptr(&f->r, &arena);
			break;
		case 4:
			op->val_len = kf_len(&f->r, sh->ver.item_size_max);
			break;
		case 5:
			op->val = kf_ptr(&f->r, &arena, op->val_len);
			break;
		case 6:
			op->nargs = kf_len(&f->r, KC_ARGS_MAX);
			break;
		case 7:
			op->args = kf_ptr(&f->r, &arena, 16);
			break;
		case 8:
			op->out = kf_bad_ptr(&f->r, &arena);
			break;
		case 9:
			op->out_len = kf_len(&f->r, 1 << 20);
			break;
		case 10:
			op->num = kf_s64(&f->r);
			break;
		case 11:
			op->num2 = kf_s64(&f->r);
			break;
		case 12:
			op->expire = kf_s64(&f->r);
			break;
		case 13:
			op->cas = kf_next(&f->r);
			break;
		case 14:
			op->client_flags = (uint32_t)kf_next(&f->r);
			break;
		case 15:
			op->db = kf_pct(&f->r, 50) ? kf_below(&f->r, 18) :
				 (uint32_t)kf_next(&f->r);
			break;
		default:
			op->key_len = 0;
			break;
		}
	}
}

static uint32_t pick_opcode(struct fz *f)
{
	/* FLUSH and SWAPDB take the checker's keys away too: rarely. */
	for (;;) {
		uint32_t o = kf_below(&f->r, KC_OP_MAX + 1);

		if ((o != KC_OP_FLUSH && o != KC_OP_SWAPDB) ||
		    kf_pct(&f->r, 2))
			return o;
	}
}

/*
 * An op: random (a tenth of bad_pct), mutated (the rest of bad_pct), or
 * as gen_op() made it.
 */
static void build_op(struct fz *f, struct kc_op *op, unsigned int bad_pct)
{
	uint32_t opcode = pick_opcode(f);
	unsigned int p = kf_below(&f->r, 1000);

	gen_op(f, op, opcode);
	if (p < bad_pct) {		/* random */
		kf_bytes(&f->r, (unsigned char *)op + 4, sizeof(*op) - 4);
		op->opcode = kf_below(&f->r, KC_OP_MAX + 3);
		if (kf_pct(&f->r, 50))
			op->key = kf_uptr(key_pool);
	} else if (p < 10 * bad_pct) {
		mutate_op(f, op);
	}
	if (op->opcode == KC_OP_FLUSH || op->opcode == KC_OP_SWAPDB)
		f->destructive = true;
}

/* Every result the ABI documents for kc_op.result. */
static bool result_ok(int32_t res, bool batch)
{
	switch (-res) {
	case 0:
	case ENOENT:
	case EEXIST:
	case E2BIG:
	case ENAMETOOLONG:
	case EINVAL:
	case ENOMEM:
	case EOVERFLOW:
	case EDOM:
	case EPROTOTYPE:
	case ENOSPC:
	case EFAULT:
	case EPERM:
	case EOPNOTSUPP:
	case ERANGE:
		return true;
	case ETIMEDOUT:		/* a blocking op (KC_IOC_OP only) */
		return !batch;
	case ECANCELED:
		return batch;
	}
	return false;
}

static void set_cur(struct fz *f, enum ep ep, const struct kc_op *op,
		    uint32_t size, uint32_t count)
{
	struct call *c = &sh->call[f->id];

	c->size = size;
	c->count = count;
	if (op) {
		c->opcode = op->opcode;
		c->flags = op->flags;
		c->key_len = op->key_len;
		c->val_len = op->val_len;
		c->nargs = op->nargs;
		c->num = op->num;
		c->num2 = op->num2;
	}
	kf_cur_begin(f->id, ep, f->iter);
}

static void end_cur(struct fz *f)
{
	kf_cur_end(f->id);
}

/*
 * The ioctl.  One that may delete other keys (FLUSH, a lower limit) is
 * counted in flight and bumps the epoch before and after, so a checker
 * miss at any moment around it is explained.
 */
static int fz_ioctl(struct fz *f, unsigned long cmd, uint64_t arg)
{
	bool d = f->destructive;
	int err;

	if (d) {
		atomic_fetch_add(&kf->destructive, 1);
		atomic_fetch_add(&kf->epoch, 1);
	}
	err = ioctl(f->fd, cmd, (void *)(uintptr_t)arg) ? errno : 0;
	if (d) {
		atomic_fetch_add(&kf->epoch, 1);
		atomic_fetch_sub(&kf->destructive, 1);
		f->destructive = false;
	}
	return err;
}

/*
 * Where a request struct of usize bytes (ksize of them ours to fill) goes:
 * at the start of the private pages; so that it ends at the guard page;
 * so that only part of its tail is readable (EFAULT); or a bad pointer.
 */
static uint64_t place(struct fz *f, uint32_t ksize, uint32_t usize,
		      unsigned char **at)
{
	unsigned int pick = kf_below(&f->r, 100);
	size_t end = 2 * f->page;

	*at = f->priv;
	if (pick < 6 && usize >= ksize && usize <= end) {
		*at = f->priv + end - usize;
	} else if (pick < 9 && usize > ksize && usize <= end) {
		*at = f->priv + end - ksize - kf_below(&f->r, usize - ksize);
	} else if (pick < 12) {
		return kf_bad_ptr(&f->r, &arena);
	} else if (pick < 13) {
		return kf_uptr(arena.ro);
	}
	return kf_uptr(*at);
}

/* A versioned struct's size: mostly right, else around the boundaries. */
static uint32_t gen_size(struct fz *f, uint32_t ver0, uint32_t ksize)
{
	switch (kf_below(&f->r, 24)) {
	case 0:
		return 0;
	case 1:
		return 4;
	case 2:
		return ver0 - 1;
	case 3:
		return ver0 - 8;
	case 4:
	case 5:
		return ksize + 8;
	case 6:
		return f->page;
	case 7:
		return f->page + 1;
	case 8:
		return (uint32_t)kf_next(&f->r);
	case 9:
		return ver0 + kf_below(&f->r, 64);
	default:
		return ksize;
	}
}

/*
 * What the kernel must answer for a struct of usize bytes of which avail
 * are readable, with a zero tail or not: the openat2 rules.  A non-zero
 * tail byte is always within the readable part (fill_tail()), and the
 * kernel finds it before it faults on the unreadable rest.
 */
static int versioned_errno(uint32_t usize, uint32_t min, uint32_t ksize,
			   size_t avail, bool tail_set)
{
	if (usize < min)
		return EINVAL;
	if (usize > 4096)
		return E2BIG;
	if (usize > ksize && tail_set)
		return E2BIG;
	if (usize > avail)
		return EFAULT;
	return 0;
}

/* Writes a tail past ksize (zero, or one non-zero byte); true if set. */
static bool fill_tail(struct fz *f, unsigned char *at, uint32_t usize,
		      uint32_t ksize, size_t avail)
{
	size_t end = usize < avail ? usize : avail;

	if (end > ksize)
		memset(at + ksize, 0, end - ksize);
	if (end > ksize && kf_pct(&f->r, 30)) {
		at[ksize + kf_below(&f->r, end - ksize)] = 1 +
			(unsigned char)kf_below(&f->r, 255);
		return true;
	}
	return false;
}

static void do_op(struct fz *f)
{
	uint32_t usize = gen_size(f, KC_OP_SIZE_VER0, sizeof(struct kc_op));
	unsigned char *at;
	uint64_t arg = place(f, sizeof(struct kc_op), usize, &at);
	size_t avail = f->priv + 2 * f->page - at;
	struct kc_op *op = (struct kc_op *)at;
	bool tail;
	int err, want;

	build_op(f, op, 40);
	/* The blocking ops wait at most 20 ms here (0 would be forever). */
	if (op->opcode == KC_OP_BLMPOP || op->opcode == KC_OP_BLMOVE)
		op->expire = (int64_t)kf_below(&f->r, 23) - 2;
	op->size = usize;
	tail = fill_tail(f, at, usize, sizeof(*op), avail);
	set_cur(f, EP_OP, op, usize, 0);
	err = fz_ioctl(f, KC_IOC_OP, arg);
	end_cur(f);
	kf_tally(EP_OP, !err && !op->result);
	if (arg != kf_uptr(at)) {
		if (err != EFAULT && err != EINVAL)
			kf_bad("KC_IOC_OP on a bad pointer: errno %d", err);
		return;
	}
	want = versioned_errno(usize, KC_OP_SIZE_VER0, sizeof(*op), avail,
			       tail);
	if (err != want) {
		kf_bad("KC_IOC_OP size %u (tail %s, %zu readable): errno %d, want %d",
		       usize, tail ? "set" : "zero", avail, err, want);
		return;
	}
	if (!err && !result_ok(op->result, false))
		kf_bad("KC_IOC_OP opcode %u flags %#x: result %d",
		       op->opcode, op->flags, op->result);
	if (!err && !op->result && op->out_used > op->out_len &&
	    op->opcode != KC_OP_NOP)
		kf_bad("KC_IOC_OP opcode %u: success with out_used %u > out_len %u",
		       op->opcode, op->out_used, op->out_len);
}

/* A watch list for a transaction, in the slice after the ops. */
static void gen_watch(struct fz *f, struct kc_batch *b, unsigned char *room,
		      size_t len)
{
	struct kc_watch *w = (struct kc_watch *)room;
	uint32_t n, i, cap = len / sizeof(*w);

	switch (kf_below(&f->r, 20)) {
	case 0:
		n = KC_WATCH_MAX;
		break;
	case 1:
		n = KC_WATCH_MAX + 1;
		break;
	case 2:
		n = (uint32_t)kf_next(&f->r);
		break;
	default:
		n = kf_below(&f->r, 4);
		break;
	}
	b->nwatch = n;
	b->watch = kf_uptr(w);
	for (i = 0; i < n && i < cap; i++) {
		pool_key(f, &w[i].key, &w[i].key_len);
		w[i].db = 0;
		w[i].cas = kf_pct(&f->r, 50) ? 0 : kf_below(&f->r, 1000000);
		/* Half the time the key's real version: the watch holds. */
		if (i < 8 && kf_pct(&f->r, 50)) {
			struct kc_op e;

			kc_op_init(&e, KC_OP_EXISTS);
			e.key = w[i].key;
			e.key_len = w[i].key_len;
			w[i].cas = kc_do(f->fd, &e) ? 0 : e.cas;
		}
		if (kf_pct(&f->r, 5)) {
			switch (kf_below(&f->r, 4)) {
			case 0:
				w[i].db = kf_pct(&f->r, 50) ?
					   kf_below(&f->r, KC_DB_COUNT + 2) :
					   (uint32_t)kf_next(&f->r);
				break;
			case 1:
				w[i].key_len = kf_len(&f->r, KC_KEY_MAX);
				break;
			case 2:
				w[i].key = kf_bad_ptr(&f->r, &arena);
				break;
			default:
				w[i].key_len = 0;
				break;
			}
		}
	}
	if (kf_pct(&f->r, 3))
		b->watch = kf_ptr(&f->r, &arena, (uint64_t)n * sizeof(*w));
}

static bool batch_result_ok(int32_t res)
{
	switch (-res) {
	case 0:
	case ECANCELED:
	case EINVAL:
	case EFAULT:
	case E2BIG:
	case EINTR:
		return true;
	}
	return false;
}

static void do_batch(struct fz *f, bool txn)
{
	uint32_t usize = gen_size(f, KC_BATCH_SIZE_VER0, sizeof(struct kc_batch));
	unsigned char *at;
	uint64_t arg = place(f, sizeof(struct kc_batch), usize, &at);
	size_t avail = f->priv + 2 * f->page - at;
	struct kc_batch *b = (struct kc_batch *)at;
	uint32_t count = 1 + kf_below(&f->r, 6), built, i, stride;
	size_t ops_room = f->slice_len / 2;
	bool tail, sane, clean_txn = kf_pct(&f->r, 50);
	int err, want;

	memset(b, 0, sizeof(*b));
	switch (kf_below(&f->r, 40)) {
	case 0:
		count = 0;
		break;
	case 1:
		count = KC_BATCH_MAX;
		break;
	case 2:
		count = KC_BATCH_MAX + 1;
		break;
	case 3:
		count = (uint32_t)kf_next(&f->r);
		break;
	case 4:
		count = 50 + kf_below(&f->r, 200);
		break;
	}
	b->count = count;
	b->flags = txn ? KC_BATCH_TXN : 0;
	if (kf_pct(&f->r, 3))
		b->flags = (uint32_t)kf_next(&f->r);
	stride = sizeof(struct kc_op);
	switch (kf_below(&f->r, 16)) {
	case 0:
		stride = sizeof(struct kc_op) + 8;
		break;
	case 1:
		stride = KC_OP_SIZE_VER0 - 8;
		break;
	case 2:
		stride = f->page;
		break;
	case 3:
		stride = f->page + 1;
		break;
	case 4:
		stride = (uint32_t)kf_next(&f->r);
		break;
	}
	b->op_size = stride;
	b->ops = kf_uptr(f->slice);
	built = stride >= sizeof(struct kc_op) && stride <= f->page ?
		ops_room / stride : 0;
	if (built > count)
		built = count;
	for (i = 0; i < built; i++) {
		struct kc_op *op = (struct kc_op *)(f->slice + (size_t)i * stride);

		/*
		 * Only the first few are varied: the rest are cheap NOPs.
		 * Half the transactions are well formed: they commit.
		 */
		f->clean = txn && clean_txn;
		if (i < 16 || kf_pct(&f->r, 5))
			build_op(f, op, f->clean ? 0 : 20);
		else
			gen_op(f, op, KC_OP_NOP);
		f->clean = false;
		op->size = stride;
		if (stride > sizeof(*op)) {
			memset(op + 1, 0, stride - sizeof(*op));
			if (kf_pct(&f->r, 3))
				((unsigned char *)op)[stride - 1] = 0x5a;
		}
		if (kf_pct(&f->r, 2))
			op->size = kf_below(&f->r, 2 * stride);
	}
	if (txn || kf_pct(&f->r, 3))
		gen_watch(f, b, f->slice + ops_room, f->slice_len - ops_room);
	if (kf_pct(&f->r, 3)) {
		/* Into other threads' ops, maybe a FLUSH among them. */
		b->ops = kf_ptr(&f->r, &arena, (uint64_t)count * stride);
		f->destructive = true;
	}
	if (kf_pct(&f->r, 2))
		b->__reserved = 1;
	if (kf_pct(&f->r, 2))
		b->done = 1;
	if (kf_pct(&f->r, 2))
		b->result = -1;
	b->size = usize;
	tail = fill_tail(f, at, usize, sizeof(*b), avail);
	sane = !(b->flags & ~__KC_BATCH_F_ALL) && count <= KC_BATCH_MAX &&
	       stride >= KC_OP_SIZE_VER0 && stride <= f->page &&
	       !b->__reserved && !b->done && !b->result;

	set_cur(f, txn ? EP_TXN : EP_BATCH, built ?
		(struct kc_op *)f->slice : NULL, usize, count);
	err = fz_ioctl(f, KC_IOC_BATCH, arg);
	end_cur(f);
	kf_tally(txn ? EP_TXN : EP_BATCH, !err && !b->result);
	if (arg != kf_uptr(at)) {
		if (err != EFAULT && err != EINVAL)
			kf_bad("KC_IOC_BATCH on a bad pointer: errno %d", err);
		return;
	}
	want = versioned_errno(usize, KC_BATCH_SIZE_VER0, sizeof(*b), avail,
			       tail);
	if (want) {
		if (err != want)
			kf_bad("KC_IOC_BATCH size %u (tail %s): errno %d, want %d",
			       usize, tail ? "set" : "zero", err, want);
		return;
	}
	if (!sane) {
		if (err != EINVAL)
			kf_bad("KC_IOC_BATCH flags %#x count %u op_size %u reserved %u done %u result %d: errno %d, want EINVAL",
			       b->flags, count, stride, b->__reserved, b->done,
			       b->result, err);
		return;
	}
	switch (err) {
	case 0:
		if (!batch_result_ok(b->result) || b->done > count)
			kf_bad("KC_IOC_BATCH%s count %u: result %d done %u",
			       txn ? " (txn)" : "", count, b->result, b->done);
		if (!txn && !b->result && b->done != count)
			kf_bad("KC_IOC_BATCH count %u: result 0 but done %u",
			       count, b->done);
		break;
	case EFAULT:
	case EINVAL:
	case E2BIG:
	case ENOMEM:
		break;
	default:
		kf_bad("KC_IOC_BATCH%s: errno %d", txn ? " (txn)" : "", err);
	}
}

/* The bytes past what the kernel may write must keep this pattern. */
#define PAT	0xa5

static bool untouched(const unsigned char *p, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (p[i] != PAT)
			return false;
	return true;
}

static void do_stats(struct fz *f)
{
	uint32_t usize = gen_size(f, 8, sizeof(struct kc_stats));
	unsigned char *at;
	uint64_t arg = place(f, 2 * f->page, 2 * f->page, &at);
	size_t avail = f->priv + 2 * f->page - at;
	struct kc_stats *st = (struct kc_stats *)at;
	size_t wrote;
	int err;

	memset(at, PAT, avail);
	st->size = usize;
	set_cur(f, EP_STATS, NULL, usize, 0);
	err = fz_ioctl(f, KC_IOC_STATS, arg);
	end_cur(f);
	kf_tally(EP_STATS, !err);
	if (arg != kf_uptr(at)) {
		if (err != EFAULT && err != EINVAL)
			kf_bad("KC_IOC_STATS on a bad pointer: errno %d", err);
		return;
	}
	if (usize < 8) {
		if (err != EINVAL)
			kf_bad("KC_IOC_STATS size %u: errno %d, want EINVAL",
			       usize, err);
		return;
	}
	if (err && err != EFAULT && err != ENOMEM) {
		kf_bad("KC_IOC_STATS size %u: errno %d", usize, err);
		return;
	}
	wrote = usize < sizeof(*st) ? usize : sizeof(*st);
	if (!err && st->size != sizeof(*st))
		kf_bad("KC_IOC_STATS: size %u, want the kernel's %zu", st->size,
		       sizeof(*st));
	if (!err && !untouched(at, wrote, avail))
		kf_bad("KC_IOC_STATS size %u: bytes written past %zu", usize,
		       wrote);
}

/*
 * The n entries of esize bytes: the kernel's struct, then zeroes; the
 * entry after them untouched.
 */
static void check_classes(const unsigned char *buf, uint32_t n,
			  uint32_t esize, uint32_t room)
{
	const size_t ks = sizeof(struct kc_class_stats);
	uint32_t i;
	size_t j;

	for (i = 0; i < n; i++) {
		const struct kc_class_stats *cs = (const void *)(buf + (size_t)i * esize);

		if (cs->id != i || cs->__reserved)
			kf_bad("KC_IOC_CLASS_STATS: entry %u has id %u, reserved %u",
			       i, cs->id, cs->__reserved);
		for (j = ks; j < esize; j++)
			if (buf[(size_t)i * esize + j]) {
				kf_bad("KC_IOC_CLASS_STATS: entry %u byte %zu of %u past the struct is %#x, not 0",
				       i, j, esize, buf[(size_t)i * esize + j]);
				break;
			}
	}
	if (n < room && !untouched(buf, (size_t)n * esize,
				   (size_t)(n + 1) * esize))
		kf_bad("KC_IOC_CLASS_STATS: wrote past %u entries", n);
}

static void do_class_stats(struct fz *f)
{
	unsigned char *at;
	uint64_t arg = place(f, sizeof(struct kc_class_stats_req),
			     sizeof(struct kc_class_stats_req), &at);
	struct kc_class_stats_req *req = (struct kc_class_stats_req *)at;
	uint32_t esize = sizeof(struct kc_class_stats), room;
	/*
	 * The entries go to memory of this thread only: other threads'
	 * random pointers land anywhere in the arena, and the check below
	 * must see only what this call wrote.
	 */
	unsigned char *buf = f->cls;
	size_t blen = CLS_LEN;
	int err;

	memset(req, 0, sizeof(*req));
	req->size = gen_size(f, sizeof(*req), sizeof(*req));
	switch (kf_below(&f->r, 8)) {
	case 0:
		esize = (uint32_t)kf_next(&f->r);
		break;
	case 1:
		esize = sizeof(struct kc_class_stats) - 8;
		break;
	case 2:
		esize = sizeof(struct kc_class_stats) + 8 * kf_below(&f->r, 8);
		break;
	case 3:
		esize = f->page + kf_below(&f->r, 2);
		break;
	}
	req->elem_size = esize;
	req->count = kf_pct(&f->r, 70) ? sh->ver.nr_classes :
		     kf_len(&f->r, sh->ver.nr_classes);
	if (kf_pct(&f->r, 3))
		req->nr_classes = 1;
	room = esize && esize <= f->page ? blen / esize : 0;
	req->buf = kf_pct(&f->r, 90) ? kf_uptr(buf) :
		   kf_ptr(&f->r, &arena, (uint64_t)req->count * esize);
	if (req->buf == kf_uptr(buf) && esize <= f->page)
		memset(buf, PAT, blen < (size_t)(room + 1) * esize ? blen :
		       (size_t)(room + 1) * esize);
	set_cur(f, EP_CLASS_STATS, NULL, req->size, req->count);
	err = fz_ioctl(f, KC_IOC_CLASS_STATS, arg);
	end_cur(f);
	kf_tally(EP_CLASS_STATS, !err);
	if (arg != kf_uptr(at))
		return;
	switch (err) {
	case 0:
		if (req->count > sh->ver.nr_classes ||
		    req->nr_classes != sh->ver.nr_classes)
			kf_bad("KC_IOC_CLASS_STATS: count %u nr_classes %u (version says %u)",
			       req->count, req->nr_classes, sh->ver.nr_classes);
		else if (req->buf == kf_uptr(buf) && req->count < room)
			check_classes(buf, req->count, esize, room);
		break;
	case EFAULT:
	case EINVAL:
	case E2BIG:
		break;
	default:
		kf_bad("KC_IOC_CLASS_STATS: errno %d", err);
	}
}

static void do_config(struct fz *f)
{
	uint32_t usize = gen_size(f, sizeof(struct kc_config),
				  sizeof(struct kc_config));
	unsigned char *at;
	uint64_t arg = place(f, sizeof(struct kc_config), usize, &at);
	size_t avail = f->priv + 2 * f->page - at;
	struct kc_config *cfg = (struct kc_config *)at;
	static const uint64_t limits[] = {
		0, 1, 2, 3, 8, 16, 64, 128, 1ULL << 40, UINT64_MAX,
	};
	bool tail;
	int err, want;

	memset(cfg, 0, sizeof(*cfg));
	cfg->size = usize;
	switch (kf_below(&f->r, 10)) {
	case 0:
		cfg->set_mask = (uint32_t)kf_next(&f->r);
		break;
	case 1:
	case 2:
		cfg->set_mask = (uint32_t)kf_next(&f->r) & __KC_CONFIG_ALL;
		break;
	}
	cfg->memory_limit_mb = limits[kf_below(&f->r, KF_ARRAY_SIZE(limits))];
	cfg->notify = kf_pct(&f->r, 90) ? kf_below(&f->r, 2) :
		      (uint32_t)kf_next(&f->r);
	cfg->automove = kf_pct(&f->r, 90) ? kf_below(&f->r, 2) :
			(uint32_t)kf_next(&f->r);
	cfg->noevict = kf_pct(&f->r, 90) ? kf_below(&f->r, 2) :
		       (uint32_t)kf_next(&f->r);
	if (kf_pct(&f->r, 5))
		cfg->item_size_max = (uint32_t)kf_next(&f->r);
	tail = fill_tail(f, at, usize, sizeof(*cfg), avail);
	if (cfg->set_mask & KC_CONFIG_MEMORY_LIMIT)
		f->destructive = true;
	set_cur(f, EP_CONFIG, NULL, usize, cfg->set_mask);
	err = fz_ioctl(f, KC_IOC_CONFIG, arg);
	end_cur(f);
	kf_tally(EP_CONFIG, !err);
	if (arg != kf_uptr(at))
		return;
	want = versioned_errno(usize, sizeof(*cfg), sizeof(*cfg), avail, tail);
	if (want) {
		if (err != want)
			kf_bad("KC_IOC_CONFIG size %u (tail %s): errno %d, want %d",
			       usize, tail ? "set" : "zero", err, want);
		return;
	}
	if (err && err != EINVAL)
		kf_bad("KC_IOC_CONFIG set_mask %#x: errno %d", cfg->set_mask, err);
	if (!err && cfg->noevict > 1)
		kf_bad("KC_IOC_CONFIG: noevict %u came back", cfg->noevict);
	/* A limit that changed: now and then straight back, for the checker. */
	if (!err && (cfg->set_mask & KC_CONFIG_MEMORY_LIMIT) &&
	    kf_pct(&f->r, 60))
		kt_reset_config(f->fd);
}

static void do_version(struct fz *f)
{
	unsigned char *at;
	uint64_t arg = place(f, sizeof(struct kc_version) + 64,
			     sizeof(struct kc_version) + 64, &at);
	struct kc_version *v = (struct kc_version *)at, want;
	int err;

	memset(at, PAT, sizeof(*v) + 64);
	set_cur(f, EP_VERSION, NULL, 0, 0);
	err = fz_ioctl(f, KC_IOC_VERSION, arg);
	end_cur(f);
	kf_tally(EP_VERSION, !err);
	if (arg != kf_uptr(at)) {
		if (err != EFAULT)
			kf_bad("KC_IOC_VERSION on a bad pointer: errno %d", err);
		return;
	}
	/* item_size_max is what the last KC_IOC_CONFIG made it */
	want = sh->ver;
	if (!err && v->item_size_max >= 1024 &&
	    v->item_size_max <= KC_ITEM_SIZE_LIMIT)
		want.item_size_max = v->item_size_max;
	if (err)
		kf_bad("KC_IOC_VERSION: errno %d", err);
	else if (memcmp(v, &want, sizeof(*v)) ||
		 !untouched(at, sizeof(*v), sizeof(*v) + 64))
		kf_bad("KC_IOC_VERSION: a different answer, or bytes past the struct");
}

static void do_unknown(struct fz *f)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	unsigned long cmd;
	unsigned char *at;
	uint64_t arg;
	int err;
	bool ours;

	for (;;) {
		switch (kf_below(&f->r, 4)) {
		case 0:		/* a known number, another direction or size */
			cmd = _IOC(dirs[kf_below(&f->r, 4)], KC_IOC_MAGIC,
				   kf_below(&f->r, 6), kf_below(&f->r, 512));
			break;
		case 1:
			cmd = _IOC(dirs[kf_below(&f->r, 4)], KC_IOC_MAGIC,
				   6 + kf_below(&f->r, 250),
				   kf_below(&f->r, 1 << 14));
			break;
		case 2:
			cmd = (uint32_t)kf_next(&f->r);
			break;
		default:
			cmd = _IOC(dirs[kf_below(&f->r, 4)],
				   kf_below(&f->r, 256), kf_below(&f->r, 256),
				   kf_below(&f->r, 1 << 14));
			break;
		}
		switch (cmd) {
		case KC_IOC_VERSION:
		case KC_IOC_OP:
		case KC_IOC_BATCH:
		case KC_IOC_STATS:
		case KC_IOC_CLASS_STATS:
		case KC_IOC_CONFIG:
			continue;
		}
		/*
		 * The VFS answers some ioctls on any file itself; the ones
		 * that change the file, its inode or the file system (FIFREEZE
		 * on devtmpfs, FS_IOC_SETFLAGS, FIONBIO, ...) are not ours to
		 * send: 'X', 'f', 'v' and 'T' ioctls stay out.
		 */
		switch (_IOC_TYPE(cmd)) {
		case 'X':
		case 'f':
		case 'v':
		case 'T':
			continue;
		}
		break;
	}
	ours = _IOC_TYPE(cmd) == KC_IOC_MAGIC;
	arg = place(f, 64, 64, &at);
	memset(f->priv, 0, 2 * f->page);
	if (kf_pct(&f->r, 30))
		arg = kf_next(&f->r);
	set_cur(f, EP_UNKNOWN, NULL, (uint32_t)cmd, 0);
	err = fz_ioctl(f, cmd, arg);
	end_cur(f);
	kf_tally(EP_UNKNOWN, !err);
	if (ours && err != ENOTTY)
		kf_bad("unknown ioctl %#lx: errno %d, want ENOTTY", cmd, err);
}

static void fuzz_once(struct fz *f)
{
	static const enum ep order[] = {
		EP_OP, EP_OP, EP_OP, EP_OP, EP_BATCH, EP_BATCH, EP_TXN,
		EP_TXN, EP_STATS, EP_CLASS_STATS, EP_CONFIG, EP_VERSION,
		EP_UNKNOWN,
	};
	enum ep ep;

	do {
		ep = order[kf_below(&f->r, KF_ARRAY_SIZE(order))];
		/* Outside the focus now and then (ops mostly): state. */
	} while (!(f->focus & (1U << ep)) &&
		 !(ep == EP_OP && kf_pct(&f->r, 15)));
	f->iter++;
	switch (ep) {
	case EP_OP:
		do_op(f);
		break;
	case EP_BATCH:
		do_batch(f, false);
		break;
	case EP_TXN:
		do_batch(f, true);
		break;
	case EP_STATS:
		do_stats(f);
		break;
	case EP_CLASS_STATS:
		do_class_stats(f);
		break;
	case EP_CONFIG:
		do_config(f);
		break;
	case EP_VERSION:
		do_version(f);
		break;
	default:
		do_unknown(f);
		break;
	}
}

static void *fuzz_thread(void *arg)
{
	struct fz *f = arg;

	while (!atomic_load(&kf->stop) && kf_now() < f->deadline)
		fuzz_once(f);
	return NULL;
}

/* ------------------------------------------------------------ the checker */

struct chk {
	struct kf_chk k;
	unsigned char *buf;	/* value being written */
	unsigned char *out;	/* value read */
	size_t cap;
	int64_t counter;	/* value of the counter key, -1: unknown */
	struct kf_blame counter_b;	/* before the INCR that set counter */
	char counter_key[64];
};

static uint32_t chk_len(struct chk *c)
{
	unsigned int p = kf_below(&c->k.r, 100);
	uint32_t len;

	if (p < 50)
		len = KF_CHK_HDR + kf_below(&c->k.r, 300);
	else if (p < 80)
		len = 300 + kf_below(&c->k.r, 5000);
	else if (p < 96)
		len = 5000 + kf_below(&c->k.r, 70000);
	else
		len = 300000 + kf_below(&c->k.r, 300000);
	return len > sh->ver.item_size_max ? sh->ver.item_size_max : len;
}

static void chk_write(struct chk *c, unsigned int i)
{
	uint64_t seq = ++c->k.seq;
	uint32_t len = chk_len(c);
	struct kf_blame b;
	size_t got = 0;
	int res;

	kf_chk_value(&c->k, i, seq, len, c->buf);
	kf_blame_now(c->k.fd, &b);
	if (kf_pct(&c->k.r, 25)) {
		/* A transaction: SET, then GET what was set. */
		struct kc_batch_builder bb;
		struct kc_op *op;

		kc_batch_init(&bb);
		op = kc_batch_add(&bb, KC_OP_SET);
		kc_op_key(op, c->k.keys[i], strlen(c->k.keys[i]));
		kc_op_val(op, c->buf, len);
		op = kc_batch_add(&bb, KC_OP_GET);
		kc_op_key(op, c->k.keys[i], strlen(c->k.keys[i]));
		kc_op_out(op, c->out, c->cap);
		res = kc_batch_submit(c->k.fd, &bb, KC_BATCH_TXN);
		kf_tally(EP_CHECKER, !res);
		if (!res && !bb.ops[0].result) {
			kf_chk_wrote(&c->k, i, seq, len, &b);
			kf_chk_verify(&c->k, i, bb.ops[1].result, c->out,
				      bb.ops[1].out_used, "transaction GET");
		} else if (res || (bb.ops[0].result != -ENOMEM)) {
			kf_chk_bad("transaction SET %s: %d, op %d", c->k.keys[i],
				   res, bb.ops[0].result);
		}
		kc_batch_exit(&bb);
		atomic_fetch_add(&kf->chk_ops, 1);
		return;
	}
	res = kc_set(c->k.fd, c->k.keys[i], strlen(c->k.keys[i]), c->buf, len, 0, 0,
		     0);
	kf_tally(EP_CHECKER, !res);
	atomic_fetch_add(&kf->chk_ops, 1);
	if (res == -ENOMEM)
		return;		/* the old value stays, or was evicted */
	if (res) {
		kf_chk_bad("SET %s (%u bytes): %d", c->k.keys[i], len, res);
		return;
	}
	kf_chk_wrote(&c->k, i, seq, len, &b);
	res = kc_get(c->k.fd, c->k.keys[i], strlen(c->k.keys[i]), c->out, c->cap,
		     &got, NULL, NULL);
	kf_tally(EP_CHECKER, !res);
	kf_chk_verify(&c->k, i, res, c->out, got, "GET");
}

static void chk_read(struct chk *c, unsigned int i)
{
	size_t got = 0;
	int res;

	res = kc_get(c->k.fd, c->k.keys[i], strlen(c->k.keys[i]), c->out, c->cap,
		     &got, NULL, NULL);
	kf_tally(EP_CHECKER, !res || res == -ENOENT);
	atomic_fetch_add(&kf->chk_ops, 1);
	kf_chk_verify(&c->k, i, res, c->out, got, "GET");
}

/* MGET of every checker key, each checked. */
static void chk_mget(struct chk *c)
{
	struct kc_buf keys[NCHK];
	const struct kc_elem *e;
	struct kc_elem_iter it;
	const void *data;
	size_t used = 0, n = 0;
	unsigned int i;
	int res;

	for (i = 0; i < NCHK; i++)
		kc_buf_set(&keys[i], c->k.keys[i], strlen(c->k.keys[i]));
	res = kc_mget(c->k.fd, keys, NCHK, c->out, c->cap, &used, &n);
	kf_tally(EP_CHECKER, !res);
	atomic_fetch_add(&kf->chk_ops, 1);
	if (res == -ENOSPC)
		return;
	if (res || n != NCHK) {
		kf_chk_bad("MGET: %d, %zu records", res, n);
		return;
	}
	kc_elem_iter_init(&it, c->out, used, n);
	for (i = 0; (e = kc_elem_next(&it, &data)); i++)
		kf_chk_verify(&c->k, i, e->flags & KC_ELEM_NIL ? -ENOENT : 0,
			      data, e->len, "MGET");
	if (it.err || i != NCHK)
		kf_chk_bad("MGET: malformed reply");
}

/* INCRBY 1 on the counter key: always one more than before. */
static void chk_incr(struct chk *c)
{
	struct kf_blame b;
	int64_t v = 0;
	int res;

	kf_blame_now(c->k.fd, &b);
	res = kc_incrby(c->k.fd, c->counter_key, strlen(c->counter_key), 1, &v);
	kf_tally(EP_CHECKER, !res);
	atomic_fetch_add(&kf->chk_ops, 1);
	if (res == -ENOMEM)
		return;
	if (res) {
		kf_chk_bad("INCRBY %s: %d", c->counter_key, res);
		return;
	}
	if (c->counter >= 0 && v != c->counter + 1) {
		if (v == 1 && kf_explained(c->k.fd, &c->counter_b))
			atomic_fetch_add(&kf->chk_explained, 1);
		else
			kf_chk_bad("INCRBY %s: %lld after %lld", c->counter_key,
				   (long long)v, (long long)c->counter);
	}
	c->counter = v;
	c->counter_b = b;
}

static void *checker_thread(void *arg)
{
	double deadline = *(double *)arg;
	struct chk *c = calloc(1, sizeof(*c));
	unsigned int i;

	if (!c)
		return NULL;
	c->cap = sh->ver.item_size_max + 4096;
	c->buf = malloc(c->cap);
	c->out = malloc(c->cap);
	kf_chk_init(&c->k, "chk", NCHK, 0x314b48434b43ULL, (uint64_t)getpid(),
		    c->buf);
	c->counter = -1;
	snprintf(c->counter_key, sizeof(c->counter_key), "chk:%016llx:n",
		 (unsigned long long)kf->nonce);
	kc_del(c->k.fd, c->counter_key, strlen(c->counter_key), 0);
	if (!c->buf || !c->out || c->k.fd < 0) {
		kf_chk_bad("checker setup failed");
		goto out;
	}
	while (!atomic_load(&kf->stop) && kf_now() < deadline) {
		i = kf_below(&c->k.r, NCHK);
		switch (kf_below(&c->k.r, 10)) {
		case 0:
		case 1:
		case 2:
		case 3:
			chk_write(c, i);
			break;
		case 4:
			chk_mget(c);
			break;
		case 5:
			chk_incr(c);
			break;
		default:
			chk_read(c, i);
			break;
		}
	}
out:
	kc_close(c->k.fd);
	free(c->buf);
	free(c->out);
	free(c);
	return NULL;
}

/* ------------------------------------------------------------ listener, watchdog */

/*
 * Joined to both multicast groups (notify is on during the run), reading
 * in bursts with pauses, so keyspace events are built, sent, and now and
 * then overrun.
 */
static void *listener_thread(void *arg)
{
	double deadline = *(double *)arg;
	struct kn_family fam;
	struct kf_rng r;
	struct kn nl;

	if (kn_socket(&nl, KF_NL_RCVBUF))
		return NULL;
	kf_rng_init(&r, kf_seed(), 0x115, 0);
	if (kn_family_get(&nl, &fam) ||
	    setsockopt(nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &fam.keyspace, sizeof(fam.keyspace)) ||
	    setsockopt(nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &fam.pubsub, sizeof(fam.pubsub)))
		goto out;
	while (!atomic_load(&kf->stop) && kf_now() < deadline) {
		int n = kf_below(&r, 200);

		while (n-- > 0) {
			ssize_t got = kn_recv1(&nl, MSG_DONTWAIT);

			if (got == -ENOBUFS) {
				atomic_fetch_add(&sh->mc_overruns, 1);
				continue;
			}
			if (got <= 0)
				break;
			atomic_fetch_add(&sh->mc_msgs, 1);
		}
		kt_sleep_ms(kf_below(&r, 300));
	}
out:
	kn_close(&nl);
	return NULL;
}

/* For the watchdog: the call thread t is in. */
static void describe(int t, char *buf, size_t len)
{
	const struct call *c = &sh->call[t];

	snprintf(buf, len,
		 "opcode %u flags %#x size %u key_len %u val_len %u nargs %u count %u num %lld num2 %lld",
		 c->opcode, c->flags, c->size, c->key_len, c->val_len,
		 c->nargs, c->count, (long long)c->num, (long long)c->num2);
}

/* ------------------------------------------------------------ tests */

/* Weights of the tests in the budget; the sum is 20. */
static void run(struct __test_metadata *_metadata, int fd, int idx,
		unsigned int focus, unsigned int weight)
{
	int nthreads = kf_nthreads(), t;
	double deadline;
	struct fz *fz;

	/* Keyspace events on, with a listener: kc_notify() runs too. */
	deadline = kf_run_begin(_metadata, fd, weight);
	fz = calloc(nthreads, sizeof(*fz));
	ASSERT_NE(NULL, fz);
	for (t = 0; t < nthreads; t++) {
		struct fz *f = &fz[t];

		kf_rng_init(&f->r, kf_seed(), idx, t);
		f->id = t;
		f->focus = focus;
		f->deadline = deadline;
		f->page = arena.page;
		f->fd = kc_open();
		ASSERT_LE(0, f->fd);
		f->priv = mmap(NULL, 3 * f->page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, f->priv);
		ASSERT_EQ(0, mprotect(f->priv + 2 * f->page, f->page,
				      PROT_NONE));
		f->cls = mmap(NULL, CLS_LEN, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, f->cls);
		/* The first half of the arena is sliced, the rest shared. */
		f->slice_len = (arena.size / 2 / nthreads) & ~(f->page - 1);
		f->slice = arena.base + t * f->slice_len;
	}
	kf_run_threads(_metadata, &(struct kf_threads){
		.nthreads = nthreads, .fuzz = fuzz_thread,
		.fz = fz, .fz_size = sizeof(*fz),
		.checker = checker_thread, .listener = listener_thread,
		.describe = describe,
	}, deadline);
	for (t = 0; t < nthreads; t++) {
		kc_close(fz[t].fd);
		munmap(fz[t].priv, 3 * fz[t].page);
		munmap(fz[t].cls, CLS_LEN);
	}
	free(fz);
	kf_run_end(_metadata, fd, focus);
}

#define FOCUS(e)	(1U << (e))
#define ALL		((1U << EP_CHECKER) - 1)

TEST_F(fuzz, version)
{
	run(_metadata, self->fd, 1, FOCUS(EP_VERSION), 1);
}

TEST_F(fuzz, op)
{
	run(_metadata, self->fd, 2, FOCUS(EP_OP), 4);
}

TEST_F(fuzz, batch)
{
	run(_metadata, self->fd, 3, FOCUS(EP_BATCH), 3);
}

TEST_F(fuzz, txn)
{
	run(_metadata, self->fd, 4, FOCUS(EP_TXN), 3);
}

TEST_F(fuzz, stats)
{
	run(_metadata, self->fd, 5, FOCUS(EP_STATS), 1);
}

TEST_F(fuzz, class_stats)
{
	run(_metadata, self->fd, 6, FOCUS(EP_CLASS_STATS), 1);
}

TEST_F(fuzz, config)
{
	run(_metadata, self->fd, 7, FOCUS(EP_CONFIG), 2);
}

TEST_F(fuzz, unknown_ioctl)
{
	run(_metadata, self->fd, 8, FOCUS(EP_UNKNOWN), 1);
}

TEST_F(fuzz, mixed)
{
	run(_metadata, self->fd, 9, ALL, 4);
}

/*
 * The checker's verdict over the whole run, then the cache as a whole:
 * consistent, every key readable, and nothing left after FLUSH.
 */
TEST_F(fuzz, checker)
{
	kf_print_counts("total", kf->total);
	ksft_print_msg("KCFUZZ ioctl checker: %llu ops, %llu misses explained by evictions or FLUSH, %llu bad; %llu keyspace events read, %llu overruns; seed %#llx, %.0f s\n",
		       (unsigned long long)atomic_load(&kf->chk_ops),
		       (unsigned long long)atomic_load(&kf->chk_explained),
		       (unsigned long long)atomic_load(&kf->chk_bad),
		       (unsigned long long)atomic_load(&sh->mc_msgs),
		       (unsigned long long)atomic_load(&sh->mc_overruns),
		       (unsigned long long)kf_seed(), kf->budget);
	kf_run_verdict(_metadata, self->fd);
}

int main(int argc, char **argv)
{
	size_t arena_size;
	int fd;

	sh = kf_run_init(sizeof(*sh), "ioctl", ep_name, NR_EP, 40, 25);
	if (!sh || pools_init())
		return KSFT_FAIL;
	fd = kc_open();
	if (fd >= 0) {
		kc_version(fd, &sh->ver);
		kc_close(fd);
	}
	if (!sh->ver.item_size_max)
		sh->ver.item_size_max = KT_ITEM_SIZE_MAX;
	arena_size = 8ULL << 20;
	if (arena_size < 4ULL * sh->ver.item_size_max)
		arena_size = 4ULL * sh->ver.item_size_max;
	if (kf_arena_init(&arena, arena_size))
		return KSFT_FAIL;
	/* Random bytes, and small numbers now and then, for the values. */
	{
		struct kf_rng r;
		size_t off;

		kf_rng_init(&r, kf_seed(), 0xa7e4a, 0);
		kf_bytes(&r, arena.base, arena.size);
		for (off = 0; off + 8 < arena.size; off += 4096 + 64 * kf_below(&r, 8))
			memcpy(arena.base + off, kf_pct(&r, 50) ? "12345678" :
			       "-42\0\0\0\0\0", 8);
	}
	return kf_run_main(argc, argv, "");
}
