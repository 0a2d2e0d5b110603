"""Realistic, reproducible demo charging sessions in the API's wire shape.

Every session is a plain, JSON-serialisable dict that validates against
:class:`~charging_sessions.models.ChargingSession` and is already in its canonical wire form: uuids and
timestamps are strings (ISO 8601 UTC with milliseconds), numbers the model types as ``float`` are floats,
and optional fields that are absent are left out of the dict (never ``None``).

The sessions of a namespace come from a ``random.Random`` seeded with ``f"{seed}:{namespace}"`` only, so
they are the same for equal arguments and do not change when other namespaces are added. Sessions are
yielded namespace by namespace, each namespace in ascending ``createdAt`` order (about 3% share the exact
``createdAt`` of the session before them, at least one pair per namespace of two or more, to exercise
tie-breaking). Generation is lazy: a namespace holds
only its users, chargers and tariffs in memory, never the sessions already yielded.

Within a namespace: the first session always belongs to ``user-<suffix>-01`` on ``charger-<suffix>-01``
connector 1 and is ``Stopped``; the newest sessions of a connector may be ``Started`` (about 5-10% of all
sessions), and with two or more sessions the newest one always is.

Tariff restrictions on time of day are matched in a fixed UTC offset per time zone (daylight saving time
is ignored): prices are consistent with the tariff, not exact to the cent.
"""

from __future__ import annotations

import json
import random
import uuid
from bisect import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any, Final

from charging_sessions.models import ChargingIntentType, ChargingSessionStatus, DayOfWeek, StartType, StopReason

DEFAULT_NAMESPACES: Final[tuple[str, ...]] = ("tenant-alpha", "tenant-beta", "tenant-gamma")
DEFAULT_PER_NAMESPACE: Final = 40
DEFAULT_SEED: Final = 7
DEFAULT_START: Final = datetime(2026, 1, 1, tzinfo=UTC)

_UNIX_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS_PER_DAY: Final = 86_400_000
_MS_PER_HOUR: Final = 3_600_000

_STARTED: Final = ChargingSessionStatus.STARTED.value
_STOPPED: Final = ChargingSessionStatus.STOPPED.value
_REMOTE: Final = StartType.REMOTE.value
_LOCAL: Final = StartType.LOCAL.value

_TIE_RATE: Final = 0.03
"""Share of sessions that reuse the exact ``createdAt`` of the session before them."""
_TAIL_RATE: Final = 0.10
"""Share of a namespace's newest sessions that may still be ``Started``."""
_STARTED_IN_TAIL: Final = 0.6
_WITH_USER: Final = 0.85
_WITH_TARIFF: Final = 0.60
_WITH_NOTE: Final = 0.12
_MAX_SPAN_MS: Final = 365 * _MS_PER_DAY
_MAX_MEAN_GAP_MS: Final = 2 * _MS_PER_HOUR

_TIME_ZONES: Final[tuple[tuple[str, int, str], ...]] = (
    # (IANA name, standard UTC offset in hours, local language of the alternative text)
    ("Europe/Oslo", 1, "nb"),
    ("Europe/Stockholm", 1, "sv"),
    ("Europe/Copenhagen", 1, "da"),
    ("Europe/Berlin", 1, "de"),
    ("Europe/Amsterdam", 1, "nl"),
    ("Europe/Helsinki", 2, "fi"),
    ("Europe/London", 0, "en"),
)
_COLOURS: Final = ("#1E88E5", "#43A047", "#FB8C00", "#8E24AA", "#E53935", "#00ACC1", "#FDD835", "#6D4C41")
_NANOID_ALPHABET: Final = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"
_WEEKDAYS: Final = tuple(day.value for day in DayOfWeek)  # Monday first, like datetime.weekday()
_CHARGER_POWERS_KW: Final = (3.7, 7.4, 11.0, 22.0)
_CHARGER_POWER_WEIGHTS: Final = (1, 3, 4, 2)
_CAR_POWERS_KW: Final = (3.7, 7.4, 11.0, 11.0, 22.0)

_NOTES: Final = (
    "Guest parking, charged on behalf of the visitor",
    "Fleet vehicle",
    "Company car - reimburse via payroll",
    "Cable was left locked, released by support",
    "Session started by support on request",
    "Charged during maintenance window",
    "Visitor spot B-12",
    "Customer reported slow charging",
)

_USER_INTENTS: Final[tuple[tuple[str, str, str, float], ...]] = (
    # (type, start type, which idTag of the user, weight)
    (ChargingIntentType.IN_APP.value, _REMOTE, "app", 45),
    (ChargingIntentType.PERSONAL_KEYCARD.value, _LOCAL, "rfid", 25),
    (ChargingIntentType.AUTO_CHARGE.value, _REMOTE, "app", 12),
    (ChargingIntentType.PLUG_N_CHARGE.value, _LOCAL, "contract", 8),
    (ChargingIntentType.INFOSTAR_KEYCARD.value, _LOCAL, "rfid", 5),
    (ChargingIntentType.INFOSTAR_ROOM.value, _REMOTE, "app", 5),
)
_ANONYMOUS_INTENTS: Final[tuple[tuple[str, str, float], ...]] = (
    (ChargingIntentType.GENERIC_KEYCARD.value, _LOCAL, 45),
    (ChargingIntentType.IN_CONSOLE.value, _REMOTE, 20),
    (ChargingIntentType.UNKNOWN.value, _LOCAL, 20),
    (ChargingIntentType.INFOSTAR_KEYCARD.value, _LOCAL, 15),
)
_STOP_REASONS: Final[tuple[tuple[str, float], ...]] = (
    (StopReason.EV_DISCONNECTED.value, 50),
    (StopReason.LOCAL.value, 24),
    (StopReason.REMOTE.value, 16),
    (StopReason.DE_AUTHORIZED.value, 2),
    (StopReason.POWER_LOSS.value, 2),
    (StopReason.OTHER.value, 2),
    (StopReason.REBOOT.value, 1.5),
    (StopReason.SOFT_RESET.value, 0.8),
    (StopReason.EMERGENCY_STOP.value, 0.7),
    (StopReason.HARD_RESET.value, 0.5),
    (StopReason.UNLOCK_COMMAND.value, 0.5),
)
_USER_INTENT_CUM: Final = tuple(accumulate(weight for *_, weight in _USER_INTENTS))
_ANONYMOUS_INTENT_CUM: Final = tuple(accumulate(weight for *_, weight in _ANONYMOUS_INTENTS))
_STOP_REASON_CUM: Final = tuple(accumulate(weight for _, weight in _STOP_REASONS))


def namespace_suffix(namespace: str) -> str:
    """``"tenant-alpha"`` -> ``"alpha"``; a namespace without the ``tenant-`` prefix is used as it is."""
    suffix = namespace.removeprefix("tenant-")
    return suffix or namespace


def demo_user_id(namespace: str, number: int) -> str:
    """The id of the ``number``-th demo user of a namespace, e.g. ``user-alpha-01``."""
    return f"user-{namespace_suffix(namespace)}-{number:02d}"


def demo_charger_id(namespace: str, number: int) -> str:
    """The id of the ``number``-th demo charger of a namespace, e.g. ``charger-alpha-01``."""
    return f"charger-{namespace_suffix(namespace)}-{number:02d}"


def generate_sessions(
    *,
    namespaces: Sequence[str] = DEFAULT_NAMESPACES,
    per_namespace: int | Mapping[str, int] = DEFAULT_PER_NAMESPACE,
    seed: int = DEFAULT_SEED,
    users_per_namespace: int = 6,
    chargers_per_namespace: int = 5,
    start: datetime = DEFAULT_START,
) -> Iterator[dict[str, Any]]:
    """Yield demo sessions lazily, namespace by namespace, each namespace in ascending ``createdAt`` order.

    ``per_namespace`` is one count for every namespace, or a mapping from namespace to count (namespaces it
    leaves out get :data:`DEFAULT_PER_NAMESPACE`). The first session of a namespace is created at ``start``;
    the others follow it, spread over at most a year. Arguments are checked at the call, not at the first
    ``next()``.
    """
    if isinstance(namespaces, str):
        raise TypeError("namespaces must be a sequence of namespace ids, not a single string")
    if len(set(namespaces)) != len(namespaces):
        raise ValueError("namespaces must not repeat")
    if any(not namespace for namespace in namespaces):
        raise ValueError("a namespace must not be empty")
    if users_per_namespace < 1 or chargers_per_namespace < 1:
        raise ValueError("users_per_namespace and chargers_per_namespace must be at least 1")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must carry a time zone")
    counts = [
        (
            namespace,
            per_namespace if isinstance(per_namespace, int) else per_namespace.get(namespace, DEFAULT_PER_NAMESPACE),
        )
        for namespace in namespaces
    ]
    if any(count < 0 for _, count in counts):
        raise ValueError("the number of sessions per namespace must not be negative")
    start_ms = (start - _UNIX_EPOCH) // timedelta(milliseconds=1)
    return _generate(counts, seed, users_per_namespace, chargers_per_namespace, start_ms)


def generate_session_list(**kwargs: Any) -> list[dict[str, Any]]:
    """All sessions of :func:`generate_sessions` (same keyword arguments) in one list."""
    return list(generate_sessions(**kwargs))


def _generate(
    counts: list[tuple[str, int]], seed: int, users: int, chargers: int, start_ms: int
) -> Iterator[dict[str, Any]]:
    for namespace, count in counts:
        yield from _Namespace(namespace, seed, users, chargers).sessions(count, start_ms)


@lru_cache(maxsize=8192)
def _iso_date(days: int) -> str:
    return (_UNIX_EPOCH + timedelta(days=days)).strftime("%Y-%m-%d")


def _iso(ms: int) -> str:
    """Milliseconds since the Unix epoch -> ``2026-01-01T10:00:00.123Z`` (faster than ``strftime``)."""
    days, rest = divmod(ms, _MS_PER_DAY)
    hours, rest = divmod(rest, _MS_PER_HOUR)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{_iso_date(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def _uuid4(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}X}"


def _decimal(value: float) -> str:
    return f"{max(value, 0.0):.2f}"


@dataclass(slots=True)
class _User:
    id: str
    rfid: str
    app: str
    contract: str
    home: int


@dataclass(slots=True)
class _Charger:
    id: str
    connectors: int
    power_kw: float
    meter_wh: int
    location_id: str | None
    free: bool


@dataclass(slots=True, frozen=True)
class _PricedElement:
    """What pricing needs of one tariff element (the element's restrictions, flattened)."""

    flat: float | None
    per_kwh: float | None
    per_minute: float | None
    start_minute: int | None = None  # minutes after local midnight
    end_minute: int | None = None
    days: frozenset[int] | None = None  # 0 = Monday
    min_power: float | None = None
    max_duration: int | None = None
    min_duration: int | None = None


@dataclass(slots=True)
class _Tariff:
    wire: str  # JSON of the tariff; parsed per session so that no two sessions share mutable objects
    elements: tuple[_PricedElement, ...]
    min_price: float | None
    max_price: float | None


@dataclass(slots=True)
class _Namespace:
    namespace: str
    seed: int
    user_count: int
    charger_count: int
    rng: random.Random = field(init=False)
    suffix: str = field(init=False)
    offset_ms: int = field(init=False)
    users: list[_User] = field(init=False)
    user_cum: list[float] = field(init=False)
    chargers: list[_Charger] = field(init=False)
    tariffs: list[_Tariff] = field(init=False)
    charger_tariff: list[int] = field(init=False)
    generic_tags: list[str] = field(init=False)
    applications: tuple[str, ...] = field(init=False)
    kwh_rate: float = field(init=False)

    def __post_init__(self) -> None:
        rng = self.rng = random.Random(f"{self.seed}:{self.namespace}")  # noqa: S311 - demo data, not secrets
        self.suffix = namespace_suffix(self.namespace)
        time_zone, offset_hours, language = _TIME_ZONES[int(rng.random() * len(_TIME_ZONES))]
        self.offset_ms = offset_hours * _MS_PER_HOUR
        self.kwh_rate = round(rng.uniform(0.22, 0.45), 2)
        self.chargers = [
            _Charger(
                id=demo_charger_id(self.namespace, number),
                connectors=2 if rng.random() < 0.6 else 1,
                power_kw=rng.choices(_CHARGER_POWERS_KW, _CHARGER_POWER_WEIGHTS)[0],
                meter_wh=rng.randrange(20_000, 4_000_000),
                # Chargers are grouped three to a site; every fifth one is not assigned to a site.
                location_id=None if number % 5 == 0 else f"location-{self.suffix}-{(number - 1) // 3 + 1:02d}",
                free=rng.random() < 0.3,
            )
            for number in range(1, self.charger_count + 1)
        ]
        self.users = [
            _User(
                id=demo_user_id(self.namespace, number),
                rfid=_hex(rng, 14),
                app=f"APP{_hex(rng, 12)}",
                contract=f"{(self.suffix[:2].upper() + 'XX')[:2]}EMP{_hex(rng, 9)}C",
                home=int(rng.random() * self.charger_count),
            )
            for number in range(1, self.user_count + 1)
        ]
        # A few users charge much more often than the others (Zipf-like).
        self.user_cum = list(accumulate(1.0 / number**0.9 for number in range(1, self.user_count + 1)))
        self.generic_tags = [_hex(rng, 8) for _ in range(4)]
        self.applications = (f"app-{self.suffix}-mobile",) * 4 + (f"app-{self.suffix}-web", f"app-{self.suffix}-ops")
        self.tariffs = [self._tariff(number, time_zone, language) for number in range(1, 4)]
        self.charger_tariff = [int(rng.random() * len(self.tariffs)) for _ in self.chargers]

    def _tariff(self, number: int, time_zone: str, language: str) -> _Tariff:
        rng = self.rng
        base_rate = round(self.kwh_rate * rng.uniform(0.9, 1.3), 2)
        flat = round(rng.choice((0.0, 0.0, 0.5, 1.0)), 2)
        wire_elements: list[dict[str, Any]] = []
        priced: list[_PricedElement] = []
        texts = [f"{base_rate:.2f} per kWh"]

        def element(name: str, components: dict[str, float], restrictions: dict[str, Any] | None) -> None:
            wire: dict[str, Any] = {
                "id": "".join(rng.choices(_NANOID_ALPHABET, k=21)),
                "name": name,
                "backgroundColor": _COLOURS[int(rng.random() * len(_COLOURS))],
                "priceComponents": {key: f"{value:.2f}" for key, value in components.items()},
            }
            if restrictions is not None:
                wire["restrictions"] = restrictions
                if rng.random() < 0.25:
                    wire["minRestrictionsDuration"] = rng.choice((300, 900, 1800))
            wire_elements.append(wire)
            restrictions = restrictions or {}
            start_time, end_time = restrictions.get("startTime"), restrictions.get("endTime")
            days = restrictions.get("daysOfWeek")
            priced.append(
                _PricedElement(
                    flat=components.get("Flat"),
                    per_kwh=components.get("PerKilowattHour"),
                    per_minute=components.get("PerMinute"),
                    start_minute=None if start_time is None else start_time["hour"] * 60 + start_time["minute"],
                    end_minute=None if end_time is None else end_time["hour"] * 60 + end_time["minute"],
                    days=None if days is None else frozenset(_WEEKDAYS.index(day) for day in days),
                    min_power=restrictions.get("minPower"),
                    max_duration=restrictions.get("maxDuration"),
                    min_duration=restrictions.get("minDuration"),
                )
            )

        extras = rng.sample(("peak", "night", "weekend", "power", "parking"), k=int(rng.random() * 3))
        for extra in extras:
            if extra == "peak":
                rate = round(base_rate * 1.5, 2)
                element(
                    "Peak hours, weekdays 16-20",
                    {"PerKilowattHour": rate},
                    {
                        "startTime": {"hour": 16, "minute": 0},
                        "endTime": {"hour": 20, "minute": 0},
                        "daysOfWeek": list(_WEEKDAYS[:5]),
                    },
                )
                texts.append(f"{rate:.2f} per kWh on weekdays 16-20")
            elif extra == "night":
                rate = round(base_rate * 0.7, 2)
                element(
                    "Night rate",
                    {"PerKilowattHour": rate},
                    {"startTime": {"hour": 22, "minute": 0}, "endTime": {"hour": 6, "minute": 30}},
                )
                texts.append(f"{rate:.2f} per kWh from 22:00 to 06:30")
            elif extra == "weekend":
                rate = round(base_rate * 0.85, 2)
                element("Weekend", {"PerKilowattHour": rate}, {"daysOfWeek": list(_WEEKDAYS[5:])})
                texts.append(f"{rate:.2f} per kWh on weekends")
            elif extra == "power":
                rate = round(base_rate * 1.2, 2)
                element(
                    "High power (11 kW and more)",
                    {"PerKilowattHour": rate},
                    {"minPower": 11.0, "vehicleRequestingPower": True},
                )
                texts.append(f"{rate:.2f} per kWh at 11 kW and more")
            else:
                rate = round(rng.choice((0.02, 0.05, 0.1)), 2)
                element("Parking after 4 hours", {"PerMinute": rate}, {"minDuration": 14_400, "maxPower": 22.0})
                texts.append(f"{rate:.2f} per minute of parking after 4 hours")
        base: dict[str, float] = {"PerKilowattHour": base_rate}
        if flat:
            base["Flat"] = flat
            texts.append(f"{flat:.2f} per session")
        element("Standard" if number == 1 else f"Standard {number}", base, None)

        tariff: dict[str, Any] = {"elements": wire_elements}
        min_price = max_price = None
        if rng.random() < 0.3:
            min_price = 1.0
            tariff["minPrice"] = "1.00"
        if rng.random() < 0.25:
            max_price = float(rng.choice((40, 60, 80)))
            tariff["maxPrice"] = f"{max_price:.2f}"
        if rng.random() < 0.5:
            text = "; ".join(texts)
            tariff["altTexts"] = [{"language": "en", "text": text[:512]}]
            if language != "en" and rng.random() < 0.5:
                tariff["altTexts"].append({"language": language, "text": text[:512]})
        if rng.random() < 0.4:
            tariff["altUrl"] = f"https://charge.example.com/{self.suffix}/tariffs/{number}"
        tariff["timeZone"] = time_zone
        return _Tariff(json.dumps(tariff, separators=(",", ":")), tuple(priced), min_price, max_price)

    def _price(self, tariff: _Tariff, started_ms: int, kwh: float, seconds: int, power_kw: float) -> float:
        local = started_ms + self.offset_ms
        days, rest = divmod(local, _MS_PER_DAY)
        minute_of_day = rest // 60_000
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday

        def matches(element: _PricedElement) -> bool:
            start, end = element.start_minute, element.end_minute
            if start is not None and end is not None:
                inside = start <= minute_of_day < end if start < end else minute_of_day >= start or minute_of_day < end
                if not inside:
                    return False
            if element.days is not None and weekday not in element.days:
                return False
            if element.min_power is not None and power_kw < element.min_power:
                return False
            return element.max_duration is None or seconds <= element.max_duration

        # OCPI-like: each price dimension comes from the first element (in order) that applies to the session.
        flat = per_kwh = per_minute = None
        for element in tariff.elements:
            if not matches(element):
                continue
            if flat is None and element.flat is not None:
                flat = element.flat
            if per_kwh is None and element.per_kwh is not None:
                per_kwh = element.per_kwh
            if per_minute is None and element.per_minute is not None:
                billed = seconds - (element.min_duration or 0)
                per_minute = element.per_minute * max(billed, 0) / 60
        price = (flat or 0.0) + kwh * (per_kwh or 0.0) + (per_minute or 0.0)
        if tariff.min_price is not None and kwh > 0:
            price = max(price, tariff.min_price)
        if tariff.max_price is not None:
            price = min(price, tariff.max_price)
        return price

    def sessions(self, count: int, start_ms: int) -> Iterator[dict[str, Any]]:
        rng = self.rng
        random_ = rng.random
        mean_gap = max(1.0, min(float(_MAX_MEAN_GAP_MS), _MAX_SPAN_MS / max(count, 1)))
        tail_size = round(count * _TAIL_RATE) or (1 if count >= 2 else 0)
        tail_start = max(count - tail_size, 1)
        open_connectors: set[tuple[int, int]] = set()
        transaction_id = rng.randrange(1_000, 90_000)
        created = start_ms
        tied = False
        for index in range(count):
            if index:
                # Some sessions share the createdAt of the one before; at least one pair per namespace does.
                if random_() < _TIE_RATE or (index == count // 2 and not tied):
                    tied = True
                else:
                    created += 1 + int(rng.expovariate(1.0 / mean_gap))
                transaction_id += 1 + (int(random_() * 4) if random_() < 0.2 else 0)
            # Who and where.
            user: _User | None
            if index == 0:
                user, charger_index, connector = self.users[0], 0, 1
            else:
                user = None
                if random_() < _WITH_USER:
                    user = self.users[bisect(self.user_cum, random_() * self.user_cum[-1])]
                if user is not None and random_() < 0.65:
                    charger_index = user.home
                else:
                    charger_index = int(random_() * self.charger_count)
                connector = 1 + int(random_() * self.chargers[charger_index].connectors)
            status = _STOPPED
            if index >= tail_start:
                key = (charger_index, connector)
                if key in open_connectors or index == count - 1 or random_() < _STARTED_IN_TAIL:
                    status = _STARTED
                    open_connectors.add(key)
            yield self._session(created, transaction_id, user, charger_index, connector, status)

    def _session(
        self,
        created: int,
        transaction_id: int,
        user: _User | None,
        charger_index: int,
        connector: int,
        status: str,
    ) -> dict[str, Any]:
        rng = self.rng
        random_ = rng.random
        charger = self.chargers[charger_index]
        if user is not None:
            kind, start_type, tag_kind, _ = _USER_INTENTS[bisect(_USER_INTENT_CUM, random_() * _USER_INTENT_CUM[-1])]
            id_tag = user.app if tag_kind == "app" else user.rfid if tag_kind == "rfid" else user.contract
        else:
            kind, start_type, _ = _ANONYMOUS_INTENTS[
                bisect(_ANONYMOUS_INTENT_CUM, random_() * _ANONYMOUS_INTENT_CUM[-1])
            ]
            id_tag = self.generic_tags[int(random_() * 4)] if random_() < 0.7 else _hex(rng, 8)
        session_id = _uuid4(rng)
        intent_id = _uuid4(rng)

        # How long the car stayed and how much it took.
        if random_() < 0.02:
            seconds = 30 + int(random_() * 300)  # plugged in, never charged
            wh = 0
        else:
            # A short stop (median about 80 minutes), or overnight / a working day.
            short = random_() < 0.55
            seconds = int(rng.lognormvariate(8.5, 0.6)) if short else int(rng.uniform(6 * 3600, 14 * 3600))
            seconds = min(max(seconds, 120), 20 * 3600)
            power_kw = min(charger.power_kw, _CAR_POWERS_KW[int(random_() * len(_CAR_POWERS_KW))])
            power_kw *= 0.85 + 0.12 * random_()
            needed_kwh = 3.0 + 62.0 * random_()
            wh = round(min(needed_kwh, power_kw * seconds / 3600) * 1000)
        started = created - int(random_() * 4000)
        meter_start = charger.meter_wh

        session: dict[str, Any] = {
            "id": session_id,
            "transactionId": transaction_id,
            "idTag": id_tag,
            "chargerId": charger.id,
            "connectorId": connector,
            "chargingIntentId": intent_id,
        }
        if user is not None:
            session["userId"] = user.id
        session["status"] = status
        session["startedAtTimestamp"] = _iso(started)
        session["startedAtEnergy"] = float(meter_start)
        if status == _STOPPED:
            stopped = started + seconds * 1000
            meter_stop = meter_start + wh
            if random_() < 0.9:
                metered = stopped - int(random_() * min(seconds * 1000, 900_000))
                session["lastMeteredAtTimestamp"] = _iso(metered)
                session["lastMeteredAtEnergy"] = float(meter_stop - int(random_() * min(wh, 400)))
            session["stoppedAtTimestamp"] = _iso(stopped)
            session["stoppedAtEnergy"] = float(meter_stop)
            reason_index = bisect(_STOP_REASON_CUM, random_() * _STOP_REASON_CUM[-1])
            if start_type == _REMOTE and reason_index == 1 and random_() < 0.5:
                reason_index = 2  # sessions started from the app are often stopped from it too
            session["stoppedReason"] = _STOP_REASONS[reason_index][0]
            updated = stopped + 50 + int(random_() * 3000)
            charger.meter_wh = meter_stop
        elif random_() < 0.95:
            elapsed = max(60, int(seconds * (0.05 + 0.85 * random_())))
            wh = round(wh * min(elapsed / seconds, 1.0))
            seconds = elapsed
            metered = started + elapsed * 1000
            session["lastMeteredAtTimestamp"] = _iso(metered)
            session["lastMeteredAtEnergy"] = float(meter_start + wh)
            updated = metered + 20 + int(random_() * 2000)
            charger.meter_wh = meter_start + wh
        else:  # just started, no meter values yet
            wh = seconds = 0
            updated = created
        updated = max(updated, created)

        kwh = round(wh / 1000, 3)
        if random_() < _WITH_TARIFF:
            tariff = self.tariffs[self.charger_tariff[charger_index]]
            session["tariff"] = json.loads(tariff.wire)
            price = self._price(tariff, started, kwh, seconds, charger.power_kw)
        else:
            price = 0.0 if charger.free else kwh * self.kwh_rate
        session["energy"] = kwh
        session["duration"] = float(seconds)
        session["price"] = _decimal(price)
        if random_() < _WITH_NOTE:
            session["note"] = _NOTES[int(random_() * len(_NOTES))]
        session["applicationId"] = self.applications[int(random_() * len(self.applications))]
        session["namespaceId"] = self.namespace
        if charger.location_id is not None:
            session["locationId"] = charger.location_id
        session["createdAt"] = _iso(created)
        session["updatedAt"] = _iso(updated)

        # The intent that started it: remote starts are asked for a while before the charger reports back.
        lead = 5_000 + int(random_() * 175_000) if start_type == _REMOTE else 200 + int(random_() * 3_800)
        intent_created = created - lead
        intent: dict[str, Any] = {"id": intent_id, "idTag": id_tag, "chargerId": charger.id}
        if random_() < 0.92:
            intent["connectorId"] = connector
        if random_() < 0.85:
            intent["chargingSessionId"] = session_id
        if user is not None:
            intent["userId"] = user.id
        intent["type"] = kind
        intent["startType"] = start_type
        if kind == ChargingIntentType.IN_APP.value and random_() < 0.45:
            preferences: dict[str, Any] = {}
            if random_() < 0.6:
                preferences["afterEnergy"] = float(rng.choice((10, 20, 30, 40)))
            if random_() < 0.5:
                preferences["afterDuration"] = float(rng.choice((1800, 3600, 7200, 14_400)))
            if random_() < 0.3 or not preferences:
                preferences["afterPrice"] = rng.choice(("5.00", "10.00", "15.00", "25.00"))
            intent["details"] = {"pushNotificationPreferences": preferences}
        intent["createdAt"] = _iso(intent_created)
        intent["updatedAt"] = _iso(intent_created + int(random_() * lead))
        session["chargingIntent"] = intent
        return session


__all__ = [
    "DEFAULT_NAMESPACES",
    "DEFAULT_PER_NAMESPACE",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "demo_charger_id",
    "demo_user_id",
    "generate_session_list",
    "generate_sessions",
    "namespace_suffix",
]
