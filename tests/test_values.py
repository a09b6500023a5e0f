"""Values with their units, the same in the console's Value column and in `tminus check`."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from test_console_pilot import checklist, settle
from tminus.core.values import format_check_value

from console_factory import make_app


def test_check_values_carry_their_unit():
    assert format_check_value("tcp", 0.0021) == "2 ms"
    assert format_check_value("tcp", 1.5) == "1.5 s"
    assert format_check_value("tls", 75.3) == "75 days"
    assert format_check_value("tls", 1.0) == "1 day"
    assert format_check_value("tls", -3.2) == "expired 3 days ago"
    assert format_check_value("command", 0) == "exit 0"
    assert format_check_value("dns", 2) == "2 answers"
    assert format_check_value("http", 200) == "HTTP 200"
    assert format_check_value("http", 12, {"count": 50}) == "12/50 limited"
    assert format_check_value("kubernetes", "3/3 regions healthy") == "3/3 regions healthy"
    assert format_check_value("prometheus", 0.98765432) == "0.9877"
    assert format_check_value("tcp", None) == ""


def test_a_query_value_takes_the_unit_its_condition_compares_it_in():
    from tminus.core.values import value_unit

    assert format_check_value("prometheus", 0.322, None, "value < 500ms") == "322 ms"
    assert format_check_value("prometheus", 0.9991, None, "value >= 99.9%") == "99.9%"
    assert format_check_value("prometheus", 2, None, "value >= 2") == "2"  # a count: bare
    assert value_unit("value < 2s and samples > 3") == "seconds"
    assert value_unit("samples > 5%") == ""  # not what the Value column shows
    assert value_unit("value_total < 5ms") == ""


def test_cli_and_console_agree_on_a_tcp_value(tmp_path: Path):
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    plan = tmp_path / "plan.toml"
    plan.write_text(
        '[launch]\nname = "Tcp"\nt0 = 2026-12-04T16:00:00Z\n'
        '[[phases]]\nid = "p"\ntitle = "P"\nat = "-1d"\n'
        '  [[phases.sections]]\n  title = "S"\n'
        '    [[phases.sections.items]]\n    title = "Port open"\n'
        f'    check = {{ kind = "tcp", host = "127.0.0.1", port = {port} }}\n'
    )
    try:
        out = subprocess.run(
            [sys.executable, "-m", "tminus.cli", "check", str(plan), "--json", "--no-record"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        listener.close()
    (result,) = json.loads(out.stdout)["results"]
    assert result["outcome"] == "pass", out.stderr
    assert result["value_text"].endswith(" ms")
    # the message says the same number the Value column shows
    assert result["message"] == f"connected in {result['value_text']}"


async def test_value_column_shows_units(tmp_path: Path):
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await settle(app, pilot)
        table = checklist(app, "pre-launch")
        cells = {
            key: [str(c) for c in table.get_row(key)]
            for key in (
                "ssl-certificates-valid-30-days",
                "backup-systems-tested",
                "cdn-configuration-validated",
                "performance-benchmarks-met",  # expect = "value < 500ms"
            )
        }
    values = {key: row[2] for key, row in cells.items()}
    assert values["performance-benchmarks-met"].endswith(" ms"), values
    assert values["ssl-certificates-valid-30-days"].endswith("days"), values
    assert values["backup-systems-tested"] == "exit 0", values
    assert values["cdn-configuration-validated"] == "HTTP 200", values


async def test_region_names_are_not_doubled(tmp_path: Path):
    app, _engine = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("down")  # the first row under the section: the clusters
        await pilot.press("r")
        await settle(app, pilot)
        detail = str(app.screen.query_one("#detail-pre-launch #detail-body").content)
    assert "prod-us-east: healthy" in detail
    assert "prod-us-east: prod-us-east" not in detail
