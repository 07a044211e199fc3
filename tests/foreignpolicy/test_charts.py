"""The charts' geometry: a value axis of round numbers, year labels on round years spaced
so they never meet, bars no wider than a column however few the years, and long labels on
two lines rather than cut."""

from foreignpolicy.charts import CHARACTER_WIDTH, MAX_BAR, bar_chart, column_chart, value_axis


def test_the_value_axis_runs_in_round_steps_to_a_top_at_or_above_the_highest_value():
    assert value_axis(1) == (1, [0, 1])
    assert value_axis(6) == (6, [0, 2, 4, 6])
    assert value_axis(40) == (40, [0, 20, 40])
    assert value_axis(41) == (60, [0, 20, 40, 60])
    assert value_axis(0) == (1, [0, 1])


def test_year_labels_fall_on_round_years_and_leave_room_between_them():
    chart = column_chart((year, 1) for year in range(1959, 2027))
    labelled = [bar for bar in chart["bars"] if bar.show_label]
    assert [bar.label for bar in labelled] == ["1959", "1970", "1980", "1990", "2000", "2010", "2020"]
    for first, second in zip(labelled, labelled[1:], strict=False):
        assert second.centre - first.centre >= 4 * CHARACTER_WIDTH


def test_few_years_get_bars_no_wider_than_a_column_and_every_label():
    chart = column_chart([(2024, 3), (2025, 1), (2026, 2)])
    assert all(bar.width <= MAX_BAR for bar in chart["bars"])
    assert all(bar.show_label for bar in chart["bars"])


def test_a_long_label_is_written_on_two_lines_and_its_row_made_taller():
    chart = bar_chart([("Cumbre", 1), ("Elección en un organismo internacional y otras cosas más largas aún", 2)])
    short, long = chart["bars"]
    assert [line for line, _y in short.lines] == ["Cumbre"]
    assert len(long.lines) == 2 and long.lines[1][1] > long.lines[0][1]
    assert chart["height"] > 2 * 24
