"""[gateway]: one connection by default, shards when asked, and a plain error naming the key
for every setting Discord would refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import AUTO_SHARDS, ConfigError, GatewaySettings, load_settings, parse_settings


def gateway(table: dict[str, object]) -> GatewaySettings:
    return parse_settings({"gateway": table}, base_dir=Path("."), environ={}).gateway


def test_without_a_gateway_section_the_bot_keeps_one_unsharded_connection() -> None:
    settings = parse_settings({}, base_dir=Path("."), environ={})
    assert settings.gateway == GatewaySettings(shard_count=0, shard_ids=())
    assert not settings.gateway.sharded


def test_a_count_runs_every_shard_and_shard_ids_pick_this_process_s_share() -> None:
    assert gateway({"shard_count": 4}) == GatewaySettings(shard_count=4, shard_ids=())
    assert gateway({"shard_count": 4}).sharded
    # Sorted, so the process launches its shards in order.
    assert gateway({"shard_count": 4, "shard_ids": [3, 1]}).shard_ids == (1, 3)


def test_auto_lets_discord_choose_the_count() -> None:
    assert gateway({"shard_count": "auto"}) == GatewaySettings(shard_count=AUTO_SHARDS)
    assert gateway({"shard_count": "Auto"}).shard_count == AUTO_SHARDS
    assert gateway({"shard_count": "auto"}).sharded


def test_the_example_config_documents_an_unsharded_gateway() -> None:
    example = Path(__file__).resolve().parent.parent / "config.example.toml"
    assert load_settings(example, environ={}).gateway == GatewaySettings()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"shard_ids": [3], "shard_count": 2}, "gateway.shard_ids: 3 is not below shard_count 2"),
        ({"shard_ids": [2], "shard_count": 2}, "gateway.shard_ids: 2 is not below shard_count 2"),
        ({"shard_ids": [-1], "shard_count": 2}, "gateway.shard_ids: -1 is not a shard id"),
        ({"shard_ids": ["0"], "shard_count": 2}, "gateway.shard_ids: '0' is not a shard id"),
        ({"shard_ids": [True], "shard_count": 2}, "gateway.shard_ids: True is not a shard id"),
        ({"shard_ids": [1, 1], "shard_count": 2}, "gateway.shard_ids: 1 is listed twice"),
        ({"shard_ids": [], "shard_count": 2}, "gateway.shard_ids must be a list of shard ids"),
        ({"shard_ids": 1, "shard_count": 2}, "gateway.shard_ids must be a list of shard ids"),
        (
            {"shard_ids": [0]},
            "gateway.shard_ids needs gateway.shard_count set to the total number of shards "
            "(it is 0: one unsharded connection)",
        ),
        (
            {"shard_ids": [0], "shard_count": "auto"},
            "gateway.shard_ids needs gateway.shard_count set to the total number of shards, "
            'not "auto"',
        ),
        ({"shard_count": -1}, 'gateway.shard_count must be "auto" or a whole number between 0'),
        ({"shard_count": 70000}, 'gateway.shard_count must be "auto" or a whole number between 0'),
        ({"shard_count": "many"}, 'gateway.shard_count must be "auto" or a whole number'),
        ({"shard_count": 2.0}, 'gateway.shard_count must be "auto" or a whole number'),
        ({"shard_count": True}, 'gateway.shard_count must be "auto" or a whole number'),
        (
            {"shards": 2},
            "unknown key gateway.shards (known keys: gateway.shard_count, gateway.shard_ids)",
        ),
    ],
)
def test_a_gateway_discord_would_refuse_is_a_plain_error_naming_the_key(
    table: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        gateway(table)


def test_gateway_must_be_a_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("gateway = 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape("[gateway] must be a table")):
        load_settings(path, environ={})
