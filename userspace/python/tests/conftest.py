# SPDX-License-Identifier: GPL-2.0
"""Fixtures of the kcache Python tests: they need /dev/kcache (kcache.ko
loaded) and root (FLUSH, CONFIG, netlink groups); each test starts with an
empty cache."""
import os

import pytest

import kcache


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds under TCG")


@pytest.fixture
def c():
    if not os.path.exists(kcache.DEVICE_PATH):
        pytest.skip("no %s: kcache.ko is not loaded" % kcache.DEVICE_PATH)
    with kcache.Cache() as cache:
        cache.flushall()
        yield cache
        cache.flushall()
