/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdb - Redis's RDB snapshot format, written and read in userspace.
 *
 * Written here from the format's published facts (Documentation/
 * persistence.rst lists them); no Redis code.  Used by kcache-cli
 * (save/restore) and kcache-proxy (DUMP/RESTORE).
 *
 * Writer.  struct kc_rdb_w collects bytes in memory and, when fd >= 0,
 * flushes them to fd as it grows; the CRC-64 (Redis's: Jones polynomial,
 * reflected, init 0) runs over every byte.  Files are RDB version 10 as
 * Redis 7.0 writes them: header, aux fields, SELECTDB/RESIZEDB, keys,
 * EOF and the CRC.  Values use encodings Redis 7.0 loads: strings raw
 * or integer-encoded, lists/hashes/sets in the plain encodings (type 1, 4,
 * 2: one length and the elements), sorted sets as Redis 7.0 writes them
 * by default: a listpack (type 17) up to 128 members of up to 64 bytes,
 * else member and binary score pairs (type 5), highest score first.
 * memcached client flags of a key go in
 * an aux field "kcache-flags" right before it (Redis ignores unknown aux
 * fields).
 *
 * Reader.  kc_rdb_parse() walks a whole file in memory and calls back per
 * key; kc_rdb_parse_value() reads one DUMP payload.  Every read is bounds
 * checked: a corrupt or truncated input returns -EBADMSG with the offset
 * and reason in struct kc_rdb_err, never reads outside the buffer.
 */
#ifndef KC_RDB_H
#define KC_RDB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KC_RDB_VERSION		10	/* what we write (Redis 7.0) */
#define KC_RDB_VERSION_MAX	11	/* what we read (7.0, and 7.2's sets) */

/* Value types as kcache knows them (same numbers as enum kc_type). */
enum kc_rdb_type {
	KC_RDB_STRING = 1,
	KC_RDB_LIST,
	KC_RDB_HASH,
	KC_RDB_SET,
	KC_RDB_ZSET,
};

struct kc_rdb_str {
	const unsigned char *p;
	size_t len;
};

/*
 * One key.  elems: string 1 element, list n elements in order, hash n =
 * 2 * fields (field, value, ...), set n members, sorted set n = 2 *
 * members (member, score, ...) with each score the 8 bytes of a double in
 * host byte order, never NaN, ascending by score then member bytes (as
 * KC_OP_ZRANGE's KC_Z_WITHSCORES reply; the reader sorts, the writer
 * expects this order).
 * Pointers are valid only during the callback.
 */
struct kc_rdb_item {
	int type;			/* enum kc_rdb_type */
	unsigned int db;		/* its SELECTDB, 0 .. KC_DB_COUNT - 1 */
	struct kc_rdb_str key;
	int64_t expire_ms;		/* unix ms, or -1: none */
	int64_t idle_s;			/* LRU idle seconds (OP_IDLE), or -1
					 * (the writer: 0 or less, none) */
	int has_flags;
	uint32_t client_flags;		/* from the kcache-flags aux field */
	size_t n;
	const struct kc_rdb_str *elems;
};

struct kc_rdb_err {
	size_t off;			/* byte offset of the fault */
	char msg[160];
};

struct kc_rdb_stats {
	uint64_t keys;			/* keys handed to the callback */
	uint64_t expired;		/* keys dropped: expiry before now_ms */
	uint64_t skipped;		/* keys of unsupported types skipped */
	uint64_t skipped_by_type[32];	/* by RDB type byte (capped at 31) */
	uint64_t aux_skipped;		/* module/function aux records */
	unsigned int version;
	uint64_t ctime;			/* aux ctime, 0 if none */
};

typedef int (*kc_rdb_item_fn)(void *ctx, const struct kc_rdb_item *it);
/* Called once per skipped record class with a human message. */
typedef void (*kc_rdb_warn_fn)(void *ctx, const char *msg);

struct kc_rdb_parse_opts {
	kc_rdb_item_fn item;		/* NULL: validate only */
	kc_rdb_warn_fn warn;		/* may be NULL */
	void *ctx;
	int64_t now_ms;			/* drop keys expiring at or before */
};

/*
 * Parses a whole RDB file.  0, -EBADMSG (corrupt, err says where and why;
 * also a SELECTDB of a database kcache does not have, KC_DB_COUNT or
 * more), -ENOMEM, or the callback's negative return (parsing stops).
 */
int kc_rdb_parse(const void *buf, size_t len,
		 const struct kc_rdb_parse_opts *o, struct kc_rdb_stats *st,
		 struct kc_rdb_err *err);

/*
 * Parses a DUMP payload (type byte, value, 2-byte RDB version, CRC-64).
 * -EBADMSG for a wrong version or checksum (err.msg says which) or a bad
 * value; -EOPNOTSUPP for a type kcache does not have.  it->key is empty,
 * expire -1.  The callback gets the item.
 */
int kc_rdb_parse_value(const void *buf, size_t len, kc_rdb_item_fn fn,
		       void *ctx, struct kc_rdb_err *err);

/* Writer */
struct kc_rdb_w {
	unsigned char *p;
	size_t len, cap;
	uint64_t crc;			/* over flushed bytes */
	uint64_t total;			/* bytes written to fd */
	int fd;				/* -1: keep everything in memory */
	int err;			/* first -errno, sticky */
};

void kc_rdb_w_init(struct kc_rdb_w *w, int fd);
void kc_rdb_w_free(struct kc_rdb_w *w);
/* "REDIS0010" and the aux fields (ctime in unix seconds). */
int kc_rdb_w_header(struct kc_rdb_w *w, int64_t ctime, uint64_t used_mem);
int kc_rdb_w_selectdb(struct kc_rdb_w *w, unsigned int db, uint64_t keys,
		      uint64_t expires);
int kc_rdb_w_aux(struct kc_rdb_w *w, const char *name, const void *val,
		 size_t vlen);
/* Key record: kcache-flags aux (if has_flags), expiry, type, key, value. */
int kc_rdb_w_item(struct kc_rdb_w *w, const struct kc_rdb_item *it);
/* Type byte and value only (DUMP's body). */
int kc_rdb_w_value(struct kc_rdb_w *w, const struct kc_rdb_item *it);
/* EOF opcode and CRC; flushes.  Returns w->err. */
int kc_rdb_w_finish(struct kc_rdb_w *w);
/* DUMP trailer: version 10 and CRC-64 of all bytes so far (memory only). */
int kc_rdb_w_dump_trailer(struct kc_rdb_w *w);

/*
 * Whole files through /dev/kcache (rdbfile.c): what kcache-cli's save and
 * restore and kcache-proxy's SAVE, BGSAVE and start-up load use.
 */
struct kc_rdb_save_info {
	uint64_t keys;			/* keys written */
	uint64_t bytes;			/* file size */
	uint64_t retries;		/* keys read again (grew, changed type) */
};

/*
 * Writes every key of the cache behind kfd (a /dev/kcache fd) to path as
 * an RDB file: path.tmp.PID, fsync, rename, fsync of the directory.  Each
 * non-empty database gets its SELECTDB and RESIZEDB, in order, as
 * redis-server writes them.  Each key is read atomically; the snapshot is
 * fuzzy (persistence.rst).  0 or -errno, with msg saying what failed; on
 * error path is untouched.
 */
int kc_rdb_save_file(int kfd, const char *path, struct kc_rdb_save_info *si,
		     char *msg, size_t msglen);

struct kc_rdb_load_opts {
	kc_rdb_warn_fn warn;		/* skipped records; may be NULL */
	void *ctx;
};

struct kc_rdb_load_info {
	struct kc_rdb_stats st;		/* what the file held */
	uint64_t keys;			/* keys written to the cache */
	uint64_t other_db;		/* of them, into databases other than 0 */
	uint64_t retries;		/* batches retried on -ENOMEM */
	int partial;			/* loading failed after keys were written */
};

/*
 * Validates all of path (structure, values, checksum, databases) and, when
 * kfd >= 0, then loads it, each key into the database its SELECTDB names
 * (replacing a key of that name there).  A corrupt file returns -EBADMSG
 * with msg "offset N: reason" and loads nothing; an error while loading
 * sets partial and msg names the key.  Other errors: -errno (open, mmap).
 */
int kc_rdb_load_file(int kfd, const char *path,
		     const struct kc_rdb_load_opts *lo,
		     struct kc_rdb_load_info *li, char *msg, size_t msglen);
/* "stream", "module", ... for an RDB type byte. */
const char *kc_rdb_type_name(unsigned int t);

uint64_t kc_crc64(uint64_t crc, const void *p, size_t len);
/* LZF: bytes written to out, or -1 when in is corrupt or out too small. */
long kc_lzf_decompress(const void *in, size_t inlen, void *out, size_t outlen);

#ifdef __cplusplus
}
#endif

#endif /* KC_RDB_H */
