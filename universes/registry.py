"""Universe registry: built-in universes by name and user universe files (TOML or YAML).

A user file looks like::

    name = "my-optics"
    description = "optional text"
    members = ["300308", "300502", "688498"]
    weights = { "300308" = 0.5, "300502" = 0.3, "688498" = 0.2 }   # optional; equal weight otherwise

Codes must be quoted strings (YAML would read 002463 as a number) and known to the security master.
"""
from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from aibt.errors import ConfigError, UniverseError, one_line, short
from aibt.universes import baskets, etfs, star_ai
from aibt.universes.master import SecurityMaster, security_master, unknown_code_message

FILE_KEYS = ("name", "description", "members", "weights")
WEIGHT_TOL = 1e-6
#: More members than any security master holds is a generated or broken file.
MAX_MEMBERS = 20_000


@dataclass(frozen=True)
class Universe:
    """A named list of securities.

    Attributes
    ----------
    name : registry name or the file's ``name``.
    members : codes, in order, unique.
    weights : code -> weight (sums to 1) or None for equal weight.
    kind : ``"basket"`` (fixed members), ``"index"`` (point-in-time members from the index builder; ``members``
        is then the candidate pool) or ``"etfs"``.
    description, source : free text.
    """

    name: str
    members: tuple[str, ...]
    weights: Mapping[str, float] | None = None
    kind: str = "basket"
    description: str = ""
    source: str = ""
    meta: Mapping[str, object] = field(default_factory=dict)

    def weight_vector(self) -> np.ndarray:
        """Float64 [N] weights in member order (equal weights when none are given)."""
        if self.weights is None:
            return np.full(len(self.members), 1.0 / len(self.members))
        return np.array([self.weights[c] for c in self.members], dtype=np.float64)


def _builtins() -> dict[str, Universe]:
    b = baskets.BASKETS
    interconnect = tuple(dict.fromkeys(b["optical"] + b["copper"] + b["pcb"]))
    return {
        "star-ai": Universe("star-ai", tuple(star_ai.candidate_table()["code"]), kind="index",
                            description="STAR AI index 950180: point-in-time constituents built from the "
                                        "candidate pool (see universes.star_ai)",
                            source="INDEX_950180.md; SOURCES.md section 4; project-added candidates"),
        "optical": Universe("optical", b["optical"], description="optical-module suppliers",
                            source=baskets.SOURCE),
        "copper": Universe("copper", b["copper"], description="copper interconnect suppliers",
                           source=baskets.SOURCE),
        "pcb": Universe("pcb", b["pcb"], description="PCB / copper-clad laminate suppliers", source=baskets.SOURCE),
        "interconnect": Universe("interconnect", interconnect, description="optical + copper + PCB baskets",
                                 source=baskets.SOURCE),
        "star-ai-etfs": Universe("star-ai-etfs", etfs.etfs_tracking("950180"), kind="etfs",
                                 description="ETFs recorded as tracking 950180 (588930 not confirmed)",
                                 source="INDEX_950180.md; all_stocks.json names"),
        "star50-etfs": Universe("star50-etfs", etfs.etfs_tracking("000688"), kind="etfs",
                                description="STAR 50 (000688) ETFs", source="fund names"),
    }


def known_universes() -> tuple[str, ...]:
    """Names of the built-in universes."""
    return tuple(_builtins())


def get_universe(name: str, master: SecurityMaster | None = None) -> Universe:
    """A built-in universe by name, or a user file when ``name`` is a path to a .toml/.yaml/.yml file.

    Raises
    ------
    UniverseError
        Unknown name: lists the known universes and the closest one.
    """
    builtins = _builtins()
    if name in builtins:
        return builtins[name]
    if Path(name).suffix.lower() in (".toml", ".yaml", ".yml"):
        return load_universe_file(name, master)
    close = difflib.get_close_matches(name, list(builtins), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UniverseError(f"unknown universe {name!r}: {hint}known universes: {', '.join(builtins)} "
                        "(or a path to a .toml/.yaml universe file)")


def _yaml_loader():
    """A safe YAML loader for universe files: no anchors/aliases (a few hundred bytes of nested aliases
    expand to gigabytes), and integers remember how they were written (``002463`` is octal 1331 in
    YAML 1.1; the error then shows what the user typed)."""
    import yaml

    class Written(int):
        text = ""

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise ConfigError(f"uses a YAML alias (*{event.anchor}) at line {event.start_mark.line + 1}; "
                                  "anchors and aliases are not allowed in universe files: write the values out")
            event = self.peek_event()
            if getattr(event, "anchor", None):
                raise ConfigError(f"uses a YAML anchor (&{event.anchor}) at line {event.start_mark.line + 1}; "
                                  "anchors and aliases are not allowed in universe files: write the values out")
            return super().compose_node(parent, index)

    def construct_int(loader, node):
        value = Written(yaml.SafeLoader.construct_yaml_int(loader, node))
        value.text = node.value
        return value

    Loader.add_constructor("tag:yaml.org,2002:int", construct_int)
    return Loader


def _read_mapping(p: Path) -> dict:
    from aibt.files import read_config_text

    text = read_config_text(p, "universe file")
    kind = "TOML" if p.suffix.lower() == ".toml" else "YAML"
    try:
        if kind == "TOML":
            data = tomllib.loads(text)
        else:
            import yaml

            data = yaml.load(text, Loader=_yaml_loader())  # noqa: S506 - a SafeLoader subclass
    except ConfigError as exc:
        raise ConfigError(f"universe file {p} {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"universe file {p} is not valid TOML: {one_line(str(exc), 200)}") from None
    except RecursionError:
        raise ConfigError(f"universe file {p} is nested too deeply to be a universe") from None
    except Exception as exc:  # yaml.YAMLError and friends
        if type(exc).__module__.startswith("yaml"):
            raise ConfigError(one_line(f"universe file {p} is not valid YAML: {str(exc).splitlines()[0]}", 300)) from None
        raise
    if not isinstance(data, dict):
        raise ConfigError(f"universe file {p} must be a mapping with keys {', '.join(FILE_KEYS)}")
    return data


def _code(value, p: Path, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and getattr(value, "text", ""):
        typed = value.text
        read = f" (YAML reads {typed} as the number {int(value)})" if typed.lstrip("+-") != str(int(value)) else ""
        raise ConfigError(f"universe file {p}: {where} {typed} is unquoted{read}; codes must be quoted strings: '{typed}'")
    if not isinstance(value, str):
        raise ConfigError(f"universe file {p}: {where} {short(value)} must be a quoted string code "
                          "(unquoted numbers lose leading zeros)")
    return value.strip()


def load_universe_file(path, master: SecurityMaster | None = None) -> Universe:
    """Read and validate a user universe file (TOML, or YAML by .yaml/.yml suffix).

    Keys: ``name`` (str, required), ``members`` (list of code strings, required), ``weights`` (optional
    mapping code -> non-negative number, over exactly the members, summing to 1), ``description``.
    An unknown key raises ConfigError naming it (with a suggestion); an unknown code raises UniverseError
    with close matches from the security master.
    """
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise UniverseError(f"universe file {p} does not exist")
    if p.suffix.lower() not in (".toml", ".yaml", ".yml"):
        raise ConfigError(f"universe file {p} must end in .toml, .yaml or .yml")
    data = _read_mapping(p)
    for key in data:
        if key not in FILE_KEYS:
            close = difflib.get_close_matches(str(key)[:100], FILE_KEYS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            if str(key).strip().isdigit():
                hint += (f"; {key} looks like a security code: codes go in members = [\"{key}\", ...] and "
                         "weights = { \"" + str(key) + "\" = 0.5, ... }, not as a [section] or key")
            raise ConfigError(f"universe file {p}: unknown key {short(key)} (allowed: {', '.join(FILE_KEYS)}){hint}")
    for key in ("name", "members"):
        if key not in data:
            raise ConfigError(f"universe file {p}: missing key {key!r}")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"universe file {p}: name must be a non-empty string")
    raw_members = data["members"]
    if not isinstance(raw_members, list) or not raw_members:
        raise ConfigError(f"universe file {p}: members must be a non-empty list of codes")
    if len(raw_members) > MAX_MEMBERS:
        raise ConfigError(f"universe file {p}: {len(raw_members)} members, more than {MAX_MEMBERS}; "
                          "a universe is a list of securities of the security master")
    members = tuple(_code(m, p, "member") for m in raw_members)
    seen: set[str] = set()
    for m in members:
        if m in seen:
            raise ConfigError(f"universe file {p}: member {short(m)} is listed twice")
        seen.add(m)
    master = security_master() if master is None else master
    for m in members:
        if m not in master:
            raise UniverseError(f"universe file {p}: {unknown_code_message(m, master.codes)}")
    weights = None
    if "weights" in data:
        raw_w = data["weights"]
        if not isinstance(raw_w, dict):
            raise ConfigError(f"universe file {p}: weights must be a mapping code -> weight")
        weights = {}
        for k, v in raw_w.items():
            code = _code(k, p, "weights key")
            if code not in seen:
                close = difflib.get_close_matches(code, members[:2000], n=1)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise ConfigError(f"universe file {p}: weight given for {code}, which is not a member{hint}")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
                raise ConfigError(f"universe file {p}: weight of {code} must be a non-negative number, got {short(v)}")
            weights[code] = float(v)
        lacking = [m for m in members if m not in weights][:1]
        if lacking:
            raise ConfigError(f"universe file {p}: no weight for member {lacking[0]}")
        total = sum(weights.values())
        if abs(total - 1.0) > WEIGHT_TOL:
            raise ConfigError(f"universe file {p}: weights sum to {total:.6g}, not 1")
    desc = data.get("description", "")
    if not isinstance(desc, str):
        raise ConfigError(f"universe file {p}: description must be a string")
    return Universe(name.strip(), members, weights, "basket", desc, str(p))
