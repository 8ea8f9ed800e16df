"""The `lammesh` command line (typer + rich)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lammesh.catalogue import load_services
from lammesh.localkafka import DEFAULT_HOME, DEFAULT_JARS, KafkaError, LocalKafka
from lammesh.settings import Settings

app = typer.Typer(no_args_is_help=True, help="LAM Mesh: agents, watchers and tools as sagas over Kafka and gRPC.")
kafka_app = typer.Typer(no_args_is_help=True, help="A local single-node Kafka (KRaft) for development.")
app.add_typer(kafka_app, name="kafka")

from lammesh import cli_tasks  # noqa: E402  (the gateway commands live in their own module)

app.command()(cli_tasks.submit)
app.command()(cli_tasks.watch)
app.add_typer(cli_tasks.review_app, name="review")

console = Console(stderr=True)

@app.command("services")
def list_services() -> None:
    """List the services `lammesh run` can start."""
    table = Table("service", "kind", "capability", "description")
    for spec in sorted(load_services().values(), key=lambda s: (s.kind, s.name)):
        table.add_row(spec.name, spec.kind, spec.capability or "", spec.description)
    Console().print(table)


@app.command()
def run(service: Annotated[str, typer.Argument(help="Service name, see `lammesh services`.")]) -> None:
    """Run one service in the foreground until Ctrl-C / SIGTERM (then it drains and stops)."""
    found = load_services()
    if service not in found:
        console.print(f"[red]unknown service {service!r}[/]; known: {', '.join(sorted(found)) or 'none'}")
        raise typer.Exit(2)
    settings = Settings()
    if "service_name" not in settings.model_fields_set:
        settings = settings.model_copy(update={"service_name": service})

    from lammesh.logging import configure_logging
    from lammesh.tracing import setup_tracing

    configure_logging(settings)
    setup_tracing(settings)
    bootstrap = found[service].load()

    async def main() -> None:
        await bootstrap(settings).run()

    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())


HomeOption = Annotated[Path, typer.Option(help="Data, config and logs of the broker.")]
PortOption = Annotated[int, typer.Option(help="Client (PLAINTEXT) port on 127.0.0.1.")]


@kafka_app.command("up")
def kafka_up(
    home: HomeOption = DEFAULT_HOME,
    port: PortOption = 9092,
    controller_port: Annotated[int, typer.Option(help="KRaft controller port.")] = 9093,
    jars: Annotated[Path, typer.Option(help="Folder of the broker jars.")] = DEFAULT_JARS,
) -> None:
    """Format (first time) and start the broker in the background; wait until it is ready."""
    broker = LocalKafka(home=home, jars=jars, port=port, controller_port=controller_port)
    pid = broker.running_pid()
    if pid is not None:
        console.print(f"Kafka is already running (pid {pid}) on {broker.bootstrap}; logs: {broker.log_file}")
        return
    with console.status(f"starting Kafka on {broker.bootstrap} …"):
        try:
            broker.start()
        except KafkaError as exc:
            console.print(f"[red]{exc}[/]")
            raise typer.Exit(1) from None
    console.print(f"[green]Kafka is ready[/] on {broker.bootstrap} (data {home}); logs: {broker.log_file}")


@kafka_app.command("down")
def kafka_down(home: HomeOption = DEFAULT_HOME) -> None:
    """Stop the broker cleanly (controlled shutdown)."""
    broker = LocalKafka(home=home)
    with console.status("stopping Kafka …"):
        stopped = broker.stop()
    console.print("Kafka stopped" if stopped else "Kafka was not running")


@kafka_app.command("status")
def kafka_status(home: HomeOption = DEFAULT_HOME) -> None:
    """Say whether the broker runs."""
    broker = LocalKafka(home=home)
    pid = broker.running_pid()
    if pid is None:
        console.print("Kafka is not running")
        raise typer.Exit(1)
    console.print(f"Kafka is running (pid {pid}); logs: {broker.log_file}")


def main() -> None:
    app()
