"""The CRM database (SQLAlchemy; SQLite file by default, PostgreSQL by URL).

Accounts own contacts and opportunities. Every change the `crm` tool makes is a **revision**: the
row as it was before (or "did not exist") and as it became, keyed by the step that made it
(`task_id/step_id`). Compensating a step puts back exactly the rows as they were before its
revisions, in reverse order, and marks the revisions undone, so a second compensation finds
nothing left to undo. Business tables end up byte-for-byte as before; the revision log keeps
the history (what was done and undone, by which task).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(253), unique=True)


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[str] = mapped_column(String(200), default="")
    last_met: Mapped[str] = mapped_column(String(10), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class Opportunity(Base):
    __tablename__ = "opportunities"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    name: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(40))
    amount: Mapped[float] = mapped_column(Float, default=0.0)
    sentiment: Mapped[str] = mapped_column(String(20), default="")
    next_step: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_meeting: Mapped[str] = mapped_column(String(10), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)


class Revision(Base):
    """One change to one row: its full state before (null: it did not exist) and after."""

    __tablename__ = "revisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    step_key: Mapped[str] = mapped_column(String(300), index=True)
    table: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    made_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AppliedStep(Base):
    """The answer given for a step key, so a repeated execute returns it instead of writing again."""

    __tablename__ = "applied_steps"
    step_key: Mapped[str] = mapped_column(String(300), primary_key=True)
    result: Mapped[str] = mapped_column(Text)
    compensated: Mapped[bool] = mapped_column(Boolean, default=False)


MODELS: dict[str, type[Base]] = {"contacts": Contact, "opportunities": Opportunity, "accounts": Account}


def row_state(row: Base) -> dict[str, Any]:
    """Every column of a row, JSON-ready."""
    return {c.name: getattr(row, c.key) for c in row.__table__.columns}


def create_crm_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    else:
        engine = create_engine(url, pool_pre_ping=True)
    Base.metadata.create_all(engine)
    return engine


class CrmStore:
    """The database behind the `crm` tool (and the demo's before/after tables)."""

    def __init__(self, url: str) -> None:
        self.engine = create_crm_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    # -- reads -----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every business row, ordered: what `compensate` must restore exactly."""
        with self._sessions() as session:
            return {
                name: [row_state(r) for r in session.scalars(select(model).order_by(model.id))]
                for name, model in MODELS.items()
            }

    def account_by_domain(self, session: Session, domain: str) -> Account | None:
        return session.scalars(select(Account).where(Account.domain == domain.lower())).first()

    def applied(self, session: Session, step_key: str) -> AppliedStep | None:
        return session.get(AppliedStep, step_key)

    # -- versioned writes --------------------------------------------------------------------------

    def record(self, session: Session, step_key: str, row: Base, before: dict[str, Any] | None) -> None:
        session.flush()
        session.add(
            Revision(
                step_key=step_key,
                table=row.__tablename__,
                row_id=row.id,
                before=before,
                after=json.loads(json.dumps(row_state(row), default=str)),
            )
        )

    def undo(self, session: Session, step_key: str) -> list[dict[str, Any]]:
        """Put back every row the step changed, newest change first; returns what was undone."""
        undone = []
        revisions = session.scalars(
            select(Revision)
            .where(Revision.step_key == step_key, Revision.undone.is_(False))
            .order_by(Revision.id.desc())
        ).all()
        for revision in revisions:
            model = MODELS[revision.table]
            row = session.get(model, revision.row_id)
            if revision.before is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(model(**revision.before))
            else:
                for column, value in revision.before.items():
                    setattr(row, column, value)
            session.flush()
            revision.undone = True
            revision.undone_at = _now()
            undone.append(
                {
                    "table": revision.table,
                    "id": revision.row_id,
                    "restored_version": (revision.before or {}).get("version"),
                }
            )
        return undone

    # -- seeding (the demo and the tests) --------------------------------------------------------

    def seed(self, data: dict[str, Any]) -> list[str]:
        """Insert accounts with their contacts and opportunities (skipped if the domain exists);
        returns the domains added."""
        added: list[str] = []
        with self.transaction() as session:
            for account_data in data.get("accounts", []):
                if self.account_by_domain(session, account_data["domain"]) is not None:
                    continue
                added.append(account_data["domain"].lower())
                account = Account(name=account_data["name"], domain=account_data["domain"].lower())
                session.add(account)
                session.flush()
                for contact in account_data.get("contacts", []):
                    session.add(
                        Contact(
                            account_id=account.id,
                            name=contact["name"],
                            email=contact["email"].lower(),
                            role=contact.get("role", ""),
                        )
                    )
                for opp in account_data.get("opportunities", []):
                    session.add(
                        Opportunity(
                            account_id=account.id,
                            name=opp["name"],
                            stage=opp["stage"],
                            amount=float(opp.get("amount", 0)),
                            next_step=opp.get("next_step", ""),
                            sentiment=opp.get("sentiment", ""),
                            risks=list(opp.get("risks", [])),
                        )
                    )
        return added
