"""The web console in a real browser (headless Chromium from the Debian packages, driven by
Selenium) against the real gateway, coordinator, noop tool and pii/policy watchers on the real
broker: sign in with a token, the review queue with the flagged span highlighted, approve -> the
task completes; the task list's filters and live updates; a compensated task's timeline; the
registry; another tenant's token sees none of it.

With LAMMESH_CONSOLE_SCREENSHOTS=DIR (`make console-screenshots`: docs/console/) the main pages
are saved there as PNG files; otherwise under the test's tmp folder.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lammesh.dev.localkafka import free_port
from lammesh.grpc.client import channel as grpc_channel
from lammesh.settings import Settings
from lammesh.structs import to_struct
from lammesh.v1 import review_pb2, review_pb2_grpc, task_pb2, task_pb2_grpc
from lammesh_services.console.main import bootstrap as console_service
from tests.conftest import make_settings
from tests.support.mesh import TERMINAL, gateway_mesh, guarded_send, running, wait_status, write_tokens_file

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.kafka,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="headless Chromium is not installed (apt-get install chromium chromium-driver)",
    ),
]

FLOW = guarded_send("console_flow")
CLEAN = {"account": "acme", "to": ["ana@acme.com"], "body": "Thanks for the meeting, Ana."}
OUTSIDE = {**CLEAN, "to": ["ana@acme.com", "pipeline@evil.io"]}  # policy blocks: the task compensates
PHONE = {**CLEAN, "body": "Call me on +44 20 7946 0958 tomorrow."}  # pii asks for a review
TOKENS = {"acme": f"lmt_acme_{uuid.uuid4().hex}", "globex": f"lmt_globex_{uuid.uuid4().hex}"}
TRACE_URL = "http://127.0.0.1:16686/search?service=gateway&tags=%7B%22lammesh.task_id%22%3A%22{task_id}%22%7D"
WAIT_S = 60


def bearer(tenant: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {TOKENS[tenant]}"),)


@pytest.fixture(scope="module")
async def console(kafka_bootstrap, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("console")
    tokens_file = tmp / "tokens.yaml"
    write_tokens_file(
        tokens_file,
        {
            TOKENS["acme"]: ("acme", "ana@acme.com", ["read", "submit", "review"]),
            TOKENS["globex"]: ("globex", "eve@globex.com", ["read", "submit", "review"]),
        },
    )
    async with gateway_mesh(kafka_bootstrap, tmp, FLOW, gateway_tokens_file=tokens_file) as (wired, address):
        port = free_port()
        settings = make_settings(
            kafka_bootstrap,
            topic_prefix=wired.topic_prefix,
            gateway_address=address,
            console_port=port,
            console_trace_url=TRACE_URL,
            service_name="console",
        )
        async with running(console_service(settings)):
            channel = grpc_channel(address, Settings())
            yield {"url": f"http://127.0.0.1:{port}", "channel": channel, "settings": wired}
            await channel.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1360,900",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("LAMMESH_CONSOLE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def submit(console, task_input: dict[str, Any], tenant: str = "acme") -> str:
    stub = task_pb2_grpc.TaskServiceStub(console["channel"])
    request = task_pb2.SubmitTaskRequest(workflow="console_flow", input=to_struct(task_input))
    return (await stub.SubmitTask(request, metadata=bearer(tenant))).task.task_id


async def status_of(console, task_id: str, statuses: set[int], tenant: str = "acme") -> task_pb2.Task:
    return await wait_status(console["channel"], task_id, statuses, metadata=bearer(tenant), timeout=WAIT_S)


# -- the browser side (blocking Selenium calls: each test runs them in a thread, so the servers
#    on the event loop keep answering) ----------------------------------------------------------


def until(driver, condition: Callable[[Any], Any], what: str) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT_S, poll_frequency=0.1).until(condition)
    except TimeoutException:
        text = driver.execute_script("return document.body ? document.body.innerText : ''")
        raise AssertionError(f"not so after {WAIT_S}s: {what}; at {driver.current_url}:\n{text[:1500]}") from None


def css(driver, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def sign_in(driver, url: str, token: str, *, then: str = "/reviews") -> None:
    driver.delete_all_cookies()
    driver.get(url + then)
    until(driver, lambda d: "/login" in d.current_url, "an anonymous visitor is sent to the sign-in page")
    css(driver, "#token")[0].send_keys(token)
    css(driver, "#sign-in")[0].click()
    until(driver, lambda d: d.current_url.startswith(url + then), f"signed in and back on {then}")


def screenshot(driver, folder: Path, name: str) -> None:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1360, max(700, min(int(height) + 40, 2200)))
    driver.save_screenshot(str(folder / f"{name}.png"))
    driver.set_window_size(1360, 900)


def rows(driver) -> list[str]:
    """The task ids listed, read in one go: the list polls, so its row elements are replaced every few seconds."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#task-rows tr.task'), r => r.dataset.taskId)"
    )


# -- the tests -----------------------------------------------------------------------------------


async def test_a_reviewer_sees_the_flagged_span_and_approves_so_the_task_completes(console, browser, screenshots):
    task_id = await submit(console, PHONE)
    await status_of(console, task_id, {task_pb2.TASK_STATUS_AWAITING_REVIEW})
    url = console["url"]

    def review() -> dict[str, str]:
        sign_in(browser, url, TOKENS["acme"])
        until(browser, lambda d: css(d, f'article.review[data-task-id="{task_id}"]'), "the paused task is in the queue")
        (card,) = css(browser, f'article.review[data-task-id="{task_id}"]')
        from selenium.webdriver.common.by import By

        marks = card.find_elements(By.CSS_SELECTOR, "mark.span")
        seen = {
            "watcher": card.find_element(By.CSS_SELECTOR, ".watcher").text,
            "reasons": card.find_element(By.CSS_SELECTOR, ".reasons").text,
            "marked": " | ".join(m.text for m in marks),
            "label": marks[0].get_attribute("data-label") if marks else "",
            "review_id": card.get_attribute("data-review-id"),
        }
        screenshot(browser, screenshots, "review-queue")
        card.find_element(By.CSS_SELECTOR, "input.note").send_keys("the customer's own number: fine")
        card.find_element(By.CSS_SELECTOR, "button.approve").click()
        until(browser, lambda d: css(d, "#done"), "the console confirms the decision")
        seen["done"] = css(browser, "#done")[0].text
        # the decision reaches the queue once the coordinator has applied it: reload until it has
        until(
            browser,
            lambda d: d.refresh() or not css(d, f'article.review[data-task-id="{task_id}"]'),
            "the decided review leaves the queue (pending reviews only)",
        )
        return seen

    seen = await asyncio.to_thread(review)
    assert seen["watcher"] == "pii" and seen["reasons"], seen
    assert "7946 0958" in seen["marked"] and seen["label"], seen  # the phone number, highlighted with its label
    assert seen["review_id"] in seen["done"] and "approved" in seen["done"], seen

    task = await status_of(console, task_id, TERMINAL)
    assert task.status == task_pb2.TASK_STATUS_COMPLETED
    (decided,) = [r for r in task.reviews if r.review_id == seen["review_id"]]
    assert decided.decision == review_pb2.REVIEW_DECISION_APPROVED
    assert (decided.decided_by, decided.comment) == ("ana@acme.com", "the customer's own number: fine")


async def test_the_task_list_filters_and_shows_new_tasks_live(console, browser, screenshots):
    clean, blocked = await submit(console, CLEAN), await submit(console, OUTSIDE)
    for task_id in (clean, blocked):
        await status_of(console, task_id, TERMINAL)
    url = console["url"]

    def filtered() -> dict[str, list[str]]:
        sign_in(browser, url, TOKENS["acme"], then="/tasks")
        found = {"all": rows(browser)}
        from selenium.webdriver.support.ui import Select

        Select(css(browser, "#status")[0]).select_by_value("compensated")
        css(browser, "#apply")[0].click()
        until(browser, lambda d: "status=compensated" in d.current_url, "the status filter is applied")
        found["compensated"] = rows(browser)
        browser.get(f"{url}/tasks?q={clean[4:14].upper()}")
        found["search"] = rows(browser)
        browser.get(f"{url}/tasks?workflow=nothing_like_it&since=10m")
        found["other_workflow"] = rows(browser) + [e.text for e in css(browser, "#no-tasks")]
        browser.get(f"{url}/tasks?since=last+week")
        found["bad_since"] = [e.text for e in css(browser, "#filter-error")]
        browser.get(f"{url}/tasks?since=1h")
        return found

    found = await asyncio.to_thread(filtered)
    assert {clean, blocked} <= set(found["all"])
    assert blocked in found["compensated"] and clean not in found["compensated"]
    assert found["search"] == [clean]  # part of the id, any case
    assert found["other_workflow"] == ["No tasks match."]
    assert found["bad_since"] and "since: 'last week' is neither" in found["bad_since"][0]

    # the page stays open and polls: a task submitted now appears without a reload
    fresh = await submit(console, CLEAN)
    await asyncio.to_thread(until, browser, lambda d: fresh in rows(d), "the new task appears in the open list")
    await status_of(console, fresh, TERMINAL)
    await asyncio.to_thread(
        until,
        browser,
        lambda d: css(d, f'tr.task[data-task-id="{fresh}"] .badge.status-completed'),
        "its row turns COMPLETED without a reload",
    )
    await asyncio.to_thread(screenshot, browser, screenshots, "tasks")


async def test_the_timeline_of_a_compensated_task_shows_why_and_the_undo(console, browser, screenshots):
    blocked = await submit(console, OUTSIDE)
    await status_of(console, blocked, TERMINAL)

    def timeline() -> dict[str, Any]:
        sign_in(browser, console["url"], TOKENS["acme"], then=f"/tasks/{blocked}")
        seen = {
            "status": css(browser, "#task-status")[0].text,
            "reason": css(browser, "#task-reason")[0].text,
            "compensation": [r.text for r in css(browser, 'tr.compensation[data-step="record"]')],
            "verdicts": [r.text for r in css(browser, "table.checks tbody tr")],
            "models": [c.text for c in css(browser, "table.checks td.model")],
            "events": [r.get_attribute("data-kind") for r in css(browser, "tr.event")],
            "trace": css(browser, "#trace-link")[0].get_attribute("href"),
        }
        screenshot(browser, screenshots, "task-timeline")
        return seen

    seen = await asyncio.to_thread(timeline)
    assert seen["status"] == "COMPENSATED" and "policy" in seen["reason"] and "pipeline@evil.io" in seen["reason"], seen
    assert seen["compensation"] and "COMPENSATED" in seen["compensation"][0], seen
    assert any("policy" in v and "BLOCK" in v and "1.00" in v for v in seen["verdicts"]), seen["verdicts"]
    assert any("pii" in v and "ALLOW" in v for v in seen["verdicts"]), seen["verdicts"]
    assert seen["models"] and all(seen["models"]), seen  # each verdict names the model (or rule code) version
    assert {"step.blocked", "step.compensated", "task.compensated"} <= set(seen["events"]), seen["events"]
    assert blocked in seen["trace"] and seen["trace"].startswith("http://127.0.0.1:16686/search")


async def test_an_open_timeline_follows_its_task_to_the_end(console, browser):
    task_id = await submit(console, PHONE)
    await status_of(console, task_id, {task_pb2.TASK_STATUS_AWAITING_REVIEW})

    def open_timeline() -> str:
        sign_in(browser, console["url"], TOKENS["acme"], then=f"/tasks/{task_id}")
        return css(browser, "#task-status")[0].text

    assert await asyncio.to_thread(open_timeline) == "AWAITING_REVIEW"
    stub = review_pb2_grpc.ReviewServiceStub(console["channel"])
    (review,) = [
        r
        for r in (await stub.ListReviews(review_pb2.ListReviewsRequest(), metadata=bearer("acme"))).reviews
        if r.task_id == task_id
    ]
    await stub.ApproveReview(review_pb2.ApproveReviewRequest(review_id=review.review_id), metadata=bearer("acme"))
    status = "return (document.getElementById('task-status') || {}).textContent"
    await asyncio.to_thread(
        until,
        browser,
        lambda d: d.execute_script(status) == "COMPLETED",
        "the open page shows the task COMPLETED without a reload",
    )
    kinds = await asyncio.to_thread(
        browser.execute_script, "return Array.from(document.querySelectorAll('tr.event'), r => r.dataset.kind)"
    )
    assert "task.completed" in kinds


async def test_the_registry_page_lists_the_serving_capabilities_and_the_model_versions(
    console, browser, screenshots, tmp_path
):
    from lammesh.modelregistry import service as models
    from lammesh.modelregistry.domain import Status

    settings = console["settings"].model_copy(update={"models_registry_dir": tmp_path / "registry"})
    for revision in ("one", "two"):  # a model with an active version and a candidate after it
        artifact = tmp_path / revision
        artifact.mkdir()
        (artifact / "head.json").write_text(f'{{"revision": "{revision}"}}')
        published = await models.publish(settings, artifact, name="injection", note=f"head {revision}")
        if revision == "one":
            await models.promote(settings, "injection", published.version.version, to=Status.ACTIVE)

    def registry() -> dict[str, list[str]]:
        sign_in(browser, console["url"], TOKENS["acme"], then="/registry")
        until(browser, lambda d: css(d, 'tr.capability[data-capability="noop"]'), "the noop tool is registered")
        screenshot(browser, screenshots, "registry")
        return {
            "noop": [r.text for r in css(browser, 'tr.capability[data-capability="noop"]')],
            "models": [r.text for r in css(browser, "tr.model")],
        }

    seen = await asyncio.to_thread(registry)
    (noop,) = seen["noop"]
    assert "tool" in noop and "SERVING" in noop
    assert len(seen["models"]) == 2, seen
    assert "ACTIVE" in seen["models"][0] and "head one" in seen["models"][0], seen
    assert "CANDIDATE" in seen["models"][1] and "head two" in seen["models"][1], seen


async def test_another_tenants_token_sees_none_of_it(console, browser):
    pending = await submit(console, PHONE)  # acme's, left waiting for a review
    await status_of(console, pending, {task_pb2.TASK_STATUS_AWAITING_REVIEW})
    review_stub = review_pb2_grpc.ReviewServiceStub(console["channel"])
    acme_reviews = (await review_stub.ListReviews(review_pb2.ListReviewsRequest(), metadata=bearer("acme"))).reviews
    (acme_review,) = [r for r in acme_reviews if r.task_id == pending]
    url = console["url"]

    def as_globex() -> dict[str, Any]:
        sign_in(browser, url, TOKENS["globex"])
        seen: dict[str, Any] = {
            "reviews": [a.get_attribute("data-task-id") for a in css(browser, "article.review")],
            "empty": bool(css(browser, "#no-reviews")),
        }
        browser.get(url + "/tasks")
        seen["tasks"] = rows(browser)
        browser.get(f"{url}/tasks/{pending}")
        seen["task_page"] = (
            css(browser, "#error-detail")[0].text if css(browser, "#error-detail") else browser.page_source[:300]
        )
        # a forged decision on acme's review, posted from the console's own page
        browser.get(url + "/reviews")
        browser.execute_script(
            "const f = document.createElement('form'); f.method = 'post'; f.action = arguments[0];"
            "const d = document.createElement('input'); d.name = 'decision'; d.value = 'approve'; f.appendChild(d);"
            "document.body.appendChild(f); f.submit();",
            f"/reviews/{acme_review.review_id}/decide",
        )
        until(browser, lambda d: css(d, "#error-detail"), "the forged decision is refused")
        seen["forged"] = css(browser, "#error-detail")[0].text
        # and with no token at all, nothing but the sign-in page
        browser.delete_all_cookies()
        browser.get(url + "/tasks")
        seen["anonymous"] = browser.current_url
        css(browser, "#token")[0].send_keys("lmt_not_a_real_token")
        css(browser, "#sign-in")[0].click()
        until(browser, lambda d: css(d, "#login-error"), "a bad token is refused")
        seen["bad_token"] = css(browser, "#login-error")[0].text
        return seen

    seen = await asyncio.to_thread(as_globex)
    assert seen["empty"] and pending not in seen["reviews"], seen
    assert pending not in seen["tasks"] and seen["tasks"] == [], seen  # globex submitted nothing
    assert f"task {pending} not found" in seen["task_page"], seen
    assert "not found" in seen["forged"], seen
    assert "/login" in seen["anonymous"] and "unknown or revoked token" in seen["bad_token"], seen
    still = (await review_stub.ListReviews(review_pb2.ListReviewsRequest(), metadata=bearer("acme"))).reviews
    assert acme_review.review_id in {r.review_id for r in still}  # still pending: globex could not decide it
