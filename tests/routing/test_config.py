"""Routing files: validation with field paths and lines, cross-references, and compilation."""

import pytest

from baiying.errors import ConfigError
from baiying.routing.config import load_routing_config
from baiying.routing.policy import OnTimeout, Selection, SiteScope
from tests import REPO


def problems(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as caught:
        load_routing_config(text, "policy.yaml")
    return [(p.line, p.field, p.reason) for p in caught.value.problems]


def test_the_example_file_compiles() -> None:
    config = load_routing_config((REPO / "examples" / "routing.yaml").read_text(), "routing.yaml")
    billing = config.policies["billing"]  # type: ignore[index]
    assert billing.selection is Selection.LONGEST_IDLE
    assert [s.timeout_seconds for s in billing.steps] == [30, 120, None]
    assert billing.steps[1].on_timeout is OnTimeout.OFFER_CALLBACK
    assert billing.steps[1].sites is SiteScope.ANY
    assert config.placement.time_rules[0].share == 0.67
    assert config.sites["guangzhou"].languages == frozenset({"yue"})  # type: ignore[index]


def test_errors_name_field_path_and_line() -> None:
    text = """\
policies:
  - id: billing
    selection: fastest
    steps:
      - target:
          skills: {billing: 11}
          sitez: any
"""
    assert problems(text) == [
        (
            3,
            "policies[0].selection",
            "Input should be 'longest-idle', 'most-skilled', 'least-occupied' or 'round-robin'",
        ),
        (6, "policies[0].steps[0].target.skills.billing", "Input should be less than or equal to 10"),
        (7, "policies[0].steps[0].target.sitez", "unknown field (check the spelling)"),
    ]


def test_step_rules_and_expressions_are_checked() -> None:
    text = """\
policies:
  - id: p
    steps:
      - target: {skills: {"lang.${dialect}": 3}}
      - target: {expression: "agent.team = 'x'"}
        timeout_seconds: 10
"""
    found = problems(text)
    assert found[0][:2] == (4, "policies[0].steps[0].target.skills")
    assert "unknown field ${dialect}" in found[0][2]
    assert found[1][:2] == (5, "policies[0].steps[1].target.expression")
    assert found[1][2].startswith("invalid expression: syntax error at column 12")
    last_step = """\
policies:
  - id: p
    steps:
      - timeout_seconds: 10
"""
    ((line, field, reason),) = problems(last_step)
    assert (line, field) == (2, "policies[0]")
    assert reason.startswith("the last step has a timeout but no next step")


def test_cross_references_point_at_the_offending_line() -> None:
    text = """\
sites:
  - {id: beijing}
  - {id: beijing}
placement:
  time_rules:
    - {start: "22:00", end: "07:00", to_site: hq, share: 0.6}
queues:
  - {id: billing, policy: bililng}
policies:
  - id: billing
    steps:
      - target: {sites: [beijing, mars]}
"""
    assert problems(text) == [
        (3, "sites[1].id", "duplicate id 'beijing'"),
        (8, "queues[0].policy", "unknown policy 'bililng'"),
        (6, "placement.time_rules[0].to_site", "unknown site 'hq'"),
        (12, "policies[0].steps[0].target.sites", "unknown site 'mars'"),
    ]


def test_bad_yaml_and_bad_values() -> None:
    assert problems("policies: [\n  {id: x") == [
        (2, "", "not valid YAML: expected ',' or '}', but got '<stream end>'")
    ]
    assert problems("") == [(1, "", "the file is empty")]
    found = problems("sites:\n  - {id: x, timezone: Mars/Olympus, hours: '8-20'}\n")
    assert [f[1] for f in found] == ["sites[0].timezone", "sites[0].hours"]
    assert "unknown time zone 'Mars/Olympus'" in found[0][2]
