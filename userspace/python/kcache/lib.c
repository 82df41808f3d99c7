// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache compiled into the extension: setuptools puts an object of a
 * source outside this directory beside a "../.." path of its own, so the
 * library comes in through the include path instead (setup.py).
 */
#include "libkcache.c"
