/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kcache: an in-kernel memcached/Redis-style cache.
 *
 * This header is the one source of truth for the ABI shared by the module
 * (kmod/), the userspace library, CLI and proxy (userspace/) and the tests
 * (selftests/).  Documentation/uapi.rst explains every part of it in prose.
 *
 * Character device /dev/kcache
 * ============================
 *
 * KC_IOC_VERSION (struct kc_version, out)
 *	ABI version and the limits the module was loaded with.
 *
 * KC_IOC_OP (struct kc_op, in/out)
 *	Runs one operation.  The ioctl returns 0 when the operation ran, its
 *	outcome (0 or a negative errno from the table below) is in kc_op.result;
 *	the ioctl itself fails only when the request cannot be read or written
 *	back (EFAULT), is malformed (EINVAL, E2BIG for a struct larger than the
 *	kernel knows with non-zero bytes past its end) or is not permitted.
 *
 * KC_IOC_BATCH (struct kc_batch, in/out)
 *	Runs kc_batch.count operations in order, each with its own result.
 *	Without KC_BATCH_TXN they are independent (not atomic); a struct that
 *	cannot be read stops the batch (kc_batch.result, kc_batch.done).
 *	With KC_BATCH_TXN they run as one transaction (Redis's EXEC): every
 *	op is checked first, and one malformed op (unknown opcode or flag, bad
 *	key) means none runs (kc_batch.result = -EINVAL, that op's result says
 *	why, the others -ECANCELED; -ENOMEM if only the memory to copy their
 *	inputs in was missing).  Then, if any watched key (kc_watch) no
 *	longer has the CAS version it was watched with (0 = did not exist) --
 *	it was written, deleted, expired or evicted -- none runs and
 *	kc_batch.result is -ECANCELED.  Otherwise all run with no other
 *	operation in between (isolation: the transaction holds the cache
 *	exclusively), each with its own result: a runtime error such as
 *	-EPROTOTYPE fails that op only, nothing is rolled back.
 *
 * Operations on one key run concurrently with others.  RENAME, SMOVE and
 * the set algebra (SDIFF, SINTER, SUNION and the STORE forms), their
 * sorted-set forms (ZUNION, ZINTER, ZDIFF and the STORE forms) and MSET
 * run exclusively, like a transaction.  MGET is not atomic.
 *
 * Every network namespace has its own cache (instance): an fd works on the
 * instance of the namespace that opened it, and once that namespace is
 * gone every ioctl on the fd fails with -ENODEV.
 *
 * KC_IOC_STATS (struct kc_stats, out)
 *	The instance's counters.  The caller sets kc_stats.size; the kernel fills at
 *	most that many bytes and reports its own size in kc_stats.size.
 *
 * KC_IOC_CLASS_STATS (struct kc_class_stats_req, in/out)
 *	Per slab class counters, one struct kc_class_stats per class.
 *
 * KC_IOC_CONFIG (struct kc_config, in/out)
 *	Reads the instance's runtime configuration; with a non-zero set_mask
 *	and CAP_SYS_ADMIN in the user namespace that owns the instance's
 *	network namespace changes the fields it names (EPERM without).  A
 *	memory limit that would take the sum of all instances' limits above
 *	the module parameter memory_ceiling_mb fails with ENOSPC.
 *
 * KC_IOC_WAIT (struct kc_wait, in)
 *	Sets the keys the fd waits on: poll()/epoll then report EPOLLIN
 *	when a list under one of them was pushed to (LPUSH, RPUSH, LMOVE,
 *	RENAME onto it) or a sorted set got members (ZADD of a new one, a
 *	Z*STORE or RENAME into it), by anyone, in any database.  For event loops that serve many
 *	blocked clients without a thread each (kcache-proxy); a plain
 *	caller uses the blocking ops (KC_OP_BLMPOP, KC_OP_BLMOVE) instead.
 *
 * An fd opened read-only (O_RDONLY: no FMODE_WRITE) may read and nothing
 * else: VERSION, STATS, CLASS_STATS, CONFIG with set_mask 0, and the ops
 * that change nothing (GET without KC_GET_TOUCH, EXISTS, TYPE, TTL,
 * STRLEN, GETRANGE, GETBIT, MGET, LRANGE, LLEN, LINDEX, HGET, HMGET, HLEN,
 * HEXISTS, HGETALL, HKEYS, HVALS, HSTRLEN, SMEMBERS, SISMEMBER,
 * SMISMEMBER, SCARD, SRANDMEMBER, SDIFF, SINTER, SUNION, SCAN, ZMSCORE,
 * ZCARD, ZRANK, ZRANGE without KC_Z_REMOVE, ZRANDMEMBER, ZUNION, ZINTER,
 * ZDIFF, DBSIZE, SNAPSHOT, NOP), alone
 * or in a batch.  Any other op gets kc_op.result -EBADF; a batch with
 * KC_BATCH_TXN and a CONFIG with a set_mask fail with errno EBADF.
 *
 * Structs whose first member is "size" are versioned by that size, as
 * openat2(2) and clone3(2) do: the caller puts sizeof() of the struct it was
 * compiled with there; the kernel reads it with copy_struct_from_user(), so
 * a smaller (older) struct gets zeroes for the new fields and a larger (newer)
 * one is accepted when every byte past the kernel's struct is zero (E2BIG
 * otherwise), up to one page (E2BIG past it).  A size below the first
 * version is EINVAL (KC_OP_SIZE_VER0, KC_BATCH_SIZE_VER0,
 * KC_CONFIG_SIZE_VER0, KC_CLASS_STATS_REQ_SIZE_VER0; kc_stats needs its
 * first 8 bytes).  The kernel writes back no byte past the smaller of the
 * caller's size and its own: an older caller's struct, or the next record
 * of a batch, is never overwritten.
 * Pointers are __u64 (use (__u64)(uintptr_t)p).  Every reserved or padding
 * field, and every output-only field of a request (kc_batch.done and
 * .result, kc_class_stats_req.nr_classes), must be zero (EINVAL otherwise)
 * and reserved fields are returned zeroed.  In a batch, each op record's
 * size must equal kc_batch.op_size, which is at most a page.
 *
 * Operation results (kc_op.result)
 * ================================
 *
 *	0		success
 *	-ENOENT		miss: no such key (or it expired)
 *	-EEXIST		a condition failed: NX on an existing key, or the
 *			CAS version did not match (memcached "EXISTS")
 *	-E2BIG		value larger than item_size_max, or a result would be
 *	-ENAMETOOLONG	key longer than KC_KEY_MAX
 *	-EINVAL		bad argument: empty key, unknown flag, bad combination
 *	-ENOMEM		no memory: the limit is reached and the
 *			KC_EVICT_TRIES least recently used items could not be
 *			evicted, or the kernel could not allocate
 *	-EOVERFLOW	INCR/DECR would overflow a signed 64-bit integer
 *	-EDOM		the value is not a base-10 signed 64-bit integer
 *	-EPROTOTYPE	wrong type: the key holds another kind of value
 *	-ENOSPC		the reply buffer (kc_op.out/out_len) is too small;
 *			kc_op.out_used says how many bytes are needed
 *	-EFAULT		a user pointer in the request is bad
 *	-EPERM		the operation needs CAP_SYS_ADMIN
 *	-ENODEV		the fd's network namespace, and so its cache, is gone
 *	-EOPNOTSUPP	unknown opcode
 *	-ERANGE		an index is out of range (LSET)
 *	-E2BIG		(also) a reply of elements would exceed KC_REPLY_MAX, or the
 *			value and arguments (kc_buf array and bytes) of one
 *			op exceed KC_INPUT_MAX
 *	-ECANCELED	(batch result) a transaction's watched key changed
 *	-ETIMEDOUT	a blocking op's timeout ran out
 *	-EINTR		a blocking op (or SCAN) was interrupted by a signal
 *
 * Generic netlink family "kcache"
 * ===============================
 *
 * The same cache over generic netlink (KC_GENL_NAME, version
 * KC_GENL_VERSION), for tools and scripts; kcache-cli uses it.  A message
 * is a genlmsghdr followed by attributes of enum kc_attr (nested: enum
 * kc_elem_attr, kc_stats_attr, kc_class_attr).  The kernel's YAML spec in
 * Documentation/netlink/specs/kcache.yaml defines the family (each
 * attribute's type and limits are there) and the netlink enums below are
 * generated from it; Documentation/netlink.rst explains it.
 *
 * Every command has its own strict policy: an attribute the command does
 * not take, an unknown or duplicated one (only KC_A_ARG repeats), a wrong
 * length or an out-of-range value is rejected (EINVAL, ERANGE for ranges)
 * with an extended ACK message naming the attribute.  The 16-bit attribute
 * length limits netlink: a value, a message, and the payload of a reply
 * (one value, or the elements as kc_elem records) are at most
 * KC_NL_VALUE_MAX bytes; longer replies fail with EMSGSIZE.  /dev/kcache
 * has no such limit.
 *
 * Permissions.  Each network namespace has its own cache; a request works
 * on the cache of its socket's namespace.  Data commands (KC_CMD_OP, KC_CMD_KEYS,
 * KC_CMD_PUBLISH) are allowed to whoever /dev/kcache's mode lets read and
 * write it (module parameters dev_mode and dev_gid, owner root, or
 * CAP_DAC_OVERRIDE), EACCES otherwise.  KC_CMD_FLUSH, KC_CMD_CONFIG_SET,
 * KC_OP_FLUSH and KC_OP_SWAPDB need CAP_NET_ADMIN (GENL_ADMIN_PERM) in the
 * initial user namespace and CAP_SYS_ADMIN in the one that owns the
 * socket's network namespace (KC_OP_FLUSH and KC_OP_SWAPDB over netlink:
 * both in the initial one),
 * EPERM otherwise.  VERSION, STATS and CONFIG_GET are open to all.
 * Joining a multicast group needs CAP_NET_ADMIN in the namespace's user
 * namespace; events and messages stay in the namespace.
 *
 * KC_CMD_VERSION (do)
 *	Reply: KC_A_VERSION_ABI, KC_A_VERSION_MODULE, KC_A_KEY_MAX,
 *	KC_A_ITEM_SIZE_MAX, KC_A_VALUE_MAX, KC_A_NR_CLASSES.
 *
 * KC_CMD_OP (do)
 *	Runs one operation of the ioctl API (any enum kc_opcode); the
 *	attributes are the fields of struct kc_op.  Request: KC_A_OPCODE
 *	(required), KC_A_FLAGS, KC_A_KEY, KC_A_VALUE, KC_A_NUM, KC_A_NUM2,
 *	KC_A_EXPIRE, KC_A_CAS, KC_A_CLIENT_FLAGS, KC_A_DB (kc_op.db), and
 *	KC_A_ARG repeated for kc_op.args in order; an absent attribute means
 *	0 or empty.  A failed
 *	operation is a netlink error whose errno is the op's result (table
 *	above; ENOSPC becomes EMSGSIZE) with a message saying what failed.
 *	Reply: KC_A_NUM, KC_A_CAS, KC_A_EXPIRE, KC_A_CLIENT_FLAGS (the out
 *	fields of struct kc_op), plus KC_A_VALUE when the op returned a value,
 *	or one KC_A_ELEM (KC_ELEM_A_VALUE or KC_ELEM_A_NIL) per element, in
 *	order, when it returned several (MGET, LRANGE, HGETALL, ...).
 *
 * KC_CMD_KEYS (dump)
 *	Request: KC_A_PATTERN (a glob over the key's bytes: * ? [abc] [a-z]
 *	[^a] and \ to quote; absent: every key), KC_A_TYPE (only keys of that
 *	type), KC_A_DB (the database; absent: 0).  One message per key:
 *	KC_A_KEY, KC_A_TYPE.  Expired keys are left out.  A key present
 *	during the whole dump is in it exactly once, unless a message
 *	carries NLM_F_DUMP_INTR: the index was resized or the walk lost its
 *	place, keys may be missing or repeated; dump again.
 *
 * KC_CMD_STATS (do, dump)
 *	do: KC_A_STATS (struct kc_stats); with KC_A_CLASS_ID in the request,
 *	KC_A_CLASS of that slab class instead.  dump: one message per slab
 *	class, with KC_A_CLASS (struct kc_class_stats: chunks, pages, items
 *	per LRU segment, evictions, reclaimed).
 *
 * KC_CMD_CONFIG_GET (do), KC_CMD_CONFIG_SET (do, admin)
 *	Reply: KC_A_MEMORY_LIMIT_MB, KC_A_NOTIFY, KC_A_AUTOMOVE,
 *	KC_A_ITEM_SIZE_MAX, KC_A_CHUNK_MIN, KC_A_GROWTH_FACTOR_PCT.  SET takes
 *	one or more of the first three and replies with the new values.
 *
 * KC_CMD_FLUSH (do, admin)
 *	Deletes every item; with KC_A_FLAGS KC_FLUSH_DB, those of database
 *	KC_A_DB only.
 *
 * KC_CMD_PUBLISH (do)
 *	Request: KC_A_CHANNEL, KC_A_MESSAGE (may be empty).  Sends both as
 *	KC_CMD_MESSAGE to the KC_MCGRP_PUBSUB group; subscribers filter and
 *	match channel names themselves.
 *
 * KC_CMD_INSTANCES (dump, admin, initial namespace only)
 *	One message per cache instance (one per network namespace that used
 *	the cache): KC_A_NETNS_INO (the namespace's inode number, as
 *	/proc/PID/ns/net shows it), KC_A_STATS (its struct kc_stats).  EPERM
 *	from another namespace or without CAP_NET_ADMIN in the initial user
 *	namespace.  NLM_F_DUMP_INTR: an instance was made or went away during
 *	the dump; dump again.
 *
 * Notifications (never requests)
 *	KC_CMD_MESSAGE on KC_MCGRP_PUBSUB: KC_A_CHANNEL, KC_A_MESSAGE.
 *	KC_CMD_EVENT on KC_MCGRP_KEYSPACE while config notify is 1 (default
 *	0): KC_A_EVENT (enum kc_event), KC_A_DB (the key's database; absent
 *	for a KC_EVENT_FLUSH of every database), KC_A_KEY (absent for
 *	KC_EVENT_FLUSH).
 *	Neither ever waits for a listener: one that does not read fast
 *	enough loses messages, and its next recv() fails with ENOBUFS.
 */
#ifndef _UAPI_LINUX_KCACHE_H
#define _UAPI_LINUX_KCACHE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KC_ABI_VERSION		1
#define KC_DEVICE_NAME		"kcache"

/* Limits of the ABI.  Module parameters may only lower what they bound. */
#define KC_KEY_MAX		250	/* bytes in a key, as memcached */
/*
 * The largest item_size_max (kc_config), Redis's 512 MiB.  A reply of one
 * value (GET, LINDEX, LPOP, HGET ...) is bounded by item_size_max, so
 * whatever is stored can be read back whole; a reply of several elements
 * by KC_REPLY_MAX.  An op's inputs are bounded by KC_INPUT_MAX, but for
 * the value of a SET, ADD or REPLACE outside a transaction, which goes
 * straight into its new item.
 */
#define KC_ITEM_SIZE_LIMIT	(512U << 20)
#define KC_IDLE_MAX		(1U << 30)	/* seconds SETIDLE goes back */
/* HGETALL/HKEYS/HVALS keep insertion order up to this many fields */
#define KC_HASH_ORDER_MAX	4096
#define KC_EVICT_TRIES		5	/* LRU tail items tried before ENOMEM */
#define KC_BATCH_MAX		4096	/* operations in one KC_IOC_BATCH */
#define KC_WATCH_MAX		256	/* watched keys in one transaction */
#define KC_ARGS_MAX		65536	/* entries in kc_op.args */
#define KC_INT_STR_MAX		20	/* "-9223372036854775808" */
#define KC_REPLY_MAX		(64U << 20)	/* bytes in one op's reply of elements */
#define KC_INPUT_MAX		(128U << 20)	/* bytes of one op's value and args */

/* Opcodes (kc_op.opcode). */
enum kc_opcode {
	KC_OP_NOP = 0,		/* does nothing: measures the call path */
	KC_OP_GET,		/* value -> out, cas, client_flags */
	KC_OP_SET,		/* key = val; flags KC_SET_* */
	KC_OP_ADD,		/* SET with KC_SET_NX */
	KC_OP_REPLACE,		/* SET with KC_SET_XX */
	KC_OP_APPEND,		/* val appended; missing: -ENOENT or create */
	KC_OP_PREPEND,		/* (KC_APPEND_CREATE); length -> num */
	KC_OP_DEL,		/* -ENOENT when missing; with KC_SET_CAS too */
	KC_OP_EXISTS,		/* 0 (cas, type in num) or -ENOENT */
	KC_OP_INCRBY,		/* value += num; result in num */
	KC_OP_DECRBY,		/* value -= num; result in num */
	KC_OP_GETBIT,		/* bit num -> num (0 or 1; 0 if missing) */
	KC_OP_SETBIT,		/* bit num = num2 (0 or 1); old bit -> num */
	KC_OP_TOUCH,		/* new expiry from expire/flags, keeps value */
	/*
	 * like TOUCH; flags KC_EXPIRE_NX/XX/GT/LT;
	 * expire <= now deletes the key
	 */
	KC_OP_EXPIRE,
	/*
	 * removes the expiry; -ENOENT, or -EEXIST
	 * when the key had none
	 */
	KC_OP_PERSIST,
	/*
	 * remaining time -> expire (ms, or s with
	 * no KC_TTL_MS flag; with KC_TTL_ABS the
	 * unix time of the expiry); -1 when none
	 */
	KC_OP_TTL,
	KC_OP_MGET,		/* args = keys; out = kc_elem records */
	KC_OP_MSET,		/* args = key, value, ...; KC_SET_NX: MSETNX */
	KC_OP_FLUSH,		/* deletes every item; CAP_SYS_ADMIN */
	KC_OP_STRLEN,		/* value length -> num */
	KC_OP_GETDEL,		/* GET then DEL */
	KC_OP_GETRANGE,		/* bytes num..num2 (Redis, inclusive) -> out */
	KC_OP_SETRANGE,		/* overwrite at offset num with val */
	KC_OP_TYPE,		/* type of the key (enum kc_type) -> num */
	KC_OP_RENAME,		/* key -> val (the new name); KC_SET_NX */

	/* Lists.  Elements in args or val; replies as kc_elem records. */
	/*
	 * args pushed at the head, in order; KC_SET_XX
	 * (LPUSHX); new length -> num
	 */
	KC_OP_LPUSH,
	KC_OP_RPUSH,		/* args pushed at the tail; KC_SET_XX */
	/*
	 * one element, or num of them with
	 * KC_POP_COUNT; count popped -> num
	 */
	KC_OP_LPOP,
	KC_OP_RPOP,
	/*
	 * elements num..num2 (inclusive, negative
	 * from the end)
	 */
	KC_OP_LRANGE,
	KC_OP_LLEN,		/* length -> num */
	KC_OP_LINDEX,		/* element num -> out; -ENOENT outside */
	KC_OP_LSET,		/* element num = val; -ERANGE outside */
	/*
	 * removes num copies of val (num < 0: from
	 * the tail, 0: all); removed -> num
	 */
	KC_OP_LREM,
	KC_OP_LTRIM,		/* keeps num..num2 */
	/*
	 * val before/after (KC_LINSERT_*) the first
	 * args[0]; new length -> num, -1 when the
	 * pivot is missing
	 */
	KC_OP_LINSERT,

	/* Hashes.  A field is in val (one) or args (many). */
	/*
	 * args = field, value, ...; new fields -> num;
	 * KC_SET_NX: only a missing field (HSETNX)
	 */
	KC_OP_HSET,
	KC_OP_HGET,		/* field val -> out */
	KC_OP_HMGET,		/* args = fields -> kc_elem (NIL if missing) */
	KC_OP_HDEL,		/* args = fields; removed -> num */
	KC_OP_HLEN,		/* fields -> num */
	KC_OP_HEXISTS,		/* field val -> num (0 or 1) */
	KC_OP_HGETALL,		/* field, value, field, value, ... */
	KC_OP_HKEYS,
	KC_OP_HVALS,
	KC_OP_HINCRBY,		/* field val += num -> num */
	KC_OP_HSTRLEN,		/* length of field val's value -> num */

	/* Sets. */
	KC_OP_SADD,		/* args = members; added -> num */
	KC_OP_SREM,		/* args = members; removed -> num */
	KC_OP_SMEMBERS,
	KC_OP_SISMEMBER,	/* member val -> num (0 or 1) */
	KC_OP_SMISMEMBER,	/* args -> kc_elem per member, NIL if absent */
	KC_OP_SCARD,		/* members -> num */
	KC_OP_SPOP,		/* one member, or num with KC_POP_COUNT */
	KC_OP_SRANDMEMBER,	/* one, or num (negative: may repeat) */
	KC_OP_SMOVE,		/* member val from key to args[0]; moved -> num */
	KC_OP_SDIFF,		/* args = keys (key unused) -> members */
	KC_OP_SINTER,
	KC_OP_SUNION,
	KC_OP_SDIFFSTORE,	/* key = destination; args = keys; size -> num */
	KC_OP_SINTERSTORE,
	KC_OP_SUNIONSTORE,

	/*
	 * Keyspace iteration, Redis's SCAN: num = cursor (0 to start; 0
	 * returned when done), num2 = COUNT hint (0: 10), client_flags = a
	 * type to keep (0: any), val = glob pattern (empty: all; at most
	 * KC_PATTERN_MAX bytes, as the keys dump's KC_A_PATTERN: -EINVAL
	 * beyond).  Keys as kc_elem records.  A key present for the whole
	 * scan is returned at least once; keys may repeat.  -EINTR when the
	 * caller is killed (the cursor does not move).
	 */
	KC_OP_SCAN,

	/*
	 * Sorted sets (Redis's zsets).  A score travels as the 8 bytes of an
	 * IEEE-754 double in host byte order (never NaN: -EINVAL); scores
	 * order as doubles do (-0 == +0), ties by the member's bytes
	 * (memcmp, then length).  Ranks count from 0.
	 */
	/*
	 * args = score (8 bytes) then member, one kc_buf each pair member;
	 * flags KC_SET_NX/XX (only new / only existing members),
	 * KC_EXPIRE_GT/LT (only a greater / lesser new score), KC_Z_CH
	 * (num counts changed scores too), KC_Z_INCR (one arg: its score is
	 * added to the member's, 0 if new; the new score's bits -> num,
	 * -EEXIST when a condition kept it from changing, -EDOM when the
	 * sum is NaN: +inf + -inf).  Added (or changed) members -> num.
	 */
	KC_OP_ZADD,
	KC_OP_ZREM,		/* args = members; removed -> num */
	KC_OP_ZMSCORE,		/* args = members -> kc_elem scores, NIL if absent */
	KC_OP_ZCARD,		/* members -> num */
	/* member val -> rank (KC_Z_REV: from the highest) in num; -ENOENT */
	KC_OP_ZRANK,
	/*
	 * Members in a range, args[0] .. args[1] (inclusive both): ranks (8
	 * bytes each, signed, negative from the end, as LRANGE), or with
	 * KC_Z_BYSCORE '[' or '(' (exclusive) then 8 bytes of score, or with
	 * KC_Z_BYLEX Redis's syntax: "[m", "(m", "-", "+".  KC_Z_REV walks
	 * from the highest (the range is still min, max).  For score and lex
	 * ranges num = offset, num2 = count (< 0: all) as Redis's LIMIT.
	 * Reply: members (KC_Z_WITHSCORES: member, score, ...), count -> num.
	 * KC_Z_REMOVE also removes them (ZPOPMIN, ZREMRANGEBY*), KC_Z_COUNT
	 * writes no reply (with REMOVE: removed -> num; alone: ZCOUNT).
	 */
	KC_OP_ZRANGE,
	/*
	 * One random member (raw), or with KC_POP_COUNT num of them: distinct
	 * when num >= 0, may repeat when num < 0; KC_Z_WITHSCORES.
	 */
	KC_OP_ZRANDMEMBER,
	/*
	 * Redis's ZUNION, ZINTER, ZDIFF: keyless, args = source keys (sorted
	 * sets, or sets whose members score 1; missing: empty); val = one
	 * 8-byte weight per source (empty: all 1; not for ZDIFF); num =
	 * KC_ZAGG_SUM, _MIN or _MAX.  Reply: the result's members in score order
	 * (KC_Z_WITHSCORES: member, score, ...).  Run exclusively.
	 */
	KC_OP_ZUNION,
	KC_OP_ZINTER,
	KC_OP_ZDIFF,
	/* The same, stored in key (replacing it; empty: deleted); size -> num */
	KC_OP_ZUNIONSTORE,
	KC_OP_ZINTERSTORE,
	KC_OP_ZDIFFSTORE,

	/*
	 * Blocking lists and list moves.  LMOVE: pops the
	 * head (num 0) or tail (num 1) of key and pushes it at the head
	 * (num2 0) or tail (num2 1) of args[0], atomically (runs
	 * exclusively); the element -> out.  -ENOENT: key missing;
	 * -EPROTOTYPE: either is not a list.
	 */
	KC_OP_LMOVE,
	/*
	 * LMPOP: args = keys; pops up to num (>= 1) elements from the head
	 * (num2 0) or tail (num2 1) of the first key that exists.  Reply:
	 * kc_elem records, the key then the elements; -ENOENT: all missing.
	 * Each key is looked at atomically, the keys one after the other.
	 */
	KC_OP_LMPOP,
	/*
	 * BLMOVE, BLMPOP: LMOVE and LMPOP that wait, through KC_IOC_OP
	 * only, until an element arrives: expire = timeout in ms (0:
	 * forever, < 0: -EINVAL).  -ETIMEDOUT when it ran out, -EINTR when
	 * a signal came.  In a batch, a transaction or over netlink they
	 * never wait (as Redis inside MULTI): LMOVE and LMPOP.
	 */
	KC_OP_BLMOVE,
	KC_OP_BLMPOP,

	/*
	 * Databases (Redis's SELECT): every key lives in one of KC_DB_COUNT
	 * databases, kc_op.db (0 for an older caller, and for memcached).
	 * DBSIZE: keys in db -> num (expired ones not yet reaped count, as
	 * in Redis).  MOVE: key goes to database num with its value and
	 * expiry; -ENOENT when missing, -EEXIST when num has the key (then
	 * nothing changes), -EINVAL when num is db or out of range.  SWAPDB:
	 * databases num and num2 trade contents at once for every client
	 * (runs alone, as FLUSH; needs CAP_SYS_ADMIN); -EINVAL out of range;
	 * num == num2 does nothing.
	 */
	KC_OP_DBSIZE,
	KC_OP_MOVE,
	KC_OP_SWAPDB,

	/*
	 * SNAPSHOT, for persistence: SCAN's cursor (num: 0 starts, 0 comes
	 * back at the end) over database db, each key whole: a struct
	 * kc_snap_rec, the key, then the value as nelems records (a string:
	 * its value; a list: its elements in order; a hash: field, value,
	 * ...; a set: its members; a sorted set: member, score (8 bytes, as
	 * ZADD takes it), ... from the lowest score), all kc_elem records.
	 * num2: keys wanted (0: 100, at most 65536); client_flags: the size
	 * of struct kc_snap_rec the caller reads (0: KC_SNAP_REC_SIZE_VER0;
	 * less than that: -EINVAL).  A call returns whole
	 * hash buckets: it stops before a bucket that would overflow
	 * out_len, or fails with -ENOSPC (out_used: the bytes that bucket
	 * needs) when the first one does; -E2BIG past KC_INPUT_MAX plus
	 * item_size_max (not KC_REPLY_MAX: a key's value may be
	 * item_size_max).  Each
	 * key is read atomically (a container under its lock); a key
	 * present for the whole walk comes at least once (may repeat), as
	 * in SCAN.  Expired keys are left out.
	 */
	KC_OP_SNAPSHOT,
	/*
	 * SETIDLE: the key was last accessed num seconds ago (Redis's
	 * RESTORE ... IDLETIME; TTL's num, OBJECT IDLETIME, reports it until
	 * the next access).  num above KC_IDLE_MAX counts as KC_IDLE_MAX,
	 * a negative one is -EINVAL; -ENOENT when missing.
	 */
	KC_OP_SETIDLE,
	__KC_OP_LAST
};

#define KC_OP_MAX (__KC_OP_LAST - 1)

/*
 * struct kc_snap_rec - the first record of a key in a KC_OP_SNAPSHOT reply.
 * Its size is what the caller asked for in kc_op.client_flags (0: VER0),
 * or the kernel's if that is smaller, as openat2's size rule: a reader
 * takes the fields its record length covers.
 */
struct kc_snap_rec {
	__u32 type;		/* enum kc_type */
	__u32 client_flags;	/* memcached's flags word */
	__s64 expire;		/* unix time in ms; 0: none */
	__u64 nelems;		/* value records after the key */
	__u64 cas;		/* CAS version */
	__u64 idle;		/* VER1: seconds since its last access */
};

#define KC_SNAP_REC_SIZE_VER0	32	/* up to cas */
#define KC_SNAP_REC_SIZE_VER1	40	/* idle */

/* How ZUNION and ZINTER combine the scores of a member (kc_op.num). */
#define KC_ZAGG_SUM	0	/* NaN sums (inf + -inf) count as 0, as Redis */
#define KC_ZAGG_MIN	1
#define KC_ZAGG_MAX	2

/* Value types (KC_OP_TYPE). */
enum kc_type {
	KC_TYPE_NONE = 0,
	KC_TYPE_STRING,
	KC_TYPE_LIST,
	KC_TYPE_HASH,
	KC_TYPE_SET,
	KC_TYPE_ZSET,
	__KC_TYPE_LAST
};

#define KC_TYPE_MAX (__KC_TYPE_LAST - 1)

/* kc_op.flags */
enum kc_op_flag {
	KC_SET_NX	= 1U << 0,	/* only if the key does not exist */
	KC_SET_XX	= 1U << 1,	/* only if the key exists */
	KC_SET_CAS	= 1U << 2,	/* only if the item's CAS == kc_op.cas */
	KC_SET_GET	= 1U << 3,	/* old value -> out (num 1), even if NX fails */
	KC_SET_KEEPTTL	= 1U << 4,	/* keep the old expiry */
	KC_TTL_MS	= 1U << 5,	/* expire is in milliseconds */
	KC_TTL_ABS	= 1U << 6,	/* expire is a unix time (s or ms) */
	KC_EXPIRE_NX	= 1U << 7,	/* EXPIRE only if it has none */
	KC_EXPIRE_XX	= 1U << 8,	/* EXPIRE only if it has one */
	KC_EXPIRE_GT	= 1U << 9,	/* EXPIRE only if later */
	KC_EXPIRE_LT	= 1U << 10,	/* EXPIRE only if sooner */
	KC_GET_TOUCH	= 1U << 11,	/* GET also sets the expiry (gat) */
	KC_GET_NOBUMP	= 1U << 12,	/* GET does not count as an access */
	KC_APPEND_CREATE = 1U << 13,	/* APPEND/PREPEND create a missing key */
	/*
	 * LPOP/RPOP/SPOP/SRANDMEMBER: num is a
	 * count, the reply a list
	 */
	KC_POP_COUNT	= 1U << 14,
	KC_LINSERT_BEFORE = 1U << 15,
	KC_LINSERT_AFTER = 1U << 16,
	KC_Z_CH		= 1U << 17,	/* ZADD: count changed scores too */
	KC_Z_INCR	= 1U << 18,	/* ZADD: add to the score */
	KC_Z_BYSCORE	= 1U << 19,	/* ZRANGE: a score range */
	KC_Z_BYLEX	= 1U << 20,	/* ZRANGE: a member range */
	KC_Z_REV	= 1U << 21,	/* ZRANGE, ZRANK: from the highest */
	KC_Z_WITHSCORES	= 1U << 22,	/* ZRANGE, ZRANDMEMBER */
	KC_Z_REMOVE	= 1U << 23,	/* ZRANGE: remove the range */
	KC_Z_COUNT	= 1U << 24,	/* ZRANGE: count only, no reply */
	/*
	 * INCRBY/DECRBY with memcached's rules: num is an unsigned
	 * delta, the value is read as memcached's strtoull (leading
	 * white space, digits, then white space or the end), INCRBY
	 * wraps at 2^64, DECRBY stops at 0, a shorter result is padded
	 * with spaces to the old length, a missing key is -ENOENT (never
	 * created); the result (unsigned) -> num
	 */
	KC_INCR_UNSIGNED = 1U << 25,
	KC_FLUSH_DB	= 1U << 26,	/* FLUSH: only database kc_op.db */
	/*
	 * GET: report the item's state before this read in kc_op.meta
	 * (KC_META_*) and its seconds since the last access in num, and
	 * hand out memcached's refresh token (KC_META_WON) when the item is
	 * stale, or when num2 > 0 and it expires in less than num2 seconds,
	 * and no token was handed out since it was stored (mg's R, W, X, Z)
	 */
	KC_GET_META	= 1U << 27,
	KC_SET_TOKEN	= 1U << 28,	/* SET/ADD: the token is handed out (mg N) */
	/*
	 * DEL: mark the item stale instead (md I), a new CAS, and with
	 * KC_GET_TOUCH a new expiry.  SET with KC_SET_CAS: a cas lower than
	 * the item's stores the value as stale, keeping the item's expiry
	 * and token (ms I)
	 */
	KC_STALE	= 1U << 29,
	KC_BUMP		= 1U << 30,	/* EXISTS: counts as an access (TOUCH) */
	__KC_OP_F_ALL	= (1U << 31) - 1
};

/* kc_op.meta after a GET with KC_GET_META */
#define KC_META_FETCHED	(1U << 0)	/* read before (mg h) */
#define KC_META_TOKEN	(1U << 1)	/* a token was handed out before (Z) */
#define KC_META_STALE	(1U << 2)	/* marked stale (X) */
#define KC_META_WON	(1U << 3)	/* this read got the token (W) */

/*
 * struct kc_buf - one argument of kc_op.args: a key, value, field or member.
 */
struct kc_buf {
	__u64 ptr;		/* user pointer */
	__u32 len;
	__u32 __reserved;	/* must be 0 */
};

/*
 * struct kc_elem - one element of a multi-element reply in kc_op.out.
 * It is followed by len bytes of data and zero padding up to a multiple
 * of 8 bytes; the next kc_elem starts there.  kc_op.num is the element
 * count, kc_op.out_used the bytes written.
 */
struct kc_elem {
	__u32 len;
	__u32 flags;		/* KC_ELEM_NIL: a missing key (len 0) */
};

#define KC_ELEM_NIL		(1U << 0)
#define KC_ELEM_ALIGN		8
#define KC_ELEM_SIZE(len)	(sizeof(struct kc_elem) + \
				 (((len) + KC_ELEM_ALIGN - 1) & \
				  ~(__u32)(KC_ELEM_ALIGN - 1)))

/*
 * struct kc_op - one operation.  Fields marked "in" are read, "out" are
 * written back (from client_flags to the end), whatever the result.
 */
struct kc_op {
	__u32 size;		/* in: sizeof(struct kc_op) */
	__u32 opcode;		/* in: enum kc_opcode */
	__u32 flags;		/* in: enum kc_op_flag */
	__u32 key_len;		/* in: 1 .. KC_KEY_MAX */
	__u64 key;		/* in: user pointer to the key */
	__u64 val;		/* in: user pointer to the value */
	__u32 val_len;		/* in */
	__u32 nargs;		/* in: entries in args */
	__u64 args;		/* in: user pointer to struct kc_buf[nargs] */
	__u64 out;		/* in: user pointer to the reply buffer */
	__u32 out_len;		/* in: its size */
	__u32 client_flags;	/* in/out: memcached's opaque flags word */
	__s64 expire;		/* in/out: expiry (see KC_TTL_*), or TTL */
	__u64 cas;		/* in/out: CAS version */
	__s64 num;		/* in/out: delta, offset; integer result */
	__s64 num2;		/* in: second integer argument */
	__s32 result;		/* out: 0 or -errno */
	__u32 out_used;		/* out: reply bytes written, or needed */
	__u32 db;		/* in: database, 0 .. KC_DB_COUNT - 1 */
	__u32 meta;		/* in: 0; out: KC_META_* (KC_GET_META) */
};

#define KC_OP_SIZE_VER0		104	/* up to out_used: database 0 */
#define KC_OP_SIZE_VER1		112	/* db */

/* Databases: kc_op.db and kc_watch.db, as Redis's SELECT 0..15. */
#define KC_DB_COUNT		16

/* kc_batch.flags */
enum kc_batch_flag {
	KC_BATCH_TXN	= 1U << 0,	/* run as one transaction */
	__KC_BATCH_F_ALL = (1U << 1) - 1
};

/*
 * struct kc_watch - a key watched by a transaction, with the CAS version
 * read when it was watched (0: the key did not exist then).
 */
struct kc_watch {
	__u64 key;
	__u32 key_len;
	__u32 db;		/* its database, as kc_op.db */
	__u64 cas;
};

/*
 * struct kc_batch - many operations in one call.  ops points to count
 * records of op_size bytes each (op_size is sizeof(struct kc_op) of the
 * caller); each record is read and written back like a single KC_IOC_OP.
 */
struct kc_batch {
	__u32 size;		/* in: sizeof(struct kc_batch) */
	__u32 flags;		/* in: enum kc_batch_flag */
	__u32 count;		/* in: 0 .. KC_BATCH_MAX */
	__u32 op_size;		/* in: stride of ops */
	__u64 ops;		/* in: user pointer */
	__u64 watch;		/* in: user pointer to struct kc_watch[] */
	__u32 nwatch;		/* in: 0 .. KC_WATCH_MAX (KC_BATCH_TXN only) */
	__u32 done;		/* out: operations that ran */
	/*
	 * out: 0, or -ECANCELED (watch), or an
	 * error that stopped the batch early
	 */
	__s32 result;
	__u32 __reserved;	/* must be 0 */
};

#define KC_BATCH_SIZE_VER0	48

/* struct kc_version - KC_IOC_VERSION. */
struct kc_version {
	__u32 abi_version;	/* KC_ABI_VERSION */
	__u32 key_max;		/* KC_KEY_MAX */
	__u32 item_size_max;	/* largest value, bytes */
	__u32 op_size;		/* sizeof(struct kc_op) of the kernel */
	__u32 batch_max;	/* KC_BATCH_MAX */
	__u32 nr_classes;	/* slab classes */
};

/* struct kc_stats - KC_IOC_STATS: global counters. */
struct kc_stats {
	__u32 size;		/* in: caller's size; out: kernel's size */
	__u32 nr_classes;
	__u64 limit_bytes;	/* memory limit */
	__u64 used_bytes;	/* slab pages + large items in use */
	__u64 slab_pages;	/* 1 MiB pages given to classes */
	__u64 large_bytes;	/* memory of items in the large class */
	__u64 curr_items;
	__u64 total_items;	/* items ever stored */
	__u64 bytes;		/* bytes of keys and values stored */
	__u64 get_hits;
	__u64 get_misses;
	__u64 get_expired;	/* misses because the item had expired */
	__u64 cmd_get;
	__u64 cmd_set;
	__u64 cmd_touch;
	__u64 delete_hits;
	__u64 delete_misses;
	__u64 incr_hits;
	__u64 incr_misses;
	__u64 cas_hits;
	__u64 cas_badval;
	__u64 cas_misses;
	__u64 evictions;
	__u64 expired_unfetched;
	__u64 evicted_unfetched;
	__u64 reclaimed;	/* expired items reclaimed (lazily or crawler) */
	__u64 crawler_reclaimed;
	__u64 outofmemory;	/* ENOMEM after KC_EVICT_TRIES */
	__u64 slabs_moved;	/* pages moved between classes */
	__u64 shrinker_freed;	/* items freed by memory pressure */
	__u64 hash_items;	/* entries in the index */
	__u64 uptime_ms;
	__u64 cas_counter;	/* last CAS version handed out */
};

/* struct kc_class_stats - one slab class. */
struct kc_class_stats {
	__u32 id;
	__u32 chunk_size;	/* bytes per chunk; 0 for the large class */
	__u32 chunks_per_page;
	__u32 __reserved;
	__u64 pages;
	__u64 used_chunks;
	__u64 free_chunks;
	__u64 items;		/* linked items */
	__u64 hot;		/* items in each LRU segment */
	__u64 warm;
	__u64 cold;
	__u64 evictions;
	__u64 reclaimed;
	__u64 outofmemory;
	__u64 mem_requested;	/* bytes of the items in this class */
};

/*
 * struct kc_class_stats_req - KC_IOC_CLASS_STATS.  Entries are elem_size
 * apart; each gets the first elem_size bytes of the kernel's struct
 * kc_class_stats (at least KC_CLASS_STATS_SIZE_MIN: id and chunk_size),
 * zeroes past the kernel's struct.
 */
struct kc_class_stats_req {
	__u32 size;		/* in: sizeof(struct kc_class_stats_req) */
	__u32 elem_size;	/* in: sizeof(struct kc_class_stats) */
	__u32 count;		/* in: room in buf; out: classes written */
	__u32 nr_classes;	/* out: classes the kernel has */
	__u64 buf;		/* in: user pointer */
};

#define KC_CLASS_STATS_REQ_SIZE_VER0	24
#define KC_CLASS_STATS_SIZE_MIN		8

/* kc_config.set_mask: which fields a KC_IOC_CONFIG call changes. */
enum kc_config_field {
	KC_CONFIG_MEMORY_LIMIT	= 1U << 0,
	KC_CONFIG_NOTIFY	= 1U << 1,
	KC_CONFIG_AUTOMOVE	= 1U << 2,
	KC_CONFIG_ITEM_SIZE_MAX	= 1U << 3,
	KC_CONFIG_NOEVICT	= 1U << 4,
	__KC_CONFIG_ALL		= (1U << 5) - 1
};

/* struct kc_config - KC_IOC_CONFIG. */
struct kc_config {
	__u32 size;		/* in: sizeof(struct kc_config) */
	__u32 set_mask;		/* in: 0 reads; else fields to change */
	__u64 memory_limit_mb;	/* in/out */
	__u32 notify;		/* in/out: keyspace events on (1) or off */
	__u32 automove;		/* in/out: slab page rebalancing on (1) */
	__u32 item_size_max;	/* in/out: 1024 .. KC_ITEM_SIZE_LIMIT */
	__u32 chunk_min;	/* out */
	__u32 growth_factor_pct; /* out: e.g. 125 for 1.25 */
	/*
	 * in/out: 1: a live key is never evicted, a store that needs
	 * memory past the limit fails with -ENOMEM (Redis's noeviction;
	 * expired keys are still reclaimed); 0 (the default): least
	 * recently used keys are evicted (allkeys-lru).
	 */
	__u32 noevict;
};

#define KC_CONFIG_SIZE_VER0	40

/*
 * struct kc_wait - KC_IOC_WAIT: the keys this fd waits on.  poll() and
 * epoll report EPOLLIN once a list was pushed to under one of them (or
 * under a key whose hash shares its wait queue: spurious readiness is
 * possible, missed readiness is not).  Each call clears the readiness and
 * replaces the fd's keys, or adds to them with KC_WAIT_ADD; nkeys 0
 * without KC_WAIT_ADD stops waiting.  The keys live until the fd is
 * closed.
 */
struct kc_wait {
	__u32 size;		/* in: sizeof(struct kc_wait) */
	__u32 flags;		/* in: enum kc_wait_flag */
	__u32 nkeys;		/* in: 0 .. KC_WAIT_KEYS_MAX */
	__u32 __reserved;	/* must be 0 */
	__u64 keys;		/* in: user pointer to struct kc_buf[nkeys] */
};

enum kc_wait_flag {
	KC_WAIT_ADD	= 1U << 0,	/* add to the keys, do not replace */
	__KC_WAIT_F_ALL	= (1U << 1) - 1
};

#define KC_WAIT_SIZE_VER0	24
#define KC_WAIT_KEYS_MAX	1024	/* keys in one KC_IOC_WAIT call */

#define KC_IOC_MAGIC		0xBC
#define KC_IOC_VERSION		_IOR(KC_IOC_MAGIC, 0x00, struct kc_version)
#define KC_IOC_OP		_IO(KC_IOC_MAGIC, 0x01)
#define KC_IOC_BATCH		_IO(KC_IOC_MAGIC, 0x02)
#define KC_IOC_STATS		_IO(KC_IOC_MAGIC, 0x03)
#define KC_IOC_CLASS_STATS	_IO(KC_IOC_MAGIC, 0x04)
#define KC_IOC_CONFIG		_IO(KC_IOC_MAGIC, 0x05)
#define KC_IOC_WAIT		_IO(KC_IOC_MAGIC, 0x06)

/*
 * Generic netlink (see the top of this file).  The limits and kc_event are
 * written here by hand (Documentation/netlink/specs/kcache.yaml names
 * them with "header: linux/kcache.h"); the rest is generated from that
 * spec by the kernel's YNL generator, between the YNL-GEN markers.
 */
#define KC_NL_VALUE_MAX		65531	/* 0xffff - NLA_HDRLEN */
/*
 * Bytes in a glob: KC_A_PATTERN and KC_OP_SCAN's val.  Matching costs up
 * to pattern x key length per key; 1024 is 4 pattern bytes (a set like
 * [a-z]) for each of KC_KEY_MAX key bytes.
 */
#define KC_PATTERN_MAX		1024
#define KC_CHANNEL_MAX		256	/* bytes in a KC_A_CHANNEL */

/* Keyspace events (KC_A_EVENT). */
enum kc_event {
	KC_EVENT_NONE,
	KC_EVENT_SET,		/* the key was written (any write op) */
	KC_EVENT_DEL,		/* deleted (DEL, GETDEL, RENAME, EXPIRE <= now) */
	KC_EVENT_EXPIRE,	/* removed because its time ran out */
	KC_EVENT_EVICT,		/* evicted to make room (LRU, memory pressure) */
	KC_EVENT_FLUSH,		/* every key deleted; no KC_A_KEY */
	__KC_EVENT_LAST
};

#define KC_EVENT_MAX (__KC_EVENT_LAST - 1)

/* YNL-GEN uapi begin: `make netlink-gen` writes what follows */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/kcache.yaml */

#define KC_GENL_NAME	"kcache"
#define KC_GENL_VERSION	1

enum kc_attr {
	KC_A_UNSPEC,
	KC_A_VERSION_ABI,
	KC_A_VERSION_MODULE,
	KC_A_PAD,
	KC_A_KEY_MAX,
	KC_A_ITEM_SIZE_MAX,
	KC_A_VALUE_MAX,
	KC_A_NR_CLASSES,
	KC_A_OPCODE,
	KC_A_FLAGS,
	KC_A_KEY,
	KC_A_VALUE,
	KC_A_NUM,
	KC_A_NUM2,
	KC_A_EXPIRE,
	KC_A_CAS,
	KC_A_CLIENT_FLAGS,
	KC_A_ARG,
	KC_A_ELEM,
	KC_A_PATTERN,
	KC_A_TYPE,
	KC_A_STATS,
	KC_A_CLASS,
	KC_A_CLASS_ID,
	KC_A_MEMORY_LIMIT_MB,
	KC_A_NOTIFY,
	KC_A_AUTOMOVE,
	KC_A_CHUNK_MIN,
	KC_A_GROWTH_FACTOR_PCT,
	KC_A_CHANNEL,
	KC_A_MESSAGE,
	KC_A_EVENT,
	KC_A_NETNS_INO,
	KC_A_DB,
	KC_A_META,
	KC_A_NOEVICT,

	__KC_A_LAST
};
#define KC_A_MAX (__KC_A_LAST - 1)

enum kc_elem_attr {
	KC_ELEM_A_UNSPEC,
	KC_ELEM_A_VALUE,
	KC_ELEM_A_NIL,

	__KC_ELEM_A_LAST
};
#define KC_ELEM_A_MAX (__KC_ELEM_A_LAST - 1)

enum kc_stats_attr {
	KC_STATS_A_UNSPEC,
	KC_STATS_A_PAD,
	KC_STATS_A_NR_CLASSES,
	KC_STATS_A_LIMIT_BYTES,
	KC_STATS_A_USED_BYTES,
	KC_STATS_A_SLAB_PAGES,
	KC_STATS_A_LARGE_BYTES,
	KC_STATS_A_CURR_ITEMS,
	KC_STATS_A_TOTAL_ITEMS,
	KC_STATS_A_BYTES,
	KC_STATS_A_GET_HITS,
	KC_STATS_A_GET_MISSES,
	KC_STATS_A_GET_EXPIRED,
	KC_STATS_A_CMD_GET,
	KC_STATS_A_CMD_SET,
	KC_STATS_A_CMD_TOUCH,
	KC_STATS_A_DELETE_HITS,
	KC_STATS_A_DELETE_MISSES,
	KC_STATS_A_INCR_HITS,
	KC_STATS_A_INCR_MISSES,
	KC_STATS_A_CAS_HITS,
	KC_STATS_A_CAS_BADVAL,
	KC_STATS_A_CAS_MISSES,
	KC_STATS_A_EVICTIONS,
	KC_STATS_A_EXPIRED_UNFETCHED,
	KC_STATS_A_EVICTED_UNFETCHED,
	KC_STATS_A_RECLAIMED,
	KC_STATS_A_CRAWLER_RECLAIMED,
	KC_STATS_A_OUTOFMEMORY,
	KC_STATS_A_SLABS_MOVED,
	KC_STATS_A_SHRINKER_FREED,
	KC_STATS_A_HASH_ITEMS,
	KC_STATS_A_UPTIME_MS,
	KC_STATS_A_CAS_COUNTER,

	__KC_STATS_A_LAST
};
#define KC_STATS_A_MAX (__KC_STATS_A_LAST - 1)

enum kc_class_attr {
	KC_CLASS_A_UNSPEC,
	KC_CLASS_A_PAD,
	KC_CLASS_A_ID,
	KC_CLASS_A_CHUNK_SIZE,
	KC_CLASS_A_CHUNKS_PER_PAGE,
	KC_CLASS_A_PAGES,
	KC_CLASS_A_USED_CHUNKS,
	KC_CLASS_A_FREE_CHUNKS,
	KC_CLASS_A_ITEMS,
	KC_CLASS_A_HOT,
	KC_CLASS_A_WARM,
	KC_CLASS_A_COLD,
	KC_CLASS_A_EVICTIONS,
	KC_CLASS_A_RECLAIMED,
	KC_CLASS_A_OUTOFMEMORY,
	KC_CLASS_A_MEM_REQUESTED,

	__KC_CLASS_A_LAST
};
#define KC_CLASS_A_MAX (__KC_CLASS_A_LAST - 1)

enum kc_cmd {
	KC_CMD_UNSPEC,
	KC_CMD_VERSION,
	KC_CMD_OP,
	KC_CMD_KEYS,
	KC_CMD_STATS,
	KC_CMD_CONFIG_GET,
	KC_CMD_CONFIG_SET,
	KC_CMD_FLUSH,
	KC_CMD_PUBLISH,
	KC_CMD_MESSAGE,
	KC_CMD_EVENT,
	KC_CMD_INSTANCES,

	__KC_CMD_LAST
};
#define KC_CMD_MAX (__KC_CMD_LAST - 1)

#define KC_MCGRP_PUBSUB		"pubsub"
#define KC_MCGRP_KEYSPACE	"keyspace"
/* YNL-GEN uapi end */

#endif /* _UAPI_LINUX_KCACHE_H */
