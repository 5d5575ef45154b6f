"""Universe registry, baskets, ETF table and user universe files."""
from __future__ import annotations

import numpy as np
import pytest

from aibt.errors import ConfigError, UniverseError
from aibt.universes import baskets, etfs
from aibt.universes.master import security_master
from aibt.universes.registry import get_universe, known_universes, load_universe_file


def test_builtin_baskets():
    assert get_universe("optical").members == ("300308", "300502", "300394", "688498", "688048", "300548",
                                               "688313", "301486", "300570")
    assert get_universe("copper").members == ("300913", "300308", "6088.HK")
    assert get_universe("pcb").members == ("300476", "603228", "002463", "600183")
    inter = get_universe("interconnect").members
    assert len(inter) == 15 and len(set(inter)) == 15  # 300308 counted once
    np.testing.assert_allclose(get_universe("pcb").weight_vector(), [0.25] * 4)
    m = security_master()
    for name in known_universes():
        assert all(c in m for c in get_universe(name).members), name


def test_builtin_index_and_etfs():
    u = get_universe("star-ai")
    assert u.kind == "index" and len(u.members) == 37  # + 688595, 688322 (reported constituents, 2025)
    assert get_universe("star-ai-etfs").members == ("588790", "588930", "588760", "588730", "589010", "589520",
                                                    "589380", "589110", "589090", "589560", "589230")
    assert get_universe("star50-etfs").members == ("588000", "588080", "588050")


def test_etf_table():
    e = etfs.etf_info("588790")
    assert (e.manager, e.tracks, e.mgmt_fee, e.custody_fee, e.fee_status) == ("博时", "950180", 0.005, 0.001,
                                                                              "reported")
    assert e.total_fee == pytest.approx(0.006)
    assert "1:2" in e.note and "2025-03-18" in e.note
    assert etfs.etf_info("588930").index_status == "not confirmed"
    assert etfs.etf_info("589010").fee_status == "assumed"
    assert etfs.etf_info("589560").fee_status == "reported"
    t = etfs.etf_table()
    assert len(t) == 14 and set(t["code"]) <= set(security_master().codes)
    with pytest.raises(UniverseError, match="'588791'.*588790"):
        etfs.etf_info("588791")


def test_unknown_universe_lists_known():
    with pytest.raises(UniverseError, match=r"'opticals'.*did you mean 'optical'.*star-ai.*pcb"):
        get_universe("opticals")


def test_toml_and_yaml_files(tmp_path):
    t = tmp_path / "u.toml"
    t.write_text('name = "mine"\nmembers = ["300308", "002463"]\nweights = { "300308" = 0.7, "002463" = 0.3 }\n',
                 encoding="utf-8")
    u = get_universe(str(t))
    assert u.name == "mine" and u.members == ("300308", "002463")
    np.testing.assert_allclose(u.weight_vector(), [0.7, 0.3])
    y = tmp_path / "u.yaml"
    y.write_text('name: yours\nmembers: ["688256", "6088.HK"]\n', encoding="utf-8")
    u = load_universe_file(y)
    assert u.members == ("688256", "6088.HK") and u.weights is None
    np.testing.assert_allclose(u.weight_vector(), [0.5, 0.5])


@pytest.mark.parametrize("suffix,text,exc,match", [
    (".toml", 'name = "x"\nmember = ["300308"]\n', ConfigError, "unknown key 'member'.*'members'"),
    (".toml", 'name = "x"\nmembers = ["300309"]\n', UniverseError, "'300309'.*300308"),
    (".toml", 'members = ["300308"]\n', ConfigError, "missing key 'name'"),
    (".yaml", "name: x\nmembers: [002463]\n", ConfigError, "quoted string"),
    (".toml", 'name = "x"\nmembers = ["300308", "300308"]\n', ConfigError, "listed twice"),
    (".toml", 'name = "x"\nmembers = ["300308", "002463"]\nweights = { "300308" = 0.5, "002463" = 0.4 }\n',
     ConfigError, "sum to 0.9"),
    (".toml", 'name = "x"\nmembers = ["300308"]\nweights = { "300309" = 1.0 }\n', ConfigError,
     "300309, which is not a member; did you mean 300308"),
    (".toml", 'name = "x"\nmembers = ["300308", "002463"]\nweights = { "300308" = 1.0 }\n', ConfigError,
     "no weight for member 002463"),
    (".toml", 'name = "x"\nmembers = ["300308"]\nweights = { "300308" = -1.0 }\n', ConfigError,
     "non-negative"),
    (".toml", 'name = "x"\nmembers = [\n', ConfigError, "not valid TOML"),
    (".yaml", "name: x\nmembers: [a, b\n", ConfigError, "not valid YAML"),
])
def test_file_errors(tmp_path, suffix, text, exc, match):
    p = tmp_path / f"u{suffix}"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(exc, match=match):
        load_universe_file(p)


def test_missing_file(tmp_path):
    with pytest.raises(UniverseError, match="does not exist"):
        get_universe(str(tmp_path / "nope.toml"))


def test_baskets_source_named():
    assert "Soochow" in baskets.SOURCE
