"""The services this repository ships. Add a service here and `lammesh run NAME` can start it."""

from lammesh.catalogue import Deploy, Egress, Resources, SecretEnv, ServiceKind, ServiceSpec

SERVICES: list[ServiceSpec] = [
    ServiceSpec(
        name="gateway",
        kind=ServiceKind.GATEWAY,
        bootstrap="lammesh_services.gateway.main:bootstrap",
        description="gRPC TaskService, ReviewService and FeedbackService: submit, get, list, cancel, watch, review, report a wrong verdict.",
    ),
    ServiceSpec(
        name="coordinator",
        kind=ServiceKind.COORDINATOR,
        bootstrap="lammesh_services.coordinator.main:bootstrap",
        description="Runs workflows as sagas: dispatches steps, calls watchers, compensates.",
    ),
    ServiceSpec(
        name="noop",
        kind=ServiceKind.TOOL,
        capability="noop",
        handler="lammesh_services.tools.noop.tool:NoopTool",
        description="Echoes its input; fails or delays on request. Measures and tests the mesh.",
    ),
    ServiceSpec(
        name="pii",
        kind=ServiceKind.WATCHER,
        bootstrap="lammesh_services.watchers.pii.main:bootstrap",
        description="Watcher: personal data, secrets and internal markers, with spans (rules + validators).",
    ),
    ServiceSpec(
        name="policy",
        kind=ServiceKind.WATCHER,
        bootstrap="lammesh_services.watchers.policy.main:bootstrap",
        description="Watcher: tool-call arguments against declared rules (recipients, internal attachments, field rules).",
    ),
    ServiceSpec(
        name="loop",
        kind=ServiceKind.WATCHER,
        bootstrap="lammesh_services.watchers.loop.main:bootstrap",
        description="Watcher: runaway behaviour (repeated outputs, retry storms, fan-out, token budgets).",
    ),
    ServiceSpec(
        name="crm",
        kind=ServiceKind.TOOL,
        capability="crm",
        handler="lammesh_services.tools.crm.tool:CrmTool",
        description="Tool: updates the opportunity and contacts in the CRM database; every change versioned, compensate restores it.",
        deploy=Deploy(
            state_dir=True,
            # k8s/base/config/crm-database.yaml: a SQLite trial default; production: a PostgreSQL URL
            secret_env=(
                SecretEnv(
                    "LAMMESH_CRM_DATABASE_URL",
                    "crm-database",
                    "url",
                    "postgresql+psycopg://USER:PASSWORD@HOST/crm (see docs/deploy.md)",
                ),
            ),
            egress=(Egress(5432, "the CRM database (PostgreSQL)"),),
        ),
    ),
    ServiceSpec(
        name="email",
        kind=ServiceKind.TOOL,
        capability="email",
        handler="lammesh_services.tools.email.tool:EmailTool",
        description="Tool: sends a mail over SMTP (a pivot: irreversible).",
        deploy=Deploy(
            state_dir=True,
            # your SMTP relay; credentials via LAMMESH_SMTP_USERNAME/PASSWORD
            env={
                "LAMMESH_SMTP_HOST": "smtp-relay.mail.svc",
                "LAMMESH_SMTP_PORT": "587",
                "LAMMESH_SMTP_STARTTLS": "true",
            },
            egress=(Egress(587, "the SMTP relay"),),
        ),
    ),
    ServiceSpec(
        name="injection",
        kind=ServiceKind.WATCHER,
        bootstrap="lammesh_services.watchers.injection.main:bootstrap",
        latency_critical=True,
        deploy=Deploy(follows_models=True),
        description="Watcher: prompt injection and jailbreaks (ONNX encoder + trained head over windows, ensembled with rules).",
    ),
    ServiceSpec(
        name="grounding",
        kind=ServiceKind.WATCHER,
        bootstrap="lammesh_services.watchers.grounding.main:bootstrap",
        latency_critical=True,
        description="Watcher: every output sentence supported by the step's sources (embeddings + number/name/date checks).",
    ),
    ServiceSpec(
        name="notes",
        kind=ServiceKind.AGENT,
        capability="notes",
        handler="lammesh_services.agents.notes.agent:NotesAgent",
        description="Agent: meeting transcript -> summary, decisions, action items (owners, dates), attendees (encoder + rules).",
    ),
    ServiceSpec(
        name="insights",
        kind=ServiceKind.AGENT,
        capability="insights",
        handler="lammesh_services.agents.insights.agent:InsightsAgent",
        deploy=Deploy(follows_models=True),
        description="Agent: deal stage, sentiment, risks and next step from the notes (encoder + trained heads + rules).",
    ),
    ServiceSpec(
        name="followup",
        kind=ServiceKind.AGENT,
        capability="followup",
        handler="lammesh_services.agents.followup.agent:FollowupAgent",
        description="Agent: drafts the follow-up email from the notes and insights only.",
    ),
    ServiceSpec(
        name="console",
        kind=ServiceKind.CONSOLE,
        bootstrap="lammesh_services.console.main:bootstrap",
        description="Web console: review queue with flagged spans, tasks and their timelines, capability registry and model versions; calls the gateway with each user's token.",
        deploy=Deploy(
            # behind a TLS ingress: the session cookie (the user's API token) only over HTTPS
            env={"LAMMESH_GATEWAY_ADDRESS": "gateway:50051", "LAMMESH_CONSOLE_SECURE_COOKIES": "true"},
        ),
    ),
    ServiceSpec(
        name="violet",
        kind=ServiceKind.WORKER,
        bootstrap="lammesh_services.violet.main:bootstrap",
        # one pass every 30 s: idle unless feedback arrived; a pass loads the encoder and scores ~1,500 texts
        deploy=Deploy(resources=Resources("250m", "768Mi", "1536Mi"), state_dir=True, publishes_models=True),
        in_default_mesh=False,
        description="Violet team: feedback cases -> label-keeping variants -> a gated codebook patch in the registry's canary.",
    ),
]
