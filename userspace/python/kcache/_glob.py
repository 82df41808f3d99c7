# SPDX-License-Identifier: GPL-2.0
"""Redis's glob over bytes (* ? [abc] [a-z] [^a] and \\ to quote), the
pattern language of SCAN MATCH and PSUBSCRIBE, for what the kernel does not
match itself (hash fields, set members, pub/sub channels)."""
import functools
import re


@functools.lru_cache(maxsize=256)
def _compile(pattern):
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i:i + 1]
        i += 1
        if c == b"*":
            out.append(b".*")
        elif c == b"?":
            out.append(b".")
        elif c == b"\\" and i < n:
            out.append(re.escape(pattern[i:i + 1]))
            i += 1
        elif c == b"[":
            j, cls = i, []
            neg = j < n and pattern[j:j + 1] == b"^"
            if neg:
                j += 1
            while j < n and pattern[j:j + 1] != b"]":
                ch = pattern[j:j + 1]
                if ch == b"\\" and j + 1 < n:
                    cls.append(re.escape(pattern[j + 1:j + 2]))
                    j += 2
                elif j + 2 < n and pattern[j + 1:j + 2] == b"-" and pattern[j + 2:j + 3] != b"]":
                    lo, hi = sorted((pattern[j:j + 1], pattern[j + 2:j + 3]))
                    cls.append(re.escape(lo) + b"-" + re.escape(hi))
                    j += 3
                else:
                    cls.append(re.escape(ch))
                    j += 1
            # Redis takes an unterminated class up to the end of the pattern.
            i = j + 1
            body = b"".join(cls)
            if not body:
                out.append(b"[^\\s\\S]" if not neg else b"[\\s\\S]")
            else:
                out.append(b"[" + (b"^" if neg else b"") + body + b"]")
        else:
            out.append(re.escape(c))
    return re.compile(b"".join(out) + b"\\Z", re.DOTALL)


def match(pattern, s):
    """Does bytes s match the Redis glob bytes pattern?"""
    if pattern == b"*":
        return True
    return _compile(pattern).match(s) is not None
