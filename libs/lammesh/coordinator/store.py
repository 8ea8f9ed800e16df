"""The coordinator's RocksDB table store: Faust's, closing its files itself.

Faust's RocksDB store leaves closing a partition's DB to the garbage collector, and the producer's
delivery callback for a changelog write (it records the written offset) opens the partition's DB
again when the partition has already been revoked or the app stopped. The handle it leaves open
holds RocksDB's file lock, so the next open of that partition in the same process (the partition
coming back after a rebalance, a restarted coordinator) fails with "lock hold by current process".

This store closes a DB when its partition is revoked and every DB on stop, and records written
offsets only for partitions it still holds (the offset only lets a later owner skip replaying the
changelog; the changelog itself is complete either way).
"""

from __future__ import annotations

from collections.abc import Set

import faust.stores
from faust.stores.rocksdb import Store as FaustRocksDBStore
from faust.types import TP, CollectionT

SCHEME = "lammesh-rocksdb"


class RocksDBStore(FaustRocksDBStore):
    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        if tp.partition in self._dbs:
            super().set_persisted_offset(tp, offset)

    def revoke_partitions(self, table: CollectionT, tps: Set[TP]) -> None:
        revoked = [
            self._dbs[tp.partition]
            for tp in tps
            if tp.topic in table.changelog_topic.topics and tp.partition in self._dbs
        ]
        super().revoke_partitions(table, tps)
        for db in revoked:
            db.close()

    async def stop(self) -> None:
        self.close()
        await super().stop()

    def close(self) -> None:
        """Close every open partition; the store holds nothing afterwards (Faust does not always
        stop its stores when the app stops, so the coordinator calls this itself)."""
        while self._dbs:
            _, db = self._dbs.popitem()
            db.close()


def store_url(configured: str) -> str:
    """The store URL to give Faust: rocksdb:// means this store; anything else is Faust's own."""
    scheme, sep, rest = configured.partition("://")
    return f"{SCHEME}://{rest}" if sep and scheme == "rocksdb" else configured


faust.stores.STORES[SCHEME] = f"{__name__}:RocksDBStore"
