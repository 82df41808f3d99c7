#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""kcache-proxy, Redis side, at the byte level.

Sends the same commands to kcache-proxy and to a reference redis-server
(Debian's, on loopback) and requires byte-identical replies, so error texts
and reply types match what clients expect; then checks malformed input on
the proxy alone: each bad frame gets Redis's protocol error and a closed
connection, and other clients keep being served.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kcp import Proxy, Raw, Reference, Tap, cmd, resp_count, resp_upto, resp_reply_len  # noqa: E402

# Replies that depend only on the commands before them: compared byte for byte.
SCRIPT = [
    ("FLUSHALL",), ("PING",), ("PING", "hi"), ("ECHO", "x\r\ny"), ("SELECT", "0"),
    ("SELECT", "x"),
    ("SET", "k", "v"), ("GET", "k"), ("GET", "nokey"), ("SET", "k", "v2", "NX"),
    ("SET", "k", "v3", "XX"), ("SET", "nk", "v", "XX"), ("SET", "k", "v4", "GET"),
    ("SET", "nk2", "v", "GET"), ("SET", "k", "v5", "NX", "XX"), ("SET", "k", "v", "EX", "0"),
    ("SET", "k", "v", "EX", "-1"), ("SET", "k", "v", "EX", "abc"), ("SET", "k", "v", "PX"),
    ("SET", "k", "v", "KEEPTTL", "EX", "10"), ("SET", "k", "v", "EX", "10", "PX", "10"),
    ("SET", "k", "v", "EX", "100"), ("TTL", "k"), ("PTTL", "nokey"), ("TTL", "nokey"),
    ("PERSIST", "k"), ("TTL", "k"), ("PERSIST", "k"), ("PERSIST", "nokey"),
    ("SET", "k", "v", "EX", "100"), ("SET", "k", "w", "KEEPTTL"), ("TTL", "k"), ("GET", "k"),
    ("SET", "k", "v", "NX", "GET"), ("SET", "newnx", "v", "NX", "GET"), ("GET", "newnx"),
    ("SETNX", "k", "x"), ("SETNX", "sn", "x"), ("SETEX", "se", "10", "v"), ("TTL", "se"),
    ("SETEX", "se", "0", "v"), ("SETEX", "se", "x", "v"), ("PSETEX", "pe", "-5", "v"),
    ("GETSET", "k", "g"), ("GETSET", "gs", "g"), ("GETDEL", "k"), ("GETDEL", "k"),
    ("APPEND", "a", "hello"), ("APPEND", "a", " world"), ("STRLEN", "a"), ("STRLEN", "nokey"),
    ("GETRANGE", "a", "0", "4"), ("GETRANGE", "a", "-5", "-1"), ("GETRANGE", "a", "5", "2"),
    ("GETRANGE", "a", "-100", "100"), ("SET", "g1", "x"), ("GETRANGE", "g1", "-1", "-3"), ("GETRANGE", "g1", "-3", "-1"), ("GETRANGE", "nokey", "0", "1"), ("GETRANGE", "a", "0", "x"),
    ("SUBSTR", "a", "1", "3"),
    ("MSET", "lcs1", "ohmytext", "lcs2", "mynewtext"), ("LCS", "lcs1", "lcs2"),
    ("LCS", "lcs1", "lcs2", "LEN"), ("LCS", "lcs1", "lcs2", "IDX"),
    ("LCS", "lcs1", "lcs2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
    ("LCS", "lcs1", "nokey"), ("LCS", "nokey", "nokey2", "IDX"), ("LCS", "lcs1", "lcs2", "LEN", "IDX"),
    ("LCS", "lcs1", "lcs2", "MINMATCHLEN", "x"), ("LCS", "lcs1"), ("LCS", "lcs1", "lcs1", "IDX", "WITHMATCHLEN"),
    ("DEL", "sl", "w_1", "w_2", "w_3", "h_1", "h_2", "sdst", "sset", "szs", "sbad", "sstr"),
    ("RPUSH", "sl", "3", "1", "2", "10"), ("SORT", "sl"), ("SORT", "sl", "DESC"), ("SORT", "sl", "ALPHA"),
    ("SORT", "sl", "LIMIT", "1", "2"), ("SORT", "sl", "LIMIT", "-5", "100"), ("SORT", "sl", "LIMIT", "10", "1"),
    ("MSET", "w_1", "30", "w_2", "20", "w_3", "10"), ("SORT", "sl", "BY", "w_*"),
    ("SORT", "sl", "BY", "w_*", "GET", "#", "GET", "w_*"), ("HSET", "h_1", "f", "a"), ("HSET", "h_2", "f", "b"),
    ("SORT", "sl", "GET", "h_*->f", "GET", "nostar", "GET", "h_*->"), ("SORT", "sl", "BY", "nosort"),
    ("SORT", "sl", "BY", "nosort", "DESC", "LIMIT", "1", "2"), ("SORT", "sl", "STORE", "sdst"),
    ("LRANGE", "sdst", "0", "-1"), ("SORT", "sl", "BY", "w_*", "GET", "w_*", "STORE", "sdst"),
    ("LRANGE", "sdst", "0", "-1"), ("SORT", "nokey", "STORE", "sdst"), ("EXISTS", "sdst"),
    ("RPUSH", "sbad", "1", "x"), ("SORT", "sbad"), ("SORT", "sbad", "ALPHA"), ("SADD", "sset", "5", "3", "9"),
    ("SORT", "sset"), ("SORT", "sset", "BY", "nosort", "STORE", "sdst"), ("LRANGE", "sdst", "0", "-1"),
    ("ZADD", "szs", "1", "c", "2", "a", "3", "b"), ("SORT", "szs", "ALPHA"), ("SORT", "szs", "BY", "nosort"),
    ("SORT", "szs", "BY", "nosort", "DESC", "LIMIT", "0", "2"), ("SORT", "sl", "LIMIT", "x", "1"),
    # inside MULTI (sorted before the transaction, the keys read watched)
    ("MULTI",), ("SORT", "szs", "BY", "nosort", "ASC"), ("SORT", "szs", "BY", "nosort", "DESC"),
    ("SORT", "sl", "BY", "w_*", "GET", "#", "GET", "h_*->f"), ("SORT_RO", "sl", "DESC", "LIMIT", "0", "2"),
    ("SORT", "sl", "STORE", "smdst"), ("LRANGE", "smdst", "0", "-1"), ("SORT", "sbad"),
    ("SORT", "nokey"), ("SORT", "sl", "BY", "x", "LIMIT", "y", "1"), ("SET", "sstr", "v"), ("EXEC",),
    ("MULTI",), ("SORT", "sstr"), ("SORT", "sl", "STORE", "smdst"), ("EXEC",), ("DEL", "smdst", "sstr"),
    ("SORT", "sl", "NOPE"), ("SORT_RO", "sl", "STORE", "x"), ("SORT_RO", "sl", "DESC"), ("SET", "sstr", "1"),
    ("SORT", "sstr"), ("SORT", "sstr", "NOPE"), ("SORT", "nokey"),
    ("SETRANGE", "a", "6", "WORLD"), ("GET", "a"), ("SETRANGE", "sr", "3", "x"), ("GET", "sr"),
    ("SETRANGE", "a", "-1", "x"), ("SETRANGE", "e", "0", ""), ("EXISTS", "e"),
    ("INCR", "n"), ("INCRBY", "n", "10"), ("DECR", "n"), ("DECRBY", "n", "3"), ("INCRBY", "n", "x"),
    ("INCRBY", "n", "1.5"), ("INCR", "a"), ("SET", "big", "9223372036854775807"), ("INCR", "big"),
    ("DECRBY", "n", "-9223372036854775808"), ("SET", "sp", " 1"), ("INCR", "sp"),
    ("SET", "lz", "01"), ("INCR", "lz"), ("SET", "neg", "-5"), ("DECRBY", "neg", "5"),
    ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "0.1"), ("INCRBYFLOAT", "f", "abc"),
    ("INCRBYFLOAT", "a", "1"), ("SET", "f2", "3.0"), ("INCRBYFLOAT", "f2", "1e2"),
    ("INCRBYFLOAT", "f2", "-103"), ("INCRBYFLOAT", "f3", "5.0e3"),
    ("GETBIT", "b", "7"), ("SETBIT", "b", "7", "1"), ("GETBIT", "b", "7"), ("GET", "b"),
    ("SETBIT", "b", "0", "2"), ("SETBIT", "b", "-1", "1"), ("GETBIT", "b", "x"),
    ("SETBIT", "b", "20", "1"), ("GET", "b"), ("GETBIT", "b", "1000"), ("GETBIT", "nokey", "3"),
    # bitmaps: arguments are looked at after the key (missing: 0, WRONGTYPE first)
    ("SET", "bs", "foobar"), ("SET", "be", ""), ("RPUSH", "bl", "x"), ("SET", "bf", b"\xff\xff"),
    ("BITCOUNT", "bs"), ("BITCOUNT", "bs", "1", "1"), ("BITCOUNT", "bs", "1", "1", "BIT"),
    ("BITCOUNT", "bs", "5", "30", "bit"), ("BITCOUNT", "bs", "-2", "-1", "BYTE"), ("BITCOUNT", "bs", "-1", "-3"),
    ("BITCOUNT", "bs", "-1", "-3", "nope"), ("BITCOUNT", "bs", "-100", "100"), ("BITCOUNT", "bs", "0"),
    ("BITCOUNT", "bs", "0", "x"), ("BITCOUNT", "bs", "0", "1", "nope"), ("BITCOUNT", "bs", "0", "1", "bit", "1"),
    ("BITCOUNT", "bs", "-9223372036854775808", "9223372036854775807", "bit"), ("BITCOUNT", "be", "0", "-1"),
    ("BITCOUNT", "nokey", "x", "y", "z"), ("BITCOUNT", "bl", "0", "x"), ("BITCOUNT",),
    ("BITPOS", "bs", "1"), ("BITPOS", "bs", "0"), ("BITPOS", "bs", "1", "2"), ("BITPOS", "bs", "1", "-1"),
    ("BITPOS", "bs", "1", "7", "15", "BIT"), ("BITPOS", "bs", "1", "-3", "-1", "bit"), ("BITPOS", "bs", "1", "3", "1"),
    ("BITPOS", "bf", "0"), ("BITPOS", "bf", "0", "1"), ("BITPOS", "bf", "0", "0", "-1"), ("BITPOS", "bf", "0", "3", "bit"),
    ("BITPOS", "be", "0"), ("BITPOS", "nokey", "0"), ("BITPOS", "nokey", "1", "x"), ("BITPOS", "nokey", "2"),
    ("BITPOS", "bl", "1"), ("BITPOS", "bl", "2"), ("BITPOS", "bs", "x"), ("BITPOS", "bs", "1", "x", "1", "nope"),
    ("BITPOS", "bs", "1", "0", "x", "nope"), ("BITPOS", "bs", "1", "0", "1", "bit", "5"), ("BITPOS", "bs", "01"),
    ("BITOP", "AND", "bd", "bs", "be"), ("GET", "bd"), ("BITOP", "or", "bd", "bs", "nokey"), ("GET", "bd"),
    ("BITOP", "XOR", "bd", "bs", "bs"), ("GET", "bd"), ("BITOP", "NOT", "bd", "bf"), ("GET", "bd"),
    ("BITOP", "NOT", "bd", "bs", "bf"), ("BITOP", "FOO", "bd", "bs"), ("BITOP", "AND", "bd", "bs", "bl"),
    ("BITOP", "AND", "bd", "nokey", "be"), ("EXISTS", "bd"), ("SET", "bd", "x"), ("EXPIRE", "bd", "100"),
    ("BITOP", "OR", "bd", "bs"), ("TTL", "bd"), ("BITOP", "AND", "bl", "bs"), ("TYPE", "bl"), ("RPUSH", "bl2", "x"),
    ("BITOP", "AND", "bd"), ("BITOP", "OR", "bs", "bs", "bf"), ("GET", "bs"), ("SET", "bs", "foobar"),
    ("BITFIELD", "bn"), ("BITFIELD", "bn", "GET"), ("BITFIELD", "bn", "GET", "u8"), ("BITFIELD", "bn", "FOO"),
    ("BITFIELD", "bn", "GET", "u64", "0"), ("BITFIELD", "bn", "GET", "i65", "0"), ("BITFIELD", "bn", "GET", "U8", "0"),
    ("BITFIELD", "bn", "GET", "u0", "0"), ("BITFIELD", "bn", "GET", "u08", "0"), ("BITFIELD", "bn", "GET", "u8", "-1"),
    ("BITFIELD", "bn", "GET", "u8", "#-1"), ("BITFIELD", "bn", "GET", "u8", "#x"), ("BITFIELD", "bn", "GET", "u8", "01"),
    ("BITFIELD", "bn", "GET", "u8", "4294967295"), ("BITFIELD", "bn", "GET", "u8", "4294967296"),
    ("BITFIELD", "bn", "GET", "u8", "#536870911"), ("BITFIELD", "bn", "GET", "i64", "#67108864"),
    ("BITFIELD", "bn", "SET", "u8", "0", "x"), ("BITFIELD", "bn", "SET", "u8", "0", "9223372036854775808"),
    ("BITFIELD", "bn", "OVERFLOW"), ("BITFIELD", "bn", "OVERFLOW", "nope"), ("BITFIELD", "bn", "OVERFLOW", "sat"),
    ("EXISTS", "bn"), ("BITFIELD", "bn", "SET", "u8", "0", "255", "GET", "u8", "0", "GET", "i8", "0"),
    ("BITFIELD", "bn", "INCRBY", "u8", "0", "1", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1000", "INCRBY", "u8", "0", "-1000"),
    ("BITFIELD", "bn", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000", "SET", "u8", "0", "300", "SET", "i8", "0", "-129"),
    ("BITFIELD", "bn", "OVERFLOW", "SAT", "SET", "i8", "0", "200", "SET", "i8", "0", "-1000", "SET", "u8", "0", "-5"),
    ("BITFIELD", "bn", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775680", "SET", "i8", "0", "-9223372036854775681"),
    ("BITFIELD", "bn", "SET", "i64", "0", "-1", "GET", "u63", "0", "INCRBY", "i64", "0", "1", "GET", "u63", "1"),
    ("BITFIELD", "bn", "OVERFLOW", "WRAP", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1",
     "INCRBY", "u63", "0", "1", "SET", "u63", "0", "-1"),
    ("BITFIELD", "bn", "set", "u4", "#3", "7", "get", "u4", "#3", "incrby", "u4", "#3", "10"), ("GET", "bn"),
    ("BITFIELD", "bf2", "OVERFLOW", "FAIL", "INCRBY", "u8", "100", "1000"), ("STRLEN", "bf2"),
    ("BITFIELD", "bl"), ("BITFIELD", "bl", "GET", "u8", "0"), ("BITFIELD", "bl", "SET", "u8", "0", "1"),
    ("BITFIELD", "bl", "FOO"), ("BITFIELD_RO", "bl", "SET", "u8", "0", "1"), ("BITFIELD_RO", "bl", "GET", "u8", "0"),
    ("BITFIELD_RO", "bn", "GET", "u8", "0", "GET", "i4", "3"), ("BITFIELD_RO", "bn", "INCRBY", "u8", "0", "1"),
    ("BITFIELD_RO", "bn", "SET", "u8", "0", "1", "FOO"), ("BITFIELD_RO", "nokey", "GET", "i64", "1000"),
    ("BITFIELD_RO",), ("BITFIELD_RO", "bn"), ("BITFIELD",),
    ("MULTI",), ("BITFIELD", "bm", "INCRBY", "u8", "0", "5"), ("BITCOUNT", "bm"), ("BITFIELD", "bm", "GET", "u8", "0"),
    ("BITOP", "NOT", "bm2", "bn"), ("BITPOS", "bm2", "1"), ("BITFIELD_RO", "bm2", "GET", "u8", "0"), ("EXEC",),
    ("MULTI",), ("SET", "bm", "a"), ("BITFIELD", "bm", "GET", "u8", "0"), ("BITCOUNT", "bm"), ("EXEC",),
    ("DEL", "bs", "be", "bl", "bl2", "bf", "bd", "bn", "bf2", "bm", "bm2"),
    ("MSET", "m1", "a", "m2", "b"), ("MGET", "m1", "nokey", "m2"), ("MSET", "m1"),
    ("MGET", "m1", "n"), ("DEL", "m1", "m2", "nokey"), ("EXISTS", "a", "a", "nokey"),
    ("UNLINK", "a"), ("DEL", "a"), ("TYPE", "sr"), ("TYPE", "nokey"),
    ("EXPIRE", "sr", "100"), ("TTL", "sr"), ("EXPIRE", "sr", "100", "NX"),
    ("EXPIRE", "sr", "200", "XX"), ("TTL", "sr"), ("EXPIRE", "sr", "50", "GT"),
    ("EXPIRE", "sr", "50", "LT"), ("TTL", "sr"), ("EXPIRE", "sr", "500", "GT"), ("TTL", "sr"),
    ("EXPIRE", "sn", "10", "GT"), ("EXPIRE", "sn", "10", "XX"), ("EXPIRE", "sn", "10", "LT"),
    ("TTL", "sn"), ("EXPIRE", "sr", "10", "NX", "XX"), ("EXPIRE", "sr", "10", "GT", "LT"),
    ("EXPIRE", "sr", "10", "FOO"), ("EXPIRE", "nokey", "10"), ("EXPIRE", "sr", "x"),
    ("EXPIRE", "sr", "9223372036854775807"), ("PEXPIRE", "sr", "9223372036854775807"),
    ("PEXPIRE", "sr", "100000"), ("TTL", "sr"), ("EXPIRE", "sr", "-1"), ("EXISTS", "sr"),
    ("EXPIREAT", "n", "1"), ("EXISTS", "n"), ("PEXPIREAT", "sn", "1000"), ("EXISTS", "sn"),
    ("SET", "ea", "v"), ("EXPIREAT", "ea", "99999999999"), ("PERSIST", "ea"), ("TTL", "ea"),
    ("GETEX", "se"), ("GETEX", "se", "PERSIST"), ("TTL", "se"), ("GETEX", "se", "EX", "100"),
    ("TTL", "se"), ("GETEX", "se", "EX", "0"), ("GETEX", "se", "FOO"), ("GETEX", "nokey", "EX", "5"),
    ("GETEX", "se", "PX", "5000", "PERSIST"),
    ("DBSIZE",),
    ("foo", "bar", "baz"), ("GET",), ("GET", "a", "b"), ("set",), ("ttl",),
    ("MULTI",), ("MULTI",), ("DISCARD",), ("EXEC",), ("DISCARD",),
    ("MULTI",), ("NOSUCH",), ("GET", "x"), ("EXEC",),
    ("MULTI",), ("GET",), ("EXEC",),
    ("MULTI",), ("WATCH", "x"), ("DISCARD",), ("UNWATCH",),
    ("CLIENT", "SETNAME", "my name"), ("CLIENT", "SETNAME", "n1"), ("CLIENT", "GETNAME"),
    ("CLIENT", "FOO"), ("CLIENT", "SETNAME"), ("CLIENT", "SETNAME", ""), ("CLIENT", "GETNAME"),
    ("HELLO", "4"), ("HELLO", "x"), ("AUTH", "x"), ("AUTH", "a", "b", "c"),
    ("FLUSHDB", "x"), ("CONFIG", "GET", "appendonly"), ("COMMAND", "FOO"),
    # issue 15: what harnesses send first, expire overflow, no_multi commands
    ("SET", "ov", "v"), ("EXPIRE", "ov", "9223370399119966"), ("EXPIRE", "ov", "9223372036854775"),
    ("PEXPIRE", "ov", "9223372036854775807"), ("SET", "ov", "v", "EX", "9223370399119966"),
    ("SET", "ov", "v", "PX", "9223372036854775000"), ("SETEX", "ov", "9223370399119966", "v"),
    ("GETEX", "ov", "EX", "9223370399119966"), ("TTL", "ov"), ("DEL", "ov"),
    ("GETEX", "ov", "EX", "0"), ("GETEX", "ov", "PX", "x"), ("RPUSH", "ovl", "a"),
    ("GETEX", "ovl", "EX", "0"), ("SET", "ov", "v"), ("GETEX", "ov", "EX", "0"), ("DEL", "ov", "ovl"),
    ("SADD", "sm", "a"), ("SET", "smstr", "v"), ("SMOVE", "nosrc", "smstr", "a"),
    ("SMOVE", "sm", "smstr", "b"), ("SMOVE", "sm", "smstr", "a"), ("DEL", "sm", "smstr"),
    ("FUNCTION", "FLUSH"), ("FUNCTION", "FLUSH", "ASYNC"), ("FUNCTION", "FLUSH", "x"),
    ("FUNCTION", "LIST"), ("FUNCTION", "LIST", "LIBRARYNAME"), ("FUNCTION", "DELETE", "x"),
    ("FUNCTION", "KILL"), ("FUNCTION", "NOPE"), ("SCRIPT", "FLUSH"), ("SCRIPT", "EXISTS", "a", "b"),
    ("SCRIPT", "KILL"), ("EVALSHA", "abc", "0"), ("EVALSHA", "abc", "-1"), ("EVALSHA", "abc", "2", "k"),
    ("EVALSHA", "abc", "x"), ("EVALSHA", "0123456789012345678901234567890123456789", "x"),
    ("EVALSHA", "0123456789012345678901234567890123456789", "2", "k"), ("FCALL", "f", "0"), ("FCALL", "f", "x"), ("FCALL_RO", "f", "1", "k"), ("EVAL", "x", "-1"),
    ("CONFIG", "SET", "list-max-ziplist-size", "5"), ("CONFIG", "GET", "list-max-listpack-size"),
    ("CONFIG", "SET", "list-max-listpack-size", "-2", "hash-max-ziplist-entries", "512"),
    ("CONFIG", "SET", "timeout", "0", "timeout", "0"), ("CONFIG", "SET", "nosuch", "1"),
    ("CONFIG", "SET", "set-max-intset-entries", "-1"), ("CONFIG", "SET", "hll-sparse-max-bytes", "x"),
    ("CONFIG", "SET", "list-compress-depth", "x"), ("CONFIG", "SET", "databases", "4"),
    ("CONFIG", "SET", "maxmemory-policy", "nosuch"), ("CONFIG", "SET", "a", "b", "c"),
    ("CONFIG", "SET", "timeout"), ("CONFIG", "GET"), ("CONFIG", "REWRITE"), ("CONFIG", "GET", "hash-max-ziplist-value"),
    # COMMAND LIST: subcommands as container|sub; filters; syntax
    ("COMMAND", "LIST", "FILTERBY", "PATTERN", "set"), ("COMMAND", "LIST", "FILTERBY", "PATTERN", "config|get"),
    ("COMMAND", "LIST", "FILTERBY", "PATTERN", "CLIENT|LIS?"), ("COMMAND", "LIST", "FILTERBY", "PATTERN", "nosuch*"),
    ("COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch"), ("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"),
    ("COMMAND", "LIST", "bad"), ("COMMAND", "LIST", "FILTERBY", "bad"), ("COMMAND", "LIST", "FILTERBY", "bad", "x"),
    ("CONFIG", "GET", "daemonize"), ("CONFIG", "SET", "daemonize", "yes"), ("CONFIG", "SET", "daemonize", "no"),
    # hidden parameters answer their own name only, no pattern
    ("CONFIG", "GET", "key-load-delay"), ("CONFIG", "GET", "key-load-*"), ("CONFIG", "GET", "*-delay"),
    ("CONFIG", "GET", "rdb-key-save-dela?"),
    ("WAIT", "0", "0"), ("WAIT", "0", "-1"), ("WAIT", "x", "0"), ("SLOWLOG", "GET", "-2"), ("SLOWLOG", "RESET"), ("LATENCY", "LATEST"), ("LATENCY", "HISTORY", "x"),
    ("LATENCY", "RESET"), ("COMMAND", "GETKEYS", "SET", "a", "b"), ("COMMAND", "GETKEYS", "nosuch", "a"),
    ("COMMAND", "GETKEYS", "MSET", "a", "1", "b", "2"), ("COMMAND", "GETKEYS", "get"),
    ("COMMAND", "GETKEYS", "GET", "a", "b"),
    ("CLIENT", "NO-EVICT", "x"), ("CLIENT", "UNPAUSE"),
    ("CLIENT", "REPLY", "x"), ("CLIENT", "KILL", "ID", "0"), ("CLIENT", "KILL", "TYPE", "x"),
    ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "KILL", "ID", "999999"),
    ("MULTI",), ("SHUTDOWN",), ("EXEC",),
    # lists, hashes, sets (orders that Redis leaves unspecified are not compared)
    ("RPUSH", "l", "a", "b", "c"), ("LPUSH", "l", "z"), ("LRANGE", "l", "0", "-1"), ("LLEN", "l"), ("LCS", "lcs1", "l", "NOPE"),
    ("LINDEX", "l", "1"), ("LINDEX", "l", "99"), ("LSET", "l", "0", "Z"), ("LSET", "l", "99", "x"),
    ("LSET", "nol", "0", "x"), ("LREM", "l", "0", "b"), ("LINSERT", "l", "BEFORE", "c", "B"),
    ("LINSERT", "l", "AFTER", "nopivot", "x"), ("LINSERT", "nol", "AFTER", "a", "x"),
    ("LINSERT", "l", "MIDDLE", "a", "x"), ("LRANGE", "l", "-2", "100"), ("LPOP", "l"),
    ("RPOP", "l", "2"), ("LPOP", "nol"), ("LPOP", "nol", "2"), ("LPOP", "l", "-1"),
    ("LPOP", "l", "1", "1"), ("RPOP", "l", "1", "x"), ("SPOP", "l", "1", "1"),
    ("RPUSH", "l", "1", "2", "3"), ("LTRIM", "l", "1", "-2"), ("LPUSHX", "nol", "a"),
    ("RPUSHX", "l", "q"), ("LRANGE", "l", "0", "-1"), ("LLEN", "nol"), ("GET", "l"),
    ("HSET", "h", "f1", "v1", "f2", "v2"), ("HSET", "h", "f1", "x"), ("HGET", "h", "f1"),
    ("HGET", "h", "no"), ("HGET", "noh", "f"), ("HMGET", "h", "f1", "no", "f2"), ("HMGET", "noh", "a"),
    ("HLEN", "h"), ("HEXISTS", "h", "f2"), ("HEXISTS", "h", "no"), ("HSTRLEN", "h", "f2"),
    ("HSETNX", "h", "f1", "y"), ("HSETNX", "h", "f3", "y"), ("HINCRBY", "h", "n", "5"),
    ("HINCRBY", "h", "n", "x"), ("HINCRBY", "h", "f1", "1"), ("HDEL", "h", "f1", "no"),
    ("HSET", "h", "odd"), ("HMSET", "h", "a", "b"), ("HGETALL", "noh"), ("HKEYS", "noh"),
    # a small hash in insertion order, as Redis's listpack
    ("HSET", "ho", "c", "1"), ("HSET", "ho", "a", "2", "b", "3"), ("HGETALL", "ho"),
    ("HSET", "ho", "a", "9"), ("HKEYS", "ho"), ("HVALS", "ho"), ("HDEL", "ho", "a"),
    ("HSET", "ho", "a", "5"), ("HINCRBY", "ho", "c", "1"), ("HGETALL", "ho"), ("HSCAN", "ho", "0"),
    ("COPY", "ho", "ho2"), ("HGETALL", "ho2"), ("DEL", "ho", "ho2"),
    ("HGET", "l", "x"), ("LPUSH", "h", "x"),
    ("SADD", "s", "a", "b", "c", "a"), ("SCARD", "s"), ("SISMEMBER", "s", "a"),
    ("SISMEMBER", "nos", "a"), ("SMISMEMBER", "s", "a", "z"), ("SMISMEMBER", "nos", "a"),
    ("SREM", "s", "a", "z"), ("SMOVE", "s", "s2", "b"), ("SMOVE", "s", "s2", "zz"),
    ("SMEMBERS", "s2"), ("SINTER", "s", "s2"), ("SUNIONSTORE", "s3", "s", "s2"), ("SCARD", "s3"),
    ("SDIFF", "nos"), ("SPOP", "nos"), ("SRANDMEMBER", "nos"), ("SRANDMEMBER", "nos", "3"),
    ("SPOP", "s2", "-1"), ("SPOP", "s2"), ("SPOP", "s2"), ("SADD", "l", "x"),
    ("TYPE", "l"), ("TYPE", "h"), ("TYPE", "s"),
    ("RENAME", "h", "h2"), ("RENAME", "nokey", "x"), ("RENAMENX", "s", "s3"),
    ("RENAMENX", "s", "s4"), ("EXISTS", "h2", "s4", "h"),
    ("DBSIZE",), ("FLUSHDB",), ("DBSIZE",),
    # key iteration: an empty keyspace, then one key (so the order and, with
    # a COUNT that covers kcache's whole index, the cursor are Redis's too)
    ("SCAN", "0"), ("KEYS", "*"), ("RANDOMKEY",), ("SET", "only", "v"),
    ("SCAN", "0", "COUNT", "100000"), ("SCAN", "0", "MATCH", "on*", "COUNT", "100000"),
    ("SCAN", "0", "MATCH", "x*", "COUNT", "100000"), ("scan", "0", "type", "STRING", "count", "100000"),
    ("SCAN", "0", "TYPE", "list", "COUNT", "100000"), ("SCAN", "0", "TYPE", "zset", "COUNT", "100000"),
    ("SCAN", "0", "TYPE", "nosuch"), ("MULTI",), ("SCAN", "0", "COUNT", "100000"),
    ("SCAN", "0", "TYPE", "zset", "COUNT", "100000"), ("EXEC",), ("KEYS", "*"), ("KEYS", "o?ly"), ("KEYS", "[a-o]nly"),
    ("KEYS", "[^o]nly"), ("KEYS", "[o"), ("KEYS", "\\only"), ("KEYS", "nomatch*"), ("RANDOMKEY",),
    ("SCAN", "x"), ("SCAN", "-1x"), ("SCAN", " 1"), ("SCAN", "18446744073709551616"),
    ("SCAN", "0", "COUNT", "0"), ("SCAN", "0", "COUNT", "x"), ("SCAN", "0", "COUNT", "-1"),
    ("SCAN", "0", "FOO"), ("SCAN", "0", "MATCH"), ("SCAN", "0", "TYPE"), ("SCAN",), ("KEYS",),
    ("KEYS", "a", "b"), ("RANDOMKEY", "x"),
    ("SADD", "ss", "m1"), ("SSCAN", "ss", "0"), ("SSCAN", "ss", "0", "MATCH", "m*"),
    ("SSCAN", "ss", "0", "MATCH", "x*"), ("SSCAN", "ss", "0", "COUNT", "5"),
    ("SSCAN", "ss", "0", "TYPE", "set"), ("SSCAN", "ss", "x"), ("SSCAN", "nokey", "0"),
    ("SSCAN", "nokey", "0", "FOO"), ("SSCAN", "only", "0"), ("SSCAN", "only", "0", "FOO"),
    ("SSCAN", "ss", "0", "FOO"), ("SSCAN", "ss", "0", "COUNT", "0"), ("SSCAN", "ss"),
    ("HSET", "hh", "f", "v"), ("HSCAN", "hh", "0"), ("HSCAN", "hh", "0", "MATCH", "f"),
    ("HSCAN", "hh", "0", "MATCH", "g*"), ("HSCAN", "ss", "0"), ("HSCAN", "nokey", "0"),
    ("MULTI",), ("SSCAN", "ss", "0"), ("HSCAN", "hh", "0", "FOO"), ("EXEC",),
    ("DEL", "only", "ss", "hh"),
    # pub/sub without subscribers, also inside MULTI
    ("PUBLISH", "nochan", "m"), ("PUBLISH", "x"), ("MULTI",), ("SET", "tk", "v"),
    ("PUBLISH", "tch", "m"), ("EXEC",), ("DEL", "tk"), ("UNSUBSCRIBE",), ("PUNSUBSCRIBE",),
    ("PUBSUB", "NUMPAT"), ("PUBSUB", "NUMSUB", "a", "b"), ("PUBSUB", "NUMSUB"),
    ("PUBSUB", "CHANNELS"), ("PUBSUB", "CHANNELS", "a", "b"), ("PUBSUB", "NUMPAT", "x"),
    ("PUBSUB", "FOO"), ("PUBSUB",), ("RESET", "x"),
    # OBJECT, MEMORY and COPY (encodings as redis-server reports them)
    ("SET", "oi", "12345"), ("SET", "oe", "short"), ("SET", "or", "x" * 45),
    ("SET", "ob", "12345678901234567890"), ("OBJECT", "ENCODING", "oi"),
    ("OBJECT", "ENCODING", "oe"), ("OBJECT", "ENCODING", "or"), ("OBJECT", "ENCODING", "ob"),
    ("RPUSH", "ol", "a"), ("OBJECT", "ENCODING", "ol"),
    ("HSET", "oh", "f", "v"), ("OBJECT", "ENCODING", "oh"),
    ("HSET", "oh2", "f", "v" * 65), ("OBJECT", "ENCODING", "oh2"),
    ("SADD", "os", "1", "2", "-3"), ("OBJECT", "ENCODING", "os"),
    ("SADD", "os2", "1", "a"), ("OBJECT", "ENCODING", "os2"),
    ("ZADD", "oz", "1", "a"), ("OBJECT", "ENCODING", "oz"),
    ("ZADD", "oz2", "1", "m" * 65), ("OBJECT", "ENCODING", "oz2"),
    ("OBJECT", "ENCODING", "nokey"), ("OBJECT", "REFCOUNT", "oe"), ("OBJECT", "REFCOUNT", "nokey"),
    ("OBJECT", "FREQ", "oe"), ("OBJECT", "FOO"), ("OBJECT", "ENCODING"),
    ("OBJECT", "HELP", "x"), ("OBJECT",),
    ("MEMORY", "USAGE", "nokey"), ("MEMORY", "FOO"), ("MEMORY", "USAGE"),
    ("MEMORY", "USAGE", "oe", "SAMPLES", "-1"), ("MEMORY", "USAGE", "oe", "SAMPLES", "x"),
    ("MEMORY", "USAGE", "oe", "FOO"),
    ("COPY", "oe", "oe"), ("COPY", "nokey", "c1"), ("COPY", "oe", "c1"), ("GET", "c1"),
    ("COPY", "oi", "c1"), ("COPY", "oi", "c1", "REPLACE"), ("GET", "c1"),
    ("COPY", "oe", "c1", "DB", "x"), ("COPY", "oe", "c1", "FOO"),
    ("PEXPIRE", "ol", "100000"), ("COPY", "ol", "c2"), ("LRANGE", "c2", "0", "-1"),
    ("TYPE", "c2"), ("EXISTS", "c2"),
    ("COPY", "oz", "c3"), ("ZRANGE", "c3", "0", "-1", "WITHSCORES"),
    ("COPY", "oh", "c4"), ("HGETALL", "c4"), ("COPY", "os", "c5"), ("SCARD", "c5"),
    ("DEL", "oi", "oe", "or", "ob", "ol", "oh", "oh2", "os", "os2", "oz", "oz2",
     "c1", "c2", "c3", "c4", "c5"),
    # ZRANGESTORE: ranks, REV, BYSCORE, BYLEX, LIMIT; a missing source
    # deletes the destination; wrong types; argument errors; inside MULTI
    ("DEL", "zrs", "zrd", "zrstr", "zrset", "zrf"),
    ("ZADD", "zrs", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"),
    ("ZRANGESTORE", "zrd", "zrs", "0", "-1"), ("ZRANGE", "zrd", "0", "-1", "WITHSCORES"),
    ("ZRANGESTORE", "zrd", "zrs", "1", "2", "REV"), ("ZRANGE", "zrd", "0", "-1", "WITHSCORES"),
    ("ZRANGESTORE", "zrd", "zrs", "-2", "-1"), ("ZRANGESTORE", "zrd", "zrs", "-100", "1"),
    ("ZRANGESTORE", "zrd", "zrs", "-3", "10"), ("ZRANGE", "zrd", "0", "-1"),
    ("ZRANGESTORE", "zrd", "zrs", "2", "4", "BYSCORE", "LIMIT", "1", "1"),
    ("ZRANGE", "zrd", "0", "-1", "WITHSCORES"),
    ("ZRANGESTORE", "zrd", "zrs", "5", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"),
    ("ZRANGE", "zrd", "0", "-1", "WITHSCORES"),
    ("ZRANGESTORE", "zrd", "zrs", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"),
    ("ZRANGESTORE", "zrd", "zrs", "-inf", "+inf", "BYSCORE", "LIMIT", "3", "-1"),
    ("ZRANGE", "zrd", "0", "-1"),
    ("ZRANGESTORE", "zrd", "zrs", "[b", "(d", "BYLEX"), ("ZRANGE", "zrd", "0", "-1"),
    ("ZRANGESTORE", "zrd", "zrs", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2"),
    ("ZRANGE", "zrd", "0", "-1"),
    ("ZRANGESTORE", "zrd", "zrs", "10", "20"), ("EXISTS", "zrd"),
    ("SET", "zrd", "x"), ("ZRANGESTORE", "zrd", "nokey", "0", "-1"), ("EXISTS", "zrd"),
    ("SET", "zrstr", "v"), ("ZRANGESTORE", "zrd", "zrstr", "0", "-1"),
    ("SADD", "zrset", "a"), ("ZRANGESTORE", "zrd", "zrset", "0", "-1"),
    ("ZRANGESTORE", "zrstr", "zrs", "0", "0"), ("TYPE", "zrstr"),
    ("ZRANGESTORE", "zrd", "zrs", "0", "-1", "WITHSCORES"),
    ("ZRANGESTORE", "zrd", "zrs", "0", "-1", "LIMIT", "0", "1"),
    ("ZRANGESTORE", "zrd", "zrs", "a", "c", "BYLEX"), ("ZRANGESTORE", "zrd", "zrs", "x", "1", "BYSCORE"),
    ("ZRANGESTORE", "zrd", "zrs", "x", "1"), ("ZRANGESTORE", "zrd", "zrs", "0", "-1", "BYSCORE", "BYLEX"),
    ("ZRANGESTORE", "zrd", "zrs", "0", "-1", "REV", "REV"), ("ZRANGESTORE", "zrd", "zrs", "0"),
    ("ZRANGESTORE", "zrd", "zrs", "0", "-1", "FOO"),
    ("ZRANGESTORE", "zrd", "zrs", "0", "1", "BYSCORE", "LIMIT", "x", "1"),
    ("ZRANGESTORE", "zrd", "zrs", "0", "1", "BYSCORE", "LIMIT", "0"),
    ("ZADD", "zrf", "-inf", "m1", "1.5", "m2", "inf", "m3", "0.1", "m4"),
    ("ZRANGESTORE", "zrd", "zrf", "0", "-1"), ("ZRANGE", "zrd", "0", "-1", "WITHSCORES"),
    ("ZRANGESTORE", "zrs", "zrs", "1", "3"), ("ZRANGE", "zrs", "0", "-1", "WITHSCORES"),
    ("MULTI",), ("ZRANGESTORE", "zrd", "zrs", "0", "0"), ("ZRANGE", "zrd", "0", "-1"),
    ("ZADD", "zrd", "9", "z"), ("ZRANGESTORE", "zrd", "zrs", "0", "-1", "REV"),
    ("ZRANGE", "zrd", "0", "-1"), ("ZRANGESTORE", "zrd", "nokey", "0", "-1"), ("EXISTS", "zrd"),
    ("ZRANGESTORE", "zrd", "zrs", "x", "1"), ("ZRANGESTORE", "zrd", "zrstr", "0", "1"),
    ("ZRANGESTORE", "zrd", "zrset", "0", "1"), ("ZRANGE", "zrd", "0", "-1"), ("EXEC",),
    ("DEL", "zrs", "zrd", "zrstr", "zrset", "zrf"),
    # ZMPOP: the first key that exists, MIN/MAX, COUNT; nil; errors in
    # Redis's order; wrong types; inside MULTI
    ("ZADD", "zm1", "1", "a", "2", "b", "3", "c"), ("ZADD", "zm2", "5", "x", "6", "y"),
    ("ZMPOP", "2", "nokey", "zm1", "MIN"), ("ZMPOP", "2", "nokey", "zm1", "MAX", "COUNT", "10"),
    ("EXISTS", "zm1"), ("ZMPOP", "1", "zm1", "MIN"), ("ZMPOP", "3", "zm1", "nokey", "zm2", "min", "count", "1"),
    ("ZMPOP", "1", "nokey", "MIN"), ("ZMPOP", "0", "zm2", "MIN"), ("ZMPOP", "-1", "zm2", "MIN"),
    ("ZMPOP", "x", "zm2", "MIN"), ("ZMPOP", "3", "zm2", "MIN"), ("ZMPOP", "2", "zm2", "MIN"),
    ("ZMPOP", "1", "zm2", "MIDDLE"), ("ZMPOP", "1", "zm2", "MIN", "COUNT", "0"),
    ("ZMPOP", "1", "zm2", "MIN", "COUNT", "-1"), ("ZMPOP", "1", "zm2", "MIN", "COUNT", "x"),
    ("ZMPOP", "1", "zm2", "MIN", "COUNT", "1", "COUNT", "2"), ("ZMPOP", "1", "zm2", "MIN", "COUNT"),
    ("ZMPOP", "1", "zm2", "MIN", "FOO"), ("ZMPOP", "1", "zm2"), ("ZMPOP", "9999999999", "zm2", "MIN"),
    ("SET", "zmstr", "v"), ("ZMPOP", "2", "zmstr", "zm2", "MIN"), ("ZMPOP", "2", "nokey", "zmstr", "MIN"),
    ("ZMPOP", "2", "zm2", "zmstr", "MAX"), ("ZMPOP", "1", "zm2", "MIN", "COUNT", "9223372036854775807"),
    ("ZMPOP", "1", "zm2", "MIN", "COUNT", "9223372036854775808"),
    ("ZADD", "zm3", "1.5", "a", "inf", "b", "-inf", "c"), ("ZMPOP", "1", "zm3", "MAX", "COUNT", "2"),
    ("COMMAND", "GETKEYS", "ZMPOP", "2", "a", "b", "MIN"), ("COMMAND", "GETKEYS", "ZMPOP", "0", "a", "MIN"),
    ("COMMAND", "GETKEYS", "BZMPOP", "0", "2", "a", "b", "MIN"), ("COMMAND", "GETKEYS", "LMPOP", "1", "a", "LEFT"),
    ("COMMAND", "GETKEYS", "BZPOPMIN", "a", "b", "0"), ("COMMAND", "GETKEYS", "ZRANGESTORE", "d", "s", "0", "1"),
    ("COMMAND", "GETKEYS", "HINCRBYFLOAT", "h", "f", "1"),
    ("MULTI",), ("ZMPOP", "1", "nokey", "MIN"), ("ZADD", "zm4", "1", "a", "2", "b", "3", "c"),
    ("ZMPOP", "2", "nokey", "zm4", "MIN"), ("ZMPOP", "1", "zm4", "MAX", "COUNT", "5"),
    ("ZMPOP", "1", "zm4", "MIN"), ("ZMPOP", "2", "zm3", "nokey", "MIN"), ("ZMPOP", "0", "zm4", "MIN"),
    ("ZMPOP", "2", "zmstr", "zm3", "MIN"), ("EXEC",), ("EXISTS", "zm3", "zm4"),
    # BZPOPMIN, BZPOPMAX, BZMPOP with data, timing out, errors; inside
    # MULTI never blocking (more in blocking.py)
    ("ZADD", "bz1", "1", "a", "2", "b", "3", "c", "4", "d"), ("BZPOPMIN", "nokey", "bz1", "0"),
    ("BZPOPMAX", "bz1", "0"), ("BZPOPMIN", "nokey", "0.01"), ("BZPOPMIN", "zmstr", "0"),
    ("BZPOPMIN", "bz1", "-1"), ("BZPOPMIN", "bz1", "x"), ("BZPOPMIN", "bz1"),
    ("BZMPOP", "0.01", "1", "nokey", "MIN"), ("BZMPOP", "0", "2", "nokey", "bz1", "MAX", "COUNT", "5"),
    ("BZMPOP", "x", "1", "bz1", "MIN"), ("BZMPOP", "-1", "1", "bz1", "MIN"), ("BZMPOP", "0", "0", "bz1", "MIN"),
    ("BZMPOP", "0", "1", "bz1", "FOO"), ("BZMPOP", "0", "1", "bz1", "MIN", "COUNT", "0"),
    ("BZMPOP", "0", "1", "bz1"), ("BZMPOP", "0", "1", "zmstr", "MIN"),
    ("MULTI",), ("BZPOPMIN", "nokey", "0"), ("BZMPOP", "0", "1", "nokey", "MIN"),
    ("BZPOPMAX", "nokey", "nokey2", "0"), ("ZADD", "bz2", "1", "a", "2", "b", "3", "c"),
    ("BZPOPMIN", "bz2", "0"), ("BZMPOP", "0", "1", "bz2", "MAX", "COUNT", "5"), ("BZPOPMIN", "bz2", "-1"),
    ("BZMPOP", "0", "0", "bz2", "MIN"), ("EXEC",), ("EXISTS", "bz2"),
    ("DEL", "zm1", "zm2", "zm3", "zm4", "zmstr", "bz1", "bz2"),
    # HINCRBYFLOAT: hincrbyfloatCommand()'s order of errors, the result as
    # Redis formats long doubles, chained inside MULTI, WATCH
    ("HINCRBYFLOAT", "hf", "f", "1.5"), ("HINCRBYFLOAT", "hf", "f", "0.1"), ("HINCRBYFLOAT", "hf", "f", "-1.6"),
    ("HGET", "hf", "f"), ("HINCRBYFLOAT", "hf", "f", "abc"), ("HINCRBYFLOAT", "hf", "f", "inf"),
    ("HINCRBYFLOAT", "hf", "f", "-inf"), ("HINCRBYFLOAT", "hf", "f", "nan"), ("HINCRBYFLOAT", "hf", "f", ""),
    ("HINCRBYFLOAT", "hf", "f", " 1"), ("HINCRBYFLOAT", "hf", "f", "1 "), ("HINCRBYFLOAT", "hf", "f", "1e308"),
    ("HINCRBYFLOAT", "hf", "g", "1e5000"),
    ("HSET", "hf", "s", "hello", "sp", " 1", "t", "3.0", "i", "10", "inf", "inf", "nanv", "nan",
     "big", "1e400", "hex", "0x10", "huge", "1.5e4000", "empty", ""),
    ("HINCRBYFLOAT", "hf", "empty", "1"),
    ("HINCRBYFLOAT", "hf", "s", "1"), ("HINCRBYFLOAT", "hf", "s", "abc"), ("HINCRBYFLOAT", "hf", "sp", "1"),
    ("HINCRBYFLOAT", "hf", "t", "1e2"), ("HINCRBYFLOAT", "hf", "i", "0.5"), ("HINCRBYFLOAT", "hf", "i", "-10.5"),
    ("HGET", "hf", "i"), ("HINCRBYFLOAT", "hf", "inf", "1"), ("HINCRBYFLOAT", "hf", "nanv", "1"),
    ("HINCRBYFLOAT", "hf", "big", "1"), ("HINCRBYFLOAT", "hf", "huge", "-1"), ("HINCRBYFLOAT", "hf", "hex", "0x10"),
    ("HINCRBYFLOAT", "hf", "e", "5.0e3"), ("HINCRBYFLOAT", "hf", "n0", "-0.0"),
    ("HINCRBYFLOAT", "hf", "tiny", "4e-320"), ("HINCRBYFLOAT", "hf", "p", "1.0000000000000002"),
    ("SET", "hfstr", "v"), ("HINCRBYFLOAT", "hfstr", "f", "1"), ("HINCRBYFLOAT", "hfstr", "f", "x"),
    ("HINCRBYFLOAT", "hf"), ("HINCRBYFLOAT", "hfnew", "f", "2"), ("TYPE", "hfnew"),
    ("MULTI",), ("HINCRBYFLOAT", "hfm", "f", "1"), ("HINCRBYFLOAT", "hfm", "f", "2.5"),
    ("HINCRBYFLOAT", "hfm", "g", "1"), ("HINCRBYFLOAT", "hf", "s", "1"), ("HINCRBYFLOAT", "hfm", "f", "x"),
    ("HINCRBYFLOAT", "hfm", "f", "0.25"), ("HINCRBYFLOAT", "hfstr", "f", "1"), ("HGET", "hfm", "f"),
    ("HINCRBYFLOAT", "hf", "f", "1"), ("EXEC",), ("HMGET", "hfm", "f", "g"),
    ("WATCH", "hfw"), ("HSET", "hfw", "f", "1"), ("MULTI",), ("HINCRBYFLOAT", "hfw", "f", "1"), ("EXEC",),
    ("HGET", "hfw", "f"), ("DEL", "hf", "hfstr", "hfnew", "hfm", "hfw"),
    # databases: SELECT, MOVE, SWAPDB, FLUSHDB, DBSIZE, COPY ... DB, INFO
    # keyspace (never a key with a TTL in a database it shows:
    # kcache-proxy counts no expires), and SELECT queued in MULTI (EXEC,
    # DISCARD, aborted, WATCH)
    ("FLUSHALL",), ("INFO", "keyspace"), ("CONFIG", "GET", "databases"),
    ("SELECT", "16"), ("SELECT", "-1"), ("SELECT", "1.5"), ("SELECT", "x"), ("SELECT", ""),
    ("SELECT", " 1"), ("SELECT", "99999999999"), ("SELECT", "-99999999999"), ("SELECT",),
    ("SELECT", "0", "1"), ("SET", "dk", "v0"), ("SELECT", "1"), ("GET", "dk"), ("DBSIZE",),
    ("SET", "dk", "v1"), ("SELECT", "15"), ("SET", "dk", "v15"), ("SELECT", "0"), ("GET", "dk"),
    ("INFO", "keyspace"),
    ("MOVE", "dk", "0"), ("MOVE", "dk", "16"), ("MOVE", "dk", "-1"), ("MOVE", "dk", "x"),
    ("MOVE", "dk", "99999999999"), ("MOVE", "dk"), ("MOVE", "nokey", "1"), ("MOVE", "nokey", "0"),
    ("MOVE", "dk", "1"), ("GET", "dk"), ("RPUSH", "dl", "a", "b"), ("MOVE", "dl", "2"),
    ("EXISTS", "dl"), ("SELECT", "2"), ("LRANGE", "dl", "0", "-1"), ("DBSIZE",),
    # a TTL moves with its key; in databases 9 and 10, which stay empty
    # after: redis-server's avg_ttl of a database is left stale by a key
    # with a TTL gone, and INFO keyspace shows only databases with keys
    ("SELECT", "9"), ("SET", "dm", "v", "EX", "100"), ("MOVE", "dm", "10"), ("EXISTS", "dm"),
    ("SELECT", "10"), ("GET", "dm"), ("TTL", "dm"), ("MOVE", "dm", "9"), ("SELECT", "9"),
    ("TTL", "dm"), ("DEL", "dm"), ("SELECT", "0"), ("DBSIZE",),
    ("SWAPDB", "0", "x"), ("SWAPDB", "x", "0"), ("SWAPDB", "x", "y"), ("SWAPDB", "0", "16"),
    ("SWAPDB", "16", "x"), ("SWAPDB", "-1", "0"), ("SWAPDB", "99999999999", "0"),
    ("SWAPDB", "0", "99999999999"), ("SWAPDB", "1.0", "0"), ("SWAPDB", "0"),
    ("SWAPDB", "0", "0"), ("GET", "dk"), ("SWAPDB", "0", "1"), ("GET", "dk"), ("DBSIZE",),
    ("SWAPDB", "1", "0"), ("GET", "dk"),
    ("COPY", "dk", "dk"), ("COPY", "dk", "dk", "DB", "0"), ("COPY", "dk", "dk", "DB", "5"),
    ("COPY", "dk", "dk", "DB", "5"), ("COPY", "dk", "dk", "DB", "1", "REPLACE"),
    ("COPY", "dk", "dk", "DB", "16"), ("COPY", "dk", "dk", "DB", "-1"),
    ("COPY", "dk", "dk", "DB", "x"), ("COPY", "dk", "dk", "DB", "99999999999"),
    ("COPY", "dk", "dk", "DB"), ("COPY", "dk", "dk", "DB", "16", "FOO"),
    ("COPY", "dk", "dk", "FOO", "DB", "16"), ("COPY", "nokey", "nokey", "DB", "5"),
    ("COPY", "dk", "c9", "DB", "5", "REPLACE"), ("SELECT", "5"), ("MGET", "dk", "c9"),
    ("SELECT", "1"), ("GET", "dk"), ("COPY", "dk", "dk", "DB", "0"), ("SELECT", "0"),
    ("INFO", "keyspace"),
    ("SET", "nx1", "in0"), ("SELECT", "1"), ("MSETNX", "nx1", "a", "nx2", "b"),
    ("MSETNX", "nx2", "c", "nx3", "d"), ("MGET", "nx1", "nx2", "nx3"), ("SELECT", "0"),
    ("MGET", "nx1", "nx2"),
    ("SELECT", "3"), ("SET", "f3", "v"), ("SELECT", "4"), ("SET", "f4", "v"), ("FLUSHDB",),
    ("DBSIZE",), ("SELECT", "3"), ("DBSIZE",), ("FLUSHDB", "ASYNC"), ("DBSIZE",),
    ("FLUSHDB", "x"), ("SELECT", "0"), ("DBSIZE",),
    ("MULTI",), ("SELECT", "7"), ("SET", "mk", "7"), ("SELECT", "x"), ("SELECT", "99"),
    ("DBSIZE",), ("GET", "mk"), ("EXEC",), ("GET", "mk"), ("DBSIZE",),
    ("MULTI",), ("SELECT", "8"), ("DISCARD",), ("GET", "mk"),
    ("MULTI",), ("SELECT", "9"), ("NOSUCH",), ("EXEC",), ("GET", "mk"),
    ("WATCH", "mk"), ("SELECT", "0"), ("SET", "mk", "0"), ("MULTI",), ("SELECT", "10"),
    ("EXEC",), ("GET", "mk"), ("SELECT", "7"), ("WATCH", "mk"), ("SET", "mk", "changed"),
    ("MULTI",), ("SELECT", "11"), ("EXEC",), ("GET", "mk"),
    ("SELECT", "0"), ("SET", "fk", "1"), ("MULTI",), ("SELECT", "12"),
    ("INCRBYFLOAT", "fk", "1.5"), ("SELECT", "0"), ("INCRBYFLOAT", "fk", "1"), ("EXEC",),
    ("GET", "fk"), ("MULTI",), ("SELECT", "13"), ("SET", "fk", "5"), ("SELECT", "0"),
    ("INCRBYFLOAT", "fk", "1"), ("EXEC",), ("SELECT", "12"), ("GET", "fk"),
    ("MULTI",), ("SELECT", "0"), ("MOVE", "fk", "14"), ("SELECT", "14"), ("GET", "fk"),
    ("MOVE", "fk", "14"), ("EXEC",), ("MULTI",), ("SWAPDB", "14", "15"), ("GET", "fk"),
    ("DBSIZE",), ("EXEC",), ("SELECT", "15"), ("GET", "fk"), ("INFO", "keyspace"),
    ("SELECT", "6"), ("SET", "rk", "6"), ("RESET",), ("GET", "rk"), ("DBSIZE",),
    ("FLUSHALL",), ("INFO", "keyspace"),
]

# After HELLO 3 (the HELLO reply itself carries the client id: not compared).
SCRIPT3 = [
    ("GET", "nokey"), ("SET", "k3", "v"), ("GET", "k3"), ("MGET", "k3", "nokey"),
    ("CLIENT", "GETNAME"), ("CONFIG", "GET", "save"), ("GETDEL", "nokey"), ("DEL", "k3"),
    # sorted-set pops and HINCRBYFLOAT: RESP3 doubles, nil as "_"
    ("ZADD", "z3", "1", "a", "2.5", "b", "inf", "c"), ("ZMPOP", "1", "z3", "MIN", "COUNT", "2"),
    ("ZMPOP", "1", "nokey", "MIN"), ("BZPOPMAX", "z3", "0"), ("BZPOPMIN", "nokey", "0.01"),
    ("ZADD", "z3", "1", "a", "2", "b"), ("BZMPOP", "0", "1", "z3", "MAX", "COUNT", "5"),
    ("BZMPOP", "0.01", "1", "z3", "MIN"), ("MULTI",), ("BZPOPMIN", "nokey", "0"), ("ZMPOP", "1", "nokey", "MAX"),
    ("ZADD", "z3", "3", "c"), ("BZPOPMIN", "z3", "0"), ("EXEC",),
    ("HINCRBYFLOAT", "h3", "f", "2.5"), ("DEL", "h3"),
    # RESTORE checks options, then BUSYKEY, then the TTL, then the payload
    ("SET", "rb", "v"), ("RESTORE", "rb", "0", "..."), ("RESTORE", "rb", "x", "..."),
    ("RESTORE", "rb", "-1", "..."), ("RESTORE", "rb", "0", "...", "IDLETIME", "-1"),
    ("RESTORE", "rb", "0", "...", "BOGUS"), ("RESTORE", "rb", "0", "...", "REPLACE"),
    ("RESTORE", "nokey", "-1", "..."), ("RESTORE", "nokey", "x", "..."), ("DEL", "rb"),
]

# Random counts at the edges of long long (one member: replies are fixed).
RAND_SCRIPT = [
    ("DEL", "rs", "rh", "rz"), ("SADD", "rs", "a"), ("HSET", "rh", "a", "1"), ("ZADD", "rz", "1", "a"),
    ("SRANDMEMBER", "rs", "-9223372036854775808"), ("SRANDMEMBER", "rs", "9223372036854775807"),
    ("SRANDMEMBER", "rs", "9223372036854775808"), ("SRANDMEMBER", "rs", "-3"),
    ("SRANDMEMBER", "nokey", "-9223372036854775808"), ("SRANDMEMBER", "nokey", "-9223372036854775807"),
    ("SPOP", "rs", "-9223372036854775808"), ("SPOP", "rs", "-9223372036854775807"), ("SPOP", "rs", "-1"),
    ("SPOP", "nokey", "-9223372036854775808"),
    ("HRANDFIELD", "rh", "-9223372036854775808"), ("HRANDFIELD", "rh", "-9223372036854775808", "WITHVALUES"),
    ("HRANDFIELD", "rh", "-9223372036854770000", "WITHVALUES"), ("HRANDFIELD", "rh", "9223372036854775807"),
    ("HRANDFIELD", "rh", "9223372036854775807", "WITHVALUES"), ("HRANDFIELD", "rh", "4611686018427387904", "WITHVALUES"),
    ("HRANDFIELD", "rh", "4611686018427387903", "WITHVALUES"), ("HRANDFIELD", "rh", "-4611686018427387904", "WITHVALUES"),
    ("HRANDFIELD", "nokey", "-9223372036854775807"), ("HRANDFIELD", "nokey", "9223372036854775807", "WITHVALUES"),
    ("ZRANDMEMBER", "rz", "-9223372036854775808"), ("ZRANDMEMBER", "rz", "-9223372036854775808", "WITHSCORES"),
    ("ZRANDMEMBER", "rz", "-9223372036854770000", "WITHSCORES"), ("ZRANDMEMBER", "rz", "9223372036854775807"),
    ("ZRANDMEMBER", "rz", "9223372036854775807", "WITHSCORES"), ("ZRANDMEMBER", "rz", "4611686018427387904", "WITHSCORES"),
    ("ZRANDMEMBER", "rz", "4611686018427387903", "WITHSCORES"), ("ZRANDMEMBER", "rz", "-4611686018427387904", "WITHSCORES"),
    ("ZRANDMEMBER", "nokey", "-9223372036854775807"), ("ZRANDMEMBER", "nokey", "-9223372036854775808"),
    ("ZRANDMEMBER", "rz", "-9223372036854775808", "x"), ("HRANDFIELD", "rh", "-9223372036854775808", "x"),
    ("ZRANDMEMBER", "rz", "x", "x"), ("HRANDFIELD", "rh", "9223372036854775807", "x"),
    ("SRANDMEMBER", "rs", "-9223372036854775808", "x"),
    ("DEL", "rs", "rh", "rz"),
]
SCRIPT += RAND_SCRIPT
SCRIPT3 += RAND_SCRIPT

# CONFIG SET of what Redis's test suite and clients set first: Redis's
# types, ranges, defaults and texts; each is set back to its default.
CONFIG_SCRIPT = [
    ("CONFIG", "SET", "save", ""), ("CONFIG", "GET", "save"), ("CONFIG", "SET", "save", "900"),
    ("CONFIG", "SET", "save", "x 1"), ("CONFIG", "SET", "save", "0 0"), ("CONFIG", "SET", "save", " "),
    ("CONFIG", "SET", "save", "900 -1"), ("CONFIG", "SET", "appendonly", "no"), ("CONFIG", "SET", "appendonly", "maybe"),
    ("CONFIG", "GET", "appendonly"), ("CONFIG", "SET", "activedefrag", "yes"), ("CONFIG", "SET", "activedefrag", "no"),
    ("CONFIG", "SET", "repl-ping-replica-period", "3600"), ("CONFIG", "GET", "repl-ping-slave-period"),
    ("CONFIG", "SET", "repl-ping-replica-period", "0"), ("CONFIG", "SET", "repl-ping-slave-period", "10"),
    ("CONFIG", "SET", "latency-monitor-threshold", "200"), ("CONFIG", "GET", "latency-monitor-threshold"),
    ("CONFIG", "SET", "latency-monitor-threshold", "-1"), ("CONFIG", "SET", "latency-monitor-threshold", "0"),
    ("CONFIG", "SET", "slowlog-log-slower-than", "-1"), ("CONFIG", "SET", "slowlog-log-slower-than", "-2"),
    ("CONFIG", "SET", "slowlog-log-slower-than", "+5"), ("CONFIG", "GET", "slowlog-log-slower-than"),
    ("CONFIG", "SET", "slowlog-log-slower-than", "10000"), ("CONFIG", "SET", "slowlog-max-len", "-1"),
    ("CONFIG", "SET", "slowlog-max-len", "128"), ("CONFIG", "SET", "lua-time-limit", "100"),
    ("CONFIG", "GET", "busy-reply-threshold"), ("CONFIG", "GET", "lua-time-limit"),
    ("CONFIG", "SET", "busy-reply-threshold", "5000"), ("CONFIG", "SET", "hz", "1000"), ("CONFIG", "GET", "hz"),
    ("CONFIG", "SET", "hz", "0"), ("CONFIG", "GET", "hz"), ("CONFIG", "SET", "hz", "-1"), ("CONFIG", "SET", "hz", "10"),
    ("CONFIG", "GET", "lazyfree-lazy-eviction"), ("CONFIG", "SET", "lazyfree-lazy-user-del", "YES"),
    ("CONFIG", "GET", "lazyfree-lazy-user-del"), ("CONFIG", "SET", "lazyfree-lazy-user-del", "no"),
    ("CONFIG", "SET", "lazyfree-lazy-expire", "1"), ("CONFIG", "SET", "maxmemory-samples", "0"),
    ("CONFIG", "SET", "maxmemory-samples", "10"), ("CONFIG", "GET", "maxmemory-samples"),
    ("CONFIG", "SET", "maxmemory-samples", "5"), ("CONFIG", "SET", "maxmemory-eviction-tenacity", "101"),
    # maxmemory 1: every write is refused (kcache cannot go that low, Redis
    # cannot evict below it), also inside MULTI; 0 is "no limit" again
    ("SET", "mm", "1"), ("CONFIG", "SET", "maxmemory", "1"), ("CONFIG", "GET", "maxmemory"),
    ("SET", "mm", "2"), ("GET", "mm"), ("DEL", "mm"), ("MULTI",), ("SET", "mm", "3"), ("GET", "mm"),
    ("EXEC",), ("MULTI",), ("LPUSH", "mml", "x"), ("DISCARD",), ("PING",),
    ("CONFIG", "SET", "maxmemory", "0"), ("CONFIG", "GET", "maxmemory"), ("SET", "mm", "4"),
    ("GET", "mm"), ("DEL", "mm"),
    ("CONFIG", "GET", "active-defrag-cycle-max"), ("CONFIG", "SET", "active-defrag-cycle-min", "100"),
    ("CONFIG", "SET", "active-defrag-ignore-bytes", "x"), ("CONFIG", "GET", "dynamic-hz"),
    ("CONFIG", "SET", "loglevel", "WARNING"), ("CONFIG", "GET", "loglevel"), ("CONFIG", "SET", "loglevel", "loud"),
    ("CONFIG", "SET", "loglevel", "notice"), ("CONFIG", "SET", "appendfsync", "sometimes"),
    ("CONFIG", "SET", "oom-score-adj", "x"), ("CONFIG", "GET", "replica-serve-stale-data"), ("CONFIG", "GET", "slave-read-only"),
    ("CONFIG", "GET", "min-replicas-max-lag"), ("CONFIG", "GET", "tracking-table-max-keys"),
    ("CONFIG", "SET", "rdb-key-save-delay", "-2147483649"), ("CONFIG", "SET", "key-load-delay", "0"),
    ("CONFIG", "GET", "rdbcompression"), ("CONFIG", "GET", "latency-tracking"), ("CONFIG", "GET", "activerehashing"),
    ("CONFIG", "SET", "close-on-replica-write", "yes"),
    ("CONFIG", "SET", "slowlog-max-len", "10", "hz", "x"), ("CONFIG", "GET", "slowlog-max-len"),
    ("CLIENT", "LIST", "ID", "x"), ("CLIENT", "LIST", "ID", "1", "x"), ("CLIENT", "LIST", "ID"),
    ("CLIENT", "LIST", "ID", "0", "-1"), ("CLIENT", "LIST", "ID", "9223372036854775808"),
    ("CLIENT", "LIST", "TYPE", "foo"), ("CLIENT", "LIST", "TYPE"), ("CLIENT", "LIST", "TYPE", "master"),
    ("CLIENT", "LIST", "TYPE", "replica"), ("CLIENT", "LIST", "TYPE", "slave"),
    ("CLIENT", "LIST", "TYPE", "normal", "x"), ("CLIENT", "LIST", "foo"), ("CLIENT", "INFO", "x"),
]
SCRIPT += CONFIG_SCRIPT

# COMMAND GETKEYS of commands whose keys are in their options.
GETKEYS = [
    ("sort", "abc", "store", "def"), ("sort", "abc", "store", "invalid", "store", "stillbad", "store", "def"),
    ("sort", "abc", "STORE"), ("sort", "abc", "STORE", "d", "x"), ("sort", "abc", "limit", "0"),
    ("sort", "abc", "limit", "store", "d", "x"), ("sort", "abc", "by", "store"),
    ("sort", "abc", "get", "store", "store", "d"), ("sort", "abc", "foo", "store", "d"),
    ("sort", "abc", "by", "x", "get", "y", "store", "d", "limit", "0", "1"), ("sort_ro", "abc", "store", "def"),
    ("zunionstore", "d", "2", "a", "b", "weights", "1", "2"), ("zunionstore", "d", "x", "a"),
    ("zunionstore", "d", "-1", "a"), ("zunionstore", "d", "0", "a"), ("zunionstore", "d", "3", "a", "b"),
    ("zinterstore", "d", "1", "a", "b"), ("zdiffstore", "d", "1", "a"),
    ("zunion", "2", "a", "b"), ("zunion", "0", "a"), ("zunion", "x", "a"), ("zunion", "3", "a", "b"),
    ("zinter", "2", "a", "b", "withscores"), ("zdiff", "1", "a"), ("zintercard", "1", "a"),
    ("sintercard", "1", "a", "limit", "2"), ("sintercard", "x", "a"), ("sintercard", "0", "a"),
    ("sintercard", "3", "a", "b"),
    ("eval", "x", "2", "a", "b", "c"), ("eval", "x", "0", "a"), ("eval", "x", "3", "a", "b"), ("eval", "x", "-1", "a"),
    ("eval", "x", "y", "a"), ("evalsha", "abc", "1", "k"), ("eval_ro", "x", "1", "k"), ("evalsha_ro", "x", "1", "k"),
    ("fcall", "f", "1", "k"), ("fcall_ro", "f", "1", "k"), ("fcall", "f", "0", "a"), ("fcall", "f", "5", "a"),
    ("eval", "x"), ("object", "encoding", "k"), ("object", "help", "x"), ("object", "freq", "k"), ("object", "nosuch", "k"),
    ("object", "encoding", "k", "x"), ("memory", "usage", "k"), ("memory", "usage", "k", "samples", "5"),
    ("memory", "stats", "x"), ("config", "get", "x"), ("client", "list", "x"),
    ("lmpop", "2", "a", "b", "left"), ("lmpop", "x", "a", "left"), ("lmpop", "0", "a", "left"),
    ("blmpop", "0", "2", "a", "b", "left"), ("bzmpop", "0", "1", "a", "min"), ("zmpop", "1", "a", "min"),
    ("zmpop", "5", "a", "min"), ("blpop", "a", "b", "0"), ("bzpopmin", "a", "b", "0"),
    ("zrangestore", "d", "s", "0", "1"), ("lmove", "a", "b", "left", "right"), ("get", "a", "b"), ("set", "a"),
    ("ping", "a", "b"), ("mset", "a", "1", "b"), ("msetnx", "a", "1", "b", "2"), ("copy", "a", "b", "db", "1"),
    ("sinterstore", "d", "a", "b"), ("del", "a", "b", "c"),
]
SCRIPT += [("COMMAND", "GETKEYS") + c for c in GETKEYS]

# Counts redis-server 7.0.15 crashes on or tries to allocate for: kcache
# stops where one reply passes 64 MiB (the proxy alone).
RAND_TOO_BIG = b"-ERR count is too large: the reply would pass kcache's 64 MiB reply limit\r\n"
RAND_HUGE = [
    ("SRANDMEMBER", "rs", "-9223372036854775807"), ("SRANDMEMBER", "rs", "-100000000"),
    ("HRANDFIELD", "rh", "-9223372036854775807"), ("HRANDFIELD", "rh", "-4611686018427387903", "WITHVALUES"),
    ("ZRANDMEMBER", "rz", "-9223372036854775807"), ("ZRANDMEMBER", "rz", "-4611686018427387903", "WITHSCORES"),
]


def run_script(port, script, hello3=False, timeout=5):
    r = Raw(port, timeout)
    out = []
    if hello3:
        r.send(cmd("HELLO", "3"))
        r.read_until(resp_upto(1))
        r.take()
    for c in script:
        r.send(cmd(*c))
        r.read_until(resp_upto(1))
        out.append(r.take())
    r.close()
    return out


def parse(b, i=0):
    """One RESP reply at b[i:] as Python values; returns (value, end)."""
    nl = b.index(b"\r\n", i)
    t, line, j = b[i:i + 1], b[i + 1:nl], nl + 2
    if t in (b"+", b"-"):
        return (t + line).decode(errors="replace"), j
    if t == b":":
        return int(line), j
    if t == b"_":
        return None, j
    if t == b"$":
        n = int(line)
        return (None, j) if n < 0 else (b[j:j + n], j + n + 2)
    if t in (b"*", b">", b"~"):
        n, out = int(line), []
        if n < 0:
            return None, j
        for _ in range(n):
            v, j = parse(b, j)
            out.append(v)
        return out, j
    raise ValueError("unexpected reply type %r" % t)


def call(r, *c):
    r.send(cmd(*c))
    b = r.read_until(resp_upto(1), 20)
    r.take()
    return parse(b)[0]


def pubsub_script(port):
    """Client A subscribes, B publishes (C too): every step's bytes, in order."""
    a, b, c = Raw(port), Raw(port), Raw(port)
    out = []

    def on(conn, *args, n=1):
        conn.send(cmd(*args))
        conn.read_until(resp_upto(n))
        out.append((args, conn.take()))

    def pub(ch, msg, *receivers):
        b.send(cmd("PUBLISH", ch, msg))
        b.read_until(resp_upto(1))
        out.append((("PUBLISH", ch, msg), b.take()))
        for conn, n in receivers:
            conn.read_until(lambda x: resp_count(x) >= n if n else False, None if n else 0.3)
            out.append((("received",), conn.take()))

    on(a, "UNSUBSCRIBE")
    on(a, "PUNSUBSCRIBE")
    on(a, "SUBSCRIBE", "c1", "c2", "c1", n=3)
    on(a, "PSUBSCRIBE", "c*", "c*", n=2)
    for args in [("GET", "x"), ("get",), ("nosuch",), ("PING",), ("PING", "hi"), ("ECHO", "x"),
                 ("SUBSCRIBE",), ("CLIENT", "ID"), ("CONFIG", "GET", "x"), ("MULTI",),
                 ("PUBLISH", "c1", "x"), ("PUBSUB", "NUMPAT"), ("HELLO", "2")]:
        on(a, *args)
    pub("c1", "m1", (a, 2))
    pub("cx", "m2", (a, 1))
    pub("zz", "m3", (a, 0))
    on(c, "SUBSCRIBE", "c1")
    pub("c1", "both", (a, 2), (c, 1))
    on(b, "PUBSUB", "NUMSUB", "c1", "c2", "zz")
    on(b, "PUBSUB", "NUMPAT")
    on(c, "UNSUBSCRIBE")
    on(a, "UNSUBSCRIBE", "c1", "nope", n=2)
    on(b, "PUBSUB", "CHANNELS")
    on(b, "PUBSUB", "CHANNELS", "c[0-9]")
    on(a, "PUNSUBSCRIBE")
    on(a, "UNSUBSCRIBE")
    on(a, "GET", "x")
    on(a, "PING")
    on(a, "SUBSCRIBE", "bin\x00\xff")
    pub("bin\x00\xff", "", (a, 1))
    pub("bin\x00\xff", "x\r\ny" * 1000, (a, 1))
    on(a, "UNSUBSCRIBE")
    # RESP3: replies and messages are pushes, every command is allowed
    a.send(cmd("HELLO", "3"))
    a.read_until(resp_upto(1))
    a.take()
    on(a, "UNSUBSCRIBE")
    on(a, "SUBSCRIBE", "c1")
    on(a, "GET", "x")
    on(a, "PING")
    on(a, "PSUBSCRIBE", "p*")
    pub("c1", "m3", (a, 1))
    pub("p1", "m4", (a, 1))
    on(a, "UNSUBSCRIBE")
    on(a, "PUNSUBSCRIBE")
    on(a, "PUNSUBSCRIBE")
    a.send(cmd("HELLO", "2"))
    a.read_until(resp_upto(1))
    a.take()
    # RESET leaves the subscribed state
    on(a, "SUBSCRIBE", "c1")
    on(a, "RESET")
    on(a, "GET", "x")
    pub("c1", "after reset", (a, 0))
    for x in (a, b, c):
        x.close()
    return out


# Keyspace notifications: CONFIG SET/GET notify-keyspace-events, then every
# write command that publishes an event (and the no-ops that do not), in
# databases 0 and 5.  Both servers' subscribers must get the same messages
# in the same order.  No key gets a short TTL here: "expired" comes from the
# kernel on its own time and is checked apart (keyspace_expired()).
KS_DUMP_V = b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"  # DUMP of "v", redis-server 7.0
KS_CONFIG = [
    ("FLUSHALL",), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", "KEA"), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", "Ex"), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", "gK$"), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", "An"), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", "KEAmn"), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", "K$lshzxetdmnAg"), ("CONFIG", "GET", "notify*"),
    ("CONFIG", "SET", "notify-keyspace-events", "Q"), ("CONFIG", "SET", "notify-keyspace-events", "KEz1"),
    ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", "KEA", "notify-keyspace-events", "KE"),
    ("CONFIG", "SET", "NOTIFY-KEYSPACE-EVENTS", "td"), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", "xe"), ("CONFIG", "GET", "notify-keyspace-events"),
    ("CONFIG", "SET", "notify-keyspace-events", ""), ("CONFIG", "GET", "notify-keyspace-events"),
    ("SET", "quiet", "v"), ("DEL", "quiet"),
    # one class at a time
    ("CONFIG", "SET", "notify-keyspace-events", "Eg"), ("SET", "c", "v", "EX", "100"), ("RPUSH", "cl", "a"),
    ("RENAME", "c", "c2"), ("LPOP", "cl"),
    ("CONFIG", "SET", "notify-keyspace-events", "Kl$"), ("SET", "c", "v"), ("RPUSH", "cl", "a", "b"),
    ("LPOP", "cl", "2"), ("SADD", "cs", "m"), ("DEL", "c", "c2", "cs"),
    ("CONFIG", "SET", "notify-keyspace-events", "Eshz"), ("SADD", "cs", "m"), ("HSET", "ch", "f", "v"),
    ("ZADD", "cz", "1", "m"), ("DEL", "cs", "ch", "cz"), ("SET", "c", "v"),
    ("CONFIG", "SET", "notify-keyspace-events", "KEA"),
]
KS_STRINGS = [
    ("FLUSHALL",),
    ("SET", "s", "v"), ("SET", "s", "v", "NX"), ("SET", "s", "v2", "XX", "GET"), ("SET", "nx", "v", "XX"),
    ("SET", "nx", "v", "XX", "GET"), ("SET", "nx2", "v", "GET"), ("SET", "s", "v3", "NX", "GET"),
    ("SET", "nx3", "v", "NX", "GET"), ("SET", "s", "v", "EX", "100"), ("SET", "s", "v", "KEEPTTL"),
    ("SET", "s", "v", "PXAT", "99999999999999"), ("SETNX", "s", "x"), ("SETNX", "s2", "x"),
    ("SETEX", "s3", "100", "v"), ("PSETEX", "s3", "100000", "v"), ("SETEX", "s3", "0", "v"),
    ("GETSET", "s", "g"), ("GETSET", "gs", "g"),
    ("MSET", "m1", "a", "m2", "b"), ("MSETNX", "m3", "a", "m4", "b"), ("MSETNX", "m3", "a", "m5", "b"),
    ("APPEND", "s", "x"), ("APPEND", "ap", ""), ("INCR", "n"), ("DECR", "n"), ("INCRBY", "n", "5"),
    ("DECRBY", "n", "2"), ("INCRBY", "s", "1"), ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "s", "1"),
    ("SETRANGE", "s", "1", "zz"), ("SETRANGE", "s", "1", ""), ("SETRANGE", "nokey", "3", ""),
    ("SETRANGE", "sr", "2", "x"),
    ("SETBIT", "b", "3", "1"), ("SETBIT", "b", "3", "1"), ("SETBIT", "b", "3", "0"), ("SETBIT", "b", "100", "0"),
    ("SETBIT", "b", "100", "0"), ("SETBIT", "b2", "0", "0"), ("SETBIT", "b", "x", "1"),
    ("BITOP", "AND", "bo", "nokey"), ("BITOP", "OR", "bo", "b"), ("BITOP", "AND", "bo", "nokey"),
    ("BITOP", "XOR", "bo", "b", "b"), ("BITOP", "NOT", "bo", "s", "b"),
    ("BITFIELD", "bf", "SET", "u8", "0", "1"), ("BITFIELD", "bf", "SET", "u8", "0", "1"),
    ("BITFIELD", "bf", "GET", "u8", "0"), ("BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"),
    ("BITFIELD", "bf2", "OVERFLOW", "FAIL", "SET", "u2", "9", "7"), ("BITFIELD", "bf", "INCRBY", "i8", "8", "-1"),
    ("BITFIELD_RO", "bf", "GET", "u8", "0"), ("BITCOUNT", "bf"),
]
KS_KEYS = [
    ("DEL", "m1", "nokey", "m2"), ("DEL", "nokey"), ("UNLINK", "m3"), ("EXPIRE", "s", "100"),
    ("EXPIRE", "nokey", "10"), ("EXPIRE", "s", "100", "NX"), ("PEXPIRE", "s", "50000", "LT"),
    ("PEXPIRE", "s", "90000", "GT"), ("EXPIREAT", "s", "99999999999"), ("PEXPIREAT", "s2", "1"),
    ("EXPIRE", "s3", "0"), ("EXPIRE", "m4", "-1"), ("EXPIRE", "nokey", "-1"),
    ("PERSIST", "s"), ("PERSIST", "s"), ("PERSIST", "nokey"),
    ("SET", "g", "v", "EX", "100"), ("GETEX", "g"), ("GETEX", "g", "PERSIST"), ("GETEX", "g", "PERSIST"),
    ("GETEX", "g", "EX", "50"), ("GETEX", "g", "PXAT", "99999999999999"), ("GETEX", "g", "PXAT", "1"),
    ("GETEX", "nokey", "EX", "5"), ("SET", "g", "v"), ("GETEX", "g", "EXAT", "1"), ("EXISTS", "g"),
    ("SET", "g", "v"), ("GETDEL", "g"), ("GETDEL", "g"),
    ("SET", "r", "v"), ("RENAME", "r", "r2"), ("RENAME", "r2", "r2"), ("SET", "m4", "v"),
    ("RENAMENX", "r2", "m4"), ("RENAMENX", "r2", "r3"), ("RENAME", "nokey", "x"), ("SET", "r4", "v"),
    ("RENAME", "r3", "r4"),
    ("COPY", "r4", "c1"), ("COPY", "r4", "c1"), ("COPY", "r4", "c1", "REPLACE"), ("COPY", "r4", "c1", "DB", "5"),
    ("COPY", "nokey", "c1"), ("MOVE", "c1", "5"), ("MOVE", "r4", "5"), ("MOVE", "nokey", "5"),
    ("RESTORE", "rs", "0", KS_DUMP_V), ("RESTORE", "rs", "0", KS_DUMP_V),
    ("RESTORE", "rs", "0", KS_DUMP_V, "REPLACE"), ("RESTORE", "rs2", "100000", KS_DUMP_V),
    ("RPUSH", "sl", "3", "1", "2"), ("SORT", "sl", "STORE", "sd"), ("SORT", "sl", "STORE", "sd"),
    ("SORT", "nosl", "STORE", "sd"), ("SORT", "nosl", "STORE", "sd"), ("SORT", "sl"),
]
KS_LISTS = [
    ("LPUSH", "l", "a", "b"), ("RPUSH", "l", "c"), ("LPUSHX", "nol", "a"), ("RPUSHX", "nol", "a"),
    ("RPUSHX", "l", "d"), ("LPUSHX", "l", "e"), ("LPOP", "l"), ("RPOP", "l", "2"), ("LPOP", "l", "0"),
    ("LPOP", "nol"), ("LINSERT", "l", "BEFORE", "b", "x"), ("LINSERT", "l", "BEFORE", "zz", "x"),
    ("LINSERT", "nol", "AFTER", "a", "x"), ("LSET", "l", "0", "y"), ("LSET", "l", "9", "y"),
    ("LREM", "l", "0", "zz"), ("LREM", "l", "0", "y"), ("LTRIM", "l", "0", "5"), ("LTRIM", "l", "0", "-1"),
    ("LTRIM", "nol", "0", "1"), ("LTRIM", "l", "5", "6"), ("EXISTS", "l"),
    ("RPUSH", "l", "a", "b", "c"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"), ("RPOPLPUSH", "l", "l2"),
    ("LMOVE", "l", "l2", "RIGHT", "LEFT"), ("LMOVE", "nol", "l2", "LEFT", "LEFT"),
    ("LMPOP", "2", "nol", "l2", "LEFT", "COUNT", "1"), ("LMPOP", "2", "nol", "l2", "RIGHT", "COUNT", "5"),
    ("LMPOP", "1", "nol", "LEFT"), ("RPUSH", "l", "a", "b"), ("LPOP", "l", "5"), ("RPUSH", "l", "a"),
    ("RPOP", "l"), ("RPUSH", "l", "a"), ("LMOVE", "l", "l", "LEFT", "LEFT"), ("RPUSH", "l2", "a"),
    ("LREM", "l2", "0", "a"), ("RPUSH", "bl", "a", "b", "c"), ("BLPOP", "nol", "bl", "0"),
    ("BRPOP", "bl", "0"), ("BLMOVE", "bl", "bl2", "LEFT", "LEFT", "0"), ("BRPOPLPUSH", "bl2", "bl3", "0"),
    ("BLMPOP", "0", "1", "bl3", "LEFT"),
]
KS_HASHES_SETS = [
    ("HSET", "h", "a", "1", "b", "2"), ("HSET", "h", "a", "1"), ("HMSET", "h", "c", "3"),
    ("HSETNX", "h", "c", "4"), ("HSETNX", "h", "d", "4"), ("HDEL", "h", "zz"), ("HDEL", "nokey", "zz"),
    ("HDEL", "h", "a", "b"), ("HINCRBY", "h", "c", "5"), ("HINCRBYFLOAT", "h", "c", "1.5"),
    ("HINCRBY", "h", "c", "x"), ("HDEL", "h", "c", "d"), ("EXISTS", "h"),
    ("SADD", "st", "a", "b"), ("SADD", "st", "a"), ("SREM", "st", "zz"), ("SREM", "st", "a"), ("SPOP", "st"),
    ("SADD", "st", "a", "b", "c"), ("SPOP", "st", "0"), ("SREM", "st", "a", "b"), ("SPOP", "st", "5"),
    ("SPOP", "nost"),
    ("SPOP", "nost", "3"), ("SADD", "st", "a", "b"), ("SMOVE", "st", "st2", "a"), ("SMOVE", "st", "st2", "zz"),
    ("SMOVE", "nost", "st2", "a"), ("SMOVE", "st", "st2", "b"), ("SADD", "st", "a"), ("SMOVE", "st", "st", "a"),
    ("SADD", "x", "1", "2"), ("SADD", "y", "2", "3"), ("SINTERSTORE", "d", "x", "y"),
    ("SUNIONSTORE", "d", "x", "y"), ("SDIFFSTORE", "d", "x", "y"), ("SINTERSTORE", "d", "nox", "noy"),
    ("SINTERSTORE", "d", "nox", "noy"), ("SADD", "d", "1"), ("SDIFFSTORE", "d", "x", "x"),
]
KS_ZSETS = [
    ("ZADD", "z", "1", "a", "2", "b"), ("ZADD", "z", "1", "a"), ("ZADD", "z", "CH", "6", "a"),
    ("ZADD", "z", "NX", "7", "a"), ("ZADD", "z", "XX", "8", "zz"), ("ZADD", "z", "INCR", "1", "a"),
    ("ZADD", "z", "NX", "INCR", "1", "a"), ("ZINCRBY", "z", "2", "b"), ("ZREM", "z", "zz"), ("ZREM", "z", "a"),
    ("ZREM", "z", "b"), ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZPOPMIN", "z"),
    ("ZPOPMAX", "z", "2"), ("ZPOPMIN", "z", "0"), ("ZPOPMIN", "z", "5"), ("ZPOPMIN", "noz"),
    ("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), ("ZREMRANGEBYRANK", "z", "0", "0"),
    ("ZREMRANGEBYRANK", "z", "10", "20"), ("ZREMRANGEBYSCORE", "z", "2", "2"),
    ("ZREMRANGEBYLEX", "z", "-", "+"), ("EXISTS", "z"),
    ("ZADD", "zx", "1", "a", "2", "b"), ("ZADD", "zy", "2", "b", "3", "c"),
    ("ZUNIONSTORE", "zd", "2", "zx", "zy"), ("ZINTERSTORE", "zd", "2", "zx", "zy"),
    ("ZDIFFSTORE", "zd", "2", "zx", "zy"), ("ZDIFFSTORE", "zd", "2", "zx", "zx"),
    ("ZDIFFSTORE", "zd", "2", "zx", "zx"), ("ZRANGESTORE", "zd2", "zx", "0", "-1"),
    ("ZRANGESTORE", "zd2", "zx", "5", "6"), ("ZRANGESTORE", "zd2", "zx", "5", "6"),
    ("ZMPOP", "2", "noz", "zx", "MIN"), ("ZMPOP", "1", "zx", "MAX", "COUNT", "3"), ("ZMPOP", "1", "zx", "MAX"),
    ("ZADD", "bz", "1", "a"), ("BZPOPMIN", "bz", "0"), ("ZADD", "bz", "1", "a", "2", "b"),
    ("BZMPOP", "0", "1", "bz", "MAX", "COUNT", "5"), ("ZADD", "bz", "1", "a", "2", "b"), ("BZPOPMAX", "bz", "0"),
]
KS_OTHER = [
    # a transaction: its events come with EXEC, in its order
    ("ZADD", "tz", "1", "m"), ("MULTI",), ("SET", "t", "1"), ("INCR", "t"), ("LPUSH", "tl", "a"),
    ("LPOP", "tl"), ("RPUSH", "tl", "b"), ("SINTERSTORE", "td", "nox"), ("SADD", "td", "m"),
    ("SINTERSTORE", "td", "nox"), ("ZMPOP", "1", "tz", "MIN"), ("HINCRBYFLOAT", "th", "f", "1"), ("INCRBYFLOAT", "tf", "2"),
    ("SELECT", "5"), ("SET", "t5", "v"), ("EXEC",),
    ("MULTI",), ("SET", "t", "1"), ("INCR", "t", "x"), ("EXEC",), ("DISCARD",),
    ("SELECT", "5"), ("SET", "k5", "v"), ("APPEND", "k5", "w"), ("DEL", "k5"), ("LPUSH", "l5", "a"),
    ("RPOP", "l5"), ("SADD", "s5", "m"), ("SREM", "s5", "m"), ("HSET", "h5", "f", "v"), ("HDEL", "h5", "f"),
    ("ZADD", "z5", "1", "m"), ("ZPOPMAX", "z5"), ("SET", "e5", "v"), ("EXPIRE", "e5", "100"),
    ("SET", "mv", "v"), ("MOVE", "mv", "0"), ("RENAME", "e5", "e6"), ("COPY", "e6", "e7", "DB", "0"),
    ("SELECT", "0"), ("SWAPDB", "0", "5"), ("SWAPDB", "0", "5"), ("FLUSHDB",), ("SET", "k", "v"),
    ("FLUSHALL",),
]
KS_SCRIPT = KS_CONFIG + KS_STRINGS + KS_KEYS + KS_LISTS + KS_HASHES_SETS + KS_ZSETS + KS_OTHER


def pushes(conn):
    """The complete replies in conn's buffer, parsed; the rest stays."""
    out, i = [], 0
    while True:
        j = resp_reply_len(conn.buf, i)
        if j is None:
            break
        out.append(parse(conn.buf, i)[0])
        i = j
    conn.buf = conn.buf[i:]
    return out


def until_mark(conn, mark, secs=5):
    """Messages conn received before the message `mark` on ks-mark."""
    got, end = [], time.time() + secs
    while time.time() < end:
        conn.read_until(resp_upto(1), max(0.01, end - time.time()))
        for m in pushes(conn):
            if m == [b"message", b"ks-mark", mark.encode()]:
                return got
            got.append(tuple(m))
    return got + [("no mark %s within %d s" % (mark, secs),)]


def ks_subscribe(port):
    s = Raw(port)
    s.send(cmd("PSUBSCRIBE", "__keyspace@*__:*", "__keyevent@*__:*") + cmd("SUBSCRIBE", "ks-mark"))
    s.read_until(resp_upto(3))
    s.take()
    return s


def keyspace_script(port, port2=None):
    """Each command's reply and the messages it published, in order.

    With port2 (a second proxy on the same cache) a subscriber there must
    get the same messages; the steps where it did not are returned apart.
    """
    r = Raw(port)
    subs = [ks_subscribe(port)] + ([ks_subscribe(port2)] if port2 else [])
    out, other, multi = [], [], False
    for i, c in enumerate(KS_SCRIPT):
        r.send(cmd(*c))
        r.read_until(resp_upto(1))
        rep = r.take()
        multi = (multi or c[0] == "MULTI") and c[0] not in ("EXEC", "DISCARD")
        if multi:  # a PUBLISH would be queued too: EXEC's events
            out.append((c, rep, []))
            continue
        r.send(cmd("PUBLISH", "ks-mark", str(i)))
        r.read_until(resp_upto(1))
        r.take()
        got = [until_mark(s, str(i)) for s in subs]
        out.append((c, rep, got[0]))
        if port2 and got[1] != got[0]:
            other.append((c, got[0], got[1]))
    r.send(cmd("CONFIG", "SET", "notify-keyspace-events", ""))
    r.read_until(resp_upto(1))
    for x in [r] + subs:
        x.close()
    return out, other


def is_expired(m):
    return len(m) == 4 and (m[3] == b"expired" or m[2].endswith(b"__:expired"))


def run(conn, *c):
    conn.send(cmd(*c))
    conn.read_until(resp_upto(1))
    return conn.take()


def keyspace_pipelined(port):
    """The script (but its CONFIG steps) in one write, which kcache-proxy
    runs in batches: all replies, and all messages in order."""
    script = KS_SCRIPT[len(KS_CONFIG):]
    r, s = Raw(port, 20), ks_subscribe(port)
    run(r, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    r.send(b"".join(cmd(*c) for c in script) + cmd("PUBLISH", "ks-mark", "all"))
    r.read_until(resp_upto(len(script) + 1), 30)
    replies = r.take()
    got = until_mark(s, "all", 30)
    run(r, "CONFIG", "SET", "notify-keyspace-events", "")
    for x in (r, s):
        x.close()
    return replies, got


def keyspace_blocked(port):
    """Clients blocked, then served by another client's push: each step's
    reply and messages.  kcache publishes the pop's events from the served
    client's worker, so only the set of messages is compared."""
    r, b, s = Raw(port), Raw(port), ks_subscribe(port)
    out = []
    run(r, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    for i, (block, push) in enumerate([
            (("BLPOP", "wl", "5"), ("RPUSH", "wl", "x")),
            (("BLMOVE", "wl", "wl2", "RIGHT", "LEFT", "5"), ("LPUSH", "wl", "y", "z")),
            (("BLMPOP", "5", "2", "nol", "wl3", "LEFT", "COUNT", "2"), ("RPUSH", "wl3", "a", "b", "c")),
            (("BZPOPMIN", "wz", "5"), ("ZADD", "wz", "1", "m")),
            (("BZMPOP", "5", "1", "wz", "MAX"), ("ZADD", "wz", "1", "m", "2", "n"))]):
        b.send(cmd(*block))
        time.sleep(0.3)  # parked
        run(r, *push)
        b.read_until(resp_upto(1))
        rep = b.take()
        run(r, "PUBLISH", "ks-mark", "b%d" % i)
        out.append((block, rep, sorted(until_mark(s, "b%d" % i))))
    run(r, "CONFIG", "SET", "notify-keyspace-events", "")
    for x in (r, b, s):
        x.close()
    return out


def keyspace_expired(port, port2=None):
    """SET PX 100 with KEA on both proxies: the messages each subscriber
    got.  "expired" is the kernel's, republished once by one proxy."""
    r, r2 = Raw(port), Raw(port2) if port2 else None
    subs = [ks_subscribe(port)] + ([ks_subscribe(port2)] if port2 else [])
    for conn in [r] + ([r2] if r2 else []):
        run(conn, "CONFIG", "SET", "notify-keyspace-events", "KEA")
    run(r, "SET", "ex", "v", "PX", "100")
    run(r, "PUBLISH", "ks-mark", "set")
    got = [until_mark(s, "set") for s in subs]
    time.sleep(0.3)
    run(r, "EXISTS", "ex")  # kcache's crawler may not have come by yet
    for k, s in enumerate(subs):
        end = time.time() + 5
        while time.time() < end and sum(map(is_expired, got[k])) < 2:
            s.read_until(resp_upto(1), 0.1)
            got[k] += [tuple(m) for m in pushes(s)]
        s.read_until(lambda b: False, 0.5)  # a second republisher's copy
        got[k] += [tuple(m) for m in pushes(s)]
    for conn in [r] + ([r2] if r2 else []):
        run(conn, "CONFIG", "SET", "notify-keyspace-events", "")
    for x in [r] + ([r2] if r2 else []) + subs:
        x.close()
    return got


def scan_all(r, *opts):
    """A whole SCAN: (keys seen, replies, the first malformed reply or None)."""
    cursor, keys, calls = b"0", [], 0
    while True:
        v = call(r, "SCAN", cursor, *opts)
        calls += 1
        if not (isinstance(v, list) and len(v) == 2 and isinstance(v[0], bytes) and
                v[0].isdigit() and isinstance(v[1], list) and
                all(isinstance(k, bytes) for k in v[1])):
            return keys, calls, v
        keys += v[1]
        cursor = v[0]
        if cursor == b"0" or calls > 100000:
            return keys, calls, None


REPLY_SESSIONS = [
    ["CLIENT REPLY OFF", "PING a", "SUBSCRIBE x y", "PING", "UNSUBSCRIBE x",
     "CLIENT REPLY ON", "UNSUBSCRIBE"],
    ["CLIENT REPLY SKIP", "SUBSCRIBE x", "PING b", "CLIENT REPLY SKIP",
     "UNSUBSCRIBE x", "PING c"],
    ["CLIENT REPLY SKIP", "CLIENT REPLY SKIP", "PING a", "PING b",
     "CLIENT REPLY OFF", "CLIENT REPLY SKIP", "PING c", "CLIENT REPLY ON", "PING d"],
    ["CLIENT REPLY OFF", "NOSUCH", "CLIENT REPLY FOO", "CLIENT REPLY",
     "CLIENT REPLY ON", "CLIENT REPLY FOO", "CLIENT REPLY SKIP", "NOSUCH",
     "DEL cr-k", "GET cr-k"],
    ["CLIENT REPLY OFF", "MULTI", "SET cr-k v", "EXEC", "GET cr-k",
     "CLIENT REPLY ON", "GET cr-k", "DEL cr-k"],
    ["CLIENT REPLY SKIP", "SET cr-k v", "GET cr-k", "CLIENT REPLY SKIP", "DEL cr-k",
     "EXISTS cr-k", "CLIENT REPLY OFF", "RESET", "PING"],
    ["CLIENT REPLY OFF", "PSUBSCRIBE cr*", "@PUBLISH cr1 hello", "PUNSUBSCRIBE",
     "CLIENT REPLY ON"],
]


def reply_sessions(port):
    """CLIENT REPLY OFF/ON/SKIP: each session's bytes, inline commands one
    at a time ("@..." goes from a second client)."""
    out = []
    for sess in REPLY_SESSIONS:
        r, other = Raw(port), Raw(port)
        for c in sess:
            if c.startswith("@"):
                other.send(c[1:].encode() + b"\r\n")
                other.read_until(lambda b: b.endswith(b"\r\n"), 2)
            else:
                r.send(c.encode() + b"\r\n")
            time.sleep(0.05)
        r.read_until(lambda b: False, 0.5)
        out.append(r.buf)
        r.close()
        other.close()
    return out


def stats_script(port):
    """INFO commandstats / errorstats after refusals and failures, usec
    masked and lines sorted (Redis prints its hash table's order)."""
    r = Raw(port)
    for c in [("DEL", "cs-k"), ("CONFIG", "RESETSTAT"), ("SET", "cs-k", "v"),
              ("LPUSH", "cs-k", "x"), ("GET",), ("NOSUCH",), ("CLIENT", "FOO"),
              ("CLIENT", "KILL"), ("CLIENT", "LIST"), ("GET", "cs-k"), ("GET", "cs-k"),
              ("INCR", "cs-k"), ("OBJECT", "FOO")]:
        call(r, *c)
    # a refusal while replies are off counts too
    r.send(cmd("CLIENT", "REPLY", "OFF") + cmd("GET") + cmd("CLIENT", "REPLY", "ON"))
    r.read_until(lambda b: b.endswith(b"+OK\r\n"))
    r.buf = b""
    out = []
    for sec in ("commandstats", "errorstats"):
        v = call(r, "INFO", sec)
        lines = [re.sub(rb"usec=\d+,usec_per_call=[\d.]+", b"usec=U", l)
                 for l in v.split(b"\r\n") if l]
        out.append(sorted(lines))
    v = call(r, "INFO", "stats")
    out.append([l for l in v.split(b"\r\n") if l.startswith(b"total_error_replies:")])
    call(r, "CONFIG", "RESETSTAT")
    v = call(r, "INFO", "errorstats")
    out.append(v)
    r.close()
    return out


def kill_script(port):
    """CLIENT LIST / KILL over 8 clients (on several workers of the proxy)."""
    a = Raw(port)
    others = [Raw(port) for _ in range(7)]
    for o in others:
        call(o, "PING")
    ids = [call(o, "CLIENT", "ID") for o in others]
    out = []

    def nlist(*f):
        v = call(a, "CLIENT", "LIST", *f)
        return len(v.split(b"\n")) - 1 if isinstance(v, bytes) else v

    def connected():
        v = call(a, "INFO", "clients")
        return [l for l in v.split(b"\r\n") if l.startswith(b"connected_clients:")]

    out.append(("list", nlist()))
    out.append(("list id", nlist("ID", *[str(i) for i in ids])))
    out.append(("user x", call(a, "CLIENT", "KILL", "USER", "x")))
    out.append(("user default pubsub", call(a, "CLIENT", "KILL", "USER", "default", "TYPE", "pubsub")))
    out.append(("type master", call(a, "CLIENT", "KILL", "TYPE", "master")))
    out.append(("laddr none", call(a, "CLIENT", "KILL", "LADDR", "1.2.3.4:5")))
    out.append(("id", [call(a, "CLIENT", "KILL", "ID", str(i)) for i in ids[:2]]))
    addr = call(others[2], "CLIENT", "INFO").split(b" ")[1][5:].decode()
    out.append(("old form", call(a, "CLIENT", "KILL", addr), call(a, "CLIENT", "KILL", addr)))
    addr = call(others[3], "CLIENT", "INFO").split(b" ")[1][5:].decode()
    out.append(("addr", call(a, "CLIENT", "KILL", "ADDR", addr, "SKIPME", "no")))
    out.append(("after", nlist(), connected()))
    out.append(("skipme yes", call(a, "CLIENT", "KILL", "SKIPME", "yes")))
    out.append(("after skipme yes", nlist(), connected()))
    gone = []
    for o in others:
        try:
            gone.append(call(o, "PING"))
        except (OSError, ValueError):
            gone.append("closed")
    out.append(("killed ones", gone))
    out.append(("skipme no", call(a, "CLIENT", "KILL", "SKIPME", "no")))
    try:
        out.append(("me", call(a, "PING")))
    except (OSError, ValueError):
        out.append(("me", "closed"))
    for o in others + [a]:
        o.close()
    return out


def client_fields(port):
    """CLIENT LIST/INFO lines: [(field, value)] of each line."""
    a, b = Raw(port), Raw(port)
    call(b, "SUBSCRIBE", "cf-chan")
    ida = call(a, "CLIENT", "ID")
    out = {"info": call(a, "CLIENT", "INFO"), "list": call(a, "CLIENT", "LIST")}
    out["id"] = call(a, "CLIENT", "LIST", "ID", str(ida), "999999999")
    out["normal"] = call(a, "CLIENT", "LIST", "TYPE", "normal")
    out["pubsub"] = call(a, "CLIENT", "LIST", "TYPE", "PUBSUB")
    out["master"] = call(a, "CLIENT", "LIST", "TYPE", "master")
    a.close()
    b.close()
    lines = {k: [[tuple(f.split(b"=", 1)) for f in l.split(b" ")] for l in v.split(b"\n") if l]
             for k, v in out.items() if isinstance(v, bytes)}
    return ida, lines


def big_script():
    """Variadic commands past KC_ARGS_MAX (65536) arguments, as Redis's lazyfree test."""
    m = [str(i) for i in range(100000)]
    f = ["f%d" % i for i in range(100000)]
    z = ["m%d" % i for i in range(100000)]
    k = ["bk%d" % i for i in range(70000)]
    return [
        ("DEL", "bigs", "bigh", "bigl", "bigz", "bigm", "bigstr", "bignokey"),
        ("SADD", "bigs") + tuple(m), ("SCARD", "bigs"), ("SADD", "bigs") + tuple(m),
        ("SMISMEMBER", "bigs") + tuple(m) + ("nope",), ("SREM", "bigs") + tuple(m[:70000]) + ("nope",),
        ("SCARD", "bigs"), ("DEL", "bigs"),
        ("HSET", "bigh") + tuple(x for p in zip(f, m) for x in p), ("HLEN", "bigh"),
        ("HMGET", "bigh") + tuple(f) + ("nofield",), ("HMGET", "bignokey") + tuple(f),
        ("HDEL", "bigh") + tuple(f[:70000]), ("HMSET", "bigh") + tuple(x for p in zip(f, m) for x in p),
        ("HLEN", "bigh"), ("DEL", "bigh"),
        ("RPUSH", "bigl") + tuple(m), ("LPUSH", "bigl") + tuple(m), ("LLEN", "bigl"),
        ("LINDEX", "bigl", "0"), ("LINDEX", "bigl", "99999"), ("LINDEX", "bigl", "100000"),
        ("LINDEX", "bigl", "-1"), ("RPUSHX", "bignokey") + tuple(m), ("DEL", "bigl"),
        ("ZADD", "bigz") + tuple(x for p in zip(m, z) for x in p), ("ZCARD", "bigz"),
        ("ZADD", "bigz", "CH") + tuple(x for p in zip(m[1:] + ["5"], z) for x in p),
        ("ZMSCORE", "bigz") + tuple(z[:70000]) + ("nope",), ("ZSCORE", "bigz", "m99999"),
        ("ZREM", "bigz") + tuple(z[:70000]), ("ZCARD", "bigz"), ("DEL", "bigz"),
        ("MSET",) + tuple(x for p in zip(k, m) for x in p), ("MGET",) + tuple(k) + ("bignokey",),
        ("DEL",) + tuple(k),
        ("MULTI",), ("SADD", "bigm") + tuple(m), ("SCARD", "bigm"), ("EXEC",), ("DEL", "bigm"),
        ("SET", "bigstr", "x"), ("SADD", "bigstr") + tuple(m), ("HSET", "bigstr") + tuple(f + m),
        ("GET", "bigstr"), ("DEL", "bigstr"),
    ]


def slowlog_run(port):
    """SLOWLOG with every command logged: what does not depend on time."""
    r = Raw(port)
    out = []
    call(r, "CONFIG", "SET", "slowlog-log-slower-than", "0")
    call(r, "SLOWLOG", "RESET")
    call(r, "SADD", "slset", *[str(i) for i in range(3, 37)])
    call(r, "GET", "A" * 129)
    call(r, "AUTH", "secret")
    call(r, "MULTI")
    call(r, "SET", "slk", "1")
    call(r, "INCR", "slk")
    call(r, "EXEC")
    call(r, "CLIENT", "SETNAME", "slname")
    call(r, "NOSUCHCMD")
    call(r, "GET")
    got = call(r, "SLOWLOG", "GET", "-1")
    out.append([(e[3], e[5]) for e in got])
    out.append(all(isinstance(e[0], int) and isinstance(e[1], int) and isinstance(e[2], int) and
                   re.fullmatch(rb"[0-9.]+:[0-9]+", e[4]) for e in got))
    out.append([e[0] for e in got] == sorted([e[0] for e in got], reverse=True))
    call(r, "CONFIG", "SET", "slowlog-max-len", "3")
    for _ in range(5):
        call(r, "PING")
    out.append(call(r, "SLOWLOG", "LEN"))
    out.append([len(call(r, "SLOWLOG", "GET", n)) for n in ("0", "1", "-1", "3", "10")])
    out.append(call(r, "SLOWLOG", "GET", "-2"))
    call(r, "CONFIG", "SET", "slowlog-log-slower-than", "-1")
    call(r, "SLOWLOG", "RESET")
    call(r, "PING")
    out.append(call(r, "SLOWLOG", "LEN"))
    call(r, "CONFIG", "SET", "slowlog-log-slower-than", "1000000")
    call(r, "PING")
    out.append(call(r, "SLOWLOG", "LEN"))
    call(r, "CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128")
    call(r, "SLOWLOG", "RESET")
    call(r, "DEL", "slset", "slk")
    r.close()
    return out


def main():
    t = Tap()
    px = Proxy()
    ref = Reference("redis")

    def diff(script, name, hello3=False):
        got = run_script(px.rport, script, hello3)
        if ref.p is None:
            t.skip(name, "no redis-server to compare with")
            return
        want = run_script(ref.port, script, hello3)
        bad = [(c, g, w) for c, g, w in zip(script, got, want) if g != w]
        t.ok(not bad, name + " (%d commands)" % len(script),
             "\n".join("%r:\n  proxy: %r\n  redis: %r" % b for b in bad[:8]))

    t.run("diff RESP2", lambda: diff(SCRIPT, "replies identical to redis-server"))

    def movablekeys():
        if ref.p is None:
            t.skip("COMMAND INFO movablekeys as redis-server's", "no redis-server to compare with")
            return
        names = ["blmpop", "bzmpop", "lmpop", "zmpop", "sintercard", "sort", "sort_ro", "zdiff",
                 "zdiffstore", "zinter", "zintercard", "zinterstore", "zunion", "zunionstore",
                 "set", "get", "mset", "bitfield", "lmove", "lpop", "blpop", "ping", "memory",
                 "rename", "del", "exists", "object", "brpoplpush", "bzpopmin"]
        flagged = []
        for port in (px.rport, ref.port):
            m = Raw(port)
            got = set()
            for n in names:
                m.send(cmd("COMMAND", "INFO", n))
                if b"movablekeys" in m.read_until(resp_upto(1)):
                    got.add(n)
                m.take()
            m.close()
            flagged.append(got)
        t.eq(flagged[0], flagged[1], "COMMAND INFO movablekeys on the commands redis-server marks")
    t.run("movablekeys", movablekeys)
    t.run("diff RESP3", lambda: diff(SCRIPT3, "RESP3 replies identical to redis-server", True))

    def pubsub():
        got = pubsub_script(px.rport)
        if ref.p is None:
            t.skip("pub/sub replies identical to redis-server", "no redis-server to compare with")
            return
        want = pubsub_script(ref.port)
        bad = [(g[0], g[1], w[1]) for g, w in zip(got, want) if g != w]
        t.ok(not bad and len(got) == len(want),
             "pub/sub replies, messages and errors identical to redis-server (%d steps)" % len(got),
             "\n".join("%r:\n  proxy: %r\n  redis: %r" % x for x in bad[:8]))
    t.run("pubsub", pubsub)

    def keyspace():
        name = "keyspace notifications: "
        if ref.p is None:
            t.skip(name + "as redis-server publishes them", "no redis-server to compare with")
            return
        px2 = Proxy()  # another proxy on the same cache
        try:
            got, other = keyspace_script(px.rport, px2.rport)
            want, _ = keyspace_script(ref.port)
            bad = [(g[0], g[2], w[2]) for g, w in zip(got, want) if g[2] != w[2]]
            t.ok(not bad and len(got) == len(want),
                 name + "the same messages in the same order as redis-server (%d commands)" % len(got),
                 "\n".join("%r:\n  proxy: %r\n  redis: %r" % b for b in bad[:8]))
            bad = [(g[0], g[1], w[1]) for g, w in zip(got, want) if g[1] != w[1]]
            t.ok(not bad, name + "replies identical to redis-server",
                 "\n".join("%r:\n  proxy: %r\n  redis: %r" % b for b in bad[:8]))
            t.ok(not other, name + "a subscriber of another proxy on the cache gets the same",
                 "\n".join("%r:\n  this proxy:  %r\n  other proxy: %r" % b for b in other[:8]))
            got, want = keyspace_pipelined(px.rport), keyspace_pipelined(ref.port)
            i = next((i for i, (g, w) in enumerate(zip(got[1], want[1])) if g != w),
                     min(len(got[1]), len(want[1])))
            t.ok(got == want, name + "the same, pipelined (%d messages)" % len(want[1]),
                 "replies equal: %s; message %d on:\n  proxy: %r\n  redis: %r" % (
                     got[0] == want[0], i, got[1][i:i + 4], want[1][i:i + 4]))
            got, want = keyspace_blocked(px.rport), keyspace_blocked(ref.port)
            bad = [(g[0], g[1:], w[1:]) for g, w in zip(got, want) if g != w]
            t.ok(not bad, name + "blocked clients served by a push publish their pops",
                 "\n".join("%r:\n  proxy: %r\n  redis: %r" % b for b in bad))
            got = keyspace_expired(px.rport, px2.rport)
            want = keyspace_expired(ref.port)
            t.eq(got[0], want[0], name + "the kernel's expiry is published as redis-server's \"expired\"")
            t.eq(got[1], want[0], name + "\"expired\" comes once, with two proxies listening")
        finally:
            px2.stop()
    t.run("keyspace", keyspace)

    def scan():
        if ref.p is None:
            t.skip("SCAN/KEYS against redis-server", "no redis-server to compare with")
            return
        data = [("SET", "sk:%d" % i, "v") for i in range(3000)]
        data += [("RPUSH", "sl:%d" % i, "a") for i in range(300)]
        data += [("HSET", "sh:%d" % i, "f", "v") for i in range(200)]
        data += [("SADD", "ss:%d" % i, "m") for i in range(200)]
        conns = {}
        for name, port in (("proxy", px.rport), ("redis", ref.port)):
            r = Raw(port, 20)
            r.send(cmd("FLUSHALL") + b"".join(cmd(*d) for d in data))
            r.read_until(resp_upto(len(data) + 1), 60)
            r.take()
            conns[name] = r
        variants = [(), ("COUNT", "1"), ("COUNT", "1000"), ("MATCH", "sk:1*"),
                    ("MATCH", "s[hs]:1?"), ("MATCH", "*:[^0-8]"), ("TYPE", "list"),
                    ("TYPE", "HASH", "MATCH", "*7*"), ("TYPE", "set", "COUNT", "50"),
                    ("MATCH", "nothing*")]
        for opts in variants:
            got, calls, bad = scan_all(conns["proxy"], *opts)
            want, _, _ = scan_all(conns["redis"], *opts)
            t.ok(bad is None, "SCAN %s: every reply is [cursor, [keys]]" % " ".join(opts), bad)
            t.eq(sorted(set(got)), sorted(set(want)), "SCAN %s: the keys redis-server returns" %
                 " ".join(opts))
        got, calls, _ = scan_all(conns["proxy"])
        t.ok(calls > 10 and len(got) - len(set(got)) < 50,
             "SCAN walks the index in steps (%d calls, %d repeats)" % (calls, len(got) - len(set(got))))
        for pat in ("*", "sk:2*", "s?:1[0-4]", "*[^0-9]", "sl:*0"):
            g, w = call(conns["proxy"], "KEYS", pat), call(conns["redis"], "KEYS", pat)
            t.ok(isinstance(g, list) and len(g) == len(set(g)) and sorted(g) == sorted(w),
                 "KEYS %s: the keys of redis-server, each once (%d)" % (pat, len(w)))
        keys = set(call(conns["proxy"], "KEYS", "*"))
        picks = set(call(conns["proxy"], "RANDOMKEY") for _ in range(50))
        t.ok(picks <= keys and len(picks) > 10, "RANDOMKEY picks existing keys, not always the same",
             sorted(picks)[:10])
        # A few keys after a flush: one call, cursor 0, as redis-py's own
        # test_scan expects (the index keeps 1024+ buckets, Redis's dict 4).
        small = {}
        for name, r in conns.items():
            call(r, "FLUSHALL")
            for k in ("a", "b", "c"):
                call(r, "SET", k, "1")
            v = call(r, "SCAN", "0")
            small[name] = [v[0], sorted(v[1])] if isinstance(v, list) and len(v) == 2 else v
        t.eq(small["proxy"], small["redis"], "SCAN 0 of three keys: all of them and cursor 0")
        t.eq(small["proxy"], [b"0", [b"a", b"b", b"c"]], "SCAN 0 of three keys: [0, [a, b, c]]")
        for r in conns.values():
            call(r, "FLUSHALL")
            r.close()
    t.run("scan", scan)

    def hello():
        r = Raw(px.rport)
        r.send(cmd("HELLO", "3"))
        b = r.read_until(resp_upto(1))
        t.ok(b.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n") and b"proto\r\n:3\r\n" in b,
             "HELLO 3 answers a RESP3 map", b)
        r.take()
        r.send(cmd("HELLO", "2"))
        b = r.read_until(resp_upto(1))
        t.ok(b.startswith(b"*14\r\n"), "HELLO 2 goes back to RESP2", b)
        r.close()
    t.run("hello", hello)

    def inline():
        r = Raw(px.rport)
        r.send(b'PING\r\nSET ik "a b\\x41"\r\nGET ik\nECHO \'q\\\'x\'\r\n\r\nDEL ik\r\n')
        b = r.read_until(resp_upto(5))
        t.eq(b, b"+PONG\r\n+OK\r\n$4\r\na bA\r\n$3\r\nq'x\r\n:1\r\n", "inline commands")
        r.close()
    t.run("inline", inline)

    def pipeline():
        r = Raw(px.rport)
        reqs = [cmd("SET", "p%d" % i, "v%d" % i) for i in range(200)]
        reqs.insert(100, cmd("NOSUCHCMD", "x"))
        reqs += [cmd("GET", "p%d" % i) for i in range(200)] + [cmd("INCR", "pc")] * 50
        r.send(b"".join(reqs))
        b = r.read_until(resp_upto(451), 20)
        t.eq(resp_count(b), 451, "a pipeline of 451 commands gets 451 replies")
        t.ok(b"-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \r\n" in b,
             "an unknown command inside a pipeline gets its error", b[:200])
        t.ok(b.endswith(b":50\r\n") and b"$4\r\nv199\r\n" in b,
             "pipelined replies are in order", b[-100:])
        r.take()
        r.send(cmd("DEL", *["p%d" % i for i in range(200)] + ["pc"]))
        t.eq(r.read_until(lambda b: resp_count(b) >= 1 and b.startswith(b":")), b":201\r\n",
             "DEL of 201 keys")
        r.close()
    t.run("pipeline", pipeline)

    def many_gets():
        """One read of 3000 GETs: each gets item_size_max of reply arena."""
        r = Raw(px.rport, 60)
        r.send(cmd("SET", "mg", "v") + cmd("GET", "mg") * 3000)
        b = r.read_until(resp_upto(3001), 60)
        t.ok(b == b"+OK\r\n" + b"$1\r\nv\r\n" * 3000, "a pipeline of 3000 GETs", b[:100])
        with open("/proc/%d/status" % px.p.pid) as f:
            rss = [int(x.split()[1]) for x in f if x.startswith("VmRSS:")][0]
        t.ok(rss < 200 * 1024, "the reply arena stays small after it (VmRSS %d kB)" % rss)
        call(r, "DEL", "mg")
        r.close()
    t.run("many gets", many_gets)

    def split_every_byte():
        r = Raw(px.rport)
        data = cmd("SET", "split", "x" * 30) + b"GET split\r\n" + cmd("DEL", "split")
        for i in range(len(data)):
            r.send(data[i:i + 1])
            time.sleep(0.001)
        b = r.read_until(resp_upto(3))
        t.eq(b, b"+OK\r\n$30\r\n" + b"x" * 30 + b"\r\n:1\r\n", "requests sent one byte at a time")
        r.close()
    t.run("split", split_every_byte)

    def big_value():
        r = Raw(px.rport, 20)
        v = os.urandom(512 * 1024)
        r.send(cmd("SET", "bigv", v) + cmd("GET", "bigv") + cmd("STRLEN", "bigv") + cmd("DEL", "bigv"))
        b = r.read_until(resp_upto(4), 20)
        t.eq(b, b"+OK\r\n$%d\r\n%s\r\n:%d\r\n:1\r\n" % (len(v), v, len(v)),
             "a 512 KiB binary value round-trips")
        r.close()
    t.run("big value", big_value)

    def txn_big_reply():
        """A transaction whose replies are large and many: as redis-server."""
        if ref.p is None:
            t.skip("big transaction reply against redis-server", "no redis-server to compare with")
            return
        v = bytes(range(256)) * 256           # 64 KiB
        setup = [cmd("FLUSHALL"), cmd("SET", "tb:v", v),
                 cmd("RPUSH", "tb:l", *["e%d" % i for i in range(1000)]),
                 cmd("HSET", "tb:h", *[x for i in range(200) for x in ("f%d" % i, "v%d" % i)]),
                 cmd("SADD", "tb:s", *["m%d" % i for i in range(300)])]
        # 150 LRANGE-like ops: more than a 4 GiB reply arena held at 64 MiB each.
        body = ([cmd("LRANGE", "tb:l", "0", "-1")] * 150 + [cmd("GET", "tb:v")] * 60 +
                [cmd("HGETALL", "tb:h")] * 70 + [cmd("SCARD", "tb:s")] * 50 +
                [cmd("LPOP", "tb:l", "10")] * 20)
        out = {}
        for name, port in (("redis", ref.port), ("proxy", px.rport)):
            r = Raw(port, 120)
            r.send(b"".join(setup))
            r.read_until(resp_upto(len(setup)), 60)
            r.take()
            r.send(cmd("MULTI") + b"".join(body) + cmd("EXEC"))
            # Parsing a 6 MiB reply after every read is too slow: only
            # when a read ends at the end of a line.
            b = r.read_until(lambda b: b.endswith(b"\r\n") and
                             resp_count(b) >= len(body) + 2, 180)
            j, replies = 0, []
            while j < len(b):
                v, j = parse(b, j)
                replies.append(v)
            out[name] = replies
            r.take()
            r.send(cmd("FLUSHALL"))
            r.read_until(resp_upto(1), 20)
            r.close()
        g, w = out["proxy"], out["redis"]
        # A 200-field hash is in hash order in both: compare HGETALL's pairs.
        for x in (g, w):
            if len(x) == len(body) + 2 and isinstance(x[-1], list) and len(x[-1]) == len(body):
                for i in range(210, 280):
                    x[-1][i] = sorted(zip(x[-1][i][0::2], x[-1][i][1::2]))
        t.ok(len(w) == len(body) + 2 and g == w,
             "MULTI of 350 commands with 6 MiB of replies: EXEC answers as redis-server",
             "proxy %d replies, last %r" % (len(g), repr(g[-1])[:300]))
    t.run("transaction big reply", txn_big_reply)

    def huge_value():
        # A 4 MiB value is read whole (Redis's proto-max-bulk-len is 512 MiB)
        # and refused with Redis's string size error when the module's
        # item_size_max is smaller; the connection goes on.
        r = Raw(px.rport, 60)
        v = b"v" * (4 << 20)
        r.send(cmd("SET", "hugev", v) + cmd("PING"))
        b = r.read_until(resp_upto(2), 60)
        t.ok(b in (b"+OK\r\n+PONG\r\n",
                   b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n+PONG\r\n"),
             "a 4 MiB SET is read whole: stored or Redis's size error, no protocol error", b[:200])
        r.close()
    t.run("huge value", huge_value)

    def huge_bitfield():
        # A write past item_size_max gets the string size error (Redis
        # would build the string); an offset whose byte is 512 MiB or more
        # Redis's offset error.  Neither creates the key.
        r = Raw(px.rport, 60)
        r.send(cmd("BITFIELD", "hugeb", "SET", "u8", "#%d" % (64 << 20), "1") +
               cmd("BITFIELD", "hugeb", "INCRBY", "i8", "4294967296", "1") +
               cmd("BITFIELD", "hugeb", "GET", "u8", "4294967295") + cmd("EXISTS", "hugeb"))
        b = r.read_until(resp_upto(4), 60)
        t.eq(b, b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
             b"-ERR bit offset is not an integer or out of range\r\n*1\r\n:0\r\n:0\r\n",
             "BITFIELD past item_size_max, past 512 MiB, reading far out")
        r.close()
    t.run("huge bitfield", huge_bitfield)

    def http():
        for req in (b"GET / HTTP/1.1\r\nHost: example\r\n\r\n", b"POST / HTTP/1.1\r\nPING\r\n",
                    b"PING\r\nhost: x\r\n"):
            r = Raw(px.rport)
            r.send(req)
            closed = r.closed(5)
            t.ok(closed and r.buf == b"", "HTTP request %r: closed without a reply" % req[:16], r.buf)
            r.close()
        t.ok("Possible SECURITY ATTACK detected" in px.logtext(), "the HTTP request is logged")
    t.run("http", http)

    def long_key():
        r = Raw(px.rport)
        r.send(cmd("SET", "k" * 251, "v") + cmd("SET", "k" * 250, "v") + cmd("DEL", "k" * 250))
        b = r.read_until(resp_upto(3))
        t.eq(b, b"-ERR key too long for kcache (max 250 bytes)\r\n+OK\r\n:1\r\n",
             "keys over 250 bytes get a clear error")
        r.close()
    t.run("long key", long_key)

    def read_all(r, n, secs=60):
        """n pipelined replies of r, parsed."""
        b = r.read_until(resp_upto(n), secs)
        out, j = [], 0
        while j < len(b) and len(out) < n:
            v, j = parse(b, j)
            out.append(v)
        r.take()
        return out

    def atomic(port, name):
        """Clients racing: every increment counts, every member pops once."""
        import threading
        conns = [Raw(port, 60) for _ in range(4)]
        call(conns[0], "DEL", "at:h", "at:z1", "at:z2", "at:d", "at:s", "at:b")
        members = ["m%d" % i for i in range(600)]
        call(conns[0], "ZADD", "at:z1", *[x for i, m in enumerate(members[:300]) for x in (i, m)])
        call(conns[0], "ZADD", "at:z2", *[x for i, m in enumerate(members[300:]) for x in (i, m)])
        got = [[] for _ in conns]

        def client(k):
            r = conns[k]
            # HINCRBYFLOAT, plain and inside MULTI, on one field.
            r.send((cmd("HINCRBYFLOAT", "at:h", "f", "0.5") +
                    cmd("MULTI") + cmd("HINCRBYFLOAT", "at:h", "f", "0.5") + cmd("EXEC")) * 100)
            read_all(r, 400)
            # BITFIELD INCRBY, plain and inside MULTI, on one counter.
            r.send((cmd("BITFIELD", "at:b", "INCRBY", "u32", "8", "1") +
                    cmd("MULTI") + cmd("BITFIELD", "at:b", "INCRBY", "u32", "8", "1") + cmd("EXEC")) * 100)
            read_all(r, 400)
            # ZMPOP until both are empty; BZMPOP, ZMPOP in MULTI too.
            while True:
                r.send(cmd("ZMPOP", "2", "at:z1", "at:z2", "MIN", "COUNT", "3") +
                       cmd("BZMPOP", "0.01", "2", "at:z1", "at:z2", "MAX") +
                       cmd("MULTI") + cmd("ZMPOP", "2", "at:z1", "at:z2", "MIN") + cmd("EXEC"))
                a, b, _, _, e = read_all(r, 5)
                pops = [a, b] + (e if isinstance(e, list) else [e])
                for v in pops:
                    if isinstance(v, list):
                        got[k] += [(v[0], m[0]) for m in v[1]]
                if all(v is None for v in pops):
                    break

        ts = [threading.Thread(target=client, args=(k,)) for k in range(len(conns))]
        for x in ts:
            x.start()
        for x in ts:
            x.join(120)
        t.eq(call(conns[0], "HGET", "at:h", "f"), b"400", "%s: 800 racing HINCRBYFLOAT 0.5: 400" % name)
        t.eq(call(conns[0], "BITFIELD_RO", "at:b", "GET", "u32", "8"), [800],
             "%s: 800 racing BITFIELD INCRBY 1: 800" % name)
        popped = sorted(m for g in got for _, m in g)
        t.eq(popped, sorted(m.encode() for m in members),
             "%s: racing ZMPOP/BZMPOP: every member popped exactly once" % name)
        t.ok(all(key == (b"at:z1" if int(m[1:]) < 300 else b"at:z2") for g in got for key, m in g),
             "%s: each member came with its own key" % name)
        # ZRANGESTORE while another client adds: the copy is one version.
        call(conns[0], "ZADD", "at:s", *[x for i in range(50) for x in (i, "s%d" % i)])
        stop = []

        def writer():
            r, i = conns[1], 50
            while not stop:
                call(r, "ZADD", "at:s", i, "s%d" % i)
                i += 1

        w = threading.Thread(target=writer)
        w.start()
        bad = []
        for _ in range(100):
            n = call(conns[0], "ZRANGESTORE", "at:d", "at:s", "0", "-1")
            v = call(conns[0], "ZRANGE", "at:d", "0", "-1")
            if not isinstance(n, int) or not isinstance(v, list) or \
                    v != [b"s%d" % i for i in range(len(v))] or n != len(v):
                bad.append((n, v[-3:] if isinstance(v, list) else v))
        stop.append(1)
        w.join(30)
        t.ok(not bad, "%s: ZRANGESTORE during ZADDs: each copy a prefix of the set" % name, bad[:3])
        call(conns[0], "DEL", "at:h", "at:z1", "at:z2", "at:d", "at:s", "at:b")
        for r in conns:
            r.close()

    def atomic_both():
        atomic(px.rport, "proxy")
        if ref.p is not None:
            atomic(ref.port, "redis")
    t.run("atomic", atomic_both)

    def hrandfield_uniform():
        """HRANDFIELD picks uniformly: chi-square over 10 fields."""
        r = Raw(px.rport, 60)
        fields = ["f%d" % i for i in range(10)]
        call(r, "DEL", "hru")
        call(r, "HSET", "hru", *[x for f in fields for x in (f, "v")])
        for name, draws in (("one field per call", [call(r, "HRANDFIELD", "hru") for _ in range(1000)]),
                            ("count -2000", call(r, "HRANDFIELD", "hru", "-2000"))):
            n = len(draws)
            counts = [draws.count(f.encode()) for f in fields]
            exp = n / 10
            chi2 = sum((c - exp) ** 2 / exp for c in counts)
            # 9 degrees of freedom: P(chi2 > 27.88) = 0.001.
            t.ok(sum(counts) == n and chi2 < 27.88,
                 "HRANDFIELD %s: uniform (chi-square %.1f over %d draws)" % (name, chi2, n), counts)
        picks = call(r, "HRANDFIELD", "hru", "7")
        t.ok(len(picks) == 7 and len(set(picks)) == 7 and set(picks) <= {f.encode() for f in fields},
             "HRANDFIELD 7: seven distinct fields", picks)
        call(r, "DEL", "hru")
        r.close()
    t.run("hrandfield uniform", hrandfield_uniform)

    def config_refused():
        r = Raw(px.rport)
        for c, want in ((("CONFIG", "SET", "save", "900 1"), "-ERR CONFIG SET failed (possibly related to argument 'save') - kcache-proxy has no save points: it saves on SAVE, BGSAVE, SHUTDOWN SAVE and --save-on-exit only (save \"\" is accepted)"),
                        (("CONFIG", "SET", "appendonly", "yes"), "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - kcache-proxy has no append only file: it persists with RDB snapshots only (SAVE, BGSAVE, --save-on-exit)"),
                        (("CONFIG", "GET", "save"), [b"save", b""]), (("CONFIG", "GET", "appendonly"), [b"appendonly", b"no"])):
            t.eq(call(r, *c), want, " ".join(c) + ": refused clearly, nothing changed")
        r.close()
    t.run("config refused", config_refused)

    def slowlog():
        got = slowlog_run(px.rport)
        t.ok(got[1] and got[2], "SLOWLOG GET: id, time, microseconds, address as Redis, newest first", got)
        t.eq(got[3:], [3, [0, 1, 3, 3, 3], "-ERR count should be greater than or equal to -1", 0, 0],
             "SLOWLOG: max-len, GET counts, -1 turns it off, a threshold above every command")
        if ref.p is None:
            t.skip("SLOWLOG entries as redis-server's", "no redis-server to compare with")
            return
        want = slowlog_run(ref.port)
        t.eq(got[0], want[0], "SLOWLOG entries (arguments trimmed and redacted, names, EXEC's commands) as redis-server's")
    t.run("slowlog", slowlog)

    def big_variadic():
        script = big_script()
        got = run_script(px.rport, script, timeout=120)

        def first(*c):
            """The reply of the first command starting with c."""
            return next(g for s, g in zip(script, got) if s[:len(c)] == c)
        t.eq(first("SADD", "bigs"), b":100000\r\n", "SADD of 100000 members: one command, :100000")
        t.eq(first("SCARD", "bigs"), b":100000\r\n", "SCARD 100000 after it")
        t.eq(got[script.index(("DEL", "bigs"))], b":1\r\n", "DEL of that set: 1")
        t.eq(first("HLEN", "bigh"), b":100000\r\n", "HSET of 100000 fields (200000 arguments)")
        t.eq(got[script.index(("DEL", "bigh"))], b":1\r\n", "DEL of that hash: 1")
        t.eq((first("RPUSH", "bigl"), first("LPUSH", "bigl")), (b":100000\r\n", b":200000\r\n"),
             "RPUSH, LPUSH of 100000: the list's length after each")
        t.eq(first("SET", "bigstr"), b"+OK\r\n", "a string key")
        t.eq(got[script.index(("GET", "bigstr"))], b"$1\r\nx\r\n",
             "SADD/HSET of 100000 to a string: WRONGTYPE from every chunk, the string unchanged")
        if ref.p is None:
            t.skip("big variadic commands as redis-server", "no redis-server to compare with")
            return
        want = run_script(ref.port, script, timeout=120)
        bad = [(c[:3], len(c), g[:80], w[:80]) for c, g, w in zip(script, got, want) if g != w]
        t.ok(not bad, "%d commands of up to 200001 arguments: replies identical to redis-server" % len(script),
             "\n".join(map(repr, bad[:8])))

    t.run("big variadic", big_variadic)

    def big_mid_error():
        # A member past item_size_max in the second chunk: the first chunk
        # ran (a kernel transaction does not roll back), the reply is the
        # error.  Only where the module refuses a 4 MiB value.
        r = Raw(px.rport, 120)
        if call(r, "SET", "bigprobe", "v" * (4 << 20)) == "+OK":
            call(r, "DEL", "bigprobe")
            t.skip("split SADD failing in its second chunk", "item_size_max is at least 4 MiB")
            r.close()
            return
        m = [str(i) for i in range(100000)] + ["x" * (4 << 20)]
        t.eq(call(r, "SADD", "bigerr", *m), "-ERR string exceeds maximum allowed size (proto-max-bulk-len)",
             "SADD whose second chunk fails: the chunk's error")
        t.eq(call(r, "SCARD", "bigerr"), 65536, "the first chunk of 65536 members stays (no rollback)")
        t.eq(call(r, "DEL", "bigerr"), 1, "DEL of it: 1")
        r.close()
    t.run("big mid error", big_mid_error)

    def rand_huge():
        r = Raw(px.rport)
        for c in (("SADD", "rs", "a"), ("HSET", "rh", "a", "1"), ("ZADD", "rz", "1", "a")):
            call(r, *c)
        for c in RAND_HUGE:
            r.send(cmd(*c))
            t.eq(r.read_until(resp_upto(1), 60), RAND_TOO_BIG, " ".join(c) + ": a clear error")
            r.take()
        t.eq(call(r, "SRANDMEMBER", "rs", "-1000"), [b"a"] * 1000, "SRANDMEMBER rs -1000: 1000 repeats")
        t.eq(call(r, "DEL", "rs", "rh", "rz"), 3, "still serving after the huge counts")
        r.close()
    t.run("rand huge", rand_huge)

    bad_frames = [
        (b"*1\r\n$-5\r\n", b"-ERR Protocol error: invalid bulk length\r\n", "negative bulk length"),
        (b"*1\r\n$99999999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n", "huge bulk length"),
        (b"*99999999999\r\n", b"-ERR Protocol error: invalid multibulk length\r\n", "huge multibulk count"),
        (b"*x\r\n", b"-ERR Protocol error: invalid multibulk length\r\n", "bad multibulk count"),
        (b"*2\r\n$3\r\nGET\r\nXX", b"-ERR Protocol error: expected '$', got 'X'\r\n", "missing $"),
        (b"*1\r\n$4\r\nPINGxx", b"-ERR Protocol error: expected CRLF after a bulk string\r\n", "missing CRLF"),
        (b"*\x00\xff\xfe\r\n", b"-ERR Protocol error: invalid multibulk length\r\n", "binary garbage"),
        (b'SET "unbalanced\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n", "unbalanced quotes"),
        (b"A" * (70 * 1024), b"-ERR Protocol error: too big inline request\r\n", "inline line over 64 KiB"),
    ]
    for frame, want, name in bad_frames:
        def one(frame=frame, want=want, name=name):
            r = Raw(px.rport)
            r.send(cmd("PING") + frame)
            r.read_until(lambda b: len(b) >= 7 + len(want))
            closed = r.closed()
            t.ok(r.buf == b"+PONG\r\n" + want and closed,
                 "%s: protocol error, connection closed" % name, r.buf[:200])
            r.close()
        t.run(name, one)

    def garbage_inline():
        r = Raw(px.rport)
        r.send(b"\x01\x02\xff\r\nPING\r\n")
        b = r.read_until(resp_upto(2))
        t.ok(b.startswith(b"-ERR unknown command '") and b.endswith(b"+PONG\r\n"),
             "binary garbage inline: unknown command, connection kept", b)
        r.close()
    t.run("garbage inline", garbage_inline)

    def still_serving():
        r = Raw(px.rport)
        r.send(cmd("PING"))
        t.eq(r.read_until(resp_upto(1)), b"+PONG\r\n",
             "the proxy still serves new clients after the bad ones")
        r.close()
    t.run("still serving", still_serving)

    def unsupported():
        r = Raw(px.rport)
        r.send(cmd("SELECT", "1") + cmd("SELECT", "16") + cmd("MULTI") + cmd("SUBSCRIBE", "ch") +
               cmd("DISCARD") + cmd("SELECT", "0"))
        b = r.read_until(resp_upto(6))
        t.eq(b, b"+OK\r\n-ERR DB index is out of range\r\n+OK\r\n"
             b"-ERR 'subscribe' cannot be used inside MULTI with kcache-proxy\r\n+OK\r\n+OK\r\n",
             "SELECT 16 and SUBSCRIBE inside MULTI answer a clear error")
        r.close()
    t.run("unsupported", unsupported)

    def client_list():
        ida, got = client_fields(px.rport)
        names = [f for f, _ in got["info"][0]]
        if ref.p is not None:
            _, want = client_fields(ref.port)
            t.eq(names, [f for f, _ in want["info"][0]], "CLIENT INFO: redis-server's fields in its order")
        t.eq(names, b"id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem "
             b"multi-mem rbs rbp obl oll omem tot-mem events cmd user redir resp".split(), "CLIENT INFO: Redis 7.0.15's fields")
        info = dict(got["info"][0])
        t.eq((info[b"cmd"], info[b"argv-mem"], info[b"id"]), (b"client|info", b"10", str(ida).encode()),
             "CLIENT INFO: cmd=client|info, argv-mem counts its arguments")
        t.ok(all([f for f, _ in l] == names for l in got["list"]), "CLIENT LIST: every line has the same fields")
        me = [dict(l) for l in got["list"] if dict(l)[b"id"] == str(ida).encode()]
        t.ok(len(me) == 1 and me[0][b"cmd"] == b"client|list" and int(me[0][b"rbs"]) >= int(me[0][b"qbuf"]) and
             int(me[0][b"tot-mem"]) > int(me[0][b"rbs"]), "CLIENT LIST: cmd=client|list, buffer sizes", me)
        t.eq([dict(l)[b"id"] for l in got["id"]], [str(ida).encode()], "CLIENT LIST ID id 999999999: that client only")
        t.ok(all(dict(l)[b"flags"] == b"N" for l in got["normal"]) and
             all(dict(l)[b"flags"] == b"P" for l in got["pubsub"]),
             "CLIENT LIST TYPE normal / pubsub", got)
        t.eq(got["master"], [], "CLIENT LIST TYPE master: empty")
    t.run("client list", client_list)

    def client_kill():
        px4 = Proxy("--threads", "4")
        try:
            got = kill_script(px4.rport)
        finally:
            px4.stop()
        if ref.p is None:
            t.skip("CLIENT LIST/KILL across workers", "no redis-server to compare with")
            return
        want = kill_script(ref.port)
        bad = [(g, w) for g, w in zip(got, want) if g != w]
        t.ok(not bad and len(got) == len(want),
             "CLIENT LIST/KILL across 4 workers identical to redis-server (%d steps)" % len(got),
             "\n".join("proxy: %r\nredis: %r" % b for b in bad[:8]))
    t.run("client kill", client_kill)

    def client_reply():
        got = reply_sessions(px.rport)
        if ref.p is None:
            t.skip("CLIENT REPLY OFF/ON/SKIP", "no redis-server to compare with")
            return
        want = reply_sessions(ref.port)
        bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
        t.ok(not bad, "CLIENT REPLY OFF/ON/SKIP identical to redis-server (%d sessions)" % len(got),
             "\n".join("session %d:\n  proxy: %r\n  redis: %r" % b for b in bad))
    t.run("client reply", client_reply)

    def info_replication():
        def fields(port):
            r = Raw(port)
            v = call(r, "INFO", "replication")
            r.close()
            return [tuple(l.split(b":", 1)) for l in v.split(b"\r\n") if l]
        got = fields(px.rport)
        d = dict(got[1:])
        t.ok(re.fullmatch(rb"[0-9a-f]{40}", d.get(b"master_replid", b"")) is not None and
             d.get(b"master_repl_offset") == b"0", "INFO replication: a random replid, offset 0", got)
        if ref.p is None:
            t.skip("INFO replication: redis-server's fields", "no redis-server to compare with")
            return
        want = fields(ref.port)
        vary = (b"master_replid", b"master_repl_offset")
        t.eq([f if f[0] not in vary else f[0] for f in got],
             [f if f[0] not in vary else f[0] for f in want],
             "INFO replication: redis-server's fields and values")
    t.run("info replication", info_replication)

    def info_stats():
        got = stats_script(px.rport)
        if ref.p is None:
            t.skip("INFO commandstats/errorstats", "no redis-server to compare with")
            return
        want = stats_script(ref.port)
        g = [l for part in got for l in (part if isinstance(part, list) else [part])]
        w = [l for part in want for l in (part if isinstance(part, list) else [part])]
        t.ok(got == want, "INFO commandstats, errorstats, total_error_replies as redis-server's",
             "proxy only: %r\nredis only: %r" % ([l for l in g if l not in w], [l for l in w if l not in g]))
    t.run("info stats", info_stats)

    def databases(port, name):
        """What the script cannot compare byte for byte: CLIENT INFO, HELLO, other clients."""
        a, b = Raw(port), Raw(port)

        def db_of(r):
            v = call(r, "CLIENT", "INFO")
            return v.split(b" db=")[1].split(b" ")[0] if isinstance(v, bytes) and b" db=" in v else v

        call(a, "FLUSHALL")
        t.eq(db_of(a), b"0", "%s: CLIENT INFO of a new client: db=0" % name)
        call(a, "SELECT", "3")
        t.eq(db_of(a), b"3", "%s: after SELECT 3: db=3" % name)
        v = call(a, "CLIENT", "LIST")
        t.ok(isinstance(v, bytes) and b" db=3 " in v, "%s: CLIENT LIST shows db=3" % name, v)
        call(a, "HELLO", "2")
        t.eq(db_of(a), b"3", "%s: HELLO keeps the database" % name)
        call(a, "MULTI")
        call(a, "SELECT", "4")
        call(a, "DISCARD")
        t.eq(db_of(a), b"3", "%s: a SELECT DISCARDed does not change it" % name)
        call(a, "MULTI")
        call(a, "SELECT", "4")
        call(a, "EXEC")
        t.eq(db_of(a), b"4", "%s: a SELECT EXECed does" % name)
        call(a, "RESET")
        t.eq(db_of(a), b"0", "%s: RESET goes back to database 0" % name)
        # SWAPDB is seen by every client at once.
        call(a, "SET", "sw", "in0")
        call(b, "SELECT", "1")
        t.eq(call(b, "GET", "sw"), None, "%s: database 1 does not have database 0's key" % name)
        t.eq(call(a, "SWAPDB", "0", "1"), "+OK", "%s: SWAPDB 0 1" % name)
        t.eq(call(b, "GET", "sw"), b"in0", "%s: another client in database 1 sees it now" % name)
        t.eq(call(a, "GET", "sw"), None, "%s: and database 0 is database 1's" % name)
        t.eq(call(b, "DBSIZE"), 1, "%s: DBSIZE of the swapped database" % name)
        call(a, "FLUSHALL")
        a.close()
        b.close()

    def dbs():
        databases(px.rport, "proxy")
        if ref.p is not None:
            databases(ref.port, "redis")
    t.run("databases", dbs)

    def info():
        r = Raw(px.rport)
        r.send(cmd("SET", "ik", "v") + cmd("INFO") + cmd("INFO", "keyspace") + cmd("DEL", "ik"))
        b = r.read_until(resp_upto(4))
        r.take()
        t.ok(b"# Server\r\nredis_version:" in b and b"# Clients\r\n" in b and
             b"# Memory\r\nused_memory:" in b and b"# Stats\r\n" in b and
             b"\r\n# Keyspace\r\ndb0:keys=" in b, "INFO has Redis's sections and format", b[:300])
        cpu = [b"used_cpu_sys", b"used_cpu_user", b"used_cpu_sys_children", b"used_cpu_user_children",
               b"used_cpu_sys_main_thread", b"used_cpu_user_main_thread"]
        sec_re = re.compile(rb"^# (\w+)\r$", re.M)
        for args in ((), ("cpu",), ("all",), ("everything",), ("default",), ("CPU", "server")):
            got = call(r, "INFO", *args)
            keys = [l.split(b":")[0] for l in got.split(b"\r\n") if l.startswith(b"used_cpu")]
            vals = re.findall(rb"^used_cpu_\w+:(\S+)\r$", got, re.M)
            t.ok(keys == cpu and all(re.fullmatch(rb"\d+\.\d{6}", v) for v in vals),
                 "INFO %s: the six CPU fields of Redis, 6 decimals" % " ".join(args), repr(got[-400:]))
            secs = sec_re.findall(got)
            if ref.p is not None:
                rr = Raw(ref.port)
                want = [s for s in sec_re.findall(call(rr, "INFO", *args)) if s in secs]
                rr.close()
                t.eq(secs, want, "INFO %s: sections in redis-server's order" % " ".join(args))
        r.close()
    t.run("info", info)

    def maxclients():
        p2 = Proxy("--maxclients", "2")
        time.sleep(1)   # let the proxy see the start-up probes close
        a, b2 = Raw(p2.rport), Raw(p2.rport)
        a.send(cmd("PING"))
        b2.send(cmd("PING"))
        a.read_until(resp_upto(1))
        b2.read_until(resp_upto(1))
        c = Raw(p2.rport)
        got = c.read_until(lambda b: b.endswith(b"\r\n"))
        if not t.eq(got, b"-ERR max number of clients reached\r\n", "maxclients: the next client is refused"):
            print("# " + p2.logtext().replace("\n", "\n# "))
        for x in (a, b2, c):
            x.close()
        t.eq(p2.stop(), 0, "maxclients proxy exits 0 on SIGTERM")
    t.run("maxclients", maxclients)

    def shutdown():
        r = Raw(px.rport)
        r.send(cmd("PING"))
        r.read_until(resp_upto(1))
        rc = px.stop()
        t.eq(rc, 0, "SIGTERM: the proxy exits 0")
        log = px.logtext()
        t.ok("finishing replies" in log and "bye" in log, "SIGTERM: logged a clean shutdown", log[-500:])
        r.close()
    t.run("shutdown", shutdown)

    ref.stop()
    px.stop()
    t.done()


if __name__ == "__main__":
    main()
