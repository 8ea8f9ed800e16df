"""The `lammesh` command line (typer + rich)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lammesh.catalogue import load_services
from lammesh.dev.localkafka import DEFAULT_HOME, DEFAULT_JARS, KafkaError, LocalKafka
from lammesh.settings import Settings

app = typer.Typer(no_args_is_help=True, help="LAM Mesh: agents, watchers and tools as sagas over Kafka and gRPC.")
kafka_app = typer.Typer(no_args_is_help=True, help="A local single-node Kafka (KRaft) for development.")
app.add_typer(kafka_app, name="kafka")
crm_app = typer.Typer(no_args_is_help=True, help="The crm tool's database (LAMMESH_CRM_DATABASE_URL).")
app.add_typer(crm_app, name="crm")

from lammesh import cli_dlq, cli_feedback, cli_models, cli_replay, cli_tasks, cli_violet, cli_workflows  # noqa: E402  (each group of commands has its module)

app.command()(cli_tasks.submit)
app.command()(cli_tasks.watch)
app.add_typer(cli_tasks.review_app, name="review")
cli_tasks.tasks_app.command("replay")(cli_replay.tasks_replay)
app.add_typer(cli_tasks.tasks_app, name="tasks")
app.add_typer(cli_tasks.tasks_app, name="task", hidden=True)  # `lammesh task replay` reads as the issue names it
app.add_typer(cli_workflows.workflows_app, name="workflows")
app.add_typer(cli_dlq.dlq_app, name="dlq")
app.add_typer(cli_models.models_app, name="models")
app.add_typer(cli_feedback.feedback_app, name="feedback")
app.add_typer(cli_violet.violet_app, name="violet")
token_app = typer.Typer(no_args_is_help=True, help="API tokens of the gateway (LAMMESH_GATEWAY_TOKENS_FILE).")
app.add_typer(token_app, name="token")


@token_app.command("new")
def token_new(
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant whose tasks the token reaches.")],
    user: Annotated[str, typer.Option("--user", help="Who holds it (shown as decided_by, cancelled by).")],
    roles: Annotated[
        str, typer.Option("--roles", help="Comma-separated: read, submit, review.")
    ] = "read,submit,review",
) -> None:
    """Print a fresh token (give it to the caller; it is shown once) and the line for the tokens file."""
    import yaml

    from lammesh.gateway.auth import ALL_ROLES, new_token, tokens_file_entry

    wanted = [r.strip() for r in roles.split(",") if r.strip()]
    unknown = sorted(set(wanted) - ALL_ROLES)
    if unknown or not wanted:
        Console(stderr=True).print(f"[red]--roles: unknown {unknown or 'empty'}[/]; choose from {sorted(ALL_ROLES)}")
        raise typer.Exit(2)
    token = new_token()
    entry = tokens_file_entry(token, tenant=tenant, user=user, roles=wanted)
    Console(stderr=True).print("token (LAMMESH_TOKEN for the CLI; shown once, only its digest is stored):")
    print(token)
    Console(stderr=True).print("add under `tokens:` in the gateway's tokens file:")
    print(yaml.safe_dump({"tokens": entry}, sort_keys=False).rstrip())


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


@app.command("agents")
def list_agents(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per registered instance.")] = False,
    all_instances: Annotated[bool, typer.Option("--all", help="Also instances that stopped.")] = False,
) -> None:
    """List the capabilities registered on the mesh: versions, health, last heartbeat."""
    import json

    from lammesh.registry import read_registry
    from lammesh.v1 import registry_pb2

    settings = Settings()
    try:
        entries = asyncio.run(read_registry(settings))
    except Exception as exc:  # no broker: say where we looked
        console.print(f"[red]cannot read the registry from {settings.kafka_bootstrap}: {exc}[/]")
        raise typer.Exit(1) from None
    if not all_instances:
        entries = [e for e in entries if e.registration.health != registry_pb2.SERVICE_HEALTH_STOPPED]
    if as_json:
        for entry in entries:
            r = entry.registration
            print(
                json.dumps(
                    {
                        "capability": r.capability,
                        "kind": registry_pb2.ServiceKind.Name(r.kind).removeprefix("SERVICE_KIND_").lower(),
                        "service": r.service,
                        "version": r.version,
                        "instance_id": r.instance_id,
                        "grpc_endpoint": r.grpc_endpoint,
                        "health": entry.health,
                        "command_topic": r.command_topic,
                        "heartbeat_at": r.heartbeat_at.ToJsonString(),
                        "heartbeat_age_s": round(entry.age_s, 1),
                    }
                )
            )
        return
    table = Table("capability", "kind", "version", "health", "last heartbeat", "instance", "gRPC", "topic")
    colours = {"SERVING": "green", "STOPPED": "dim", "STALE": "yellow", "NOT_SERVING": "red"}
    for entry in entries:
        r = entry.registration
        colour = colours.get(entry.health, "white")
        table.add_row(
            r.capability,
            registry_pb2.ServiceKind.Name(r.kind).removeprefix("SERVICE_KIND_").lower(),
            r.version,
            f"[{colour}]{entry.health}[/]",
            f"{entry.age_s:.0f}s ago",
            r.instance_id,
            r.grpc_endpoint,
            r.command_topic,
        )
    Console().print(table if entries else "no capabilities registered (is the mesh up? `lammesh up`)")


@app.command("smtp-sink")
def smtp_sink(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="SMTP port (default LAMMESH_SMTP_PORT).")] = None,
    maildir: Annotated[Path | None, typer.Option(help="Maildir to store mails in (default LAMMESH_MAILDIR).")] = None,
) -> None:
    """A local SMTP server that stores every mail in a Maildir and relays nothing."""
    from lammesh.dev.smtpsink import SmtpSink
    from lammesh.logging import configure_logging

    settings = Settings()
    configure_logging(settings.model_copy(update={"service_name": "smtp-sink"}))

    async def main() -> None:
        import signal

        sink = SmtpSink(maildir or settings.maildir, host=host, port=port or settings.smtp_port)
        await sink.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await sink.stop()

    asyncio.run(main())


@app.command("up")
def up(
    services: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated services (default: the whole catalogue but the optional ones, e.g. violet)."
        ),
    ] = None,
    run_dir: Annotated[Path, typer.Option(help="Logs (logs/<service>.log), Maildir and mesh.json.")] = Path(".run"),
    seed_crm: Annotated[
        bool, typer.Option(help="Add the sample accounts (examples/meetings) to the CRM first; idempotent.")
    ] = True,
    certs: Annotated[
        Path | None,
        typer.Option(help="A `make certs` folder: mutual TLS, one identity per service (docs/security.md)."),
    ] = None,
) -> None:
    """Start Kafka (if none runs), an SMTP sink and every service as its own process (the dev CRM
    seeded with the sample accounts); wait until all are SERVING; run until Ctrl-C / SIGTERM,
    then stop everything cleanly."""
    import time

    from rich.live import Live

    from lammesh.up import Mesh, MeshError, stop_on_signals

    rows: dict[str, tuple[str, str]] = {}
    colours = {"starting": "yellow", "serving": "green", "failed": "red", "stopping": "yellow", "stopped": "dim"}

    def render() -> Table:
        table = Table("service", "state", "detail", title="lammesh up")
        for name, (state, detail) in rows.items():
            table.add_row(name, f"[{colours.get(state, 'white')}]{state}[/]", detail)
        return table

    live_display = console.is_terminal
    with (
        Live(render(), console=console, refresh_per_second=4, transient=False)
        if live_display
        else contextlib.nullcontext() as live
    ):

        def progress(service: str, state: str, detail: str) -> None:
            rows[service] = (state, detail or rows.get(service, ("", ""))[1])
            if live is not None:
                live.update(render())
            else:  # not a terminal (CI, make demo > file): one line per change
                console.print(f"{service:<12} [{colours.get(state, 'white')}]{state:<9}[/] {detail}")

        mesh = Mesh(
            run_dir=run_dir,
            services=services.split(",") if services else None,
            seed_crm=seed_crm,
            certs=certs,
            progress=progress,
        )
        with stop_on_signals(mesh):
            try:
                mesh.start()
                console.print(
                    f"[green]mesh is up[/]: gateway {mesh.gateway_address}, Kafka {mesh.kafka_bootstrap}, "
                    + (f"console {mesh.console_url}, " if mesh.console_url else "")
                    + f"logs {mesh.logs_dir}/, mails {mesh.maildir_path}/. Ctrl-C stops everything."
                )
                while all(p.alive() for p in mesh.processes):
                    time.sleep(0.5)
                dead = [p.name for p in mesh.processes if not p.alive()]
                console.print(f"[red]{', '.join(dead)} exited[/]; stopping the mesh (see {mesh.logs_dir}/)")
                raise typer.Exit(1)
            except MeshError as exc:
                console.print(f"[red]{exc}[/]")
                raise typer.Exit(1) from None
            except KeyboardInterrupt:
                console.print("stopping the mesh …")
            finally:
                mesh.stop()


@crm_app.command("seed")
def crm_seed(
    file: Annotated[
        Path | None,
        typer.Option(help='Seed file (JSON: {"accounts": [...]}); default examples/meetings/crm_seed.json.'),
    ] = None,
    database_url: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default LAMMESH_CRM_DATABASE_URL).")] = None,
) -> None:
    """Add the sample accounts (with their contacts and opportunities) to the CRM database; an
    account whose domain is there already is left as it is, so running it twice changes nothing."""
    from lammesh_services.tools.crm.seed import SAMPLE_SEED, SeedError, load_seed, seed_database

    url = database_url or Settings().crm_database_url
    try:
        result = seed_database(url, load_seed(file or SAMPLE_SEED))
    except SeedError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    except Exception as exc:
        console.print(f"[red]cannot seed the CRM at {url}[/]: {exc}")
        raise typer.Exit(1) from None
    added = ", ".join(result.added) or "none"
    console.print(f"CRM {url}: added {added}; {len(result.present)} account(s) there already")


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


if __name__ == "__main__":
    main()
