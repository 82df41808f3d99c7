#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The lock rules are written once in kmod/kcache.h and mirrored in
# Documentation/design.rst, each between the lines "lock-rules-begin" and
# "lock-rules-end" (a C comment there, an RST comment and literal block
# here).  This check extracts both blocks, drops the comment and RST markup
# (leading " * ", indentation, "::" lines, blank lines), folds white space
# and compares them word for word.  Exit 0 when they agree; else 1, with a
# diff on stdout.  Run by static-check.sh as one result of the static block.
#
# Usage: lock-rules.sh [ROOT]   (ROOT: the source tree, default ../..)
set -uo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
hdr=$root/kmod/kcache.h
doc=$root/Documentation/design.rst

# extract FILE: the normalised block, one line per source line
extract() {
	awk '
		/lock-rules-end/ { inside = 0 }
		inside {
			sub(/^[ \t]*\*[ \t]?/, "")	# C comment prefix
			sub(/^[ \t]+/, "")
			gsub(/[ \t]+/, " ")
			sub(/ $/, "")
			if ($0 == "" || $0 == "::") next
			print
			n++
		}
		/lock-rules-begin/ { inside = 1; found = 1 }
		END { if (!found || !n) exit 1 }
	' "$1"
}

for f in "$hdr" "$doc"; do
	[ -r "$f" ] || { echo "lock-rules: cannot read $f"; exit 1; }
done
a=$(extract "$hdr") || { echo "lock-rules: no lock-rules block in $hdr"; exit 1; }
b=$(extract "$doc") || { echo "lock-rules: no lock-rules block in $doc"; exit 1; }
if [ "$a" != "$b" ]; then
	echo "lock-rules: kmod/kcache.h and Documentation/design.rst disagree:"
	diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | sed 's/^/  /'
	exit 1
fi
echo "lock-rules: kmod/kcache.h and Documentation/design.rst agree ($(printf '%s\n' "$a" | wc -l) lines)"
exit 0
