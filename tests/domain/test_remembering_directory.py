"""A remembering directory answers each code once within its time, then asks
again: lists name many appeals' units and items without a lookup each."""

from __future__ import annotations

from appeals.domain.directory import (
    CatalogueEntry,
    InMemoryDirectory,
    RememberingDirectory,
    UnitEntry,
)


class Counting(InMemoryDirectory):
    def __init__(self) -> None:
        super().__init__(
            units=[UnitEntry("SZ-RSJ", "人社局")],
            items=[CatalogueEntry("HR-007", 1, "稳岗返还", "service", "hr", "SZ-RSJ")],
        )
        self.asked: list[str] = []

    def unit(self, code: str) -> UnitEntry | None:
        self.asked.append(code)
        return super().unit(code)

    def catalogue_item(self, code: str) -> CatalogueEntry | None:
        self.asked.append(code)
        return super().catalogue_item(code)


def name_of(unit: UnitEntry | None) -> str | None:
    return None if unit is None else unit.name_zh


def test_each_code_is_asked_once_within_its_time_and_again_after() -> None:
    now = [0.0]
    inner = Counting()
    names = RememberingDirectory(inner, seconds=60, monotonic=lambda: now[0])
    for _ in range(3):
        assert name_of(names.unit("SZ-RSJ")) == "人社局"
        item = names.catalogue_item("HR-007")
        assert item is not None
        assert item.matter_zh == "稳岗返还"
        assert names.unit("SZ-NONE") is None  # a miss is remembered too
    assert inner.asked == ["SZ-RSJ", "HR-007", "SZ-NONE"]
    inner.units["SZ-RSJ"] = UnitEntry("SZ-RSJ", "人力资源和社会保障局")  # renamed
    now[0] = 59.0
    assert name_of(names.unit("SZ-RSJ")) == "人社局"
    now[0] = 61.0
    assert name_of(names.unit("SZ-RSJ")) == "人力资源和社会保障局"
    assert inner.asked[3:] == ["SZ-RSJ"]
