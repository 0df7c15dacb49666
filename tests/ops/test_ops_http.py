"""/healthz and /metrics of the real bot (`serve`, as `refund-bot run`) over HTTP: on
METRICS_PORT in polling mode, on the webhook server in webhook mode."""

from __future__ import annotations

from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.conversation.conftest import Harness, free_port
from tests.conversation.test_antifraud import SCAM_ZH


def scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def get(figures: dict[Any, float], name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


async def fetch(url: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def test_polling_mode_serves_health_and_metrics_on_metrics_port(harness: Harness) -> None:
    port = free_port()
    await harness.start_bot(metrics_port=port, metrics_host="127.0.0.1")
    base = f"http://127.0.0.1:{port}"
    status, kind, body = await fetch(f"{base}/healthz")
    assert status == 200, body
    assert kind.startswith("application/json")
    assert '"database": {"ok": true' in body and '"bot_api": {"ok": true' in body

    _, kind, text = await fetch(f"{base}/metrics")
    assert kind.startswith("text/plain") and "version=" in kind  # the Prometheus text format
    before = scrape(text)
    buyer = harness.buyer(8101, "zh")
    buyer.expect(await buyer.say("/start"), "start.welcome")
    buyer.expect(await buyer.say(SCAM_ZH), "fraud.title.high")
    _, _, text = await fetch(f"{base}/metrics")
    after = scrape(text)

    def grew(name: str, **labels: str) -> float:
        return get(after, name, **labels) - get(before, name, **labels)

    assert grew("refundbot_updates_total", type="message", outcome="ok") == 2
    assert grew("refundbot_handler_seconds_count", type="message") == 2
    assert grew("refundbot_bot_api_calls_total", method="sendMessage", outcome="ok") >= 2
    assert grew("refundbot_bot_api_calls_total", method="getUpdates", outcome="ok") >= 1
    findings = {
        labels: value
        for (name, labels), value in after.items()
        if name == "refundbot_fraud_findings_total"
    }
    assert sum(findings.values()) > sum(
        value for (name, _), value in before.items() if name == "refundbot_fraud_findings_total"
    )
    assert get(after, "refundbot_store_up") == 1
    assert ("process_cpu_seconds_total", ()) in after


async def test_webhook_mode_serves_them_on_the_webhook_server(harness: Harness) -> None:
    settings = harness.settings(webhook=True)
    await harness.start_bot(settings)
    base = f"http://127.0.0.1:{settings.webhook_port}"
    buyer = harness.buyer(8102, "en")
    buyer.expect(await buyer.say("/start"), "start.welcome")
    status, _, body = await fetch(f"{base}/healthz")
    assert status == 200, body
    status, _, text = await fetch(f"{base}/metrics")
    assert status == 200
    assert get(scrape(text), "refundbot_updates_total", type="message", outcome="ok") >= 1


async def test_webhook_mode_with_metrics_port_serves_them_there_too(harness: Harness) -> None:
    port = free_port()
    settings = harness.settings(webhook=True, metrics_port=port, metrics_host="127.0.0.1")
    await harness.start_bot(settings)
    for base in (f"http://127.0.0.1:{settings.webhook_port}", f"http://127.0.0.1:{port}"):
        status, _, body = await fetch(f"{base}/healthz")
        assert status == 200, body
        status, _, text = await fetch(f"{base}/metrics")
        assert status == 200 and "refundbot_store_up 1.0" in text


async def test_polling_mode_without_metrics_port_opens_no_port(harness: Harness) -> None:
    port = free_port()
    await harness.start_bot()
    try:
        await fetch(f"http://127.0.0.1:{port}/healthz")
    except aiohttp.ClientConnectionError:
        pass
    else:  # pragma: no cover - only when the port was taken by something else meanwhile
        raise AssertionError("something answers on a port the bot was not given")
