"""The `crm` handler: update the account's opportunity and contacts after a meeting; compensate by
restoring exactly the rows as they were. Idempotent on the step key in the same transaction as
the writes, so even a crash between the commit and the reply cannot apply a meeting twice."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Literal, Self

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from lammesh.settings import Settings
from lammesh.steps import StepContext, StepFailure, StepHandler
from lammesh_services.tools.crm.store import AppliedStep, Contact, CrmStore, Opportunity, row_state

STAGES = ("prospecting", "discovery", "evaluation", "proposal", "negotiation", "closed_won", "closed_lost")
Stage = Literal["prospecting", "discovery", "evaluation", "proposal", "negotiation", "closed_won", "closed_lost"]
CLOSED = {"closed_won", "closed_lost"}


class Attendee(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    role: str = ""


class CrmInput(BaseModel):
    account_domain: str = Field(min_length=3, max_length=253, pattern=r"^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
    opportunity: str | None = Field(None, description="Opportunity name; default: the account's open one.")
    meeting_date: str = Field("", pattern=r"^(\d{4}-\d{2}-\d{2})?$")
    stage: Stage | None = None
    sentiment: Literal["positive", "neutral", "negative", ""] = ""
    risks: list[str] = Field(default_factory=list)
    next_step: str = ""
    summary: str = ""
    attendees: list[Attendee] = Field(default_factory=list)


class CrmOutput(BaseModel):
    account: dict[str, str]
    opportunity: dict[str, Any]
    contacts: list[dict[str, str]]
    changes: int


def on_domain(email: str, domain: str) -> bool:
    host = email.rsplit("@", 1)[-1].lower()
    return host == domain or host.endswith(f".{domain}")


class CrmTool(StepHandler):
    side_effects = True
    Input = CrmInput
    Output = CrmOutput

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(settings.crm_database_url)

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.store: CrmStore | None = None

    async def start(self) -> None:
        self.store = await asyncio.to_thread(CrmStore, self.database_url)

    async def close(self) -> None:
        if self.store is not None:
            self.store.close()

    async def execute(self, step: StepContext) -> dict[str, Any]:
        return await asyncio.to_thread(self.apply, step.key, step.data)

    async def compensate(self, step: StepContext) -> dict[str, Any]:
        return await asyncio.to_thread(self.restore, step.key)

    # -- synchronous core (runs in a worker thread) ----------------------------------------------

    def apply(self, step_key: str, data: CrmInput) -> dict[str, Any]:
        assert self.store is not None, "start() first"
        store = self.store
        with store.transaction() as session:
            done = store.applied(session, step_key)
            if done is not None:
                return json.loads(done.result)
            account = store.account_by_domain(session, data.account_domain)
            if account is None:
                raise StepFailure(
                    "UNKNOWN_ACCOUNT",
                    f"no CRM account has the domain {data.account_domain!r}",
                    retryable=False,
                    field="input.account_domain",
                )
            opportunity = self._opportunity(session, account.id, data.opportunity)
            changes = 0
            before = row_state(opportunity)
            if data.stage is not None:
                if opportunity.stage in CLOSED and data.stage != opportunity.stage:
                    raise StepFailure(
                        "OPPORTUNITY_CLOSED",
                        f"{opportunity.name!r} is {opportunity.stage}; a meeting cannot reopen it",
                        retryable=False,
                        field="input.stage",
                    )
                opportunity.stage = data.stage
            if data.sentiment:
                opportunity.sentiment = data.sentiment
            opportunity.risks = list(data.risks)
            if data.next_step:
                opportunity.next_step = data.next_step
            if data.summary:
                opportunity.notes = data.summary
            if data.meeting_date:
                opportunity.last_meeting = data.meeting_date
            opportunity.version += 1
            store.record(session, step_key, opportunity, before)
            changes += 1
            contacts = []
            for attendee in data.attendees:
                if not attendee.email or not on_domain(attendee.email, account.domain):
                    continue
                email = attendee.email.lower()
                contact = session.scalars(select(Contact).where(Contact.email == email)).first()
                if contact is not None and contact.account_id != account.id:
                    raise StepFailure(
                        "CONTACT_CONFLICT",
                        f"{email} belongs to another account",
                        retryable=False,
                        field="input.attendees",
                    )
                if contact is None:
                    contact = Contact(
                        account_id=account.id,
                        name=attendee.name,
                        email=email,
                        role=attendee.role,
                        last_met=data.meeting_date,
                        version=1,
                    )
                    session.add(contact)
                    store.record(session, step_key, contact, None)
                else:
                    contact_before = row_state(contact)
                    contact.last_met = data.meeting_date or contact.last_met
                    contact.role = attendee.role or contact.role
                    contact.version += 1
                    store.record(session, step_key, contact, contact_before)
                changes += 1
                contacts.append({"name": contact.name, "email": contact.email})
            known = session.scalars(select(Contact).where(Contact.account_id == account.id).order_by(Contact.id)).all()
            result = CrmOutput(
                account={"name": account.name, "domain": account.domain},
                opportunity={
                    "id": opportunity.id,
                    "name": opportunity.name,
                    "stage": opportunity.stage,
                    "previous_stage": before["stage"],
                    "version": opportunity.version,
                },
                contacts=[{"name": c.name, "email": c.email} for c in known],
                changes=changes,
            ).model_dump(mode="json")
            session.add(AppliedStep(step_key=step_key, result=json.dumps(result)))
            return result

    def restore(self, step_key: str) -> dict[str, Any]:
        assert self.store is not None, "start() first"
        with self.store.transaction() as session:
            undone = self.store.undo(session, step_key)
            applied = self.store.applied(session, step_key)
            if applied is not None:
                applied.compensated = True
            return {"restored": undone, "already_restored": applied is not None and not undone}

    @staticmethod
    def _opportunity(session: Session, account_id: int, name: str | None) -> Opportunity:
        query = select(Opportunity).where(Opportunity.account_id == account_id)
        if name:
            found = session.scalars(query.where(Opportunity.name == name)).first()
        else:
            found = (
                session.scalars(query.where(Opportunity.stage.not_in(CLOSED)).order_by(Opportunity.id.desc())).first()
                or session.scalars(query.order_by(Opportunity.id.desc())).first()
            )
        if found is None:
            raise StepFailure(
                "UNKNOWN_OPPORTUNITY",
                f"the account has no opportunity {name or '(open)'}",
                retryable=False,
                field="input.opportunity",
            )
        return found
