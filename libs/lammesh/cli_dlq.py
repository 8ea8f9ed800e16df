"""`lammesh dlq list|show|replay`: the dead-letter topic, read straight from Kafka
(LAMMESH_KAFKA_BOOTSTRAP, LAMMESH_TOPIC_PREFIX), and dead letters sent back to their source topic."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from aiokafka.errors import KafkaError
from google.protobuf import json_format
from rich.console import Console
from rich.table import Column, Table

from lammesh import envelope as serde
from lammesh.kafka.dlq import DeadLetter, DeadLetterError, DeadLetterQueue, dedupe
from lammesh.kafka.producer import EnvelopeProducer, RecordTooLarge
from lammesh.settings import Settings
from lammesh.v1 import envelope_pb2, registry_pb2, review_pb2, step_pb2, task_pb2, watcher_pb2  # noqa: F401  (payload types)

console = Console(stderr=True)
out = Console()
dlq_app = typer.Typer(no_args_is_help=True, help="Dead letters: records no consumer could handle, with the reason.")

T = TypeVar("T")
TIMEOUT_S = 60.0


def _run(call: Callable[[DeadLetterQueue, Settings], Awaitable[T]]) -> T:
    """Run `call` against the DLQ; a missing record or broker becomes one clear line and an exit code."""
    settings = Settings()
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # its connection errors are said once, below

    async def main() -> T:
        async with asyncio.timeout(TIMEOUT_S), DeadLetterQueue(settings) as queue:
            return await call(queue, settings)

    try:
        return asyncio.run(main())
    except DeadLetterError as exc:
        console.print(f"[red]{exc}[/]", soft_wrap=True)
        raise typer.Exit(2) from None
    except RecordTooLarge as exc:
        console.print(f"[red]cannot replay[/]: {exc.reason}", soft_wrap=True)
        raise typer.Exit(2) from None
    except (KafkaError, TimeoutError) as exc:
        console.print(
            f"[red]cannot read the DLQ from Kafka at {settings.kafka_bootstrap}[/]: {exc or type(exc).__name__}; "
            "is it up? (`lammesh up`, or set LAMMESH_KAFKA_BOOTSTRAP)",
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


def _payload(letter: DeadLetter) -> Any:
    """The payload as JSON when the value is a readable Envelope of a known type, else None."""
    envelope = letter.envelope()
    if envelope is None:
        return None
    try:
        return json_format.MessageToDict(serde.unpack_any(envelope), preserving_proto_field_name=True)
    except serde.EnvelopeError:
        return None


def _summary(letter: DeadLetter, copies: int = 1) -> dict[str, Any]:
    envelope = letter.envelope()
    return {
        "offset": letter.offset,
        "partition": letter.partition,
        "dead_lettered_at": letter.dead_lettered_at,
        "reason": letter.reason,
        "source_topic": letter.source_topic,
        "source_partition": letter.source_partition,
        "source_offset": letter.source_offset,
        "consumer_group": letter.consumer_group,
        "task_id": letter.task_id,
        "message_type": envelope.message_type if envelope is not None else "",
        "value_bytes": len(letter.value or b""),
        "value_omitted": letter.value_omitted,
        "replayed_from": letter.replayed_from,
        "copies": copies,
    }


async def _select(queue: DeadLetterQueue, selectors: list[str], partition: int) -> list[DeadLetter]:
    """Dead letters by DLQ offset, by task id, or by source `topic:partition:offset` (one per source)."""
    chosen: dict[tuple[int, int], DeadLetter] = {}
    everything: list[DeadLetter] | None = None
    for selector in selectors:
        if selector.isdigit():
            letter = await queue.at(int(selector), partition)
            chosen[(letter.partition, letter.offset)] = letter
            continue
        if everything is None:
            everything = await queue.all()
        matches = [newest for newest, _ in dedupe(d for d in everything if selector in (d.task_id, d.source))]
        if not matches:
            raise DeadLetterError(f"no dead letter of task or source {selector!r} in {queue.topic}")
        chosen.update({(d.partition, d.offset): d for d in matches})
    return sorted(chosen.values(), key=lambda d: (d.partition, d.offset))


@dlq_app.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option("--limit", help="Read back this many of the newest dead letters.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per dead letter.")] = False,
) -> None:
    """The newest dead letters: offset, reason, source topic/partition/offset, task, copies."""
    if limit < 1:
        console.print(f"[red]--limit: must be at least 1, not {limit}[/]")
        raise typer.Exit(2)
    letters, total = _run(lambda queue, settings: queue.latest(limit))
    # Readers without a consumer group dead-letter a record once per instance and restart (decision 0611).
    unique = dedupe(letters)
    if as_json:
        for letter, copies in unique:
            out.print(json.dumps(_summary(letter, copies)), soft_wrap=True)
        return
    if not unique:
        out.print("the DLQ is empty")
        return
    out.print(f"[bold]dead letters[/] in {letters[0].topic}: the {len(letters)} newest of {total}", highlight=False)
    for letter, copies in unique:
        source = f"{letter.source_topic}[{letter.source_partition}]@{letter.source_offset}"
        extra = f"  ({copies} copies)" if copies > 1 else ""
        replayed = f"  replayed from {letter.replayed_from}" if letter.replayed_from else ""
        out.print(
            f"[bold]{letter.offset}[/]  {letter.dead_lettered_at[:19].replace('T', ' ')}  from {source}  "
            f"task {letter.task_id or '-'}  group {letter.consumer_group or '-'}{extra}{replayed}",
            soft_wrap=True,
            highlight=False,
        )
        out.print(f"    {letter.reason[:300] or '(no reason header)'}", highlight=False)


@dlq_app.command("show")
def dlq_show(
    which: Annotated[str, typer.Argument(help="A DLQ offset, a task id, or a source topic:partition:offset.")],
    partition: Annotated[int, typer.Option("--partition", help="DLQ partition of an offset.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per dead letter.")] = False,
) -> None:
    """One dead letter in full: why, where from, its headers, its envelope and payload."""
    letters = _run(lambda queue, settings: _select(queue, [which], partition))
    for letter in letters:
        envelope = letter.envelope()
        document = {
            **_summary(letter),
            "key": (letter.key or b"").decode("utf-8", "replace"),
            "headers": [[k, v.decode("utf-8", "replace")] for k, v in letter.headers],
            "envelope": json_format.MessageToDict(envelope, preserving_proto_field_name=True)
            if envelope is not None
            else None,
            "payload": _payload(letter),
        }
        if envelope is not None:
            document["envelope"].pop("payload", None)
        if as_json:
            out.print(json.dumps(document), soft_wrap=True)
            continue
        table = Table(
            "",
            Column("", overflow="fold"),
            show_header=False,
            title=f"dead letter {letter.topic}[{letter.partition}]@{letter.offset}",
        )
        for name in (
            "reason",
            "source_topic",
            "source_partition",
            "source_offset",
            "consumer_group",
            "dead_lettered_at",
            "task_id",
            "message_type",
            "key",
            "value_bytes",
            "value_omitted",
            "replayed_from",
        ):
            if document[name] not in ("", None):
                table.add_row(name, str(document[name]))
        for key, value in document["headers"]:
            if not key.startswith("lammesh-dlq-"):  # those are the fields above
                table.add_row(f"header {key}", value)
        if envelope is None:
            preview = (letter.value or b"")[:64]
            table.add_row("value", f"not an Envelope; first {len(preview)} bytes: {preview!r}")
        else:
            table.add_row("envelope", json.dumps(document["envelope"]))
            table.add_row(
                "payload", json.dumps(document["payload"]) if document["payload"] is not None else "(unreadable)"
            )
        out.print(table)


@dlq_app.command("replay")
def dlq_replay(
    which: Annotated[list[str], typer.Argument(help="DLQ offsets, task ids, or source topic:partition:offset.")],
    partition: Annotated[int, typer.Option("--partition", help="DLQ partition of the offsets.")] = 0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be replayed; send nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per replayed record.")] = False,
) -> None:
    """Re-publish dead letters to their source topic (same key, value and headers, plus
    lammesh-dlq-replayed-from), e.g. once the bug that refused them is fixed."""

    async def call(queue: DeadLetterQueue, settings: Settings) -> list[tuple[DeadLetter, str, int, int]]:
        letters = await _select(queue, which, partition)
        if dry_run:
            return [(d, d.source_topic, -1, -1) for d in letters]
        producer = EnvelopeProducer(settings, name="lammesh-cli")
        await producer.start()
        try:
            return await queue.replay(letters, producer)
        finally:
            await producer.stop()

    for letter, topic, to_partition, to_offset in _run(call):
        if as_json:
            out.print(
                json.dumps(
                    {
                        "offset": letter.offset,
                        "partition": letter.partition,
                        "topic": topic,
                        "to_partition": to_partition,
                        "to_offset": to_offset,
                        "dry_run": dry_run,
                    }
                ),
                soft_wrap=True,
            )
        elif dry_run:
            out.print(f"would replay dead letter {letter.offset} ({letter.reason}) to {topic}", soft_wrap=True)
        else:
            out.print(f"replayed dead letter {letter.offset} to {topic}[{to_partition}]@{to_offset}", soft_wrap=True)
