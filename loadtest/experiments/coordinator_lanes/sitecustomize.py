# EXPERIMENT, not product code: measures what running the coordinator's records concurrently would
# give (docs/decisions/0502, BENCHMARKS.md). Python imports `sitecustomize` at start-up from
# PYTHONPATH, so only processes started with this folder on PYTHONPATH are patched:
#   python -m loadtest bench --env PYTHONPATH=$PWD/loadtest/experiments/coordinator_lanes --env LT_COORD_LANES=64
# Acks are manual, but nothing else of at-least-once was reviewed; do not deploy this.
#   LT_COORD_CONCURRENCY=N  -> Faust agent concurrency N (naive: unsafe, records of one task race)
#   LT_COORD_LANES=N        -> one ordered lane per task id, up to N records in flight, manual acks
import asyncio
import os

_n = int(os.environ.get("LT_COORD_CONCURRENCY", "0"))
_lanes = int(os.environ.get("LT_COORD_LANES", "0"))
if _n:
    import faust
    _orig = faust.App.agent
    def agent(self, channel=None, *, name=None, concurrency=1, **kw):
        if name == "sagas":
            concurrency = _n
        return _orig(self, channel, name=name, concurrency=concurrency, **kw)
    faust.App.agent = agent
if _lanes:
    from lammesh.coordinator import worker as _w

    async def _agent(self, stream):
        limit = asyncio.Semaphore(_lanes)
        tails = {}

        async def run(event, previous, key):
            try:
                if previous is not None:
                    await asyncio.shield(previous)
                await self._process(event)
            finally:
                limit.release()
                await event.ack() if asyncio.iscoroutinefunction(event.ack) else event.ack()
                if tails.get(key) is asyncio.current_task():
                    del tails[key]

        async for event in stream.noack().events():
            await limit.acquire()
            key = event.message.key
            tails[key] = asyncio.ensure_future(run(event, tails.get(key), key))

    _w.CoordinatorWorker._agent = _agent
