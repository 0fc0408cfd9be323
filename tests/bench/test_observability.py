"""bench/observability.py's figures from rounds, without a stack: each row against the first
in the same round, and the target judged on the row as shipped."""

from bench import observability


def test_the_target_judges_the_stack_as_shipped_against_the_first_row():
    rows = [
        {"key": observability.BASELINE, "vs_baseline_pct": 0.0},
        {"key": observability.SHIPPED, "vs_baseline_pct": 12.5},
    ]
    ((name, value, target, met),) = observability.targets({"observability": {"rows": rows}})
    assert (value, target, met) == ("+12.5%", f"<= +{observability.TARGET_PCT}%", False)
    rows[1]["vs_baseline_pct"] = -18.4
    assert observability.targets({"observability": {"rows": rows}})[0][3] is True


def test_the_first_row_is_the_stack_without_what_is_priced():
    key, _, settings = observability.VARIANTS[0]
    assert key == observability.BASELINE
    assert settings == {"LOG_FORMAT": "text", "GUNICORN_ACCESS_LOG": "1"}
    assert observability.SHIPPED in {key for key, _, _ in observability.VARIANTS}
