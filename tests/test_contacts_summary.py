"""The role-mix summary: counts and shares beside the study's, as a table and as an SVG chart."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from service.contacts_summary import RoleMix
from training.roles import ROLES

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def mix() -> RoleMix:
    mix = RoleMix()
    for primary in ["executive"] * 3 + ["manager"] * 5 + ["employee"] * 2:
        mix.add(primary)
    mix.add(None)  # out of scope
    mix.add(None, classified=False)  # unreadable
    return mix


def test_shares_are_of_rows_with_a_role_so_they_compare_with_the_study(mix):
    shares = {share.id: share for share in mix.shares()}
    assert [share.id for share in mix.shares()] == [role.id for role in ROLES]
    assert shares["executive"].share == pytest.approx(0.3)
    assert shares["manager"].share == pytest.approx(0.5)
    assert shares["author"].count == 0 and shares["author"].share == 0
    assert shares["employee"].study_share == 0.30
    assert sum(share.share for share in shares.values()) == pytest.approx(1.0)


def test_totals_count_out_of_scope_and_unclassified_rows_apart(mix):
    assert (mix.total, mix.with_role, mix.out_of_scope, mix.unclassified) == (12, 10, 1, 1)


def test_an_empty_mix_has_zero_shares_not_an_error():
    assert all(share.share == 0 for share in RoleMix().shares())
    assert "合計" in RoleMix().table()
    ET.fromstring(RoleMix().chart_svg())


def test_the_table_shows_each_role_with_count_share_and_study_share(mix):
    table = mix.table()
    executive_line = next(line for line in table.splitlines() if line.startswith("企業経営者"))
    assert executive_line.split() == ["企業経営者", "3", "30.0%", "10.0%"]
    assert "対象外" in table and "未分類" in table


def test_the_table_columns_line_up_in_a_terminal_with_full_width_names(mix):
    from service.contacts_summary import _display_width

    lines = mix.table().splitlines()[:7]
    assert len({_display_width(line) for line in lines}) == 1


def test_the_chart_is_valid_svg_with_a_bar_per_role_for_the_list_and_the_study(mix):
    root = ET.fromstring(mix.chart_svg())
    bars = [rect for rect in root.iter(f"{SVG}rect") if "bar" in rect.get("class", "")]
    assert len(bars) == 12
    list_bars = {bar.get("data-role"): float(bar.get("width")) for bar in bars if "bar-list" in bar.get("class")}
    study_bars = {bar.get("data-role"): float(bar.get("width")) for bar in bars if "bar-study" in bar.get("class")}
    assert list_bars["manager"] > list_bars["executive"] > list_bars["employee"] > list_bars["author"] == 0
    assert study_bars["employee"] > study_bars["manager"] > study_bars["executive"]
    assert study_bars["manager"] == pytest.approx(2 * study_bars["executive"])


def test_the_chart_is_labelled_in_japanese(mix):
    texts = "".join(element.text or "" for element in ET.fromstring(mix.chart_svg()).iter())
    for role in ROLES:
        assert role.name_ja in texts
    assert "この名簿" in texts and "調査" in texts
