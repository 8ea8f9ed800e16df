"""The coordinator's RocksDB store closes its files itself, so a partition can be opened again in
the same process right after it was revoked or the store stopped (no "lock hold by current process")."""

from __future__ import annotations

import faust
import pytest
from faust.types import TP
from rocksdict import Rdict

from lammesh.coordinator.store import RocksDBStore, store_url


@pytest.fixture
def table(tmp_path):
    app = faust.App("store-test", store=store_url("rocksdb://"), datadir=str(tmp_path), autodiscover=False)
    return app.Table("sagas", key_type=str, value_type=bytes, partitions=3)


def changelog(table, partition: int) -> TP:
    return TP(table.changelog_topic.get_topic_name(), partition)


def reopen(store: RocksDBStore, partition: int) -> None:
    Rdict(str(store.partition_path(partition))).close()


def test_rocksdb_urls_choose_this_store_and_others_stay_faust_s():
    assert store_url("rocksdb://") == "lammesh-rocksdb://"
    assert store_url("memory://") == "memory://"


async def test_a_revoked_partition_is_closed_and_a_late_offset_write_does_not_reopen_it(table):
    store = table.data
    assert isinstance(store, RocksDBStore)
    store.set_persisted_offset(changelog(table, 2), 7)  # opens partition 2, as an assigned partition would be
    store.revoke_partitions(table, {changelog(table, 2)})
    store.set_persisted_offset(changelog(table, 2), 8)  # a delivery callback arriving after the revoke
    assert 2 not in store._dbs
    reopen(store, 2)


async def test_stop_closes_every_partition(table):
    store = table.data
    for partition in range(3):
        store.set_persisted_offset(changelog(table, partition), 1)
    await store.stop()
    store.set_persisted_offset(changelog(table, 1), 2)  # after stop: ignored, nothing reopened
    for partition in range(3):
        reopen(store, partition)
