"""Official schedules an operator loaded (``appeals calendar load FILE``), kept
in the ledger's database so every process and server uses the same calendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import orjson

from appeals.infra.calendar_data import OfficialSchedule
from appeals.infra.database import Database


class CalendarStore:
    """One row per year; loading a year again replaces it."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = database.table("calendar_schedules")

    def create_table(self) -> None:
        self.database.execute_script(
            [
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                " year INTEGER PRIMARY KEY,"
                " source TEXT NOT NULL,"
                " holidays TEXT NOT NULL,"
                " makeup_workdays TEXT NOT NULL,"
                " loaded_at TEXT NOT NULL)"
            ]
        )

    def save(self, schedules: Iterable[OfficialSchedule], now: datetime) -> None:
        with self.database.transaction() as cursor:
            for schedule in schedules:
                cursor.execute(
                    f"DELETE FROM {self.table} WHERE year = ?", (schedule.year,)
                )
                cursor.execute(
                    f"INSERT INTO {self.table} "
                    "(year, source, holidays, makeup_workdays, loaded_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        schedule.year,
                        schedule.source,
                        _dates(schedule.holidays),
                        _dates(schedule.makeup_workdays),
                        now.isoformat(),
                    ),
                )

    def load(self) -> tuple[OfficialSchedule, ...]:
        with self.database.reading() as cursor:
            rows = cursor.execute(
                f"SELECT year, source, holidays, makeup_workdays FROM {self.table} "
                "ORDER BY year"
            ).all()
        return tuple(
            OfficialSchedule(
                year=int(year),
                source=str(source),
                holidays=_parse(str(days_off)),
                makeup_workdays=_parse(str(makeup)),
            )
            for year, source, days_off, makeup in rows
        )


def _dates(days: frozenset[date]) -> str:
    return orjson.dumps(sorted(day.isoformat() for day in days)).decode()


def _parse(text: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(day) for day in orjson.loads(text))
